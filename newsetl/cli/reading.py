"""The commands that read pages or the dataset without Prefect: extract, export,
reprocess, status, report."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsetl.cli.common import (
    EXIT_FAILED,
    EXIT_NOTHING,
    EXIT_OK,
    UsageError,
    check_source,
)
from newsetl.dates import parse_iso_utc
from newsetl.settings import available_cpus


def _extract_inputs(args: argparse.Namespace) -> list[tuple[str, str | None]]:
    """(file path or URL, the page's URL) for each input, checked before any work."""
    inputs: list[tuple[str, str | None]] = [(f, args.url) for f in args.files]
    if args.files_from:
        try:
            if args.files_from == "-":
                lines = sys.stdin.read().splitlines()
            else:
                with open(args.files_from, encoding="utf-8") as fh:
                    lines = fh.read().splitlines()
        except OSError as exc:
            raise UsageError(
                f"--files-from {args.files_from}: {exc.strerror or exc}: pass a file with one "
                "PATH or PATH<TAB>URL per line, or - for standard input"
            ) from exc
        for line in lines:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            path, _, url = line.partition("\t")
            inputs.append((path.strip(), url.strip() or args.url))
    if not inputs:
        raise UsageError("nothing to extract: pass a URL or HTML files, or --files-from LIST")
    for _, url in inputs:
        if url is not None and not url.startswith(("http://", "https://")):
            raise UsageError(f"not an http(s) URL: {url!r}: give the page's address")
    return inputs


def _read_page(source: str) -> tuple[bytes, str | None, str | None, str | None]:
    """(body, final URL, charset, Content-Language) of a file or, for a URL, a polite fetch.
    Raises ValueError naming what is wrong."""
    from newsetl.fetch import FetchError, fetch_page

    if _is_url(source):
        try:
            page = fetch_page(source)
        except FetchError as exc:
            raise ValueError(str(exc)) from exc
        return page.body, page.url, page.charset, page.content_language
    try:
        body = Path(source).read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read {source}: {exc.strerror or exc}") from exc
    if body[:2] == b"\x1f\x8b":
        import gzip
        import zlib

        try:
            body = gzip.decompress(body)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"cannot decompress {source}: {exc}") from exc
    head = body[:4096]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValueError(f"{source} is a binary file, not HTML")
    return body, None, None, None


def _fetched_at(when: str | None, source: str, fetched_now: bool) -> datetime | None:
    """The fetch time relative dates count back from (see ``extract --fetched-at``)."""
    if fetched_now or when == "now":
        return datetime.now(UTC)
    if when == "file":
        try:
            return datetime.fromtimestamp(Path(source).stat().st_mtime, UTC)
        except OSError:
            return None
    return parse_iso_utc(when) if when else None


def _page_record(source: str, url: str | None, when: str | None = None) -> dict[str, Any]:
    """The output record of one input (read, then extracted); ``when`` is ``--fetched-at``.
    Raises ValueError naming what is wrong with the input or what the extractor raised."""
    from newsetl.extraction import extract_article

    body, final, charset, lang = _read_page(source)
    page_url = url or final
    try:
        ex = extract_article(
            body,
            page_url,
            encoding_hint=charset,
            content_language=lang,
            fetched_at=_fetched_at(when, source, bool(final)),
        )
    except Exception as exc:  # noqa: BLE001 - one bad page must not stop the others
        raise ValueError(f"cannot extract {source}: {type(exc).__name__}: {exc}") from exc
    local = ex.published_local()
    return {
        "path": None if final else source,
        "url": page_url or ex.canonical_url,
        "title": ex.title,
        "authors": ex.authors,
        # the instant in the page's own UTC offset, so its day is the publisher's day
        "published_at": local.isoformat() if local else None,
        "published_utc_offset_min": ex.published_utc_offset_min,
        "modified_at": ex.modified_at.isoformat() if ex.modified_at else None,
        "language": ex.language,
        "site_name": ex.site_name,
        "description": ex.description,
        "image": ex.image,
        "tags": list(ex.tags),
        "paywalled": ex.paywalled,
        "text": ex.text,
        "word_count": ex.word_count,
    }


Outcome = tuple[dict[str, Any] | None, str | None]  # (record, error message)


def _page_batch(batch: list[tuple[str, str | None]], when: str | None = None) -> list[Outcome]:
    """Worker: the outcome of each input of a batch, in order."""
    out: list[Outcome] = []
    for source, url in batch:
        try:
            out.append((_page_record(source, url, when), None))
        except ValueError as exc:
            out.append((None, str(exc)))
    return out


