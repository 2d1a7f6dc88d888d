"""Hostile pages and load (issue 6): real HTTP servers on 127.0.0.1, the real crawl runner
in a child process (and once the whole ``newsetl scrape`` CLI), memory sampled from /proc.

The hostile site is :func:`newsetl.demo.hostile.hostile_site` (see its ``HOSTILE`` table:
every hostile path and the reasons a crawl may record for it). Each crawl must finish within
its time limit, keep the process tree's resident memory under 1 GB (VmRSS summed over the
tree every 0.1 s), listen on nothing but 127.0.0.1, and record every page's fate.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from newsetl.demo.hostile import (
    GOOD_ARTICLES,
    HOSTILE,
    GzipBomb,
    HostileServer,
    TreeSampler,
    hostile_site,
    landing_site,
)
from newsetl.demo.server import SiteServer
from newsetl.discover.documents import read_feed, read_sitemap
from newsetl.models import DISCOVERY_KINDS, PAGE_KINDS, SKIP_REASONS, FetchedPage
from spiders.payloads import sniff_payload
from tests.conftest import ROOT, newsetl_cmd

GB = 1024**3
MB = 1024**2
PAGE_LIMIT = 10 * MB  # DOWNLOAD_MAXSIZE


def _only_loopback(listening: set[tuple[str, str]]) -> None:
    bad = {(cmd, addr) for cmd, addr in listening if not addr.startswith("127.0.0.1:")}
    assert not bad, f"listening beyond 127.0.0.1: {bad}"


def _run_sampled(cmd: list[str], *, timeout: float, env: dict[str, str] | None = None) -> dict:
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with TreeSampler(proc.pid) as sampler:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"did not finish within {timeout} s: {err[-3000:]}")
    return {
        "rc": proc.returncode,
        "stdout": out,
        "stderr": err,
        "elapsed": time.monotonic() - started,
        "peak_rss": sampler.peak_rss,
        "listening": sampler.listening,
        "samples": sampler.samples,
    }


def _path(url: str, base: str) -> str | None:
    return url[len(base) :] or "/" if url.startswith(base) else None


# ---------------------------------------------------------------------------------------
# In-process: the parsers themselves


def test_xml_parsers_do_not_expand_entities() -> None:
    """Billion laughs, quadratic blow-up and an external entity (XXE) in a sitemap and a
    feed: nothing is expanded, the problem is named, it takes milliseconds."""
    laughs = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    big = "x" * 50_000
    started = time.monotonic()
    kind, entries, problem = read_sitemap(
        (
            f"<?xml version='1.0'?><!DOCTYPE urlset [{laughs}]><urlset>"
            "<url><loc>http://h/first</loc></url><url><loc>http://h/&j;</loc></url></urlset>"
        ).encode(),
        "http://h/",
    )
    assert (kind, problem) == ("urlset", "xml_bomb")
    assert entries[0].url == "http://h/first"
    assert all(len(e.url) < 100 for e in entries)
    items, problem = read_feed(
        (
            f"<?xml version='1.0'?><!DOCTYPE rss [<!ENTITY q \"{big}\">]><rss><channel><item>"
            "<link>http://h/a</link><title>" + "&q;" * 10_000 + "</title></item></channel></rss>"
        ).encode(),
        "http://h/",
    )
    assert problem == "xml_bomb" and all(len(i.title or "") < 1000 for i in items)
    _, entries, problem = read_sitemap(
        b"<?xml version='1.0'?><!DOCTYPE urlset [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
        b"<urlset><url><loc>http://h/&x;</loc></url></urlset>",
        "http://h/",
    )
    assert all("root:" not in e.url for e in entries)
    assert time.monotonic() - started < 2


def test_gzip_payload_is_capped_at_the_limit() -> None:
    """A page or sitemap whose body is a gzip file (no Content-Encoding) expanding beyond
    the response size limit is reported as too large, not inflated."""
    payload = GzipBomb(expanded=128 * MB).payload()
    assert len(payload) < 200_000
    assert sniff_payload("text/html", payload, limit=PAGE_LIMIT) == ("too_large", b"")
    assert sniff_payload("application/x-gzip", payload, limit=50 * MB) == ("too_large", b"")
    assert sniff_payload("application/x-gzip", payload, limit=200 * MB)[0] == "html"


def test_crawl_settings_open_no_listening_socket() -> None:
    """Scrapy 2.19 turns on a remote-control HTTP server (it runs code sent to it) and the
    telnet console by default; the crawl's settings turn both off, polite or not."""
    from spiders.crawl import crawl_settings

    for polite in (True, False):
        settings = crawl_settings(polite=polite)
        assert settings.getbool("REMOTE_CONTROL_ENABLED") is False
        assert settings.getbool("TELNETCONSOLE_ENABLED") is False


# ---------------------------------------------------------------------------------------
# The crawl runner against the hostile site


