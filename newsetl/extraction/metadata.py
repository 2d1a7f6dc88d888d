"""Article metadata from markup: JSON-LD, ``<meta>`` tags, titles, authors, dates,
language, and the evidence the article classifier reads."""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

from bs4 import Tag
from lxml import etree as lxml_etree

from newsetl.dates import parse_date
from newsetl.discover.classify import ARTICLE_TYPE_HINTS
from newsetl.extraction.language import text_language
from newsetl.extraction.prepass import ANY_TAG, LxTag
from newsetl.extraction.selectors import COMMENTISH
from newsetl.extraction.walk import Walker

_JSONLD = re.compile(
    r"<script\b[^>]*?type\s*=\s*[\"']?application/ld\+json[^>]*>(.*?)</script\s*>",
    re.IGNORECASE | re.DOTALL,
)
_CDATA = re.compile(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$")
_TRAILING_COMMA = re.compile(r",\s*([}\]])")

_LANG = re.compile(r"^([a-z]{2,3})(?:$|[-_])", re.IGNORECASE)


def find_jsonld(html: str) -> list[Any]:
    """Parse every JSON-LD block in the raw page; blocks that are not valid JSON are skipped."""
    out: list[Any] = []
    for match in _JSONLD.finditer(html):
        raw = _CDATA.sub("", match.group(1).strip())
        if not raw:
            continue
        try:
            out.append(json.loads(raw, strict=False))
        except ValueError:
            try:
                out.append(json.loads(_TRAILING_COMMA.sub(r"\1", raw), strict=False))
            except ValueError:
                continue
    return out


def iter_jsonld_nodes(data: Any) -> Iterator[dict[str, Any]]:
    """Yield top-level JSON-LD objects, list items and ``@graph`` members (not nested values)."""
    if isinstance(data, list):
        for item in data:
            yield from iter_jsonld_nodes(item)
    elif isinstance(data, dict):
        yield data
        graph = data.get("@graph")
        if isinstance(graph, list | dict):
            yield from iter_jsonld_nodes(graph)


def _types_of(node: dict[str, Any]) -> list[str]:
    value = node.get("@type")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def jsonld_types(blocks: list[Any]) -> list[str]:
    """All ``@type`` values of the top-level and ``@graph`` objects, in order, without repeats."""
    seen: dict[str, None] = {}
    for block in blocks:
        for node in iter_jsonld_nodes(block):
            for t in _types_of(node):
                seen.setdefault(t, None)
    return list(seen)


def jsonld_article(blocks: list[Any]) -> dict[str, Any]:
    """The JSON-LD object that describes the article (an Article/Posting type), or {}."""
    best: dict[str, Any] = {}
    for block in blocks:
        for node in iter_jsonld_nodes(block):
            types = [t.lower() for t in _types_of(node)]
            if any(h in t for t in types for h in ARTICLE_TYPE_HINTS):
                if not best or (node.get("articleBody") and not best.get("articleBody")):
                    best = node
            elif not best and node.get("headline") and node.get("datePublished"):
                best = node
    return best


def jsonld_names(value: Any) -> Iterator[str]:
    """The names in a JSON-LD value: strings, `name`s of nodes, given + family names."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        name = value.get("name")
        if isinstance(name, str):
            yield name
        elif isinstance(name, list):
            yield from (n for n in name if isinstance(n, str))
        else:
            given, family = value.get("givenName"), value.get("familyName")
            if isinstance(given, str) and isinstance(family, str):
                yield f"{given} {family}"
    elif isinstance(value, list):
        for item in value:
            yield from jsonld_names(item)


def jsonld_authors(node: dict[str, Any]) -> list[str]:
    """Author names from a JSON-LD article object (``author``, else ``creator``)."""
    value = node.get("author") or node.get("creator")
    return list(jsonld_names(value))


def normalize_language(value: str | None) -> str | None:
    """``en-US`` / ``en_GB`` / ``EN`` -> ``en``; None when it is not a language tag."""
    if not value:
        return None
    value = value.strip().split(",")[0].strip()
    match = _LANG.match(value)
    if not match:
        return None
    code = match.group(1).lower()
    if len(code) == 3:
        return _ISO639_3_TO_1.get(code)
    return code


_ISO639_3_TO_1 = {
    "eng": "en",
    "deu": "de",
    "ger": "de",
    "fra": "fr",
    "fre": "fr",
    "spa": "es",
    "ita": "it",
    "por": "pt",
    "nld": "nl",
    "dut": "nl",
    "rus": "ru",
    "jpn": "ja",
    "zho": "zh",
    "chi": "zh",
    "ara": "ar",
    "kor": "ko",
    "pol": "pl",
    "swe": "sv",
    "tur": "tr",
}


def detect_language(text: str) -> str | None:
    """Guess the language of ``text`` with py3langid; None for too little text."""
    if len(text) < 40:
        return None
    try:
        import py3langid
    except ImportError:  # pragma: no cover - declared dependency
        return None
    try:
        lang, _score = py3langid.classify(text[:5000])
    except Exception:  # noqa: BLE001 - detection is best effort
        return None
    return normalize_language(lang)


PUBLISHED_META_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "publication_date",
    "pubdate",
)


def meta_map(metas: list[dict[str, Any]]) -> dict[str, str]:
    """``property``/``name``/``itemprop``/``http-equiv`` (lower-case) -> first content."""
    out: dict[str, str] = {}
    for attrs in metas:
        content = attrs.get("content")
        if content is None:
            continue
        if not isinstance(content, str):
            content = " ".join(content)
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = attrs.get(attr)
            if key and isinstance(key, str):
                out.setdefault(key.strip().lower(), content.strip())
    return out


_DATE_CLASS = re.compile(r"date|time|published|posted", re.IGNORECASE)
_AUTHOR_CLASS = re.compile(r"author|byline|creator", re.IGNORECASE)
# The same patterns (all lower case) without IGNORECASE, for ASCII text lower-cased first:
# several times faster, and for ASCII text the same verdict.
_DATE_ASCII, _AUTHOR_ASCII, _COMMENT_ASCII = (
    re.compile(p.pattern).search for p in (_DATE_CLASS, _AUTHOR_CLASS, COMMENTISH)
)


def _class_verdict(marks: str) -> tuple[bool, bool]:
    """Whether class/id words ``marks`` name a date, and an author outside comments."""
    if marks.isascii():
        low = marks.lower()
        return (
            _DATE_ASCII(low) is not None,
            _AUTHOR_ASCII(low) is not None and _COMMENT_ASCII(low) is None,
        )
    return (
        _DATE_CLASS.search(marks) is not None,
        _AUTHOR_CLASS.search(marks) is not None and COMMENTISH.search(marks) is None,
    )


def _scan_tree(walker: Walker) -> tuple[list[Any], list[Any]]:
    """Date and author elements anywhere in the page, boilerplate included (one pass, cached).

    Reads the whole lxml tree the soup was built from when there is one (the soup lacks
    the subtrees no walk enters), else the soup.
    """
    if walker.scanned is not None:
        return walker.scanned
    # (element, its attributes, its name); lxml elements are wrapped only when kept.
    tags: Iterator[tuple[Any, Any, str]]
    wrap: Any
    if walker.cuts is not None:
        walker.cuts.restore_all()
        tags = ((el, el.attrib, el.tag) for el in walker.cuts.root.iter(lxml_etree.Element))
        wrap = LxTag
    elif walker.soup is not None:
        tags = ((tag, tag.attrs, tag.name) for tag in walker.soup.descendants if type(tag) is Tag)
        wrap = None
    else:
        return [], []
    dates: list[Any] = []
    authors: list[Any] = []
    verdicts: dict[tuple[Any, Any], tuple[bool, bool]] = {}
    for tag, attrs, name in tags:
        if not attrs:
            continue
        get = attrs.get
        key = (get("class"), get("id"))
        verdict = verdicts.get(key)
        if verdict is None:
            verdict = verdicts[key] = _class_verdict(f"{key[0] or ''} {key[1] or ''}")
        itemprop = get("itemprop")
        rel = get("rel")
        if not (verdict[0] or verdict[1] or itemprop or rel or name in ("time", "abbr")):
            continue  # most elements: neither list can take them
        itemprop = itemprop.lower() if isinstance(itemprop, str) else ""
        if len(dates) < 20 and (
            verdict[0] or "datepublished" in itemprop or name in ("time", "abbr")
        ):
            dates.append(wrap(tag) if wrap else tag)
        if len(authors) < 20:
            rel = rel if isinstance(rel, str) else " ".join(rel or ())
            if verdict[1] or (
                ("author" in itemprop or "author" in rel)
                and COMMENTISH.search(f"{key[0] or ''} {key[1] or ''}") is None
            ):
                authors.append(wrap(tag) if wrap else tag)
        elif len(dates) >= 20:
            break
    walker.scanned = (dates, authors)
    return walker.scanned


def _ld_url(value: Any) -> str | None:
    """The first URL of a JSON-LD ``image``: a string, a list, or ``ImageObject`` nodes."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            item = item.get("url") or item.get("contentUrl")
        if isinstance(item, str) and item.strip():
            return item.strip()
    return None


def page_extras(
    article_ld: dict[str, Any], metas: dict[str, str], walker: Walker, url: str | None
) -> dict[str, Any]:
    """Description, top image, tags, modification time and publisher of a page."""
    image = metas.get("og:image") or metas.get("og:image:url") or metas.get("twitter:image")
    if not image and article_ld:
        image = _ld_url(article_ld.get("image"))
    if image:
        image = urljoin(url, image.strip()) if url else image.strip()
    tags: list[str] = []
    seen: set[str] = set()
    raw = [
        attrs.get("content")
        for attrs in walker.metas
        if str(attrs.get("property") or attrs.get("name") or "").lower()
        in ("article:tag", "news_keywords", "keywords")
    ]
    raw += list(jsonld_names(article_ld.get("keywords"))) if article_ld else []
    for value in raw:
        if not isinstance(value, str):
            continue
        for tag in re.split(r"\s*[,;]\s*", value):
            tag = " ".join(tag.split())
            if tag and len(tag) <= 80 and tag.lower() not in seen:
                seen.add(tag.lower())
                tags.append(tag)
    modified = parse_date(article_ld.get("dateModified")) if article_ld else None
    for key in ("article:modified_time", "og:updated_time", "datemodified"):
        modified = modified or parse_date(metas.get(key))
    publisher = [
        " ".join(n.split())
        for n in jsonld_names(article_ld.get("publisher") if article_ld else None)
    ]
    desc = article_ld.get("description") if article_ld else None
    return {
        "image": image or None,
        "tags": tags[:50],
        "modified": modified,
        "publisher": publisher[0] if publisher and not _SCHEME_START.match(publisher[0]) else None,
        "desc": " ".join(desc.split()) or None if isinstance(desc, str) else None,
    }


_SCHEME_START = re.compile(r"^(?:https?:)?//", re.I)


def find_language(
    html_tag: Tag | None, metas: dict[str, str], content_language: str | None, text: str
) -> str | None:
    candidates = [
        html_tag.attrs.get("lang") if html_tag is not None else None,
        html_tag.attrs.get("xml:lang") if html_tag is not None else None,
        content_language,
        metas.get("content-language"),
        metas.get("og:locale"),
        metas.get("language"),
        metas.get("dc.language"),
    ]
    for value in candidates:
        if isinstance(value, str):
            lang = normalize_language(value)
            if lang:
                return text_language(text, lang)  # the text wins where it clearly differs
    return detect_language(text)


LD_MARKUP = re.compile(r"</?(?:p|br|div|h[1-6]|li|ul|ol|blockquote|a|em|strong|span)\b", re.I)
_LD_BREAK = re.compile(
    r"<(?:/?(?:p|div|h[1-6]|li|ul|ol|blockquote|figure|table|tr)|br)\b[^>]*>", re.I
)


def markup_to_text(fragment: str) -> str:
    """HTML inside a JSON-LD ``articleBody`` as plain text: one line per block element."""
    text = _LD_BREAK.sub("\n", fragment)
    return html_lib.unescape(ANY_TAG.sub("", text))
