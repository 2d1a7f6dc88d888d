"""The crawl child processes of a flow run: how they end, and what a failed one means."""

from __future__ import annotations

import signal
import subprocess
import time

from prefect import get_run_logger


class CrawlCrashed(RuntimeError):
    """The crawl child process died (signal, crash): transient, retried."""


class CrawlRefused(ValueError):
    """The crawl child refused its arguments: permanent, not retried."""


def wait_all(procs: list[subprocess.Popen[bytes]], timeout_s: float | None) -> None:
    """Wait for every crawler; raise CrawlRefused/CrawlCrashed for a failed one."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    for proc in procs:
        try:
            proc.wait(timeout=None if deadline is None else max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for p in procs:
                p.kill()
                p.wait()
            raise CrawlCrashed(f"crawl did not finish within {timeout_s} s") from None
    for proc in procs:
        if proc.returncode == 2:
            raise CrawlRefused(f"the crawler refused its arguments: {' '.join(proc.args[3:])}")
        if proc.returncode < 0:
            raise CrawlCrashed(f"crawl process killed by {signal.Signals(-proc.returncode).name}")
        if proc.returncode != 0:
            raise CrawlCrashed(f"crawl process failed with exit code {proc.returncode}")


def reset_frontier(redis_url: str | None, frontier: str) -> None:
    """Delete a finished crawl's frontier keys from Redis (they never expire by themselves)."""
    try:
        from spiders.frontier import Frontier

        Frontier(redis_url, frontier).reset()
    except Exception as exc:  # noqa: BLE001 - leftover keys are harmless; say so
        get_run_logger().warning("could not clear Redis frontier %s: %s", frontier, exc)
