"""Rebuild the dataset from the raw page archive, without the network.

Every run's fetches are kept as WARC files under ``data/archive/``. ``reprocess`` replays
them run by run, in the order they happened, through today's extractor and deduplicator,
exactly as the runs themselves would have gone with today's code; then it swaps the new
``articles``, ``revisions``, ``duplicates`` and near-duplicate index in with one atomic
commit, and reports what changed. The fetch log (``pages``) is history and stays as it is.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.compute as pc

from newsetl import dedupe, pipeline
from newsetl.archive import iter_archived_pages
from newsetl.storage import (
    ARTICLES_SCHEMA,
    DUPLICATES_SCHEMA,
    REVISIONS_SCHEMA,
    Dataset,
    check_partition_value,
)

log = logging.getLogger(__name__)

REPLACED_TABLES = ("articles", "revisions", "duplicates")


def archive_files(ds: Dataset) -> list[Path]:
    """The run archives, oldest run first (run ids start with their UTC start time)."""
    files = [
        p for p in (ds.root / "archive").glob("date=*/*.warc.gz") if not p.name.startswith(".")
    ]
    return sorted(files, key=lambda p: p.name)


def _sources_by_url(ds: Dataset) -> dict[tuple[str, str], str]:
    table = ds.read("pages", columns=["url", "final_url", "run_id", "source"])
    out: dict[tuple[str, str], str] = {}
    cols = [table.column(c).to_pylist() for c in ("url", "final_url", "run_id", "source")]
    for url, final, run, source in zip(*cols, strict=True):
        out[(run, url)] = source
        if final:
            out[(run, final)] = source
    return out


def _replay_run(
    path: Path, run_id: str, sources: dict[tuple[str, str], str], only: str | None, scratch: Path
) -> pipeline.Extraction | None:
    """Extract one archived run (its HTML pages written to scratch for the worker pool)."""
    pages = []
    for k, ap in enumerate(iter_archived_pages(path)):
        page = ap.to_fetched_page()
        source = sources.get((run_id, page.url)) or sources.get((run_id, ap.final_url))
        if source is None:
            source = pipeline.default_source_name(ap.final_url or page.url)
        if only and source != only:
            continue
        page.body_path = None
        if page.kind == "page" and ap.status == 200 and ap.body and not ap.truncated:
            name = f"{k:06d}.html"
            (scratch / name).write_bytes(ap.body)
            page.body_path = name
            page.reason = None
        pages.append((page, source))
    if not pages:
        return None
    source_for = {}
    for page, source in pages:
        for url in (page.url, page.final_url):
            if url:
                source_for[_site(url)] = source
    return pipeline.extract_pages(
        [p for p, _ in pages], scratch, source_for=only or source_for, run_id=run_id
    )


def _site(url: str) -> str:
    from newsetl.urls import site_of

    return site_of(url)


def reprocess(
    data_dir: str | Path, *, source: str | None = None, threshold: float | None = None
) -> dict[str, Any]:
    """Replay the archive into a new version of the dataset; return what changed.

    With ``source``, only that source's articles are rebuilt; the other sources' stored
    articles still count for deduplication. Raises ValueError when there is no archive.
    """
    ds = Dataset(data_dir)
    ds.ensure_writable()
    if source:
        check_partition_value(source)
    runs = archive_files(ds)
    if not runs:
        raise ValueError(
            f"no page archive under {ds.root / 'archive'}: only runs of newsetl 0.1 and later "
            "keep one; scrape again to build it"
        )
    kwargs: dict[str, Any] = {} if threshold is None else {"threshold": threshold}
    with ds.lock():
        old = ds.read("articles", columns=["article_id", "content_hash", "source"])
        old_dups = ds.read("duplicates", columns=["article_id", "source"])
        index = dedupe.DedupeIndex(**kwargs)
        known: dict[str, str] = {}
        revisions: dict[str, int] = {}
        if source:
            # Other sources stay as they are, and still count as "seen first".
            others = ds.read("articles", columns=["article_id", "content_hash", "source"])
            others = others.filter(pc.not_equal(others["source"], source))
            stored_index = ds.read_index()
            if stored_index is not None and others.num_rows:
                ids = others["article_id"]
                keep = pc.or_(
                    pc.is_in(stored_index["article_id"], ids),
                    pc.is_in(stored_index["duplicate_of"], ids),
                )
                index = dedupe.DedupeIndex.from_arrow(stored_index.filter(keep), **kwargs)
            known.update(
                zip(
                    others["article_id"].to_pylist(),
                    others["content_hash"].to_pylist(),
                    strict=True,
                )
            )
        sources = _sources_by_url(ds)
        latest: dict[str, dict[str, Any]] = {}
        superseded: list[dict[str, Any]] = []
        duplicates: list[dict[str, Any]] = []
        now = datetime.now(UTC)
        scratch_root = Path(tempfile.mkdtemp(prefix="newsetl-reprocess-"))
        try:
            for path in runs:
                run_id = path.name.removesuffix(".warc.gz")
                scratch = scratch_root / run_id
                scratch.mkdir()
                extraction = _replay_run(path, run_id, sources, source, scratch)
                if extraction is not None:
                    outcome = pipeline.deduplicate(extraction.articles, index, known, revisions)
                    for art in outcome.kept:
                        latest[art["article_id"]] = art
                        known[art["article_id"]] = art["content_hash"]
                        revisions[art["article_id"]] = art["revision"]
                    for art in outcome.revised:
                        prev = latest.get(art["article_id"])
                        if prev is not None:
                            superseded.append(
                                {**prev, "superseded_at": now, "superseded_by_run": run_id}
                            )
                        latest[art["article_id"]] = art
                        known[art["article_id"]] = art["content_hash"]
                        revisions[art["article_id"]] = art["revision"]
                    for dup in outcome.duplicates:
                        duplicates.append(dup)
                        known[dup["article_id"]] = dup["content_hash"]
                shutil.rmtree(scratch, ignore_errors=True)
        finally:
            shutil.rmtree(scratch_root, ignore_errors=True)

        tables = {
            "articles": pipeline._table(
                list(latest.values()), ARTICLES_SCHEMA, ("source", "month")
            ),
            "revisions": pipeline._table(superseded, REVISIONS_SCHEMA, ("source", "month")),
            "duplicates": pipeline._table(duplicates, DUPLICATES_SCHEMA, ("source",)),
        }
        replaced = [
            p
            for table in REPLACED_TABLES
            for p in ds.files(table)
            if source is None or f"source={source}" in p.parts
        ]
        run_id = "reprocess-" + now.strftime("%Y%m%dT%H%M%SZ")
        result = ds.commit(
            run_id,
            tables,
            index_rows=index.to_arrow(),
            replace_index=True,
            delete=replaced,
        )

    old_ids = dict(zip(old["article_id"].to_pylist(), old["content_hash"].to_pylist(), strict=True))
    if source:
        old_ids = {
            a: h
            for a, h, s in zip(
                old["article_id"].to_pylist(),
                old["content_hash"].to_pylist(),
                old["source"].to_pylist(),
                strict=True,
            )
            if s == source
        }
    old_dup_ids = {
        a
        for a, s in zip(
            old_dups["article_id"].to_pylist(), old_dups["source"].to_pylist(), strict=True
        )
        if source is None or s == source
    }
    new_dup_ids = {d["article_id"] for d in duplicates}
    text_changed = sorted(
        aid for aid, art in latest.items() if aid in old_ids and old_ids[aid] != art["content_hash"]
    )
    return {
        "runs_replayed": len(runs),
        "articles_before": len(old_ids),
        "articles_after": len(latest),
        "text_changed": len(text_changed),
        "text_changed_ids": text_changed[:50],
        "articles_new": len(set(latest) - set(old_ids)),
        "articles_gone": len(set(old_ids) - set(latest)),
        "duplicates_before": len(old_dup_ids),
        "duplicates_after": len(new_dup_ids),
        "new_duplicates": len(new_dup_ids - old_dup_ids),
        "revisions": len(superseded),
        "commit_files": len(result.files),
        "data_dir": str(ds.root),
        "source": source,
    }


def format_report(report: dict[str, Any]) -> str:
    """What a reprocess changed, for the terminal."""
    scope = f"source {report['source']}" if report.get("source") else "all sources"
    return (
        f"reprocessed {report['runs_replayed']} archived run(s), {scope}\n"
        f"articles: {report['articles_before']} -> {report['articles_after']} "
        f"({report['articles_new']} new, {report['articles_gone']} gone, "
        f"{report['text_changed']} with a changed text)\n"
        f"duplicates: {report['duplicates_before']} -> {report['duplicates_after']} "
        f"({report['new_duplicates']} newly found)\n"
        f"data: {report['data_dir']}"
    )
