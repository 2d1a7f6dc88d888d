"""Incremental crawling: what the flow already has (the ``--known`` file) and dates.

The known file is JSON lines, one object per URL fetched in an earlier crawl::

    {"url": "...", "is_article": true, "etag": "\\"abc\\"" | null,
     "last_modified": "Tue, 05 Mar 2024 10:00:00 GMT" | null,
     "fetched_at": "2024-03-05T10:00:00+00:00",
     "listed_date": "2024-03-05T00:00:00+00:00" | null}

``listed_date`` is the newest sitemap ``lastmod`` or feed date the page had when it was
last fetched; a page listed later with a newer date is fetched again (conditionally).

``url`` is the URL as it was fetched (``final_url`` or ``url`` of a past FetchedPage);
the spider matches it with the same key it uses for its own dedupe
(:func:`newsetl.urls.url_key` of :func:`newsetl.urls.clean_url`: fragment stripped, query
sorted, percent-encoding normalised). Pure Python: no Scrapy import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsetl import crawldir
from newsetl.dates import parse_listed_date
from newsetl.revisit import conditional_headers

logger = logging.getLogger(__name__)

__all__ = ["KnownUrl", "newer", "read_known"]


@dataclass(slots=True, frozen=True)
class KnownUrl:
    url: str
    is_article: bool
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: datetime | None = None
    listed: datetime | None = None  # the newest sitemap/feed date when it was last fetched

    def changed(
        self,
        listed_now: datetime | None,
        *,
        revisit_after_s: float | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Whether the page is to be asked for again: a date listed now says it changed
        since it was last fetched, or (``revisit_after_s``, for sites that give no dates)
        it was last fetched at least that long ago. Like is compared with like: the listed
        date with the date listed then (a date-only lastmod, or one a site sets in the
        past, is never compared with our clock). Without a date listed then, with the
        fetch time (see :func:`newer`). Either way the request is conditional."""
        if revisit_after_s and self.fetched_at is not None:
            age = ((now or datetime.now(UTC)) - self.fetched_at).total_seconds()
            if age >= revisit_after_s:
                return True
        if listed_now is None:
            return False
        if self.listed is not None:
            return listed_now > self.listed
        return newer(listed_now, self.fetched_at)

    def conditional_headers(self) -> dict[str, str]:
        return conditional_headers(self.etag, self.last_modified)


def newer(listed: datetime | None, fetched_at: datetime | None) -> bool:
    """Whether a listing's date says the page changed after we fetched it. Without a
    listed date: no. Without a fetch time (an old known file): yes, if a date is listed
    (the request is conditional anyway)."""
    if listed is None:
        return False
    if fetched_at is None:
        return True
    return listed > fetched_at


def _text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value if isinstance(value, str) and value else None


def read_known(path: str | Path, key: Callable[[str], str]) -> tuple[dict[str, KnownUrl], int]:
    """Read a known file; return ({key(url): KnownUrl}, number of unusable lines).

    Raises OSError when the file cannot be read. Lines that are not JSON objects with a
    string ``url`` are counted and skipped. A later line for the same key wins.
    """
    known: dict[str, KnownUrl] = {}
    bad = 0
    for data in crawldir.iter_known(path):
        if data is None:
            bad += 1
            continue
        try:
            k = key(data["url"])
        except Exception:  # a URL our normalisation cannot handle
            bad += 1
            continue

        known[k] = KnownUrl(
            url=data["url"],
            is_article=data.get("is_article") is True,
            etag=_text(data, "etag"),
            last_modified=_text(data, "last_modified"),
            fetched_at=parse_listed_date(_text(data, "fetched_at")),
            listed=parse_listed_date(_text(data, "listed_date")),
        )
    if bad:
        logger.warning("known file %s: %d unusable lines skipped", path, bad)
    return known, bad
