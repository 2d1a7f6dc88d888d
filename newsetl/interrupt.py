"""Ctrl-C and SIGTERM for a command that runs a scrape in the foreground.

A terminal sends SIGINT to every process of its foreground group; a service manager
sends SIGTERM to one process. Either way the command, not each child on its own, decides
what happens:

- first signal: the crawler children (each in a process group of its own, so the
  terminal's signal never reaches them directly) get one SIGINT, which Scrapy takes as
  "stop gracefully": the pages already fetched are written whole and the crawl ends. The
  run then extracts, deduplicates and commits what was fetched, as a finished run would, and
  ends ``Cancelled`` in Prefect; the command exits 130 (SIGINT) or 143 (SIGTERM). The next
  run does not download again the articles that were stored.
- if that has not finished within ``NEWSETL_STOP_TIMEOUT`` seconds (default 4.5), or on a
  second signal: every registered child is killed, the flow run is marked ``Cancelled``,
  and the command exits at once. Nothing committed is lost (commits are atomic); the
  pages fetched since the last commit are fetched again by the next run.

Nothing here imports Prefect or Scrapy. Library use (``newsetl.scrape`` from Python)
installs no handler: there Ctrl-C raises KeyboardInterrupt as usual.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

_lock = threading.Lock()
_signum: int | None = None
_signalled_at: float | None = None  # time.monotonic() of the first signal
# Child processes to stop: crawlers get one SIGINT on the first signal; all get SIGKILL on
# a forced stop.
_crawlers: set[Any] = set()
_others: set[Any] = set()
_on_force: list[Callable[[], None]] = []


def exit_code(signum: int) -> int:
    """The shell's convention: 128 + the signal's number (130 for SIGINT, 143 for SIGTERM)."""
    return 128 + signum


def requested() -> int | None:
    """The signal that asked this process to stop, or None."""
    return _signum


def _stop_timeout_s() -> float:
    return float(os.environ.get("NEWSETL_STOP_TIMEOUT", "4.5"))


def out_of_time() -> bool:
    """A stop was asked and the share of ``NEWSETL_STOP_TIMEOUT`` for finishing work in
    hand (40 %) has passed: what is not done by now is left for the next run, so that the
    commit still fits in the stop's bound."""
    at = _signalled_at
    return at is not None and time.monotonic() - at >= 0.4 * _stop_timeout_s()


def signal_name(signum: int | None = None) -> str:
    signum = _signum if signum is None else signum
    return signal.Signals(signum).name if signum else ""


def own_group_kwargs() -> dict[str, Any]:
    """``subprocess.Popen`` keywords that keep a child out of the terminal's process group
    (where Ctrl-C would reach it behind this process's back)."""
    return {"process_group": 0}  # Python 3.11+, as the project requires


