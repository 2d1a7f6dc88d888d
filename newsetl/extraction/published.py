"""The publication date of a page: every date the page gives, scored, the best one kept.

Candidates come from the page's markup (JSON-LD, ``<meta>``, ``<time>``, ``itemprop``), its
visible lines (bylines, the date line next to the headline, date elements) and its URL.
Each source has a rank (how often it names the publication rather than another date);
the best-ranked candidate wins unless two other sources agree on another day. Then the
winner is written in the page's own offset: a UTC value another source gives in local
time takes that offset, and a local time without offset borrows the offset of a source
that gives the same wall clock with one (never invented). htmldate is the last resort
(``date_by_htmldate``), for pages whose markup and lines name no date.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import islice
from typing import Any

from newsetl.dates import (
    date_from_url,
    day_first,
    find_dates_in_text,
    find_relative_date,
    parse_date_local,
)
from newsetl.extraction.metadata import _scan_tree, iter_jsonld_nodes
from newsetl.extraction.walk import Walker

# meta keys that name the publication (in order) ...
_PUBLISHED_KEYS = (
    "article:published_time",
    "og:published_time",
    "og:article:published_time",
    "datepublished",
    "published_time",
    "article.published",
    "publish-date",
    "publish_date",
    "publication_date",
    "publishdate",
    "pubdate",
    "parsely-pub-date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date.created",
    "dcterms.created",
)
# ... keys that often carry the day a CMS last touched the page ...
_LOOSE_KEYS = ("date", "dc.date", "dcterms.date", "sailthru.date")
# ... and the modification date, taken only when nothing else gives one.
_MODIFIED_KEYS = ("article:modified_time", "og:updated_time", "datemodified", "last-modified")

# Ranks: lower is more often the publication date.
LD, META, OTHER_LD, MARKED, TIME, BYLINE, HEADLINE, LOOSE, ELEMENT, RELATIVE, URL, MODIFIED = range(
    12
)

_DATE_ATTRS = ("datetime", "content", "title", "data-timestamp", "data-date")
# date elements of teasers, cards, comments and page chrome: other articles' dates
_NOT_OURS = re.compile(
    r"teaser|related|recommend|card|sidebar|widget|footer|promo|trending|popular|"
    r"site-header|timezones|comment|disqus|repl(?:y|ies)|modif|last-?updated",
    re.IGNORECASE,
)
_FUTURE_SLACK = timedelta(days=1)  # a page dated after it was fetched names another date


@dataclass(slots=True)
class Candidate:
    """One date the page gives: as written (aware in its offset, or naive), and its rank."""

    dt: datetime
    rank: int


def _marks(attrs: Any) -> str:
    cls = attrs.get("class")
    if cls is not None and not isinstance(cls, str):
        cls = " ".join(cls)
    return f"{cls or ''} {attrs.get('id') or ''}"


def _is_ours(tag: Any) -> bool:
    """False for a date element inside a teaser, a comment or the page's chrome (its own
    class/id or those of its 4 nearest ancestors say so)."""
    el = getattr(tag, "el", None)
    if el is not None:  # an lxml element (LxTag)
        chain = [el.attrib, *(a.attrib for _, a in zip(range(4), el.iterancestors(), strict=False))]
    else:
        chain = [tag.attrs, *(p.attrs for _, p in zip(range(4), tag.parents, strict=False))]
    return not any(_NOT_OURS.search(_marks(attrs)) for attrs in chain if attrs)


# a label saying the date that follows is the last change, not the publication
_UPDATE_LABEL = re.compile(
    r"(?:updated|update|modified|aktualisiert|geändert|mis à jour|modifié|actualizado|"
    r"actualización|aggiornat[oa]|bijgewerkt|atualizado|обновлено|güncellen\w*|更新)"
    r"\W{0,3}(?:\w+\W{1,3}){0,2}$",
    re.IGNORECASE,
)


def line_date(text: str, dayfirst: bool | None) -> tuple[datetime | None, bool]:
    """The first date of a visible line that is not labelled as an update, and whether
    the line gave only update dates ("Updated May 6, 2019" -> that date, True)."""
    first: datetime | None = None
    for dt, start in find_dates_in_text(text, dayfirst):
        if not _UPDATE_LABEL.search(text[max(0, start - 40) : start]):
            return dt, False
        first = first or dt
    return first, first is not None


def _tag_dates(tags: list[Any], dayfirst: bool | None, limit: int) -> list[tuple[datetime, bool]]:
    """Dates of date elements (machine attributes first, then their text), each with
    whether the element's text labels it an update."""
    out: list[tuple[datetime, bool]] = []
    for tag in tags:
        text = tag.get_text(" ", strip=True)
        text = text if len(text) < 200 else ""
        from_text, is_update = line_date(text, dayfirst) if text else (None, False)
        for attr in _DATE_ATTRS:
            stamp = tag.attrs.get(attr)
            if isinstance(stamp, str):
                dt = parse_date_local(stamp, dayfirst)
                if dt:
                    out.append((dt, is_update))
                    break
        else:
            if from_text:
                out.append((from_text, is_update))
        if len(out) >= limit:
            break
    return out


