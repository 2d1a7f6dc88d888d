"""The crawl folder: what the crawl hands to extraction, and the only code that writes or
reads its layout.

A crawl attempt writes one folder::

    pages.jsonl        one :class:`newsetl.models.FetchedPage` JSON line per fetch attempt,
                       flushed per line (a follower reads it while the crawl runs)
    bodies/<sha1>.html kept HTML bodies, raw bytes, named after the final URL
    archive.warc.gz    every fetch as WARC records (:mod:`newsetl.archive`)
    stats.json         the crawl's counts, written last and whole: the end mark

Its control folder (one per run) holds ``current`` (the attempt folder being written) and
``finished.json`` (how the crawl ended), each written whole (temporary file, then rename),
so a reader never sees half of one. Several crawler processes' folders are merged into
one (:func:`merge_crawls`). The known-articles file tells an incremental crawl what
earlier runs stored (:func:`write_known`, :func:`iter_known`).

Pure Python: no Scrapy, no Prefect.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from newsetl.models import FetchedPage

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger(__name__)

PAGES_FILE = "pages.jsonl"
STATS_FILE = "stats.json"
BODIES_DIR = "bodies"
ARCHIVE_FILE = "archive.warc.gz"  # newsetl.archive.ARCHIVE_NAME
CURRENT_FILE = "current"
FINISHED_FILE = "finished.json"


# -- scratch folders ----------------------------------------------------------------------


def work_root(state_dir: Path) -> Path:
    """Scratch folders of crawls; those of runs that died are removed after a day."""
    root = state_dir / "work"
    root.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - 24 * 3600
    for old in root.iterdir():
        try:
            if old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass
    return root


def new_attempt(control: Path) -> Path:
    """A fresh attempt folder in the run's control folder; earlier attempts are removed
    (a retried crawl starts clean)."""
    control.mkdir(parents=True, exist_ok=True)
    for old in control.glob("attempt-*"):
        shutil.rmtree(old, ignore_errors=True)
    out = control / f"attempt-{uuid.uuid4().hex[:8]}"
    out.mkdir()
    return out


# -- the writer (the crawl child) ---------------------------------------------------------


def body_name(final_url: str) -> str:
    """Where a kept body goes, relative to the crawl folder."""
    return f"{BODIES_DIR}/" + hashlib.sha1(final_url.encode("utf-8")).hexdigest() + ".html"


def remove_end_mark(out_dir: Path) -> None:
    """Remove a stats.json left by an earlier crawl: it marks a finished crawl for readers
    of pages.jsonl, and this one has not finished."""
    (Path(out_dir) / STATS_FILE).unlink(missing_ok=True)


class CrawlWriter:
    """Writes a crawl folder: fetch records, kept bodies and (when asked) the WARC."""

    def __init__(self, out_dir: str | os.PathLike[str]) -> None:
        self.dir = Path(out_dir)
        self._pages: IO[str] | None = None
        self._archive: Any = None

    def open(self, archive_info: dict[str, Any] | None = None) -> None:
        """Start pages.jsonl (and the WARC with this warcinfo, unless None)."""
        (self.dir / BODIES_DIR).mkdir(parents=True, exist_ok=True)
        self._pages = open(self.dir / PAGES_FILE, "w", encoding="utf-8")  # noqa: SIM115
        if archive_info is not None:
            from newsetl.archive import ArchiveWriter

            self._archive = ArchiveWriter(self.dir / ARCHIVE_FILE, info=archive_info)

    def write_body(self, final_url: str, body: bytes) -> str:
        """Keep an HTML body as received; return its path relative to the folder."""
        path = body_name(final_url)
        (self.dir / path).write_bytes(body)
        return path

    def write_record(self, data: dict[str, Any]) -> None:
        """One fetch record as a line of pages.jsonl."""
        if self._pages is not None:
            # One line per fetch, flushed at once: the flow reads pages.jsonl while the
            # crawl is still writing it (stats.json, written at the end, marks the end).
            self._pages.write(json.dumps(data, ensure_ascii=False) + "\n")
            self._pages.flush()

    @property
    def archiving(self) -> bool:
        return self._archive is not None

    def archive_fetch(self, **fetch: Any) -> None:
        """Append a fetch to the WARC (see ``ArchiveWriter.write_fetch``); raises on failure."""
        self._archive.write_fetch(**fetch)

    def close_pages(self) -> None:
        if self._pages is not None:
            self._pages.close()
            self._pages = None

    def close_archive(self) -> None:
        if self._archive is not None:
            self._archive.close()
            self._archive = None


def _json_safe(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_json_safe(v) for v in value]
    return str(value)


def write_stats(
    out_dir: Path, scrapy_stats: dict[str, Any], ours: dict[str, Any]
) -> dict[str, Any]:
    """Write ``stats.json``: our counts at the top level, Scrapy's under ``"scrapy"``."""
    data = dict(ours)
    data["scrapy"] = _json_safe(dict(scrapy_stats))
    tmp = Path(out_dir) / f"{STATS_FILE}.tmp"
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False), encoding="utf-8")
    tmp.replace(Path(out_dir) / STATS_FILE)
    return data


