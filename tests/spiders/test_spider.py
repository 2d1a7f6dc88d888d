"""The crawl runner against real HTTP servers on 127.0.0.1 (the bundled demo sites).

Each crawl runs ``python -m spiders.crawl`` in a child process, as the flows do, then the
tests read ``pages.jsonl`` / ``stats.json`` and the servers' request logs. Assertions are
grouped per crawl to keep the file fast (a tiny crawl costs ~2.5 s, mostly start-up).
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from newsetl.demo.server import Resource, SiteServer
from newsetl.demo.sites import EXPECTED, error_site, news_site, wix_blog
from newsetl.discover.documents import read_feed, read_sitemap, sniff
from newsetl.discover.links import analyse_html
from newsetl.models import DISCOVERY_KINDS, PAGE_KINDS, FetchedPage
from spiders.middlewares import retry_after_seconds
from spiders.payloads import robots_sitemaps, sniff_payload

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def crawl(out: Path, urls: list[str], *extra: str, max_pages: int = 200) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "spiders.crawl", "--out", str(out), "--max-pages", str(max_pages)]
    cmd += ["--no-delay", *extra, *urls]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = (out / "pages.jsonl").read_text(encoding="utf-8").splitlines()
    records = [FetchedPage.from_dict(json.loads(line)) for line in lines]
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    for rec in records:  # the fixed vocabularies of newsetl.models
        assert rec.kind in PAGE_KINDS and rec.discovered_via in DISCOVERY_KINDS, rec
    return {"records": records, "stats": stats, "stderr": proc.stderr, "out": out}


def path_of(url: str | None, srv: SiteServer) -> str | None:
    if url is None or not url.startswith(srv.url):
        return None
    return url[len(srv.url) :] or "/"


def by_path(records: list[FetchedPage], srv: SiteServer) -> dict[str, FetchedPage]:
    return {p: r for r in records if (p := path_of(r.url, srv)) is not None}


def requested(srv: SiteServer) -> set[str]:
    return {r.path for r in srv.requests}


# ---------------------------------------------------------------------------------------


def test_two_sites_from_their_roots(tmp_path: Path) -> None:
    """Site roots of the Wix-like blog and the WordPress-like news site, in one run."""
    with ExitStack() as stack:
        wix = stack.enter_context(SiteServer(wix_blog()))
        news = stack.enter_context(SiteServer(news_site()))
        res = crawl(tmp_path, [wix.url + "/", news.url + "/"])
        records, stats = res["records"], res["stats"]
        for srv, truth in ((wix, EXPECTED["wix"]), (news, EXPECTED["news"])):
            got = by_path(records, srv)
            # every post fetched and kept, with the sitemap/feed evidence attached
            for path in truth["articles"]:
                rec = got.get(path)
                assert rec is not None, f"{truth['site']}: {path} not fetched"
                assert rec.status == 200 and rec.reason is None and rec.body_path
                assert rec.in_sitemap and rec.lastmod, path
                assert rec.encoding_hint and rec.encoding_hint.lower() == "utf-8"
                assert rec.start_url == srv.url + "/"
                body = (tmp_path / rec.body_path).read_bytes()
                assert body == srv.site[path].body  # raw bytes, after Content-Encoding
            assert any(r.in_feed for r in got.values())
            # robots.txt and the sitemaps it names (index -> children), the feed
            assert got["/robots.txt"].kind == "robots" and got["/robots.txt"].status == 200
            for path in truth["sitemaps"]:
                assert got[path].kind == "sitemap" and got[path].status == 200, path
            for path in truth["feeds"]:
                assert got[path].kind == "feed" and got[path].status == 200, path
            # every HTML record is one fetch; each path requested once (dedupe)
            counts = [r.path for r in srv.requests]
            assert len(counts) == len(set(counts)), "a path was requested twice"
            assert all(
                (r.user_agent or "").startswith("newsetl/0.1 (+https://") for r in srv.requests
            )
        wix_got, news_got = by_path(records, wix), by_path(records, news)
        # listing pagination
        assert wix_got["/blog/page/2"].discovered_via == "pagination"
        assert wix_got["/blog/page/3"].status == 200
        assert news_got["/page/2/"].discovered_via == "pagination"
        # the sitemap index's children were found through it
        assert wix_got["/blog-posts-sitemap.xml"].discovered_via == "sitemap"
        assert news_got["/wp-sitemap-posts-post-1.xml"].discovered_via == "sitemap"
        # /sitemap.xml is tried on the news site and is a 404 there: recorded, not an error
        assert news_got["/sitemap.xml"].kind == "sitemap"
        assert news_got["/sitemap.xml"].reason == "http_404"
        assert stats["errors"] == 0 and stats["finish_reason"] == "finished"
        # images are never requested (not links), nothing outside the two servers was
        assert not any(p.startswith(("/media/", "/wp-content/")) for p in requested(wix))
        total = len(wix.requests) + len(news.requests)
        assert stats["scrapy"]["downloader/request_count"] == total
        assert stats["pages_fetched"] == sum(
            1 for r in records if r.kind == "page" and r.status is not None
        )
        assert stats["html_pages"] == sum(1 for r in records if r.body_path)
        assert set(stats["sites"]) == {wix.url + "/", news.url + "/"}
        # The crawler's count is the run summary's: every fetch that got an answer.
        done = [ln for ln in res["stderr"].splitlines() if ln.startswith("crawl: done")]
        assert len(done) == 1, res["stderr"][-2000:]
        answered = sum(1 for r in records if r.status is not None)
        assert f": {answered} pages fetched (" in done[0], (done, answered)


def test_error_site(tmp_path: Path) -> None:
    """404, 500, flaky 503, redirect loop, moved page, offsite redirect, PDF, robots."""
    with ExitStack() as stack:
        other = stack.enter_context(SiteServer(wix_blog()))
        site = error_site()
        srv = stack.enter_context(SiteServer(site))
        site.data["offsite_url"] = other.url + "/"
        site.rebuild()
        res = crawl(tmp_path, [srv.url + "/"])
        got = by_path(res["records"], srv)
        stats = res["stats"]
        truth = EXPECTED["errors"]
        # robots.txt: the disallowed page is recorded, never requested
        for path in truth["disallowed"]:
            assert got[path].reason == "robots_disallowed" and got[path].status is None
            assert srv.count(path) == 0
        assert got["/missing"].reason == "http_404" and got["/missing"].status == 404
        assert got["/broken"].reason == "http_500"
        assert srv.count("/broken") == 3  # RETRY_TIMES = 2
        # flaky: two 503s, then the page; Retry-After (1 s) honoured between attempts
        flaky = got["/flaky"]
        assert flaky.status == 200 and flaky.reason is None and flaky.body_path
        times = [r.time for r in srv.requests if r.path == "/flaky"]
        assert len(times) == 3 and times[1] - times[0] >= 0.8
        # redirect loop stopped and recorded, bounded number of requests
        assert got["/loop-a"].reason == "redirect_loop"
        assert srv.count("/loop-a") + srv.count("/loop-b") <= 4
        # moved page: the target is fetched once; the old path records where it leads
        assert got["/old-story"].final_url == srv.url + "/articles/central-library-reopens/"
        assert srv.count("/articles/central-library-reopens/") == 1
        # offsite redirect: recorded with its target, never followed
        away = got["/go-elsewhere"]
        assert away.reason == "offsite_redirect" and away.final_url == other.url + "/"
        assert other.requests == []
        # PDF: recorded, no body kept
        assert got["/report.pdf"].reason == "not_html" and got["/report.pdf"].body_path is None
        assert got["/report.pdf"].content_type == "application/pdf"
        for path in truth["articles"]:
            assert got[path].body_path, path
        assert stats["errors_by_reason"] == {"http_404": 1, "http_500": 1, "redirect_loop": 1}
        assert stats["skipped_by_reason"]["robots_disallowed"] == 1
        bodies = {p.name for p in (tmp_path / "bodies").iterdir()}
        assert len(bodies) == stats["html_pages"]


def test_article_feed_and_gzip_sitemap_starts(tmp_path: Path) -> None:
    """A single-article start fetches just it; a feed start URL and a gzipped sitemap start
    URL are recognised from the response; --exclude applies to discovered URLs."""
    with ExitStack() as stack:
        wix = stack.enter_context(SiteServer(wix_blog()))
        news_s = news_site()
        news = stack.enter_context(SiteServer(news_s))
        article = sorted(EXPECTED["wix"]["articles"])[0]
        urlset = news_s["/wp-sitemap-posts-post-1.xml"].body
        news_s["/archive.bin"] = Resource(
            gzip.compress(urlset), content_type="application/octet-stream", gzip=False
        )
        res = crawl(
            tmp_path,
            [wix.url + article, news.url + "/feed/", news.url + "/archive.bin"],
            "--exclude",
            "freight",
        )
        records = res["records"]
        assert requested(wix) == {"/robots.txt", article}
        assert [r.kind for r in by_path(records, wix).values()].count("page") == 1
        got = by_path(records, news)
        assert got["/feed/"].kind == "feed" and got["/feed/"].discovered_via == "start"
        assert got["/archive.bin"].kind == "sitemap"
        for path in EXPECTED["news"]["articles"]:
            if "freight" in path:
                assert path not in requested(news)
                continue
            assert got[path].in_feed and got[path].in_sitemap and got[path].listed_title
            assert got[path].listed_published
        # a feed/sitemap start is not a listing: no site-wide discovery, no link following
        assert "/sitemap.xml" not in requested(news) and "/" not in requested(news)


def test_sitemap_index_start_and_page_budget(tmp_path: Path) -> None:
    with SiteServer(news_site()) as srv:
        res = crawl(tmp_path, [srv.url + "/wp-sitemap.xml"], max_pages=2)
        records, stats = res["records"], res["stats"]
        got = by_path(records, srv)
        assert got["/wp-sitemap.xml"].kind == "sitemap"
        assert got["/wp-sitemap-posts-post-1.xml"].kind == "sitemap"
        fetched = [r for r in records if r.kind == "page" and r.status is not None]
        assert len(fetched) == 2
        skipped = [r for r in records if r.reason == "max_pages"]
        assert len(skipped) == len(EXPECTED["news"]["articles"]) - 2
        assert all(srv.count(path_of(r.url, srv)) == 0 for r in skipped)
        assert stats["finish_reason"] == "max_pages" and stats["budget_exhausted"]
        # newest first: the sitemap's lastmod order decides which pages get the budget
        assert {path_of(r.url, srv) for r in fetched} == set(
            sorted(EXPECTED["news"]["articles"])[-2:]
        )


def test_timeouts_sizes_refusals_and_rate_limits(tmp_path: Path) -> None:
    """Failure reasons from the download layer, with tight limits set for the test."""
    site = wix_blog()
    with SiteServer(site) as srv:
        site["/slow"] = Resource("<html><body>slow</body></html>", delay=2.5)
        site["/big"] = Resource("<html><body>" + "x" * 50_000 + "</body></html>", gzip=False)
        site["/big-gz"] = Resource("<html><body>" + "y" * 50_000 + "</body></html>", gzip=True)
        site["/limited"] = Resource("<p>later</p>", status=429, headers={"Retry-After": "3600"})
        urls = [srv.url + p for p in ("/slow", "/big", "/big-gz", "/limited")]
        urls.append("http://127.0.0.1:1/")  # nothing listens there
        script = (
            "import sys; from spiders.crawl import run_crawl; "
            "run_crawl(sys.argv[2:], sys.argv[1], polite=False, settings_overrides="
            "{'DOWNLOAD_TIMEOUT': 1, 'DOWNLOAD_MAXSIZE': 20000, 'NEWSETL_MAX_SITEMAP_SIZE': 0,"
            " 'RETRY_TIMES': 1})"
        )
        proc = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path), *urls],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        lines = (tmp_path / "pages.jsonl").read_text().splitlines()
        reasons = {r["url"]: r["reason"] for r in map(json.loads, lines) if r["kind"] == "page"}
        assert reasons[srv.url + "/slow"] == "timeout"
        assert reasons[srv.url + "/big"] == "too_large"
        assert reasons[srv.url + "/big-gz"] == "too_large"  # too big once decompressed
        assert reasons[srv.url + "/limited"] == "http_429"
        assert srv.count("/limited") == 1  # Retry-After of an hour: not worth waiting
        assert reasons["http://127.0.0.1:1/"] == "connection_error"
        assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--out", "X", "ftp://example.com/"],
        ["--out", "X"],
        ["--out", "X", "--max-pages", "0", "http://127.0.0.1:1/"],
        ["--out", "X", "--include", "(", "http://127.0.0.1:1/"],
        ["http://127.0.0.1:1/"],
    ],
)
def test_bad_arguments_exit_2(tmp_path: Path, args: list[str]) -> None:
    args = [str(tmp_path / "o") if a == "X" else a for a in args]
    proc = subprocess.run(
        [sys.executable, "-m", "spiders.crawl", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith("crawl: error:")


# ---------------------------------------------------------------------------------------
# Pure helpers (fast)


def test_sniff_decides_from_content() -> None:
    xml = b'<?xml version="1.0"?>\n<!-- c --><urlset xmlns="x"><url><loc>/a</loc></url></urlset>'
    assert sniff("text/html", xml)[0] == "urlset"
    assert sniff_payload("application/octet-stream", gzip.compress(xml)) == ("urlset", xml)
    assert sniff_payload("text/xml", gzip.compress(xml), limit=10) == ("too_large", b"")
    assert sniff_payload("text/xml", xml) == sniff("text/xml", xml)
    assert sniff("text/xml", b"<sitemapindex/>")[0] == "sitemapindex"
    assert sniff("application/xml", b"<rss version='2.0'><channel/></rss>")[0] == "rss"
    assert sniff(None, b'<feed xmlns="http://www.w3.org/2005/Atom"/>')[0] == "atom"
    assert sniff("text/html; charset=utf-8", b"<!DOCTYPE html><html></html>")[0] == "html"
    assert sniff("application/pdf", b"%PDF-1.4")[0] == "other"
    assert sniff("image/png", b"\x89PNG")[0] == "other"


def test_parsers() -> None:
    rss = b"""<rss><channel><item><title>T</title><link>/p/one</link>
        <pubDate>Mon, 05 Feb 2024 10:00:00 GMT</pubDate></item>
        <item><guid isPermaLink="true">http://h/p/two</guid></item></channel></rss>"""
    items = read_feed(rss, "http://h/feed")[0]
    assert [e.url for e in items] == ["http://h/p/one", "http://h/p/two"]
    assert items[0].title == "T" and items[0].published == "2024-02-05T10:00:00+00:00"
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>A</title>
        <link rel="alternate" href="http://h/a"/><published>2024-01-01T00:00:00Z</published>
        </entry></feed>"""
    assert read_feed(atom, "http://h/")[0][0].url == "http://h/a"
    news = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>http://h/x</loc>
        <lastmod>2024-01-02</lastmod><news:news><news:publication_date>2024-01-01
        </news:publication_date><news:title>X</news:title></news:news></url></urlset>"""
    kind, entries, _ = read_sitemap(news, "http://h/s.xml")
    assert kind == "urlset" and entries[0].lastmod == "2024-01-02"
    assert entries[0].published == "2024-01-01" and entries[0].title == "X"
    robots = b"User-agent: *\nDisallow: /x\nSitemap: /s1.xml\nsitemap:http://h/s2.xml\n"
    assert robots_sitemaps(robots, "http://h/robots.txt") == ["http://h/s1.xml", "http://h/s2.xml"]


