"""A Ctrl-C that lands while the command starts the extraction workers' fork server is not
lost, and does not kill the fork server (``newsetl.interrupt.prestart_forkserver``): real
processes, a real SIGINT to the whole process group in the middle of the start."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, os, signal, sys, time
from multiprocessing import forkserver
from newsetl import interrupt

real = forkserver.ensure_running

def start_then_ctrl_c():
    real()  # the server is spawned, and imports its preload now ...
    os.killpg(os.getpgrp(), signal.SIGINT)  # ... when Ctrl-C reaches every process
    time.sleep(0.3)

forkserver.ensure_running = start_then_ctrl_c
with interrupt.handle_signals():
    interrupt.prestart_forkserver(["newsetl.extraction"])
    seen = interrupt.requested()
    forkserver.ensure_running = real
    import multiprocessing
    ctx = multiprocessing.get_context("forkserver")
    with ctx.Pool(1, initializer=interrupt.ignore_sigint) as pool:
        square = pool.apply(pow, (7, 2))
    interrupt._finished.set()
print(json.dumps({"seen": seen, "square": square}))
"""


def test_ctrl_c_during_the_fork_server_start_is_kept_and_spares_the_server() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,  # its own process group: the SIGINT stays inside it
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["seen"] == signal.SIGINT  # delivered once the start was over
    assert out["square"] == 49  # the fork server lived on: a pool forked from it works
    assert "KeyboardInterrupt" not in proc.stderr and "Traceback" not in proc.stderr