def _following_texts(el: Any) -> Iterator[str]:
    """The text nodes after lxml element ``el`` (not its own), in document order."""
    cur = el
    while cur is not None:
        if cur.tail:
            yield cur.tail
        for sib in cur.itersiblings():
            if isinstance(sib.tag, str):
                yield from sib.itertext()
            if sib.tail:
                yield sib.tail
        cur = cur.getparent()  # then the parent's tail and its later siblings


def _preceding_texts(el: Any) -> Iterator[str]:
    """The text nodes before lxml element ``el``, nearest first."""
    cur = el
    while cur is not None:
        for sib in cur.itersiblings(preceding=True):
            if sib.tail:
                yield sib.tail
            if isinstance(sib.tag, str):
                yield from reversed(list(sib.itertext()))
        cur = cur.getparent()
        if cur is not None and cur.text:
            yield cur.text


def _lines(texts: Iterable[str], limit: int) -> list[str]:
    return list(islice((" ".join(t.split()) for t in texts if not t.isspace()), limit))


_AFTER_LINES, _BEFORE_LINES = 12, 3  # a byline or date line sits this close to the headline


def _headline(walker: Walker, title: str | None) -> Any:
    """The page's headline element: the first ``<h1>`` of two words or more, half of them
    in the title (a site logo in an ``<h1>`` is not the headline); the first ``<h1>``
    when no title is known; on a page without ``<h1>``, an ``<h2>`` three quarters of
    whose words are in the title; None when there is none."""
    text_of: Callable[[Any], str]
    if walker.cuts is not None:
        h1s: list[Any] = list(islice(walker.cuts.root.iter("h1"), 10))
        h2s: Iterable[Any] = walker.cuts.root.iter("h2")
        text_of = _lx_text
    elif walker.soup is not None:
        h1s = walker.soup.find_all("h1", limit=10)
        h2s = walker.soup.find_all("h2", limit=20)
        text_of = _soup_text
    else:
        return None
    seen_h1 = bool(h1s)
    want = set(_WORD.findall(f"{title or ''} {walker.title or ''}".casefold()))
    for h1 in islice(h1s, 10):
        words = _WORD.findall(text_of(h1).casefold())
        if not want or (len(words) >= 2 and 2 * sum(w in want for w in words) >= len(words)):
            return h1
    if not want or seen_h1:
        return None
    for h2 in islice(h2s, 20):  # a page without an <h1>: its headline may be an <h2>
        words = _WORD.findall(text_of(h2).casefold())
        if len(words) >= 3 and 4 * sum(w in want for w in words) >= 3 * len(words):
            return h2
    return None


_WORD = re.compile(r"\w+")


def _lx_text(el: Any) -> str:
    return " ".join(el.itertext())


def _soup_text(tag: Any) -> str:
    return str(tag.get_text(" "))


def _headline_lines(walker: Walker, title: str | None) -> tuple[list[str], list[str]]:
    """The text lines right after the headline and right before it (nearest first)."""
    h1 = _headline(walker, title)
    if h1 is None:
        return [], []
    if walker.cuts is not None:
        return (
            _lines(_following_texts(h1), _AFTER_LINES),
            _lines(_preceding_texts(h1), _BEFORE_LINES),
        )
    after = (str(t) for t in h1.find_all_next(string=True, limit=4 * _AFTER_LINES))
    before = (str(t) for t in h1.find_all_previous(string=True, limit=4 * _BEFORE_LINES))
    return _lines(after, _AFTER_LINES), _lines(before, _BEFORE_LINES)