def test_analyse_html() -> None:
    page = b"""<html><head><link rel="alternate" type="application/rss+xml" href="/feed">
        <link rel="next" href="/page/2"></head><body><a href="/post/a-b-c">A</a>
        <a href="?page=3">3</a><a href="/older">Older posts</a><a href="/logo.png">x</a>
        <a href="mailto:x@y">m</a></body></html>"""
    info = analyse_html(page, "http://h/")
    assert not info.article_like
    assert info.feeds == ["http://h/feed"]
    assert info.pagination == ["http://h/page/2", "http://h/?page=3", "http://h/older"]
    assert info.links == ["http://h/post/a-b-c"]
    art = b"""<html><head><script type="application/ld+json">{"@type": "NewsArticle"}</script>
        </head><body></body></html>"""
    assert analyse_html(art, "http://h/x").article_like


def test_retry_after() -> None:
    assert retry_after_seconds(b"3") == 3.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_settings_are_polite_and_closed() -> None:
    from spiders import settings as s

    assert s.ROBOTSTXT_OBEY is True
    assert s.REMOTE_CONTROL_ENABLED is False and s.TELNETCONSOLE_ENABLED is False
    assert s.AUTOTHROTTLE_ENABLED and s.DOWNLOAD_DELAY >= 0.5
    assert s.CONCURRENT_REQUESTS_PER_DOMAIN <= 4
    assert s.USER_AGENT.startswith("newsetl/")
    assert s.RETRY_TIMES == 2 and set(s.RETRY_HTTP_CODES) == {
        408,
        429,
        500,
        502,
        503,
        504,
        522,
        524,
    }


