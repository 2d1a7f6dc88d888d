"""The ETL stages as plain functions: read a crawl, extract, deduplicate, build the tables.

Prefect tasks in ``flows/`` are thin wrappers around these; each can be run and tested
from Python alone.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa

from newsetl import crawldir, dedupe, interrupt, urls
from newsetl.dates import iso_offset_minutes, parse_iso_utc
from newsetl.discover import classify
from newsetl.faults import crash_point
from newsetl.models import FetchedPage, FetchFate, is_skip_reason
from newsetl.storage import (
    ARTICLES_SCHEMA,
    DUPLICATES_SCHEMA,
    PAGES_SCHEMA,
    Dataset,
    check_partition_value,
)

log = logging.getLogger(__name__)

# Below this many pages one process is faster than starting workers.
PARALLEL_MIN_PAGES = 64


def default_source_name(url: str) -> str:
    """A source name from a URL's host: ``www.example.com:8080`` -> ``example.com-8080``."""
    parts = urlsplit(url)
    host = (parts.hostname or "unknown").lower()
    if host.startswith("www."):
        host = host[4:]
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    if parts.port and parts.port != default_port:
        host = f"{host}-{parts.port}"
    return check_partition_value(host.replace(":", "-"))


@dataclass
class Extraction:
    """Articles found in a crawl, and what became of every fetched page."""

    articles: list[dict[str, Any]] = field(default_factory=list)
    fates: dict[int, tuple[str, str | None]] = field(default_factory=dict)  # page index -> fate
    # page index -> the article decision's evidence (JSON), for every page weighed
    evidence: dict[int, str] = field(default_factory=dict)


def _extract_one(args: Job) -> dict[str, Any] | None:
    """Worker: extract one stored body (runs in a pool process or inline)."""
    from newsetl.extraction import extract_article

    body_path, url, encoding_hint, content_language, fetched = args
    try:
        body = Path(body_path).read_bytes()
    except OSError:
        return None
    ex = extract_article(
        body,
        url,
        encoding_hint=encoding_hint,
        content_language=content_language,
        fetched_at=parse_iso_utc(fetched),  # "vor 3 Stunden" counts back from it
    )
    return {
        "title": ex.title,
        "authors": list(ex.authors),
        "published_at": ex.published_at,
        "published_utc_offset_min": ex.published_utc_offset_min,
        "paywalled": ex.paywalled,
        "language": ex.language,
        "text": ex.text,
        "modified_at": ex.modified_at,
        "site_name": ex.site_name,
        "description": ex.description,
        "image": ex.image,
        "tags": list(ex.tags),
        "canonical_url": ex.canonical_url,
        "amp_of": ex.amp_of,
        "jsonld_types": list(ex.jsonld_types),
        "og_type": ex.og_type,
        "paragraph_count": ex.paragraph_count,
        "link_density": ex.link_density,
        "content_link_density": ex.content_link_density,
        "teaser_links": ex.content_headline_links,
        "has_published_meta": ex.has_published_meta,
        "dated_items": ex.dated_items,
        "word_count": ex.word_count,
    }


Job = tuple[str, str, str | None, str | None, str | None]  # ... fetched_at (ISO 8601)


def _extract_batch(jobs: list[Job]) -> list[dict[str, Any] | None]:
    """Worker: extract a few stored bodies (one round trip to the worker for all)."""
    return [_extract_one(job) for job in jobs]


def _failed_fate(reason: str) -> str:
    """``failed`` for a fetch that went wrong; ``not_fetched:<reason>`` for one left out
    on purpose (the page budget, robots.txt, not HTML, an off-site redirect ...)."""
    return f"not_fetched:{reason}" if is_skip_reason(reason) else "failed"


def _job_for(i: int, page: FetchedPage, crawl_dir: Path, result: Extraction) -> Job | None:
    """The extraction job of a fetched page, or None after giving the page its fate."""
    if page.kind != "page":
        result.fates[i] = (_failed_fate(page.reason) if page.reason else page.kind, None)
        return None
    if page.reason == FetchFate.NOT_MODIFIED:
        result.fates[i] = ("unchanged", None)  # a 304: the stored copy is current
        return None
    if page.reason or not page.body_path:
        result.fates[i] = (_failed_fate(page.reason) if page.reason else "no_body", None)
        return None
    url = page.final_url or page.url
    # A Google News sitemap's language is the publisher's word too, as Content-Language is:
    # below the page's own <html lang>, above guessing from the text.
    language = page.content_language or page.listed_language
    return (
        str(crawl_dir / page.body_path),
        url,
        page.encoding_hint,
        language,
        page.fetched_at,
    )


