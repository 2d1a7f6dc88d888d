"""`newsetl serve` on a PostgreSQL backend, as the README recommends for production.

The test starts its own PostgreSQL (Debian's `postgresql` package: initdb, pg_ctl) on
127.0.0.1 in a temporary folder, points serve's Prefect server at it with
``PREFECT_API_DATABASE_CONNECTION_URL``, triggers a burst of runs with `newsetl trigger`
and checks that every run completed and that Prefect's records are in PostgreSQL.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from flows.env import free_port
from tests.conftest import ROOT, newsetl_cmd

pytestmark = pytest.mark.slow

RUNS = 4


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return versions[-1] if versions else None


@pytest.fixture(scope="module")
def postgres_url():
    initdb, pg_ctl, createdb = _pg_bin("initdb"), _pg_bin("pg_ctl"), _pg_bin("createdb")
    if not (initdb and pg_ctl and createdb):
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install -y postgresql)")
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root with no 'postgres' user to run PostgreSQL as")
        runuser = shutil.which("runuser")
        if not runuser:
            pytest.skip("running as root without runuser to start PostgreSQL as 'postgres'")
        as_user = [runuser, "-u", "postgres", "--"]
    home = Path(tempfile.mkdtemp(prefix="newsetl-pg-"))
    if as_user:
        os.chown(home, owner.pw_uid, owner.pw_gid)
    port = free_port()
    data, sock = home / "data", home
    run = lambda *cmd: subprocess.run(  # noqa: E731
        [*as_user, *cmd], capture_output=True, text=True, timeout=120, check=True
    )
    run(initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
    opts = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={sock} -c fsync=off"
    run(pg_ctl, "-D", str(data), "-o", opts, "-l", str(home / "pg.log"), "-w", "start")
    try:
        run(createdb, "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "newsetl")
        yield {
            "url": f"postgresql+asyncpg://postgres@127.0.0.1:{port}/newsetl",
            "psql": [*as_user, _pg_bin("psql") or "psql", "-h", "127.0.0.1", "-p", str(port)],
        }
    finally:
        subprocess.run(
            [*as_user, pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(home, ignore_errors=True)


def _flow_runs(api: str) -> list[dict]:
    req = urllib.request.Request(
        f"{api}/flow_runs/filter",
        data=json.dumps({"limit": 100}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def test_serve_on_postgresql_completes_a_burst_of_triggered_runs(
    postgres_url, wix_server, tmp_path
):
    data = tmp_path / "data"
    cfg = tmp_path / "prefect.yaml"
    cfg.write_text(
        f"""
deployments:
  - name: wix-pg
    entrypoint: flows/etl.py:scrape
    parameters:
      source: wix-demo
      start_urls: ["{wix_server.url}/blog-feed.xml"]
      data_dir: "{data}"
      max_pages: 10
      polite: false
"""
    )
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["NEWSETL_HOME"] = str(tmp_path / "home")
    env["PYTHONPATH"] = str(ROOT)
    env["PREFECT_API_DATABASE_CONNECTION_URL"] = postgres_url["url"]
    log_path = tmp_path / "serve.log"
    log = open(log_path, "w")  # noqa: SIM115
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
        line = None
        while time.monotonic() < deadline and line is None:
            assert proc.poll() is None, log_path.read_text()[-3000:]
            line = next(
                (
                    ln.split("trigger: ", 1)[1]
                    for ln in log_path.read_text().splitlines()
                    if "trigger: " in ln
                ),
                None,
            )
            time.sleep(0.5)
        assert line, log_path.read_text()[-3000:]
        api = line.split()[0].split("=", 1)[1]

        def one(_: int) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                ["bash", "-c", line], env=env, capture_output=True, text=True, timeout=120
            )

        with ThreadPoolExecutor(RUNS) as pool:
            done = list(pool.map(one, range(RUNS)))
        assert all(p.returncode == 0 for p in done), [p.stderr[-800:] for p in done]
        ids = {p.stdout.split("(", 1)[1].split(")", 1)[0] for p in done}
        assert len(ids) == RUNS

        states: dict[str, str] = {}
        while time.monotonic() < deadline:
            states = {r["id"]: r["state_type"] for r in _flow_runs(api) if r["id"] in ids}
            if len(states) == RUNS and all(
                s in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") for s in states.values()
            ):
                break
            time.sleep(1)
        assert sorted(states.values()) == ["COMPLETED"] * RUNS, (
            states,
            log_path.read_text()[-3000:],
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        log.close()
    assert proc.returncode == 0, log_path.read_text()[-3000:]
    # Prefect's records are in PostgreSQL, not in a SQLite file under the state folder.
    count = subprocess.run(
        [
            *postgres_url["psql"],
            "-U",
            "postgres",
            "-d",
            "newsetl",
            "-tAc",
            "select count(*) from flow_run where state_type = 'COMPLETED'",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert int(count.stdout.strip()) >= RUNS
    assert not list((tmp_path / "home").rglob("prefect.db"))
    arts = pd.read_parquet(data / "articles")
    assert len(arts) >= 5 and arts["article_id"].is_unique
