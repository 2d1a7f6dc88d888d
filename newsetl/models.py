"""Records passed between the stages: a fetched page, an extracted article, a decision.

The core package is pure Python: these records travel as JSON lines between the crawl
child process and the flow, and as Arrow rows into Parquet (see ``storage``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

# How a page was found: fixed vocabulary, written to the fetch log.
DISCOVERY_KINDS = ("start", "robots", "sitemap", "feed", "listing", "link", "pagination")

# What a fetched URL was: fixed vocabulary.
PAGE_KINDS = ("page", "sitemap", "feed", "robots")


@dataclass(slots=True)
class FetchedPage:
    """One fetch, as the spider records it (one JSON line in ``pages.jsonl``).

    ``body_path`` is relative to the crawl's output folder, set only for HTML bodies that
    were kept for extraction. ``reason`` is None for a usable page, else a short code such
    as ``http_404``, ``timeout``, ``robots_disallowed``, ``not_html``, ``too_large``,
    ``redirect_loop``, ``offsite_redirect``, ``connection_error``.
    """

    url: str
    final_url: str | None = None
    status: int | None = None
    content_type: str | None = None
    bytes: int = 0
    fetched_at: str | None = None  # ISO 8601, UTC
    kind: str = "page"
    discovered_via: str = "start"
    depth: int = 0
    reason: str | None = None
    body_path: str | None = None
    encoding_hint: str | None = None  # charset from the Content-Type header, if any
    etag: str | None = None
    last_modified: str | None = None
    content_language: str | None = None
    # Evidence from the place the URL was found: a feed item or a sitemap entry.
    in_feed: bool = False
    in_sitemap: bool = False
    listed_as_heading: bool = False  # linked from a listing page as a heading
    listed_title: str | None = None
    listed_published: str | None = None  # ISO 8601 as found (feed pubDate, sitemap news date)
    listed_language: str | None = None  # a Google News sitemap's <news:language>
    lastmod: str | None = None
    start_url: str | None = None
    # The newest date a sitemap or feed gave the page in this crawl (ISO 8601, UTC): the
    # next crawl compares the dates listed then with this one, like with like.
    listed_date: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FetchedPage:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass(slots=True)
class Extracted:
    """What ``extract.extract_article`` returns for one HTML page.

    ``published_at`` is timezone-aware UTC or None. ``text`` holds paragraphs separated
    by one blank line. The evidence fields feed ``classify.decide``.
    """

    url: str | None = None
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    published_utc_offset_min: int | None = None  # the page's own UTC offset; None if not given
    language: str | None = None
    text: str = ""
    canonical_url: str | None = None  # rel=canonical, else og:url; absolute
    description: str | None = None  # og:description / meta description / JSON-LD
    image: str | None = None  # the top image: og:image, else JSON-LD image; absolute
    tags: list[str] = field(default_factory=list)  # article:tag, news_keywords, keywords
    modified_at: datetime | None = None  # last modification, aware UTC
    site_name: str | None = None  # og:site_name, else the JSON-LD publisher's name
    amp_of: str | None = None  # for an AMP page: the URL of the page it mirrors
    # behind a subscriber wall (JSON-LD isAccessibleForFree false, a wall notice) or said
    # to be free; None when the page says neither
    paywalled: bool | None = None
    # Evidence
    jsonld_types: list[str] = field(default_factory=list)
    og_type: str | None = None
    paragraph_count: int = 0
    link_density: float = 0.0  # share of the page's visible text that sits inside links
    content_link_density: float = 0.0  # the same share within the chosen main content
    content_headline_links: int = 0  # linked one-line headlines in the main content (teasers)
    has_published_meta: bool = False  # article:published_time, JSON-LD datePublished, ...
    dated_items: int = 0  # distinct days of <time datetime> outside boilerplate (teasers' dates)

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    def published_local(self) -> datetime | None:
        """``published_at`` in the page's own UTC offset (UTC when it gave none)."""
        return local_time(self.published_at, self.published_utc_offset_min)


def local_time(when: datetime | None, offset_min: int | None) -> datetime | None:
    """An aware UTC instant shown in the publisher's UTC offset (UTC when unknown)."""
    if when is None or offset_min is None:
        return when
    return when.astimezone(timezone(timedelta(minutes=offset_min)))


