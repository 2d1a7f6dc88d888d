"""The ``newsetl`` command line: scrape, run, serve, extract, demo.

Prefect and the flows are imported only by the commands that run them, so ``extract`` and
``--help`` start fast. Exit codes: 0 the job ran (failed pages are recorded, not fatal);
1 the run failed; 2 the job cannot be done as asked (the message names the fix).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from newsetl import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_NOTHING = 3  # the run could do nothing: no start URL answered, or nothing was fetched


class UsageError(Exception):
    """The job cannot be done as asked; the message names the fix."""


def _check_urls(raw: Sequence[str]) -> list[str]:
    from newsetl.urls import validate_start_url

    try:
        return [validate_start_url(u) for u in raw]
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def _check_data_dir(path: str) -> str:
    from newsetl.storage import DataDirError, Dataset

    ds = Dataset(path)
    try:
        ds.ensure_writable()
    except DataDirError as exc:
        raise UsageError(str(exc)) from exc
    return str(ds.root)


def _check_patterns(patterns: list[str] | None, option: str) -> None:
    """Each pattern must be a regular expression (Python's ``re``): checked before the run."""
    import re

    for pattern in patterns or []:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise UsageError(
                f"{option} {pattern!r} is not a regular expression ({exc}): escape special "
                "characters with a backslash, e.g. '\\(' for a parenthesis"
            ) from exc


def _check_source(name: str | None) -> str | None:
    if name is None:
        return None
    from newsetl.storage import check_partition_value

    try:
        return check_partition_value(name)
    except ValueError as exc:
        raise UsageError(f"--source: {exc}") from exc


def _prepare_prefect(args: argparse.Namespace) -> None:
    from newsetl.settings import prepare_prefect_env, start_embedded_server

    if getattr(args, "quiet", False):
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        os.environ["NEWSETL_QUIET"] = "1"  # the crawler too: no Scrapy INFO, no progress
    prepare_prefect_env()
    # No server known: start a temporary one now, so it boots while Prefect is imported.
    start_embedded_server()
    _console_without_tracebacks()


class _NoTracebackFormatter(logging.Formatter):
    """Wraps a console formatter: the message stays, the traceback goes (to the API logs)."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            return self.inner.format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def _console_without_tracebacks() -> None:
    """A failed run prints one line per failure on the terminal, not a traceback.

    The tracebacks stay in Prefect's run logs; ``NEWSETL_DEBUG=1`` shows them here too.
    """
    if os.environ.get("NEWSETL_DEBUG"):
        return
    import prefect.main  # noqa: F401 - configures Prefect's logging (lazily imported)
    from prefect.logging.handlers import PrefectConsoleHandler

    seen: set[int] = set()
    loggers = [logging.getLogger()] + [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    for lg in loggers:
        for handler in lg.handlers:
            if isinstance(handler, PrefectConsoleHandler) and id(handler) not in seen:
                seen.add(id(handler))
                handler.setFormatter(
                    _NoTracebackFormatter(handler.formatter or logging.Formatter())
                )


def _run_flow(params: dict[str, Any]) -> dict[str, Any]:
    from flows.etl import scrape
    from newsetl import interrupt
    from newsetl.settings import start_embedded_server

    server = start_embedded_server()
    if server is not None:
        server.wait_ready()
    if interrupt.requested():
        return {"interrupted": interrupt.signal_name()}
    state = scrape(**params, return_state=True)
    if state.is_cancelled() and interrupt.requested():
        # Stopped by Ctrl-C/SIGTERM: the state carries what the run kept (None when it was
        # stopped before its crawl began).
        kept = state.result(raise_on_failure=False)
        return kept if isinstance(kept, dict) else {"interrupted": interrupt.signal_name()}
    return state.result()


def _print_summary(summary: dict[str, Any]) -> None:
    from newsetl.report import summary_text

    if summary.get("skipped"):
        print(f"skipped: the previous run of source {summary.get('source')} is still running")
        return
    print(summary_text(summary))


# -- commands ---------------------------------------------------------------------------
def _outcome(summary: dict[str, Any]) -> int:
    """Exit status of a finished run: EXIT_NOTHING, with a line naming the cause, when it
    could do nothing; 0 otherwise (start URLs that failed are listed in the summary)."""
    from newsetl.report import nothing_fetched

    if summary.get("skipped"):
        return EXIT_OK
    why = nothing_fetched(summary)
    if why is None:
        return EXIT_OK
    print(
        f"newsetl: {why}: check the start URLs (lines 'start URL failed' above); "
        "no article was added",
        file=sys.stderr,
    )
    return EXIT_NOTHING


def _interrupted(summary: dict[str, Any] | None) -> int:
    """The summary (when the run had begun), the line and the exit status of a run
    stopped by SIGINT (130) or SIGTERM (143)."""
    from newsetl import interrupt

    name = interrupt.signal_name()
    if summary and "run_id" in summary:
        _print_summary(summary)
        kept = (
            f"{summary.get('pages_fetched', 0)} pages fetched and kept, "
            f"{summary.get('articles_new', 0)} new articles stored"
        )
        print(
            f"newsetl: stopped by {name}: {kept}; run the same command again to go on "
            "(the articles stored are not downloaded again)",
            file=sys.stderr,
        )
    else:
        print(f"newsetl: stopped by {name} before anything was fetched", file=sys.stderr)
    return interrupt.exit_code(interrupt.requested() or signal.SIGINT)


def cmd_scrape(args: argparse.Namespace) -> int:
    summary = scrape_summary(args)
    if summary.get("interrupted"):
        return _interrupted(summary)
    _print_summary(summary)
    return _outcome(summary)


def scrape_summary(args: argparse.Namespace) -> dict[str, Any]:
    """Check the scrape options (``UsageError`` naming the fix), run the flow once and
    return its summary (``newsetl scrape`` and ``newsetl.scrape``)."""
    urls = _check_urls(args.urls)
    if not urls:
        raise UsageError("no URL given: pass at least one http(s) URL to scrape")
    source = _check_source(args.source)
    if args.max_pages < 1:
        raise UsageError("--max-pages must be at least 1")
    _check_patterns(args.include, "--include")
    _check_patterns(args.exclude, "--exclude")
    if args.revisit_after is not None:
        from newsetl.config import parse_duration

        try:
            parse_duration(args.revisit_after)
        except ValueError as exc:
            raise UsageError(f"--revisit-after: {exc}") from exc
    if args.crawlers < 1:
        raise UsageError("--crawlers must be at least 1")
    if args.crawlers > 1 and not (args.redis_url or os.environ.get("NEWSETL_REDIS_URL")):
        raise UsageError("--crawlers above 1 needs a Redis: pass --redis-url redis://HOST:6379/0")
    # The data folder last: it is created by the check, so only once the rest is right.
    data_dir = _check_data_dir(args.data_dir)
    _prepare_prefect(args)
    return _run_flow(
        {
            "start_urls": urls,
            "source": source,
            "data_dir": data_dir,
            "max_pages": args.max_pages,
            "polite": not args.no_delay,
            "include": args.include or None,
            "exclude": args.exclude or None,
            "allow_offsite": args.allow_offsite,
            "incremental": not args.full,
            "on_overlap": args.on_overlap,
            "crawlers": args.crawlers,
            "redis_url": args.redis_url,
            "revisit_after": args.revisit_after,
        }
    )


def _load_config(args: argparse.Namespace):  # noqa: ANN202
    from newsetl.config import ConfigError, load_sources
    from newsetl.settings import default_config_path

    path = Path(args.config) if args.config else default_config_path()
    try:
        return path, load_sources(path)
    except ConfigError as exc:
        raise UsageError(str(exc)) from exc


def cmd_run(args: argparse.Namespace) -> int:
    from newsetl.config import ConfigError, select_sources

    path, sources = _load_config(args)
    try:
        chosen = select_sources(sources, args.sources)
    except ConfigError as exc:
        raise UsageError(f"{path}: {exc}") from exc
    if not chosen:
        raise UsageError(
            f"no sources configured in {path}: add a deployment with parameters.source and "
            "parameters.start_urls, or pass URLs to `newsetl scrape`"
        )
    data_dir = _check_data_dir(args.data_dir) if args.data_dir else None
    _prepare_prefect(args)
    from newsetl import interrupt

    failed = nothing = 0
    for src in chosen:
        if interrupt.requested():
            print(f"newsetl: source {src.name} not run (stopped)", file=sys.stderr)
            continue
        params = dict(src.parameters)
        params.setdefault("source", src.name)
        if data_dir:
            params["data_dir"] = data_dir
        else:
            params["data_dir"] = _check_data_dir(params.get("data_dir", "data"))
        try:
            summary = _run_flow(params)
        except Exception as exc:  # noqa: BLE001 - one source failing must not stop the others
            if interrupt.requested():
                continue
            failed += 1
            print(f"newsetl: source {src.name} failed: {exc}", file=sys.stderr)
            continue
        if summary.get("interrupted"):
            _interrupted(summary)
            continue
        _print_summary(summary)
        if _outcome(summary) != EXIT_OK:
            nothing += 1
    if interrupt.requested():
        return interrupt.exit_code(interrupt.requested() or signal.SIGINT)
    if failed:
        return EXIT_FAILED
    return EXIT_NOTHING if nothing == len(chosen) else EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    path, sources = _load_config(args)
    if not sources:
        raise UsageError(f"no deployments of {path} to serve: add one (see README)")
    from flows.serve import serve_sources
    from newsetl.config import parse_duration

    try:
        grace_s = parse_duration(args.grace, allow_zero=True)
    except ValueError as exc:
        raise UsageError(f"--grace: {exc}") from exc
    return serve_sources(
        sources,
        config_path=path,
        data_dir=args.data_dir,
        quiet=args.quiet,
        port=args.port,
        grace_s=grace_s,
    )


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


def cmd_extract(args: argparse.Namespace) -> int:
    from newsetl.extraction import extract_article
    from newsetl.formats import write_records

    fmt = "jsonl" if args.jsonl else args.format
    inputs = _extract_inputs(args)
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
            ex = extract_article(body, page_url, encoding_hint=charset, content_language=lang)
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
    source = _check_source(args.source)
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
    from newsetl.status import dataset_status, format_status, prefect_runs

    if not Path(args.data_dir).is_dir():
        raise UsageError(f"no dataset at {args.data_dir}: run `newsetl scrape` or pass --data-dir")
    status = dataset_status(args.data_dir)
    runs = prefect_runs()
    if args.json:
        print(json.dumps({"dataset": status, "prefect_runs": runs}, default=str, indent=2))
    else:
        print(format_status(status, runs))
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from newsetl.htmlreport import write_report
    from newsetl.status import prefect_runs

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


def cmd_demo(args: argparse.Namespace) -> int:
    from newsetl.demo.server import SiteServer
    from newsetl.demo.sites import demo_sites

    data_dir = _check_data_dir(args.data_dir)
    _prepare_prefect(args)
    servers = []
    try:
        for i, site in enumerate(demo_sites()):
            port = args.port + i if args.port else 0
            try:
                srv = SiteServer(site, port=port)
                srv.start()
            except OSError:
                srv = SiteServer(site, port=0)  # the fixed port is taken: any free one
                srv.start()
            servers.append(srv)
        start_urls = [s.url + "/" for s in servers]
        print("demo sites: " + ", ".join(start_urls), flush=True)
        summary = _run_flow(
            {"start_urls": start_urls, "data_dir": data_dir, "max_pages": 100, "polite": False}
        )
    finally:
        for srv in servers:
            srv.stop()
    if summary.get("interrupted"):
        return _interrupted(summary)
    _print_summary(summary)
    print("articles stored:")
    for art in summary.get("articles_added", []):
        print(f"  [{art['source']}] {art['title']}")
    rel = os.path.relpath(data_dir)
    if rel.startswith(".."):
        rel = data_dir
    print("load it:")
    print(
        f'  .venv/bin/python -c "import pandas as pd; '
        f"print(pd.read_parquet('{rel}/articles')[['source', 'title', 'word_count']].to_string())\""
    )
    return EXIT_OK


# -- parser -----------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="newsetl",
        description="Scrape news and blog articles into a clean, deduplicated Parquet dataset.",
    )
    p.add_argument("--version", action="version", version=f"newsetl {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def common(sp: argparse.ArgumentParser, data_default: str | None = "data") -> None:
        sp.add_argument(
            "--data-dir",
            default=data_default,
            help=f"dataset folder (default: {data_default or 'from prefect.yaml, else data'})",
        )
        sp.add_argument("-q", "--quiet", action="store_true", help="only warnings and the summary")

    s = sub.add_parser(
        "scrape",
        help="scrape URLs now (site roots, listings, sitemaps, feeds or articles)",
        description="Run the scrape flow once on the given URLs, with no server to start.",
    )
    s.add_argument("urls", nargs="*", metavar="URL", help="http(s) start URLs, any mix of sites")
    common(s)
    s.add_argument(
        "--max-pages",
        type=int,
        default=200,
        help="HTML pages to fetch at most (default: %(default)s); the rest are left for a "
        "later run and counted in the summary",
    )
    s.add_argument("--source", help="source name for all URLs (default: each URL's host)")
    s.add_argument("--include", action="append", metavar="REGEX", help="only URLs matching")
    s.add_argument("--exclude", action="append", metavar="REGEX", help="skip URLs matching")
    s.add_argument("--allow-offsite", action="store_true", help="follow links to other sites")
    s.add_argument(
        "--crawlers",
        type=int,
        default=1,
        help="crawler processes sharing a Redis frontier (needs --redis-url; default 1)",
    )
    s.add_argument(
        "--redis-url",
        default=None,
        help="distributed mode: a Redis for the crawl frontier and the locks "
        "(default: $NEWSETL_REDIS_URL)",
    )
    s.add_argument(
        "--on-overlap",
        choices=["queue", "skip"],
        default="queue",
        help="when a run of the same --source is still going: wait for it, or skip this run",
    )
    s.add_argument(
        "--full",
        action="store_true",
        help="download known articles again (default: only new or changed ones)",
    )
    s.add_argument(
        "--revisit-after",
        metavar="DURATION",
        default=None,
        help="for sites that give no dates: ask again, conditionally (a 304 costs no body), "
        "for known articles last fetched at least this long ago, e.g. 7d or 12h (default: "
        "off; a known article is fetched again only when a sitemap or feed lists it newer)",
    )
    s.add_argument(
        "--no-delay",
        action="store_true",
        help="turn politeness delays off (for your own or local servers only)",
    )
    s.set_defaults(func=cmd_scrape)

    r = sub.add_parser(
        "run",
        help="run configured sources once",
        description="Run the sources declared in prefect.yaml once, as their schedules would.",
    )
    r.add_argument("sources", nargs="*", metavar="SOURCE", help="source names (default: all)")
    r.add_argument("--config", help="prefect.yaml to read (default: the project's)")
    common(r, None)
    r.set_defaults(func=cmd_run)

    v = sub.add_parser(
        "serve",
        help="run the schedules of prefect.yaml until stopped",
        description=(
            "Start a local Prefect server (SQLite, 127.0.0.1) unless one is configured, "
            "serve the deployments of prefect.yaml on their schedules, stop on Ctrl-C or "
            "SIGTERM. Runs start in a warm executor process that has already loaded the "
            "pipeline and started a crawler (NEWSETL_WARM_EXECUTORS=0: a new process per run)."
        ),
    )
    v.add_argument("--config", help="prefect.yaml to read (default: the project's)")
    v.add_argument("--port", type=int, default=0, help="port of the local Prefect server")
    v.add_argument(
        "--grace",
        default="30s",
        metavar="DURATION",
        help="on Ctrl-C or SIGTERM, how long runs under way may go on before they are "
        "cancelled (default 30s; 0: cancel at once); a second signal cancels at once",
    )
    common(v, None)
    v.set_defaults(func=cmd_serve)

    e = sub.add_parser(
        "extract",
        help="extract the article of one URL or of saved HTML files",
        description=(
            "Print the article of each input: a URL (fetched once, politely: robots.txt, "
            "newsetl's User-Agent, 20 s timeout) or a saved HTML file (.html, .html.gz). "
            "Every input is tried; the exit status is 1 if any failed."
        ),
    )
    e.add_argument("files", nargs="*", metavar="URL|FILE", help="page URLs or HTML files")
    e.add_argument(
        "--files-from",
        metavar="LIST",
        help="a file of inputs, one PATH or PATH<TAB>URL per line; - reads standard input",
    )
    e.add_argument("--url", help="the pages' URL (resolves relative links, canonical URL)")
    e.add_argument(
        "--format",
        choices=("text", "json", "jsonl", "csv", "markdown"),
        default="text",
        help="output: the text only (default), JSON, JSON lines, CSV or Markdown",
    )
    e.add_argument("--jsonl", action="store_true", help="the same as --format jsonl")
    e.set_defaults(func=cmd_extract)

    ex = sub.add_parser(
        "export",
        help="write one table (or part of it) to one CSV, JSON lines or Parquet file",
        description=(
            "One file a spreadsheet or another tool opens: a table of the dataset (articles: "
            "the latest revision of each), optionally only some sources and only rows "
            "published (articles) or fetched (other tables) on or after a date."
        ),
    )
    ex.add_argument("--out", required=True, help="the file to write (written whole or not at all)")
    ex.add_argument("--format", choices=("csv", "jsonl", "parquet"), help="default: from --out")
    ex.add_argument(
        "--table", default="articles", help="articles (default), revisions, duplicates, pages"
    )
    ex.add_argument("--source", action="append", help="only this source (repeatable)")
    ex.add_argument("--since", metavar="DATE", help="only rows from this day on (YYYY-MM-DD)")
    ex.add_argument("--data-dir", default="data", help="dataset folder (default: data)")
    ex.set_defaults(func=cmd_export)

    rr = sub.add_parser(
        "reprocess",
        help="rebuild articles and duplicates from the page archive, offline",
        description=(
            "Replay the raw page archive (data/archive/*.warc.gz) through today's extractor "
            "and deduplicator, run by run, and swap the result in atomically. No network."
        ),
    )
    rr.add_argument("--data-dir", default="data", help="dataset folder (default: data)")
    rr.add_argument("--source", help="only this source (default: all)")
    rr.add_argument("--json", action="store_true", help="machine-readable report")
    rr.set_defaults(func=cmd_reprocess)

    st = sub.add_parser(
        "status",
        help="last runs and the dataset's counts per source and day",
        description=(
            "Counts per source and per day, and the last runs, from the data itself and, "
            "when a Prefect server is configured or `newsetl serve` runs, from Prefect."
        ),
    )
    st.add_argument("--data-dir", default="data", help="dataset folder (default: data)")
    st.add_argument("--json", action="store_true", help="machine-readable output")
    st.set_defaults(func=cmd_status)

    rp = sub.add_parser(
        "report",
        help="write an HTML report of the dataset",
        description="Write one self-contained HTML page: charts of articles, duplicates, "
        "errors and field coverage per source and day.",
    )
    rp.add_argument("--data-dir", default="data", help="dataset folder (default: data)")
    rp.add_argument("--out", default="report.html", help="where to write it (default: report.html)")
    rp.add_argument("--open", action="store_true", help="open it in a browser")
    rp.set_defaults(func=cmd_report)

    d = sub.add_parser(
        "demo",
        help="scrape the bundled demo blogs on 127.0.0.1 into ./data",
        description="Serve two bundled demo sites on 127.0.0.1, scrape them, print the result.",
    )
    common(d)
    d.add_argument("--port", type=int, default=8471, help="first port of the demo sites")
    d.set_defaults(func=cmd_demo)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    # Only newsetl's own loggers: Prefect has its console handler, Scrapy runs in a child.
    own = logging.getLogger("newsetl")
    if not own.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        own.addHandler(handler)
        own.setLevel(logging.WARNING)
        own.propagate = False
    from newsetl import interrupt

    # Commands that run a scrape take Ctrl-C and SIGTERM themselves (newsetl.interrupt):
    # the crawl stops gracefully and what it fetched is stored.
    runs = args.func in (cmd_scrape, cmd_run, cmd_demo)
    try:
        with interrupt.handle_signals() if runs else contextlib.nullcontext():
            return args.func(args)
    except UsageError as exc:
        print(f"newsetl: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("newsetl: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - a one-line message, not a traceback
        from newsetl.storage import DataDirError

        if interrupt.requested():
            return _interrupted(None)

        if isinstance(exc, DataDirError | ValueError):
            print(f"newsetl: {exc}", file=sys.stderr)
            return EXIT_USAGE
        print(f"newsetl: the run failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        if os.environ.get("NEWSETL_DEBUG"):
            raise
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
