"""The demo sites and their fixture server, exercised over real HTTP on 127.0.0.1."""

from __future__ import annotations

import gzip
import json
import re
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from newsetl.demo.server import Resource, Site, SiteServer, serve
from newsetl.demo.sites import (
    DUPLICATES,
    EXPECTED,
    Post,
    add_post,
    demo_sites,
    edit_post,
    error_site,
    expected_for,
    find_post,
    news_site,
    wix_blog,
)
from newsetl.demo.sites.model import site_config

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
SEED = site_config("wix")["posts"][0]  # the seed story, as the site file has it
REPUBLISHED = site_config("news")["posts"][0]["republished"]  # the news site's edit of it


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


_plain = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, headers: dict[str, str] | None = None, follow: bool = False):
    """(status, headers, body) without raising on 4xx/5xx; no redirects unless follow."""
    req = urllib.request.Request(url, headers=headers or {})
    opener = urllib.request.build_opener() if follow else _plain
    try:
        with opener.open(req, timeout=5) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        for key in ("href", "src"):
            if a.get(key) and tag in ("a", "link", "img", "amp-img", "script"):
                self.links.append(a[key] or "")


def links_of(html: str) -> _Links:
    p = _Links()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, SiteServer]]:
    with serve(wix_blog(), news_site(), error_site()) as srvs:
        yield {s.site.name: s for s in srvs}


def test_server_basics_and_request_log() -> None:
    site = Site(
        "t", {"/": Resource("<p>hi</p>"), "/x.txt": Resource("x", content_type="text/plain")}
    )
    with SiteServer(site) as srv:
        assert srv.url == f"http://127.0.0.1:{srv.port}"
        status, headers, body = fetch(srv.url + "/", {"User-Agent": "newsetl-test/1"})
        assert (status, body) == (200, b"<p>hi</p>")
        assert headers["Content-Type"].startswith("text/html")
        assert fetch(srv.url + "/nope")[0] == 404
        fetch(srv.url + "/x.txt?utm=1")
        rec = srv.requests[0]
        assert (rec.method, rec.path, rec.status, rec.bytes) == ("GET", "/", 200, 9)
        assert rec.user_agent == "newsetl-test/1"
        assert srv.count("/") == 1 and srv.count("/x.txt") == 1 and srv.count("/x.txt?utm=1") == 1
        assert srv.count("/nope") == 1 and srv.requests[1].status == 404
        # A page can change and appear while the server runs.
        site["/new"] = Resource("<p>new</p>")
        site["/"].body = "<p>changed</p>"
        assert fetch(srv.url + "/new")[2] == b"<p>new</p>"
        assert fetch(srv.url + "/")[2] == b"<p>changed</p>"
        port = srv.port
    with pytest.raises(OSError):  # stopped: nothing listens any more
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)


def test_conditional_requests_and_gzip() -> None:
    site = Site("t", {"/a": Resource("<p>" + "x" * 500 + "</p>")})
    with SiteServer(site) as srv:
        status, h, _ = fetch(srv.url + "/a")
        etag, lastmod = h["ETag"], h["Last-Modified"]
        assert status == 200 and etag and lastmod
        assert fetch(srv.url + "/a", {"If-None-Match": etag})[0] == 304
        assert fetch(srv.url + "/a", {"If-Modified-Since": lastmod})[0] == 304
        assert fetch(srv.url + "/a", {"If-None-Match": '"other"'})[0] == 200
        site["/a"].body = "<p>edited</p>"
        status, h2, body = fetch(srv.url + "/a", {"If-None-Match": etag})
        assert (status, body) == (200, b"<p>edited</p>") and h2["ETag"] != etag
        assert fetch(srv.url + "/a", {"If-Modified-Since": lastmod})[0] == 200
        status, h3, body = fetch(srv.url + "/a", {"Accept-Encoding": "gzip"})
        assert h3["Content-Encoding"] == "gzip" and gzip.decompress(body) == b"<p>edited</p>"


def test_flaky_slow_and_redirects(servers: dict[str, SiteServer]) -> None:
    srv = servers["errors"]
    site = srv.site
    site["/flaky"].reset()
    assert [fetch(srv.url + "/flaky")[0] for _ in range(3)] == [503, 503, 200]
    assert srv.count("/flaky") >= 3
    assert fetch(srv.url + "/missing")[0] == 404
    assert fetch(srv.url + "/broken")[0] == 500
    status, h, _ = fetch(srv.url + "/loop-a")
    assert status == 302 and h["Location"] == srv.url + "/loop-b"
    assert fetch(srv.url + "/loop-b")[1]["Location"] == srv.url + "/loop-a"
    with pytest.raises(urllib.error.HTTPError):  # urllib gives up on the loop
        urllib.request.urlopen(srv.url + "/loop-a", timeout=5)
    status, h, _ = fetch(srv.url + "/go-elsewhere")
    assert status == 302 and urlsplit(h["Location"]).netloc != urlsplit(srv.url).netloc
    status, h, _ = fetch(srv.url + "/old-story")
    assert status == 301 and h["Location"].endswith("/articles/central-library-reopens/")
    status, h, body = fetch(srv.url + "/report.pdf")
    assert h["Content-Type"] == "application/pdf" and body.startswith(b"%PDF-")
    site["/slow-story/"].delay = 0.2
    t0 = time.monotonic()
    assert fetch(srv.url + "/slow-story/")[0] == 200
    assert time.monotonic() - t0 >= 0.2
    robots = fetch(srv.url + "/robots.txt")[2].decode()
    assert "Disallow: /private/" in robots and f"Sitemap: {srv.url}/sitemap.xml" in robots
    home = fetch(srv.url + "/")[2].decode()
    assert "private/secret-post/" in home


