"""``newsetl status`` numbers and the HTML report, on a small hand-built dataset."""

from __future__ import annotations

import inspect
import os
import re
import shutil
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from flows import runs as flow_runs
from newsetl import htmlreport, status
from newsetl.storage import TABLES, Dataset

XSS_TITLE = "Breaking <script>alert(1)</script> & more"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _table(name: str, rows: list[dict]) -> pa.Table:
    schema, partitions = TABLES[name]
    full = pa.schema(list(schema) + [pa.field(p, pa.string()) for p in partitions])
    return pa.Table.from_pydict({f.name: [r.get(f.name) for r in rows] for f in full}, schema=full)


def _article(run, source, n, fetched, published, *, title=None, authors=("Ann",), lang="en"):
    aid = f"{source}-{run}-{n}"
    url = f"https://{source}/post/{run}-{n}"
    return {
        "article_id": aid,
        "url": url,
        "canonical_url": url,
        "title": title if title is not None else f"Story {n} of {source}",
        "authors": list(authors),
        "published_at": published,
        "language": lang,
        "text": "Body text.",
        "word_count": 2,
        "content_hash": f"h-{aid}",
        "cluster_id": aid,
        "revision": 1,
        "fetched_at": fetched,
        "run_id": run,
        "source": source,
        "month": (published or fetched).strftime("%Y-%m"),
    }


def _page(run, source, url, fetched, *, status=200, reason=None, fate="article", kind="page"):
    return {
        "url": url,
        "final_url": url,
        "status": status,
        "content_type": "text/html",
        "bytes": 1000,
        "fetched_at": fetched,
        "kind": kind,
        "discovered_via": "sitemap",
        "reason": reason,
        "fate": fate,
        "article_id": None,
        "run_id": run,
        "source": source,
        "date": fetched.strftime("%Y-%m-%d"),
    }


def _dup(run, source, n, fetched, kind):
    return {
        "url": f"https://{source}/copy/{run}-{n}",
        "canonical_url": f"https://{source}/copy/{run}-{n}",
        "article_id": f"{source}-{run}-dup{n}",
        "duplicate_of": f"{source}-r1-0",
        "kind": kind,
        "similarity": 0.9 if kind == "near_duplicate" else 1.0,
        "content_hash": f"hd-{run}-{n}",
        "title": f"Copy {n}",
        "fetched_at": fetched,
        "run_id": run,
        "source": source,
    }