def decide_page(page: FetchedPage, out: dict[str, Any]) -> classify.Decision:
    """The article decision for one fetched page from its extraction output (what
    :func:`_extract_one` returns) and the evidence of where it was found."""
    url = page.final_url or page.url
    return classify.decide(
        url=url,
        jsonld_types=out["jsonld_types"],
        og_type=out["og_type"],
        text=out["text"],
        paragraph_count=out["paragraph_count"],
        content_link_density=out["content_link_density"],
        teaser_links=out["teaser_links"],
        in_feed=page.in_feed,
        in_sitemap=page.in_sitemap,
        # A sitemap entry carries a publication date only in a Google News sitemap.
        in_news_sitemap=page.in_sitemap and bool(page.listed_published) and not page.in_feed,
        linked_by_headline=classify.same_headline(page.listed_title, out["title"]),
        listed_as_heading=page.listed_as_heading,
        dated_items=out.get("dated_items", 0),
        has_published_meta=out["has_published_meta"],
        has_date=out["published_at"] is not None,
        has_byline=bool(out["authors"]),
    )


def _take_output(
    result: Extraction,
    i: int,
    page: FetchedPage,
    out: dict[str, Any] | None,
    source_for: dict[str, str] | str,
    run_id: str,
) -> None:
    """Classify one extracted page; an article becomes a row of ``result.articles``."""
    if out is None:
        result.fates[i] = ("failed", None)
        return
    url = page.final_url or page.url
    decision = decide_page(page, out)
    result.evidence[i] = json.dumps(decision.evidence(), sort_keys=True, separators=(",", ":"))
    if not decision.is_article:
        result.fates[i] = (f"not_article:{decision.reason}", None)
        return
    # An AMP page is the same article as the page it mirrors.
    hint = out["amp_of"] or out["canonical_url"]
    canonical = urls.canonicalize_url(url, canonical_hint=hint)
    aid = urls.article_id(canonical)
    source = source_for if isinstance(source_for, str) else _source_of(url, source_for)
    published = out["published_at"]
    offset_min = out.get("published_utc_offset_min")
    if published is None and page.listed_published:
        published, offset_min = (
            parse_iso_utc(page.listed_published),
            iso_offset_minutes(page.listed_published),
        )
    fetched = parse_iso_utc(page.fetched_at) or datetime.now(UTC)
    month = (published or fetched).strftime("%Y-%m")
    result.articles.append(
        {
            "article_id": aid,
            "url": url,
            # the address as the site declares it; the normalised form is only the identity
            "canonical_url": urls.declared_url(url, canonical_hint=hint),
            "title": out["title"] or page.listed_title,
            "authors": out["authors"],
            "published_at": published,
            "published_utc_offset_min": offset_min,
            "modified_at": out.get("modified_at"),
            "language": out["language"],
            "site_name": out.get("site_name"),
            "description": out.get("description"),
            "image": out.get("image"),
            "tags": out.get("tags") or [],
            "text": out["text"],
            "word_count": out["word_count"],
            "paywalled": out.get("paywalled"),
            "content_hash": dedupe.content_hash(out["text"]),
            "cluster_id": aid,
            "fetched_at": fetched,
            "run_id": run_id,
            "source": source,
            "month": month,
            "_page": i,
        }
    )
    result.fates[i] = ("article", aid)


# What the extraction workers' fork server imports once, for every worker it forks.
FORKSERVER_PRELOAD = ["newsetl.extraction"]


def _pool(workers: int) -> ProcessPoolExecutor:
    # forkserver: forking a process that runs threads (Prefect's) is unsafe. The server
    # imports the extractor once; every worker it forks starts with it loaded.
    ctx = get_context("forkserver")
    ctx.set_forkserver_preload(FORKSERVER_PRELOAD)
    interrupt.want_forkserver(FORKSERVER_PRELOAD)  # started where Ctrl-C cannot hurt it
    return ProcessPoolExecutor(workers, mp_context=ctx, initializer=interrupt.ignore_sigint)


def _default_workers() -> int:
    return min(os.cpu_count() or 1, 4)