def _xml(srv: SiteServer, path: str) -> ET.Element:
    status, _, body = fetch(srv.url + path)
    assert status == 200, path
    return ET.fromstring(body)


@pytest.mark.parametrize("name", ["wix", "news", "errors"])
def test_robots_sitemaps_feeds_are_wellformed(servers: dict[str, SiteServer], name: str) -> None:
    srv = servers[name]
    truth = EXPECTED[name]
    robots = fetch(srv.url + "/robots.txt")[2].decode()
    sitemap_urls = [
        ln.split(":", 1)[1].strip() for ln in robots.splitlines() if ln.startswith("Sitemap:")
    ]
    assert sitemap_urls and all(u.startswith(srv.url + "/") for u in sitemap_urls)
    listed: set[str] = set()
    todo = [urlsplit(u).path for u in sitemap_urls]
    while todo:
        root = _xml(srv, todo.pop())
        if root.tag == SM + "sitemapindex":
            todo += [urlsplit(loc.text or "").path for loc in root.iter(SM + "loc")]
        else:
            assert root.tag == SM + "urlset"
            for url in root.findall(SM + "url"):
                listed.add(urlsplit(url.findtext(SM + "loc") or "").path)
                lastmod = url.findtext(SM + "lastmod")
                if lastmod:
                    datetime.fromisoformat(lastmod.replace("Z", "+00:00"))
    assert set(truth["articles"]) <= listed
    for feed in truth["feeds"]:
        root = _xml(srv, feed)
        assert root.tag == "rss" and root.get("version") == "2.0"
        items = root.findall("./channel/item")
        assert {urlsplit(i.findtext("link") or "").path for i in items} == set(truth["articles"])
        for item in items:
            assert item.findtext("pubDate")


def _crawl(srv: SiteServer) -> tuple[dict[str, int], set[str]]:
    """Follow every same-site link from /, without redirects. Returns statuses, languages."""
    seen: dict[str, int] = {}
    langs: set[str] = set()
    queue = ["/"]
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        status, headers, body = fetch(srv.url + path)
        seen[path] = status
        if status != 200 or not headers["Content-Type"].startswith("text/html"):
            continue
        page = links_of(body.decode())
        langs.add(page.lang or "")
        for link in page.links:
            absolute = urljoin(srv.url + path, link)
            parts = urlsplit(absolute)
            if f"{parts.scheme}://{parts.netloc}" != srv.url:
                continue
            target = parts.path + ("?" + parts.query if parts.query else "")
            if target not in seen:
                queue.append(target)
    return seen, langs


@pytest.mark.parametrize("name", ["wix", "news", "errors"])
def test_every_internal_link_resolves(servers: dict[str, SiteServer], name: str) -> None:
    srv = servers[name]
    truth = EXPECTED[name]
    if name == "errors":
        srv.site["/flaky"].fail_first = 0
        srv.site["/slow-story/"].delay = 0
    seen, langs = _crawl(srv)
    allowed_bad = set(truth["errors"]) | set(truth["redirects"])
    bad = {p: s for p, s in seen.items() if s != 200 and p not in allowed_bad}
    assert not bad
    html_seen = {p for p in seen if p not in truth["not_html"]}
    assert set(truth["articles"]) <= html_seen
    assert truth["non_articles"] <= html_seen
    if name == "wix":
        assert {"en", "de", "fr"} <= langs
    if name == "errors":
        assert set(truth["errors"]) - {"/loop-b"} <= set(seen)


