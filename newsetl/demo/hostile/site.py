"""The hostile site (every path of :data:`HOSTILE` tries to break a crawler) and the
landing site, the other host its offsite redirect points to."""

from __future__ import annotations

import html
import random
from dataclasses import dataclass

from newsetl.demo.hostile.pages import (
    MB,
    DynamicSite,
    article_page,
    paragraphs,
    prose,
    urlset,
)
from newsetl.demo.hostile.raw import GzipBomb, Huge, LyingLength, Stall
from newsetl.demo.server import RSS, XML, Resource, Site, redirect

# ---------------------------------------------------------------------------------------
# The hostile site


@dataclass(frozen=True, slots=True)
class Hostile:
    """One hostile path: what it does and the reasons a crawl may record for it (None: a
    usable fetch)."""

    what: str
    kind: str  # page, sitemap, feed
    reasons: tuple[str | None, ...]


# Every hostile path (the root links the pages, /sitemap.xml lists the sitemaps, the root's
# <link rel=alternate> the feeds).
HOSTILE: dict[str, Hostile] = {
    "/big/content-length": Hostile("50 MB page with a true Content-Length", "page", ("too_large",)),
    "/big/streamed": Hostile("50 MB page without Content-Length", "page", ("too_large",)),
    "/bomb/page": Hostile("Content-Encoding: gzip page expanding to 4 GiB", "page", ("too_large",)),
    "/bomb/raw-gzip": Hostile(
        "text/html page whose body is a raw gzip file expanding to 4 GiB", "page", ("too_large",)
    ),
    "/lying/long": Hostile(
        "Content-Length 1 MB, 20 KB sent, connection closed", "page", ("connection_error",)
    ),
    "/lying/short": Hostile(
        "Content-Length 4 KB, 20 MB sent", "page", (None, "connection_error", "download_error")
    ),
    "/stall": Hostile("headers and half the body, then silence", "page", ("timeout",)),
    "/away": Hostile("302 to another host:port", "page", ("offsite_redirect",)),
    "/news/deep-nesting": Hostile("HTML nested 100,000 <div> deep", "page", (None,)),
    "/news/invalid-utf8": Hostile("invalid UTF-8 declared as UTF-8", "page", (None,)),
    "/news/nul-bytes": Hostile("NUL bytes in the text", "page", (None,)),
    "/news/one-long-line": Hostile("1 MB of text in one <p>, no newline", "page", (None,)),
    "/sitemaps/billion-laughs.xml": Hostile(
        "XML entity bomb in a sitemap", "sitemap", ("xml_bomb",)
    ),
    "/sitemaps/truncated.xml": Hostile("sitemap cut mid-element", "sitemap", ("truncated_xml",)),
    "/sitemaps/wrong-root.xml": Hostile("XML with a <catalog> root", "sitemap", ("not_sitemap",)),
    "/sitemaps/html.xml": Hostile("an HTML page as application/xml", "sitemap", ("not_sitemap",)),
    "/sitemaps/junk.xml": Hostile("binary junk as application/xml", "sitemap", ("not_sitemap",)),
    "/sitemaps/junk.txt": Hostile(
        "binary junk as application/octet-stream", "sitemap", ("not_sitemap",)
    ),
    "/sitemaps/gzip-bomb.xml": Hostile(
        "Content-Encoding: gzip sitemap expanding to 4 GiB", "sitemap", ("too_large",)
    ),
    "/sitemaps/bomb.xml.gz": Hostile("a .gz sitemap expanding to 4 GiB", "sitemap", ("too_large",)),
    "/sitemaps/deep.xml": Hostile("XML nested 100,000 deep", "sitemap", ("xml_too_deep",)),
    "/feeds/billion-laughs.xml": Hostile("XML entity bomb in an RSS feed", "feed", ("xml_bomb",)),
    "/feeds/truncated.xml": Hostile("RSS cut mid-item", "feed", ("truncated_xml",)),
    "/feeds/html.xml": Hostile("an HTML page as application/rss+xml", "feed", ("not_feed",)),
    "/feeds/junk.xml": Hostile("binary junk as application/rss+xml", "feed", ("not_feed",)),
    "/feeds/wrong-root.xml": Hostile("XML with an <opml> root", "feed", ("not_feed",)),
    "/feeds/gzip-bomb.xml": Hostile(
        "Content-Encoding: gzip feed expanding to 4 GiB", "feed", ("too_large",)
    ),
}

# Pages a crawl of the hostile site must still fetch and keep (the crawl goes on).
GOOD_ARTICLES = ("/news/ordinary-story", "/news/listed-before-the-bomb", "/news/from-the-feed")

_LAUGHS = '<!ENTITY lol "lol">' + "".join(
    f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 10)
)
_JUNK = bytes(random.Random(6).randrange(256) for _ in range(64 * 1024)).replace(b"<", b"\x00")


def _deep(levels: int, inner: str) -> str:
    return "<div>" * levels + inner + "</div>" * levels