def extract_pages(
    pages: list[FetchedPage],
    crawl_dir: str | os.PathLike[str],
    *,
    source_for: dict[str, str] | str,
    run_id: str,
    workers: int | None = None,
) -> Extraction:
    """Turn the crawl's HTML pages into article rows; pages that are not articles get a fate.

    ``source_for`` is one source name for every page, or a map from site
    (``scheme://host:port``) to source name.
    """
    crawl_dir = Path(crawl_dir)
    result = Extraction()
    jobs: list[tuple[int, Job]] = []
    for i, page in enumerate(pages):
        job = _job_for(i, page, crawl_dir, result)
        if job is not None:
            jobs.append((i, job))

    if workers is None:
        workers = _default_workers()
    outputs: list[dict[str, Any] | None]
    if workers > 1 and len(jobs) >= PARALLEL_MIN_PAGES:
        with _pool(workers) as pool:
            outputs = list(pool.map(_extract_one, [a for _, a in jobs], chunksize=8))
    else:
        outputs = []
        for k, (_, a) in enumerate(jobs):
            if k == len(jobs) // 2:
                crash_point("extract_mid")
            outputs.append(_extract_one(a))

    for (i, _), out in zip(jobs, outputs, strict=True):
        _take_output(result, i, pages[i], out, source_for, run_id)
    return result


# -- extraction while the crawl runs --------------------------------------------------------
# The crawl task and the extract task talk through two small files in the crawl's control
# folder (``newsetl.crawldir``): ``current`` names the folder the crawl attempt under way
# writes to (a retried crawl starts a new one), and ``finished.json`` says how it ended.
# A follower extracts the first pages itself, and starts worker processes only once the
# crawl has proved big enough to pay for them.
STREAM_POOL_AFTER = 24
# Pages per worker task at most: the pages that arrived since the last look go out in
# batches of this size.
STREAM_BATCH = 8


class CrawlFailed(RuntimeError):
    """The crawl being followed ended in failure; its pages are not extracted."""


class _Follow:
    """The follower's view of one crawl attempt: pages read so far and work handed out."""

    def __init__(self, attempt_dir: Path) -> None:
        self.dir = attempt_dir
        self.tail = crawldir.PagesTail(attempt_dir)
        self.pages: list[FetchedPage] = []
        self.result = Extraction()
        self.inline: dict[int, dict[str, Any] | None] = {}
        self.futures: dict[tuple[int, ...], Any] = {}  # page indices -> their batch
        self.jobs = 0


