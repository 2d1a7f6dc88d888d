"""Shared fixtures: a Prefect test server, the fixture sites on 127.0.0.1, a scraped dataset."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Keep the tests' Prefect state and local-server file away from the developer's.
os.environ["NEWSETL_HOME"] = tempfile.mkdtemp(prefix="newsetl-test-home-")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.pop("PREFECT_API_URL", None)


@pytest.fixture(scope="session")
def prefect_api() -> str:
    """A real Prefect API for the session (``prefect_test_harness``); yields its URL."""
    from flows.env import prepare_prefect_env

    prepare_prefect_env()
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield PREFECT_API_URL.value()


@pytest.fixture
def cli_env(prefect_api: str) -> dict[str, str]:
    """Environment for ``newsetl`` child processes: they use the session's Prefect server."""
    env = dict(os.environ)
    env["PREFECT_API_URL"] = prefect_api
    env["PYTHONPATH"] = str(ROOT)
    return env


def newsetl_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "newsetl.cli", *args]


def scrape_cli(env: dict[str, str], urls: list[str], data: Path, crash: str | None = None):
    """``newsetl scrape URLS --data-dir DATA --no-delay -q`` as a child process.

    ``crash`` names a crash point (``newsetl.faults``) where the run kills itself.
    """
    import subprocess

    env = dict(env)
    if crash:
        env["NEWSETL_CRASH_AT"] = crash
    return subprocess.run(
        newsetl_cmd("scrape", *urls, "--data-dir", str(data), "--no-delay", "-q"),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="session")
def wix_server():
    from newsetl.demo.server import SiteServer
    from newsetl.demo.sites import wix_blog

    with SiteServer(wix_blog()) as srv:
        yield srv


@pytest.fixture(scope="session")
def news_server():
    from newsetl.demo.server import SiteServer
    from newsetl.demo.sites import news_site

    with SiteServer(news_site()) as srv:
        yield srv


@pytest.fixture(scope="session")
def error_server():
    from newsetl.demo.server import SiteServer
    from newsetl.demo.sites import error_site

    with SiteServer(error_site()) as srv:
        yield srv


@pytest.fixture(scope="session")
def scraped(prefect_api, wix_server, news_server, error_server, tmp_path_factory):
    """One real flow run over the three fixture sites, then a second run of the same."""
    from flows.etl import scrape

    data = tmp_path_factory.mktemp("scraped") / "data"
    first = scrape(
        start_urls=[wix_server.url + "/", news_server.url + "/", error_server.url + "/"],
        data_dir=str(data),
        max_pages=100,
        polite=False,
    )
    wix_before = len(wix_server.requests)
    second = scrape(
        start_urls=[wix_server.url + "/", news_server.url + "/", error_server.url + "/"],
        data_dir=str(data),
        max_pages=100,
        polite=False,
    )
    return {
        "data": data,
        "first": first,
        "second": second,
        "wix_requests_first": wix_before,
    }


@pytest.fixture
def redis_url(tmp_path_factory):
    """A real redis-server on 127.0.0.1 (skipped where Debian's redis-server is missing)."""
    import shutil as sh
    import socket
    import subprocess
    import time

    exe = sh.which("redis-server")
    if not exe:
        pytest.skip("redis-server is not installed (Debian: apt-get install -y redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [exe, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        cwd=tmp_path_factory.mktemp("redis"),
    )
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)