def build_dataset(root) -> Dataset:
    """Three runs over three sources, with duplicates, failures, skips and a hostile title.

    r1 (2026-03-01): site-a 3 articles + 1 duplicate, site-b 2 articles, 1 http_404 error
    r2 (2026-03-02): site-a 2 articles (one no date, one no author/language), 2 dups,
                     a timeout error, a robots skip, a failed sitemap (discovery)
    r3 (2026-03-03): news.example 1 article (hostile title), 1 exact-text dup, 2 errors
    """
    ds = Dataset(root)
    ds.ensure_writable()
    day = timedelta(days=1)
    t1, t2, t3 = T0, T0 + day, T0 + 2 * day
    pub = datetime(2026, 2, 27, 6, tzinfo=UTC)
    runs = {
        "r1": {
            "articles": [
                _article("r1", "site-a", 0, t1, pub),
                _article("r1", "site-a", 1, t1, pub + day),
                _article("r1", "site-a", 2, t1, pub + day),
                _article("r1", "site-b", 0, t1 + timedelta(minutes=5), pub),
                _article("r1", "site-b", 1, t1 + timedelta(minutes=5), pub + 2 * day),
            ],
            "duplicates": [_dup("r1", "site-a", 0, t1, "same_url")],
            "pages": [
                *[_page("r1", "site-a", f"https://site-a/post/r1-{i}", t1) for i in range(3)],
                _page("r1", "site-a", "https://site-a/copy/r1-0", t1, fate="duplicate"),
                *[
                    _page("r1", "site-b", f"https://site-b/post/r1-{i}", t1 + timedelta(minutes=5))
                    for i in range(2)
                ],
                _page(
                    "r1",
                    "site-b",
                    "https://site-b/gone",
                    t1,
                    status=404,
                    reason="http_404",
                    fate="failed",
                ),
            ],
        },
        "r2": {
            "articles": [
                _article("r2", "site-a", 0, t2, None),
                _article("r2", "site-a", 1, t2, pub + 3 * day, authors=(), lang=None),
            ],
            "duplicates": [
                _dup("r2", "site-a", 0, t2, "near_duplicate"),
                _dup("r2", "site-a", 1, t2, "near_duplicate"),
            ],
            "pages": [
                *[_page("r2", "site-a", f"https://site-a/post/r2-{i}", t2) for i in range(2)],
                *[
                    _page("r2", "site-a", f"https://site-a/copy/r2-{i}", t2, fate="duplicate")
                    for i in range(2)
                ],
                _page(
                    "r2",
                    "site-a",
                    "https://site-a/slow",
                    t2,
                    status=None,
                    reason="timeout",
                    fate="failed",
                ),
                _page(
                    "r2",
                    "site-a",
                    "https://site-a/private",
                    t2,
                    status=None,
                    reason="robots_disallowed",
                    fate="failed",
                ),
                _page(
                    "r2",
                    "site-a",
                    "https://site-a/sitemap.xml",
                    t2,
                    status=404,
                    reason="http_404",
                    fate="failed",
                    kind="sitemap",
                ),
            ],
        },
        "r3": {
            "articles": [_article("r3", "news.example", 0, t3, pub + 3 * day, title=XSS_TITLE)],
            "duplicates": [_dup("r3", "news.example", 0, t3, "exact_text")],
            "pages": [
                _page("r3", "news.example", "https://news.example/post/r3-0", t3),
                _page("r3", "news.example", "https://news.example/copy/r3-0", t3, fate="duplicate"),
                _page(
                    "r3",
                    "news.example",
                    'https://news.example/x?q="><img src=x onerror=alert(2)>',
                    t3,
                    status=500,
                    reason="http_500",
                    fate="failed",
                ),
                _page(
                    "r3",
                    "news.example",
                    "javascript:alert(3)",
                    t3 + timedelta(minutes=1),
                    status=503,
                    reason="http_500",
                    fate="failed",
                ),
            ],
        },
    }
    with ds.lock():
        for run_id, rows in runs.items():
            ds.commit(run_id, {name: _table(name, r) for name, r in rows.items()})
    return ds


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("status") / "data"
    build_dataset(root)
    return root


# -- dataset_status ------------------------------------------------------------------------
def test_dataset_status_counts_per_source(data_dir):
    st = status.dataset_status(data_dir)
    assert st["exists"] is True
    assert st["totals"] == {
        "articles": 8,
        "revisions": 0,
        "duplicates": 4,
        "pages": 18,
        "pages_fetched": 16,
        "errors": 4,
        "skipped": 1,
        "sources": 3,
        "runs": 3,
    }
    a = st["sources"]["site-a"]
    assert (a["articles"], a["duplicates"], a["pages"], a["pages_fetched"]) == (5, 3, 11, 9)
    assert (a["errors"], a["skipped"], a["discovery_failures"]) == (1, 1, 1)
    assert a["errors_by_reason"] == {"timeout": 1}
    assert a["last_fetch"] == "2026-03-02T08:00:00Z"
    assert a["last_run_id"] == "r2"
    assert a["articles_without_published_at"] == 1
    assert st["sources"]["site-b"]["errors_by_reason"] == {"http_404": 1}
    assert st["sources"]["news.example"]["errors_by_reason"] == {"http_500": 2}
    assert st["sources"]["news.example"]["last_fetch"] == "2026-03-03T08:01:00Z"
    import json

    json.dumps(st)  # serialisable for --json


