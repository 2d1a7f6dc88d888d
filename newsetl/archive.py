"""Raw page archive: the crawl's fetches as a WARC file (``<crawl dir>/archive.warc.gz``).

The crawl child writes it with :class:`ArchiveWriter`; the flow (or a reprocess) reads it
back with :func:`iter_archived_pages`. Pure Python plus ``warcio``: no Scrapy, no Prefect.

Layout (WARC/1.0, one gzip member per record, flushed after each record so a crash
leaves a readable prefix):

* ``warcinfo`` first: ``software``, ``format``, ``payload-note`` (see below), and what the caller adds.
* per fetch, in this order:

  - ``request``  (``WARC-Concurrent-To`` the response): ``GET <path> HTTP/1.1`` and the
    request headers as the crawler sent them (``Host`` added);
  - ``response``: HTTP status line and headers as received, and the body *as the
    crawler saw it*, i.e. after ``Content-Encoding`` was decoded. To keep the record
    consistent ``Content-Encoding`` is absent once decoded (Scrapy drops it; it stays only
    on a payload that is still encoded), ``Transfer-Encoding`` is dropped and
    ``Content-Length`` is set to the stored length; received values that differ are kept
    as ``X-Archive-Orig-Content-Length`` / ``X-Archive-Orig-Transfer-Encoding``.
    Bodies the crawler stopped downloading (PDF, images: anything it does not read) get
    an empty payload and ``WARC-Truncated: length``. A 304 answer is a ``response`` record
    with status 304 and no payload.
  - ``metadata`` (``Content-Type: application/json``, ``WARC-Concurrent-To`` and
    ``WARC-Refers-To`` the response's ``WARC-Record-ID``): the fetch's
    :class:`newsetl.models.FetchedPage` fields (url as discovered, kind, discovered_via,
    depth, in_feed, in_sitemap, listed_title, listed_published, lastmod, start_url, ...).

``WARC-Target-URI`` is the URL that answered (the final URL of this hop), ``WARC-Date``
the fetch time (UTC).
"""

from __future__ import annotations

import io
import json
import logging
import os
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsetl import __version__
from newsetl.models import FetchedPage

__all__ = [
    "ARCHIVE_NAME",
    "ArchiveWriter",
    "ArchivedPage",
    "iter_archived_pages",
]

logger = logging.getLogger(__name__)

ARCHIVE_NAME = "archive.warc.gz"
FORMAT = "WARC File Format 1.0"
PAYLOAD_NOTE = (
    "response payloads are stored as the crawler received them after Content-Encoding "
    "decoding (a Content-Encoding header is left only where the payload is still encoded); "
    "Transfer-Encoding dropped and Content-Length set to the stored payload length "
    "(received values in X-Archive-Orig-*); bodies not downloaded (non-HTML such as PDF, images) "
    "have an empty payload and WARC-Truncated: length"
)
_DROP = frozenset({"content-encoding", "transfer-encoding", "content-length"})
# gzip level of each record member. warcio compresses at level 9, which costs the crawl
# ~1.8 ms of CPU per 100 KB page; level 1 costs ~0.6 ms for an archive ~12 % larger.
GZIP_LEVEL = 1

Headers = Mapping[str, str] | Iterable[tuple[str, str]]


def _pairs(headers: Headers | None) -> list[tuple[str, str]]:
    if headers is None:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(str(k), str(v)) for k, v in items]


