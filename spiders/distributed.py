"""Distributed crawl mode, the Scrapy side: the scheduler that queues requests in the
shared Redis frontier (:class:`RedisScheduler`), the spider whose page budget, gate and
evidence live there (:class:`DistributedNewsSpider`), and the settings that switch a crawl
to them (:func:`distributed_settings`). See ``spiders.frontier`` for the store and its keys.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any
from urllib.parse import urljoin

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response

from newsetl.urls import clean_url, origin, url_key

from .frontier import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_LEASE,
    Frontier,
    _evidence_value,
    origin_text,
    redact,
    request_from_json,
    request_to_json,
)
from .news import NewsSpider, Site

logger = logging.getLogger(__name__)

__all__ = ["DistributedNewsSpider", "RedisScheduler", "distributed_settings"]


class RedisScheduler:
    """A Scrapy scheduler whose queue and seen-set are the shared :class:`Frontier`.

    Works with :class:`DistributedNewsSpider` (it keeps that spider's per-process
    bookkeeping - pending records, evidence, site origins - in step with requests leaving
    for and arriving from Redis)."""

    def __init__(self, crawler: Any, frontier: Frontier, idle_timeout: float) -> None:
        self.crawler = crawler
        self.frontier = frontier
        self.idle_timeout = idle_timeout
        self.spider: Any = None
        self.counts: Counter = Counter()
        self._idle_since: float | None = None
        self._loops: list[Any] = []
        self._fingerprinter = crawler.request_fingerprinter
        self.max_index = crawler.settings.getint("NEWSETL_MAX_INDEX_FETCHES_PER_SITE", 50)

    @classmethod
    def from_crawler(cls, crawler: Any) -> RedisScheduler:
        s = crawler.settings
        url = s.get("NEWSETL_REDIS_URL")
        if not url:
            raise ValueError("RedisScheduler needs NEWSETL_REDIS_URL")
        frontier = Frontier(
            url,
            s.get("NEWSETL_FRONTIER") or "default",
            lease=s.getfloat("NEWSETL_LEASE", DEFAULT_LEASE),
        )
        return cls(crawler, frontier, s.getfloat("NEWSETL_IDLE_TIMEOUT", DEFAULT_IDLE_TIMEOUT))

    # lifecycle
    def open(self, spider: Any) -> None:
        from twisted.internet.task import LoopingCall

        self.spider = spider
        spider.frontier = self.frontier
        spider.frontier_counts = self.counts
        self.frontier.heartbeat()
        self.frontier.reap()
        beat = LoopingCall(self._beat)
        beat.start(max(0.2, self.frontier.lease / 4), now=False)
        wake = LoopingCall(self._wake)
        wake.start(0.2, now=False)
        self._loops = [beat, wake]
        self.crawler.signals.connect(self._on_idle, signal=signals.spider_idle)
        logger.info(
            "distributed crawl: frontier %r on %s, worker %s",
            self.frontier.name,
            redact(self.frontier.redis_url),
            self.frontier.worker_id,
        )

    def close(self, reason: str) -> None:
        for loop in self._loops:
            if loop.running:
                loop.stop()
        try:
            n = self.frontier.leave()
        except Exception:
            logger.exception("could not leave the frontier cleanly")
            return
        if n:
            self.counts["requeued_at_close"] += n
            logger.warning("requeued %d unfinished requests at close (%s)", n, reason)

    def _beat(self) -> None:
        try:
            self.frontier.heartbeat()
            self.counts["reclaimed_from_others"] += self.frontier.reap()
        except Exception:
            logger.exception("frontier heartbeat failed")

    def _wake(self) -> None:
        """Ask the engine for requests: another worker may have queued some."""
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None)
        if slot is None or slot.closing or engine.needs_backout():
            return
        slot.nextcall.schedule()

    def _on_idle(self, spider: Any = None) -> None:
        # This engine has nothing in flight: any request still taken by us was lost
        # between Scrapy and the spider (no callback ran); finish it so nobody waits.
        leaked = self.frontier.taken()
        getattr(self.spider, "_open_requests", {}).clear()
        for rid in leaked:
            self.frontier.done(rid)
        if leaked:
            self.counts["leaked"] += len(leaked)
            self.frontier.count("leaked", len(leaked))
            logger.warning("%d taken requests finished without a callback", len(leaked))
        queued, held, taken = self.frontier.activity()
        if queued or taken:
            self._idle_since = None
            raise DontCloseSpider
        if held:
            # Nothing queued or in flight anywhere, yet pages wait behind a gate: a gate
            # count was lost (a worker whose lease expired while it was alive). Release.
            n = self.frontier.release_all_held()
            logger.warning("released %d held requests with nothing in flight", n)
            raise DontCloseSpider
        now = time.monotonic()
        if self._idle_since is None:
            self._idle_since = now
        if now - self._idle_since < self.idle_timeout:
            raise DontCloseSpider

    # the scheduler interface
    def has_pending_requests(self) -> bool:
        return self.frontier.queued() > 0

    def __len__(self) -> int:
        return self.frontier.queued()

    def enqueue_request(self, request: Request) -> bool:
        meta = request.meta
        old_rid = meta.pop("nl_rid", "") or ""
        parent = meta.pop("nl_parent", None)
        try:
            return self._enqueue(request, old_rid)
        finally:
            if parent:
                self.spider.child_scheduled(parent)

    def _enqueue(self, request: Request, old_rid: str) -> bool:
        spider = self.spider
        meta = request.meta
        key = meta.get("nl_key") or ""
        kind = meta.get("nl_kind")
        if key:
            ev = spider.evidence.get(key)
            if ev:
                meta["nl_evidence"] = dict(ev)
            spider.pending.pop(key, None)  # recorded by whichever worker fetches it
        fp = self._fingerprinter.fingerprint(request).hex()
        gate = origin_text(meta.get("nl_orig") or request.url) if meta.get("nl_gate") else ""
        page_origin = origin_text(request.url) if kind == "page" else ""
        index_site = ""
        if kind in ("sitemap", "feed") and not old_rid:
            index_site = meta.get("nl_start") or ""
        if request.dont_filter:
            # Retries and followed redirects: not checked, but a followed redirect marks
            # its target seen so a link to it elsewhere is not fetched again.
            check, fp_arg = False, fp if meta.get("nl_chain") else ""
        else:
            check, fp_arg = True, fp
        result = self.frontier.enqueue(
            key + "\n" + request_to_json(request, spider),
            priority=request.priority,
            fingerprint=fp_arg,
            check_seen=check,
            gate=gate,
            page_origin=page_origin,
            old_rid=old_rid,
            index_site=index_site,
            max_index=self.max_index,
        )
        if result == 0:
            self.counts["duplicates"] += 1
            ev = meta.get("nl_evidence")
            if ev and key:
                self.frontier.add_evidence(key, ev)
            return False
        if result < 0:
            spider.not_scheduled["index_limit"] += 1
            return False
        self.counts["enqueued"] += 1
        if result == 2:
            self.counts["held"] += 1
        self._idle_since = None
        return True

    def next_request(self) -> Request | None:
        while True:
            popped = self.frontier.pop()
            if popped is None:
                return None
            rid, payload, late = popped
            if not payload:  # a request whose body vanished (reset mid-crawl)
                self.frontier.done(rid)
                continue
            try:
                request = request_from_json(payload.split("\n", 1)[1], self.spider)
            except Exception:
                logger.exception("unreadable request %s in the frontier, dropped", rid)
                self.frontier.done(rid)
                self.counts["unreadable"] += 1
                continue
            break
        self.counts["dequeued"] += 1
        self._idle_since = None
        request.meta["nl_rid"] = rid
        self._adopt(request, late)
        return request

    def _adopt(self, request: Request, late: dict[str, str]) -> None:
        """Bring the spider's per-process state up to date for a request from Redis."""
        spider, meta = self.spider, request.meta
        start = meta.get("nl_start")
        if start:
            site = spider.sites.get(start)
            if site is None:
                site = spider.sites[start] = Site(start, {origin(start)})
            # Every queued request was judged on-site by the worker that found it: its
            # origin belongs to the site (e.g. an https origin adopted after a redirect).
            site.origins.add(origin(request.url))
        key = meta.get("nl_key")
        if not key:
            return
        spider.seen.add(key)
        evidence = dict(meta.pop("nl_evidence", None) or {})
        for name, text in late.items():
            evidence.setdefault(name, _evidence_value(name, text))
        if evidence:
            merged = spider.evidence.setdefault(key, {})
            for name, value in evidence.items():
                if value and not merged.get(name):
                    merged[name] = value
        if meta.get("newsetl_budget"):
            spider.pending[key] = {
                "url": meta.get("nl_orig", request.url),
                "kind": meta.get("nl_kind", "page"),
                "via": meta.get("nl_via", "link"),
                "depth": meta.get("nl_depth", 0),
                "start_url": start,
            }