def test_a_root_that_answers_404_still_reads_the_robots_sitemaps(tmp_path: Path) -> None:
    """Some sites answer 404 (or 403) at their root to anything but a browser; their
    robots.txt still names the sitemap. The crawl reads it instead of stopping."""
    from newsetl.demo.server import Site

    def build(site: Site, base: str) -> dict[str, Resource]:
        locs = "".join(
            f"<url><loc>{base}/news/2024/05/story-number-{i}</loc></url>" for i in range(3)
        )
        res = {
            "/robots.txt": Resource(
                f"User-agent: *\nAllow: /\nSitemap: {base}/news-sitemap.xml\n",
                content_type="text/plain",
            ),
            "/news-sitemap.xml": Resource(
                '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                + locs
                + "</urlset>",
                content_type="application/xml",
            ),
        }
        for i in range(3):
            res[f"/news/2024/05/story-number-{i}"] = Resource(
                f"<html><head><title>Story {i}</title></head><body><p>Story {i}.</p></body></html>"
            )
        return res

    with SiteServer(Site("root-404", build=build)) as srv:
        res = crawl(tmp_path, [srv.url + "/"])
        got = by_path(res["records"], srv)
    assert got["/"].status == 404
    assert got["/news-sitemap.xml"].kind == "sitemap" and got["/news-sitemap.xml"].status == 200
    for i in range(3):
        rec = got[f"/news/2024/05/story-number-{i}"]
        assert rec.status == 200 and rec.in_sitemap


