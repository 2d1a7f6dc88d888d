"""Article metadata from markup: JSON-LD, ``<meta>`` tags, titles, authors, dates,
language, and the evidence the article classifier reads."""

from __future__ import annotations

import html as html_lib
import json
import logging
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

from bs4 import Tag
from lxml import etree as lxml_etree

from newsetl.dates import find_date_in_text, parse_date, parse_date_local
from newsetl.discover.classify import ARTICLE_TYPE_HINTS
from newsetl.extraction.language import text_language
from newsetl.extraction.prepass import ANY_TAG, LxTag
from newsetl.extraction.selectors import COMMENTISH
from newsetl.extraction.walk import Walker
from newsetl.urls import registrable_domain

_JSONLD = re.compile(
    r"<script\b[^>]*?type\s*=\s*[\"']?application/ld\+json[^>]*>(.*?)</script\s*>",
    re.IGNORECASE | re.DOTALL,
)
_CDATA = re.compile(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$")
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_URLISH = re.compile(r"^(?:https?:|www\.|/)|\.(?:com|org|net|html?)(?:/|$)|@", re.IGNORECASE)
_BY_PREFIX = re.compile(
    r"^\s*(?:(?:written|posted|reported|words|story|text|photos?)\s+)?(?:by|von|par|por|door)\b[:\s]*",
    re.IGNORECASE,
)
_AUTHOR_SPLIT = re.compile(r"\s+(?:and|&|und|et|y)\s+|\s*[;|/]\s*|,\s+(?=\S+\s+\S+)", re.IGNORECASE)
_AUTHOR_TAIL = re.compile(
    r"\s*(?:[,|\-–—]\s*)?(?:\b(?:staff writer|contributor|correspondent|reporter|editor|"
    r"for\s+\w+.*|updated.*|published.*|posted.*|on\s+\w+\s+\d.*)|"
    r"\d{1,2}[:/.]\d{2}.*)$",
    re.IGNORECASE,
)
_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:•·»/｜]+\s+|\s+::\s+|\s*[｜ㅣ]\s*")
# Full-width separators that CJK titles write without spaces: "見出し：サイト名"
_CJK_SEPARATORS = re.compile(r"\s*[｜：ㅣ|]\s*")

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


def clean_authors(raw: Iterable[str]) -> list[str]:
    """Normalise author strings: drop "By", URLs, e-mails, roles; split "A and B"; dedupe."""
    out: list[str] = []
    seen: set[str] = set()
    for item in raw:
        if not item:
            continue
        text = " ".join(item.split())
        if _URLISH.search(text) and len(text.split()) == 1:
            continue
        text = _BY_PREFIX.sub("", text)
        for part in _AUTHOR_SPLIT.split(text):
            name = _BY_PREFIX.sub("", part).strip(" ,.:;|-–—()[]\"'")
            name = _AUTHOR_TAIL.sub("", name).strip(" ,.:;|-–—()[]\"'")
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


def clean_title(
    title: str | None, site_name: str | None = None, h1: str | None = None
) -> str | None:
    """Strip a " | Site Name" style suffix (or prefix) from a page title."""
    if not title:
        return None
    title = " ".join(title.split())
    if not title:
        return None
    if h1:
        h1 = " ".join(h1.split())
        if h1.lower() == title.lower():
            return title  # the page's own headline: any " - " in it is part of the title
        if h1 and h1 != title and h1 in title and len(h1.split()) >= 2:
            before = title[: title.index(h1)].rstrip()
            if before.endswith((":", "：")) and len(before.split()) <= 8:
                return title  # "Kicker: headline": the topic line belongs to the title
            return h1
    site = (site_name or "").strip()
    if site and not title.isascii():
        parts = _CJK_SEPARATORS.split(title)
        if len(parts) >= 2 and parts[-1].strip() == site:
            head = re.sub(r"[\s｜：ㅣ|]+$", "", title[: title.rfind(parts[-1])])
            return head or title
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    site = (site_name or "").strip().lower()
    if site:
        if parts[-1].strip().lower() == site:
            return title[: title.rfind(parts[-1])].rstrip(" |-–—:•·»/")
        if parts[0].strip().lower() == site:
            return title[len(parts[0]) :].lstrip(" |-–—:•·»/")
    # No site name known: drop a short last (or first) part when the rest is longer.
    first, last = parts[0], parts[-1]
    if len(last.split()) <= 4 and len(first.split()) > len(last.split()) + 1:
        return title[: title.rfind(last)].rstrip(" |-–—:•·»/")
    if len(first.split()) <= 3 and len(last.split()) > len(first.split()) + 2 and len(parts) == 2:
        return last
    return title


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