def _warc_date(when: datetime | str | None) -> str:
    if when is None:
        when = datetime.now(UTC)
    elif isinstance(when, str):
        when = datetime.fromisoformat(when.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ArchiveWriter:
    """Append fetches to a ``.warc.gz``. Not thread-safe (the crawl writes from the reactor
    thread). ``with ArchiveWriter(path) as w: w.write_fetch(...)``."""

    def __init__(
        self,
        path: str | Path,
        *,
        software: str | None = None,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        self.path = Path(path)
        self._fh: IO[bytes] | None = open(self.path, "wb")  # noqa: SIM115
        # warcio builds each record uncompressed into a buffer; _write gzips it as one
        # member at GZIP_LEVEL (warcio's own gzip=True always uses level 9).
        self._buf = io.BytesIO()
        self._writer = WARCWriter(self._buf, gzip=False)
        self.records = 0
        fields: dict[str, Any] = {
            "software": software or f"newsetl/{__version__}",
            "format": FORMAT,
            "payload-note": PAYLOAD_NOTE,
        }
        fields.update(info or {})
        self._write(self._writer.create_warcinfo_record(self.path.name, fields))

    def _write(self, record: Any) -> None:
        assert self._fh is not None, "archive is closed"
        buf = self._buf
        buf.seek(0)
        buf.truncate()
        self._writer.write_record(record)
        gz = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        with buf.getbuffer() as data:
            self._fh.write(gz.compress(data) + gz.flush())
        self._fh.flush()  # each record is its own gzip member: a crash keeps a prefix
        self.records += 1

    def write_fetch(
        self,
        *,
        url: str,
        status: int,
        response_headers: Headers,
        body: bytes,
        request_headers: Headers | None = None,
        method: str = "GET",
        protocol: str | None = "HTTP/1.1",
        fetched_at: datetime | str | None = None,
        metadata: Mapping[str, Any] | None = None,
        truncated: bool = False,
        decoded: bool = False,
    ) -> str:
        """Write request, response and (if ``metadata``) metadata records for one fetch;
        return the response's ``WARC-Record-ID``.

        ``url`` is the URL that answered; ``body`` the payload as the crawler has it
        (Content-Encoding decoded). ``decoded``: the body was decoded but the headers
        still name a Content-Encoding (Scrapy drops the header when it decodes, and keeps
        it, with the body still encoded, when it cannot; the default suits both).
        ``truncated``: the body was not (fully) downloaded on purpose.
        """
        if self._fh is None:
            raise ValueError("archive is closed")
        date = _warc_date(fetched_at)
        protocol = protocol or "HTTP/1.1"
        received = _pairs(response_headers)
        kept: list[tuple[str, str]] = []
        orig: list[tuple[str, str]] = []
        for name, value in received:
            low = name.lower()
            if low == "content-encoding":
                if decoded:
                    orig.append(("X-Archive-Orig-Content-Encoding", value))
                else:
                    kept.append((name, value))  # still encoded: the header describes the body
            elif low == "content-length":
                if value.strip() != str(len(body)):
                    orig.append(("X-Archive-Orig-Content-Length", value))
            elif low == "transfer-encoding":
                orig.append(("X-Archive-Orig-Transfer-Encoding", value))
            else:
                kept.append((name, value))
        kept.extend(orig)
        kept.append(("Content-Length", str(len(body))))
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Unknown"
        http_headers = StatusAndHeaders(f"{status} {phrase}", kept, protocol=protocol)
        warc_headers = {"WARC-Date": date}
        if truncated:
            warc_headers["WARC-Truncated"] = "length"
        response = self._writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=http_headers,
            warc_headers_dict=warc_headers,
        )
        resp_id = response.rec_headers.get_header("WARC-Record-ID")

        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        req_pairs = _pairs(request_headers)
        if not any(k.lower() == "host" for k, _ in req_pairs):
            req_pairs.insert(0, ("Host", parts.netloc))
        request = self._writer.create_warc_record(
            url,
            "request",
            payload=io.BytesIO(b""),
            length=0,
            http_headers=StatusAndHeaders(
                f"{method} {target} {protocol}", req_pairs, is_http_request=True
            ),
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": resp_id},
        )
        self._write(request)
        self._write(response)
        if metadata is not None:
            data = json.dumps(dict(metadata), ensure_ascii=False, sort_keys=True).encode()
            meta = self._writer.create_warc_record(
                url,
                "metadata",
                payload=io.BytesIO(data),
                length=len(data),
                warc_content_type="application/json",
                warc_headers_dict={
                    "WARC-Date": date,
                    "WARC-Concurrent-To": resp_id,
                    "WARC-Refers-To": resp_id,
                },
            )
            self._write(meta)
        return resp_id

    def close(self) -> None:
        if self._fh is not None:
            try:
                self._fh.flush()
                os.fsync(self._fh.fileno())
            except OSError:
                pass
            self._fh.close()
            self._fh = None

    def __enter__(self) -> ArchiveWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------------------
# Reading


@dataclass(slots=True)
class ArchivedPage:
    """One archived fetch: the response plus the crawler's record of it.

    ``headers`` are the HTTP response headers as stored (repeated names joined with
    ``", "``); ``body`` is the stored payload (empty for 304s and truncated bodies).
    The metadata fields are None/False/"" when the metadata record is missing (e.g. a
    crash between the records); ``meta`` holds the metadata JSON as written.
    """

    url: str  # as discovered (before redirects); the target URI without metadata
    final_url: str  # WARC-Target-URI: the URL that answered
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: str | None  # ISO 8601 UTC
    kind: str = "page"
    discovered_via: str = "start"
    depth: int = 0
    in_feed: bool = False
    in_sitemap: bool = False
    listed_title: str | None = None
    listed_published: str | None = None
    lastmod: str | None = None
    start_url: str | None = None
    reason: str | None = None
    body_path: str | None = None
    truncated: bool = False  # WARC-Truncated: the body was not downloaded in full
    record_id: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        """A response header, case-insensitively."""
        low = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == low), None)

    def to_fetched_page(self) -> FetchedPage:
        """The :class:`FetchedPage` of this fetch (from the metadata record when present,
        else rebuilt from the response)."""
        if self.meta:
            return FetchedPage.from_dict(self.meta)
        ctype = self.header("Content-Type") or ""
        mime = ctype.split(";", 1)[0].strip().lower() or None
        charset = None
        if "charset=" in ctype.lower():
            charset = ctype.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'") or None
        return FetchedPage(
            url=self.url,
            final_url=self.final_url,
            status=self.status,
            content_type=mime,
            bytes=len(self.body),
            fetched_at=self.fetched_at,
            kind=self.kind,
            discovered_via=self.discovered_via,
            depth=self.depth,
            reason=self.reason,
            encoding_hint=charset,
            etag=self.header("ETag"),
            last_modified=self.header("Last-Modified"),
            content_language=self.header("Content-Language"),
            start_url=self.start_url,
        )


