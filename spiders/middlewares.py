"""Downloader middlewares: robots.txt with recording, the page budget, Retry-After.

All three talk to the running spider through ``crawler.spider`` and tolerate a spider that
lacks the hooks (they then behave like plain Scrapy).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater

logger = logging.getLogger(__name__)


class RobotsDisallowed(IgnoreRequest):
    """robots.txt forbids this URL for our user agent."""


class BudgetExhausted(IgnoreRequest):
    """The --max-pages budget is spent; the request was not sent."""


class Superseded(IgnoreRequest):
    """The same page was queued again at a higher priority; this copy is not sent."""


class _NoTraceback(logging.Filter):
    """A robots.txt that cannot be fetched is routine (dead host, timeout): one log line,
    not a traceback. The failure is recorded in pages.jsonl anyway."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True


class RecordingRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, plus: the spider hears about every robots.txt fetch
    (to record it and read its ``Sitemap:`` lines) and disallowed requests fail with
    :class:`RobotsDisallowed` so the errback can tell them apart."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        robots_logger = logging.getLogger("scrapy.downloadermiddlewares.robotstxt")
        if not any(isinstance(f, _NoTraceback) for f in robots_logger.filters):
            robots_logger.addFilter(_NoTraceback())

    def process_request_2(self, rp: Any, request: Request) -> None:
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest as exc:
            raise RobotsDisallowed(str(exc)) from exc

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        self._notify(netloc, request, response=response, error=None)
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        self._notify(netloc, None, response=None, error=exc)
        super()._robots_error(exc, netloc)

    def _notify(self, netloc: str, request: Request | None, **kwargs: Any) -> None:
        hook = getattr(self.crawler.spider, "robots_fetched", None)
        if hook is None:
            return
        try:
            hook(netloc, request, **kwargs)
        except Exception:  # a recording problem must not break robots handling
            logger.exception("robots.txt hook failed for %s", netloc)


class PageBudgetMiddleware:
    """Reserve one unit of the page budget for each HTML page request as it is about to
    be downloaded. Requests marked ``meta["newsetl_budget"]`` take part; retries and
    redirect hops of an already counted request do not count again."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> PageBudgetMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if request.meta.get("nl_superseded"):
            raise Superseded("queued again at a higher priority")
        if not request.meta.get("newsetl_budget") or request.meta.get("newsetl_reserved"):
            return None
        reserve = getattr(self.crawler.spider, "reserve_page", None)
        if reserve is None:
            return None
        if not reserve(request):
            raise BudgetExhausted("max_pages")
        request.meta["newsetl_reserved"] = True
        return None


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware:
    """Honour ``Retry-After`` on 429/503 before RetryMiddleware schedules the retry.

    Waits up to NEWSETL_RETRY_AFTER_MAX seconds; a longer wait is not worth it, so the
    response is passed on with ``dont_retry`` and gets recorded as ``http_429``/``http_503``.
    """

    def __init__(self, max_wait: float) -> None:
        self.max_wait = max_wait

    @classmethod
    def from_crawler(cls, crawler: Any) -> RetryAfterMiddleware:
        return cls(crawler.settings.getfloat("NEWSETL_RETRY_AFTER_MAX", 30.0))

    async def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in (429, 503) or request.meta.get("dont_retry"):
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is None or wait <= 0:
            return response
        if wait > self.max_wait:
            request.meta["dont_retry"] = True
            return response
        from twisted.internet import reactor  # the reactor Scrapy installed

        await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
        return response