def test_dataset_status_per_day_both_ways(data_dir):
    st = status.dataset_status(data_dir)
    fetch = {(d["source"], d["day"]): d for d in st["by_fetch_day"]}
    assert fetch[("site-a", "2026-03-01")] == {
        "source": "site-a",
        "day": "2026-03-01",
        "pages": 4,
        "pages_fetched": 4,
        "errors": 0,
        "articles_added": 3,
        "articles_revised": 0,
    }
    assert fetch[("site-a", "2026-03-02")]["errors"] == 1
    assert fetch[("site-a", "2026-03-02")]["pages_fetched"] == 5
    pub = {(d["source"], d["day"]): d["articles"] for d in st["by_published_day"]}
    assert pub == {
        ("site-a", "2026-02-27"): 1,
        ("site-a", "2026-02-28"): 2,
        ("site-a", "2026-03-02"): 1,
        ("site-b", "2026-02-27"): 1,
        ("site-b", "2026-03-01"): 1,
        ("news.example", "2026-03-02"): 1,
    }
    assert [d["day"] for d in st["by_published_day"]] == sorted(
        d["day"] for d in st["by_published_day"]
    )


def test_dataset_status_runs_newest_first(data_dir):
    runs = status.dataset_status(data_dir)["runs"]
    assert [r["run_id"] for r in runs] == ["r3", "r2", "r1"]
    r1 = runs[2]
    assert r1["sources"] == ["site-a", "site-b"]
    assert r1["first_fetched_at"] == "2026-03-01T08:00:00Z"
    assert r1["last_fetched_at"] == "2026-03-01T08:05:00Z"
    assert (r1["pages"], r1["articles_added"], r1["duplicates"], r1["errors"]) == (7, 5, 1, 1)
    r3 = runs[0]
    assert (r3["pages_fetched"], r3["articles_added"], r3["duplicates"], r3["errors"]) == (
        4,
        1,
        1,
        2,
    )
    assert len(status.dataset_status(data_dir, max_runs=1)["runs"]) == 1


def test_dataset_status_of_missing_or_empty_folder(tmp_path):
    for root in (tmp_path / "nope", tmp_path):
        st = status.dataset_status(root)
        assert st["sources"] == {} and st["runs"] == []
        assert st["totals"]["articles"] == 0
    assert status.dataset_status(tmp_path / "nope")["exists"] is False
    text = status.format_status(status.dataset_status(tmp_path / "nope"), None, "no API here")
    assert "no data yet" in text and "does not exist" in text and "no API here" in text


def test_format_status_tables(data_dir):
    runs = [
        {
            "name": "scrape-site-a-20260302-080000",
            "state": "Completed",
            "start_time": "2026-03-02T08:00:00Z",
            "duration_s": 75.2,
            "source": "site-a",
        }
    ]
    text = status.format_status(status.dataset_status(data_dir), runs)
    lines = text.splitlines()
    assert lines[0].startswith("data: ")
    assert "3 source(s), 8 articles, 4 duplicates, 16 pages fetched, 4 errors, 3 run(s)" in text
    row = next(line for line in lines if line.startswith("site-a "))
    assert row.split()[:5] == ["site-a", "5", "3", "9", "1"]
    assert "timeout 1" in row
    assert "scrape-site-a-20260302-080000  Completed" in text and "1m15s" in text
    assert "Prefect runs: not available (why not)" in status.format_status(
        status.dataset_status(data_dir), None, runs_note="why not"
    )


