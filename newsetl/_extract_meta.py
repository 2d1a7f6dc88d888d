"""Article metadata from markup: JSON-LD, ``<meta>`` tags, titles, authors, dates, language."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

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
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)|\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2}\b")
_LANG = re.compile(r"^([a-z]{2,3})(?:$|[-_])", re.IGNORECASE)

ARTICLE_TYPE_HINTS = ("article", "posting", "report", "blog")


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


def parse_date(value: Any, dayfirst: bool | None = None) -> datetime | None:
    """Parse a date string to an aware UTC datetime; naive values are taken as UTC."""
    dt = parse_date_local(value, dayfirst)
    if dt is None:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    try:
        return dt.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def parse_date_local(value: Any, dayfirst: bool | None = None) -> datetime | None:
    """Parse a date string as the page wrote it: aware in the page's own UTC offset when
    the value gives one, naive when it gives none (no offset is invented).

    Numeric dates are read in the order the page's language writes them: ``07.11.2023``
    is 7 November (dots are day-first wherever they are used), ``11/07/2023`` is
    November 7 only where ``dayfirst`` is False (American English); a part above 12
    settles the order whatever the language. Month names of the common European
    languages are read as well as English ones.
    """
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 80:
        return None
    dt: datetime | None = None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        dt = None
    if dt is None:
        if not _YEAR.search(text):
            return None  # dateutil would fill in the current year
        dt = _parse_loose(_english_months(_iso_numeric(text, dayfirst)))
    if dt is None or not (1990 <= dt.year <= 2100):
        return None
    if dt.tzinfo is not None:
        try:
            dt.utcoffset()
        except (OverflowError, ValueError):
            return None
    return dt


def day_first(language: str | None) -> bool | None:
    """Whether numeric dates put the day first on a page in ``language`` (a BCP 47 tag):
    False for American English, True for the other languages and English regions, None
    when the page does not say."""
    if not language:
        return None
    tag = language.strip().lower().replace("_", "-")
    if not tag:
        return None
    if tag in ("en", "en-us") or tag.startswith("en-us-"):
        return False
    return True


_NUMERIC_YMD = re.compile(r"(?<![\d.])((?:19|20)\d\d)([-/.])(\d{1,2})\2(\d{1,2})(?![\d])")
_NUMERIC_DMY = re.compile(r"(?<![\d.:])(\d{1,2})([-/.])(\d{1,2})\2((?:19|20)\d\d|\d\d)(?![\d:])")


def _iso_numeric(text: str, dayfirst: bool | None) -> str:
    """``text`` with its first all-numeric date rewritten as ``YYYY-MM-DD`` in the order
    the page means (see :func:`parse_date_local`); unchanged when there is none."""
    m = _NUMERIC_YMD.search(text)
    if m:
        year, month, day = int(m.group(1)), int(m.group(3)), int(m.group(4))
    else:
        m = _NUMERIC_DMY.search(text)
        if not m:
            return text
        a, sep, b, y = int(m.group(1)), m.group(2), int(m.group(3)), m.group(4)
        year = int(y) if len(y) == 4 else 2000 + int(y)
        if a > 12 >= b:
            day, month = a, b
        elif b > 12 >= a:
            day, month = b, a
        elif sep == "." or dayfirst:
            day, month = a, b
        else:
            day, month = b, a
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return text
    return f"{text[: m.start()]}{year:04d}-{month:02d}-{day:02d}{text[m.end() :]}"


# Month names (full and the usual abbreviations) of the languages newsetl meets most,
# mapped to English for dateutil. Abbreviations shared with English are left out.
_MONTH_WORDS = {
    1: "januar janvier enero gennaio januari janeiro jänner jaenner styczeń stycznia ene gen janv",
    2: "februar février fevrier febrero febbraio februari fevereiro lutego luty févr fevr febr",
    3: "märz maerz mars marzo maart março marco marca mär mrz",
    4: "avril abril aprile kwietnia avr",
    5: "mai mayo maggio mei maio maja",
    6: "juni juin junio giugno junho czerwca juin",
    7: "juli juillet julio luglio julho lipca juil",
    8: "august août aout agosto augustus sierpnia aoû",
    9: "september septembre septiembre settembre setembro września sept sett",
    10: "oktober octobre octubre ottobre outubro października okt ott",
    11: "november novembre noviembre novembro listopada",
    12: "dezember décembre decembre diciembre dicembre december dezembro grudnia dez déc dic",
}
_ENGLISH_MONTHS = (
    "January February March April May June July August September October November December"
).split()
_MONTH_OF = {w: m for m, words in _MONTH_WORDS.items() for w in words.split()}
MONTH_NAME = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|"
    + "|".join(sorted((re.escape(w) for w in _MONTH_OF), key=len, reverse=True))
    + r")\.?"
)
_FOREIGN_MONTH = re.compile(
    r"(?<!\w)("
    + "|".join(sorted(map(re.escape, _MONTH_OF), key=len, reverse=True))
    + r")\.?(?!\w)",
    re.IGNORECASE,
)


def _english_months(text: str) -> str:
    """``text`` with month names of other languages replaced by English ones."""
    if text.isascii() and not re.search(r"[a-z]{3}", text, re.I):
        return text
    return _FOREIGN_MONTH.sub(lambda m: _ENGLISH_MONTHS[_MONTH_OF[m.group(1).lower()] - 1], text)


_TZ_OFFSETS = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "BST": 3600,
    "CET": 3600,
    "CEST": 7200,
    "EET": 7200,
    "EEST": 10800,
    "IST": 19800,
    "JST": 32400,
    "KST": 32400,
    "AEST": 36000,
    "AEDT": 39600,
    "EST": -18000,
    "EDT": -14400,
    "CST": -21600,
    "CDT": -18000,
    "MST": -25200,
    "MDT": -21600,
    "PST": -28800,
    "PDT": -25200,
}


def _parse_loose(text: str) -> datetime | None:
    """dateutil's parser with common zone abbreviations; None when it finds no date."""
    try:
        from dateutil import parser as dateparser
    except ImportError:  # pragma: no cover - declared dependency
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fuzzy in (False, True):
            try:
                return dateparser.parse(text, fuzzy=fuzzy, tzinfos=_TZ_OFFSETS)
            except (ValueError, OverflowError, TypeError, AttributeError):
                continue
            except Exception:  # noqa: BLE001 - dateutil raises assorted errors on garbage
                return None
    return None