def ignore_sigint() -> None:
    """Initializer of worker pools: workers leave Ctrl-C to the command (the terminal sends
    it to them too, and a worker that died of it would take its pages with it)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def prestart_forkserver(preload: list[str]) -> None:
    """Start multiprocessing's fork server now, from the main thread, with SIGINT blocked.

    Within ``handle_signals`` only. The fork server (and its resource tracker) are started
    by exec, in the terminal's process group: a Ctrl-C while one imports would kill it with
    a traceback, and the extraction workers with it. A blocked signal stays blocked across
    fork and exec: the server starts with SIGINT blocked, so a Ctrl-C stays pending there
    until it ignores the signal (its first step after the imports), and the workers forked
    from it inherit that. Here the signal is blocked only while the server is forked, and a
    Ctrl-C meanwhile is delivered to this command when it is unblocked: none is lost. (The
    resource tracker is started first, on its own: it blocks and unblocks the signal
    around its own start in the same way.) Later pools use this server. Only the main
    thread starts it: a worker thread that needs the server asks it (``want_forkserver``),
    and the main thread starts it while it waits (``wait_serving``).
    """
    if not _active or threading.current_thread() is not threading.main_thread():
        return
    import multiprocessing
    from multiprocessing import forkserver, resource_tracker

    multiprocessing.get_context("forkserver").set_forkserver_preload(preload)
    resource_tracker.ensure_running()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        forkserver.ensure_running()
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


_forkserver_wanted: list[str] | None = None
_forkserver_ready = threading.Event()


def want_forkserver(preload: list[str], timeout_s: float = 2.0) -> None:
    """Before a worker pool starts: have the main thread start the fork server (see
    ``prestart_forkserver``); from the main thread, start it directly. Outside
    ``handle_signals``, or when the main thread does not answer within ``timeout_s``, the
    pool starts the server itself, as multiprocessing does."""
    global _forkserver_wanted
    if not _active:
        return
    if threading.current_thread() is threading.main_thread():
        prestart_forkserver(preload)
        return
    _forkserver_wanted = list(preload)
    _forkserver_ready.wait(timeout_s)


def wait_serving(future: Any, poll_s: float = 0.05) -> None:
    """Wait (in the main thread) until a Prefect future is done, starting the fork server
    meanwhile when a worker thread asks for it."""
    if not _active:
        future.wait()
        return
    wrapped = getattr(future, "wrapped_future", None)  # a thread's future: ask it, not the API
    while True:
        if _forkserver_wanted is not None and not _forkserver_ready.is_set():
            try:
                prestart_forkserver(_forkserver_wanted)
            finally:
                _forkserver_ready.set()
        future.wait(poll_s)
        if wrapped.done() if wrapped is not None else future.state.is_final():
            return


def register_crawler(proc: Any) -> None:
    """A crawler child: it gets one SIGINT (Scrapy's graceful stop) on the first signal."""
    with _lock:
        _crawlers.add(proc)
        stop_now = _signum is not None
    if stop_now:  # started after the signal: stop it at once
        _send(proc, signal.SIGINT)


def register_child(proc: Any) -> None:
    """Another child (a temporary Prefect server ...): killed on a forced stop only."""
    with _lock:
        _others.add(proc)


_kept: set[int] = set()


def keep_running(pid: int) -> None:
    """A child that outlives the command (a kept Prefect server): never killed from here."""
    with _lock:
        _kept.add(pid)


def unregister(proc: Any) -> None:
    with _lock:
        _crawlers.discard(proc)
        _others.discard(proc)


@contextlib.contextmanager
def on_force(callback: Callable[[], None]) -> Iterator[None]:
    """Within the block, a forced exit first runs ``callback`` (best effort, 1.5 s at most)."""
    _on_force.append(callback)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            _on_force.remove(callback)


def _send(proc: Any, sig: int) -> None:
    with contextlib.suppress(OSError, ProcessLookupError):
        if proc.poll() is None:
            proc.send_signal(sig)


def _say(text: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        os.write(2, f"newsetl: {text}\n".encode())


def _force(signum: int, why: str) -> None:
    """Kill every child, give the callbacks a moment, leave with the signal's exit code."""
    # The callbacks first (they may talk to the temporary Prefect server), a second at most.
    callbacks = [
        threading.Thread(target=_quietly, args=(cb,), daemon=True) for cb in list(_on_force)
    ]
    for thread in callbacks:
        thread.start()
    deadline = time.monotonic() + 1.5
    for thread in callbacks:
        thread.join(max(0.0, deadline - time.monotonic()))
    with _lock:
        procs = list(_crawlers) + list(_others)
    for proc in procs:
        _send(proc, signal.SIGKILL)
    # And every other process this one started, however deep (worker pools, their fork
    # server): os._exit below would leave them running, holding the terminal's output.
    spared = set(_kept)
    for pid in process_tree(os.getpid(), prune=spared)[1:]:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    if _committed is not None:
        kept = f"the {_committed} new article(s) of this run were stored before"
    else:
        kept = (
            "what earlier runs stored is intact; the pages this run fetched will be fetched "
            "again by the next run"
        )
    _say(f"{why}: stopped at once; {kept}")
    os._exit(exit_code(signum))


def process_tree(pid: int, prune: set[int] | None = None) -> list[int]:
    """``pid`` and all its live descendants (children, their children ...), from Linux's
    /proc, but for the processes of ``prune`` and theirs; just ``[pid]`` where there is
    no /proc."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        entries = []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # The command name is in parentheses and may contain spaces: split after it.
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        if prune and p in prune:
            continue
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def note_committed(articles: int) -> None:
    """The run's commit is done (a forced stop after it loses nothing of the run)."""
    global _committed
    if _active:
        _committed = articles


def _quietly(callback: Callable[[], None]) -> None:
    with contextlib.suppress(Exception):
        callback()


def _handler(signum: int, frame: Any) -> None:  # noqa: ARG001 - signal handler signature
    global _signum, _signalled_at
    with _lock:
        first = _signum is None
        if first:
            _signum = signum
            _signalled_at = time.monotonic()
        crawlers = list(_crawlers)
    if not first:
        # A second signal while the stop is under way: stop at once.
        threading.Thread(
            target=_force, args=(_signum or signum, f"{signal_name(signum)} again"), daemon=True
        ).start()
        return
    _say(
        f"{signal_name(signum)}: stopping the crawl and storing what it fetched, within "
        "a few seconds (send it again to stop at once)"
    )
    for proc in crawlers:
        _send(proc, signal.SIGINT)
    timeout = _stop_timeout_s()

    def watchdog() -> None:
        if not _finished.wait(timeout):
            _force(signum, f"the run did not stop within {timeout:g} s")

    threading.Thread(target=watchdog, name="stop-watchdog", daemon=True).start()


_finished = threading.Event()
_active = False
_committed: int | None = None


@contextlib.contextmanager
def handle_signals() -> Iterator[None]:
    """Take SIGINT and SIGTERM in this (main) thread for the block; restore them after.

    Leaving the block (the run ended, interrupted or not) stops the watchdog.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    global _active
    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in old:
        signal.signal(s, _handler)
    _active = True
    try:
        yield
    finally:
        _active = False
        _finished.set()
        for s, h in old.items():
            signal.signal(s, h)


def reclaim() -> None:
    """Take SIGINT and SIGTERM back inside a flow run, where Prefect's engine installs its
    own SIGTERM handler (it would raise in the middle of the run); only within
    ``handle_signals`` and in the main thread, so runs under ``newsetl serve`` keep
    Prefect's. Prefect puts this handler back when the run ends."""
    if _active and threading.current_thread() is threading.main_thread():
        for s in (signal.SIGINT, signal.SIGTERM):
            signal.signal(s, _handler)
