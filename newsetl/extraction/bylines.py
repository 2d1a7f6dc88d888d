"""The article's authors: JSON-LD, author meta tags, author links and bylines, cleaned
into one name per person (or agency), the publisher giving way to a person."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from newsetl.extraction.metadata import _scan_tree, jsonld_authors, jsonld_names
from newsetl.extraction.titles import site_keys, squash
from newsetl.extraction.walk import Walker

_URLISH = re.compile(r"^(?:https?:|www\.|/)|\.(?:com|org|net|html?)(?:/|$)|@", re.IGNORECASE)
_BY_PREFIX = re.compile(
    r"^\s*(?:(?:written|posted|reported|words|story|text|photos?)\s+)?(?:by|von|par|por|door)\b[:\s]*",
    re.IGNORECASE,
)
_CONJUNCTIONS = r"(?:and|&|und|et|y|og|och|en|e|ve)"  # en, de, fr, es, da/no, sv, nl, it/pt, tr
_AUTHOR_SPLIT = re.compile(rf"\s+{_CONJUNCTIONS}\s+|\s*[;|/]\s*", re.IGNORECASE)
_LEADING_AND = re.compile(rf"^{_CONJUNCTIONS}\s+", re.IGNORECASE)
# A role after the name: "Anna Berg, Staff Writer", "Anna Berg Reporter".
_ROLE_TAIL = re.compile(
    r"\s*(?P<sep>[,|\-–—]\s*)?\b(?:staff writer|contributor|correspondent|reporter|editor)$",
    re.IGNORECASE,
)
_TIME_TAIL = re.compile(
    r"\s*(?:[,|\-–—]\s*)?(?:\b(?:for\s+\w+.*|updated.*|published.*|posted.*|on\s+\w+\s+\d.*)|"
    r"\d{1,2}[:/.]\d{2}.*)$",
    re.IGNORECASE,
)
_STRIP = " ,.:;|-–—()[]\"'"


_DEGREES = frozenset("ma ms msc md phd mba mph rn ba bs bsc dds dvm jd llm esq".split())
_SUFFIXES = frozenset("jr sr ii iii iv".split())


def _is_given_name(word: str) -> bool:
    """A capitalised word in lower case after its first letter ("Rachel", not "AFP")."""
    return word[:1].isupper() and any(c.islower() for c in word) and word.isalpha()


def _comma_names(part: str, last_first: bool) -> list[str]:
    """One byline segment's names at its commas: "Brazil, Rachel" is one name written
    last name first; "Jörg Soldwisch, dpa" and "Lea Wagner, Nairobi" are two entries.
    ``last_first``: the source writes every name so ("Castelvecchi, Davide Maria")."""
    pieces: list[str] = []
    for piece in (p.strip() for p in part.split(",")):
        letters = piece.replace(".", "").lower()
        if letters in _SUFFIXES and pieces:
            pieces[-1] += f", {piece}"  # "Martin Luther King, Jr."
        elif piece and letters not in _DEGREES:  # "Brenda Goodman, MA"
            pieces.append(piece)
    if len(pieces) == 2:
        last, first = pieces
        one_each = len(last.split()) == 1 and len(first.split()) == 1
        if (one_each or last_first) and all(_is_given_name(w) for w in first.split()):
            if last[:1].isupper() and len(last.split()) == 1:
                return [f"{first} {last}"]
    return pieces


def _strip_role(name: str) -> str:
    """The name without a trailing role, where it follows a separator or what is left is
    a person's name (nothing, for a role alone): "Guardian staff reporter" names a desk."""
    match = _ROLE_TAIL.search(name)
    if match is None:
        return name
    rest = name[: match.start()].strip(_STRIP)
    return rest if not rest or match.group("sep") or _person_like(rest) else name