# Inputs per worker task: enough to pay for the round trip, few enough to share the work.
EXTRACT_BATCH = 4
# Files below which one process is faster than starting workers.
EXTRACT_PARALLEL_MIN = 8


def _outcomes(
    inputs: list[tuple[str, str | None]], jobs: int, when: str | None = None
) -> Iterator[Outcome]:
    """The outcome of every input, in input order. Files go to ``jobs`` worker processes
    (forked: they start with the extractor imported) a few at a time, at most a bounded
    number of batches ahead of the output; URLs are fetched here, one at a time, when their
    turn comes (one polite fetch after another, as without workers)."""
    files = [i for i, (source, _) in enumerate(inputs) if not _is_url(source)]
    if jobs <= 1 or len(files) < EXTRACT_PARALLEL_MIN:
        for item in inputs:
            yield _page_batch([item], when)[0]
        return
    import multiprocessing
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    import newsetl.extraction  # noqa: F401 - imported once, before the workers fork

    batches = [files[k : k + EXTRACT_BATCH] for k in range(0, len(files), EXTRACT_BATCH)]
    batch_of = {i: b for b, members in enumerate(batches) for i in members}
    ahead = 4 * jobs  # batches in flight: bounded, so memory does not grow with the inputs
    ctx = multiprocessing.get_context("fork")  # no thread runs here: forking is safe
    pool = ProcessPoolExecutor(jobs, mp_context=ctx)
    pending: deque[tuple[int, Future[list[Outcome]]]] = deque()
    done: dict[int, list[Outcome]] = {}
    submitted = 0

    def submit() -> None:
        nonlocal submitted
        while submitted < len(batches) and len(pending) < ahead:
            items = [inputs[i] for i in batches[submitted]]
            pending.append((submitted, pool.submit(_page_batch, items, when)))
            submitted += 1

    try:
        submit()
        for i, item in enumerate(inputs):
            b = batch_of.get(i)
            if b is None:  # a URL
                yield _page_batch([item], when)[0]
                continue
            while b not in done:
                number, future = pending.popleft()
                try:
                    done[number] = future.result()
                except BrokenProcessPool:
                    # A worker died (a crash, out of memory). Every batch in flight failed
                    # with it: the first one's inputs are tried again one by one, each in
                    # a process of its own (the culprit is reported, the others extracted),
                    # and the rest are sent again to a new pool.
                    retry = [n for n, _ in pending]
                    pending.clear()
                    pool.shutdown(wait=False, cancel_futures=True)
                    done[number] = [_isolated(inputs[k], ctx, when) for k in batches[number]]
                    pool = ProcessPoolExecutor(jobs, mp_context=ctx)
                    for n in retry:
                        items = [inputs[k] for k in batches[n]]
                        pending.append((n, pool.submit(_page_batch, items, when)))
                submit()
            outcomes = done[b]
            yield outcomes[batches[b].index(i)]
            if i == batches[b][-1]:
                del done[b]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _isolated(item: tuple[str, str | None], ctx: Any, when: str | None) -> Outcome:
    """The outcome of one input extracted in a process of its own."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    with ProcessPoolExecutor(1, mp_context=ctx) as alone:
        try:
            return alone.submit(_page_batch, [item], when).result()[0]
        except BrokenProcessPool:
            return None, f"cannot extract {item[0]}: the worker process extracting it died"


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def cmd_extract(args: argparse.Namespace) -> int:
    from newsetl.formats import write_records

    fmt = "jsonl" if args.jsonl else args.format
    inputs = _extract_inputs(args)
    if args.fetched_at not in (None, "file", "now") and parse_iso_utc(args.fetched_at) is None:
        raise UsageError(
            f"--fetched-at {args.fetched_at!r}: give 'file', 'now' or an ISO 8601 time"
        )
    jobs = available_cpus() if args.jobs is None else args.jobs
    if jobs < 1:
        raise UsageError(f"--jobs {jobs}: give at least 1 (1: no worker processes)")
    failures: list[str] = []

    def records() -> Iterator[dict[str, Any]]:
        for (source, _), (record, error) in zip(
            inputs, _outcomes(inputs, jobs, args.fetched_at), strict=True
        ):
            if record is None:
                failures.append(source)
                print(f"newsetl: {error}", file=sys.stderr)
                continue
            yield record

    write_records(records(), fmt, sys.stdout)
    if failures:
        print(
            f"newsetl: {len(failures)} of {len(inputs)} input(s) failed: "
            + ", ".join(failures[:5])
            + (" ..." if len(failures) > 5 else ""),
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """One file of one table (latest revisions for articles), filtered by source and date."""
    from datetime import UTC, datetime

    import pyarrow as pa
    import pyarrow.compute as pc

    from newsetl.storage import TABLES, Dataset

    out = Path(args.out)
    fmt = args.format or {".csv": "csv", ".jsonl": "jsonl", ".parquet": "parquet"}.get(
        out.suffix.lower()
    )
    if fmt is None:
        raise UsageError(
            f"--out {out}: say the format with --format csv|jsonl|parquet (or end the name "
            "in .csv, .jsonl or .parquet)"
        )
    if args.table not in TABLES:
        raise UsageError(f"--table {args.table}: use one of {', '.join(sorted(TABLES))}")
    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since)
        except ValueError as exc:
            raise UsageError(f"--since {args.since!r}: give a date as YYYY-MM-DD") from exc
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
    root = Path(args.data_dir)
    if not (root / args.table).is_dir():
        raise UsageError(
            f"no {args.table} table in {root}: pass --data-dir with the folder a scrape wrote"
        )
    if not out.parent.is_dir():
        raise UsageError(f"--out {out}: folder {out.parent} does not exist")
    table = Dataset(root).read(args.table)
    if args.source:
        known = set(pc.unique(table["source"]).to_pylist()) if table.num_rows else set()
        unknown = sorted(set(args.source) - known)
        if unknown:
            raise UsageError(
                f"--source {', '.join(unknown)}: no such source in {root}/{args.table}; "
                f"known: {', '.join(sorted(k for k in known if k)) or 'none'}"
            )
        table = table.filter(pc.is_in(table["source"], value_set=pa.array(args.source)))
    if since is not None:
        column = "published_at" if args.table in ("articles", "revisions") else "fetched_at"
        when = table[column]
        if column == "published_at":  # an article without a date counts by its fetch
            when = pc.coalesce(when, table["fetched_at"])
        table = table.filter(pc.greater_equal(when, pa.scalar(since, type=when.type)))
    if table.num_rows == 0:
        print(f"newsetl: no {args.table} rows match: nothing exported", file=sys.stderr)
        return EXIT_NOTHING
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            pq.write_table(table, tmp, compression="zstd")
        else:
            frame = table.to_pandas()
            # A spreadsheet cell holds no list: names and tags joined by "; " (JSON keeps lists).
            for name in ("authors", "tags") if fmt == "csv" else ():
                if name in frame:
                    frame[name] = frame[name].map(
                        lambda v: "; ".join(v) if v is not None and len(v) else ""
                    )
            if fmt == "csv":
                frame.to_csv(tmp, index=False)
            else:
                frame.to_json(
                    tmp, orient="records", lines=True, date_format="iso", force_ascii=False
                )
        os.replace(tmp, out)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise UsageError(f"--out {out}: cannot write ({exc.strerror or exc})") from exc
    print(f"exported {table.num_rows} {args.table} row(s) to {out} ({fmt})")
    return EXIT_OK


def cmd_reprocess(args: argparse.Namespace) -> int:
    from newsetl.reprocess import format_report, reprocess

    if not Path(args.data_dir).is_dir():
        raise UsageError(f"no dataset at {args.data_dir}: pass --data-dir")
    source = check_source(args.source)
    if source is not None:
        stored = sorted(
            p.name.split("=", 1)[1]
            for table in ("articles", "pages")
            for p in (Path(args.data_dir) / table).glob("source=*")
        )
        if source not in stored:
            raise UsageError(
                f"--source {source}: no such source in {args.data_dir}; "
                f"known: {', '.join(sorted(set(stored))) or 'none'}"
            )
    report = reprocess(args.data_dir, source=source)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(format_report(report))
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from flows import runs as prefect
    from newsetl.status import dataset_status, format_status

    if not Path(args.data_dir).is_dir():
        raise UsageError(f"no dataset at {args.data_dir}: run `newsetl scrape` or pass --data-dir")
    status = dataset_status(args.data_dir)
    runs = prefect.prefect_runs()
    if args.json:
        print(json.dumps({"dataset": status, "prefect_runs": runs}, default=str, indent=2))
    else:
        print(format_status(status, runs, prefect.last_prefect_reason))
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from flows.runs import prefect_runs
    from newsetl.htmlreport import write_report

    if not Path(args.data_dir).is_dir():
        raise UsageError(f"no dataset at {args.data_dir}: run `newsetl scrape` or pass --data-dir")
    try:
        path = write_report(args.data_dir, args.out, prefect_runs=prefect_runs())
    except OSError as exc:
        raise UsageError(
            f"--out {args.out}: cannot write the report ({exc.strerror or exc}): pass a path "
            "in a folder you can write to"
        ) from exc
    print(path)
    if args.open:
        import webbrowser

        webbrowser.open(path.as_uri())
    return EXIT_OK
