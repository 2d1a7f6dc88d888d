"""The newsetl flow: crawl -> extract -> deduplicate -> write, one Prefect task per stage.

The crawl runs Scrapy in a child process (Twisted's reactor cannot be restarted inside a
long-lived process such as ``newsetl serve``); the other stages call the pure functions of
``newsetl.pipeline``. Only transient failures are retried.

A crawl child spends ~0.35 s importing Scrapy before it fetches anything. ``prestart_crawler``
starts one ahead (``python -m spiders.crawl --wait-for-job``) so that the crawl task finds it
ready and sends it its arguments; the flow starts it as a run begins, while the known-articles
file is written. A spare not used is killed at exit (``discard_spare``).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from prefect.runtime import flow_run
from prefect.utilities.annotations import quote

from flows import early as early_start
from flows.children import CrawlCrashed, reset_frontier, wait_all
from flows.early import crawl_arguments, crawl_command, new_run_id
from newsetl import crawldir, dedupe, interrupt, pipeline, revisit, urls
from newsetl.config import parse_duration
from newsetl.faults import crash_point
from newsetl.report import summary_markdown
from newsetl.settings import state_dir
from newsetl.storage import Dataset

# A crawl child killed from outside, or one that crashed, is worth one more try; a crawl
# refused for its arguments is not.
CRAWL_RETRIES = 1


def _retry_only_transient(task_, task_run, state) -> bool:  # noqa: ANN001 - Prefect's signature
    if interrupt.requested():
        return False  # the user asked the run to stop
    try:
        state.result()
    except (CrawlCrashed, TimeoutError, ConnectionError, OSError):
        return True
    except BaseException:  # noqa: BLE001 - anything else is permanent
        return False
    return False


_crawl_env = early_start.crawl_env


# The spare crawler: (process, its env, the folder it runs in, the pid of its parent).
_SPARE: tuple[subprocess.Popen[bytes], dict[str, str], str, int] | None = None
_SPARE_LOCK = threading.Lock()


def _same_env(a: dict[str, str], b: dict[str, str]) -> bool:
    """Equal but for Prefect's per-run variables (``PREFECT__FLOW_RUN_ID`` and the like)."""

    def strip(env: dict[str, str]) -> dict[str, str]:
        return {k: v for k, v in env.items() if not k.startswith("PREFECT__")}

    return strip(a) == strip(b)


def _usable(
    spare: tuple[subprocess.Popen[bytes], dict[str, str], str, int], env: dict[str, str]
) -> bool:
    proc, spare_env, cwd, owner = spare
    return (
        owner == os.getpid()
        and proc.poll() is None
        and cwd == os.getcwd()
        and _same_env(spare_env, env)
    )


def _end(proc: subprocess.Popen[bytes]) -> None:
    """Kill and reap a spare crawler."""
    interrupt.unregister(proc)
    try:
        if proc.stdin is not None:
            proc.stdin.close()
    except OSError:
        pass
    if proc.poll() is None:
        proc.kill()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL is not ignored
        pass


def prestart_crawler(env: dict[str, str] | None = None) -> None:
    """Start a spare crawler child for the next crawl task of this process to use.

    ``env`` defaults to this process's environment (the crawl task's). Does nothing when a
    live spare with the same environment exists; replaces one that died or differs.
    """
    global _SPARE
    env = _crawl_env(env)
    with _SPARE_LOCK:
        if _SPARE is not None:
            if _usable(_SPARE, env):
                return
            stale, _SPARE = _SPARE, None
            if stale[3] == os.getpid():  # not a forked child's copy of its parent's
                _end(stale[0])
        # In a process group of its own: Ctrl-C in the terminal reaches the command, which
        # then stops the crawl gracefully (newsetl.interrupt), not every process at once.
        proc = subprocess.Popen(
            early_start.SPARE_COMMAND,
            env=env,
            stdin=subprocess.PIPE,
            **interrupt.own_group_kwargs(),
        )
        interrupt.register_child(proc)
        _SPARE = (proc, env, os.getcwd(), os.getpid())