_DATE_META_KEYS = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "published_time",
    "article.published",
    "publish-date",
    "publish_date",
    "publishdate",
    "pubdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date.created",
    "dcterms.created",
    "dc.date",
    "dcterms.date",
    "date",
    "article:modified_time",
    "og:updated_time",
    "datemodified",
    "last-modified",
)
_AUTHOR_META_KEYS = (
    "author",
    "article:author",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "byl",
)


_DATE_ATTRS = ("datetime", "content", "title", "data-timestamp", "data-date")
_DATE_CLASS = re.compile(r"date|time|published|posted", re.IGNORECASE)
_AUTHOR_CLASS = re.compile(r"author|byline|creator", re.IGNORECASE)


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
        itemprop = attrs.get("itemprop")
        itemprop = itemprop.lower() if isinstance(itemprop, str) else ""
        key = (attrs.get("class"), attrs.get("id"))
        verdict = verdicts.get(key)
        if verdict is None:
            marks = f"{key[0] or ''} {key[1] or ''}"
            verdict = verdicts[key] = (
                _DATE_CLASS.search(marks) is not None,
                _AUTHOR_CLASS.search(marks) is not None and COMMENTISH.search(marks) is None,
            )
        if len(dates) < 20 and (
            verdict[0] or "datepublished" in itemprop or name in ("time", "abbr")
        ):
            dates.append(wrap(tag) if wrap else tag)
        if len(authors) < 20:
            rel = attrs.get("rel")
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


def _date_from_tags(tags: list[Any], dayfirst: bool | None = None) -> datetime | None:
    for tag in tags:
        for attr in _DATE_ATTRS:
            stamp = tag.attrs.get(attr)
            if isinstance(stamp, str):
                dt = parse_date_local(stamp, dayfirst)
                if dt:
                    return dt
    for tag in tags:
        text = tag.get_text(" ", strip=True)
        if text and len(text) < 200:
            dt = find_date_in_text(text, dayfirst)
            if dt:
                return dt
    return None


def _author_from_tags(tags: list[Any]) -> list[str]:
    for tag in tags:
        attrs = tag.attrs
        inner = tag.find(attrs={"itemprop": "name"}) if tag.name != "a" else None
        content = attrs.get("content")
        if inner is None and isinstance(content, str) and content.strip():
            text = content
        else:
            text = (inner or tag).get_text(" ", strip=True)
        if text and len(text) < 120:
            found = clean_authors([text])
            if found:
                return found
    return []


def find_published(
    article_ld: dict[str, Any],
    metas: dict[str, str],
    walker: Walker,
    dayfirst: bool | None = None,
) -> datetime | None:
    """The publication date as the page wrote it (aware in its own offset, or naive).

    The page's own markup first (JSON-LD, meta tags, ``<time>``), then the visible
    byline and date elements; a modification date only when nothing else says.
    """
    for value in (article_ld.get("datePublished"), article_ld.get("dateCreated")):
        dt = parse_date_local(value, dayfirst)
        if dt:
            return dt
    for key in _DATE_META_KEYS[:-3]:
        dt = parse_date_local(metas.get(key), dayfirst)
        if dt:
            return dt
    for stamp in walker.times:
        dt = parse_date_local(stamp, dayfirst)
        if dt:
            return dt
    dt = _date_from_tags(walker.bylines[:10], dayfirst)
    can_scan = walker.soup is not None or walker.cuts is not None
    if dt:
        if can_scan and dt.tzinfo is None and (dt.hour, dt.minute, dt.second) == (0, 0, 0):
            # A byline's "27. Januar 2026" gives the day; a date element of the same
            # day elsewhere on the page may give its time too.
            scanned = _date_from_tags(_scan_tree(walker)[0], dayfirst)
            if scanned is not None and scanned.date() == dt.date():
                return scanned
        return dt
    if can_scan:
        dt = _date_from_tags(_scan_tree(walker)[0], dayfirst)
        if dt:
            return dt
    for value in (article_ld.get("dateModified"),):
        dt = parse_date_local(value, dayfirst)
        if dt:
            return dt
    for key in _DATE_META_KEYS[-3:]:
        dt = parse_date_local(metas.get(key), dayfirst)
        if dt:
            return dt
    return None


