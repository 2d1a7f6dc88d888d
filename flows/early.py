"""The crawl of an ad hoc run, started before Prefect is imported or its server is up.

``newsetl scrape`` needs a Prefect API to record its run. A temporary server takes 3-4 s
to boot and Prefect 1.5-2 s to import; waiting for both before the first request left the
site unasked for 5 s. So the command starts the crawl child at once (:func:`start`), from
the same arguments the flow's crawl task would give it, while the server boots and Prefect
is imported on the other core. The flow run, once it begins, takes the crawl over
(:func:`take` in the flow, :func:`claim` in its crawl task): the same run id, scratch
folder, known-articles file and page memory, so the crawl, extract, deduplicate and write
tasks, the run's state and its artifact are recorded in Prefect as for any run, and the
crawl task's log says how long before the flow run the crawl began.

What is not taken over (the command stopped by Ctrl-C while the server booted, the server
failed to start, the flow refused its parameters) is undone by :func:`abandon`: the crawl
is stopped, its scratch folder removed, the run lock released. Nothing is committed then,
so nothing stored is touched.

Only for one crawler without Redis (the distributed mode starts its crawlers in the task).
Nothing here imports Prefect.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsetl import crawldir, interrupt, revisit, urls
from newsetl.settings import state_dir


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def crawl_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of crawl children."""
    env = dict(os.environ if base is None else base)
    env.setdefault("SCRAPY_SETTINGS_MODULE", "spiders.settings")
    return env


def crawl_arguments(
    max_pages: int,
    *,
    polite: bool = True,
    allow_offsite: bool = False,
    known_file: str | None = None,
    revisit_after_s: float | None = None,
    memory_file: str | None = None,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
) -> list[str]:
    """The options of ``python -m spiders.crawl`` for one crawl (no ``--out``, no URLs)."""
    args = ["--max-pages", str(max_pages)]
    if not polite:
        args.append("--no-delay")
    if allow_offsite:
        args.append("--allow-offsite")
    if known_file:
        args += ["--known", known_file]
        if revisit_after_s:
            args += ["--revisit-after", str(revisit_after_s)]
    if memory_file:
        args += ["--memory", memory_file]  # the page memory (newsetl.revisit)
    for pattern in include or []:
        args += ["--include", pattern]
    for pattern in exclude or []:
        args += ["--exclude", pattern]
    return args


def crawl_command(out: Path, args: list[str], start_urls: list[str]) -> list[str]:
    return [sys.executable, "-m", "spiders.crawl", "--out", str(out), *args, "--", *start_urls]


# A crawler that imports Scrapy, then waits for its arguments on stdin (``send_job``).
SPARE_COMMAND = [sys.executable, "-m", "spiders.crawl", "--wait-for-job"]


def send_job(proc: subprocess.Popen[bytes], cmd: list[str]) -> None:
    """Give a crawler started as ``SPARE_COMMAND`` the job of ``cmd`` (a ``crawl_command``);
    OSError (a broken pipe) when it has died since."""
    assert proc.stdin is not None
    proc.stdin.write((json.dumps(cmd[3:]) + "\n").encode())
    proc.stdin.close()
    proc.args = cmd  # what a failure reports: the crawl's arguments


def run_key(params: dict[str, Any]) -> tuple[Any, ...]:
    """What must be equal for a flow run to take over an early crawl: every parameter
    that changes what is crawled or where it is stored."""
    return (
        tuple(params["start_urls"]),
        str(Path(params["data_dir"]).resolve()),
        params["source"] or "",
        params["max_pages"],
        params["polite"],
        tuple(params["include"] or ()),
        tuple(params["exclude"] or ()),
        params["allow_offsite"],
        params["incremental"],
        params["revisit_after_s"],
    )


@dataclass
class EarlyRun:
    """A crawl started ahead of its flow run."""

    key: tuple[Any, ...]
    run_id: str
    work_dir: Path
    attempt: Path
    known_file: str | None
    memory: Path
    memory_file: str | None
    proc: subprocess.Popen[bytes]
    started: float  # time.monotonic() when the crawl child was started
    locks: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    def ahead_s(self) -> float:
        return time.monotonic() - self.started


_current: EarlyRun | None = None


def eligible(params: dict[str, Any]) -> bool:
    """One crawler, no Redis: the cases :func:`start` handles."""
    return params.get("crawlers", 1) == 1 and not (
        params.get("redis_url") or os.environ.get("NEWSETL_REDIS_URL")
    )