class FetchFate(StrEnum):
    """Why a fetch gave no usable page: the ``reason`` written to ``pages.jsonl`` and the
    fetch log. One vocabulary for the spider, the run summary and ``newsetl status``.

    An error is a page we wanted and could not have; a skip is a decision (robots.txt, the
    page budget, a page that had not changed); a discovery problem belongs to a sitemap or
    feed fetch (their records are counted apart from pages). ``http_<status>`` is written
    with the status code: :meth:`http` makes it, :meth:`of` reads it back as ``HTTP``.
    """

    # errors
    HTTP = "http_"
    TIMEOUT = "timeout"
    CONNECTION_ERROR = "connection_error"
    DNS_ERROR = "dns_error"
    TOO_LARGE = "too_large"
    REDIRECT_LOOP = "redirect_loop"
    DOWNLOAD_ERROR = "download_error"
    BAD_REDIRECT = "bad_redirect"
    # skips
    ROBOTS_DISALLOWED = "robots_disallowed"
    NOT_HTML = "not_html"
    OFFSITE_REDIRECT = "offsite_redirect"
    MAX_PAGES = "max_pages"
    REDIRECT_DUPLICATE = "redirect_duplicate"
    NOT_FETCHED = "not_fetched"
    INTERRUPTED = "interrupted"
    NOT_MODIFIED = "not_modified"
    SUPERSEDED = "superseded"  # queued again at a higher priority: never written
    # discovery documents (sitemaps, feeds)
    NOT_SITEMAP = "not_sitemap"
    NOT_FEED = "not_feed"
    MALFORMED_XML = "malformed_xml"
    TRUNCATED_XML = "truncated_xml"
    XML_BOMB = "xml_bomb"
    XML_TOO_DEEP = "xml_too_deep"
    XML_LIMIT = "xml_limit"

    @classmethod
    def http(cls, status: int) -> str:
        """The reason written for an HTTP answer outside 2xx: ``http_404``."""
        return f"{cls.HTTP.value}{status}"

    @classmethod
    def of(cls, reason: str) -> FetchFate | None:
        """The member a written reason stands for (``http_404`` -> ``HTTP``); None if unknown."""
        if reason.startswith(cls.HTTP.value):
            return cls.HTTP
        try:
            return cls(reason)
        except ValueError:
            return None

    @property
    def is_error(self) -> bool:
        return self in _ERROR_FATES

    @property
    def is_skip(self) -> bool:
        return self in _SKIP_FATES

    @property
    def is_discovery(self) -> bool:
        return self in _DISCOVERY_FATES


_ERROR_FATES = frozenset(
    {
        FetchFate.HTTP,
        FetchFate.TIMEOUT,
        FetchFate.CONNECTION_ERROR,
        FetchFate.DNS_ERROR,
        FetchFate.TOO_LARGE,
        FetchFate.REDIRECT_LOOP,
        FetchFate.DOWNLOAD_ERROR,
        FetchFate.BAD_REDIRECT,
    }
)
_SKIP_FATES = frozenset(
    {
        FetchFate.ROBOTS_DISALLOWED,
        FetchFate.NOT_HTML,
        FetchFate.OFFSITE_REDIRECT,
        FetchFate.MAX_PAGES,
        FetchFate.REDIRECT_DUPLICATE,
        FetchFate.NOT_FETCHED,
        FetchFate.INTERRUPTED,
        FetchFate.NOT_MODIFIED,
        FetchFate.SUPERSEDED,
    }
)
_DISCOVERY_FATES = frozenset(
    {
        FetchFate.NOT_SITEMAP,
        FetchFate.NOT_FEED,
        FetchFate.MALFORMED_XML,
        FetchFate.TRUNCATED_XML,
        FetchFate.XML_BOMB,
        FetchFate.XML_TOO_DEEP,
        FetchFate.XML_LIMIT,
    }
)
# The written form of the skips, for code that tests a reason string.
SKIP_REASONS = frozenset(f.value for f in _SKIP_FATES)


def is_skip_reason(reason: str | None) -> bool:
    """A fetch left out on purpose (robots.txt, the budget, not modified, ...)."""
    return bool(reason) and reason in SKIP_REASONS


def is_error_reason(reason: str | None) -> bool:
    """A fetch that went wrong: any reason that is not a skip (``http_<status>`` included)."""
    return bool(reason) and reason not in SKIP_REASONS