@pytest.mark.skipif(
    "revisions" not in TABLES or "supersede" not in inspect.signature(Dataset.commit).parameters,
    reason="this storage has no article revisions",
)
def test_dataset_status_counts_revisions(tmp_path):
    ds = build_dataset(tmp_path)
    t4 = T0 + timedelta(days=3)
    new = _article("r1", "site-b", 0, t4, datetime(2026, 2, 27, 6, tzinfo=UTC))
    new.update(run_id="r4", revision=2, text="Changed body.")
    with ds.lock():
        ds.commit(
            "r4",
            {
                "articles": _table("articles", [new]),
                "pages": _table("pages", [_page("r4", "site-b", new["url"], t4, fate="revised")]),
            },
            supersede=[new["article_id"]],
        )
    st = status.dataset_status(tmp_path)
    assert st["totals"]["articles"] == 8 and st["totals"]["revisions"] == 1
    assert st["sources"]["site-b"]["revisions"] == 1
    runs = {r["run_id"]: r for r in st["runs"]}
    assert (runs["r4"]["articles_added"], runs["r4"]["articles_revised"]) == (0, 1)
    assert runs["r1"]["articles_added"] == 5  # its superseded first text still counts for r1
    text = status.format_status(st, [])
    assert "8 articles (1 older revisions)" in text