def _take_spare(env: dict[str, str]) -> subprocess.Popen[bytes] | None:
    """The spare crawler, if it is alive and was started with ``env`` (and in this folder);
    it is no longer the spare. A stale one is killed; None then, and when there is none."""
    global _SPARE
    with _SPARE_LOCK:
        spare, _SPARE = _SPARE, None
    if spare is None:
        return None
    if _usable(spare, env):
        return spare[0]
    if spare[3] == os.getpid():
        _end(spare[0])
    return None


def discard_spare() -> None:
    """Kill and reap the spare crawler, if any (registered with atexit)."""
    global _SPARE
    with _SPARE_LOCK:
        spare, _SPARE = _SPARE, None
    if spare is not None and spare[3] == os.getpid():
        _end(spare[0])


atexit.register(discard_spare)


def _start_crawler(cmd: list[str], env: dict[str, str], logger: Any) -> subprocess.Popen[bytes]:
    """The crawl child for ``cmd``: the spare crawler given ``cmd`` as its job when there is
    a usable one, else a new process."""
    proc = _take_spare(env)
    if proc is not None:
        try:
            early_start.send_job(proc, cmd)
        except OSError as exc:  # BrokenPipeError: it died since
            logger.info("the pre-started crawler is gone (%s): starting a new one", exc)
            _end(proc)
        else:
            logger.info("crawling with the pre-started crawler (pid %d)", proc.pid)
            interrupt.register_crawler(proc)
            return proc
    else:
        logger.debug("no pre-started crawler: starting one")
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, **interrupt.own_group_kwargs())
    interrupt.register_crawler(proc)
    return proc


def _run_name() -> str:
    params = flow_run.parameters or {}
    name = params.get("source")
    if not name:
        start = params.get("start_urls") or []
        name = pipeline.default_source_name(start[0]) if start else "unnamed"
        if len(start) > 1:
            name += f"+{len(start) - 1}"
    return f"scrape-{name}-{datetime.now(UTC):%Y%m%d-%H%M%S}"


@task(
    name="crawl",
    retries=CRAWL_RETRIES,
    retry_delay_seconds=2,
    retry_condition_fn=_retry_only_transient,
    cache_policy=NONE,
)
def crawl(
    start_urls: list[str],
    work_dir: str,
    max_pages: int,
    polite: bool = True,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    allow_offsite: bool = False,
    known_file: str | None = None,
    timeout_s: float | None = None,
    redis_url: str | None = None,
    crawlers: int = 1,
    revisit_after_s: float | None = None,
    memory_file: str | None = None,
    early_handle: int | None = None,
) -> dict[str, Any]:
    """Run the Scrapy spider in child processes; return the crawl's folder and stats.

    ``early_handle``: the crawl the command started before the flow run began
    (``flows.early``), taken over on the first attempt; a retry starts a new one.

    ``known_file`` lists the article URLs earlier runs stored: the spider skips them
    unless a sitemap or feed says they changed, and asks conditionally when it does.
    With ``redis_url``, ``crawlers`` processes share one Redis frontier and seen-set (so
    no page is fetched twice) and their outputs are merged into one crawl folder.
    """
    logger = get_run_logger()
    control = Path(work_dir)
    early = early_start.claim(early_handle)
    if early is not None:
        # Started by the command while Prefect's server booted (flows/early.py).
        logger.info(
            "crawling %d start URL(s), at most %d pages: the crawl began %.1f s before this "
            "task, while Prefect started (pid %d)",
            len(start_urls),
            max_pages,
            early.ahead_s(),
            early.proc.pid,
        )
        return _finish_crawl(control, early.attempt, [early.proc], timeout_s, None, None)
    out = crawldir.new_attempt(control)  # a retried crawl starts clean
    args = crawl_arguments(
        max_pages,
        polite=polite,
        allow_offsite=allow_offsite,
        known_file=known_file,
        revisit_after_s=revisit_after_s,
        memory_file=memory_file,
        include=include,
        exclude=exclude,
    )
    frontier = None
    if redis_url:
        # A fresh frontier per attempt: its seen-set would make a reused one fetch nothing.
        frontier = f"{out.name}-{uuid.uuid4().hex[:8]}"
        args += ["--redis-url", redis_url, "--frontier", frontier]
    n = max(1, crawlers) if redis_url else 1
    outs = [out] if n == 1 else [out / f"crawler-{i}" for i in range(n)]
    env = _crawl_env()
    logger.info(
        "crawling %d start URL(s), at most %d pages, %d crawler process(es)%s",
        len(start_urls),
        max_pages,
        n,
        " sharing a Redis frontier" if redis_url else "",
    )
    if n == 1:
        # The extract task follows this folder while the crawl writes to it.
        crawldir.mark_crawl_attempt(control, out.name)
    procs = []
    for d in outs:
        d.mkdir(parents=True, exist_ok=True)
        cmd = crawl_command(d, args, start_urls)
        if n == 1:
            procs.append(_start_crawler(cmd, env, logger))
        else:
            proc = subprocess.Popen(
                cmd, env=env, stdin=subprocess.DEVNULL, **interrupt.own_group_kwargs()
            )
            interrupt.register_crawler(proc)
            procs.append(proc)
    return _finish_crawl(
        control, out, procs, timeout_s, redis_url, frontier, outs if n > 1 else None
    )