def _build_hostile(site: Site, base: str) -> dict[str, Resource]:
    offsite = site.data.get("offsite_url") or "http://127.0.0.1:9/landing"
    levels = site.data.get("deep_levels", 100_000)
    r: dict[str, Resource] = {}
    links = [p for p, h in HOSTILE.items() if h.kind == "page"]
    if not site.data.get("stall", True):
        links.remove("/stall")
    feeds = [p for p, h in HOSTILE.items() if h.kind == "feed"] + ["/feeds/good.xml"]
    r["/robots.txt"] = Resource(
        f"User-agent: *\nDisallow: /private/\nSitemap: {base}/sitemap.xml\n",
        content_type="text/plain; charset=utf-8",
    )
    r["/"] = Resource(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>The Hostile Gazette</title>"
        + "".join(
            f"<link rel='alternate' type='application/rss+xml' href='{p}' title='{p}'>"
            for p in feeds
        )
        + "</head><body><h1>The Hostile Gazette</h1><ul>"
        + "".join(f"<li><a href='{p}'>{html.escape(HOSTILE[p].what)}</a></li>" for p in links)
        + "<li><a href='/news/ordinary-story'>An ordinary story</a></li>"
        + "</ul><p><a href='/list/1'>Older posts</a></p></body></html>"
    )
    # Pages
    r["/big/content-length"] = Huge(50 * MB)
    r["/big/streamed"] = Huge(50 * MB, content_length=False)
    r["/bomb/page"] = GzipBomb()
    r["/bomb/raw-gzip"] = GzipBomb(encoded=False)
    r["/lying/long"] = LyingLength(claimed=MB, actual=20_000)
    r["/lying/short"] = LyingLength(claimed=4096, actual=20 * MB)
    r["/stall"] = Stall()
    r["/away"] = redirect(offsite, status=302)
    r["/news/ordinary-story"] = Resource(
        article_page(base, "/news/ordinary-story", "An ordinary story", paragraphs("ordinary", 6))
    )
    r["/news/listed-before-the-bomb"] = Resource(
        article_page(
            base,
            "/news/listed-before-the-bomb",
            "Listed before the bomb",
            paragraphs("before-bomb", 5),
        )
    )
    r["/news/from-the-feed"] = Resource(
        article_page(base, "/news/from-the-feed", "From the feed", paragraphs("feed-story", 5))
    )
    r["/news/deep-nesting"] = Resource(
        article_page(
            base,
            "/news/deep-nesting",
            "Deep nesting",
            paragraphs("deep-top", 5)
            + _deep(levels, "<p>Deep inside the nest: " + prose("deep-inner", 40) + "</p>")
            + paragraphs("deep-after", 2),
        )
    )
    utf8 = article_page(
        base,
        "/news/invalid-utf8",
        "Invalid UTF-8 in Zürich",
        "".join(f"<p>Café {i} in Zürich — “{prose(f'utf8-{i}', 40)}” @BAD@</p>" for i in range(5)),
    ).encode("utf-8")
    # Lone continuation bytes, an overlong encoding, a truncated sequence, a surrogate, 0xFF.
    for bad in (b"\x80\x81", b"\xc0\xaf", b"\xe2\x82", b"\xed\xa0\x80", b"\xff\xfe"):
        utf8 = utf8.replace(b"@BAD@", b"word" + bad + b"word", 1)
    r["/news/invalid-utf8"] = Resource(utf8)
    nul = article_page(
        base,
        "/news/nul-bytes",
        "NUL\x00 bytes",
        "".join(f"<p>{prose(f'nul-{i}', 40)}@NUL@ trailing words here.</p>" for i in range(5)),
    ).encode("utf-8")
    r["/news/nul-bytes"] = Resource(nul.replace(b"@NUL@", b"\x00\x00 mid\x00dle \x00"))
    line = prose("long-line", 170_000)  # about 1 MB of words, one paragraph, no newline
    r["/news/one-long-line"] = Resource(
        article_page(base, "/news/one-long-line", "One long line", f"<p>{line}</p>").replace(
            "\n", " "
        )
    )
    # Sitemaps: /sitemap.xml is a good index of good and hostile sitemaps.
    sitemaps = [p for p, h in HOSTILE.items() if h.kind == "sitemap"] + ["/sitemaps/posts.xml"]
    r["/sitemap.xml"] = Resource(
        "<?xml version='1.0' encoding='UTF-8'?>"
        "<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        + "".join(f"<sitemap><loc>{base}{p}</loc></sitemap>" for p in sitemaps)
        + "</sitemapindex>",
        content_type=XML,
    )
    articles = [p for p, h in HOSTILE.items() if p.startswith("/news/")] + ["/news/ordinary-story"]
    r["/sitemaps/posts.xml"] = Resource(urlset(base, articles), content_type=XML)
    r["/sitemaps/billion-laughs.xml"] = Resource(
        "<?xml version='1.0'?><!DOCTYPE urlset [" + _LAUGHS + "]>"
        "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        f"<url><loc>{base}/news/listed-before-the-bomb</loc></url>"
        f"<url><loc>{base}/news/lol-&lol9;</loc><lastmod>&lol9;</lastmod></url>"
        f"<url><loc>{base}/news/listed-after-the-bomb</loc></url></urlset>",
        content_type=XML,
    )
    r["/sitemaps/truncated.xml"] = Resource(
        urlset(base, ["/news/ordinary-story", "/news/truncated-a"])[:-40], content_type=XML
    )
    r["/sitemaps/wrong-root.xml"] = Resource(
        "<?xml version='1.0'?><catalog><book><loc>http://127.0.0.1/x</loc></book></catalog>",
        content_type=XML,
    )
    r["/sitemaps/html.xml"] = Resource(
        "<!DOCTYPE html><html><body><a href='/news/html-sitemap-link'>x</a></body></html>",
        content_type=XML,
    )
    r["/sitemaps/junk.xml"] = Resource(_JUNK, content_type=XML)
    r["/sitemaps/junk.txt"] = Resource(_JUNK, content_type="application/octet-stream")
    r["/sitemaps/gzip-bomb.xml"] = GzipBomb(
        content_type=XML, prefix=b"<?xml version='1.0'?><urlset><url><loc>"
    )
    r["/sitemaps/bomb.xml.gz"] = GzipBomb(
        content_type="application/x-gzip", encoded=False, prefix=b"<urlset><url><loc>"
    )
    r["/sitemaps/deep.xml"] = Resource(
        "<?xml version='1.0'?><urlset>" + "<url>" * 100_000 + "</url>" * 100_000 + "</urlset>",
        content_type=XML,
    )
    # Feeds
    r["/feeds/good.xml"] = Resource(_rss(base, ["/news/from-the-feed"]), content_type=RSS)
    r["/feeds/billion-laughs.xml"] = Resource(
        "<?xml version='1.0'?><!DOCTYPE rss [" + _LAUGHS + "]><rss version='2.0'><channel>"
        f"<title>Laughs</title><item><title>Before</title><link>{base}/news/from-the-feed"
        "</link></item><item><title>&lol9;</title>"
        f"<link>{base}/news/lol-feed</link></item></channel></rss>",
        content_type=RSS,
    )
    r["/feeds/truncated.xml"] = Resource(
        _rss(base, ["/news/from-the-feed", "/news/truncated-b"])[:-60], content_type=RSS
    )
    r["/feeds/html.xml"] = Resource(
        "<!DOCTYPE html><html><body><p>Not a feed</p></body></html>", content_type=RSS
    )
    r["/feeds/junk.xml"] = Resource(_JUNK, content_type=RSS)
    r["/feeds/wrong-root.xml"] = Resource(
        "<?xml version='1.0'?><opml version='2.0'><body><outline text='x'/></body></opml>",
        content_type=RSS,
    )
    r["/feeds/gzip-bomb.xml"] = GzipBomb(content_type=RSS, prefix=b"<rss><channel><item>")
    return r