def clean_authors(raw: Iterable[str], last_first: bool = False) -> list[str]:
    """Normalise author strings: drop "By", URLs, e-mails, roles; split "A and B" and
    "A, dpa"; turn "Last, First" around; dedupe."""
    out: list[str] = []
    seen: set[str] = set()
    for item in raw:
        if not item:
            continue
        text = " ".join(item.split())
        if _URLISH.search(text) and len(text.split()) == 1:
            continue
        text = _BY_PREFIX.sub("", text)
        for segment in _AUTHOR_SPLIT.split(text):
            segment = _LEADING_AND.sub("", _BY_PREFIX.sub("", segment).strip(_STRIP))
            for i, part in enumerate(_comma_names(segment, last_first)):
                if i and _ROLE_TAIL.search(part):
                    continue  # "Linda Carroll, TODAY contributor": the person's role
                name = _BY_PREFIX.sub("", part).strip(_STRIP)
                name = _strip_role(_TIME_TAIL.sub("", name).strip(_STRIP)).strip(_STRIP)
                if not name or _URLISH.search(name) or any(c.isdigit() for c in name):
                    continue
                words = name.split()
                if len(words) > 5 or len(name) > 60 or not any(c.isalpha() for c in name):
                    continue
                if name.lower() in {"admin", "staff", "editor", "unknown", "anonymous", "author"}:
                    continue
                key = name.lower()
                if key not in seen:
                    seen.add(key)
                    out.append(name)
    return out


_AUTHOR_META_KEYS = (
    "author",
    "article:author",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "citation_author",
    "byl",
)
# Library-catalogue tags: one tag per author, each written "Last, First".
_LAST_FIRST_KEYS = frozenset(("dc.creator", "citation_author"))


