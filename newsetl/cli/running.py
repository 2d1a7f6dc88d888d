"""The commands that run the pipeline through Prefect: scrape, run, serve, demo.

Prefect and the flows are imported inside the commands, never at the top, so that the
other commands and ``--help`` start fast.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from newsetl.cli.common import (
    EXIT_FAILED,
    EXIT_NOTHING,
    EXIT_OK,
    UsageError,
    check_data_dir,
    check_patterns,
    check_source,
    check_urls,
)


def _prepare_prefect(args: argparse.Namespace, early: dict[str, Any] | None = None) -> None:
    """Prefect's environment and, when no API is known, a temporary server booting on the
    other core; with ``early`` (the flow parameters of an ad hoc scrape), the crawl starts
    now too (``flows.early``), before Prefect is imported."""
    from flows.env import prepare_prefect_env, start_embedded_server

    if getattr(args, "quiet", False):
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        os.environ["NEWSETL_QUIET"] = "1"  # the crawler too: no Scrapy INFO, no progress
    prepare_prefect_env()
    # No server known: start a temporary one now, so it boots while Prefect is imported.
    start_embedded_server()
    if early is not None and os.environ.get("NEWSETL_EARLY_CRAWL", "1") != "0":
        from flows import early as early_start

        early_start.start(early)
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
    from flows import early as early_start
    from flows.env import heartbeats_off, start_embedded_server
    from newsetl import interrupt

    try:
        from flows.etl import scrape

        server = start_embedded_server()
        if server is not None:
            server.wait_ready()
        if interrupt.requested():
            return _stopped_early(early_start.abandon())
        with heartbeats_off():
            state = scrape(**params, return_state=True)
    finally:
        # A crawl started ahead that the flow run did not take over (it failed to start,
        # Ctrl-C while Prefect started): stopped and cleaned up, nothing stored.
        dropped = early_start.abandon()
    if state.is_cancelled() and interrupt.requested():
        # Stopped by Ctrl-C/SIGTERM: the state carries what the run kept (None when it was
        # stopped before its crawl began).
        kept = state.result(raise_on_failure=False)
        return kept if isinstance(kept, dict) else _stopped_early(dropped)
    return state.result()


def _stopped_early(dropped_pages: int) -> dict[str, Any]:
    from newsetl import interrupt

    return {"interrupted": interrupt.signal_name(), "dropped_pages": dropped_pages}


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


def interrupted_exit(summary: dict[str, Any] | None) -> int:
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
    elif summary and summary.get("dropped_pages"):
        print(
            f"newsetl: stopped by {name} while Prefect started: nothing was stored (the "
            f"{summary['dropped_pages']} pages fetched meanwhile are dropped); run the same "
            "command again",
            file=sys.stderr,
        )
    else:
        print(f"newsetl: stopped by {name} before anything was stored", file=sys.stderr)
    return interrupt.exit_code(interrupt.requested() or signal.SIGINT)


def cmd_scrape(args: argparse.Namespace) -> int:
    summary = scrape_summary(args)
    if summary.get("interrupted"):
        return interrupted_exit(summary)
    _print_summary(summary)
    return _outcome(summary)


def scrape_summary(args: argparse.Namespace) -> dict[str, Any]:
    """Check the scrape options (``UsageError`` naming the fix), run the flow once and
    return its summary (``newsetl scrape`` and ``newsetl.scrape``)."""
    urls = check_urls(args.urls)
    if not urls:
        raise UsageError("no URL given: pass at least one http(s) URL to scrape")
    source = check_source(args.source)
    if args.max_pages < 1:
        raise UsageError("--max-pages must be at least 1")
    check_patterns(args.include, "--include")
    check_patterns(args.exclude, "--exclude")
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
    data_dir = check_data_dir(args.data_dir)
    params = {
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
    _prepare_prefect(args, early=params)
    return _run_flow(params)


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
    data_dir = check_data_dir(args.data_dir) if args.data_dir else None
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
            params["data_dir"] = check_data_dir(params.get("data_dir", "data"))
        try:
            summary = _run_flow(params)
        except Exception as exc:  # noqa: BLE001 - one source failing must not stop the others
            if interrupt.requested():
                continue
            failed += 1
            print(f"newsetl: source {src.name} failed: {exc}", file=sys.stderr)
            continue
        if summary.get("interrupted"):
            interrupted_exit(summary)
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


def cmd_trigger(args: argparse.Namespace) -> int:
    from flows.trigger import TriggerError, parse_parameters, trigger
    from newsetl.config import parse_duration

    try:
        timeout_s = parse_duration(args.timeout)
    except ValueError as exc:
        raise UsageError(f"--timeout: {exc}") from exc
    try:
        run = trigger(
            args.deployment,
            parameters=parse_parameters(args.param or []),
            key=args.key,
            timeout_s=timeout_s,
        )
    except TriggerError as exc:
        if exc.usage:
            raise UsageError(str(exc)) from exc
        print(f"newsetl: {exc}", file=sys.stderr)
        return EXIT_FAILED
    what = "created flow run" if run.created else "a flow run already existed for this key:"
    tries = f" after {run.attempts} attempts" if run.attempts > 1 else ""
    print(f"{what} {run.name} ({run.flow_run_id}){tries}; key {run.key}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from newsetl.demo.server import SiteServer
    from newsetl.demo.sites import demo_sites

    data_dir = check_data_dir(args.data_dir)
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
        return interrupted_exit(summary)
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