def _finish_crawl(
    control: Path,
    out: Path,
    procs: list[subprocess.Popen[bytes]],
    timeout_s: float | None,
    redis_url: str | None,
    frontier: str | None,
    parts: list[Path] | None = None,
) -> dict[str, Any]:
    """Wait for the crawl children, merge their folders (``parts``), return the stats."""
    logger = get_run_logger()
    crash_point("crawl_running")
    try:
        wait_all(procs, timeout_s)
    finally:
        for proc in procs:
            interrupt.unregister(proc)
        if frontier:
            reset_frontier(redis_url, frontier)
    if parts:
        crawldir.merge_crawls(parts, out)
        crawldir.mark_crawl_attempt(control, out.name)
    crash_point("crawl_done")
    crawldir.mark_crawl_finished(control, out.name)
    # The stats only: the extract task reads the pages themselves.
    stats = crawldir.read_crawl_stats(out)
    logger.info(
        "crawl finished (%s): %d fetches recorded, %d known article(s) skipped, %d not modified",
        stats.get("finish_reason", "unknown"),
        stats.get("records", 0),
        stats.get("skipped_known", 0),
        stats.get("not_modified", 0),
    )
    return {"dir": str(out), "stats": stats}


@task(name="extract", cache_policy=NONE)
def extract(work_dir: str, source_for: dict[str, str] | str, run_id: str) -> dict[str, Any]:
    """Extract articles from the crawl's HTML pages, while the crawl is still running.

    The task follows the crawl's folder: each page is handed to the extraction workers as
    soon as the crawler has written it, so the two stages share the machine's cores. It
    ends when the crawl task reports that the crawl finished.
    """
    crash_point("extract_start")
    pages, extraction, crawl_dir = pipeline.follow_crawl(
        work_dir, source_for=source_for, run_id=run_id, stop=interrupt.out_of_time
    )
    crash_point("extract_done")
    get_run_logger().info(
        "extracted %d article(s) from %d fetch(es)", len(extraction.articles), len(pages)
    )
    return {"pages": pages, "extraction": extraction, "dir": crawl_dir}