# -- the readers (the flow) ---------------------------------------------------------------


def _page_of(line: bytes | str, path: Path) -> FetchedPage | None:
    line = line.strip()
    if not line:
        return None
    try:
        return FetchedPage.from_dict(json.loads(line))
    except (ValueError, TypeError):
        log.warning("skipping a damaged line in %s", path)  # a killed child's last line
        return None


def read_crawl(crawl_dir: str | os.PathLike[str]) -> tuple[list[FetchedPage], dict[str, Any]]:
    """The fetch records and stats a crawl child process left in its folder."""
    crawl_dir = Path(crawl_dir)
    pages: list[FetchedPage] = []
    path = crawl_dir / PAGES_FILE
    if path.exists():
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                page = _page_of(line, path)
                if page is not None:
                    pages.append(page)
    return pages, read_crawl_stats(crawl_dir)


def read_crawl_stats(crawl_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The stats a crawl child process left in its folder; {} when there are none."""
    try:
        return json.loads((Path(crawl_dir) / STATS_FILE).read_text())
    except (OSError, ValueError):
        return {}


class PagesTail:
    """Reads the records appended to an attempt folder's pages.jsonl since the last look."""

    def __init__(self, attempt_dir: Path) -> None:
        self.dir = attempt_dir
        self.offset = 0
        self.tail = b""

    def read_lines(self, final: bool) -> list[bytes]:
        """Complete lines appended to ``pages.jsonl`` since the last call."""
        try:
            with open(self.dir / PAGES_FILE, "rb") as fh:
                fh.seek(self.offset)
                chunk = fh.read()
        except FileNotFoundError:
            return []
        self.offset += len(chunk)
        data = self.tail + chunk
        lines = data.split(b"\n")
        self.tail = lines.pop()
        if final and self.tail:
            lines.append(self.tail)  # a last line without its newline
            self.tail = b""
        return lines

    def read_pages(self, final: bool) -> Iterator[FetchedPage]:
        """The records of :meth:`read_lines`; damaged lines are logged and skipped."""
        for line in self.read_lines(final):
            page = _page_of(line, self.dir / PAGES_FILE)
            if page is not None:
                yield page


# -- the control files --------------------------------------------------------------------


def _write_whole(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def mark_crawl_attempt(control_dir: str | os.PathLike[str], attempt_dir: str) -> None:
    """Tell a follower that the crawl now writes to ``attempt_dir`` (a folder name)."""
    _write_whole(Path(control_dir) / CURRENT_FILE, attempt_dir)


def mark_crawl_finished(
    control_dir: str | os.PathLike[str], attempt_dir: str | None = None, error: str | None = None
) -> None:
    """Tell a follower the crawl ended: its pages are all in ``attempt_dir``, or it failed."""
    state = {"dir": attempt_dir} if error is None else {"error": error}
    _write_whole(Path(control_dir) / FINISHED_FILE, json.dumps(state))


def read_control(control_dir: Path) -> tuple[str | None, dict[str, Any] | None]:
    """(the attempt folder named by ``current``, the ``finished.json`` state), None where
    not written yet."""
    current = _read_text(control_dir / CURRENT_FILE)
    finished_raw = _read_text(control_dir / FINISHED_FILE)
    finished = json.loads(finished_raw) if finished_raw else None
    return (current.strip() if current else None), finished


# -- several crawlers, one folder ---------------------------------------------------------


def merge_crawls(parts: list[Path], out: Path) -> None:
    """One crawl folder from several crawler processes' folders (pages, bodies, archive)."""
    stats: dict[str, Any] = {"crawlers": []}
    counters = (
        "records",
        "pages_fetched",
        "html_pages",
        "errors",
        "skipped_known",
        "not_modified",
    )
    with open(out / PAGES_FILE, "w", encoding="utf-8") as pages_out:
        for part in parts:
            for line in (part / PAGES_FILE).read_text(encoding="utf-8").splitlines():
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue  # a killed crawler's last line
                if rec.get("body_path"):
                    rec["body_path"] = f"{part.name}/{rec['body_path']}"
                pages_out.write(json.dumps(rec) + "\n")
            try:
                part_stats = json.loads((part / STATS_FILE).read_text())
            except (OSError, ValueError):
                part_stats = {}
            stats["crawlers"].append(part_stats)
            for key in counters:
                stats[key] = stats.get(key, 0) + int(part_stats.get(key) or 0)
    reasons = {s.get("finish_reason") for s in stats["crawlers"]}
    stats["finish_reason"] = (
        reasons.pop() if len(reasons) == 1 else ",".join(sorted(map(str, reasons)))
    )
    (out / STATS_FILE).write_text(json.dumps(stats))
    # gzip members concatenate: the WARC files of the crawlers make one WARC file.
    with open(out / ARCHIVE_FILE, "wb") as archive:
        for part in parts:
            src = part / ARCHIVE_FILE
            if src.exists():
                with open(src, "rb") as fh:
                    shutil.copyfileobj(fh, archive)


# -- the known-articles file --------------------------------------------------------------

# Page fates that mean "this URL is an article we hold".
ARTICLE_FATES = frozenset({"article", "duplicate", "unchanged", "revised"})
STORED_FATES = ARTICLE_FATES - {"unchanged"}

# The columns of data/pages that known_pages reads.
KNOWN_COLUMNS = (
    "url",
    "final_url",
    "kind",
    "fate",
    "etag",
    "last_modified",
    "fetched_at",
    "listed_date",
)


def known_pages(pages: pa.Table) -> list[dict[str, Any]]:
    """What earlier runs learned of each article URL, for an incremental crawl.

    ``pages`` is the fetch log (columns url, final_url, kind, fate, etag, last_modified,
    fetched_at). Returns one record per article URL: ``url``, ``is_article``, the newest
    ``etag`` / ``last_modified`` seen, and the last ``fetched_at`` (ISO 8601, UTC); then
    one ``{"url", "is_article": false}`` per other URL that was fetched and found not to
    be an article (fate ``not_article:*``; never one that failed). The crawl fetches
    those as usual; they only tell it that a listing linking to them shows nothing new.
    """
    latest: dict[str, dict[str, Any]] = {}
    not_articles: set[str] = set()
    cols = KNOWN_COLUMNS
    data: dict[str, list[Any]] = {
        c: pages.column(c).to_pylist() if c in pages.column_names else [None] * pages.num_rows
        for c in cols
    }
    n = pages.num_rows
    # "unchanged" (a 304, or the same body) says "an article we hold" only of a URL stored
    # as one: a listing that answers 304 is unchanged too (newsetl.revisit).
    stored = {
        u
        for i in range(n)
        if data["kind"][i] == "page" and data["fate"][i] in STORED_FATES
        for u in (data["url"][i], data["final_url"][i])
    }
    for i in range(n):
        if data["kind"][i] != "page":
            continue
        if data["fate"][i] == "unchanged" and not stored & {data["url"][i], data["final_url"][i]}:
            continue
        if data["fate"][i] not in ARTICLE_FATES:
            if str(data["fate"][i]).startswith("not_article"):
                not_articles.update({data["url"][i], data["final_url"][i]} - {None})
            continue
        fetched = data["fetched_at"][i]
        for url in {data["url"][i], data["final_url"][i]} - {None}:
            rec = latest.setdefault(
                url, {"url": url, "is_article": True, "etag": None, "last_modified": None}
            )
            if fetched is not None and (
                rec.get("fetched_at") is None or fetched > rec["fetched_at"]
            ):
                rec["fetched_at"] = fetched
                # A 304 carries no new validators: keep the ones of the last full answer.
                if data["etag"] and data["etag"][i]:
                    rec["etag"] = data["etag"][i]
                if data["last_modified"] and data["last_modified"][i]:
                    rec["last_modified"] = data["last_modified"][i]
                listed = data["listed_date"][i] if data["listed_date"] else None
                if listed is not None:
                    rec["listed_date"] = listed
    out = []
    for rec in latest.values():
        ts = rec.get("fetched_at")
        rec["fetched_at"] = ts.astimezone(UTC).isoformat() if ts is not None else None
        listed = rec.get("listed_date")
        rec["listed_date"] = listed.astimezone(UTC).isoformat() if listed is not None else None
        out.append(rec)
    for url in sorted(not_articles - latest.keys()):
        out.append({"url": url, "is_article": False})
    return out


def write_known(pages: pa.Table, path: Path) -> str | None:
    """Write the known-articles file of the fetch log ``pages`` (see :func:`known_pages`)
    whole; return its path, or None (and write nothing) when nothing is known."""
    known = known_pages(pages)
    if not known:
        return None
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for rec in known:
            fh.write(json.dumps(rec) + "\n")
    os.replace(tmp, path)
    return str(path)


def iter_json_lines(path: str | os.PathLike[str]) -> Iterator[dict[str, Any] | None]:
    """The JSON objects of a JSON-lines file, None for each line that is not one (blank
    lines are skipped). Raises OSError when the file cannot be read."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                data = json.loads(line)
            except ValueError:
                yield None
                continue
            yield data if isinstance(data, dict) else None


def iter_known(path: str | os.PathLike[str]) -> Iterator[dict[str, Any] | None]:
    """The records of a known-articles file, None for each line that is not a JSON object
    with a string ``url``. Raises OSError when the file cannot be read."""
    for data in iter_json_lines(path):
        yield data if data is not None and isinstance(data.get("url"), str) else None