def _meta_values(metas: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Every value of each author meta tag, in page order (a tag may repeat, one per author)."""
    out: dict[str, list[str]] = {}
    for attrs in metas:
        content = attrs.get("content")
        if not isinstance(content, str) or not content.strip():
            continue
        for attr in ("property", "name", "itemprop"):
            key = attrs.get(attr)
            if isinstance(key, str) and key.strip().lower() in _AUTHOR_META_KEYS:
                out.setdefault(key.strip().lower(), []).append(content)
                break
    return out


_PHOTO_CREDIT = re.compile(r"^\W*(?:fotos?|photos?|bild|image|picture|credit)\s*[:©]", re.I)


def _author_from_tags(tags: list[Any]) -> list[str]:
    """The names in the first author or byline element that names anyone; photo credits
    ("Foto: Anna Berg", a ``<figcaption class="author">``) are no bylines."""
    for tag in tags:
        if tag.name == "figcaption":
            continue
        attrs = tag.attrs
        inner = tag.find(attrs={"itemprop": "name"}) if tag.name != "a" else None
        content = attrs.get("content")
        if inner is None and isinstance(content, str) and content.strip():
            text = content
        else:
            text = (inner or tag).get_text(" ", strip=True)
        if text and len(text) < 120 and not _PHOTO_CREDIT.match(text):
            found = clean_authors([text])
            if found:
                return found
    return []


_NAME_PARTICLES = frozenset("van von der den de da di du le la del della bin al ibn ter".split())


def _person_like(name: str) -> bool:
    """A person's name as bylines write it: two to four words, each capitalised (but for
    particles such as "van" or "de"), letters only (and ' . -)."""
    words = name.split()
    if not 2 <= len(words) <= 4:
        return False
    for word in words:
        if not all(c.isalpha() or c in "'’.-" for c in word):
            return False
        if not word[0].isupper() and word.lower() not in _NAME_PARTICLES:
            return False
    return True


def _organisations(article_ld: dict[str, Any], metas: dict[str, str], url: str | None) -> set[str]:
    """The publisher's names as the page gives them (``titles.site_keys``: JSON-LD
    ``publisher``, ``og:site_name``, ``application-name``, the name in the host) plus any
    organisation ``author``, squashed to letters and digits."""
    out = set(site_keys(article_ld, metas, url))
    authors = article_ld.get("author") if article_ld else None
    for node in authors if isinstance(authors, list) else [authors]:
        if isinstance(node, dict) and "organization" in str(node.get("@type", "")).lower():
            out.update(k for k in map(squash, jsonld_names(node)) if len(k) >= 2)
    return out


def _is_organisation(name: str, orgs: set[str]) -> bool:
    squashed = squash(name)
    return bool(squashed) and any(squashed == o or squashed.startswith(o) for o in orgs)


# A CJK byline line: "(责编：牛镛、岳弘彬)", "作者：山田太郎", "문화부 홍길동 기자".
_CJK = r"[\u3040-\u30ff\u4e00-\u9fff]"
_CJK_NAME = rf"{_CJK}{{1,4}}(?: {_CJK}{{1,4}})?"  # "山田太郎", "山田 太郎"
_CJK_LABELLED = re.compile(
    r"^[(（\[【]?\s*(?:作者|记者|記者|责编|责任编辑|編集|编辑|撰文|文|筆者)\s*[：:]\s*"
    rf"(?P<names>{_CJK_NAME}(?:\s*[、，,／/]\s*{_CJK_NAME})*)\s*[)）\]】]?$"
)
_KOREAN_REPORTER = re.compile(r"(?:^|[\s=)])(?P<names>[가-힣]{2,4})\s*기자(?:$|[\s=])")
_CJK_NAME_SEP = re.compile(r"\s*[、，,／/]\s*")


def _cjk_byline(blocks: list[Any]) -> list[str]:
    """Names from a short CJK byline line among the page's text blocks."""
    for block in blocks:
        text = block.text.strip()
        if len(text) > 60:
            continue
        match = _CJK_LABELLED.match(text)
        if match:
            return [n for n in _CJK_NAME_SEP.split(match.group("names")) if n]
        if "기자" in text:
            names = [m.group("names") for m in _KOREAN_REPORTER.finditer(text)]
            if names:
                return names
    return []


def _confirmed_by_byline(values: list[str], walker: Walker) -> list[str]:
    """Meta author values that the cleaning refused (a digit: "Reporter 5") but that a
    byline on the page names as they are ("By Reporter 5"): two sources make it a name."""
    wanted = {squash(v): " ".join(v.split()) for v in values if any(c.isdigit() for c in v)}
    wanted.pop("", None)
    if not wanted:
        return []
    tags = list(walker.bylines[:10])
    if walker.soup is not None or walker.cuts is not None:
        tags += _scan_tree(walker)[1]
    for tag in tags:
        text = tag.get_text(" ", strip=True)
        if len(text) < 120:
            name = wanted.get(squash(_BY_PREFIX.sub("", text)))
            if name and not _URLISH.search(name):
                return [name]
    return []


def find_authors(
    article_ld: dict[str, Any], metas: dict[str, str], walker: Walker, url: str | None = None
) -> list[str]:
    """The article's authors, from the first source that names them: JSON-LD, the author
    meta tags, author links, then bylines. A source that names only the publisher (its
    JSON-LD ``author`` is the organisation, its ``meta author`` the site's name) gives way
    to a later one that names a person; when none does, the publisher is the author."""
    orgs = _organisations(article_ld, metas, url)
    first_found: list[str] = []

    def candidates() -> Iterator[list[str]]:
        if article_ld:
            yield clean_authors(jsonld_authors(article_ld))
        tags = _meta_values(walker.metas)
        for key in _AUTHOR_META_KEYS:
            if key in tags:
                found = clean_authors(tags[key], key in _LAST_FIRST_KEYS)
                yield found or _confirmed_by_byline(tags[key], walker)
        yield clean_authors(walker.author_links)
        if walker.soup is not None or walker.cuts is not None:
            yield _author_from_tags(_scan_tree(walker)[1])
        yield _cjk_byline(walker.blocks)

    for found in candidates():
        if not found:
            continue
        if not first_found:
            if not all(_is_organisation(n, orgs) for n in found):
                return found
            first_found = found
        elif 2 * sum(map(_person_like, found)) >= len(found) and not any(
            _is_organisation(n, orgs) for n in found
        ):
            # A person named after the publisher was: the byline wins, with what it
            # names beside the person ("Seb Dumitru, Lille"), if mostly people.
            return found
    return first_found