def _decide(
    ds: Dataset, articles: list[dict[str, Any]], threshold: float | None
) -> tuple[pipeline.DedupeOutcome, dedupe.StoredIndex]:
    """Decide the run's articles against everything stored in ``ds``: the outcome, and the
    stored index (with this run's rows added; ``rebuilt`` if it had to be rebuilt)."""
    stored = dedupe.load_index(ds, threshold, logger=get_run_logger())
    outcome = pipeline.deduplicate(articles, stored.dedupe_index, stored.known, stored.revisions)
    return outcome, stored


@task(name="deduplicate", cache_policy=NONE)
def deduplicate(
    articles: list[dict[str, Any]], data_dir: str, threshold: float | None = None
) -> dict[str, Any]:
    """Decide which articles are new, against this run and everything stored."""
    crash_point("dedupe_start")
    ds = Dataset(data_dir)
    generation = ds.generation()
    if not articles:
        # Nothing to compare (an unchanged site): the stored index is not even read.
        get_run_logger().info("no article to deduplicate")
        crash_point("dedupe_done")
        empty = pipeline.DedupeOutcome(kept=[], duplicates=[], unchanged=[])
        return {"outcome": empty, "generation": generation, "stored": None}
    outcome, stored = _decide(ds, articles, threshold)
    get_run_logger().info(
        "%d new, %d revised, %d duplicate(s), %d unchanged",
        len(outcome.kept),
        len(outcome.revised),
        len(outcome.duplicates),
        len(outcome.unchanged),
    )
    crash_point("dedupe_done")
    return {"outcome": outcome, "generation": generation, "stored": stored}


def _archive_files(archive: str | None, run_id: str) -> list[tuple[str, str]]:
    """The crawl's WARC file, to be committed as ``archive/date=<day>/<run>.warc.gz``."""
    if not archive or not os.path.exists(archive) or os.path.getsize(archive) == 0:
        return []
    day = f"{run_id[0:4]}-{run_id[4:6]}-{run_id[6:8]}"
    return [(archive, f"archive/date={day}/{run_id}.warc.gz")]


@task(name="write", cache_policy=NONE)
def write(
    pages: list,
    extraction: pipeline.Extraction,
    decided: dict[str, Any],
    data_dir: str,
    source_for: dict[str, str] | str,
    run_id: str,
    threshold: float | None = None,
    archive: str | None = None,
    redis_url: str | None = None,
) -> dict[str, Any]:
    """Commit the run's rows atomically; re-decide first if another run committed meanwhile."""
    logger = get_run_logger()
    ds = Dataset(data_dir, redis_url=redis_url)
    with ds.lock():
        crash_point("write_locked")
        outcome, stored = decided["outcome"], decided["stored"]
        if ds.generation() != decided["generation"]:
            logger.info("another run committed to %s meanwhile: deduplicating again", data_dir)
            outcome, stored = _decide(ds, extraction.articles, threshold)
        index = stored.dedupe_index if stored is not None else None
        rebuilt = stored is not None and stored.rebuilt
        tables = pipeline.build_tables(
            pages, extraction, outcome, source_for=source_for, run_id=run_id
        )
        # The index rows this run added: its kept articles and the copies linked to them.
        added = bool(outcome.kept or outcome.duplicates)
        result = ds.commit(
            run_id,
            tables,
            index_rows=dedupe.index_rows_to_commit(index, rebuilt=rebuilt, added=added),
            replace_index=rebuilt,
            supersede=[a["article_id"] for a in outcome.revised],
            files=_archive_files(archive, run_id),
        )
        if stored is not None:  # a warm executor keeps it for its next run
            pipeline.keep_index(ds, stored, outcome, threshold, run_id=run_id)
    interrupt.note_committed(result.rows.get("articles", 0))
    crash_point("write_done")
    logger.info("wrote %s to %s", result.rows, data_dir)
    return {"tables": tables, "outcome": outcome, "files": result.files}


