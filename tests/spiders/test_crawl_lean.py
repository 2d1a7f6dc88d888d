"""The lean crawl: pagination stops at known listings in incremental mode, the cheap WARC
gzip level, pages.jsonl readable while the crawl runs, the end mark, start-up imports.

A small listing-only site (no sitemap, no feed: listings are the only way to articles),
served on 127.0.0.1; the runner as a child process with ``--no-delay``
(``tests.spiders.test_spider.crawl``).
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from newsetl.archive import GZIP_LEVEL, ArchiveWriter, iter_archived_pages
from newsetl.demo.server import Resource, Site, SiteServer
from newsetl.discover.links import analyse_html

from .test_spider import ROOT, crawl, requested

pytestmark = pytest.mark.slow

PER_PAGE = 3


def _story(i: int) -> str:
    return f"/news/2024/05/story-{i:03d}.html"


def _listing_path(n: int) -> str:
    return "/" if n == 1 else f"/news?page={n}"


def _build(site: Site, base: str) -> dict[str, Resource]:
    """Listing pages newest first, PER_PAGE stories each, ``rel=next`` pagination; every
    page has the same chrome: a nav (listing-shaped links) and a sidebar link that could be
    an article by its shape (``/weather``)."""
    stories: list[int] = site.data["stories"]  # newest first
    pages = [stories[i : i + PER_PAGE] for i in range(0, len(stories), PER_PAGE)]
    chrome = (
        f'<nav><a href="{base}/about-us">About</a> <a href="/category/world/">World</a></nav>'
        '<aside><a href="/weather">Weather</a></aside>'
    )
    out: dict[str, Resource] = {}
    for n, chunk in enumerate(pages, start=1):
        cards = "".join(f'<li><a href="{_story(i)}">Story number {i}</a></li>' for i in chunk)
        nxt = f'<a rel="next" href="{_listing_path(n + 1)}">Older</a>' if n < len(pages) else ""
        out[_listing_path(n)] = Resource(
            f"<!DOCTYPE html><html><head><title>News {n}</title></head><body>{chrome}"
            f"<ul>{cards}</ul>{nxt}</body></html>"
        )
    for i in stories:
        out[_story(i)] = Resource(
            "<!DOCTYPE html><html><head><title>Story</title>"
            '<meta property="og:type" content="article"></head><body><article><h1>'
            f"Story number {i}</h1><p>{'Words of the story. ' * 40}</p></article>"
            f'<aside><a href="/weather">Weather</a></aside></body></html>'
        )
    out["/weather"] = Resource(
        f"<!DOCTYPE html><html><head><title>Weather</title></head><body>{chrome}"
        "<p>Sunny.</p></body></html>"
    )
    out["/about-us"] = Resource("<!DOCTYPE html><html><body><p>About us.</p></body></html>")
    out["/category/world/"] = Resource(
        f"<!DOCTYPE html><html><body>{chrome}<p>World.</p></body></html>"
    )
    return out


def listing_site(n: int = 15) -> Site:
    return Site("listings", build=_build, data={"stories": list(range(n, 0, -1))})


def known_file(path: Path, records: list[Any]) -> Path:
    """What the flow writes: one line per article fetched before."""
    lines = [
        {
            "url": r.final_url or r.url,
            "is_article": True,
            "etag": r.etag,
            "last_modified": r.last_modified,
            "fetched_at": r.fetched_at,
        }
        for r in records
        if r.status == 200 and "/news/2024/" in r.url
    ]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return path


def listings_asked(srv: SiteServer) -> list[str]:
    return sorted(p for p in requested(srv) if p == "/" or p.startswith("/news?page="))


def test_incremental_pagination_stops_at_known_listings(tmp_path: Path) -> None:
    site = listing_site(15)  # 5 listing pages
    all_listings = sorted(["/"] + [f"/news?page={n}" for n in range(2, 6)])
    with SiteServer(site) as srv:
        # Full crawl: every listing page and every story.
        first = crawl(tmp_path / "full", [srv.url + "/"])
        assert listings_asked(srv) == all_listings
        stories = {_story(i) for i in range(1, 16)}
        assert stories <= requested(srv)
        assert "pagination_all_known" not in first["stats"]["not_scheduled"]
        known = known_file(tmp_path / "known.jsonl", first["records"])

        # Nothing new: page 1 shows only known stories, but also /weather (could be an
        # article by its shape, not known): one more page; page 2 shows nothing that page 1
        # did not, so the crawl stops there.
        srv.clear_log()
        res = crawl(tmp_path / "warm", [srv.url + "/"], "--known", str(known))
        assert listings_asked(srv) == ["/", "/news?page=2"]
        assert not stories & requested(srv)
        stats = res["stats"]
        assert stats["not_scheduled"]["pagination_all_known"] == 1
        assert stats["skipped_known"] == 2 * PER_PAGE and stats["errors"] == 0
        # the listing pages fetched are recorded as usual
        got = {r.url[len(srv.url) :] or "/": r for r in res["records"]}
        assert got["/news?page=2"].discovered_via == "pagination"
        assert got["/news?page=2"].body_path and got["/"].body_path

        # The known file also says /weather was found not to be an article before (the
        # flow writes such lines for fate not_article:*): the crawl stops at page 1.
        with open(known, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"url": srv.url + "/weather", "is_article": False}) + "\n")
        srv.clear_log()
        res = crawl(tmp_path / "warm2", [srv.url + "/"], "--known", str(known))
        assert listings_asked(srv) == ["/"]
        assert "/weather" in requested(srv)  # still fetched as a page
        assert not stories & requested(srv)

        # Four new stories at the top: pages 1 and 2 show new ones, page 3 none.
        site.data["stories"] = list(range(19, 15, -1)) + site.data["stories"]
        site.rebuild()
        srv.clear_log()
        res = crawl(tmp_path / "new", [srv.url + "/"], "--known", str(known))
        assert listings_asked(srv) == ["/", "/news?page=2", "/news?page=3"]
        assert res["stats"]["known_urls"] == 16 and res["stats"]["known_articles"] == 15
        new = {_story(i) for i in range(16, 20)}
        assert new <= requested(srv)
        assert not stories & requested(srv)
        assert res["stats"]["not_scheduled"]["pagination_all_known"] == 1

        # A known file without articles on these listings changes nothing.
        other = tmp_path / "other.jsonl"
        other.write_text(json.dumps({"url": srv.url + "/elsewhere-a-b-c", "is_article": True}))
        srv.clear_log()
        crawl(tmp_path / "other", [srv.url + "/"], "--known", str(other))
        assert len(listings_asked(srv)) == 7  # 19 stories, 3 a page


def test_pages_jsonl_is_flushed_and_stats_marks_the_end(tmp_path: Path) -> None:
    """Each record is on disk as soon as it is written (a reader can follow the file while
    the crawl runs); stats.json appears only at the end, and a stale one is removed."""
    site = listing_site(60)
    slow = Resource(b"<!DOCTYPE html><html><body><p>slow</p></body></html>", delay=3.0)
    with SiteServer(site) as srv:
        site["/weather"] = slow  # the crawl cannot end before this answers
        out = tmp_path / "out"
        out.mkdir()
        (out / "stats.json").write_text("{}")  # left over from an earlier run
        cmd = [sys.executable, "-m", "spiders.crawl", "--out", str(out), "--no-delay"]
        proc = subprocess.Popen([*cmd, "--max-pages", "200", srv.url + "/"], cwd=ROOT)
        try:
            deadline = time.monotonic() + 30
            lines: list[str] = []
            while time.monotonic() < deadline:
                path = out / "pages.jsonl"
                if path.exists():
                    lines = path.read_text(encoding="utf-8").splitlines()
                    if len(lines) >= 10:
                        break
                time.sleep(0.05)
            assert len(lines) >= 10, "pages.jsonl not written while the crawl runs"
            assert proc.poll() is None, "the crawl ended before the slow page answered"
            assert not (out / "stats.json").exists()  # the stale end mark is gone
            for line in lines:
                assert json.loads(line)["url"]  # whole lines only
        finally:
            assert proc.wait(timeout=60) == 0
        stats = json.loads((out / "stats.json").read_text())
        n = len((out / "pages.jsonl").read_text().splitlines())
        assert stats["records"] == n and stats["finish_reason"] == "finished"
        assert not (out / "stats.json.tmp").exists()


def test_archive_gzip_level_and_validity(tmp_path: Path) -> None:
    """Records are gzip members at GZIP_LEVEL (not warcio's 9); the file stays a WARC that
    warcio reads with digests checked, and gunzips as a whole."""
    assert 1 <= GZIP_LEVEL <= 3
    body = b"<html><body>" + b"<p>some words of a news article</p>" * 3000 + b"</body></html>"
    path = tmp_path / "a.warc.gz"
    with ArchiveWriter(path, info={"robots": "obey"}) as w:
        for i in range(3):
            w.write_fetch(
                url=f"http://h/{i}",
                status=200,
                response_headers=[("Content-Type", "text/html")],
                body=body,
                fetched_at="2024-05-01T10:00:00+00:00",
                metadata={"url": f"http://h/{i}", "kind": "page"},
            )
    data = path.read_bytes()
    with open(path, "rb") as fh:
        types = [r.rec_type for r in ArchiveIterator(fh, check_digests=True)]
    assert types == ["warcinfo"] + ["request", "response", "metadata"] * 3
    pages = list(iter_archived_pages(path))
    assert [p.body for p in pages] == [body] * 3 and pages[0].meta["kind"] == "page"
    assert gzip.decompress(data).count(b"WARC/1.0\r\n") == 10
    # one member per record; each a deflate stream at our level (XFL byte: 4 = fastest)
    assert data[:2] == b"\x1f\x8b" and data[8] == (4 if GZIP_LEVEL == 1 else 0)
    level9 = zlib.compressobj(9, zlib.DEFLATED, 31)
    assert len(data) < 2 * (len(level9.compress(gzip.decompress(data)) + level9.flush()))


def test_resolved_links_match_urljoin() -> None:
    """analyse_html resolves root-relative and absolute hrefs once per origin: the result
    is what urljoin gives against the page's own URL or <base>."""
    from urllib.parse import urljoin

    hrefs = [
        "/a/../b",
        "//other.example/x",
        "http://h/./y?q#f",
        "https://h2/z",
        "rel/p",
        "../up",
        "?q=1",
        "/a/%7Eb",
        "HTTP://H/Q",
        "/..",
    ]
    page = "<html><body>" + "".join(f'<a href="{h}">x</a>' for h in hrefs) + "</body></html>"
    for url in ("http://h/x/y", "https://h:8443/", "http://user@h/a/b?c=d", "http://h"):
        for doc in (page, page.replace("<body>", '<head><base href="/s/d/"></head><body>')):
            base = urljoin(url, "/s/d/") if "<base" in doc else url
            links = analyse_html(doc.encode(), url).links
            assert links == [urljoin(base, h) for h in hrefs], (url, doc[:40])


def test_a_link_that_is_no_url_loses_only_itself() -> None:
    """A bracketed host that is no IPv6 address (a consent widget's placeholder, seen on a
    real news page) makes urlsplit raise: that link is skipped, the page's others kept,
    with the same headlines and heading marks whether an anchor text is plain or nested."""
    page = (
        b'<html><body><a href="https://[ccpa-preferences]/x">Do not sell</a>'
        b'<h2><a href="/news/one">A plain headline of several words</a></h2>'
        b'<h3><span><a href="/news/two"><b>A nested</b> headline of words</a></span></h3>'
        b'<a href="/news/three"><h4>Holding its heading here</h4></a>'
        b'<a href="/news/four">Just a link with some words</a></body></html>'
    )
    info = analyse_html(page, "https://site.example/")
    assert info.links == [f"https://site.example/news/{n}" for n in ("one", "two", "three", "four")]
    assert info.in_headings == {f"https://site.example/news/{n}" for n in ("one", "two", "three")}
    assert info.headlines["https://site.example/news/two"] == "A nested headline of words"
    assert info.headlines["https://site.example/news/four"] == "Just a link with some words"


def test_child_imports_no_unused_components(tmp_path: Path) -> None:
    """The crawl child does not import what it never uses (start-up time): a whole crawl
    (of a refused port) under ``-X importtime``."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "spiders.crawl", "--out", str(tmp_path)]
        + ["--no-delay", "--max-pages", "1", "http://127.0.0.1:1/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "stats.json").exists()
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "scrapy.core.engine" in imported  # the check sees the crawl's imports
    heavy = {
        "aiohttp",
        "tldextract",
        "pandas",
        "pyarrow",
        "prefect",
        "trafilatura",
        "newsetl.extraction",
        "newsetl.pipeline",
        "scrapy.extensions.feedexport",
        "scrapy.extensions.remote_control",
        "twisted.conch",
    }
    assert not heavy & imported, heavy & imported


def test_known_pages_lists_articles_then_non_articles() -> None:
    import pyarrow as pa

    from newsetl.crawldir import known_pages

    t = "2024-05-01T10:00:00+00:00"
    when = datetime.fromisoformat(t)
    rows = [
        ("http://h/a-b-c", None, "page", "article", '"e1"', None, when),
        ("http://h/", None, "page", "not_article:listing", None, None, when),
        ("http://h/x", "http://h/x-y-z", "page", "not_article:thin", None, None, when),
        ("http://h/dead", None, "page", "failed", None, None, when),
        ("http://h/feed", None, "feed", "feed", None, None, when),
        ("http://h/a-b-c", None, "page", "not_article:thin", None, None, when),
    ]
    names = ["url", "final_url", "kind", "fate", "etag", "last_modified", "fetched_at"]
    table = pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)})
    got = known_pages(table)
    assert got[0] == {
        "url": "http://h/a-b-c",
        "is_article": True,
        "etag": '"e1"',
        "last_modified": None,
        "fetched_at": t,
        "listed_date": None,  # a fetch log written before the column existed
    }
    assert got[1:] == [
        {"url": u, "is_article": False} for u in ("http://h/", "http://h/x", "http://h/x-y-z")
    ]


def test_links_that_read_as_headlines_carry_their_text() -> None:
    """A listing names its stories by their headlines; a menu its sections in a word or
    two. The headline travels with the link as evidence (``listed_title``)."""
    doc = (
        '<html><body><nav><a href="/world/">World</a><a href="/about/">About us</a></nav>'
        '<main><h2><a href="/p/1">Ferry   terminal delayed <b>again</b></a></h2>'
        '<h2><a href="/p/2">Council votes to rebuild the harbour wall</a></h2></main>'
        "</body></html>"
    )
    info = analyse_html(doc.encode(), "https://h.example/")
    assert info.headlines == {
        "https://h.example/p/1": "Ferry terminal delayed again",
        "https://h.example/p/2": "Council votes to rebuild the harbour wall",
    }
    assert "https://h.example/world/" in info.links
