"""`newsetl serve`: a real local Prefect server, a real schedule firing, a clean stop."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from tests.conftest import ROOT, newsetl_cmd

pytestmark = pytest.mark.slow


def _runs(data) -> set[str]:
    try:
        return set(pd.read_parquet(data / "pages")["run_id"])
    except (OSError, ValueError, KeyError):
        return set()


def test_interval_schedule_fires_at_least_twice(wix_server, tmp_path):
    data = tmp_path / "data"
    cfg = tmp_path / "prefect.yaml"
    cfg.write_text(
        f"""
deployments:
  - name: wix-every-5s
    entrypoint: flows/etl.py:scrape
    parameters:
      source: wix-demo
      start_urls: ["{wix_server.url}/blog-feed.xml"]
      data_dir: "{data}"
      max_pages: 10
      polite: false
    schedules:
      - interval: 5
        timezone: UTC
    concurrency_limit: 1
"""
    )
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["NEWSETL_HOME"] = str(tmp_path / "home")  # its own server, database and state
    env["PYTHONPATH"] = str(ROOT)
    log = open(tmp_path / "serve.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        newsetl_cmd("serve", "--config", str(cfg)),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and len(_runs(data)) < 2:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            time.sleep(1)
        runs = _runs(data)
        assert len(runs) >= 2, (tmp_path / "serve.log").read_text()[-3000:]
        # The trigger command serve printed works as printed, pasted into a shell.
        printed = (tmp_path / "serve.log").read_text().splitlines()
        line = next(ln.split("trigger: ", 1)[1] for ln in printed if "trigger: " in ln)
        assert "wix-every-5s" in line and line.startswith("PREFECT_API_URL=http://127.0.0.1:")
        triggered = subprocess.run(
            ["bash", "-c", line], env=env, capture_output=True, text=True, timeout=120
        )
        assert triggered.returncode == 0, triggered.stdout[-2000:] + triggered.stderr[-2000:]
        assert "created flow run" in triggered.stdout and "key newsetl-trigger-" in triggered.stdout
        # A burst of triggers while runs are served: SQLite's "database is locked" (503)
        # is retried by each trigger; every one gets its own run, none is lost.
        with ThreadPoolExecutor(6) as pool:
            burst = list(
                pool.map(
                    lambda _: subprocess.run(
                        ["bash", "-c", line], env=env, capture_output=True, text=True, timeout=180
                    ),
                    range(6),
                )
            )
        assert all(b.returncode == 0 for b in burst), [b.stderr[-800:] for b in burst]
        ids = {b.stdout.split("(", 1)[1].split(")", 1)[0] for b in burst}
        assert len(ids) == 6
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        log.close()
    out = (tmp_path / "serve.log").read_text()
    assert "local Prefect server ready" in out
    assert proc.returncode == 0, out[-3000:]
    # The first run stored the feed's articles; later runs found them unchanged.
    arts = pd.read_parquet(data / "articles")
    assert len(arts) >= 5 and arts["article_id"].is_unique
    assert set(arts["source"].astype(str)) == {"wix-demo"}
    # The server it started is gone with it.
    assert not (tmp_path / "home" / "prefect-server.json").exists()
