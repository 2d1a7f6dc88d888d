"""Warm executors under `newsetl serve`: reuse, a killed executor, a cancelled run.

A real `newsetl serve` process (with the session's Prefect test server), real deployments,
real runs triggered through the API, real processes killed.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT, newsetl_cmd

# Not serial: the bounds on the executors' start and stop (tens of seconds) hold beside
# another test.
pytestmark = pytest.mark.slow


class _Stall(BaseHTTPRequestHandler):
    """Every page answers after a minute: a run against it is still crawling when killed."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path == "/robots.txt":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.server.stop.wait(60)  # type: ignore[attr-defined]
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "13")
            self.end_headers()
            self.wfile.write(b"<html></html>")
        except OSError:
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stall_server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Stall)
    srv.daemon_threads = True
    srv.stop = threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.stop.set()  # type: ignore[attr-defined]
    srv.shutdown()
    srv.server_close()


def _executor_of(log: Path, flow_run_id: str, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = re.search(rf"flow run {flow_run_id} runs in warm executor (\d+)", log.read_text())
        if m:
            return int(m.group(1))
        time.sleep(0.1)
    raise AssertionError(f"no executor for {flow_run_id}:\n{log.read_text()[-3000:]}")


def _wait_final(client, flow_run_id, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fr = client.read_flow_run(flow_run_id)
        if fr.state is not None and fr.state.is_final():
            return fr
        time.sleep(0.2)
    raise AssertionError(f"flow run {flow_run_id} did not end: {fr.state}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as fh:  # a zombie is gone too
        return fh.read().rsplit(")", 1)[1].split()[0] != "Z"


def _start_serve(
    cfg: Path, prefect_api: str, home: Path, log_path: Path, *extra: str
) -> subprocess.Popen:
    """`newsetl serve --config cfg` in its own session, once it serves the deployments."""
    env = dict(os.environ, PREFECT_API_URL=prefect_api, NEWSETL_HOME=str(home))
    env["PYTHONPATH"] = str(ROOT)
    env["PREFECT_RUNNER_POLL_FREQUENCY"] = "1"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            newsetl_cmd("serve", "--config", str(cfg), *extra),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 120
    while "serving newsetl-scrape/" not in log_path.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError(log_path.read_text()[-3000:])
        time.sleep(0.2)
    return proc


def _session_leftovers(sid: int, wait_s: float = 15) -> list[int]:
    """Live processes of session ``sid``, once they had ``wait_s`` to finish exiting."""
    deadline = time.monotonic() + wait_s
    while True:
        found = subprocess.run(["pgrep", "-s", str(sid)], capture_output=True, text=True)
        left = [int(p) for p in found.stdout.split() if _alive(int(p))]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def test_warm_executors_reuse_crash_and_cancel(prefect_api, wix_server, stall_server, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.states import Cancelling

    data = tmp_path / "data"
    cfg = tmp_path / "prefect.yaml"
    cfg.write_text(
        f"""
deployments:
  - name: wix
    entrypoint: flows/etl.py:scrape
    parameters:
      source: wix-demo
      start_urls: ["{wix_server.url}/blog-feed.xml"]
      data_dir: "{data}"
      max_pages: 10
      polite: false
  - name: wix-again
    entrypoint: flows/etl.py:scrape
    parameters:
      source: wix-again
      start_urls: ["{wix_server.url}/blog-feed.xml"]
      data_dir: "{data}"
      max_pages: 10
      polite: false
      incremental: false
  - name: stalled
    entrypoint: flows/etl.py:scrape
    parameters:
      source: stalled
      start_urls: ["{stall_server}/"]
      data_dir: "{data}"
      max_pages: 5
      polite: false
"""
    )
    log_path = tmp_path / "serve.log"
    proc = _start_serve(cfg, prefect_api, tmp_path / "home", log_path, "--grace", "2s")
    try:
        with get_client(sync_client=True) as client:

            def trigger(name: str):
                dep = client.read_deployment_by_name(f"newsetl-scrape/{name}")
                return client.create_flow_run_from_deployment(dep.id).id

            # Two runs in a row: the same warm executor runs both.
            first = trigger("wix")
            pid_a = _executor_of(log_path, first)
            assert _wait_final(client, first).state.is_completed()
            second = trigger("wix")
            assert _executor_of(log_path, second) == pid_a
            assert _wait_final(client, second).state.is_completed()
            arts = pd.read_parquet(data / "articles")
            assert len(arts) >= 5 and set(arts["source"].astype(str)) == {"wix-demo"}
            # A run that extracts the stored articles again (not incremental) decides them
            # against the index the executor kept after the first run's commit.
            assert "reused from memory" not in log_path.read_text()
            third = trigger("wix-again")
            assert _executor_of(log_path, third) == pid_a
            assert _wait_final(client, third).state.is_completed()
            assert f"near-duplicate index of {len(arts)} article(s) reused from memory" in (
                log_path.read_text()
            ), log_path.read_text()[-3000:]
            assert len(pd.read_parquet(data / "articles")) == len(arts)  # all unchanged

            # The executor is killed mid-run: the run is Crashed, the executor is gone.
            stalled = trigger("stalled")
            pid_b = _executor_of(log_path, stalled)
            time.sleep(2)
            assert not client.read_flow_run(stalled).state.is_final()
            os.kill(pid_b, signal.SIGKILL)
            crashed = _wait_final(client, stalled)
            assert crashed.state.is_crashed(), crashed.state

            # A cancelled run: Cancelled, and its executor (and crawler) are stopped.
            cancelled = trigger("stalled")
            pid_c = _executor_of(log_path, cancelled)
            assert pid_c != pid_b
            time.sleep(2)
            client.set_flow_run_state(cancelled, Cancelling(), force=True)
            done = _wait_final(client, cancelled)
            assert done.state.is_cancelled(), done.state
            deadline = time.monotonic() + 30
            while _alive(pid_c) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert not _alive(pid_c)

            # And the next run works, in a fresh executor.
            again = trigger("wix")
            pid_d = _executor_of(log_path, again)
            assert pid_d not in (pid_b, pid_c)
            assert _wait_final(client, again).state.is_completed()

            # SIGTERM while a run cannot finish: after the 2 s of grace it is cancelled.
            last = trigger("stalled")
            _executor_of(log_path, last)
            t0 = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 0, log_path.read_text()[-3000:]
            assert 2 <= time.monotonic() - t0 < 60
            assert _wait_final(client, last, timeout=30).state.is_cancelled()
            out = log_path.read_text()
            assert "waiting up to 2 s for 1 run(s): stalled" in out, out[-3000:]
            assert "grace period over: cancelling 1 run(s): stalled" in out
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    out = log_path.read_text()
    assert proc.returncode == 0, out[-3000:]
    # No executor or crawler is left behind by serve.
    left = _session_leftovers(proc.pid)
    assert left == [], [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in left]


def test_ctrl_c_stops_serve_and_its_executors(prefect_api, wix_server, tmp_path):
    """Ctrl-C to serve's process group while a run is under way: the run finishes (within
    the default 30 s of grace), then serve and everything it started stop."""
    from prefect.client.orchestration import get_client

    cfg = tmp_path / "prefect.yaml"
    cfg.write_text(
        f"""
deployments:
  - name: wix-ctrl-c
    entrypoint: flows/etl.py:scrape
    parameters:
      source: wix-demo
      start_urls: ["{wix_server.url}/blog-feed.xml"]
      data_dir: "{tmp_path / "data"}"
"""
    )
    log_path = tmp_path / "serve.log"
    proc = _start_serve(cfg, prefect_api, tmp_path / "home", log_path)
    try:
        deadline = time.monotonic() + 60  # the spare executor warms up, its crawler starts
        while len(_session_leftovers(proc.pid, wait_s=0)) < 3:  # serve, executor, crawler
            assert time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.2)
        with get_client(sync_client=True) as client:
            dep = client.read_deployment_by_name("newsetl-scrape/wix-ctrl-c")
            run = client.create_flow_run_from_deployment(dep.id).id
            _executor_of(log_path, run)
            os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
            assert proc.wait(timeout=60) == 0, log_path.read_text()[-3000:]
            assert client.read_flow_run(run).state.is_completed()
        out = log_path.read_text()
        assert "waiting up to 30 s for 1 run(s): wix-ctrl-c" in out, out[-3000:]
        assert "the running run(s) finished: stopping" in out
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert "Traceback" not in log_path.read_text()
    assert _session_leftovers(proc.pid) == []
