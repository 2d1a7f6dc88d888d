"""The temporary Prefect server kept between ad hoc commands (``flows/keptserver.py``).

Real commands against a real site on 127.0.0.1, each with no Prefect API set, as a user
runs them: the first starts a server that outlives it, the next one uses it (no second
server, both runs recorded in the one database), a command still holding it keeps it up
past the idle time, and once idle it stops by itself and removes its info file.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, newsetl_cmd

pytestmark = pytest.mark.slow

LINGER_S = 4.0


def _env(home: Path, linger: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PREFECT_HOME")}
    env.update(NEWSETL_HOME=str(home), PYTHONPATH=str(ROOT), NEWSETL_PREFECT_LINGER=linger)
    return env


def _scrape(env: dict[str, str], url: str, data: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        newsetl_cmd("scrape", url, "--data-dir", str(data), "--no-delay", "-q"),
        cwd=ROOT,
        env=env,
        capture_output=True,  # a kept server holding these pipes would hang the call
        text=True,
        timeout=180,
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie of ours is gone too
        return "Z" not in Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False


def _wait_gone(pid: int, timeout_s: float) -> float:
    start = time.monotonic()
    while _alive(pid):
        assert time.monotonic() - start < timeout_s, f"the kept server {pid} is still up"
        time.sleep(0.1)
    return time.monotonic() - start


def test_the_next_command_uses_the_kept_server_which_stops_once_idle(news_server, tmp_path):
    home = tmp_path / "home"
    env = _env(home, f"{LINGER_S:g}s")
    info_path = home / "prefect-temporary.json"

    first = _scrape(env, news_server.url + "/", tmp_path / "data")
    assert first.returncode == 0, first.stderr[-3000:]
    info = json.loads(info_path.read_text())
    pid = info["pid"]
    assert _alive(pid), "the server did not outlive its command"
    assert os.getsid(pid) != os.getsid(0), "the server must not be in the terminal's session"

    second = _scrape(env, news_server.url + "/", tmp_path / "data")
    assert second.returncode == 0, second.stderr[-3000:]
    assert json.loads(info_path.read_text()) == info, "the second command started its own server"

    # `newsetl status` reads the runs from it (it starts no server of its own).
    status = subprocess.run(
        newsetl_cmd("status", "--data-dir", str(tmp_path / "data")),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0, status.stderr[-2000:]
    assert "Completed" in status.stdout or "COMPLETED" in status.stdout, status.stdout[-2000:]
    assert json.loads(info_path.read_text()) == info

    # A command still using it (its shared lease) keeps it up past the idle time.
    with open(home / "prefect-temporary.lease", "a+b") as lease:
        fcntl.flock(lease.fileno(), fcntl.LOCK_SH)
        time.sleep(LINGER_S + 2)
        assert _alive(pid), "the server stopped while a command held it"
    # Released (the file's time says when): it stops within the idle time and a check.
    os.utime(home / "prefect-temporary.lease")
    waited = _wait_gone(pid, LINGER_S + 10)
    assert waited >= LINGER_S - 1.0, f"stopped {waited:.1f} s after the last use"
    assert not info_path.exists()

    with sqlite3.connect(home / "prefect" / "prefect.db") as db:
        states = [r[0] for r in db.execute("select state_type from flow_run order by created")]
        tasks = sorted(r[0].rsplit("-", 1)[0] for r in db.execute("select name from task_run"))
        artifacts = db.execute("select count(*) from artifact where type = 'markdown'").fetchone()
    assert states == ["COMPLETED", "COMPLETED"]  # one database, both runs recorded
    # Each run's crawl began before Prefect was up and was taken over: every task recorded.
    assert tasks == sorted(["crawl", "extract", "deduplicate", "write"] * 2)
    assert artifacts == (2,)

    # Nothing kept: a third command starts a new one, which stops with it under linger 0.
    third = _scrape(_env(home, "0"), news_server.url + "/", tmp_path / "data")
    assert third.returncode == 0, third.stderr[-3000:]
    assert not info_path.exists()


def test_a_bad_linger_value_is_refused_with_the_fix(news_server, tmp_path):
    env = _env(tmp_path / "home", "soon")
    done = _scrape(env, news_server.url + "/", tmp_path / "data")
    assert done.returncode != 0
    assert "NEWSETL_PREFECT_LINGER" in done.stderr and "e.g. 7d or 12h" in done.stderr
    assert "Traceback" not in done.stderr
