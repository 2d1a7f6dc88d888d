"""Payloads as Scrapy's utilities read them: gzip (with a size limit against bombs) and the
``Sitemap:`` lines of robots.txt. The pure parsing of what they hold is in
:mod:`newsetl.discover.documents`."""

from __future__ import annotations

import struct
import zlib
from urllib.parse import urljoin

from scrapy.utils.gz import gunzip as scrapy_gunzip
from scrapy.utils.sitemap import sitemap_urls_from_robots

from newsetl.discover.documents import sniff
from newsetl.models import FetchFate

MAX_GUNZIP = 50 * 1024 * 1024  # sitemaps are at most 50 MB uncompressed by the protocol


def gunzip(body: bytes, limit: int = MAX_GUNZIP) -> bytes | None:
    """Scrapy's gunzip (as much as a damaged archive gives, chunk by chunk), refused past
    ``limit`` bytes: None when ``body`` is not gzip; ValueError for a payload that expands
    beyond ``limit`` (a gzip bomb), raised before more of it is held."""
    try:
        return scrapy_gunzip(body, max_size=limit)
    except (OSError, EOFError, zlib.error, struct.error):
        return None


def sniff_payload(
    content_type: str | None, body: bytes, limit: int = MAX_GUNZIP
) -> tuple[str, bytes]:
    """:func:`newsetl.discover.documents.sniff` on the payload, gunzipped first when it is
    gzip (``sitemap.xml.gz``); a payload that expands beyond ``limit`` bytes gives
    ``("too_large", b"")``."""
    if body[:2] == b"\x1f\x8b":
        try:
            unzipped = gunzip(body, limit)
        except ValueError:  # it expands beyond the limit
            return FetchFate.TOO_LARGE, b""
        if unzipped is not None:
            return sniff(None, unzipped)  # the header described the archive, not its content
    return sniff(content_type, body)


def robots_sitemaps(body: bytes, base_url: str) -> list[str]:
    """URLs from the ``Sitemap:`` lines of a robots.txt (Scrapy's reader), the first
    512 KiB of it only; relative ones resolved against ``base_url``."""
    found = sitemap_urls_from_robots(body[: 512 * 1024])  # relative as written
    return [urljoin(base_url, u.split()[0]) for u in found if u.strip()]
