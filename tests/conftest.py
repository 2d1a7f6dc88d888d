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


# -- running under pytest-xdist (`make test` runs `pytest -n auto`) -------------------------
# Tests are handed to the workers a module at a time (a module's fixtures are built once),
# except that every test using one expensive session fixture goes to the same worker, so
# that fixture is built once in the whole run: see SHARED_SESSION_FIXTURES. The longest
# work goes out first, so that no worker is left with a long test at the end: modules with
# a test that declares a longer timeout than the default, then those with slow tests.
SHARED_SESSION_FIXTURES = ("scraped",)


@pytest.hookimpl(tryfirst=True)  # before xdist names each test's group in its node id
def pytest_collection_modifyitems(config, items):
    for item in items:
        for name in SHARED_SESSION_FIXTURES:
            if name in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.xdist_group(name))
                break
    if hasattr(config, "workerinput"):  # an xdist worker: the order the work is handed out
        slow: set[str] = set()
        timeout: dict[str, float] = {}
        for item in items:
            scope = _scope_of(item)
            if item.get_closest_marker("slow"):
                slow.add(scope)
            mark = item.get_closest_marker("timeout")
            if mark is not None and mark.args:
                timeout[scope] = max(timeout.get(scope, 0), float(mark.args[0]))
        # Stable: among equals the collection order stays as it was.
        items.sort(key=lambda it: (-timeout.get(_scope_of(it), 0), _scope_of(it) not in slow))


def _scope_of(item) -> str:
    """The work unit of ``item``, named as xdist names it (``ModuleOrGroup``)."""
    groups = {
        str(m.args[0] if m.args else m.kwargs.get("name", "default"))
        for m in item.iter_markers("xdist_group")
    }
    return "_".join(sorted(groups)) if groups else item.nodeid.split("::", 1)[0]


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadGroupScheduling

    class ModuleOrGroup(LoadGroupScheduling):
        """A work unit is an ``xdist_group`` if the test has one, else its module."""

        def _split_scope(self, nodeid: str) -> str:
            if nodeid.rfind("@") > nodeid.rfind("]"):
                return nodeid.split("@")[-1]
            return nodeid.split("::", 1)[0]

    config.option.loadscopereorder = False  # keep the order chosen above
    return ModuleOrGroup(config, log)