def _rss(base: str, paths: list[str]) -> str:
    return (
        "<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel><title>Gazette</title>"
        + "".join(
            f"<item><title>{p}</title><link>{base}{p}</link>"
            "<pubDate>Mon, 06 May 2024 08:00:00 GMT</pubDate></item>"
            for p in paths
        )
        + "</channel></rss>"
    )


def _endless(site: Site, path: str) -> Resource | None:
    """/list/N for every N: a listing page that always links the next one."""
    if not path.startswith("/list/"):
        return None
    tail = path[len("/list/") :].strip("/")
    if not tail.isdigit() or len(tail) > 9:
        return None
    n = int(tail)
    return Resource(
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>Archive page {n}</title></head><body><h1>Archive page {n}</h1>"
        f"<p>{prose(f'list-{n}', 20)}</p>"
        f"<a class='next' href='/list/{n + 1}'>Older posts</a></body></html>",
        conditional=False,
    )


def hostile_site(
    offsite_url: str | None = None, *, stall: bool = True, deep_levels: int = 100_000
) -> Site:
    """The hostile site (see :data:`HOSTILE`). ``offsite_url`` is where ``/away`` redirects
    (another server's URL); ``stall=False`` leaves ``/stall`` unlinked (a crawl with the
    default 20 s timeout would wait a minute on it, retries included)."""
    return DynamicSite(
        "hostile",
        _endless,
        build=_build_hostile,
        data={"offsite_url": offsite_url, "stall": stall, "deep_levels": deep_levels},
        gzip=False,
    )


def landing_site() -> Site:
    """The other host of the offsite redirect: one page, which must never be fetched."""
    return Site(
        "landing",
        {"/landing": Resource(article_page("", "/landing", "Landing", paragraphs("landing", 3)))},
    )