# -- prefect_runs --------------------------------------------------------------------------
@pytest.fixture
def clean_env():
    """prefect_runs() sets Prefect's variables (prepare_prefect_env): undo that afterwards."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_prefect_runs_without_api_url_is_none_and_fast(monkeypatch, tmp_path, clean_env):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("NEWSETL_HOME", str(tmp_path))  # no `newsetl serve` server file here
    start = time.monotonic()
    assert flow_runs.prefect_runs() is None
    assert time.monotonic() - start < 3
    assert "PREFECT_API_URL" in flow_runs.last_prefect_reason


def test_prefect_runs_with_unreachable_api_is_none_and_fast(monkeypatch, tmp_path, clean_env):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    monkeypatch.setenv("NEWSETL_HOME", str(tmp_path))
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{port}/api")
    start = time.monotonic()
    assert flow_runs.prefect_runs() is None
    assert time.monotonic() - start < 5
    assert f"127.0.0.1:{port}" in flow_runs.last_prefect_reason


def test_prefect_run_row_from_a_flow_run_model():
    from prefect.client.schemas.objects import FlowRun, State, StateType

    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    run = FlowRun(
        name="scrape-site-a-20260302-080000",
        flow_id="00000000-0000-0000-0000-000000000001",
        parameters={"start_urls": ["https://site-a/"], "source": "site-a"},
        state=State(type=StateType.COMPLETED, name="Completed"),
        start_time=start,
        end_time=start + timedelta(seconds=42),
        total_run_time=timedelta(seconds=41.5),
    )
    row = flow_runs._run_row(run)
    assert row["name"] == "scrape-site-a-20260302-080000"
    assert row["state"] == "Completed"
    assert row["start_time"] == "2026-03-02T08:00:00Z"
    assert row["duration_s"] == 41.5
    assert row["source"] == "site-a"
    run.parameters = {"start_urls": ["https://x.example/"]}
    assert flow_runs._run_row(run)["source"] == "https://x.example/"


# -- HTML report ---------------------------------------------------------------------------
SECTIONS = ("articles-per-day", "fetches-per-day", "duplicates", "errors", "coverage", "runs")


def test_report_has_sections_and_escapes_untrusted_text(data_dir, tmp_path):
    out = htmlreport.write_report(data_dir, tmp_path / "sub" / "report.html")
    assert out == (tmp_path / "sub" / "report.html").resolve()
    doc = out.read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f'id="{section}"' in doc
    # No script at all, hostile text escaped, and scripts forbidden by policy anyway.
    assert "<script" not in doc.lower()
    assert "Breaking &lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in doc
    assert "<img src=x" not in doc and "&lt;img src=x onerror=alert(2)&gt;" in doc
    assert 'href="javascript:' not in doc and "javascript:alert(3)" in doc
    assert "default-src 'none'" in doc
    assert "http://" not in doc.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert doc.count('<svg class="chart"') == 4  # per day x2, duplicates, errors
    # Numbers that matter.
    assert "Without a publication date: 1 (site-a 1)" in doc
    assert "robots_disallowed 1" in doc  # skips are listed apart, not as errors
    errors = doc[doc.index('id="errors"') : doc.index('id="coverage"')]
    assert "http_500" in errors and "timeout" in errors and "robots_disallowed</code>" not in errors
    coverage = doc[doc.index('id="coverage"') : doc.index('id="recent"')]
    assert re.search(r"site-a</td><td class=\"n\">5</td>.*?80%.*?80%.*?80%.*?100%", coverage)
    runs = doc[doc.index('id="runs"') :]
    assert runs.index("<code>r3</code>") < runs.index("<code>r1</code>")


def test_report_on_missing_and_empty_folder(tmp_path):
    for root in (tmp_path / "missing", tmp_path / "empty"):
        if root.name == "empty":
            Dataset(root).ensure_writable()
        doc = htmlreport.write_report(root, tmp_path / f"{root.name}.html").read_text()
        assert 'id="no-data"' in doc
        assert ("does not exist" if root.name == "missing" else "is empty") in doc
        assert "No run recorded in the data" in doc


def test_report_lists_prefect_runs_escaped(data_dir, tmp_path):
    runs = [{"name": "scrape-<b>x</b>", "state": "Failed", "start_time": None, "source": None}]
    doc = htmlreport.write_report(data_dir, tmp_path / "r.html", prefect_runs=runs).read_text()
    assert "Prefect flow runs" in doc and "scrape-&lt;b&gt;x&lt;/b&gt;" in doc


def test_day_window_is_the_last_60_calendar_days():
    assert htmlreport._day_window([]) == []
    assert htmlreport._day_window(["2026-03-03", "2026-03-01"]) == [
        "2026-03-01",
        "2026-03-02",
        "2026-03-03",
    ]
    window = htmlreport._day_window(["2025-01-01", "2026-03-03"])
    assert len(window) == 60 and window[-1] == "2026-03-03" and window[0] == "2026-01-03"


# -- the report in a real browser ----------------------------------------------------------
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium(args: list[str], profile, timeout: float = 60) -> subprocess.CompletedProcess:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    cmd = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    env = dict(os.environ, HOME=str(profile))  # keep its caches out of the real home
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL
    )


@pytest.mark.skipif(
    not (shutil.which("chromium") or shutil.which("chromium-browser")),
    reason="chromium is not installed (Debian: apt-get install -y chromium)",
)
def test_report_renders_in_headless_chromium(data_dir, tmp_path):
    report = htmlreport.write_report(data_dir, tmp_path / "report.html")
    url = report.as_uri()
    dom = _chromium(["--dump-dom", url], tmp_path / "profile-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    # The rendered DOM has the charts, and the hostile title stayed text (no element made).
    assert html.count('<svg class="chart"') == 4
    assert html.count("<rect") > 10
    assert "<script" not in html.lower() and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for section in SECTIONS:
        assert f'id="{section}"' in html

    shot = tmp_path / "r.png"
    res = _chromium(
        [f"--screenshot={shot}", "--window-size=1200,2000", url], tmp_path / "profile-shot"
    )
    assert res.returncode == 0, res.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1200, 2000)
    assert len(data) > 20_000  # a blank page compresses to a few kB
    keep = os.environ.get("NEWSETL_REPORT_SCREENSHOT")
    if keep:  # for a human look: NEWSETL_REPORT_SCREENSHOT=/tmp/r.png pytest ...
        shutil.copy(shot, keep)


def test_status_skips_a_damaged_file(tmp_path, caplog):
    build_dataset(tmp_path)
    bad = tmp_path / "articles" / "source=site-a" / "month=2026-02" / "part-broken.parquet"
    bad.write_bytes(b"PAR1 not really parquet")
    st = status.dataset_status(tmp_path)
    assert st["totals"]["articles"] == 8 and st["sources"]["site-a"]["articles"] == 5
    assert "part-broken.parquet" in caplog.text
    assert 'id="coverage"' in htmlreport.write_report(tmp_path, tmp_path / "r.html").read_text()