def follow_crawl(
    control_dir: str | os.PathLike[str],
    *,
    source_for: dict[str, str] | str,
    run_id: str,
    workers: int | None = None,
    poll_s: float = 0.01,
    timeout_s: float | None = None,
    stop: Callable[[], object] | None = None,
) -> tuple[list[FetchedPage], Extraction, str]:
    """Extract the pages of a crawl while it runs; return its pages, their extraction and
    the folder they came from once the crawl says it finished.

    The result equals ``extract_pages(crawldir.read_crawl(dir)[0], dir, ...)`` on the finished
    folder: the same pages in the same order, the same fates, the same article rows. When
    the crawl starts over (a retry), everything read so far is dropped. Raises CrawlFailed
    when the crawl reports failure, TimeoutError after ``timeout_s`` without an end.

    ``stop``: once it returns true (a Ctrl-C whose time for finishing work is up), pages
    whose extraction has not finished are left out of the result, as if they had not been
    fetched (the next run fetches them again), so that a stop does not wait for a backlog
    of extraction.
    """
    control = Path(control_dir)
    if workers is None:
        workers = _default_workers()
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    pool: ProcessPoolExecutor | None = None
    state: _Follow | None = None
    extracted = 0
    try:
        while True:
            current, finished = crawldir.read_control(control)
            if finished and "error" in finished:
                raise CrawlFailed(f"the crawl failed: {finished['error']}")
            if current and (state is None or state.dir.name != current):
                if state is not None:
                    log.info("the crawl started over in %s: extracting afresh", current)
                    for fut in state.futures.values():
                        fut.cancel()
                state = _Follow(control / current)
            done = bool(finished and state is not None and finished.get("dir") == state.dir.name)
            batch: list[tuple[int, Job]] = []
            if state is not None:
                for page in state.tail.read_pages(final=done):
                    i = len(state.pages)
                    state.pages.append(page)
                    job = _job_for(i, page, state.dir, state.result)
                    if job is None:
                        continue
                    state.jobs += 1
                    if pool is None and workers > 1 and state.jobs > STREAM_POOL_AFTER:
                        pool = _pool(workers)
                    if pool is not None:
                        batch.append((i, job))
                    else:
                        state.inline[i] = _extract_one(job)
                        extracted += 1
                        if extracted == 1:
                            crash_point("extract_mid")
            if batch and pool is not None and state is not None:
                # A few pages per task: each task costs a round trip to a worker.
                for k in range(0, len(batch), STREAM_BATCH):
                    part = batch[k : k + STREAM_BATCH]
                    state.futures[tuple(i for i, _ in part)] = pool.submit(
                        _extract_batch, [job for _, job in part]
                    )
            if done:
                break
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"the crawl did not finish within {timeout_s} s")
            time.sleep(poll_s)
        assert state is not None
        outputs = dict(state.inline)
        dropped: set[int] = set()
        for indices, fut in state.futures.items():
            if stop is not None and not fut.done() and stop():
                fut.cancel()
                dropped.update(indices)
                continue
            for i, out in zip(indices, fut.result(), strict=True):
                outputs[i] = out
            extracted += len(indices)
            if extracted == len(indices):
                crash_point("extract_mid")
        for i in sorted(outputs):
            _take_output(state.result, i, state.pages[i], outputs[i], source_for, run_id)
        if dropped:
            log.warning(
                "stopping: %d fetched page(s) not yet extracted are left out of this run "
                "(the next run fetches them again)",
                len(dropped),
            )
            pages, result = _leave_out(state.pages, state.result, dropped)
            return pages, result, str(state.dir)
        return state.pages, state.result, str(state.dir)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _leave_out(
    pages: list[FetchedPage], result: Extraction, dropped: set[int]
) -> tuple[list[FetchedPage], Extraction]:
    """``pages`` and ``result`` without the pages of ``dropped`` (indices renumbered)."""
    new_index: dict[int, int] = {}
    kept: list[FetchedPage] = []
    for i, page in enumerate(pages):
        if i not in dropped:
            new_index[i] = len(kept)
            kept.append(page)
    articles = [{**a, "_page": new_index[a["_page"]]} for a in result.articles]
    fates = {new_index[i]: f for i, f in result.fates.items() if i in new_index}
    evidence = {new_index[i]: e for i, e in result.evidence.items() if i in new_index}
    return kept, Extraction(articles=articles, fates=fates, evidence=evidence)


def _source_of(url: str, source_for: dict[str, str]) -> str:
    site = urls.site_of(url)
    if site in source_for:
        return source_for[site]
    return default_source_name(url)


@dataclass
class DedupeOutcome:
    kept: list[dict[str, Any]]
    duplicates: list[dict[str, Any]]
    unchanged: list[dict[str, Any]]
    revised: list[dict[str, Any]] = field(default_factory=list)


def deduplicate(
    articles: list[dict[str, Any]],
    index: dedupe.DedupeIndex,
    known_hashes: dict[str, str],
    revisions: dict[str, int] | None = None,
) -> DedupeOutcome:
    """Split a run's articles into kept, duplicates, revised and unchanged re-fetches.

    ``index`` holds every stored article (it is updated with the kept ones);
    ``known_hashes`` maps the ids of stored articles and of recorded duplicates to their
    content hash, so a re-fetch of an unchanged page is recognised and neither stored nor
    reported again. ``revisions`` maps stored article ids to their latest revision number:
    a stored article whose text changed becomes its next revision (same ``article_id``).
    """
    revisions = revisions or {}
    fresh: list[dict[str, Any]] = []
    unchanged: list[dict[str, Any]] = []
    revised: dict[str, dict[str, Any]] = {}
    for art in articles:
        aid = art["article_id"]
        if known_hashes.get(aid) == art["content_hash"]:
            unchanged.append(art)
        elif aid in revisions:
            # One new revision per article and run: the fullest text if a run saw several.
            best = revised.get(aid)
            if best is None or (art["word_count"], art["url"]) > (best["word_count"], best["url"]):
                if best is not None:
                    unchanged.append(best)
                art["revision"] = revisions[aid] + 1
                art["cluster_id"] = aid
                revised[aid] = art
            else:
                unchanged.append(art)
        else:
            art["revision"] = 1
            fresh.append(art)
    candidates = [
        dedupe.Candidate(
            article_id=a["article_id"],
            canonical_url=a["canonical_url"],
            url=a["url"],
            text=a["text"],
            title=a["title"],
            fetched_at=a["fetched_at"],
            published_at=a["published_at"],
        )
        for a in fresh
    ]
    by_id: dict[str, list[dict[str, Any]]] = {}
    for a in fresh:
        by_id.setdefault(a["article_id"], []).append(a)
    decisions = index.decide(candidates)
    kept: list[dict[str, Any]] = []
    duplicates: list[dict[str, Any]] = []
    for cand, dec in zip(candidates, decisions, strict=True):
        art = next(a for a in by_id[cand.article_id] if a["url"] == cand.url)
        if dec.kept:
            art["cluster_id"] = dec.cluster_id
            kept.append(art)
        else:
            duplicates.append(
                {
                    "url": art["url"],
                    "canonical_url": art["canonical_url"],
                    "article_id": art["article_id"],
                    "duplicate_of": dec.duplicate_of,
                    "kind": dec.kind,
                    "similarity": dec.similarity,
                    "content_hash": art["content_hash"],
                    "title": art["title"],
                    "fetched_at": art["fetched_at"],
                    "run_id": art["run_id"],
                    "source": art["source"],
                    "_page": art["_page"],
                }
            )
    return DedupeOutcome(
        kept=kept, duplicates=duplicates, unchanged=unchanged, revised=list(revised.values())
    )


