"""Shared fixtures: a Prefect test server, the fixture sites on 127.0.0.1, a scraped dataset."""

from __future__ import annotations

import json
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
# Commands' temporary Prefect servers stop with them (tests/flows/test_keptserver.py checks
# the kept server users get by default).
os.environ["NEWSETL_PREFECT_LINGER"] = "0"


@pytest.fixture(scope="session")
def prefect_api() -> str:
    """A real Prefect API for the session (``prefect_test_harness``); yields its URL."""
    from flows.env import prepare_prefect_env

    prepare_prefect_env()
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    # Each xdist worker starts its own, beside the other worker's tests: 240 s on a busy machine.
    with prefect_test_harness(server_startup_timeout=240):
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
# Tests marked ``serial`` (they time something on the wall clock) run last, on one worker
# while the others have ended: a test beside them would slow down what they time.
# The workers write each test's work unit to a file that the scheduler reads (xdist's own
# ``xdist_group`` suffix on node ids does not reach it under pytest 9).
SHARED_SESSION_FIXTURES = ("scraped",)
SERIAL = "serial:"  # the work unit of a ``serial`` test: SERIAL + its module


def pytest_configure(config):
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        config.stash[_UNITS] = Path(tempfile.mkdtemp(prefix="newsetl-xdist-")) / "units.json"


_UNITS = pytest.StashKey[Path]()


def pytest_configure_node(node):
    """Tells each xdist worker where to write the work units it collected."""
    node.workerinput["newsetl_units"] = str(node.config.stash[_UNITS])


def _unit_of(item) -> str:
    if item.get_closest_marker("serial"):
        return SERIAL + item.nodeid.split("::", 1)[0]
    for name in SHARED_SESSION_FIXTURES:
        if name in getattr(item, "fixturenames", ()):
            return name
    return item.nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(config, items):
    units_file = getattr(config, "workerinput", {}).get("newsetl_units")
    if not units_file:
        return
    unit = {item.nodeid: _unit_of(item) for item in items}
    slow: set[str] = set()
    timeout: dict[str, float] = {}
    for item in items:
        if item.get_closest_marker("slow"):
            slow.add(unit[item.nodeid])
        mark = item.get_closest_marker("timeout")
        if mark is not None and mark.args:
            scope = unit[item.nodeid]
            timeout[scope] = max(timeout.get(scope, 0), float(mark.args[0]))

    def rank(item) -> tuple[bool, float, bool]:
        scope = unit[item.nodeid]
        return scope.startswith(SERIAL), -timeout.get(scope, 0), scope not in slow

    items.sort(key=rank)  # stable: among equals the collection order stays as it was
    tmp = Path(f"{units_file}.{config.workerinput['workerid']}")
    tmp.write_text(json.dumps(unit))
    os.replace(tmp, units_file)  # every worker writes the same: the last one stays


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    units_file = config.stash[_UNITS]

    class ByUnit(LoadScopeScheduling):
        """Work units as the workers named them; the ``serial`` units go to the last worker
        left, once the others have finished."""

        units: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.units is None:
                self.units = json.loads(units_file.read_text())
            return self.units.get(nodeid) or nodeid.split("::", 1)[0]

        def _assign_work_unit(self, node) -> None:
            if next(iter(self.workqueue)).startswith(SERIAL):
                others = [n for n in self.assigned_work if n is not node]
                if any(not n.shutting_down for n in others):
                    node.shutdown()  # it ends once its own tests are done
                    return
                if any(self._pending_of(self.assigned_work[n]) for n in others):
                    return  # wait: mark_test_complete calls again as they finish
            super()._assign_work_unit(node)

        def mark_test_complete(self, node, item_index: int, duration: float = 0) -> None:
            super().mark_test_complete(node, item_index, duration)
            for other in list(self.assigned_work):  # one may be waiting for this node
                if other is not node:
                    self._reschedule(other)

    config.option.loadscopereorder = False  # keep the order the workers chose
    return ByUnit(config, log)