@flow(name="newsetl-scrape", flow_run_name=_run_name, log_prints=True)
def scrape(
    start_urls: list[str],
    source: str | None = None,
    data_dir: str = "data",
    max_pages: int = 200,
    polite: bool = True,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    allow_offsite: bool = False,
    near_duplicate_threshold: float | None = None,
    incremental: bool = True,
    on_overlap: str = "queue",
    crawlers: int = 1,
    redis_url: str | None = None,
    revisit_after: str | float | None = None,
) -> dict[str, Any]:
    """Scrape the start URLs into the dataset at ``data_dir``; return the run summary.

    Runs of one named ``source`` never overlap: a run that finds the previous one still
    running waits for it (``on_overlap="queue"``) or ends at once, adding nothing
    (``"skip"``); the log says which.

    Distributed mode: with ``redis_url`` (default: ``NEWSETL_REDIS_URL``), ``crawlers``
    crawler processes share one Redis frontier and seen-set, and commits and run locks
    are also taken in that Redis, so writers on several machines can share a data folder.

    With ``incremental`` (the default) article pages stored by earlier runs are not
    downloaded again unless their sitemap or feed entry is newer, and are then asked for
    conditionally (a 304 costs no body); listings, sitemaps, feeds: see ``newsetl.revisit``.
    ``revisit_after`` (a duration: ``"7d"``, ``"12h"``, or seconds), for sites that give
    no dates: known articles last fetched at least that long ago are asked for again,
    conditionally. Off by default.

    Raises ValueError for a URL that is not http(s) and DataDirError for an unusable data
    folder, before anything is fetched.
    """
    logger = get_run_logger()
    interrupt.reclaim()  # under `newsetl scrape`/`run`: Ctrl-C and SIGTERM stop gracefully
    crash_point("flow_start")
    start_urls = [urls.validate_start_url(u) for u in start_urls]
    if not start_urls:
        raise ValueError("no start URL: pass at least one http(s) URL")
    if on_overlap not in ("queue", "skip"):
        raise ValueError(f"on_overlap must be 'queue' or 'skip', not {on_overlap!r}")
    redis_url = redis_url or os.environ.get("NEWSETL_REDIS_URL") or None
    if crawlers < 1:
        raise ValueError("crawlers must be at least 1")
    revisit_after_s = parse_duration(revisit_after) if revisit_after is not None else None
    ds = Dataset(data_dir, redis_url=redis_url)
    ds.ensure_writable()
    if source:
        source_for: dict[str, str] | str = pipeline.check_partition_value(source)
    else:
        source_for = {urls.site_of(u): pipeline.default_source_name(u) for u in start_urls}
    early = None
    if crawlers == 1 and not redis_url:
        early = early_start.take(
            early_start.run_key(
                {
                    "start_urls": start_urls,
                    "data_dir": ds.root,
                    "source": source,
                    "max_pages": max_pages,
                    "polite": polite,
                    "include": include,
                    "exclude": exclude,
                    "allow_offsite": allow_offsite,
                    "incremental": incremental,
                    "revisit_after_s": revisit_after_s,
                }
            )
        )
    with (
        interrupt.on_force(_mark_cancelled(flow_run.get_id())),
        _early_owned(early),
        # An early crawl already holds the source's run lock.
        contextlib.nullcontext("free")
        if early is not None
        else ds.source_lock(source or "", wait=on_overlap == "queue") as state,
    ):
        if state == "busy":
            logger.warning(
                "skipped: the previous run of source %s is still running (on_overlap=skip)",
                source,
            )
            return {"skipped": True, "source": source, "data_dir": str(ds.root)}
        if state == "waited":
            logger.warning(
                "queued: this run waited for the previous run of source %s to finish", source
            )
        if interrupt.requested():
            return _cancelled(None)
        summary = _scrape_run(
            ds,
            start_urls,
            source_for,
            max_pages=max_pages,
            polite=polite,
            include=include,
            exclude=exclude,
            allow_offsite=allow_offsite,
            threshold=near_duplicate_threshold,
            incremental=incremental,
            redis_url=redis_url,
            crawlers=crawlers,
            revisit_after_s=revisit_after_s,
            early=early,
        )
        if interrupt.requested():
            return _cancelled(summary)
        return summary