def keep_index(
    ds: Dataset,
    stored: dedupe.StoredIndex,
    outcome: DedupeOutcome,
    threshold: float | None,
    *,
    run_id: str,
) -> bool:
    """After the commit of a run decided with ``stored``: keep it in memory for the next run
    of this process (``dedupe.keep_index``; only where ``dedupe.keep_indexes`` is on)."""
    return dedupe.keep_index(
        ds,
        stored,
        threshold,
        run_id=run_id,
        articles=[
            (a["article_id"], a["content_hash"], a["revision"])
            for a in outcome.kept + outcome.revised
        ],
        duplicates=[(d["article_id"], d["content_hash"]) for d in outcome.duplicates],
    )


def _table(rows: list[dict[str, Any]], schema: pa.Schema, partitions: tuple[str, ...]) -> pa.Table:
    fields = list(schema) + [pa.field(p, pa.string()) for p in partitions]
    full = pa.schema(fields)
    cols = {f.name: [r.get(f.name) for r in rows] for f in full}
    return pa.Table.from_pydict(cols, schema=full)


def build_tables(
    pages: list[FetchedPage],
    extraction: Extraction,
    outcome: DedupeOutcome,
    *,
    source_for: dict[str, str] | str,
    run_id: str,
) -> dict[str, pa.Table]:
    """The rows this run adds to each table, partition columns included."""
    fates = dict(extraction.fates)
    for d in outcome.duplicates:
        fates[d["_page"]] = ("duplicate", d["article_id"])
    for u in outcome.unchanged:
        fates[u["_page"]] = ("unchanged", u["article_id"])
    for r in outcome.revised:
        fates[r["_page"]] = ("revised", r["article_id"])
    page_rows = []
    for i, p in enumerate(pages):
        fetched = parse_iso_utc(p.fetched_at) or datetime.now(UTC)
        fate, aid = fates.get(i, ("unknown", None))
        source = source_for if isinstance(source_for, str) else _source_of(p.url, source_for)
        page_rows.append(
            {
                "url": p.url,
                "final_url": p.final_url,
                "status": p.status,
                "content_type": p.content_type,
                "bytes": p.bytes,
                "fetched_at": fetched,
                "kind": p.kind,
                "discovered_via": p.discovered_via,
                "reason": p.reason,
                "fate": fate,
                "evidence": extraction.evidence.get(i),
                "article_id": aid,
                "etag": p.etag,
                "last_modified": p.last_modified,
                "listed_date": parse_iso_utc(p.listed_date),
                "run_id": run_id,
                "source": source,
                "date": fetched.strftime("%Y-%m-%d"),
            }
        )
    return {
        "articles": _table(outcome.kept + outcome.revised, ARTICLES_SCHEMA, ("source", "month")),
        "duplicates": _table(outcome.duplicates, DUPLICATES_SCHEMA, ("source",)),
        "pages": _table(page_rows, PAGES_SCHEMA, ("source", "date")),
    }


MAX_REJECTED_EXAMPLES = 5