def start(params: dict[str, Any]) -> EarlyRun | None:
    """Start the crawl for the flow parameters ``params`` (those of ``flows.etl.scrape``,
    already checked by the command). None, leaving everything to the flow, where the run
    cannot start early: several crawlers, another run of the source holding its lock, URLs
    or a data folder the flow will refuse with its own message."""
    global _current
    from newsetl.config import parse_duration
    from newsetl.storage import Dataset

    abandon()
    if not eligible(params):
        return None
    try:
        start_urls = [urls.validate_start_url(u) for u in params["start_urls"]]
        revisit_after = params.get("revisit_after")
        revisit_after_s = parse_duration(revisit_after) if revisit_after is not None else None
        ds = Dataset(params["data_dir"])
        ds.ensure_writable()
    except Exception:  # noqa: BLE001 - the flow raises the same error, in its words
        return None
    key = run_key(
        {
            **params,
            "start_urls": start_urls,
            "data_dir": ds.root,
            "revisit_after_s": revisit_after_s,
        }
    )
    # The crawler first: it imports Scrapy (~0.4 s) while the known-articles file is
    # written, then reads its arguments from stdin (spiders/crawl.py --wait-for-job).
    proc = subprocess.Popen(
        SPARE_COMMAND,
        env=crawl_env(),
        stdin=subprocess.PIPE,
        **interrupt.own_group_kwargs(),
    )
    interrupt.register_child(proc)
    early = None
    try:
        early = _prepare(params, ds, key, start_urls, revisit_after_s, proc)
    finally:
        interrupt.unregister(proc)
        if early is None:
            proc.kill()
            proc.wait()
    if early is None:
        return None
    interrupt.register_crawler(proc)  # Ctrl-C from now on stops it gracefully
    _current = early
    return early


def _prepare(
    params: dict[str, Any],
    ds: Any,
    key: tuple[Any, ...],
    start_urls: list[str],
    revisit_after_s: float | None,
    proc: subprocess.Popen[bytes],
) -> EarlyRun | None:
    """Take the run lock, write the crawl's inputs and give the waiting crawler its job."""
    locks = contextlib.ExitStack()
    source = params.get("source") or ""
    if source:
        state = locks.enter_context(ds.source_lock(source, wait=False))
        if state != "free":  # the flow queues or skips, as the user asked
            locks.close()
            return None
    try:
        run_id = new_run_id()
        root = crawldir.work_root(state_dir())
        incremental = params.get("incremental", True)
        known_file = (
            crawldir.write_known(
                ds.read("pages", columns=list(crawldir.KNOWN_COLUMNS)),
                root / f"{run_id}.known.jsonl",
            )
            if incremental
            else None
        )
        memory, memory_file = revisit.memory_of(state_dir(), ds.root, ds.generation())
        work_dir = root / run_id
        attempt = crawldir.new_attempt(work_dir)
        crawldir.mark_crawl_attempt(work_dir, attempt.name)
        args = crawl_arguments(
            params["max_pages"],
            polite=params.get("polite", True),
            allow_offsite=params.get("allow_offsite", False),
            known_file=known_file,
            revisit_after_s=revisit_after_s,
            memory_file=memory_file if incremental else None,
            include=params.get("include"),
            exclude=params.get("exclude"),
        )
        try:
            send_job(proc, crawl_command(attempt, args, start_urls))
        except OSError:  # the crawler died as it started: the flow starts its own
            shutil.rmtree(work_dir, ignore_errors=True)
            if known_file:
                Path(known_file).unlink(missing_ok=True)
            locks.close()
            return None
    except BaseException:
        locks.close()
        raise
    return EarlyRun(
        key=key,
        run_id=run_id,
        work_dir=work_dir,
        attempt=attempt,
        known_file=known_file,
        memory=memory,
        memory_file=memory_file,
        proc=proc,
        started=time.monotonic(),
        locks=locks,
    )


def take(key: tuple[Any, ...]) -> EarlyRun | None:
    """The early crawl for a flow run with this key (see :func:`run_key`), which from now
    on owns it (its crawl, its scratch folder, its run lock: :func:`release`); else None."""
    global _current
    early = _current
    if early is None or early.key != key:
        return None
    _current = None
    return early


_taken: dict[int, EarlyRun] = {}


def hand_to_task(early: EarlyRun) -> int:
    """Keep ``early`` for the crawl task (:func:`claim`); its handle, to pass as a task
    parameter."""
    _taken[early.proc.pid] = early
    return early.proc.pid


def claim(handle: int | None) -> EarlyRun | None:
    """The early crawl of ``handle`` for the crawl task's first attempt; None on a retry
    (the crawl then starts anew) or for an unknown handle."""
    if handle is None:
        return None
    return _taken.pop(handle, None)


def release(early: EarlyRun) -> None:
    """The flow run is over: stop the crawl if it still runs, free the run lock."""
    _taken.pop(early.proc.pid, None)
    _stop(early.proc)
    early.locks.close()


def _stop(proc: subprocess.Popen[bytes], grace_s: float = 3.0) -> None:
    interrupt.unregister(proc)
    if proc.poll() is None:
        with contextlib.suppress(OSError):
            proc.send_signal(signal.SIGINT)  # Scrapy's graceful stop
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def abandon() -> int:
    """Undo an early crawl that no flow run took over: stop it, remove its scratch folder
    and known-articles file, free the run lock. Returns the pages it had fetched (0 when
    there was none)."""
    global _current
    early, _current = _current, None
    if early is None:
        return 0
    _stop(early.proc)
    fetched = 0
    with contextlib.suppress(OSError):
        with open(early.attempt / crawldir.PAGES_FILE, "rb") as fh:
            fetched = sum(1 for _ in fh)
    shutil.rmtree(early.work_dir, ignore_errors=True)
    if early.known_file:
        Path(early.known_file).unlink(missing_ok=True)
    early.locks.close()
    return fetched
