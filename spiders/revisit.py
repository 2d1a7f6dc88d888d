"""How the news spider uses the page memory (``--memory``, see :mod:`newsetl.revisit`):
which remembered pages rest this run, conditional requests for listings, sitemaps and
feeds, documents not parsed again when unchanged, and the entries it writes for the flow
to merge (``memory.jsonl`` in the crawl folder, written as the spider closes).

A page that rests, or a document that is unchanged, still leads to what it led to last
time where that is due: its remembered children are walked (:meth:`_drain_walks`), so a
sitemap listed in an unchanged sitemap index is still asked, and a section page linked
only from a home page that did not change is still read once its interval has passed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from newsetl.revisit import (
    MEMORY_FILE,
    Memory,
    Remembered,
    RevisitPolicy,
    body_hash,
    read_memory,
    write_entries,
)
from newsetl.urls import known_key

if TYPE_CHECKING:
    from scrapy.http import Request, Response

    from .news import Site

GONE_STATUSES = (404, 410)


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class RevisitMixin:
    """The page-memory half of :class:`spiders.news.NewsSpider`."""

    def _init_memory(self, memory: Any) -> None:
        self.memory_path = str(memory) if memory else None
        self.memory: dict[str, Remembered] = {}  # crawl key -> entry, as the run began
        self.memory_bad_lines = 0
        if memory:
            try:
                read = read_memory(memory)
            except OSError as exc:  # the crawl goes on as if nothing were remembered
                self.logger.warning("cannot read the page memory %s: %s", memory, exc)  # type: ignore[attr-defined]
                read = Memory()
            self.memory_bad_lines = read.bad_lines
            for url, entry in read.entries.items():
                try:
                    self.memory[known_key(url)] = entry
                except Exception:  # a URL our normalisation cannot handle  # noqa: BLE001
                    self.memory_bad_lines += 1
        self.policy = RevisitPolicy.from_env()
        self.now = datetime.now(UTC)
        self.visits: dict[str, Remembered] = {}  # crawl key -> entry after this run
        self.children: dict[str, set[str]] = {}  # document key -> keys it requested
        self.new_links: Counter = Counter()  # document key -> requests for unknown pages
        self.resting: dict[str, str] = {}  # key -> why it was not requested
        self.memory_counts: Counter = Counter()
        self._parent: str | None = None  # the document being parsed
        self._walks: list[str] = []
        self._walked: set[str] = set()
        self._settled: dict[str, bool] = {}
        self.unsettled: dict[str, list[str]] = {}  # examples: document -> children not stored

    # -- deciding -------------------------------------------------------------------

    def _rests(self, key: str, kind: str, via: str) -> bool:
        """Whether a remembered page is left alone this run (see
        :meth:`newsetl.revisit.RevisitPolicy.resting`). A listing that rests has its
        remembered children walked instead."""
        entry = self.memory.get(key)
        if entry is None or kind == "start":
            return False
        listed = self.listed_dates.get(key)  # type: ignore[attr-defined]
        if listed is not None and listed > entry.visited:
            return False  # a sitemap or feed says it changed since
        why = self.policy.resting(entry, self.now)
        if why == "not_due" and (via == "pagination" or not self._is_settled(entry)):
            why = None  # its parent shows something new / what it led to is not all stored
        if why == "leaf" and entry.html:
            known = self.known.get(key)  # type: ignore[attr-defined]
            if known is None or known.is_article:
                why = None  # not stored as a page that is no article: fetch it
        if why is None:
            return False
        self.resting[key] = why
        # Still a child of the document that links to it: when that document is unchanged
        # next time, its walk reaches this page once it is due.
        self._note_child(key, kind, requested=False)
        if why == "not_due":
            self._walks.append(key)
        return True

    def _is_settled(self, entry: Remembered) -> bool:
        """Whether every request the entry's last parse made is accounted for: stored as
        an article or a page that is none (the known file), or remembered."""
        settled = self._settled.get(entry.url)
        if settled is None:
            known = self.known  # type: ignore[attr-defined]
            open_ = [c for c in entry.children if c not in known and c not in self.memory]
            settled = not open_
            self._settled[entry.url] = settled
            if open_ and len(self.unsettled) < 20:  # for stats.json: why it is parsed again
                self.unsettled[entry.url] = open_[:3]
        return settled

    def _revisit_headers(self, key: str) -> dict[str, str] | None:
        """Conditional headers for a remembered listing, sitemap or feed whose last parse
        is settled ({} when it sent no validators but its body hash is kept); None when
        it is to be fetched and parsed whole."""
        entry = self.memory.get(key)
        if entry is None or entry.role not in ("listing", "sitemap", "feed"):
            return None
        if self.revisit_after_s:  # type: ignore[attr-defined]
            return None  # --revisit-after: what they list is to be looked at again
        if not (entry.sha1 or entry.etag or entry.last_modified) or not self._is_settled(entry):
            return None
        return entry.conditional_headers()

    def _note_child(self, key: str, kind: str, requested: bool) -> None:
        """The document being parsed made a request for ``key`` (or would have, but for
        the page budget)."""
        parent = self._parent
        if parent is None:
            return
        self.children.setdefault(parent, set()).add(key)
        if requested and kind == "page" and key not in self.memory and key not in self.known:  # type: ignore[attr-defined]
            self.new_links[parent] += 1

    def _is_unchanged(self, response: Response) -> bool:
        """A conditional answer that says the document is what it was: a 304, or the
        same body."""
        if not response.meta.get("nl_mem"):
            return False
        if response.status == 304:
            return True
        entry = self.memory.get(response.meta.get("nl_key") or "")
        return (
            entry is not None
            and entry.sha1 is not None
            and 200 <= response.status < 300
            and body_hash(response.body) == entry.sha1
        )

    # -- following ------------------------------------------------------------------

    def _unchanged(self, response: Response, site: Site):
        """A remembered document answered unchanged: it is not parsed; a start page still
        leads to the site's sitemaps, and its remembered children are walked."""
        key = response.meta["nl_key"]
        entry = self.memory[key]
        response.meta["nl_doc"] = "unchanged"
        self.memory_counts["unchanged"] += 1
        interval = entry.interval_s
        if entry.role == "listing":
            interval = self.policy.next_listing_interval(entry, showed_new=False)
        self.visits[key] = replace(
            entry,
            visited=datetime.now(UTC),
            interval_s=interval,
            etag=_header(response, b"ETag") or entry.etag,
            last_modified=_header(response, b"Last-Modified") or entry.last_modified,
        )
        if response.meta.get("nl_kind") == "start" and entry.role == "listing":
            yield from self._discover_site(response, site)  # type: ignore[attr-defined]
        self._walks.append(key)

    def _drain_walks(self, site: Site):
        """Requests for what resting and unchanged documents led to last time: their
        remembered sitemaps and feeds, and their listings that are due (those that are
        not are walked in turn)."""
        while self._walks:
            key = self._walks.pop()
            if key in self._walked:
                continue
            self._walked.add(key)
            entry = self.memory.get(key)
            for child_key in entry.children if entry is not None else ():
                child = self.memory.get(child_key)
                if child is None or child.role not in ("listing", "sitemap", "feed"):
                    continue
                if child.role == "listing" and child.via == "pagination":
                    continue  # followed from its listing's first page only
                if child_key in self.seen:  # type: ignore[attr-defined]
                    continue
                req: Request | None = self._request(  # type: ignore[attr-defined]
                    child.url, site, kind=child.kind, via=child.via, depth=child.depth
                )
                if req is not None:
                    self.memory_counts["replayed"] += 1
                    yield req

    # -- remembering ----------------------------------------------------------------

    def _remember(self, response: Response) -> None:
        """The entry for a fetched page, sitemap or feed after this run."""
        meta = response.meta
        key = meta.get("nl_key")
        doc = meta.get("nl_doc")
        if key is None or doc == "unchanged":
            return
        previous = self.memory.get(key)
        common = {
            "url": meta.get("nl_orig", response.url),
            "visited": datetime.now(UTC),
            "via": meta.get("nl_via", "link"),
            "depth": meta.get("nl_depth", 0),
            "start": meta.get("nl_start"),
        }
        if response.status in GONE_STATUSES:
            misses = previous.misses + 1 if previous is not None and previous.role == "gone" else 1
            self.visits[key] = Remembered(
                role="gone", misses=misses, interval_s=self.policy.gone_backoff(misses), **common
            )
            return
        if not 200 <= response.status < 300 or doc is None:
            return  # an error: what was remembered stays
        role = doc
        if doc == "html":
            role = "listing" if meta.get("nl_expanded") else "leaf"
        interval = 0.0
        if role == "listing":
            interval = self.policy.next_listing_interval(previous, self.new_links[key] > 0)
        parsed = role in ("listing", "sitemap", "feed")
        self.visits[key] = Remembered(
            role=role,
            interval_s=interval,
            etag=_header(response, b"ETag") if parsed else None,
            last_modified=_header(response, b"Last-Modified") if parsed else None,
            sha1=body_hash(response.body) if parsed else None,
            children=tuple(sorted(self.children.pop(key, ()))),
            html=doc == "html",
            **common,
        )

    def remember_skip(self, key: str | None, url: str, info: dict[str, Any]) -> None:
        """A page not fetched on purpose for good (robots.txt, not HTML ...): a leaf."""
        if key is None:
            return
        self.visits[key] = Remembered(
            url=url,
            role="leaf",
            visited=datetime.now(UTC),
            via=info.get("via") or "link",
            depth=info.get("depth") or 0,
            start=info.get("start_url"),
        )

    def remember_redirect(self, response: Response) -> None:
        """A redirect not followed for good (off the site, or to a page fetched on its
        own): a leaf."""
        meta = response.meta
        info = {
            "via": meta.get("nl_via"),
            "depth": meta.get("nl_depth"),
            "start_url": meta.get("nl_start"),
        }
        self.remember_skip(meta.get("nl_key"), meta.get("nl_orig", response.url), info)

    def _write_memory(self) -> None:
        write_entries(self.out_dir / MEMORY_FILE, self.visits.values())  # type: ignore[attr-defined]

    def memory_summary(self) -> dict[str, Any]:
        """The page memory's counts for stats.json."""
        return {
            "file": self.memory_path,
            "entries": len(self.memory),
            "bad_lines": self.memory_bad_lines,
            "resting": dict(Counter(self.resting.values())),
            "unchanged": self.memory_counts["unchanged"],
            "replayed": self.memory_counts["replayed"],
            "remembered": len(self.visits),
            "unsettled": sum(1 for settled in self._settled.values() if not settled),
            "unsettled_examples": self.unsettled,
        }
