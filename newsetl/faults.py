"""Crash points for the fault tests: a run can be killed at a named point, for real.

Set ``NEWSETL_CRASH_AT=<point>`` (optionally ``<point>:<n>`` for the n-th time the point
is reached) and the process sends itself SIGKILL there: no cleanup, no ``finally``, just
as a power cut or the kernel's OOM killer would end it. Unset, every call is a no-op.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

_hits: Counter[str] = Counter()

# Every point the fault tests kill a run at, in the order a run reaches them.
POINTS = (
    "flow_start",
    "crawl_running",
    "crawl_done",
    "extract_start",
    "extract_mid",
    "extract_done",
    "dedupe_start",
    "dedupe_done",
    "write_locked",
    "commit_temp_first",
    "commit_temp_all",
    "commit_index_temp",
    "commit_journal",
    "commit_rename_first",
    "commit_renamed",
    "commit_deleted",
    "commit_generation",
    "snapshot_written",
    "write_done",
    "flow_cleanup",
    "flow_end",
)


def crash_point(name: str) -> None:
    """Die here, by SIGKILL, if the environment asks for it."""
    spec = os.environ.get("NEWSETL_CRASH_AT")
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if point != name:
        return
    _hits[name] += 1
    if _hits[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