# -- the spider -----------------------------------------------------------------------------


class DistributedNewsSpider(NewsSpider):
    """:class:`spiders.news.NewsSpider` with its shared state in the frontier: the
    discovery gate, the page budget and request completion (for leases)."""

    name = "news_distributed"
    frontier: Frontier
    frontier_counts: Counter

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # rid -> [produced requests not yet scheduled, callback returned]
        self._open_requests: dict[str, list] = {}

    # A request is finished (``Frontier.done``) once its callback or errback has returned
    # AND every request it produced has reached the scheduler, i.e. is in Redis. Scrapy
    # runs a callback's generator ahead of the consumer (a queue of CONCURRENT_ITEMS * 2),
    # so the end of the generator is not enough: produced requests are counted here and
    # the scheduler reports each one in (``child_scheduled``).

    def parse(self, response: Response, **kwargs: Any):
        return self._tracked(response.meta, super().parse(response, **kwargs))

    def on_error(self, failure: Any):
        return self._tracked(failure.request.meta, super().on_error(failure))

    def _tracked(self, meta: dict[str, Any], output: Any):
        rid = meta.get("nl_rid")
        if not rid:
            yield from output
            return
        state = self._open_requests.setdefault(rid, [0, False])
        try:
            for item in output:
                if isinstance(item, Request):
                    item.meta["nl_parent"] = rid
                    state[0] += 1
                yield item
        finally:
            state[1] = True
            self._settle(rid)

    def child_scheduled(self, rid: str) -> None:
        state = self._open_requests.get(rid)
        if state is not None:
            state[0] -= 1
            self._settle(rid)

    def _settle(self, rid: str) -> None:
        state = self._open_requests.get(rid)
        if state is None or not state[1] or state[0] > 0:
            return
        del self._open_requests[rid]
        if not self.frontier.done(rid):
            self.frontier_counts["done_not_taken"] += 1  # moved on (redirect, retry)

    def _gate(self, out: list[Request], finished_meta: dict | None):
        # Page requests are held in Redis (``held:<origin>``), not in this process.
        yield from out

    def _request(self, url: str, site: Site, **kwargs: Any) -> Request | None:
        request = super()._request(url, site, **kwargs)
        evidence = kwargs.get("evidence")
        if request is None and evidence:
            try:
                key = url_key(clean_url(url))
            except Exception:
                return None
            # Already queued (maybe by another worker): its fetcher picks this up.
            self.frontier.add_evidence(key, self.evidence.get(key) or evidence)
        return request

    def _redirect(self, response: Response, site: Site):
        location = response.headers.get(b"Location")
        if location:
            try:
                target = clean_url(urljoin(response.url, location.decode("latin-1")))
                fp = self.crawler.request_fingerprinter.fingerprint(Request(target)).hex()
                if self.frontier.is_seen(fp):
                    self.seen.add(url_key(target))  # fetched on its own: redirect_duplicate
            except Exception:  # noqa: S110 - the spider records the redirect either way
                pass
        yield from super()._redirect(response, site)

    # page budget: one counter for all workers
    def reserve_page(self, request: Request) -> bool:
        left = self.frontier.reserve_page(self.max_pages)
        if left < 0:
            self.budget_exhausted = self.budget_hit = True
            return False
        self.pages_reserved += 1
        if left == 0:
            self.budget_exhausted = True
        return True

    def _as_index(self, response: Response, site: Site) -> bool:
        was = response.meta.get("newsetl_reserved")
        ok = super()._as_index(response, site)
        if was and not response.meta.get("newsetl_reserved"):
            used = self.frontier.unreserve_page()
            self.budget_exhausted = used >= self.max_pages
        return ok

    def summary(self, scrapy_reason: str | None = None) -> dict[str, Any]:
        data = super().summary(scrapy_reason)
        frontier = getattr(self, "frontier", None)
        if frontier is not None:
            data["distributed"] = {
                "redis_url": redact(frontier.redis_url),
                "frontier": frontier.name,
                "worker": frontier.worker_id,
                "lease_s": frontier.lease,
                **dict(self.frontier_counts),
            }
        return data


def distributed_settings(
    redis_url: str,
    frontier: str,
    *,
    lease: float | None = None,
    idle_timeout: float | None = None,
) -> dict[str, Any]:
    """Settings overrides that switch a crawl to the shared frontier."""
    out: dict[str, Any] = {
        "SCHEDULER": "spiders.distributed.RedisScheduler",
        "NEWSETL_REDIS_URL": redis_url,
        "NEWSETL_FRONTIER": frontier,
    }
    if lease is not None:
        out["NEWSETL_LEASE"] = float(lease)
    if idle_timeout is not None:
        out["NEWSETL_IDLE_TIMEOUT"] = float(idle_timeout)
    return out
