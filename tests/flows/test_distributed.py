"""Distributed crawl mode (spiders.frontier): three crawler processes share one Redis
frontier over a generated site of a few thousand small pages.

Needs the ``redis-server`` binary (apt-get install -y redis-server); skipped without it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from newsetl.demo.server import Resource, Site, SiteServer

ROOT = Path(__file__).resolve().parents[2]
N_ARTICLES = 2000
PER_PAGE = 25
PER_SITEMAP = 500
XML = "application/xml; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"

pytestmark = pytest.mark.slow
FAST = ("--idle-timeout", "1.5")  # finish soon after the shared frontier runs dry


# -- a site of N small articles ------------------------------------------------------------


def article_path(i: int) -> str:
    return f"/news/2024/{i % 12 + 1:02d}/story-{i:05d}.html"


def build_many(site: Site, base: str) -> dict[str, Resource]:
    """``N_ARTICLES`` articles, a paginated listing linking them (newest first), a
    sitemap index of post sitemaps listing all of them, an RSS feed of the latest 50."""
    n = site.data.get("n", N_ARTICLES)
    out: dict[str, Resource] = {}
    for i in range(n):
        out[article_path(i)] = Resource(
            "<!DOCTYPE html><html><head>"
            f"<title>Story {i}</title><meta property='og:type' content='article'>"
            f"<link rel='canonical' href='{base}{article_path(i)}'></head><body>"
            f"<article><h1>Story number {i}</h1><p>Body of story {i}. "
            + "Words of news. " * 20
            + "</p></article></body></html>"
        )
    newest = list(range(n - 1, -1, -1))
    pages = -(-n // PER_PAGE)
    for p in range(1, pages + 1):
        path = "/" if p == 1 else f"/page/{p}/"
        items = newest[(p - 1) * PER_PAGE : p * PER_PAGE]
        links = "".join(f"<li><a href='{article_path(i)}'>Story {i}</a></li>" for i in items)
        nxt = f"<a rel='next' href='/page/{p + 1}/'>Next</a>" if p < pages else ""
        out[path] = Resource(
            "<!DOCTYPE html><html><head><title>Many news</title>"
            f"<link rel='alternate' type='application/rss+xml' href='{base}/feed.xml'>"
            f"</head><body><ul>{links}</ul>{nxt}</body></html>"
        )
    index = []
    for k, start in enumerate(range(0, n, PER_SITEMAP), start=1):
        urls = "".join(
            f"<url><loc>{base}{article_path(i)}</loc><lastmod>2024-05-01</lastmod></url>"
            for i in range(start, min(n, start + PER_SITEMAP))
        )
        out[f"/post-sitemap{k}.xml"] = Resource(
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>',
            content_type=XML,
        )
        index.append(f"<sitemap><loc>{base}/post-sitemap{k}.xml</loc></sitemap>")
    out["/sitemap.xml"] = Resource(
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(index)
        + "</sitemapindex>",
        content_type=XML,
    )
    items = "".join(
        f"<item><title>Story {i}</title><link>{base}{article_path(i)}</link></item>"
        for i in newest[:50]
    )
    out["/feed.xml"] = Resource(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Many</title>{items}'
        "</channel></rss>",
        content_type=RSS,
    )
    out["/robots.txt"] = Resource(
        f"User-agent: *\nDisallow: /private/\nSitemap: {base}/sitemap.xml\n",
        content_type="text/plain",
    )
    return out


# -- Redis -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not installed (apt-get install -y redis-server)")
    redis = pytest.importorskip("redis")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def server():
    with SiteServer(Site("many", build=build_many, data={"n": N_ARTICLES}, gzip=False)) as srv:
        yield srv


# -- helpers ---------------------------------------------------------------------------------


def crawl_cmd(out: Path, url: str, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "spiders.crawl",
        "--out",
        str(out),
        "--max-pages",
        "5000",
        "--no-delay",
        "--no-archive",
        *extra,
        url,
    ]


def start(cmd: list[str], log: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with open(log, "wb") as fh:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)


def records(out: Path) -> list[dict]:
    path = out / "pages.jsonl"
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip().endswith("}")]


def fetched(out: Path) -> dict[str, dict]:
    """Page records with a response, by URL."""
    return {
        r["url"]: r for r in records(out) if r["kind"] == "page" and r.get("status") is not None
    }


def repeated(server: SiteServer) -> dict[str, int]:
    """Paths requested more than once (robots.txt is fetched once per process)."""
    counts = Counter(r.path for r in server.requests if r.path != "/robots.txt")
    return {p: n for p, n in counts.items() if n > 1}


def wait_all(procs: list[subprocess.Popen], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for q in procs:
                if q.poll() is None:
                    q.kill()
            pytest.fail("crawler processes did not finish in time")


@pytest.fixture(scope="module")
def single(server, tmp_path_factory):
    """The reference: one embedded-mode process."""
    out = tmp_path_factory.mktemp("single")
    server.clear_log()
    proc = start(crawl_cmd(out, server.url + "/"), out.parent / "single.log")
    wait_all([proc], 80)
    assert proc.returncode == 0, (out.parent / "single.log").read_text()
    pages = fetched(out)
    assert repeated(server) == {}
    return pages


def frontier_stats(url: str, name: str) -> dict[str, int]:
    import redis

    raw = redis.Redis.from_url(url).hgetall(f"newsetl:{name}:stats")
    return {k.decode(): int(v) for k, v in raw.items()}


# -- tests -----------------------------------------------------------------------------------


def test_three_processes_share_one_frontier(server, redis_url, single, tmp_path):
    assert len(single) > N_ARTICLES  # the articles plus the listing pages
    server.clear_log()
    outs = [tmp_path / f"w{i}" for i in range(3)]
    procs = [
        start(
            crawl_cmd(out, server.url + "/", "--redis-url", redis_url, "--frontier", "t1", *FAST),
            tmp_path / f"w{i}.log",
        )
        for i, out in enumerate(outs)
    ]
    wait_all(procs, 80)
    for i, p in enumerate(procs):
        assert p.returncode == 0, (tmp_path / f"w{i}.log").read_text()
    per = [fetched(out) for out in outs]
    union: dict[str, dict] = {}
    for pages in per:
        assert not (union.keys() & pages.keys()), "a page was fetched by two processes"
        union.update(pages)
    assert union.keys() == single.keys()
    assert repeated(server) == {}
    assert server.count("/robots.txt") <= 3
    # Every process did a share of the work.
    for pages in per:
        assert len(pages) >= len(single) // 10, [len(p) for p in per]
    # Sitemap/feed evidence travelled with the requests.
    for url, rec in single.items():
        assert union[url]["in_sitemap"] == rec["in_sitemap"], url
        assert union[url]["in_feed"] == rec["in_feed"], url
    stats = [json.loads((out / "stats.json").read_text()) for out in outs]
    assert sum(s["html_pages"] for s in stats) == len(single)
    assert all(s["distributed"]["frontier"] == "t1" for s in stats)


def test_killed_worker_loses_nothing(server, redis_url, single, tmp_path):
    server.clear_log()
    outs = [tmp_path / f"w{i}" for i in range(4)]
    args = ("--redis-url", redis_url, "--frontier", "t2", "--lease", "2", *FAST)
    procs = [
        start(crawl_cmd(out, server.url + "/", *args), tmp_path / f"w{i}.log")
        for i, out in enumerate(outs[:3])
    ]
    # Kill one worker mid-run, once it has fetched a hundred pages (of about 2,100 shared
    # by three: on a loaded machine the first worker's share can be under 300).
    deadline = time.monotonic() + 60
    while len(fetched(outs[0])) < 100 and procs[0].poll() is None:
        assert time.monotonic() < deadline, "worker 0 made no progress"
        time.sleep(0.05)
    assert procs[0].poll() is None, "worker 0 finished before it could be killed"
    os.kill(procs[0].pid, signal.SIGKILL)
    procs[0].wait()
    # A replacement joins the same frontier (the others would finish the work too).
    procs.append(start(crawl_cmd(outs[3], server.url + "/", *args), tmp_path / "w3.log"))
    wait_all(procs[1:], 80)
    for i, p in enumerate(procs[1:], start=1):
        assert p.returncode == 0, (tmp_path / f"w{i}.log").read_text()
    union: dict[str, dict] = {}
    for out in outs:
        union.update(fetched(out))
    assert union.keys() == single.keys()
    # Only what the killed worker had in flight may have been fetched twice.
    reclaimed = frontier_stats(redis_url, "t2").get("reclaimed", 0)
    again = repeated(server)
    assert reclaimed > 0
    assert len(again) <= reclaimed, (again, reclaimed)
    assert all(n == 2 for n in again.values()), again
    print(f"killed worker: {reclaimed} requests requeued, {len(again)} fetched twice")
    # The killed worker's pages.jsonl is a partial crawl; the others' are complete.
    assert sum(len(fetched(out)) for out in outs[1:]) + len(fetched(outs[0])) >= len(single)


def test_evidence_found_after_a_request_was_queued_reaches_its_page(redis_url):
    """A sitemap or feed entry seen after its page was queued (by any worker): every field
    of it, the language of a Google News sitemap included, comes out with the request."""
    from spiders.frontier import Frontier

    frontier = Frontier(redis_url, "late-evidence")
    frontier.reset()
    late = {
        "in_sitemap": True,
        "lastmod": "2024-05-02",
        "listed_title": "A headline",
        "listed_published": "2024-05-02T09:30:00+02:00",
        "listed_language": "de",
    }
    assert frontier.enqueue("page-key\n{}", priority=1, fingerprint="fp-1") == 1
    frontier.add_evidence("page-key", late)
    rid, payload, evidence = frontier.pop()
    assert payload.startswith("page-key\n")
    assert evidence == {k: ("1" if v is True else v) for k, v in late.items()}
