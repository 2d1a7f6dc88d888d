"""What the news spider records: a FetchedPage per fetch attempt, handed to the crawl
folder's writer (:class:`newsetl.crawldir.CrawlWriter`) with the WARC copy of the answer,
the counts behind the progress line and stats.json, and the reason a download failed."""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from dataclasses import fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from newsetl.archive import ARCHIVE_NAME
from newsetl.discover.documents import split_content_type
from newsetl.models import FetchedPage, FetchFate, is_error_reason
from newsetl.urls import url_key

from .middlewares import BudgetExhausted, RobotsDisallowed, Superseded
from .payloads import robots_sitemaps

if TYPE_CHECKING:
    from scrapy.http import Request, Response

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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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


class RecordingMixin:
    """The recording half of :class:`spiders.news.NewsSpider`."""

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
            "memory": self.memory_summary(),
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
                rec.listed_language = rec.listed_language or ev.get("listed_language")
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
