"""The "news" spider: discovers a news site's pages from any start URL and fetches them politely.

What a start URL is gets decided from the response (content type and root element), never
from its name: an HTML page, a sitemap (``<urlset>``), a sitemap index, an RSS/RDF/Atom feed,
gzipped or not. From a site root or a listing page the spider also reads robots.txt
``Sitemap:`` lines, tries ``/sitemap.xml``, follows advertised feeds, pagination and
same-site links. Pages that look like articles (og:type / JSON-LD Article, or an article-shaped
URL) and sitemap/feed entries are fetched but not expanded, so a single-article start URL
fetches just that article (and robots.txt).

Every fetch attempt becomes one :class:`newsetl.models.FetchedPage` JSON line in
``<out>/pages.jsonl`` (flushed per line); kept HTML bodies go to
``<out>/bodies/<sha1(final url)>.html`` as raw bytes. ``spiders.crawl`` runs it.

``scrapy crawl news -a start_urls=https://example.com/ -a out_dir=out -a max_pages=50``
works too (``start_urls`` may be comma- or space-separated).
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, StopDownload
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from newsetl.archive import ARCHIVE_NAME
from newsetl.crawldir import CrawlWriter, write_stats
from newsetl.discover.documents import (
    GZIP_TYPES,
    HTML_TYPES,
    XML_TYPES,
    Entry,
    is_posts_sitemap,
    is_taxonomy_sitemap,
    parse_text_sitemap,
    read_feed,
    read_sitemap,
    robots_sitemaps,
    sniff,
    split_content_type,
)
from newsetl.discover.links import analyse_html, url_shape
from newsetl.models import FetchedPage, FetchFate, is_error_reason
from newsetl.urls import clean_url, known_key, origin, url_key

from .incremental import KnownUrl, parse_date, read_known
from .middlewares import BudgetExhausted, RobotsDisallowed, Superseded

# ---------------------------------------------------------------------------------------
# URL helpers

_OWN_META = ("nl_", "newsetl_", "dont_redirect", "handle_httpstatus_all")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_RECORD_FIELDS = tuple(f.name for f in fields(FetchedPage))


def record_dict(rec: FetchedPage) -> dict[str, Any]:
    """``rec.to_dict()`` without dataclasses.asdict's deep copy (every field is a scalar)."""
    return {name: getattr(rec, name) for name in _RECORD_FIELDS}


def reason_for(exc: BaseException) -> str:
    """Map a download failure to a short reason code."""
    name = type(exc).__name__
    if isinstance(exc, RobotsDisallowed):
        return FetchFate.ROBOTS_DISALLOWED
    if isinstance(exc, Superseded):
        return FetchFate.SUPERSEDED
    if isinstance(exc, BudgetExhausted):
        return FetchFate.MAX_PAGES
    if name in ("DownloadTimeoutError", "TimeoutError", "TCPTimedOutError", "UserTimeout"):
        return FetchFate.TIMEOUT
    if name in ("CannotResolveHostError", "DNSLookupError"):
        return FetchFate.DNS_ERROR
    if "DOWNLOAD_MAXSIZE" in str(exc):  # HttpCompressionMiddleware: too big once decompressed
        return FetchFate.TOO_LARGE
    if name in ("DownloadCancelledError", "CancelledError"):
        # DOWNLOAD_MAXSIZE is the only thing that cancels a download here
        return FetchFate.TOO_LARGE
    if name in (
        "DownloadConnectionRefusedError",
        "ConnectionRefusedError",
        "ConnectError",
        "ConnectionLost",
        "ConnectionDone",
        "DownloadFailedError",
        "ResponseFailed",
        "ResponseDataLossError",
        "TunnelError",
        "ResponseNeverReceived",
    ):
        return FetchFate.CONNECTION_ERROR
    if isinstance(exc, OSError):
        return FetchFate.CONNECTION_ERROR
    return FetchFate.DOWNLOAD_ERROR


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value]


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(slots=True)
class Site:
    """One start URL and the origins (scheme, host, port) its crawl may visit."""

    start_url: str
    origins: set[tuple[str, str, int | None]]
    index_fetches: int = 0
    expanded: bool = False  # site-wide discovery (robots sitemaps, /sitemap.xml) scheduled
    counts: Counter = field(default_factory=Counter)


# Request priorities: discovery documents first, then what they list, then plain links.
PRIO_START = 100
PRIO_INDEX = 50
PRIO_ENTRY = 30
PRIO_PAGINATION = 20
PRIO_LISTED_PAGE = 10  # a sitemap entry shaped like a tag, section, author or service page
PRIO_LINK = 0
MAX_PAGINATION_CHAIN = 200


