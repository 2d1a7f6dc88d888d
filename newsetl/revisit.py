"""The page memory: what crawls learned about the pages that are not articles, and the
revisit schedule it drives.

The known-articles file (:mod:`newsetl.crawldir`) says which articles the dataset holds.
The page memory says the rest, one entry per URL:

- ``listing``: an HTML page whose links the crawl followed (home, sections, tags ...),
  with its validators (ETag, Last-Modified), the SHA-1 of its last body, the requests its
  last parse made (``children``) and its revisit interval;
- ``sitemap`` and ``feed``: the same, without an interval (they are asked on every run);
- ``leaf``: a page fetched and not expanded that is no article (an HTML page that the
  classifier rejected, a PDF, a page robots.txt forbids ...);
- ``gone``: a page that answered 404 or 410, with the number of such answers in a row.

How the crawl uses it (``spiders.revisit``), with the bounds of :class:`RevisitPolicy`:

- a listing is read again once its interval has passed (90 % of it, so that an hourly
  schedule that starts a little early still reads it). The interval is ``listing_min_s``
  (1 hour) after a visit that showed a link to a page we know nothing of, and doubles
  after each visit that showed nothing new, up to ``listing_max_s`` (1 day): a new article
  linked only from a listing is found within a day. Sitemaps and feeds are asked on every
  run: they are the first signal of change;
- a page that answered 404/410 is not asked again for ``gone_min_s`` (1 hour), doubling
  with each further 404/410, up to ``gone_max_s`` (30 days);
- a leaf is not asked again for ``leaf_s`` (30 days);
- listings, sitemaps and feeds are asked conditionally; one that answers 304, or the
  same body as last time, is not parsed again, unless some request its last parse made
  is still unsettled (neither stored as an article or a page that is not one, nor in the
  memory: it failed, or the page budget left it out); then it is fetched whole and parsed.

A sitemap or feed entry dated after the last visit of a page beats all of the above.

The memory lives in the state folder, one file per data folder
(:func:`memory_path`), JSON lines after a header line that names the dataset
generation it was written after. The flow merges a crawl's entries into it after the
crawl's rows are committed (:func:`merge_memory`), so a crash before the commit leaves
the memory as it was; the file is written whole (temporary file, then rename) under a
lock. A dataset whose generation is below the header's (removed and made again) makes
the memory unusable (:func:`usable_memory`). Pure Python: no Scrapy, no Prefect.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsetl.crawldir import iter_json_lines

if TYPE_CHECKING:
    from newsetl.models import FetchedPage

log = logging.getLogger(__name__)

__all__ = [
    "MEMORY_FILE",
    "Remembered",
    "RevisitPolicy",
    "memory_path",
    "memory_of",
    "merge_memory",
    "read_memory",
    "remember_run",
    "usable_memory",
    "write_entries",
]

# The file a crawl writes its entries to, in its crawl folder.
MEMORY_FILE = "memory.jsonl"
ROLES = ("listing", "sitemap", "feed", "leaf", "gone")
HOUR = 3600.0
DAY = 24 * HOUR
# Entries not visited for this long are dropped when the memory is merged.
FORGET_AFTER_S = 90 * DAY
_FORMAT = 1


@dataclass(slots=True)
class Remembered:
    """What the memory holds of one URL."""

    url: str
    role: str
    visited: datetime  # when it was last fetched (UTC)
    interval_s: float = 0.0  # listing: revisit interval; gone: back-off
    misses: int = 0  # gone: 404/410 answers in a row
    etag: str | None = None
    last_modified: str | None = None
    sha1: str | None = None  # of the last body received
    children: tuple[str, ...] = ()  # crawl keys of the requests its last parse made
    via: str = "link"
    depth: int = 0
    start: str | None = None  # the start URL of the crawl that found it
    html: bool = False  # leaf: an HTML page (a rejected article candidate)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "url": self.url,
            "role": self.role,
            "visited": self.visited.astimezone(UTC).isoformat(timespec="seconds"),
        }
        for name in ("interval_s", "misses", "etag", "last_modified", "sha1", "start"):
            value = getattr(self, name)
            if value:
                data[name] = value
        if self.children:
            data["children"] = list(self.children)
        if self.via != "link":
            data["via"] = self.via
        if self.depth:
            data["depth"] = self.depth
        if self.html:
            data["html"] = True
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Remembered | None:
        """The entry of a memory line; None for one that is not usable."""
        try:
            url, role = data["url"], data["role"]
            visited = datetime.fromisoformat(data["visited"])
        except (KeyError, TypeError, ValueError):
            return None
        if not isinstance(url, str) or role not in ROLES:
            return None
        if visited.tzinfo is None:
            visited = visited.replace(tzinfo=UTC)
        children = data.get("children") or ()
        try:
            return cls(
                url=url,
                role=role,
                visited=visited,
                interval_s=float(data.get("interval_s") or 0.0),
                misses=int(data.get("misses") or 0),
                etag=_text(data.get("etag")),
                last_modified=_text(data.get("last_modified")),
                sha1=_text(data.get("sha1")),
                children=tuple(c for c in children if isinstance(c, str)),
                via=str(data.get("via") or "link"),
                depth=int(data.get("depth") or 0),
                start=_text(data.get("start")),
                html=data.get("html") is True,
            )
        except (TypeError, ValueError):
            return None

    @property
    def kind(self) -> str:
        """How it is requested: ``sitemap``, ``feed`` or ``page``."""
        return self.role if self.role in ("sitemap", "feed") else "page"

    def age_s(self, now: datetime) -> float:
        return (now - self.visited).total_seconds()

    def conditional_headers(self) -> dict[str, str]:
        return conditional_headers(self.etag, self.last_modified)


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since for the validators a page last sent."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def body_hash(body: bytes) -> str:
    return hashlib.sha1(body).hexdigest()


@dataclass(frozen=True, slots=True)
class RevisitPolicy:
    """The bounds of the revisit schedule (see the module docstring)."""

    listing_min_s: float = HOUR
    listing_max_s: float = DAY
    gone_min_s: float = HOUR
    gone_max_s: float = 30 * DAY
    leaf_s: float = 30 * DAY
    due_fraction: float = 0.9  # a listing is due once this share of its interval passed

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> RevisitPolicy:
        """The default policy, with ``NEWSETL_LISTING_REVISIT_MIN`` and
        ``NEWSETL_LISTING_REVISIT_MAX`` (durations: ``90s``, ``1h``, ``1d``; ``0`` reads
        every listing on every run) when set. Raises ValueError for a bad duration."""
        env = dict(os.environ if env is None else env)
        lo = env.get("NEWSETL_LISTING_REVISIT_MIN")
        hi = env.get("NEWSETL_LISTING_REVISIT_MAX")
        if not lo and not hi:
            return cls()
        from newsetl.config import parse_duration

        default = cls()
        low = parse_duration(lo, allow_zero=True) if lo else default.listing_min_s
        high = parse_duration(hi, allow_zero=True) if hi else default.listing_max_s
        return cls(listing_min_s=min(low, high), listing_max_s=high)

    def listing_due(self, entry: Remembered, now: datetime) -> bool:
        interval = min(entry.interval_s, self.listing_max_s)
        return entry.age_s(now) >= interval * self.due_fraction

    def next_listing_interval(self, previous: Remembered | None, showed_new: bool) -> float:
        """A listing's interval after a visit: the shortest after one that showed a new
        link, else double the last one, within the bounds."""
        if showed_new or previous is None or previous.role != "listing":
            return self.listing_min_s
        return min(max(previous.interval_s * 2, self.listing_min_s), self.listing_max_s)

    def gone_backoff(self, misses: int) -> float:
        """How long a page that answered 404/410 ``misses`` times in a row is left alone."""
        if misses <= 0:
            return 0.0
        return min(self.gone_min_s * 2 ** min(misses - 1, 30), self.gone_max_s)

    def resting(self, entry: Remembered, now: datetime) -> str | None:
        """Why a link to this remembered page is not followed now, or None: ``gone``
        (a 404/410 within its back-off), ``not_due`` (a listing read recently enough),
        ``leaf`` (a page that is no article, within ``leaf_s``)."""
        if entry.role == "gone":
            return "gone" if entry.age_s(now) < self.gone_backoff(entry.misses) else None
        if entry.role == "listing":
            return None if self.listing_due(entry, now) else "not_due"
        if entry.role == "leaf":
            return "leaf" if entry.age_s(now) < self.leaf_s else None
        return None  # sitemaps and feeds: asked on every run


# -- the file --------------------------------------------------------------------------


@dataclass(slots=True)
class Memory:
    """A memory file's contents: its entries by URL and the header's generation."""

    entries: dict[str, Remembered] = field(default_factory=dict)
    generation: int = 0
    bad_lines: int = 0


def memory_path(state: Path, data_dir: str | os.PathLike[str]) -> Path:
    """The memory file of a data folder, in the state folder ``state``."""
    name = hashlib.sha1(str(Path(data_dir).resolve()).encode("utf-8")).hexdigest()[:16]
    return Path(state) / "memory" / f"{name}.jsonl"


def read_memory(path: str | os.PathLike[str]) -> Memory:
    """The memory in ``path``; an empty one when the file does not exist. Unusable lines
    are counted and skipped; a later line for the same URL wins."""
    memory = Memory()
    try:
        lines = list(iter_json_lines(path))
    except FileNotFoundError:
        return memory
    for data in lines:
        if data is not None and "newsetl_memory" in data:
            memory.generation = int(data.get("generation") or 0)
            continue
        entry = Remembered.from_dict(data) if data is not None else None
        if entry is None:
            memory.bad_lines += 1
            continue
        memory.entries[entry.url] = entry
    if memory.bad_lines:
        log.warning("page memory %s: %d unusable lines skipped", path, memory.bad_lines)
    return memory


def usable_memory(path: Path, generation: int) -> str | None:
    """``path`` as a string when it holds a memory the dataset at ``generation`` can use;
    None when there is none, or when it was written after a commit the dataset does not
    have (the data folder was removed and made again)."""
    try:
        with open(path, encoding="utf-8") as fh:
            head = json.loads(fh.readline() or "{}")
    except (OSError, ValueError):
        return None
    if not isinstance(head, dict) or int(head.get("generation") or 0) > generation:
        return None
    return str(path)


def write_entries(path: Path, entries: Iterable[Remembered]) -> None:
    """A crawl's entries, as JSON lines (no header), written whole."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for entry in entries:
            fh.write(json.dumps(entry.to_dict(), ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def merge_memory(
    path: Path,
    updates: Path,
    generation: int,
    *,
    not_articles: set[str] | None = None,
    replace: bool = False,
    now: datetime | None = None,
) -> int:
    """Merge a crawl's entries (``updates``, written by the spider) into the memory file
    ``path``, after the crawl's rows were committed as dataset ``generation``; return the
    number of entries kept.

    An HTML leaf is kept only when its URL is in ``not_articles`` (this run's pages found
    not to be articles; the others are articles, or could not be read). An entry visited
    later wins; entries not visited for 90 days are dropped. ``replace``: the memory in
    ``path`` was not usable when the run began (:func:`usable_memory`): it is dropped.
    Runs merge one at a time (a
    lock next to the file); the file is replaced whole. Raises OSError when it cannot be
    written. A missing ``updates`` file changes nothing but the header.
    """
    now = now or datetime.now(UTC)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a+") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            current = Memory() if replace else read_memory(path)
            entries = current.entries
            fresh = read_memory(updates).entries if updates.exists() else {}
            for url, entry in fresh.items():
                if entry.role == "leaf" and entry.html and url not in (not_articles or set()):
                    continue
                old = entries.get(url)
                if old is None or entry.visited >= old.visited:
                    entries[url] = entry
            kept = [e for e in entries.values() if e.age_s(now) < FORGET_AFTER_S]
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            with open(tmp, "w", encoding="utf-8") as fh:
                head = {
                    "newsetl_memory": _FORMAT,
                    "generation": max(generation, current.generation),
                }
                fh.write(json.dumps(head) + "\n")
                for entry in kept:
                    fh.write(json.dumps(entry.to_dict(), ensure_ascii=False) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
    return len(kept)


def memory_of(
    state: Path, data_dir: str | os.PathLike[str], generation: int
) -> tuple[Path, str | None]:
    """The memory file of a data folder (see :func:`memory_path`) and, when the dataset
    at ``generation`` can use it, the same as a string for the crawl (else None)."""
    path = memory_path(state, data_dir)
    return path, usable_memory(path, generation)


def remember_run(
    path: Path,
    crawl_dir: str | os.PathLike[str],
    generation: int,
    pages: list[FetchedPage],
    fates: dict[int, tuple[str, str | None]],
    used: str | None,
) -> str | None:
    """Merge what a crawl remembered (its folder's ``memory.jsonl``) into the memory file
    ``path`` once the run's rows are committed as ``generation``; ``pages`` and ``fates``
    are the run's fetch records and their fates (index -> (fate, article id)), which say
    which pages are no articles; ``used``: the memory the crawl was given (None: what
    ``path`` holds is dropped). Returns None, or what went wrong writing the file."""
    not_articles = {
        url
        for i, page in enumerate(pages)
        if fates.get(i, ("", None))[0].startswith("not_article")
        for url in (page.url, page.final_url)
        if url
    }
    updates = Path(crawl_dir) / MEMORY_FILE
    try:
        merge_memory(path, updates, generation, not_articles=not_articles, replace=used is None)
    except OSError as exc:
        return str(exc)
    return None