@pytest.mark.slow
def test_hostile_site_crawl(tmp_path: Path) -> None:
    """Every hostile path of HOSTILE, crawled by the runner child with a 2 s timeout."""
    max_pages = 60
    with ExitStack() as stack:
        landing = stack.enter_context(SiteServer(landing_site()))
        srv = stack.enter_context(HostileServer(hostile_site(landing.url + "/landing")))
        cmd = [sys.executable, "-m", "spiders.crawl", "--out", str(tmp_path)]
        cmd += ["--max-pages", str(max_pages), "--no-delay", "--timeout", "2", srv.url + "/"]
        run = _run_sampled(cmd, timeout=90)
        served = {r.path: r for r in srv.requests}
        landing_hits, base, landing_url = len(landing.requests), srv.url, landing.url
    assert run["rc"] == 0, run["stderr"][-3000:]
    assert run["elapsed"] < 45, run["elapsed"]  # the stall costs 3 x 2 s, not 3 x 20 s
    assert run["samples"] > 10
    assert run["peak_rss"] < GB, f"peak RSS {run['peak_rss'] / MB:.0f} MiB"
    _only_loopback(run["listening"])
    assert not run["listening"], run["listening"]  # no telnet console, no remote control
    assert "Telnet console" not in run["stderr"]

    print(f"\ncrawl: {run['elapsed']:.1f} s, peak RSS {run['peak_rss'] / MB:.0f} MiB")
    records = [
        FetchedPage.from_dict(json.loads(line))
        for line in (tmp_path / "pages.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    stats = json.loads((tmp_path / "stats.json").read_text(encoding="utf-8"))
    for rec in records:
        assert rec.kind in PAGE_KINDS and rec.discovered_via in DISCOVERY_KINDS, rec
    got = {p: r for r in records if (p := _path(r.url, base)) is not None}

    # Each hostile path: fetched once (no duplicates in the log), with its expected fate.
    for path, hostile in HOSTILE.items():
        rec = got.get(path)
        if rec is not None:
            print(f"  {path:32} {rec.kind:8} {rec.status!s:5} {rec.reason!s:18} {rec.bytes}")
        assert rec is not None, f"{path} ({hostile.what}) not recorded"
        assert rec.kind == hostile.kind, (path, rec)
        assert rec.reason in hostile.reasons, (path, hostile.what, rec.reason)
        if rec.reason == "too_large":
            assert rec.body_path is None and rec.bytes <= 50 * MB, rec
    # Too large: cancelled long before the 50 MB were sent; bombs never inflated to disk.
    for path in ("/big/content-length", "/big/streamed"):
        assert served[path].bytes < 50 * MB, (path, served[path].bytes)
    assert sum(f.stat().st_size for f in (tmp_path / "bodies").iterdir()) < 5 * MB
    # The stall was retried (timeouts are transient), each attempt cut at 2 s (on a busy
    # machine another slow download may time out too: at least the stall's two retries).
    timeouts = [
        k for k in stats["scrapy"] if k.startswith("retry/reason_count/") and "Timeout" in k
    ]
    assert timeouts and sum(stats["scrapy"][k] for k in timeouts) >= 2, stats["scrapy"]
    # Offsite redirect: recorded with its target, the other host never contacted.
    away = got["/away"]
    assert away.status == 302 and away.final_url == landing_url + "/landing"
    assert landing_hits == 0
    # The crawl went on: ordinary pages, the entry listed before the sitemap's bomb and
    # the one from the good feed were fetched and kept.
    for path in GOOD_ARTICLES:
        rec = got[path]
        assert rec.status == 200 and rec.reason is None and rec.body_path, rec
    assert got["/news/listed-before-the-bomb"].in_sitemap
    assert "/news/listed-after-the-bomb" not in got  # the sitemap was cut at the bomb
    # Hostile content is stored as received.
    for path in ("/news/deep-nesting", "/news/nul-bytes", "/news/one-long-line"):
        assert got[path].body_path and got[path].status == 200
    # Endless pagination: bounded by --max-pages.
    listing = [p for p in got if p.startswith("/list/")]
    assert 5 < len(listing) < max_pages
    assert stats["finish_reason"] == "max_pages" and stats["budget_exhausted"]
    assert sum(1 for p in served if p.startswith("/list/")) <= max_pages
    assert stats["pages_fetched"] <= max_pages


# ---------------------------------------------------------------------------------------
# The whole CLI: crawl, extraction, dedupe, Parquet


@pytest.mark.slow
def test_hostile_site_through_cli(cli_env: dict[str, str], tmp_path: Path) -> None:
    """``newsetl scrape`` of the hostile site (no stall: the CLI keeps the 20 s timeout):
    completes, < 1 GB, each page's fate in the ``pages`` table, hostile content extracted
    cleanly."""
    import pandas as pd

    data = tmp_path / "data"
    with ExitStack() as stack:
        landing = stack.enter_context(SiteServer(landing_site()))
        srv = stack.enter_context(
            HostileServer(hostile_site(landing.url + "/landing", stall=False))
        )
        cmd = newsetl_cmd(
            "scrape", srv.url + "/", "--data-dir", str(data), "--no-delay", "--max-pages", "40"
        )
        run = _run_sampled(cmd, timeout=180, env=cli_env)
        landing_hits, base = len(landing.requests), srv.url
    assert run["rc"] == 0, run["stderr"][-3000:]
    assert run["peak_rss"] < GB, f"peak RSS {run['peak_rss'] / MB:.0f} MiB"
    _only_loopback(run["listening"])
    assert landing_hits == 0

    print(f"\ncli: {run['elapsed']:.1f} s, peak RSS {run['peak_rss'] / MB:.0f} MiB")
    pages = pd.read_parquet(data / "pages")
    rows: dict[str, dict[str, Any]] = {}
    for row in pages.to_dict("records"):
        path = _path(row["url"], base)
        if path is not None:
            rows.setdefault(path, row)
    for path, hostile in HOSTILE.items():
        if path == "/stall":
            continue
        row = rows.get(path)
        assert row is not None, f"{path} ({hostile.what}) not in the pages table"
        print(f"  {path:32} {row['reason']!s:18} {row['fate']}")
        reason = row["reason"] if isinstance(row["reason"], str) else None
        assert reason in hostile.reasons, (path, reason)
        if reason is not None:
            # A page left out on purpose (an off-site redirect) is not a failed fetch.
            expected = f"not_fetched:{reason}" if reason in SKIP_REASONS else "failed"
            assert row["fate"] == expected, (path, row["fate"])
    articles = pd.read_parquet(data / "articles")
    by_path = {
        _path(u, base): r for u, r in zip(articles["url"], articles.to_dict("records"), strict=True)
    }
    for path in (*GOOD_ARTICLES, "/news/deep-nesting", "/news/invalid-utf8", "/news/nul-bytes"):
        assert path in by_path, (path, rows.get(path, {}).get("fate"))
        assert rows[path]["fate"] == "article"
    for art in by_path.values():
        title = art["title"] if isinstance(art["title"], str) else ""  # null: NaN in pandas
        assert "\x00" not in art["text"] and "\x00" not in title
    # Deep nesting: the text around and inside the 100,000 levels is all there.
    deep = by_path["/news/deep-nesting"]
    assert deep["word_count"] >= 200 and deep["title"] == "Deep nesting"
    assert "Deep inside the nest" in deep["text"]
    # Invalid UTF-8 in a page that declares UTF-8: stays UTF-8, no mojibake, no NUL.
    utf8 = by_path["/news/invalid-utf8"]
    assert utf8["word_count"] >= 150 and "\x00" not in utf8["text"]
    assert "\x00" not in utf8["title"] and "Zürich" in utf8["title"]
    nul = by_path["/news/nul-bytes"]
    assert "trailing words here" in nul["text"] and nul["title"].startswith("NUL")
    # One megabyte on one line: extracted as an article.
    assert rows["/news/one-long-line"]["fate"] == "article"
    assert by_path["/news/one-long-line"]["word_count"] > 10_000


def test_text_inside_deep_nesting_is_extracted() -> None:
    from newsetl.extraction import extract_article

    site = hostile_site()
    site.bind("http://127.0.0.1:9")
    body = site["/news/deep-nesting"].body
    started = time.monotonic()
    ex = extract_article(body, "http://127.0.0.1:9/news/deep-nesting", encoding_hint="utf-8")
    assert time.monotonic() - started < 10
    assert "Deep inside the nest" in ex.text
    assert "Copyright" not in ex.text


def test_declared_utf8_with_a_few_bad_bytes_stays_utf8() -> None:
    from newsetl.extraction import extract_article

    site = hostile_site()
    site.bind("http://127.0.0.1:9")
    body = site["/news/invalid-utf8"].body
    ex = extract_article(body, "http://127.0.0.1:9/news/invalid-utf8", encoding_hint="utf-8")
    assert ex.title and "Zürich" in ex.title
    assert "Café 0 in Zürich — “" in ex.text and "Ã" not in ex.text
    assert ex.text.count("\ufffd") <= 10


# ---------------------------------------------------------------------------------------
# Load


@pytest.mark.slow
def test_load_throughput_is_steady(tmp_path: Path) -> None:
    """2,000 pages (listings + sitemaps) in one crawl: all fetched, the last third's pages/s
    at least half the first third's, peak RSS < 1 GB."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.load import report, run_load

    res = run_load(2000, tmp_path / "crawl", timeout=120)
    print(report(res))
    assert res.returncode == 0, res.stderr_tail
    assert res.fetched == res.pages == 2000 and res.stats["errors"] == 0
    assert res.stats["finish_reason"] in ("finished", "max_pages")
    first, _, last = res.thirds()
    assert last >= 0.5 * first, (first, last)
    assert res.peak_rss < GB
    _only_loopback(res.listening)
