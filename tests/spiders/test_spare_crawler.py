"""The spare crawler: ``python -m spiders.crawl --wait-for-job`` started ahead of the crawl,
and the flow's use of it (``flows.etl.prestart_crawler``, ``_take_spare``, the crawl task).

Real child processes; crawls of the Wix-like demo blog on 127.0.0.1.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from newsetl.models import FetchedPage

from .test_spider import ROOT, crawl

pytestmark = pytest.mark.slow

SPARE = [sys.executable, "-m", "spiders.crawl", "--wait-for-job"]


def _spare(*opts: str, cwd: Path = ROOT) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [*SPARE[:1], *opts, *SPARE[1:]],
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _records(out: Path) -> list[FetchedPage]:
    lines = (out / "pages.jsonl").read_text(encoding="utf-8").splitlines()
    return [FetchedPage.from_dict(json.loads(line)) for line in lines]


def _fetches(records: list[FetchedPage]) -> list[tuple[Any, ...]]:
    """What a crawl fetched and how, without timings."""
    return sorted(
        (r.url, r.final_url, r.status, r.kind, r.discovered_via, r.reason, r.body_path)
        for r in records
    )


def _same_stats(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert set(a) == set(b)
    for key in ("finish_reason", "records", "pages_fetched", "html_pages", "errors"):
        assert a[key] == b[key], key


def _gone(pid: int) -> bool:
    """The process has exited (an orphan's zombie counts: nobody may reap it here)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


# -- python -m spiders.crawl --wait-for-job -------------------------------------------------


def test_job_crawls_like_the_normal_mode(wix_server, tmp_path: Path) -> None:
    url = wix_server.url + "/"
    normal = crawl(tmp_path / "normal", [url])
    out = tmp_path / "spare"
    proc = _spare()
    job = ["--out", str(out), "--max-pages", "200", "--no-delay", "--", url]
    _, err = proc.communicate(json.dumps(job) + "\n", timeout=60)
    assert proc.returncode == 0, err[-3000:]
    assert "crawl: done (finished)" in err
    assert (out / "stats.json").exists() and (out / "archive.warc.gz").exists()
    records = _records(out)
    assert records and _fetches(records) == _fetches(normal["records"])
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    _same_stats(stats, normal["stats"])
    for rec in records:  # the same bodies
        if rec.body_path:
            assert (out / rec.body_path).read_bytes() == (
                tmp_path / "normal" / rec.body_path
            ).read_bytes()


@pytest.mark.serial  # times the exit
def test_eof_exits_at_once_without_crawling(tmp_path: Path) -> None:
    """The parent went away (EOF) or declined (an empty line): exit 0, silently, nothing
    written."""
    idle = _spare(cwd=tmp_path)
    declined = _spare(cwd=tmp_path)
    time.sleep(1.5)  # done importing: now waiting for the job
    assert idle.poll() is None
    started = time.monotonic()
    idle.stdin.close()
    assert idle.wait(timeout=10) == 0
    assert time.monotonic() - started < 1.0
    with idle.stdout, idle.stderr:
        assert idle.stdout.read() == "" and idle.stderr.read() == ""
    out, err = declined.communicate("\n", timeout=10)
    assert declined.returncode == 0 and out == "" and err == ""
    assert list(tmp_path.iterdir()) == []


PRELOAD_THEN_CRAWL = """
import json, sys
import spiders.crawl as c
c._preload()
preloaded = set(sys.modules)
code = c.main(json.loads(sys.argv[1]))
print(json.dumps({"code": code, "preloaded": sorted(preloaded),
                  "later": sorted(set(sys.modules) - preloaded)}))
"""


def test_the_wait_imports_what_a_crawl_imports(wix_server, tmp_path: Path) -> None:
    """What ``--wait-for-job`` imports before the job comes is all a crawl imports but the
    reactor, which Scrapy installs itself (and a codec or two), and nothing heavy."""
    job = ["--out", str(tmp_path / "out"), "--no-delay", "--max-pages", "5"]
    job += ["--known", str(tmp_path / "known.jsonl"), wix_server.url + "/"]
    (tmp_path / "known.jsonl").write_text(json.dumps({"url": wix_server.url + "/x-y-z"}) + "\n")
    proc = subprocess.run(
        [sys.executable, "-c", PRELOAD_THEN_CRAWL, json.dumps(job)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.splitlines()[-1])
    assert got["code"] == 0
    later = {m for m in got["later"] if not m.startswith("encodings.")}
    assert later == {"twisted.internet.reactor"}, later
    preloaded = set(got["preloaded"])
    assert "scrapy.core.downloader.handlers.http11" in preloaded
    heavy = {"aiohttp", "tldextract", "redis", "prefect", "pyarrow", "scrapy.extensions.feedexport"}
    assert not heavy & preloaded, heavy & preloaded


def test_bad_job_lines_exit_2(tmp_path: Path) -> None:
    cases = {
        "not json\n": "bad job line: not JSON",
        '{"--out": "x"}\n': "bad job line: not a JSON list of strings",
        '["--out", 5]\n': "bad job line: not a JSON list of strings",
        # a good line, bad arguments: what the normal mode says
        json.dumps(["--out", str(tmp_path / "x")]) + "\n": "crawl: error: the following "
        "arguments are required: URL",
        json.dumps(["--out", "x", "--", "ftp://h/"])
        + "\n": "crawl: error: only http and https URLs can be scraped",
    }
    procs = {line: _spare(cwd=tmp_path) for line in cases}
    for line, message in cases.items():
        out, err = procs[line].communicate(line, timeout=30)
        assert procs[line].returncode == 2, (line, err)
        assert message in err and "Traceback" not in err, (line, err)
    extra = subprocess.run(
        [*SPARE, "--out", "x"], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert extra.returncode == 2 and "--wait-for-job takes no other arguments" in extra.stderr


# -- flows.etl ------------------------------------------------------------------------------


@pytest.fixture
def etl(monkeypatch):
    """flows.etl with no spare before or after; the crawl task's logger without Prefect."""
    from flows import etl

    etl.discard_spare()
    monkeypatch.setattr(etl, "get_run_logger", lambda: logging.getLogger("test.spare"))
    yield etl
    etl.discard_spare()


def test_take_spare_checks_the_environment(etl) -> None:
    etl.prestart_crawler()
    proc = etl._SPARE[0]
    etl.prestart_crawler()  # a live one with the same env: kept
    assert etl._SPARE[0] is proc
    env = etl._crawl_env()
    # Prefect's per-run variables do not count
    assert etl._take_spare({**env, "PREFECT__FLOW_RUN_ID": "x"}) is proc
    assert etl._SPARE is None and etl._take_spare(env) is None  # used once
    etl._end(proc)

    etl.prestart_crawler()
    stale = etl._SPARE[0]
    assert etl._take_spare({**env, "NEWSETL_SOMETHING": "else"}) is None
    assert stale.returncode is not None and _gone(stale.pid)  # killed and reaped
    assert etl._SPARE is None

    etl.prestart_crawler()
    spare = etl._SPARE[0]
    etl.prestart_crawler({**env, "NEWSETL_SOMETHING": "else"})  # replaces it
    assert etl._SPARE[0] is not spare and spare.returncode is not None
    assert etl._SPARE[1]["NEWSETL_SOMETHING"] == "else"
    etl.discard_spare()
    assert etl._SPARE is None


def test_crawl_task_uses_the_spare(etl, wix_server, tmp_path: Path, monkeypatch, caplog) -> None:
    started: list[subprocess.Popen[bytes]] = []
    start = etl._start_crawler

    def spy(*args: Any) -> subprocess.Popen[bytes]:
        started.append(start(*args))
        return started[-1]

    monkeypatch.setattr(etl, "_start_crawler", spy)
    url = wix_server.url + "/"
    caplog.set_level(logging.DEBUG, logger="test.spare")

    etl.prestart_crawler()
    spare = etl._SPARE[0]
    time.sleep(0.5)
    with_spare = etl.crawl.fn([url], str(tmp_path / "a"), 200, polite=False)
    assert started[-1] is spare and spare.returncode == 0
    assert etl._SPARE is None
    assert f"crawling with the pre-started crawler (pid {spare.pid})" in caplog.text
    # the crawler's arguments, as a fresh child would have had them
    assert spare.args[:3] == [sys.executable, "-m", "spiders.crawl"] and spare.args[-1] == url

    caplog.clear()
    without = etl.crawl.fn([url], str(tmp_path / "b"), 200, polite=False)
    assert started[-1] is not spare and started[-1].returncode == 0
    assert "no pre-started crawler" in caplog.text
    assert _fetches(_records(Path(with_spare["dir"]))) == _fetches(_records(Path(without["dir"])))
    _same_stats(with_spare["stats"], without["stats"])

    # A spare that dies between the check and the job: a fresh child instead.
    etl.prestart_crawler()
    dead = etl._SPARE[0]
    dead.kill()
    dead.wait()
    monkeypatch.setattr(etl, "_take_spare", lambda env: dead)
    caplog.clear()
    again = etl.crawl.fn([url], str(tmp_path / "c"), 200, polite=False)
    assert started[-1] is not dead and started[-1].returncode == 0
    assert "the pre-started crawler is gone" in caplog.text
    assert again["stats"]["records"] == without["stats"]["records"]


def test_crawl_task_reports_a_refusing_spare_as_before(etl, tmp_path: Path) -> None:
    """Exit code 2 from the spare is CrawlRefused, with the crawl's arguments."""
    from flows import children

    etl.prestart_crawler()
    with pytest.raises(children.CrawlRefused, match=r"--max-pages 0 -- http://127\.0\.0\.1:1/"):
        etl.crawl.fn(["http://127.0.0.1:1/"], str(tmp_path / "w"), 0)
    assert etl._SPARE is None


def test_scrape_flow_uses_the_spare(prefect_api, wix_server, tmp_path: Path, monkeypatch) -> None:
    from flows import etl

    etl.discard_spare()
    used: list[subprocess.Popen[bytes]] = []
    spares: list[subprocess.Popen[bytes]] = []
    prestart, start = etl.prestart_crawler, etl._start_crawler

    def spy_prestart(*args: Any) -> None:
        prestart(*args)
        spares.append(etl._SPARE[0])

    def spy_start(*args: Any) -> subprocess.Popen[bytes]:
        proc = start(*args)
        used.append(proc)
        return proc

    monkeypatch.setattr(etl, "prestart_crawler", spy_prestart)
    monkeypatch.setattr(etl, "_start_crawler", spy_start)
    summary = etl.scrape(
        start_urls=[wix_server.url + "/"], data_dir=str(tmp_path / "data"), polite=False
    )
    assert len(spares) == 1 and used == spares and spares[0].returncode == 0
    assert etl._SPARE is None
    assert summary["articles_new"] > 0 and summary["errors"] == 0


def test_spare_exits_when_its_parent_does(tmp_path: Path) -> None:
    """A parent that exits kills its unused spare (atexit); one killed without running
    atexit closes the spare's stdin all the same: the spare sees EOF and exits by itself."""
    code = (
        "import os, sys\n"
        "from flows import etl\n"
        "etl.prestart_crawler()\n"
        "print(etl._SPARE[0].pid, flush=True)\n"
        "if sys.argv[1] == 'hard':\n"
        "    os._exit(0)\n"
    )
    parents = {
        how: subprocess.Popen(
            [sys.executable, "-c", code, how],
            cwd=ROOT,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            stdout=subprocess.PIPE,
            text=True,
        )
        for how in ("atexit", "hard")
    }
    pids = {}
    for how, parent in parents.items():
        with parent.stdout:  # the spare holds it open too, until it exits
            pids[how] = int(parent.stdout.readline())
    assert parents["atexit"].wait(timeout=30) == 0
    assert _gone(pids["atexit"])  # killed and reaped before the parent exited
    parents["hard"].wait(timeout=30)
    deadline = time.monotonic() + 15
    while not _gone(pids["hard"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(pids["hard"])