@contextlib.contextmanager
def _early_owned(early: early_start.EarlyRun | None) -> Iterator[None]:
    """The flow run owns the early crawl: stopped if still running, lock freed, at the end."""
    try:
        yield
    finally:
        if early is not None:
            early_start.release(early)


def _mark_cancelled(run_id: str | None) -> Any:
    """What a forced stop (a second Ctrl-C) does for this flow run: mark it Cancelled, so
    that it does not stay Running in Prefect after the process is gone."""

    def cancel() -> None:
        if not run_id:
            return
        from prefect.client.orchestration import get_client
        from prefect.states import Cancelled

        with get_client(sync_client=True) as client:
            client.set_flow_run_state(
                run_id,
                Cancelled(message=f"stopped at once by {interrupt.signal_name()}"),
                force=True,
            )

    return cancel


def _cancelled(summary: dict[str, Any] | None) -> Any:
    """The final state of a run stopped by SIGINT/SIGTERM: Cancelled, with what it kept."""
    from prefect.states import Cancelled

    name = interrupt.signal_name()
    if summary is None:
        return Cancelled(message=f"stopped by {name} before the crawl began", data=None)
    summary["interrupted"] = name
    return Cancelled(
        message=(
            f"stopped by {name}: {summary['pages_fetched']} pages fetched and kept, "
            f"{summary['articles_new']} new articles stored"
        ),
        data=summary,
    )


