"""Run one crawl in this process and write its output folder.

    python -m spiders.crawl --out DIR --max-pages N [--no-delay] [--allow-offsite]
        [--include REGEX ...] [--exclude REGEX ...] [--user-agent UA]
        [--known FILE] [--memory FILE] [--no-archive] [--timeout SECONDS]
        [--redis-url URL --frontier NAME [--lease S] [--idle-timeout S]] URL [URL ...]

Writes ``DIR/pages.jsonl`` (one FetchedPage per fetch attempt, flushed per line, so it
can be followed while the crawl runs), ``DIR/bodies/<sha1>.html`` (raw HTML bodies),
``DIR/stats.json`` (our counts at the top level, Scrapy's stats under ``"scrapy"``) and
``DIR/archive.warc.gz`` (every response received, see ``newsetl.archive``;
``--no-archive`` turns it off). stats.json appears (atomically: written to a temporary
file, then renamed) only once pages.jsonl and the archive are complete and closed: a
reader following pages.jsonl takes it as the end mark (a stale one is removed at start).

``--known FILE`` makes the crawl incremental: FILE is JSON lines, one object per URL seen
before (``url``, ``is_article``, ``etag``, ``last_modified``, ``fetched_at``; see
``spiders.incremental``). Known articles found in sitemaps, feeds and listings are not
fetched again (counted as ``skipped_known`` in stats.json, not written to pages.jsonl)
unless a sitemap lastmod or feed date is newer than their ``fetched_at``; then, and for a
start URL that is a known article, they are fetched with If-None-Match/If-Modified-Since
and a 304 is recorded with reason ``not_modified``. Listing pagination is not followed
past a page that links to known articles and to nothing that may be a new one (counted
per page in ``not_scheduled.pagination_all_known``): new articles appear at the top of
listings. ``--memory FILE`` is the page memory (``newsetl.revisit``, ``spiders.revisit``):
listings read recently, pages that answered 404/410 and pages that are no article are
left alone for a while, and listings, sitemaps and feeds unchanged since their last visit
are not parsed again. Every crawl writes what it learned to ``DIR/memory.jsonl``, for the
flow to merge into the memory once the run's rows are stored. ``--timeout`` sets the download timeout per request (Scrapy's DOWNLOAD_TIMEOUT;
default from ``spiders.settings``, 20 s). Prints ``crawl: N pages fetched, H html, E
errors`` on stderr about every 2 s. Exit 0 when the crawl ran (even if pages failed: read
stats.json), 2 on bad arguments.

``--redis-url`` switches to the distributed mode (``spiders.distributed``): every process
started with the same URL and ``--frontier NAME`` shares one Redis frontier and seen-set,
so no page is fetched twice; ``--max-pages`` is then the total for all of them. Each
process writes its own DIR; the union of their pages.jsonl is the crawl.

``python -m spiders.crawl --wait-for-job`` is a crawler started before it is needed (the
flows start one ahead, ``flows.etl.prestart_crawler``): it imports what a crawl needs (~0.35
s), then reads one line from stdin, a JSON list of strings: the arguments it would otherwise
have been given (``["--out", "DIR", "--max-pages", "5", "--", "URL"]``), and runs them as
above (same output, messages and exit codes). EOF or an empty line instead of a job (the
parent went away or did not need it) exits 0 without crawling; a line that is not a JSON
list of strings exits 2.

``run_crawl`` is the same as a function. It starts a Twisted reactor via CrawlerProcess, and
a reactor cannot be restarted: call it once per process (the flows run it in a child).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from newsetl import crawldir
from newsetl.urls import validate_start_url

__all__ = ["main", "run_crawl"]

_QUIET_LOGGERS = ("scrapy.utils.log", "scrapy.crawler", "scrapy.middleware", "scrapy.addons")


class _BelowWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


# Scrapy components the crawl never uses. Scrapy imports every component named in a setting
# (even one set to None there) before it can decline to run, so they are taken out of the
# *_BASE lists instead: that saves the child ~0.15 s of imports at start-up (aiohttp for the
# remote control server, tldextract for cookies, the feed exporters, twisted.conch).
_UNUSED_COMPONENTS = {
    "EXTENSIONS_BASE": (
        "scrapy.extensions.remote_control.RemoteControl",  # REMOTE_CONTROL_ENABLED = False
        "scrapy.extensions.telnet.TelnetConsole",  # TELNETCONSOLE_ENABLED = False
        "scrapy.extensions.feedexport.FeedExporter",  # we write pages.jsonl ourselves
        "scrapy.extensions.memdebug.MemoryDebugger",  # MEMDEBUG_ENABLED is off
        "scrapy.extensions.spiderstate.SpiderState",  # no JOBDIR
    ),
    "DOWNLOADER_MIDDLEWARES_BASE": (
        "scrapy.downloadermiddlewares.cookies.CookiesMiddleware",  # COOKIES_ENABLED = False
        "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware",  # no HTTPCACHE
    ),
    "DOWNLOAD_HANDLERS_BASE": ("s3", "ftp"),  # only http(s) URLs are requested
}


def crawl_settings(
    *, polite: bool = True, user_agent: str | None = None, overrides: dict[str, Any] | None = None
) -> Any:
    """Settings from ``spiders.settings`` plus the per-run overrides."""
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("spiders.settings", priority="project")
    for name, unused in _UNUSED_COMPONENTS.items():
        base = settings.getdict(name)
        if any(key in base for key in unused):
            kept = {k: v for k, v in base.items() if k not in unused}
            settings.set(name, kept, priority="project")
    if not polite:
        # Only for servers we own (tests, benchmarks on 127.0.0.1).
        settings.set("DOWNLOAD_DELAY", 0, priority="cmdline")
        settings.set("DOWNLOAD_DELAY_JITTER", 0, priority="cmdline")
        settings.set("AUTOTHROTTLE_ENABLED", False, priority="cmdline")
        settings.set("CONCURRENT_REQUESTS", 32, priority="cmdline")
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", 16, priority="cmdline")
        settings.set("NEWSETL_RETRY_AFTER_MAX", 2.0, priority="cmdline")
    if user_agent:
        settings.set("USER_AGENT", user_agent, priority="cmdline")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def run_crawl(
    start_urls: Sequence[str],
    out_dir: str | Path,
    max_pages: int = 200,
    polite: bool = True,
    allow_offsite: bool = False,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    user_agent: str | None = None,
    settings_overrides: dict[str, Any] | None = None,
    known: str | Path | None = None,
    archive: bool = True,
    redis_url: str | None = None,
    frontier: str = "default",
    lease: float | None = None,
    idle_timeout: float | None = None,
    revisit_after: float | None = None,
    memory: str | Path | None = None,
) -> dict[str, Any]:
    """Crawl and write ``out_dir``; return the contents of stats.json.

    Raises ValueError for bad arguments (no start URL, a non-http URL, a bad regex,
    max_pages < 1, a known file that cannot be read).
    """
    urls = [u.strip() for u in start_urls if u and u.strip()]
    if not urls:
        raise ValueError("no start URL given")
    for url in urls:
        validate_start_url(url)  # raises ValueError naming the fix
    if int(max_pages) < 1:
        raise ValueError("max_pages must be at least 1")
    if revisit_after is not None and revisit_after <= 0:
        raise ValueError("revisit_after must be a positive number of seconds")
    include, exclude = list(include), list(exclude)
    for pattern in (*include, *exclude):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"bad regex {pattern!r}: {exc}") from None
    if known is not None:
        known_path = Path(known)
        if not known_path.is_file():
            raise ValueError(f"known file not found: {str(known)!r}")
        try:
            with open(known_path, "rb") as fh:
                fh.read(1)
        except OSError as exc:
            raise ValueError(f"cannot read known file {str(known)!r}: {exc}") from None
    if redis_url:  # distributed mode (spiders.distributed)
        from spiders.frontier import check_redis

        problem = check_redis(redis_url)
        if problem:
            raise ValueError(problem)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # stats.json marks a finished crawl for readers of pages.jsonl: not one from before.
    crawldir.remove_end_mark(out)

    from scrapy.crawler import CrawlerProcess

    from spiders.news import NewsSpider

    started = time.monotonic()
    # Keep stderr readable for the parent: no version banner, settings dump or middleware
    # lists (warnings and errors from these loggers still show).
    # (A filter, not a level: CrawlerProcess's logging setup resets these loggers' levels.)
    for name in _QUIET_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _BelowWarning) for f in logger.filters):
            logger.addFilter(_BelowWarning())
    settings = crawl_settings(polite=polite, user_agent=user_agent, overrides=settings_overrides)
    spider_cls: type[NewsSpider] = NewsSpider
    if redis_url:
        from spiders.distributed import DistributedNewsSpider, distributed_settings

        spider_cls = DistributedNewsSpider
        shared = distributed_settings(redis_url, frontier, lease=lease, idle_timeout=idle_timeout)
        for name, value in shared.items():
            settings.set(name, value, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spider_cls)
    process.crawl(
        crawler,
        start_urls=urls,
        out_dir=str(out),
        max_pages=int(max_pages),
        allow_offsite=allow_offsite,
        include=include,
        exclude=exclude,
        known=str(known) if known is not None else None,
        archive=archive,
        revisit_after=revisit_after,
        memory=str(memory) if memory is not None else None,
    )
    process.start()
    spider = crawler.spider
    scrapy_stats = crawler.stats.get_stats() if crawler.stats else {}
    if spider is None:  # the spider never opened
        ours: dict[str, Any] = {"finish_reason": "not_started", "start_urls": urls}
    else:
        ours = spider.summary(scrapy_stats.get("finish_reason"))
    ours["elapsed_s"] = round(time.monotonic() - started, 3)
    ours["polite"] = polite
    return crawldir.write_stats(out, scrapy_stats, ours)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"crawl: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m spiders.crawl", description="Crawl news sites into DIR.")
    p.add_argument(
        "urls",
        nargs="+",
        metavar="URL",
        help="start URLs (site root, listing, article, sitemap, sitemap index or feed)",
    )
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--max-pages", type=int, default=200, help="HTML page fetches (default 200)")
    p.add_argument(
        "--no-delay",
        action="store_true",
        help="no download delay/AutoThrottle, more concurrency (own servers only)",
    )
    p.add_argument("--allow-offsite", action="store_true", help="follow links to other sites")
    p.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="REGEX",
        help="discovered page URLs must match one of these (repeatable)",
    )
    p.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="REGEX",
        help="skip discovered URLs matching any of these (repeatable)",
    )
    p.add_argument("--user-agent", default=None, help="User-Agent header (default from settings)")
    p.add_argument(
        "--known",
        default=None,
        metavar="FILE",
        help="JSON lines of URLs fetched before: known articles are not fetched again "
        "unless listed with a newer date (then conditionally)",
    )
    p.add_argument(
        "--revisit-after",
        type=float,
        default=None,
        metavar="SECONDS",
        help="with --known: also ask again (conditionally) for known articles fetched at "
        "least this long ago",
    )
    p.add_argument(
        "--memory",
        default=None,
        metavar="FILE",
        help="the page memory (newsetl.revisit): listings, sitemaps and feeds seen before, "
        "pages that answered 404/410 or are no article",
    )
    p.add_argument("--no-archive", action="store_true", help="do not write DIR/archive.warc.gz")
    p.add_argument(
        "--timeout",
        type=_positive_seconds,
        default=None,
        metavar="SECONDS",
        help="download timeout per request (default from spiders.settings: 20)",
    )
    p.add_argument(
        "--redis-url",
        default=None,
        metavar="URL",
        help="distributed mode: share the frontier and seen-set in this Redis "
        "(redis://HOST:PORT/DB) with other processes given the same --frontier",
    )
    p.add_argument(
        "--frontier",
        default="default",
        metavar="NAME",
        help="name of the shared frontier in Redis (default 'default'); "
        "reset it with: python -m spiders.frontier reset",
    )
    p.add_argument(
        "--lease",
        type=_positive_seconds,
        default=None,
        metavar="SECONDS",
        help="distributed mode: a worker silent this long is dead and its requests "
        "are requeued (default 30)",
    )
    p.add_argument(
        "--idle-timeout",
        type=_positive_seconds,
        default=None,
        metavar="SECONDS",
        help="distributed mode: finish after the shared frontier has been empty with "
        "nothing in flight this long (default 3)",
    )
    return p


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value < 86400:  # also rejects nan and inf
        raise argparse.ArgumentTypeError(f"must be between 0 and 86400 seconds: {text!r}")
    return value


# What ``run_crawl`` imports only once the crawl has begun is mostly the components its
# settings name (the downloader and its TLS context factory, middlewares, the scheduler's
# queues, robots.txt parsing: ~0.1 s) and the modules of SPIDER_MODULES (Scrapy's spider
# loader imports them all), which ``_preload`` imports by name; these are the rest (found
# by comparing sys.modules before and after a crawl).
_PRELOAD = (
    "encodings.idna",  # host names are IDNA-encoded per request
    "resource",  # the MemoryUsage extension
)
# Settings naming one class each (the component lists are read with getwithbase).
_CLASS_SETTINGS = (
    "SCHEDULER",
    "SCHEDULER_PRIORITY_QUEUE",
    "SCHEDULER_MEMORY_QUEUE",
    "SCHEDULER_DISK_QUEUE",
    "DUPEFILTER_CLASS",
    "STATS_CLASS",
    "DOWNLOADER",
    "DOWNLOADER_HTTPCLIENTFACTORY",
    "DOWNLOADER_CLIENTCONTEXTFACTORY",
    "ROBOTSTXT_PARSER",
    "REQUEST_FINGERPRINTER_CLASS",
    "LOG_FORMATTER",
)
# {class path: order} settings; Scrapy imports a component even when its order is None.
_COMPONENT_SETTINGS = (
    "DOWNLOADER_MIDDLEWARES",
    "SPIDER_MIDDLEWARES",
    "EXTENSIONS",
    "ITEM_PIPELINES",
)


def _preload() -> None:
    """Import what a crawl imports, without starting anything: no reactor is installed
    (Scrapy installs its own when the crawl starts) and nothing is configured."""
    import importlib
    import pkgutil

    import scrapy.crawler  # noqa: F401
    from scrapy.utils.misc import load_object

    import spiders.news  # noqa: F401

    settings = crawl_settings()
    paths = [settings.get(name) for name in _CLASS_SETTINGS]
    for name in _COMPONENT_SETTINGS:
        paths += settings.getwithbase(name)
    paths += settings.getwithbase("DOWNLOAD_HANDLERS").values()  # {scheme: class path}
    for path in paths:
        if isinstance(path, str) and "." in path:
            try:
                load_object(path)
            except (ImportError, NameError, AttributeError, ValueError):
                pass  # the crawl reports it, if it needs the component
    modules = list(_PRELOAD)
    for name in settings.getlist("SPIDER_MODULES"):  # what Scrapy's spider loader imports
        try:
            package = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(package, "__path__"):
            modules += [m.name for m in pkgutil.walk_packages(package.__path__, name + ".")]
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            pass


def _wait_for_job() -> int:
    """``--wait-for-job``: import ahead, then run the job read from stdin (see above)."""
    import json

    try:
        _preload()
        line = sys.stdin.buffer.readline() if sys.stdin is not None else b""
    except KeyboardInterrupt:  # Ctrl-C in the parent's terminal: it goes, so do we
        return 130
    if not line.strip():  # EOF (the parent went away) or an empty line: no job
        return 0
    try:
        job = json.loads(line)
    except ValueError as exc:
        job, problem = None, f"not JSON ({exc})"
    else:
        problem = "not a JSON list of strings"
    if not isinstance(job, list) or not all(isinstance(arg, str) for arg in job):
        print(f"crawl: error: --wait-for-job: bad job line: {problem}", file=sys.stderr)
        return 2
    return _main(job)


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] == ["--wait-for-job"]:
        if len(args) > 1:
            print("crawl: error: --wait-for-job takes no other arguments", file=sys.stderr)
            return 2
        return _wait_for_job()
    return _main(args)


def _main(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        stats = run_crawl(
            args.urls,
            args.out,
            max_pages=args.max_pages,
            polite=not args.no_delay,
            allow_offsite=args.allow_offsite,
            include=args.include,
            exclude=args.exclude,
            user_agent=args.user_agent,
            known=args.known,
            archive=not args.no_archive,
            redis_url=args.redis_url,
            frontier=args.frontier,
            lease=args.lease,
            idle_timeout=args.idle_timeout,
            revisit_after=args.revisit_after,
            memory=args.memory,
            settings_overrides=(
                {"DOWNLOAD_TIMEOUT": args.timeout} if args.timeout is not None else None
            ),
        )
    except ValueError as exc:
        parser.error(str(exc))
        return 2  # not reached
    if os.environ.get("NEWSETL_QUIET"):
        return 0
    index = sum(stats.get(k, 0) for k in ("robots_fetched", "sitemaps_fetched", "feeds_fetched"))
    print(
        f"crawl: done ({stats.get('finish_reason')}): {stats.get('pages_fetched', 0) + index} "
        f"pages fetched ({stats.get('html_pages', 0)} html, {index} robots.txt/sitemaps/feeds), "
        f"{stats.get('errors', 0)} errors in {stats.get('elapsed_s')} s",
        file=sys.stderr,
        flush=True,
    )
    return 0


def _exit_now(code: int) -> None:
    """End the process without the interpreter's teardown.

    Everything the crawl writes is closed before ``main`` returns (pages.jsonl, the
    archive, then stats.json), so all that remains is flushing the standard streams and
    logging. Tearing down Scrapy, Twisted and their thread pool took 0.1-0.15 s after a
    crawl, on the critical path of every run.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _exit_with_parent(interval_s: float = 0.5) -> None:
    """End this crawl when the process that started it is gone (killed, crashed).

    Nobody would read what it writes, and it would go on fetching from the site. A child
    whose parent dies is handed to another process, so its parent pid changes.
    """
    import threading

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(interval_s)
            if os.getppid() != parent:
                print(
                    "crawl: the process that started this crawl is gone: stopping", file=sys.stderr
                )
                _exit_now(3)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


if __name__ == "__main__":
    _exit_with_parent()
    try:
        code = main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if not isinstance(exc.code, int | None):
            print(exc.code, file=sys.stderr)
    _exit_now(code)