def _headline_date(
    walker: Walker, title: str | None, dayfirst: bool | None
) -> tuple[datetime | None, bool]:
    """The first date in a short line next to the headline: below it (before the text
    begins), else just above it (a kicker or date line); and whether it is an update."""
    after, before = _headline_lines(walker, title)
    for lines in (after, before):
        for i, line in enumerate(lines):
            if len(line) > 160:
                break  # the article text has begun
            dt, is_update = line_date(_with_next(line, lines, i), dayfirst)
            if dt:
                return dt, is_update
    return None, False


def _relative_date(walker: Walker, title: str | None, fetched_at: datetime) -> datetime | None:
    """A relative date ("vor 3 Stunden", "yesterday") in a byline or next to the headline."""
    after, before = _headline_lines(walker, title)
    bylines = [tag.get_text(" ", strip=True) for tag in walker.bylines[:10]]
    for line in (*bylines, *after[:6], *before):
        if len(line) <= 120:
            dt = find_relative_date(line, fetched_at)
            if dt is not None:
                return dt
    return None


def _with_next(line: str, lines: list[str], i: int) -> str:
    """A line with the next one when it is a bare time ("28.04.2020" + "18:00 Uhr")."""
    if i + 1 < len(lines) and len(lines[i + 1].strip()) <= 12:
        return f"{line} {lines[i + 1].strip()}"
    return line


def _other_ld_date(blocks: list[Any], article_ld: dict[str, Any]) -> Any:
    """``datePublished`` of a JSON-LD node that is not the article (``WebPage`` ...)."""
    for block in blocks:
        for node in iter_jsonld_nodes(block):
            if node is not article_ld and node.get("datePublished"):
                return node.get("datePublished")
    return None


def candidates(
    jsonld: list[Any],
    article_ld: dict[str, Any],
    metas: dict[str, str],
    walker: Walker,
    url: str | None,
    dayfirst: bool | None,
    title: str | None = None,
    fetched_at: datetime | None = None,
) -> list[Candidate]:
    """Every date the page gives, with the rank of its source; relative dates ("vor 3
    Stunden") only when the fetch time is known."""
    out: list[Candidate] = []

    def add(value: Any, rank: int) -> None:
        dt = value if isinstance(value, datetime) else parse_date_local(value, dayfirst)
        if dt is not None:
            out.append(Candidate(dt, rank))

    for value in (article_ld.get("datePublished"), article_ld.get("dateCreated")):
        add(value, LD)
    for key in _PUBLISHED_KEYS:
        add(metas.get(key) or metas.get(key.replace("_", ":")), META)  # also article:published:time
    add(_other_ld_date(jsonld, article_ld), OTHER_LD)
    can_scan = walker.soup is not None or walker.cuts is not None
    try:
        scanned = _scan_tree(walker)[0] if can_scan else []
    except Exception:  # noqa: BLE001 - a date heuristic must not fail the page
        scanned, can_scan = [], False
    marked = [t for t in scanned if "datepublished" in str(t.attrs.get("itemprop") or "").lower()]
    for dt, _ in _tag_dates(marked, dayfirst, limit=1):
        add(dt, MARKED)
    for stamp in walker.times[:3]:
        add(stamp, TIME)
    for dt, is_update in _tag_dates(walker.bylines[:10], dayfirst, limit=1):
        add(dt, MODIFIED if is_update else BYLINE)
    if can_scan:
        near, is_update = _headline_date(walker, title, dayfirst)
        add(near, MODIFIED if is_update else HEADLINE)
    for key in _LOOSE_KEYS:
        add(metas.get(key), LOOSE)
    ours = [t for t in scanned if _is_ours(t)]
    for dt, is_update in _tag_dates(ours, dayfirst, limit=3):
        add(dt, MODIFIED if is_update else ELEMENT)
    if fetched_at is not None and not any(c.rank <= ELEMENT for c in out):
        add(_relative_date(walker, title, fetched_at), RELATIVE)
    add(metas.get("uploaddate"), URL)  # a video's upload: the page's day when nothing else is
    add(date_from_url(url), URL)
    add(article_ld.get("dateModified"), MODIFIED)
    for key in _MODIFIED_KEYS:
        add(metas.get(key), MODIFIED)
    return out