def _scrape_run(
    ds: Dataset,
    start_urls: list[str],
    source_for: dict[str, str] | str,
    *,
    max_pages: int,
    polite: bool,
    include: list[str] | None,
    exclude: list[str] | None,
    allow_offsite: bool,
    threshold: float | None,
    incremental: bool,
    redis_url: str | None = None,
    crawlers: int = 1,
    revisit_after_s: float | None = None,
    early: early_start.EarlyRun | None = None,
) -> dict[str, Any]:
    """The stages of one run, once any previous run of the source has finished."""
    logger = get_run_logger()
    if early is not None:
        logger.info(
            "taking over the crawl the command started %.1f s ago (run %s)",
            early.ahead_s(),
            early.run_id,
        )
    elif crawlers == 1 and not redis_url:
        # Its imports overlap with writing the known-articles file; the crawl task uses it.
        try:
            prestart_crawler()
        except OSError as exc:  # the crawl task starts its own then
            logger.warning("could not pre-start the crawler: %s", exc)
    near_duplicate_threshold = threshold
    single = crawlers == 1 and not redis_url  # several crawlers keep no page memory
    if early is not None:  # the same as below, done by the command before the flow run
        run_id, known_file, work_dir = early.run_id, early.known_file, early.work_dir
        memory, memory_file = early.memory, early.memory_file
    else:
        run_id = new_run_id()
        known_file = (
            crawldir.write_known(
                ds.read("pages", columns=list(crawldir.KNOWN_COLUMNS)),
                crawldir.work_root(state_dir()) / f"{run_id}.known.jsonl",
            )
            if incremental
            else None
        )
        # The page memory of this data folder (memory_file None: none usable, a new dataset).
        memory, memory_file = revisit.memory_of(state_dir(), ds.root, ds.generation())
        # The crawl's scratch folder lives in the state folder, not the data folder: a full
        # data disk then fails the commit with a clear message instead of the crawl with a
        # vague one.
        work_dir = crawldir.work_root(state_dir()) / run_id
    # Crawl and extraction run at the same time: the extract task follows the crawl's
    # folder and extracts each page as soon as it is written.
    crawling = crawl.submit(
        start_urls,
        str(work_dir),
        max_pages,
        polite=polite,
        include=include,
        exclude=exclude,
        allow_offsite=allow_offsite,
        known_file=known_file,
        redis_url=redis_url,
        crawlers=crawlers,
        revisit_after_s=revisit_after_s,
        memory_file=memory_file if incremental and single else None,
        early_handle=early_start.hand_to_task(early) if early is not None else None,
    )
    extracting = extract.submit(str(work_dir), source_for, run_id)
    try:
        # Under `newsetl scrape`, the extraction workers' fork server is started by this
        # (main) thread when the extract task first needs it: safe from Ctrl-C there (see
        # newsetl.interrupt).
        interrupt.wait_serving(crawling)
        crawled = crawling.result()
    except BaseException as exc:
        # Release the follower, then report the crawl's own failure.
        crawldir.mark_crawl_finished(work_dir, error=f"{type(exc).__name__}: {exc}")
        extracting.wait()
        raise
    interrupt.wait_serving(extracting)
    got = extracting.result()
    # quote(): Prefect would otherwise walk every article, page and index entry of these
    # arguments looking for futures to resolve (0.75 s a run at 1,000 articles). The
    # values are plain data, already computed.
    decided = deduplicate(quote(got["extraction"].articles), str(ds.root), near_duplicate_threshold)
    written = write(
        quote(got["pages"]),
        quote(got["extraction"]),
        quote(decided),
        str(ds.root),
        source_for,
        run_id,
        near_duplicate_threshold,
        archive=str(Path(crawled["dir"]) / "archive.warc.gz"),
        redis_url=redis_url,
    )
    if single:  # after the commit: a crash before it leaves the memory as it was
        fates, gen = got["extraction"].fates, ds.generation()
        problem = revisit.remember_run(
            memory, crawled["dir"], gen, got["pages"], fates, memory_file
        )
        if problem:  # it costs the next run time, not this run its data
            logger.warning("could not update the page memory %s: %s", memory, problem)
    summary = pipeline.summarize(got["pages"], written["tables"], written["outcome"])
    summary.update(
        run_id=run_id,
        data_dir=str(ds.root),
        sources=sorted({source_for} if isinstance(source_for, str) else set(source_for.values())),
        crawl_finish_reason=crawled["stats"].get("finish_reason"),
        skipped_known=crawled["stats"].get("skipped_known", 0),
        page_memory=_memory_counts(crawled["stats"].get("memory")),
    )
    crash_point("flow_cleanup")
    shutil.rmtree(work_dir, ignore_errors=True)
    if known_file:
        Path(known_file).unlink(missing_ok=True)
    logger.info(
        "run %s: %d pages fetched, %d new articles, %d revised, %d duplicates, %d unchanged, "
        "%d errors %s",
        run_id,
        summary["pages_fetched"],
        summary["articles_new"],
        summary["articles_revised"],
        summary["duplicates"],
        summary["unchanged"],
        summary["errors"],
        summary["errors_by_reason"],
    )
    crash_point("flow_end")
    if interrupt.requested():
        return summary  # stopping: the artifact is the one thing that can wait for next time
    create_markdown_artifact(
        summary_markdown(summary),
        key=f"run-summary-{_artifact_key(summary['sources'])}",
        description=f"newsetl run {run_id}",
    )
    return summary


def _memory_counts(memory: dict[str, Any] | None) -> dict[str, Any]:
    """What the page memory spared this run (``stats.json``'s ``memory``): the pages left
    alone, by reason, and the documents that answered unchanged and were not parsed."""
    if not memory:
        return {}
    return {
        "left_alone": dict(sorted((memory.get("resting") or {}).items())),
        "unchanged": memory.get("unchanged") or 0,
    }


def _artifact_key(sources: list[str]) -> str:
    # Artifact keys allow lower-case letters, digits and dashes only.
    raw = "-".join(sources)[:60].lower()
    return "".join(c if c.isalnum() else "-" for c in raw).strip("-") or "run"
