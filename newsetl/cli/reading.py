"""The commands that read pages or the dataset without Prefect: extract, export,
reprocess, status, report."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from newsetl.cli.common import (
    EXIT_FAILED,
    EXIT_NOTHING,
    EXIT_OK,
    UsageError,
    check_source,
)
from newsetl.dates import parse_iso_utc


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

    if source.startswith(("http://", "https://")):
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


def cmd_extract(args: argparse.Namespace) -> int:
    from newsetl.extraction import extract_article
    from newsetl.formats import write_records

    fmt = "jsonl" if args.jsonl else args.format
    inputs = _extract_inputs(args)
    if args.fetched_at not in (None, "file", "now") and parse_iso_utc(args.fetched_at) is None:
        raise UsageError(
            f"--fetched-at {args.fetched_at!r}: give 'file', 'now' or an ISO 8601 time"
        )
    failures: list[str] = []

    def records():  # noqa: ANN202 - a generator of dicts
        for source, url in inputs:
            try:
                body, final, charset, lang = _read_page(source)
            except ValueError as exc:
                failures.append(source)
                print(f"newsetl: {exc}", file=sys.stderr)
                continue
            page_url = url or final
            ex = extract_article(
                body,
                page_url,
                encoding_hint=charset,
                content_language=lang,
                fetched_at=_fetched_at(args.fetched_at, source, bool(final)),
            )
            yield {
                "path": None if final else source,
                "url": page_url or ex.canonical_url,
                "title": ex.title,
                "authors": ex.authors,
                # the instant in the page's own UTC offset, so its day is the publisher's day
                "published_at": ex.published_local().isoformat() if ex.published_at else None,
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