def rejected_pages(pages: pa.Table) -> tuple[dict[str, int], list[str]]:
    """Pages judged not to be articles: counts by reason, and the URLs of those the site
    itself presented as articles (in a feed or sitemap, or marked up as one), which a
    user should look at: a wrong rejection hides there."""
    if not pages.num_rows or "fate" not in pages.column_names:
        return {}, []
    fates = pages.column("fate").to_pylist()
    evidence = (
        pages.column("evidence").to_pylist()
        if "evidence" in pages.column_names
        else [None] * len(fates)
    )
    urls_ = pages.column("url").to_pylist()
    by_reason: Counter[str] = Counter()
    presented: list[str] = []
    for url, fate, ev in zip(urls_, fates, evidence, strict=True):
        if not fate or not fate.startswith("not_article:"):
            continue
        by_reason[fate.split(":", 1)[1]] += 1
        if ev and json.loads(ev).get("presented_as_article"):
            presented.append(url)
    return dict(sorted(by_reason.items())), presented


_START_FIXES = {
    "connection_error": "nothing answers there: check the host and port, and that the server runs",
    "dns_error": "the host name does not resolve: check its spelling",
    "timeout": "the server did not answer in time: try again later",
    "robots_disallowed": "the site's robots.txt forbids fetching it",
    "offsite_redirect": "it redirects to another site: start from that site's URL, or pass "
    "--allow-offsite",
    "too_large": "the response is larger than the size limit",
}


def start_failures(pages: list[FetchedPage]) -> tuple[int, list[dict[str, str]]]:
    """How many start URLs the crawl had, and those that led nowhere: neither the URL nor
    anything found from it (its robots.txt sitemaps, say) got a usable answer. Each
    failure carries the reason and a fix."""
    starts: dict[str, FetchedPage | None] = {}
    worked: set[str] = set()
    for p in pages:
        start = p.start_url
        if not start:
            continue
        if start not in starts:
            starts[start] = None
        if (
            p.kind != "robots"
            and p.status is not None
            and (200 <= p.status < 300 or p.status == 304)
        ):
            worked.add(start)
        at_start = p.kind != "robots" and p.discovered_via == "start" and p.depth == 0
        if at_start and (starts[start] is None or p.url == start):
            starts[start] = p
    failures = []
    for start, own in starts.items():
        if start in worked:
            continue
        reason = (own.reason if own else None) or (
            FetchFate.http(own.status) if own and own.status else "no_answer"
        )
        if FetchFate.of(reason) is FetchFate.HTTP:
            fix = f"the server answered {reason[5:]}: check the URL"
        else:
            fix = _START_FIXES.get(reason, "see data/pages for what was fetched")
        failures.append({"url": start, "reason": reason, "fix": fix})
    return len(starts), failures


def summarize(
    pages: list[FetchedPage], tables: dict[str, pa.Table], outcome: DedupeOutcome
) -> dict[str, Any]:
    """Counts for the run report: pages fetched, articles new, duplicates, errors by reason.

    Errors are failed page fetches; skips (robots.txt, not HTML, off-site redirects, the
    page budget) and failed discovery fetches (a missing ``/sitemap.xml``) are counted apart.
    """
    errors: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    discovery: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    for p in pages:
        if not p.reason:
            continue
        if p.kind != "page":
            discovery[f"{p.kind}:{p.reason}"] += 1
            continue
        (skipped if is_skip_reason(p.reason) else errors)[p.reason] += 1
        if len(examples.setdefault(p.reason, [])) < 3:
            examples[p.reason].append(p.url)
    not_articles, presented = rejected_pages(tables["pages"])
    n_starts, failed_starts = start_failures(pages)
    return {
        "start_urls_total": n_starts,
        "start_failures": failed_starts,
        "pages_fetched": sum(1 for p in pages if p.status is not None),
        "html_pages": sum(1 for p in pages if p.kind == "page" and p.body_path),
        "articles_new": len(outcome.kept),
        "articles_revised": len(outcome.revised),
        "duplicates": tables["duplicates"].num_rows,
        "unchanged": len(outcome.unchanged),
        "errors": sum(errors.values()),
        "errors_by_reason": dict(sorted(errors.items())),
        "skipped_by_reason": dict(sorted(skipped.items())),
        "discovery_failures": dict(sorted(discovery.items())),
        "error_examples": examples,
        "not_articles_by_reason": not_articles,
        "rejected_presented": len(presented),
        "rejected_presented_examples": presented[:MAX_REJECTED_EXAMPLES],
        "articles_added": [
            {"title": a["title"], "url": a["url"], "source": a["source"]} for a in outcome.kept
        ],
        "articles_updated": [
            {"title": a["title"], "url": a["url"], "revision": a["revision"]}
            for a in outcome.revised
        ],
    }