_META_FIELDS = (
    "kind",
    "discovered_via",
    "depth",
    "in_feed",
    "in_sitemap",
    "listed_title",
    "listed_published",
    "lastmod",
    "start_url",
    "reason",
    "body_path",
)


def _iso_from_warc(date: str | None) -> str | None:
    if not date:
        return None
    try:
        return datetime.fromisoformat(date.replace("Z", "+00:00")).isoformat()
    except ValueError:
        return date


def _attach(page: ArchivedPage, meta: dict[str, Any]) -> ArchivedPage:
    page.meta = meta
    if meta.get("url"):
        page.url = meta["url"]
    if meta.get("fetched_at"):
        page.fetched_at = meta["fetched_at"]
    for name in _META_FIELDS:
        if name in meta and meta[name] is not None:
            setattr(page, name, meta[name])
    return page


def _http_headers(record: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    if record.http_headers is None:
        return out
    for name, value in record.http_headers.headers:
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def _read_whole(record: Any) -> bytes:
    """The record's payload; ValueError when the record is cut short or its digest is
    wrong (a short read is otherwise silent in warcio)."""
    uri = record.rec_headers.get_header("WARC-Target-URI")
    if record.rec_headers.get_header("Content-Length") is None or (
        record.rec_type in ("response", "request", "metadata") and not uri
    ):
        raise ValueError(f"{record.rec_type} record with incomplete WARC headers")
    data = record.content_stream().read()
    if getattr(record.raw_stream, "limit", 0) > 0:
        raise ValueError(
            f"{record.rec_type} record for {record.rec_headers.get_header('WARC-Target-URI')} "
            "is truncated"
        )
    checker = getattr(record, "digest_checker", None)
    if checker is not None and checker.problems:
        raise ValueError(f"{record.rec_type} record: {'; '.join(checker.problems)}")
    return data


def iter_archived_pages(path: str | Path, *, warn: bool = True) -> Iterator[ArchivedPage]:
    """Yield each archived response (request records skipped, metadata merged in), in file
    order. Damage (a truncated or corrupt record, e.g. after a crash) ends the iteration
    with a logged warning; everything before it is yielded. Never raises for damage; a
    missing file raises ``FileNotFoundError``.
    """
    from warcio.archiveiterator import ArchiveIterator  # only readers need it

    pending: ArchivedPage | None = None
    with open(path, "rb") as fh:
        records = ArchiveIterator(fh, check_digests=True)
        while True:
            try:
                record = next(records)
                rtype = record.rec_type
                if rtype == "response":
                    body = _read_whole(record)
                    headers = _http_headers(record)
                    page = ArchivedPage(
                        url=record.rec_headers.get_header("WARC-Target-URI") or "",
                        final_url=record.rec_headers.get_header("WARC-Target-URI") or "",
                        status=int(record.http_headers.get_statuscode() or 0)
                        if record.http_headers
                        else 0,
                        headers=headers,
                        body=body,
                        fetched_at=_iso_from_warc(record.rec_headers.get_header("WARC-Date")),
                        truncated=bool(record.rec_headers.get_header("WARC-Truncated")),
                        record_id=record.rec_headers.get_header("WARC-Record-ID") or "",
                    )
                    if pending is not None:
                        yield pending
                    pending = page
                elif rtype == "metadata":
                    refers = record.rec_headers.get_header(
                        "WARC-Concurrent-To"
                    ) or record.rec_headers.get_header("WARC-Refers-To")
                    data = _read_whole(record)
                    if pending is not None and refers == pending.record_id:
                        try:
                            meta = json.loads(data)
                        except ValueError as exc:
                            raise ValueError("damaged metadata record") from exc
                        if isinstance(meta, dict):
                            _attach(pending, meta)
                        yield pending
                        pending = None
                else:
                    _read_whole(record)
            except StopIteration:
                break
            except Exception as exc:  # any damage: keep what was read, stop here
                if warn:
                    logger.warning("archive %s: stopped at damaged data: %s", path, exc)
                break
    if pending is not None:
        yield pending