_TEXT_DATE = re.compile(
    r"(?<![\d.])(?P<date>\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?!\d)|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})(?!\d)"
    rf"|\d{{1,2}}(?:st|nd|rd|th|\.|er|º)?\s*(?:de\s+)?{MONTH_NAME},?\s+(?:de\s+)?\d{{4}}"
    rf"|{MONTH_NAME}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
    r"(?:[\s,|/@·•–-]*(?:um|at|à|a las|alle|om|kl\.?)?\s*"
    r"(?P<time>[0-2]?\d[:.h][0-5]\d)(?!\d)\s*(?P<ampm>[ap]\.?m\.?)?)?",
    re.IGNORECASE,
)


def find_date_in_text(text: str, dayfirst: bool | None = None) -> datetime | None:
    """The first full calendar date (with a year) in a short line such as a byline or a
    date line ("Do 25.04.24 | 14:07 Uhr", "21. Jan 2022 // Name", "1. Februar 2022"),
    with its time of day when one follows; as the page wrote it (see
    :func:`parse_date_local`)."""
    for match in _TEXT_DATE.finditer(text):
        chunk = match.group("date")
        if match.group("time"):
            clock = re.sub(r"[.h]", ":", match.group("time"))
            chunk += (
                " "
                + clock
                + (" " + match.group("ampm").replace(".", "") if match.group("ampm") else "")
            )
        dt = parse_date_local(chunk, dayfirst)
        if dt is None and match.group("time"):
            dt = parse_date_local(match.group("date"), dayfirst)
        if dt is not None:
            return dt
    return None


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