# dateparser, which htmldate asks about date strings in words, tries each of its ~200
# locales on every string unless told the language, compiling their patterns on first use:
# about 4 s of CPU in every new process. It is told the page's language (and English);
# a page whose language is unknown gets this list. On the metadata dev set as many blog
# dates are read to the day as with every locale.
_DATEPARSER_LANGUAGES = (
    "en de fr es it pt nl da sv nb fi pl cs sk sl hr hu ro el ru uk bg tr id ja zh ko"
).split()
_DATEPARSER_SETTINGS = {  # htmldate's own (htmldate.extractors.get_external_parser)
    "NORMALIZE": True,
    "PARSERS": ["custom-formats", "absolute-time"],
    "PREFER_DATES_FROM": "past",
    "PREFER_LOCALE_DATE_ORDER": True,
    "RETURN_AS_TIMEZONE_AWARE": False,
    "STRICT_PARSING": True,
}
_page_languages: list[str] = list(_DATEPARSER_LANGUAGES)  # the page being read


@lru_cache(maxsize=64)
def _dateparser_for(languages: tuple[str, ...]) -> Any:
    from dateparser import DateDataParser

    return DateDataParser(languages=list(languages), settings=_DATEPARSER_SETTINGS)


@lru_cache(maxsize=1)
def _htmldate() -> Any:
    """htmldate's ``find_date``, its date parser told the languages of the page being
    read (``_page_languages``); None when htmldate is missing."""
    try:
        from htmldate import extractors, find_date
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    logging.getLogger("htmldate").setLevel(logging.ERROR)
    logging.getLogger("dateparser").setLevel(logging.ERROR)
    if hasattr(extractors, "get_external_parser"):
        try:
            _dateparser_for(("en",))
        except Exception:  # noqa: BLE001 - keep htmldate's own parser if this fails
            pass
        else:
            extractors.get_external_parser = lambda: _dateparser_for(  # type: ignore[assignment]
                tuple(_page_languages)
            )
    return find_date


def date_by_htmldate(doc: str, url: str | None, language: str | None = None) -> datetime | None:
    """htmldate's guess at the publication day of the page ``doc`` (its HTML as served),
    for a page whose markup and bylines gave none: it reads the URL, the visible text and
    many more date patterns and languages (a naive midnight: the day, no time or offset)."""
    find_date = _htmldate()
    if find_date is None:  # pragma: no cover - a declared dependency
        return None
    lang = (language or "").split("-")[0].lower()
    _page_languages[:] = (
        [lang] + (["en"] if lang != "en" else [])
        if lang in _DATEPARSER_LANGUAGES
        else _DATEPARSER_LANGUAGES
    )
    try:
        day = find_date(doc, url=url, original_date=True, extensive_search=True)
    except Exception:  # noqa: BLE001 - a third-party heuristic must not fail a page
        return None
    if not day or day[4:10] == "-01-01":
        # With nothing better htmldate answers January 1 of the copyright year: a day
        # no page gave. No date is better than an invented one.
        return None
    try:
        return datetime.strptime(day[:10], "%Y-%m-%d")
    except ValueError:
        return None


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


def _squash(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum())


def _organisations(article_ld: dict[str, Any], metas: dict[str, str], url: str | None) -> set[str]:
    """The publisher's names as the page gives them (JSON-LD ``publisher`` and any
    organisation ``author``, ``og:site_name``, ``application-name``), squashed to letters
    and digits, plus the site's own name from its host (``stern`` of www.stern.de)."""
    names: list[str] = []
    if article_ld:
        names += jsonld_names(article_ld.get("publisher"))
        authors = article_ld.get("author")
        for node in authors if isinstance(authors, list) else [authors]:
            if isinstance(node, dict) and "organization" in str(node.get("@type", "")).lower():
                names += jsonld_names(node)
    names += [metas.get("og:site_name") or "", metas.get("application-name") or ""]
    out = {_squash(n) for n in names if n}
    host = (urlsplit(url).hostname or "") if url else ""
    if host:
        out.add(_squash(registrable_domain(host).split(".")[0]))
    return {n for n in out if len(n) >= 2}


def _is_organisation(name: str, orgs: set[str]) -> bool:
    squashed = _squash(name)
    return bool(squashed) and any(squashed == o or squashed.startswith(o) for o in orgs)


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
        for key in _AUTHOR_META_KEYS:
            value = metas.get(key)
            if value:
                yield clean_authors([value])
        yield clean_authors(walker.author_links)
        if walker.soup is not None or walker.cuts is not None:
            yield _author_from_tags(_scan_tree(walker)[1])

    for found in candidates():
        if not found:
            continue
        if not first_found:
            if not all(_is_organisation(n, orgs) for n in found):
                return found
            first_found = found
        elif all(_person_like(n) and not _is_organisation(n, orgs) for n in found):
            return found  # a person named after the publisher was: the byline wins
    return first_found


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
