"""Ctrl-C and SIGTERM during ``newsetl scrape`` of a heavy generated site.

The command runs as a terminal runs a foreground job: in a process group of its own, and
Ctrl-C is SIGINT to the whole group. SIGTERM, as a service manager sends it, goes to the
command's process only. Each stop is checked as a user meets it: how long it takes, the
exit status, no traceback, one line saying what was kept, no process left behind, a
readable dataset, the Prefect flow run ``Cancelled``; and the next run does not download
again the articles that the interrupted one stored (downloads counted on the server).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.cli.test_cli import _processes_with_env
from tests.conftest import ROOT, newsetl_cmd

pytestmark = pytest.mark.slow

BENCH = ROOT / "benchmarks"
STOP_LIMIT_S = 5.0  # the promise: a stop takes at most this long


def _sitegen():
    sys.path.insert(0, str(BENCH))
    try:
        return __import__("sitegen")
    finally:
        sys.path.remove(str(BENCH))


def _env(home: Path) -> dict[str, str]:
    """A user's environment: no Prefect server running, so the command starts its own."""
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PREFECT_HOME")}
    env.update(NEWSETL_HOME=str(home), PYTHONPATH=str(ROOT))
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    return env


@dataclass
class Stopped:
    rc: int
    stop_s: float  # from the signal until every process of the command was gone
    stdout: str
    stderr: str


def _article_gets(server, gen) -> list[str]:
    return [r.path for r in server.log.snapshot() if r.path in gen.article_paths]


def _running_flow_runs(home: Path) -> int:
    try:
        with sqlite3.connect(home / "prefect" / "prefect.db", timeout=0.2) as db:
            return db.execute(
                "select count(*) from flow_run where state_type = 'RUNNING'"
            ).fetchone()[0]
    except sqlite3.Error:  # not created yet, or locked for a moment
        return 0


def _scrape_and_stop(
    server, gen, data: Path, env, *, after: int, how: str, home: Path | None = None
) -> Stopped:
    """Start a scrape; once the server has sent ``after`` more articles (counted from the
    moment the flow run is Running in Prefect, when ``home`` is given: the crawl begins
    before Prefect is up), stop it ``how``: 'ctrl-c' (SIGINT to the group), 'ctrl-c
    twice', or 'sigterm' (to the process)."""
    cmd = newsetl_cmd("scrape", server.url + "/", "--data-dir", str(data), "--no-delay")
    cmd += ["--max-pages", "5000"]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its own process group, as a shell's foreground job
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 180
    start = len(_article_gets(server, gen))
    while home is not None and _running_flow_runs(home) == 0:
        assert proc.poll() is None, f"ended before the signal: {proc.communicate()[1][-2000:]}"
        assert time.monotonic() < deadline, "the flow run did not start"
        time.sleep(0.02)
    if home is not None:
        start = len(_article_gets(server, gen))
    while len(_article_gets(server, gen)) - start < after:
        assert proc.poll() is None, f"ended before the signal: {proc.communicate()[1][-2000:]}"
        assert time.monotonic() < deadline, "the crawl did not get going"
        time.sleep(0.01)
    signalled = time.monotonic()
    if how == "sigterm":
        proc.send_signal(signal.SIGTERM)
    else:
        os.killpg(proc.pid, signal.SIGINT)
        if how == "ctrl-c twice":
            time.sleep(0.3)
            os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)  # the pipes close when every process is gone
    return Stopped(proc.returncode, time.monotonic() - signalled, out, err)


def _assert_readable(data: Path) -> int:
    arts = pd.read_parquet(data / "articles")
    n = (
        duckdb.connect()
        .execute(
            f"select count(*) from read_parquet('{data}/articles/**/*.parquet', "
            "hive_partitioning=true, union_by_name=true)"
        )
        .fetchone()[0]
    )
    assert n == len(arts)
    return len(arts)


def _flow_run_states(home: Path) -> list[str]:
    """The state of every flow run in the Prefect database the commands used, oldest first."""
    with sqlite3.connect(home / "prefect" / "prefect.db") as db:
        return [row[0] for row in db.execute("select state_type from flow_run order by created")]


