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
``<out>/bodies/<sha1(final url)>.html`` as raw bytes: written by the crawl folder's owner,
:class:`newsetl.crawldir.CrawlWriter`. What documents and pages say is read by
``newsetl.discover``; recording is in ``spiders.records``, expansion (redirects, links,
sitemap and feed entries) in ``spiders.expand``. ``spiders.crawl`` runs it.

``scrapy crawl news -a start_urls=https://example.com/ -a out_dir=out -a max_pages=50``
works too (``start_urls`` may be comma- or space-separated).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, StopDownload
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from newsetl.crawldir import CrawlWriter, write_stats
from newsetl.dates import parse_listed_date
from newsetl.discover.documents import (
    GZIP_TYPES,
    HTML_TYPES,
    XML_TYPES,
    parse_text_sitemap,
    read_feed,
    read_sitemap,
    split_content_type,
)
from newsetl.discover.links import url_shape
from newsetl.models import FetchedPage, FetchFate
from newsetl.revisit import Remembered
from newsetl.urls import clean_url, known_key, origin, url_key

from .expand import PRIO_INDEX, PRIO_LINK, PRIO_START, DiscoveryMixin
from .incremental import KnownUrl, read_known
from .payloads import sniff_payload
from .records import RecordingMixin, _now, reason_for
from .revisit import RevisitMixin

# ---------------------------------------------------------------------------------------
# URL helpers

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@lru_cache(maxsize=1 << 16)
def _is_web_url(url: str) -> bool:
    """An http(s) URL. Cached: menus and footers repeat the same links on every page, and
    ``urlsplit`` per link was a tenth of the crawler's CPU on a link-heavy site."""
    return urlsplit(url).scheme in ("http", "https")


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


@dataclass(slots=True)
class Site:
    """One start URL and the origins (scheme, host, port) its crawl may visit."""

    start_url: str
    origins: set[tuple[str, str, int | None]]
    index_fetches: int = 0
    expanded: bool = False  # site-wide discovery (robots sitemaps, /sitemap.xml) scheduled
    counts: Counter = field(default_factory=Counter)


@dataclass(slots=True)
class Gate:
    """Per origin: start URLs, sitemaps and feeds sent and not yet answered. While any are
    out, new page requests for the origin wait in ``held``, so the listings' evidence
    (in_sitemap, lastmod, feed title) reaches each page's record and listed entries get the
    page budget before plain links."""

    inflight: int = 0
    held: list = field(default_factory=list)


class NewsSpider(RecordingMixin, DiscoveryMixin, RevisitMixin, scrapy.Spider):
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
        memory: Any = None,
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
        self._init_memory(memory)  # the page memory (spiders.revisit)
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
            self._write_memory()  # before stats.json, the end mark
        except OSError:
            self.logger.exception("could not write the page memory")
        try:
            write_stats(self.out_dir, self.crawler.stats.get_stats(), self.summary(reason))
        except OSError:
            self.logger.exception("could not write stats.json")

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
        if not _is_web_url(url):
            return None
        key = url_key(url)
        if evidence:
            merged = self.evidence.setdefault(key, {})
            for name, value in evidence.items():
                if value and not merged.get(name):
                    merged[name] = value
            for name in ("lastmod", "listed_published"):
                when = parse_listed_date(evidence.get(name))
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
        if self.memory and self._rests(key, kind, via):
            return None  # see spiders.revisit
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
            self._note_child(key, kind, requested=False)
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
        elif self.memory and (revisit := self._revisit_headers(key)) is not None:
            # A remembered listing, sitemap or feed: not parsed again if unchanged.
            headers, meta["nl_mem"], meta["nl_cond"] = revisit or None, True, bool(revisit)
        self._note_child(key, kind, requested=True)
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

    # -- callbacks ------------------------------------------------------------------

    def parse(self, response: Response, **kwargs: Any):
        site = self.sites[response.meta["nl_start"]]
        # The document whose requests are being made (see RevisitMixin._note_child).
        self._parent = response.meta.get("nl_key") if 200 <= response.status < 300 else None
        try:
            out = list(self._parse(response, site))
        finally:
            self._parent = None
        self._remember(response)
        out += self._drain_walks(site)
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
            stored: KnownUrl | Remembered | None
            if meta.get("nl_mem"):  # a remembered listing, sitemap or feed
                stored = self.memory[key or ""]
                rec.kind = stored.kind
            else:
                stored = self.known.get(key or "") or self.known.get(url_key(response.url))
            if stored is not None:
                rec.etag = rec.etag or stored.etag
                rec.last_modified = rec.last_modified or stored.last_modified
            rec.reason = FetchFate.NOT_MODIFIED
            self._write(rec, key, response)
            if meta.get("nl_mem"):
                yield from self._unchanged(response, site)
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
        if self._is_unchanged(response):  # the same body as last time: not parsed again
            rec.kind = self.memory[key or ""].kind
            rec.reason = FetchFate.NOT_MODIFIED
            self._write(rec, key, response)
            yield from self._unchanged(response, site)
            return
        if "download_stopped" in response.flags:
            doc, body = "other", response.body
        else:
            # A gzip payload (sitemap.xml.gz, or a page served as raw gzip) may expand no
            # further than the response itself could have been.
            limit = meta.get("download_maxsize") or self.page_maxsize
            doc, body = sniff_payload(rec.content_type, response.body, limit=limit)
        kind = meta["nl_kind"]
        meta["nl_doc"] = "leaf"  # what the page memory keeps of it (RevisitMixin)
        if doc == "too_large":
            rec.reason = FetchFate.TOO_LARGE
            self._write(rec, key, response)
        elif doc == "html" and kind in ("page", "start"):
            # as received (gunzipped if it was a .gz)
            rec.body_path = self.crawl_dir.write_body(response.url, body)
            self._write(rec, key, response)
            meta["nl_doc"] = "html"
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
            meta["nl_doc"] = "sitemap"
            if self._as_index(response, site):
                yield from self._sitemap_entries(response, root, entries, site)
        elif doc in ("rss", "atom", "rdf"):
            rec.kind = "feed"
            entries, rec.reason = read_feed(body, response.url)
            self._write(rec, key, response)
            meta["nl_doc"] = "feed"
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
        else:
            self.remember_skip(meta.get("nl_key"), info["url"], info)
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


def _release_order(held: list[Request]) -> list[Request]:
    """Held page requests as they are handed back to Scrapy: highest priority first, those
    queued again at a higher priority left out. Scrapy starts downloading a callback's
    first requests before it has read the last ones, so the order decides which pages a
    small page budget goes to."""
    live = [r for r in held if not r.meta.get("nl_superseded")]
    live.sort(key=lambda r: -r.priority)  # stable: the order found within a priority
    return live