def test_sitemap_names_and_release_order() -> None:
    """Posts sitemaps are read first; taxonomy sitemaps' entries wait behind stories; what
    a response releases goes out highest priority first, without superseded copies."""
    from scrapy import Request

    from newsetl.discover.documents import is_posts_sitemap as _posts_sitemap
    from newsetl.discover.documents import is_taxonomy_sitemap as _taxonomy_sitemap
    from spiders.news import _release_order

    for name in ("post-sitemap1.xml", "wp-sitemap-posts-post-1.xml", "news-sitemap.xml"):
        assert _posts_sitemap("https://x.test/" + name) and not _taxonomy_sitemap(name), name
    for name in (
        "post_tag-sitemap.xml",
        "category-sitemap.xml",
        "author-sitemap.xml",
        "page-sitemap.xml",
        "wp-sitemap-taxonomies-post_tag-1.xml",
        "wp-sitemap-users-1.xml",
        "sitemap_tags.xml",
    ):
        assert _taxonomy_sitemap(name) and not _posts_sitemap("https://x.test/" + name), name
    assert not _taxonomy_sitemap("sitemap.xml") and not _posts_sitemap("https://x.test/sitemap.xml")

    menu = [Request(f"https://x.test/section-{i}/", priority=0) for i in range(3)]
    stale = Request("https://x.test/2024/05/a-story-here/", priority=0)
    stale.meta["nl_superseded"] = True
    story = Request("https://x.test/2024/05/a-story-here/", priority=30)
    tag = Request("https://x.test/tag/x/", priority=10)
    order = _release_order([*menu, stale, tag, story])
    assert order == [story, tag, *menu]
