"""The ``newsetl`` command line: scrape, run, serve, extract, demo.

Prefect and the flows are imported only by the commands that run them, so ``extract`` and
``--help`` start fast. Exit codes: 0 the job ran (failed pages are recorded, not fatal);
1 the run failed; 2 the job cannot be done as asked (the message names the fix).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Sequence

from newsetl import __version__
from newsetl.cli.common import EXIT_FAILED, EXIT_USAGE, UsageError
from newsetl.cli.reading import cmd_export, cmd_extract, cmd_report, cmd_reprocess, cmd_status
from newsetl.cli.running import (
    cmd_demo,
    cmd_run,
    cmd_scrape,
    cmd_serve,
    cmd_trigger,
    interrupted_exit,
    scrape_summary,
)

__all__ = ["UsageError", "build_parser", "main", "scrape_summary"]


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
        epilog="The crawl starts at once, while a temporary Prefect server boots; that server "
        "stays up for the next command for NEWSETL_PREFECT_LINGER (default 10m; 0: stop it "
        "with the command). Ctrl-C stores what was fetched and extracted within a few "
        "seconds; a second Ctrl-C stops at once.",
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

    tr = sub.add_parser(
        "trigger",
        help="start a run of a served deployment now (retried, never created twice)",
        description=(
            "Create a run of a deployment on the Prefect server of `newsetl serve` (or "
            "PREFECT_API_URL). Busy-server answers (503, dropped connections) are retried "
            "until --timeout; the run carries an idempotency key, so a retry never creates "
            "a second run. Exit 0 when the run exists, 1 when no server accepted it."
        ),
    )
    tr.add_argument("deployment", metavar="NAME", help="deployment name (or FLOW/NAME)")
    tr.add_argument(
        "-p",
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="a flow parameter for this run (VALUE in JSON, else a string); repeatable",
    )
    tr.add_argument(
        "--key", help="idempotency key: a second trigger with the same key starts no new run"
    )
    tr.add_argument("--timeout", default="60s", help="how long to retry (default: 60s)")
    tr.set_defaults(func=cmd_trigger)

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
    e.add_argument(
        "--fetched-at",
        metavar="WHEN",
        help="when the files were fetched, for relative dates such as '3 hours ago': "
        "'file' (each file's modification time), 'now', or an ISO 8601 time (default: "
        "unknown, relative dates are not read; a URL is fetched now)",
    )
    e.add_argument(
        "-j",
        "--jobs",
        type=int,
        metavar="N",
        help="worker processes for files (default: one per CPU; 1: none); output keeps "
        "the input order",
    )
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
            return interrupted_exit(None)

        if isinstance(exc, DataDirError | ValueError):
            print(f"newsetl: {exc}", file=sys.stderr)
            return EXIT_USAGE
        print(f"newsetl: the run failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        if os.environ.get("NEWSETL_DEBUG"):
            raise
        return EXIT_FAILED