def _instant(dt: datetime) -> datetime:
    return dt.astimezone(UTC) if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _has_clock(dt: datetime) -> bool:
    return (dt.hour, dt.minute, dt.second) != (0, 0, 0)


def choose(found: list[Candidate], fetched_at: datetime | None = None) -> datetime | None:
    """The publication date among the candidates, in the page's own offset where it
    gives one (see the module docstring)."""
    if fetched_at is not None:
        limit = _instant(fetched_at) + _FUTURE_SLACK
        found = [c for c in found if _instant(c.dt) <= limit]
    if not found:
        return None
    found = sorted(found, key=lambda c: c.rank)
    best = found[0]
    if best.rank < MODIFIED:
        best = _agreed(found, best)
    return _localised(best.dt, [c.dt for c in found if c.rank < MODIFIED])


def _agreed(found: list[Candidate], best: Candidate) -> Candidate:
    """``best``, or the best candidate of another day that two other sources give while
    no second source gives ``best``'s day; one of the two must be markup (meta,
    ``itemprop``, ``<time>``) unless ``best`` is itself a visible line."""
    days: dict[Any, set[int]] = {}
    for c in found:
        if c.rank < URL:
            group = LD if c.rank == OTHER_LD else c.rank  # one JSON-LD graph, one source
            days.setdefault(_day(c.dt), set()).add(group)
    if len(days.get(_day(best.dt), ())) > 1:
        return best
    rivals = [
        day
        for day, groups in days.items()
        if len(groups) >= 2 and (min(groups) <= TIME or best.rank >= BYLINE)
    ]
    if len(rivals) != 1:
        return best
    return next(c for c in found if _day(c.dt) == rivals[0])


def _day(dt: datetime) -> Any:
    return dt.date()


def _localised(dt: datetime, others: list[datetime]) -> datetime:
    """``dt`` in the page's own offset: the same instant as another source writes it in a
    non-zero offset; a naive value with the offset of a source giving the same wall clock."""
    if dt.tzinfo is not None:
        if dt.utcoffset():
            return dt
        instant = _instant(dt)
        for other in others:
            if other.tzinfo is not None and other.utcoffset() and _instant(other) == instant:
                return other
        for other in others:  # the page's local wall clock, written without an offset
            if other.tzinfo is None and _has_clock(other) and other.second == dt.second:
                shift = other - dt.replace(tzinfo=None)
                minutes = shift.total_seconds() / 60
                if minutes and minutes % 15 == 0 and -12 * 60 <= minutes <= 14 * 60:
                    return other.replace(tzinfo=_zone(int(minutes)))
        return dt
    for other in others:
        if other.tzinfo is not None and other.replace(tzinfo=None) == dt:
            if _has_clock(dt):
                return other
    if not _has_clock(dt):
        # a bare day ("27. Januar 2026"): a source of the same day may give its time
        for other in others:
            if _has_clock(other) and other.date() == dt.date():
                return other
    return dt


def _zone(minutes: int) -> Any:
    from datetime import timezone

    return timezone(timedelta(minutes=minutes))


def page_day_first(language: str | None, declared: Iterable[Any]) -> bool | None:
    """Whether the page writes numeric dates day first (``dates.day_first``), read from the
    fullest tag it declares for its language: ``en-GB`` (day first) where the detected
    language is only ``en``."""
    primary = (language or "").split("-")[0].lower()
    for tag in declared:
        if (
            isinstance(tag, str)
            and primary
            and tag.replace("_", "-").split("-")[0].lower() == primary
        ):
            if "-" in tag.replace("_", "-"):
                return day_first(tag)
    return day_first(language)


def find_published(
    jsonld: list[Any],
    article_ld: dict[str, Any],
    metas: dict[str, str],
    walker: Walker,
    url: str | None = None,
    dayfirst: bool | None = None,
    fetched_at: datetime | None = None,
    title: str | None = None,
) -> datetime | None:
    """The publication date as the page wrote it (aware in its own offset, or naive);
    None when the page names none (then ``date_by_htmldate`` may)."""
    found = candidates(jsonld, article_ld, metas, walker, url, dayfirst, title, fetched_at)
    return choose(found, fetched_at)


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
    for a page whose markup and lines gave none: it reads many more date patterns and
    languages (a naive midnight: the day, no time or offset)."""
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