def test_wix_post_markup(servers: dict[str, SiteServer]) -> None:
    srv = servers["wix"]
    truth = EXPECTED["wix"]
    seed_path = next(p for p, a in truth["articles"].items() if a["title"] == SEED["title"])
    html = fetch(srv.url + seed_path)[2].decode()
    for marker in (
        "top of page",
        "bottom of page",
        "Post: Blog2_Post",
        'data-hook="post-title"',
        'data-hook="post-description"',
        'data-hook="rich-content-viewer"',
        "Recent Posts",
        "min read",
        "Updated: Jan 6, 2022",
        'rel="alternate"',
        f'<link rel="canonical" href="{srv.url}{seed_path}">',
        '"datePublished": "2022-01-06T09:15:00+06:00"',
    ):
        assert marker in html, marker
    assert html.index("top of page") < html.index("Post: Blog2_Post") < html.index("bottom of page")
    assert "Though the unrest was triggered by the price rise," in html
    assert "Though the unrest was triggered by a fuel price rise," in html
    art = truth["articles"][seed_path]
    assert art["published_at"] == "2022-01-06T03:15:00+00:00"
    assert art["paragraphs"] == SEED["paragraphs"]
    ld = html.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert json.loads(ld)["@type"] == "BlogPosting"
    listing = fetch(srv.url + "/blog")[2].decode()
    assert f'<link rel="next" href="{srv.url}/blog/page/2">' in listing and ">Next</a>" in listing
    assert fetch(srv.url + "/blog/page/3")[0] == 200
    assert fetch(srv.url + "/blog/page/4")[0] == 404
    for path, art in truth["articles"].items():
        words = sum(len(p.split()) for p in art["paragraphs"])
        assert 300 <= words <= 1000, (path, words)


def test_news_republication_and_amp(servers: dict[str, SiteServer]) -> None:
    srv = servers["news"]
    truth = EXPECTED["news"]
    (orig, dup) = DUPLICATES[0]
    assert orig[0] == "wix" and dup[0] == "news"
    art = truth["articles"][dup[1]]
    seed = EXPECTED["wix"]["articles"][orig[1]]
    assert art["title"] != seed["title"] and art["authors"] != seed["authors"]
    assert REPUBLISHED["cut"] in seed["paragraphs"]
    assert REPUBLISHED["cut"] not in art["paragraphs"]
    assert REPUBLISHED["added"] in art["paragraphs"]
    assert art["paragraphs"][-1].startswith("(Reporting by")
    html = fetch(srv.url + dup[1])[2].decode()
    amp_path = dup[1] + "amp/"
    assert truth["amp"] == {amp_path: dup[1]}
    assert f'<link rel="amphtml" href="{srv.url}{amp_path}">' in html
    for marker in (
        'class="entry-content"',
        'class="entry-title"',
        'class="author vcard"',
        'class="entry-date published"',
        'id="comments"',
        '"@graph"',
        '"NewsArticle"',
        'property="article:published_time"',
    ):
        assert marker in html, marker
    amp = fetch(srv.url + amp_path)[2].decode()
    assert "<html amp" in amp and f'<link rel="canonical" href="{srv.url}{dup[1]}">' in amp
    status, h, _ = fetch(srv.url + "/?p=412")
    assert status == 301 and h["Location"] == srv.url + dup[1]
    assert fetch(srv.url + "/page/2/")[0] == 200


def test_rebuild_edit_and_add_post() -> None:
    site = wix_blog()
    with SiteServer(site) as srv:
        slug = site.data["posts"][1].slug
        path = f"/post/{slug}"
        etag = fetch(srv.url + path)[1]["ETag"]
        about_etag = fetch(srv.url + "/about")[1]["ETag"]
        post = find_post(site, slug)
        edit_post(site, slug, paragraphs=[*post.paragraphs, "A late addition to this post."])
        status, _, body = fetch(srv.url + path, {"If-None-Match": etag})
        assert status == 200 and b"A late addition" in body
        assert fetch(srv.url + "/about", {"If-None-Match": about_etag})[0] == 304
        new = Post(
            slug="a-brand-new-post",
            title="A Brand New Post",
            authors=["Daniyar Omarov"],
            published=datetime.fromisoformat("2022-02-01T10:00:00+06:00"),
            paragraphs=["Fresh text."],
        )
        add_post(site, new)
        assert fetch(srv.url + "/post/a-brand-new-post")[0] == 200
        assert b"/post/a-brand-new-post" in fetch(srv.url + "/blog-feed.xml")[2]
        assert b"a-brand-new-post" in fetch(srv.url + "/blog")[2]
        assert "/post/a-brand-new-post" in expected_for(site)["articles"]


def test_demo_sites_and_truth_shape() -> None:
    names = [s.name for s in demo_sites()]
    assert names == ["wix", "news"]
    for truth in EXPECTED.values():
        for art in truth["articles"].values():
            dt = datetime.fromisoformat(art["published_at"])
            assert dt.utcoffset() is not None and dt.utcoffset().total_seconds() == 0
            assert art["title"] and art["authors"] and art["language"]
    langs = {a["language"] for a in EXPECTED["wix"]["articles"].values()}
    assert langs == {"en", "de", "fr"}


def test_site_files_are_package_data_and_the_server_knows_no_site() -> None:
    from importlib.resources import files

    import newsetl.demo.server

    folder = files("newsetl.demo.sites")
    for name in ("wix", "news", "errors"):
        assert folder.joinpath(f"{name}.toml").is_file(), name
    assert [p.slug for p in wix_blog().data["posts"]] == [
        p["slug"] for p in site_config("wix")["posts"]
    ]
    source = Path(newsetl.demo.server.__file__).read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from|import) newsetl\.demo\.(sites|hostile)", source, re.M)