def _prepare_prefect_db(server, env, home: Path, data: Path) -> int:
    """One short run first: the Prefect database exists then, as after any first command
    (its creation makes the first start several seconds slower). The flow runs it made."""
    prep = subprocess.run(
        newsetl_cmd("scrape", server.url + "/about/", "--max-pages", "1", "-q")
        + ["--no-delay", "--data-dir", str(data)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert prep.returncode in (0, 3), prep.stderr[-2000:]
    return len(_flow_run_states(home))


@pytest.mark.serial  # times each stop
@pytest.mark.timeout(600)
def test_ctrl_c_and_sigterm_stop_fast_keep_the_work_and_the_next_run_goes_on(tmp_path):
    sitegen = _sitegen()
    gen = sitegen.NewsSiteGenerator(1500, seed=11)
    home, data = tmp_path / "home", tmp_path / "data"
    env = _env(home)
    marker = f"NEWSETL_HOME={home}"
    # 150 answers a second: a crawl of the site's 2,000 pages lasts over 13 s however fast
    # the crawler is, so that each stop falls in its middle, after Prefect's start.
    with sitegen.BenchServer(gen, rate=150) as server:
        prepared = _prepare_prefect_db(server, env, home, tmp_path / "prep")
        # 1. Ctrl-C in the middle of the crawl.
        first = _scrape_and_stop(server, gen, data, env, after=60, how="ctrl-c", home=home)
        assert first.rc == 130, first.stderr[-3000:]
        assert first.stop_s < STOP_LIMIT_S, (
            f"stopped in {first.stop_s:.2f} s: {first.stderr[-4000:]}"
        )
        assert "Traceback" not in first.stderr, first.stderr[-3000:]
        assert "KeyboardInterrupt" not in first.stderr
        kept_line = [
            ln for ln in first.stderr.splitlines() if ln.startswith("newsetl: stopped by SIGINT")
        ]
        assert len(kept_line) == 1, first.stderr[-2000:]
        assert _processes_with_env(marker) == []
        stored_first = _assert_readable(data)
        assert stored_first >= 1  # what was extracted by the stop (the rest: next run)
        assert f"{stored_first} new articles stored" in kept_line[0]
        stored = set(pd.read_parquet(data / "articles", columns=["url"])["url"])

        # 2. SIGTERM to the command's process (a service manager's stop), later on.
        server.log.clear()
        second = _scrape_and_stop(server, gen, data, env, after=60, how="sigterm", home=home)
        assert second.rc == 143, second.stderr[-3000:]
        assert second.stop_s < STOP_LIMIT_S, (
            f"stopped in {second.stop_s:.2f} s: {second.stderr[-4000:]}"
        )
        assert "Traceback" not in second.stderr, second.stderr[-3000:]
        assert "stopped by SIGTERM" in second.stderr
        assert _processes_with_env(marker) == []
        again = {server.url + p for p in _article_gets(server, gen)} & stored
        assert not again, f"{len(again)} stored articles downloaded again, e.g. {sorted(again)[:3]}"
        stored_second = _assert_readable(data)
        assert stored_second > stored_first
        stored = set(pd.read_parquet(data / "articles", columns=["url"])["url"])

        # 3. The next run completes the site without fetching a stored article again (at
        # full speed: nothing is timed here).
        server.log.clear()
        server.set_rate(None)
        done = subprocess.run(
            newsetl_cmd("scrape", server.url + "/", "--data-dir", str(data), "--no-delay")
            + ["--max-pages", "5000", "-q"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        again = {server.url + p for p in _article_gets(server, gen)} & stored
        assert not again, f"{len(again)} stored articles downloaded again"
        arts = pd.read_parquet(data / "articles", columns=["url", "article_id"])
        assert len(arts) == arts["article_id"].nunique() == len(gen.article_paths)

        # 4. Ctrl-C twice: stop at once. Nothing is left running, the data stays readable.
        server.set_rate(150)
        forced_data = tmp_path / "forced"
        forced = _scrape_and_stop(
            server, gen, forced_data, env, after=40, how="ctrl-c twice", home=home
        )
        assert forced.rc == 130, forced.stderr[-3000:]
        assert forced.stop_s < 2.5, (
            f"a forced stop took {forced.stop_s:.2f} s: {forced.stderr[-3000:]}"
        )
        assert "stopped at once" in forced.stderr and "Traceback" not in forced.stderr
        assert _processes_with_env(marker) == []
        if any((forced_data / "articles").rglob("*.parquet")):
            _assert_readable(forced_data)
    print(
        f"\nstop times: Ctrl-C {first.stop_s:.2f} s, SIGTERM {second.stop_s:.2f} s, "
        f"Ctrl-C twice {forced.stop_s:.2f} s; stored {stored_first} then {stored_second} of "
        f"{len(gen.article_paths)} before the last run"
    )
    # Every run is recorded as it ended: none stays Running.
    states = _flow_run_states(home)[prepared:]
    assert states == ["CANCELLED", "CANCELLED", "COMPLETED", "CANCELLED"]


@pytest.mark.serial  # times the stop
@pytest.mark.timeout(300)
def test_the_crawl_begins_before_prefect_is_up_and_ctrl_c_meanwhile_stops_at_once(tmp_path):
    """The first request leaves before Prefect's temporary server answers (the crawl does
    not wait for it, flows/early.py); Ctrl-C before the flow run is recorded stops within
    the same bound, stores nothing, says so, and leaves nothing running."""
    sitegen = _sitegen()
    gen = sitegen.NewsSiteGenerator(200, seed=12)
    home, data = tmp_path / "home", tmp_path / "data"
    env = _env(home)
    with sitegen.BenchServer(gen) as server:
        prepared_runs = _prepare_prefect_db(server, env, home, tmp_path / "prep")
        started = time.monotonic()
        stopped = _scrape_and_stop(server, gen, data, env, after=1, how="ctrl-c")
        first_article_s = time.monotonic() - stopped.stop_s - started
        assert stopped.rc == 130, stopped.stderr[-3000:]
        assert stopped.stop_s < STOP_LIMIT_S, f"stopped in {stopped.stop_s:.2f} s"
        assert "Traceback" not in stopped.stderr, stopped.stderr[-3000:]
        lines = [ln for ln in stopped.stderr.splitlines() if "stopped by SIGINT" in ln]
        assert len(lines) == 1, stopped.stderr[-2000:]
        assert _processes_with_env(f"NEWSETL_HOME={home}") == []
        runs = _flow_run_states(home)[prepared_runs:]
    if runs:
        # Prefect came up first after all (a loaded machine): an ordinary stop.
        assert runs == ["CANCELLED"], runs
    else:
        # Stopped before the run was recorded: nothing stored, and the line says so.
        assert "nothing was stored" in lines[0], lines[0]
        assert _assert_readable(data) == 0
        assert first_article_s < 6.0
    print(f"\nfirst article {first_article_s:.2f} s after the start; stop {stopped.stop_s:.2f} s")