@dataclass(slots=True)
class Gate:
    """Per origin: start URLs, sitemaps and feeds sent and not yet answered. While any are
    out, new page requests for the origin wait in ``held``, so the listings' evidence
    (in_sitemap, lastmod, feed title) reaches each page's record and listed entries get the
    page budget before plain links."""

    inflight: int = 0
    held: list = field(default_factory=list)


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(
        self,
        start_urls: Any = None,
        out_dir: str | Path = "crawl-output",
        max_pages: int | str = 200,
        allow_offsite: Any = False,
        include: Any = None,
        exclude: Any = None,
        known: Any = None,
        archive: Any = True,
        revisit_after: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if isinstance(start_urls, str):
            start_urls = start_urls.replace(",", " ").split()
        self.start_urls = [clean_url(u) for u in start_urls or []]
        self.out_dir = Path(out_dir)
        self.max_pages = int(max_pages)
        # Known articles last fetched at least this long ago are asked for again
        # (conditionally); None: only when a sitemap or feed lists a newer date.
        self.revisit_after_s = float(revisit_after) if revisit_after else None
        self.allow_offsite = _as_bool(allow_offsite)
        self.include = [re.compile(p) for p in _as_list(include)]
        self.exclude = [re.compile(p) for p in _as_list(exclude)]
        # Incremental crawling: URLs fetched by earlier crawls (see spiders.incremental).
        self.known: dict[str, KnownUrl] = {}
        self.known_bad_lines = 0
        self.known_path = str(known) if known else None
        if known:
            self.known, self.known_bad_lines = read_known(known, known_key)
        self.skipped_known: dict[str, tuple[str, str]] = {}  # key -> (url, start url)
        # Incremental mode: per listing page (key), the links on it that may be new
        # articles (see _pagination_worthwhile).
        self.listing_candidates: dict[str, frozenset[str]] = {}
        self.listed_dates: dict[str, datetime] = {}  # key -> newest sitemap/feed date
        self.archive_enabled = _as_bool(archive)
        self._archive_failed = False
        # Tunables, overwritten from settings in from_crawler.
        self.depth_limit = 4
        self.max_index_fetches = 50
        self.max_skipped_records = 1000
        self.max_redirects = 5
        self.max_sitemap_size = 50 * 1024 * 1024
        self.page_maxsize = 10 * 1024 * 1024
        # State
        self.sites: dict[str, Site] = {}
        self.seen: set[str] = set()
        self.evidence: dict[str, dict[str, Any]] = {}
        self.pending: dict[str, dict[str, Any]] = {}  # budgeted requests not yet recorded
        # page requests sent to the scheduler and not yet answered, to raise the priority
        # of a link that a sitemap or feed then lists (see _upgrade)
        self.queued: dict[str, Request] = {}
        self._upgradable: bool | None = None  # see _can_upgrade
        self.robots_sitemaps: dict[str, list[str]] = {}
        self.gates: dict[tuple[str, str, int | None], Gate] = {}
        self.pages_reserved = 0
        self.budget_exhausted = False  # no more page requests are scheduled
        self.budget_hit = False  # some known page was not fetched because of the budget
        self.counts: Counter = Counter()
        self.errors_by_reason: Counter = Counter()
        self.skipped_by_reason: Counter = Counter()
        self.discovery_by_reason: Counter = Counter()
        self.not_scheduled: Counter = Counter()
        self.crawl_dir = CrawlWriter(self.out_dir)  # pages.jsonl, bodies/, the WARC
        self._progress_loop: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.depth_limit = settings.getint("DEPTH_LIMIT", 4)
        spider.max_index_fetches = settings.getint("NEWSETL_MAX_INDEX_FETCHES_PER_SITE", 50)
        spider.max_skipped_records = settings.getint("NEWSETL_MAX_SKIPPED_RECORDS", 1000)
        spider.max_redirects = settings.getint("REDIRECT_MAX_TIMES", 5)
        spider.page_maxsize = settings.getint("DOWNLOAD_MAXSIZE") or spider.page_maxsize
        spider.max_sitemap_size = max(
            settings.getint("NEWSETL_MAX_SITEMAP_SIZE", 50 * 1024 * 1024),
            settings.getint("DOWNLOAD_MAXSIZE"),
        )
        # Bound methods: Scrapy keeps weak references, the spider keeps them alive.
        crawler.signals.connect(spider._on_opened, signal=signals.spider_opened)
        crawler.signals.connect(spider._on_closed, signal=signals.spider_closed)
        crawler.signals.connect(spider._on_headers, signal=signals.headers_received)
        crawler.signals.connect(spider._on_idle, signal=signals.spider_idle)
        return spider

    # -- lifecycle ------------------------------------------------------------------

    def _on_opened(self, spider: Any = None) -> None:
        self.crawl_dir.open(
            archive_info={
                "robots": "obey",
                "http-header-user-agent": self.settings.get("USER_AGENT"),
                "description": "newsetl crawl of " + " ".join(self.start_urls),
            }
            if self.archive_enabled
            else None
        )
        from twisted.internet.task import LoopingCall

        self._progress_started = time.monotonic()
        self._progress_loop = LoopingCall(self.print_progress)
        self._progress_loop.start(2.0, now=False)

    def _on_closed(self, spider: Any = None, reason: str = "") -> None:
        if self._progress_loop is not None and self._progress_loop.running:
            self._progress_loop.stop()
        # Requests still queued when the crawl stopped (interrupted, or the budget was
        # spent while they waited): record them so the log says what was not fetched.
        # Scrapy's reason is "shutdown" when the crawl was stopped by a signal (Ctrl-C).
        leftover = (
            FetchFate.MAX_PAGES
            if self.budget_hit
            else FetchFate.INTERRUPTED
            if reason == "shutdown"
            else FetchFate.NOT_FETCHED
        )
        for info in list(self.pending.values()):
            self._skip(info["url"], leftover, info)
        self.pending.clear()
        self.print_progress()
        self.crawl_dir.close_pages()
        self.crawl_dir.close_archive()
        try:
            write_stats(self.out_dir, self.crawler.stats.get_stats(), self.summary(reason))
        except OSError:
            self.logger.exception("could not write stats.json")

    def print_progress(self) -> None:
        if os.environ.get("NEWSETL_QUIET"):
            return
        # Counted as the run summary and `newsetl status` count: every fetch that got an
        # answer, robots.txt, sitemaps and feeds included.
        c = self.counts
        index = c["robots_fetched"] + c["sitemaps_fetched"] + c["feeds_fetched"]
        print(
            f"crawl: {c['pages_fetched'] + index} pages fetched ({c['html_pages']} html, "
            f"{index} robots.txt/sitemaps/feeds), {c['errors']} errors" + self._progress_tail(),
            file=sys.stderr,
            flush=True,
        )

    def _progress_tail(self) -> str:
        """'; N queued, R pages/s, about T s left' while pages wait (the ones a sitemap or
        feed listed are all known at once), within the page budget; '' otherwise."""
        left = min(len(self.pending), max(0, self.max_pages - self.counts["pages_fetched"]))
        elapsed = time.monotonic() - getattr(self, "_progress_started", time.monotonic())
        if not left or elapsed <= 0:
            return ""
        rate = self.counts["pages_fetched"] / elapsed
        if rate <= 0:
            return f"; {left} queued"
        return f"; {left} queued, {rate:.0f} pages/s, about {left / rate:.0f} s left"

    def summary(self, scrapy_reason: str | None = None) -> dict[str, Any]:
        """Our counts for stats.json (JSON-safe)."""
        finish = scrapy_reason or "unknown"
        if self.budget_hit and finish == "finished":
            finish = "max_pages"
        skipped_per_site = Counter(start for _, start in self.skipped_known.values())
        return {
            "finish_reason": finish,
            "scrapy_finish_reason": scrapy_reason,
            "start_urls": list(self.start_urls),
            "max_pages": self.max_pages,
            "budget_exhausted": self.budget_hit,
            "pages_fetched": self.counts["pages_fetched"],
            "html_pages": self.counts["html_pages"],
            "errors": self.counts["errors"],
            "records": self.counts["records"],
            "sitemaps_fetched": self.counts["sitemaps_fetched"],
            "feeds_fetched": self.counts["feeds_fetched"],
            "robots_fetched": self.counts["robots_fetched"],
            "errors_by_reason": dict(self.errors_by_reason),
            "skipped_by_reason": dict(self.skipped_by_reason),
            "discovery_by_reason": dict(self.discovery_by_reason),
            "not_scheduled": dict(self.not_scheduled),
            # Incremental crawling (--known): known articles not fetched again, known
            # articles fetched with If-None-Match/If-Modified-Since, and their 304s.
            "known_file": self.known_path,
            "known_urls": len(self.known),
            "known_articles": sum(1 for k in self.known.values() if k.is_article),
            "known_bad_lines": self.known_bad_lines,
            "skipped_known": len(self.skipped_known),
            "skipped_known_urls": [u for u, _ in self.skipped_known.values()][
                : self.max_skipped_records
            ],
            "conditional_requests": self.counts["conditional_requests"],
            "not_modified": self.counts["not_modified"],
            "archive": (
                {
                    "path": ARCHIVE_NAME,
                    "fetches": self.counts["archived"],
                    "errors": self.counts["archive_errors"],
                }
                if self.archive_enabled
                else None
            ),
            "sites": {
                url: {"origins": sorted(f"{s}://{h}:{p}" for s, h, p in site.origins)}
                | dict(site.counts)
                | {"skipped_known": skipped_per_site.get(url, 0)}
                for url, site in self.sites.items()
            },
        }

    # -- budget (called by PageBudgetMiddleware) --------------------------------------

    def reserve_page(self, request: Request) -> bool:
        if self.pages_reserved >= self.max_pages:
            self.budget_exhausted = self.budget_hit = True
            return False
        self.pages_reserved += 1
        if self.pages_reserved >= self.max_pages:
            self.budget_exhausted = True
        return True

    def _as_index(self, response: Response, site: Site) -> bool:
        """A sitemap or feed arrived. If it was requested as a page (a start URL, a link to
        /feed/), move it from the page budget to the site's sitemap/feed budget; return
        whether its entries may be followed (False once that budget is spent)."""
        if response.meta.get("nl_kind") in ("sitemap", "feed"):
            return True  # counted when scheduled
        if site.index_fetches >= self.max_index_fetches:
            self.not_scheduled["index_limit"] += 1
            return False  # keeps its page-budget unit
        site.index_fetches += 1
        if response.meta.get("newsetl_reserved"):
            response.meta["newsetl_reserved"] = False
            self.pages_reserved -= 1
            self.budget_exhausted = self.pages_reserved >= self.max_pages
        return True

    # -- scheduling -----------------------------------------------------------------

    async def start(self):  # type: ignore[override]
        for url in self.start_urls:
            if urlsplit(url).scheme not in ("http", "https"):
                self.logger.error("not an http(s) URL, skipped: %s", url)
                continue
            site = self.sites.setdefault(url, Site(url, {origin(url)}))
            request = self._request(url, site, kind="start", via="start", depth=0)
            if request is not None:
                yield request

    def _on_site(self, url: str, site: Site) -> bool:
        return self.allow_offsite or origin(url) in site.origins

    def _request(
        self,
        url: str,
        site: Site,
        *,
        kind: str,
        via: str,
        depth: int,
        priority: int | None = None,
        evidence: dict[str, Any] | None = None,
        pagination: int = 0,
        listing_parent: str | None = None,
    ) -> Request | None:
        """A request for ``url`` found on ``site``, or None when it is not to be fetched
        (already seen, offsite, filtered, over a budget; budget skips are recorded)."""
        url = clean_url(url)
        if urlsplit(url).scheme not in ("http", "https"):
            return None
        key = url_key(url)
        if evidence:
            merged = self.evidence.setdefault(key, {})
            for name, value in evidence.items():
                if value and not merged.get(name):
                    merged[name] = value
            for name in ("lastmod", "listed_published"):
                when = parse_date(evidence.get(name))
                if when is not None and (
                    key not in self.listed_dates or when > self.listed_dates[key]
                ):
                    self.listed_dates[key] = when
        if key in self.seen:
            return self._upgrade(key, priority) if kind == "page" else None
        if kind != "start":
            if not self._on_site(url, site):
                self.not_scheduled["offsite"] += 1
                return None
            if any(p.search(url) for p in self.exclude):
                self.not_scheduled["excluded"] += 1
                return None
            if (
                self.include
                and kind == "page"
                and via != "pagination"
                and not any(p.search(url) for p in self.include)
            ):
                self.not_scheduled["not_included"] += 1
                return None
        known = self.known.get(key) if kind in ("page", "start") else None
        if known is not None and not known.is_article:
            known = None  # listings and other non-articles are fetched normally
        if known is not None and kind == "page":
            if not known.changed(self.listed_dates.get(key), revisit_after_s=self.revisit_after_s):
                # Not seen: a later listing may still show a newer date for it.
                self.skipped_known[key] = (url, site.start_url)
                return None
            self.skipped_known.pop(key, None)
        if kind in ("sitemap", "feed"):
            if self.budget_exhausted:
                self.not_scheduled["index_after_budget"] += 1
                return None
            if site.index_fetches >= self.max_index_fetches:
                self.not_scheduled["index_limit"] += 1
                return None
            site.index_fetches += 1
        budgeted = kind in ("page", "start")
        info = {
            "url": url,
            "kind": kind,
            "via": via,
            "depth": depth,
            "start_url": site.start_url,
        }
        if budgeted and kind == "page" and self.budget_exhausted:
            self.budget_hit = True
            self.seen.add(key)
            self._skip(url, FetchFate.MAX_PAGES, info)
            return None
        self.seen.add(key)
        if budgeted:
            self.pending[key] = info
        if kind in ("sitemap", "feed", "start"):
            self.gates.setdefault(origin(url), Gate()).inflight += 1
        if priority is None:
            priority = {
                "start": PRIO_START,
                "sitemap": PRIO_INDEX,
                "feed": PRIO_INDEX,
            }.get(kind, PRIO_LINK)
        meta = {
            "nl_kind": kind,
            "nl_via": via,
            "nl_depth": depth,
            "nl_start": site.start_url,
            "nl_orig": url,
            "nl_key": key,
            "nl_chain": [],
            "nl_pagination": pagination,
            "nl_gate": kind in ("sitemap", "feed", "start"),
            "nl_listing_parent": listing_parent,
            "newsetl_budget": budgeted,
            # The spider follows redirects itself (loops and offsite targets get recorded)
            # and wants every status (4xx/5xx get recorded).
            "dont_redirect": True,
            "handle_httpstatus_all": True,
        }
        if kind in ("sitemap", "start"):
            # The sitemap protocol allows 50 MB uncompressed; pages stay at DOWNLOAD_MAXSIZE.
            meta["download_maxsize"] = self.max_sitemap_size
        headers = None
        if known is not None:
            # A known article listed with a newer date, or a start URL: ask whether it
            # changed (a 304 is recorded as "not_modified").
            headers = known.conditional_headers()
            meta["nl_cond"] = True
        request = Request(
            url,
            callback=self.parse,
            errback=self.on_error,
            priority=priority,
            meta=meta,
            headers=headers,
        )
        if kind == "page" and self._can_upgrade():
            self.queued[key] = request
        return request

    def _can_upgrade(self) -> bool:
        """Whether queued requests stay the objects the spider made (the in-memory
        scheduler): a shared frontier or a job folder serialises them. Read once."""
        if self._upgradable is None:
            settings = getattr(self, "settings", None)
            if settings is None:
                return True  # not attached to a crawler yet
            self._upgradable = not settings.get("JOBDIR") and "Redis" not in str(
                settings.get("SCHEDULER")
            )
        return self._upgradable

    def _upgrade(self, key: str, priority: int | None) -> Request | None:
        """A page already queued as a plain link is now listed by a sitemap or a feed:
        queue it again at the entry's priority and let the first request be dropped
        unsent (``nl_superseded``), so that a mega-menu's hundreds of links queued first
        cannot take the page budget from the articles the site lists."""
        old = self.queued.get(key)
        if old is None or priority is None or priority <= old.priority:
            return None
        if old.meta.get("newsetl_reserved"):
            return None  # already on its way to the downloader
        # The same meta: the page keeps the way it was found first (a listing reached by
        # a link is still expanded), the entry's evidence is merged already.
        new = old.replace(priority=priority, meta=dict(old.meta), dont_filter=True)
        old.meta["nl_superseded"] = True
        self.queued[key] = new
        self.counts["raised_priority"] += 1
        return new

    # -- recording ------------------------------------------------------------------

    def _write(
        self, rec: FetchedPage, key: str | None = None, response: Response | None = None
    ) -> None:
        keys = [k for k in (key, url_key(rec.url)) if k]
        if rec.final_url and rec.final_url != rec.url:
            keys.append(url_key(rec.final_url))
        for k in keys:
            listed = self.listed_dates.get(k)
            if listed is not None and (
                rec.listed_date is None or listed.isoformat() > rec.listed_date
            ):
                rec.listed_date = listed.isoformat()
            ev = self.evidence.get(k)
            if ev:
                rec.in_sitemap = rec.in_sitemap or bool(ev.get("in_sitemap"))
                rec.in_feed = rec.in_feed or bool(ev.get("in_feed"))
                rec.listed_as_heading = rec.listed_as_heading or bool(ev.get("listed_as_heading"))
                rec.listed_title = rec.listed_title or ev.get("listed_title")
                rec.listed_published = rec.listed_published or ev.get("listed_published")
                rec.lastmod = rec.lastmod or ev.get("lastmod")
        for k in keys[:2]:
            self.pending.pop(k, None)
            self.queued.pop(k, None)
        site = self.sites.get(rec.start_url or "")
        self.counts["records"] += 1
        if rec.kind == "page":
            if rec.status is not None:
                self.counts["pages_fetched"] += 1
                if site:
                    site.counts["pages_fetched"] += 1
            if rec.body_path:
                self.counts["html_pages"] += 1
                if site:
                    site.counts["html_pages"] += 1
            if is_error_reason(rec.reason):
                self.counts["errors"] += 1
                self.errors_by_reason[rec.reason] += 1
                if site:
                    site.counts["errors"] += 1
            elif rec.reason:
                self.skipped_by_reason[rec.reason] += 1
        else:
            if rec.status is not None:
                self.counts[
                    f"{rec.kind}s_fetched" if rec.kind != "robots" else "robots_fetched"
                ] += 1
            if rec.reason:
                self.discovery_by_reason[f"{rec.kind}:{rec.reason}"] += 1
        data = record_dict(rec)
        self.crawl_dir.write_record(data)
        if response is not None and self.crawl_dir.archiving:
            self._archive_response(response, rec, data)

    def _archive_response(
        self, response: Response, rec: FetchedPage, data: dict[str, Any] | None = None
    ) -> None:
        """Append the fetch to archive.warc.gz (request, response, metadata records).
        Bodies the spider stopped downloading (PDF, images) are archived headers only."""
        request = getattr(response, "request", None)
        stopped = "download_stopped" in response.flags
        try:
            self.crawl_dir.archive_fetch(
                url=response.url,
                status=response.status,
                response_headers=_header_pairs(response.headers),
                body=b"" if stopped else response.body,
                request_headers=_header_pairs(request.headers) if request is not None else None,
                method=request.method if request is not None else "GET",
                protocol=getattr(response, "protocol", None) or "HTTP/1.1",
                fetched_at=rec.fetched_at,
                metadata=data if data is not None else record_dict(rec),
                truncated=stopped,
            )
            self.counts["archived"] += 1
        except Exception:  # the archive is a by-product: never fail the crawl for it
            self.counts["archive_errors"] += 1
            if not self._archive_failed:
                self._archive_failed = True
                self.logger.exception("could not write to %s", ARCHIVE_NAME)

    def _skip(self, url: str, reason: str, info: dict[str, Any]) -> None:
        """Record a URL that was known but not fetched (capped: see NEWSETL_MAX_SKIPPED_RECORDS)."""
        key = url_key(url)
        self.pending.pop(key, None)
        written = self.skipped_by_reason[reason]
        if written >= self.max_skipped_records:
            self.not_scheduled[f"{reason}_unrecorded"] += 1
            return
        kind = info.get("kind", "page")
        rec = FetchedPage(
            url=url,
            kind="page" if kind == "start" else kind,
            discovered_via=info.get("via", "link"),
            depth=info.get("depth", 0),
            reason=reason,
            start_url=info.get("start_url"),
            fetched_at=_now(),
        )
        self._write(rec, key)

    def _base_record(self, response: Response) -> FetchedPage:
        meta = response.meta
        mime, charset = split_content_type(response.headers.get(b"Content-Type"))
        kind = meta.get("nl_kind", "page")

        def header(name: bytes) -> str | None:
            value = response.headers.get(name)
            return value.decode("latin-1") if value else None

        return FetchedPage(
            url=meta.get("nl_orig", response.url),
            final_url=response.url,
            status=response.status,
            content_type=mime,
            bytes=len(response.body),
            fetched_at=_now(),
            kind="page" if kind == "start" else kind,
            discovered_via=meta.get("nl_via", "start"),
            depth=meta.get("nl_depth", 0),
            encoding_hint=charset,
            etag=header(b"ETag"),
            last_modified=header(b"Last-Modified"),
            content_language=header(b"Content-Language"),
            start_url=meta.get("nl_start"),
        )

    # -- callbacks ------------------------------------------------------------------

    def parse(self, response: Response, **kwargs: Any):
        site = self.sites[response.meta["nl_start"]]
        out = list(self._parse(response, site))
        done = not response.meta.get("nl_followed")
        yield from self._gate(out, response.meta if done else None)

    def _gate(self, out: list[Request], finished_meta: dict | None):
        """Pass requests on, holding page requests while their origin's start URLs,
        sitemaps or feeds are unanswered (see :class:`Gate`). What is passed on in one
        call (this response's requests and any held ones released by it) goes out
        highest priority first."""
        if finished_meta is not None and finished_meta.get("nl_gate"):
            finished_meta["nl_gate"] = False
            gate = self.gates.get(origin(finished_meta["nl_orig"]))
            if gate is not None:
                gate.inflight = max(0, gate.inflight - 1)
        ready: list[Request] = []
        for request in out:
            gate = self.gates.get(origin(request.url))
            if gate is not None and gate.inflight > 0 and request.meta.get("nl_kind") == "page":
                gate.held.append(request)
            else:
                ready.append(request)
        for gate in self.gates.values():
            if gate.inflight == 0 and gate.held:
                ready.extend(gate.held)
                gate.held = []
        yield from _release_order(ready)

    def _on_idle(self, spider: Any = None) -> None:
        """Safety net: if a gated request vanished without an answer (it should not),
        release the pages held for it rather than finish without them."""
        held = []
        for gate in self.gates.values():
            held.extend(gate.held)
            gate.held = []
            gate.inflight = 0
        if not held:
            return
        self.logger.warning("releasing %d held requests at idle", len(held))
        for request in _release_order(held):
            self.crawler.engine.crawl(request)
        raise DontCloseSpider

    def _parse(self, response: Response, site: Site):
        meta = response.meta
        key = meta.get("nl_key")
        if response.status in REDIRECT_STATUSES and b"Location" in response.headers:
            yield from self._redirect(response, site)
            return
        rec = self._base_record(response)
        if meta.get("nl_cond"):
            self.counts["conditional_requests"] += 1
        if response.status == 304 and meta.get("nl_cond"):
            # Unchanged since the known fetch. The record carries the validators (the
            # known ones unless the 304 sent new ones) so the next known file keeps them.
            self.counts["not_modified"] += 1
            known = self.known.get(key or "") or self.known.get(url_key(response.url))
            if known is not None:
                rec.etag = rec.etag or known.etag
                rec.last_modified = rec.last_modified or known.last_modified
            rec.reason = FetchFate.NOT_MODIFIED
            self._write(rec, key, response)
            return
        if not 200 <= response.status < 300:
            rec.reason = FetchFate.http(response.status)
            self._write(rec, key, response)
            if meta.get("nl_kind") == "start" and url_shape(response.url) != "article":
                # A site root that answers 404 (or 403 to robots) may still name its
                # sitemaps in robots.txt: read them rather than crawl nothing.
                yield from self._discover_site(response, site)
            return
        if meta.get("nl_chain"):
            self.seen.add(url_key(response.url))  # reached via redirects: do not fetch again
        if "download_stopped" in response.flags:
            doc, body = "other", response.body
        else:
            # A gzip payload (sitemap.xml.gz, or a page served as raw gzip) may expand no
            # further than the response itself could have been.
            limit = meta.get("download_maxsize") or self.page_maxsize
            doc, body = sniff(rec.content_type, response.body, limit=limit)
        kind = meta["nl_kind"]
        if doc == "too_large":
            rec.reason = FetchFate.TOO_LARGE
            self._write(rec, key, response)
        elif doc == "html" and kind in ("page", "start"):
            # as received (gunzipped if it was a .gz)
            rec.body_path = self.crawl_dir.write_body(response.url, body)
            self._write(rec, key, response)
            yield from self._expand_html(response, body, rec, site)
        elif doc in ("urlset", "sitemapindex") or (doc == "text" and kind == "sitemap"):
            rec.kind = "sitemap"
            if doc == "text":
                root, entries, problem = "urlset", parse_text_sitemap(body, response.url), None
                if not entries:
                    problem = FetchFate.NOT_SITEMAP  # no URL lines: plain text, binary junk
            else:
                root, entries, problem = read_sitemap(body, response.url)
            rec.reason = problem  # the entries read before a problem are still followed
            self._write(rec, key, response)
            if self._as_index(response, site):
                yield from self._sitemap_entries(response, root, entries, site)
        elif doc in ("rss", "atom", "rdf"):
            rec.kind = "feed"
            entries, rec.reason = read_feed(body, response.url)
            self._write(rec, key, response)
            if self._as_index(response, site):
                yield from self._feed_entries(response, entries, site)
        else:
            if kind in ("sitemap", "feed"):
                rec.reason = FetchFate(f"not_{kind}")
            else:
                rec.reason = FetchFate.NOT_HTML
            self._write(rec, key, response)

    def on_error(self, failure: Failure):
        request = failure.request  # type: ignore[attr-defined]
        meta = request.meta
        exc = failure.value
        reason = reason_for(exc)
        info = {
            "url": meta.get("nl_orig", request.url),
            "kind": meta.get("nl_kind", "page"),
            "via": meta.get("nl_via", "start"),
            "depth": meta.get("nl_depth", 0),
            "start_url": meta.get("nl_start"),
        }
        if reason == FetchFate.SUPERSEDED:
            return  # queued again at a higher priority: the other request records it
        if reason == FetchFate.MAX_PAGES:
            self.queued.pop(meta.get("nl_key") or url_key(info["url"]), None)
            self._skip(info["url"], reason, info)
            yield from self._gate([], meta)
            return
        kind = info["kind"]
        rec = FetchedPage(
            url=info["url"],
            final_url=request.url,
            fetched_at=_now(),
            kind="page" if kind == "start" else kind,
            discovered_via=info["via"],
            depth=info["depth"],
            reason=reason,
            start_url=info["start_url"],
        )
        if reason == FetchFate.DOWNLOAD_ERROR:  # not a failure we know: say what it was
            self.logger.warning(
                "fetch failed (%s, %s: %s): %s", reason, type(exc).__name__, exc, request.url
            )
        elif reason not in (FetchFate.ROBOTS_DISALLOWED,):
            self.logger.info("fetch failed (%s): %s", reason, request.url)
        self._write(rec, meta.get("nl_key"))
        yield from self._gate([], meta)

    def _on_headers(self, headers: Any, body_length: int, request: Request, **kwargs: Any) -> None:
        """Stop downloading bodies we will not keep (PDF, images, ...) once headers arrive."""
        kind = request.meta.get("nl_kind")
        if kind is None:
            return
        mime, _ = split_content_type(headers.get(b"Content-Type"))
        if not mime:
            return
        if mime in HTML_TYPES or mime in XML_TYPES or mime.endswith("+xml"):
            return
        if mime.startswith("text/"):
            return
        if mime in GZIP_TYPES and kind in ("start", "sitemap", "feed"):
            return
        raise StopDownload(fail=False)

    def robots_fetched(
        self,
        netloc: str,
        request: Request | None,
        *,
        response: Response | None = None,
        error: BaseException | None = None,
    ) -> None:
        """Called by RecordingRobotsTxtMiddleware for every robots.txt it fetched."""
        site = next(
            (s for s in self.sites.values() if urlsplit(s.start_url).netloc == netloc), None
        )
        if request is not None:
            scheme = urlsplit(request.url).scheme
        elif site is not None:
            scheme = urlsplit(site.start_url).scheme
        else:
            scheme = "http"
        url = f"{scheme}://{netloc}/robots.txt"
        rec = FetchedPage(
            url=url,
            kind="robots",
            discovered_via="start",
            fetched_at=_now(),
            start_url=site.start_url if site else None,
        )
        if response is not None:
            mime, charset = split_content_type(response.headers.get(b"Content-Type"))
            rec.final_url = response.url
            rec.status = response.status
            rec.content_type = mime
            rec.bytes = len(response.body)
            rec.encoding_hint = charset
            if 200 <= response.status < 300:
                self.robots_sitemaps[netloc] = robots_sitemaps(response.body, response.url)
            else:
                rec.reason = FetchFate.http(response.status)
        else:
            rec.reason = reason_for(error) if error is not None else FetchFate.DOWNLOAD_ERROR
        self._write(rec, response=response)

    # -- discovery ------------------------------------------------------------------

    def _redirect(self, response: Response, site: Site):
        meta = response.meta
        rec = self._base_record(response)
        location = response.headers[b"Location"].decode("latin-1")
        target = clean_url(urljoin(response.url, location))
        rec.final_url = target
        key = meta.get("nl_key")
        if urlsplit(target).scheme not in ("http", "https"):
            rec.reason = FetchFate.BAD_REDIRECT
            self._write(rec, key, response)
            return
        chain = [*meta.get("nl_chain", []), response.url]
        target_key = url_key(target)
        if target_key in {url_key(u) for u in chain} or len(chain) > self.max_redirects:
            rec.reason = FetchFate.REDIRECT_LOOP
            self._write(rec, key, response)
            return
        if not self._on_site(target, site):
            if meta.get("nl_kind") == "start" and _same_host_family(response.url, target):
                # http -> https or example.com -> www.example.com on the start URL: the
                # site lives there; adopt the new origin.
                site.origins.add(origin(target))
            else:
                rec.reason = FetchFate.OFFSITE_REDIRECT
                self._write(rec, key, response)
                return
        if target_key in self.seen and target_key not in {url_key(u) for u in chain}:
            rec.reason = FetchFate.REDIRECT_DUPLICATE  # the target is fetched on its own
            self._write(rec, key, response)
            return
        # The target is not marked seen here: another path to it (a link, or the other end
        # of a loop) still gets its own record; a 2xx final URL is marked seen in _parse.
        # Carry only our own keys: Scrapy's (download_latency, retry_times, ...) belong to
        # the previous hop.
        new_meta = {k: v for k, v in meta.items() if k.startswith(_OWN_META)}
        new_meta["nl_chain"] = chain
        meta["nl_followed"] = True
        new_meta.pop("nl_followed", None)
        # Validators belong to the URL they were stored for: drop them, and use the
        # target's own when it is a known article.
        headers = response.request.headers.copy()
        for name in (b"If-None-Match", b"If-Modified-Since"):
            headers.pop(name, None)
        new_meta.pop("nl_cond", None)
        target_known = self.known.get(target_key)
        if target_known is not None and target_known.is_article and meta.get("nl_cond"):
            headers.update(target_known.conditional_headers())
            new_meta["nl_cond"] = True
        yield response.request.replace(url=target, meta=new_meta, headers=headers, dont_filter=True)

    def _discover_site(self, response: Response, site: Site):
        """From a site root or listing start page: robots.txt sitemaps and /sitemap.xml."""
        if site.expanded:
            return
        site.expanded = True
        netloc = urlsplit(response.url).netloc
        scheme = urlsplit(response.url).scheme
        for url in self.robots_sitemaps.get(netloc, []):
            prio = PRIO_INDEX + (5 if is_posts_sitemap(url) else 0)
            req = self._request(url, site, kind="sitemap", via="robots", depth=1, priority=prio)
            if req is not None:
                yield req
        req = self._request(
            f"{scheme}://{netloc}/sitemap.xml", site, kind="sitemap", via="start", depth=1
        )
        if req is not None:
            yield req

    def _expand_html(self, response: Response, body: bytes, rec: FetchedPage, site: Site):
        meta = response.meta
        kind, via, depth = meta["nl_kind"], meta["nl_via"], meta["nl_depth"]
        if kind != "start" and via in ("sitemap", "feed"):
            return  # a listed entry: an article candidate, not a listing
        shape = url_shape(response.url)
        if shape == "article":
            return  # do not crawl into an article's outgoing links (nor parse it for them)
        info = analyse_html(body, response.url, rec.encoding_hint)
        if info.article_like:
            return
        if kind == "start":
            yield from self._discover_site(response, site)
        for url in info.feeds:
            req = self._request(url, site, kind="feed", via="listing", depth=depth + 1)
            if req is not None:
                yield req
        chain = meta.get("nl_pagination", 0)
        if chain < MAX_PAGINATION_CHAIN and info.pagination:
            page_key = meta.get("nl_key") or url_key(response.url)
            if self._pagination_worthwhile(page_key, info.links, site, meta):
                for url in info.pagination:
                    req = self._request(
                        url,
                        site,
                        kind="page",
                        via="pagination",
                        depth=depth,
                        priority=PRIO_PAGINATION,
                        pagination=chain + 1,
                        listing_parent=page_key,
                    )
                    if req is not None:
                        yield req
            else:
                self.not_scheduled["pagination_all_known"] += 1
        if depth >= self.depth_limit:
            return
        link_via = (
            "listing" if (kind == "start" or shape == "listing" or via == "pagination") else "link"
        )
        for url in info.links:
            headline = info.headlines.get(url)
            evidence: dict[str, Any] = {"listed_title": headline} if headline else {}
            if link_via == "listing" and url in info.in_headings:
                evidence["listed_as_heading"] = True  # a story of the listing, as it shows it
            req = self._request(
                url,
                site,
                kind="page",
                via=link_via,
                depth=depth + 1,
                evidence=evidence or None,
            )
            if req is not None:
                yield req

    def _pagination_worthwhile(
        self, page_key: str, links: list[str], site: Site, meta: dict[str, Any]
    ) -> bool:
        """Whether to follow a listing page's pagination. Always in a full crawl. In an
        incremental crawl (``--known``) new articles appear at the top of listings, so stop
        at a page that links to at least one known article and to no link that may be a
        new article: one we would fetch that is neither in the known file (an article, or
        a page found not to be one) nor listing-shaped (``newsetl.discover.classify.url_shape``)
        nor already on the listing page that led here (menus and sidebars repeat). The page itself is still recorded; its
        other links are still followed."""
        if not self.known_path:
            return True
        known = 0
        candidates: set[str] = set()
        for url in links:
            try:
                clean = clean_url(url)
            except ValueError:
                continue
            key = url_key(clean)
            entry = self.known.get(key)
            if entry is not None:
                known += entry.is_article
                continue  # an article we hold, or a page found not to be one before
            if key == page_key or url_shape(clean) in ("listing", "root", "service"):
                continue
            if not self._on_site(clean, site) or any(p.search(clean) for p in self.exclude):
                continue  # never fetched: says nothing about what is new
            if self.include and not any(p.search(clean) for p in self.include):
                continue
            candidates.add(key)
        self.listing_candidates[page_key] = frozenset(candidates)
        parent = self.listing_candidates.get(meta.get("nl_listing_parent") or "", frozenset())
        return known == 0 or bool(candidates - parent)

    def _sitemap_entries(self, response: Response, root: str, entries: list[Entry], site: Site):
        depth = response.meta.get("nl_depth", 0) + 1
        if root == "sitemapindex":
            # Post sitemaps first, newest first; all of them within the per-site bound.
            entries.sort(key=lambda e: e.lastmod or "", reverse=True)
            entries.sort(key=lambda e: not is_posts_sitemap(e.url))
            for e in entries:
                prio = PRIO_INDEX + (5 if is_posts_sitemap(e.url) else 0)
                req = self._request(
                    e.url, site, kind="sitemap", via="sitemap", depth=depth, priority=prio
                )
                if req is not None:
                    yield req
            return
        entries.sort(key=lambda e: e.lastmod or e.published or "", reverse=True)
        sitemap_name = urlsplit(response.url).path.rsplit("/", 1)[-1]
        taxonomy = is_taxonomy_sitemap(sitemap_name)
        for e in entries:
            # Tag, category and author sitemaps list pages that are not stories: under a
            # page budget the stories of a posts sitemap must not wait behind them.
            shape = url_shape(e.url)
            listed_page = shape in ("listing", "service", "root") or (
                taxonomy and shape != "article"
            )
            req = self._request(
                e.url,
                site,
                kind="page",
                via="sitemap",
                depth=depth,
                priority=PRIO_LISTED_PAGE if listed_page else PRIO_ENTRY,
                evidence={
                    "in_sitemap": True,
                    "lastmod": e.lastmod,
                    "listed_title": e.title,
                    "listed_published": e.published,
                },
            )
            if req is not None:
                yield req

    def _feed_entries(self, response: Response, entries: list[Entry], site: Site):
        depth = response.meta.get("nl_depth", 0) + 1
        for e in entries:
            req = self._request(
                e.url,
                site,
                kind="page",
                via="feed",
                depth=depth,
                priority=PRIO_ENTRY,
                evidence={
                    "in_feed": True,
                    "lastmod": e.lastmod,
                    "listed_title": e.title,
                    "listed_published": e.published,
                },
            )
            if req is not None:
                yield req


def _release_order(held: list[Request]) -> list[Request]:
    """Held page requests as they are handed back to Scrapy: highest priority first, those
    queued again at a higher priority left out. Scrapy starts downloading a callback's
    first requests before it has read the last ones, so the order decides which pages a
    small page budget goes to."""
    live = [r for r in held if not r.meta.get("nl_superseded")]
    live.sort(key=lambda r: -r.priority)  # stable: the order found within a priority
    return live


def _header_pairs(headers: Any) -> list[tuple[str, str]]:
    """Scrapy Headers (bytes, multi-valued) as (name, value) strings for the archive."""
    out = []
    for name, values in headers.items():
        key = _header_text(name)
        for value in values if isinstance(values, list) else [values]:
            out.append((key, _header_text(value)))
    return out


def _header_text(value: Any) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode("latin-1")
    return str(value)


def _same_host_family(a: str, b: str) -> bool:
    """Same site up to a leading ``www.`` and an http -> https upgrade (default ports)."""
    (sa, ha, pa), (sb, hb, pb) = origin(a), origin(b)
    if ha.removeprefix("www.") != hb.removeprefix("www."):
        return False
    if sa == sb:
        return pa == pb
    return (sa, pa, sb, pb) == ("http", 80, "https", 443)
