"""A hostile fixture site, a large load-test site, and process-tree probes for the tests.

:func:`hostile_site` builds a :class:`~newsetl.demo.server.Site` whose pages try to break a
crawler: bodies far over the size limit (with and without a Content-Length), gzip bombs
(``Content-Encoding: gzip`` and raw ``.gz`` payloads), billion-laughs XML in a sitemap and
a feed, malformed sitemaps and feeds, HTML nested 100,000 levels deep, invalid UTF-8 and NUL
bytes, a one-megabyte line, a body that stalls half-way, lying Content-Lengths, endless
pagination and a redirect to another host. Serve it with :class:`HostileServer` (a
:class:`~newsetl.demo.server.SiteServer` that also knows the raw behaviours below).
:data:`HOSTILE` describes every hostile path and the fate a crawl should record for it.

:func:`load_site` builds a plain news site of N HTML pages (listings, sitemaps, articles)
for ``benchmarks/load.py`` and the load test.

:class:`TreeSampler` samples a process tree's resident memory (VmRSS, summed over the
process and its descendants) and its listening sockets from ``/proc`` while it runs.

``python -m newsetl.demo.hostile`` serves the hostile site (and the offsite target) until
Ctrl-C.
"""

from __future__ import annotations

import gzip
import html
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from newsetl.demo import server as _server
from newsetl.demo.server import HTML, RequestRecord, Resource, Site, SiteServer, redirect
from newsetl.interrupt import process_tree

__all__ = [
    "HOSTILE",
    "DynamicSite",
    "GzipBomb",
    "HostileServer",
    "Huge",
    "LyingLength",
    "Raw",
    "Stall",
    "TreeSampler",
    "hostile_site",
    "landing_site",
    "listening_sockets",
    "load_site",
    "process_tree",
    "prose",
    "tree_rss",
]

XML = "application/xml; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
MB = 1024 * 1024

# ---------------------------------------------------------------------------------------
# Text


_WORDS = (
    "council budget river harbour school teacher railway station market farmer winter "
    "summer election mayor bridge library museum festival orchestra hospital nurse doctor "
    "village mountain valley forest storm flood drought harvest bakery ferry island tunnel "
    "engineer museum painter novel poet theatre stadium referee coach league season "
    "archive letter minister parliament treaty border customs freight airport runway "
    "pilot tram cyclist pavement square fountain cathedral tower clock bell garden"
).split()


def prose(seed: int | str, words: int) -> str:
    """Deterministic, distinct running text: sentences of 8-16 words from a small vocabulary."""
    rng = random.Random(str(seed))
    out: list[str] = []
    while len(out) < words:
        n = min(rng.randint(8, 16), words - len(out))
        sentence = [rng.choice(_WORDS) for _ in range(n)]
        sentence[0] = sentence[0].capitalize()
        sentence[-1] += "."
        out.extend(sentence)
    return " ".join(out)


def _paragraphs(seed: str, count: int, words: int = 45) -> str:
    return "".join(f"<p>{prose(f'{seed}-{i}', words)}</p>" for i in range(count))


def _article(base: str, path: str, title: str, body: str, *, head_extra: str = "") -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<meta property='og:type' content='article'>"
        f"<link rel='canonical' href='{base}{path}'>"
        "<meta property='article:published_time' content='2024-05-06T08:00:00Z'>"
        f"{head_extra}</head><body><header><a href='/'>Home</a></header>"
        f"<article><h1>{html.escape(title)}</h1>{body}</article>"
        "<footer><p>Copyright the hostile gazette.</p></footer></body></html>"
    )


# ---------------------------------------------------------------------------------------
# Raw behaviours: resources that write their own response


class Raw(Resource):
    """A resource that writes its own response (status line, headers, body) to the socket.

    ``send(handler, stop)`` is called instead of the normal answer; ``stop`` is set when
    the server stops (a stalled answer must wait on it, not sleep forever). Returns the
    number of body bytes written."""

    def __init__(self, content_type: str = HTML) -> None:
        super().__init__(b"", content_type=content_type, conditional=False, gzip=False)

    def send(self, handler: Any, stop: threading.Event) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def _head(handler: Any, status: int, headers: dict[str, str]) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()


_FILLER = (
    b"<p>" + b"All work and no play makes the crawler a dull crawler. " * 1000 + b"</p>\n"
) * 16  # about 900 KB of HTML


class Huge(Raw):
    """``size`` bytes of HTML, streamed (never held in memory), with a true Content-Length
    or, with ``content_length=False``, none at all (the end is the connection's close)."""

    def __init__(self, size: int, *, content_length: bool = True, content_type: str = HTML):
        super().__init__(content_type)
        self.size = size
        self.content_length = content_length

    def send(self, handler: Any, stop: threading.Event) -> int:
        headers = {"Content-Type": self.content_type}
        if self.content_length:
            headers["Content-Length"] = str(self.size)
        else:
            headers["Connection"] = "close"
        handler.close_connection = True
        self._head(handler, 200, headers)
        return _stream(handler, self.size, stop)


def _stream(handler: Any, size: int, stop: threading.Event) -> int:
    sent = 0
    try:
        while sent < size and not stop.is_set():
            chunk = _FILLER[: size - sent]
            handler.wfile.write(chunk)
            sent += len(chunk)
    except OSError:  # the client gave up (as it should)
        pass
    return sent


_BOMB_MEMBER: bytes | None = None
_BOMB_LOCK = threading.Lock()
_BOMB_MEMBER_SIZE = 16 * MB


def _bomb_member() -> bytes:
    """One gzip member of 16 MiB of spaces (about 16 KB compressed), built once."""
    global _BOMB_MEMBER
    with _BOMB_LOCK:
        if _BOMB_MEMBER is None:
            _BOMB_MEMBER = gzip.compress(b" " * _BOMB_MEMBER_SIZE, compresslevel=9, mtime=0)
        return _BOMB_MEMBER


class GzipBomb(Raw):
    """A few MB of gzip that expand to ``expanded`` bytes (default 4 GiB of spaces, after a
    small valid prefix): ``Content-Encoding: gzip`` by default, or with ``encoded=False``
    a raw gzip payload (a ``.gz`` file, or a page that is a gzip file)."""

    def __init__(
        self,
        expanded: int = 4096 * MB,
        *,
        content_type: str = HTML,
        encoded: bool = True,
        prefix: bytes = b"<!DOCTYPE html><html><head><title>bomb</title></head><body>",
    ) -> None:
        super().__init__(content_type)
        self.members = max(1, expanded // _BOMB_MEMBER_SIZE)
        self.encoded = encoded
        self.prefix = prefix

    def payload(self) -> bytes:
        return gzip.compress(self.prefix, mtime=0) + _bomb_member() * self.members

    def send(self, handler: Any, stop: threading.Event) -> int:
        body = self.payload()
        headers = {"Content-Type": self.content_type, "Content-Length": str(len(body))}
        if self.encoded:
            headers["Content-Encoding"] = "gzip"
        self._head(handler, 200, headers)
        try:
            handler.wfile.write(body)
        except OSError:
            pass
        return len(body)


class Stall(Raw):
    """Headers announcing ``size`` bytes, the first ``sent`` of them, then silence until the
    server stops (or ``hold`` seconds pass)."""

    def __init__(self, size: int = 200_000, sent: int = 100_000, hold: float = 600.0):
        super().__init__(HTML)
        self.size, self.sent, self.hold = size, sent, hold

    def send(self, handler: Any, stop: threading.Event) -> int:
        self._head(handler, 200, {"Content-Type": HTML, "Content-Length": str(self.size)})
        handler.close_connection = True
        try:
            handler.wfile.write(_FILLER[: self.sent])
            handler.wfile.flush()
        except OSError:
            return 0
        stop.wait(self.hold)
        return self.sent


class LyingLength(Raw):
    """A Content-Length that lies: ``claimed`` bytes announced, ``actual`` sent, then the
    connection is closed (claimed > actual: the body is cut short; claimed < actual: the
    extra bytes are garbage after the response)."""

    def __init__(self, claimed: int, actual: int) -> None:
        super().__init__(HTML)
        self.claimed, self.actual = claimed, actual

    def send(self, handler: Any, stop: threading.Event) -> int:
        self._head(handler, 200, {"Content-Type": HTML, "Content-Length": str(self.claimed)})
        handler.close_connection = True
        return _stream(handler, self.actual, stop)


class _HostileHandler(_server._Handler):
    server: Any

    def _answer(self, head: bool) -> None:
        owner: HostileServer = self.server.owner
        target = self.path
        res = owner.site.lookup(target.split("#", 1)[0])
        if not isinstance(res, Raw) or head:
            super()._answer(head)
            return
        res._count_hit()
        arrived = time.time()
        record = RequestRecord(
            method=self.command,
            path=target,
            headers={k: v for k in ("User-Agent", "Host") if (v := self.headers.get(k))},
            status=200,
            bytes=0,
            time=arrived,
            client=self.client_address[0],
        )
        owner._record(record)
        record.bytes = res.send(self, owner.stopping)  # body bytes written before the end


class HostileServer(SiteServer):
    """A :class:`SiteServer` that also serves :class:`Raw` resources; ``stop()`` releases
    stalled answers first."""

    def __init__(self, site: Site, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(site, host, port)
        self.stopping = threading.Event()

    def bind(self) -> HostileServer:
        if self._httpd is None:
            self.stopping.clear()
            self._httpd = _server._HTTPServer((self.host, self._requested_port), _HostileHandler)
            self._httpd.owner = self  # type: ignore[assignment]
            self.site.bind(self.url)
        return self

    def stop(self) -> None:
        self.stopping.set()
        super().stop()


class DynamicSite(Site):
    """A Site whose unknown paths may be generated on request (endless pagination, a
    20,000-page load site) by ``dynamic(site, target) -> Resource | None``."""

    def __init__(
        self, name: str, dynamic: Callable[[Site, str], Resource | None], **kwargs: Any
    ) -> None:
        super().__init__(name, **kwargs)
        self.dynamic = dynamic

    def lookup(self, target: str) -> Resource | None:
        res = super().lookup(target)
        if res is None and self.base_url is not None:
            res = self.dynamic(self, target.split("?", 1)[0])
        return res


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
        _article(base, "/news/ordinary-story", "An ordinary story", _paragraphs("ordinary", 6))
    )
    r["/news/listed-before-the-bomb"] = Resource(
        _article(
            base,
            "/news/listed-before-the-bomb",
            "Listed before the bomb",
            _paragraphs("before-bomb", 5),
        )
    )
    r["/news/from-the-feed"] = Resource(
        _article(base, "/news/from-the-feed", "From the feed", _paragraphs("feed-story", 5))
    )
    r["/news/deep-nesting"] = Resource(
        _article(
            base,
            "/news/deep-nesting",
            "Deep nesting",
            _paragraphs("deep-top", 5)
            + _deep(levels, "<p>Deep inside the nest: " + prose("deep-inner", 40) + "</p>")
            + _paragraphs("deep-after", 2),
        )
    )
    utf8 = _article(
        base,
        "/news/invalid-utf8",
        "Invalid UTF-8 in Zürich",
        "".join(f"<p>Café {i} in Zürich — “{prose(f'utf8-{i}', 40)}” @BAD@</p>" for i in range(5)),
    ).encode("utf-8")
    # Lone continuation bytes, an overlong encoding, a truncated sequence, a surrogate, 0xFF.
    for bad in (b"\x80\x81", b"\xc0\xaf", b"\xe2\x82", b"\xed\xa0\x80", b"\xff\xfe"):
        utf8 = utf8.replace(b"@BAD@", b"word" + bad + b"word", 1)
    r["/news/invalid-utf8"] = Resource(utf8)
    nul = _article(
        base,
        "/news/nul-bytes",
        "NUL\x00 bytes",
        "".join(f"<p>{prose(f'nul-{i}', 40)}@NUL@ trailing words here.</p>" for i in range(5)),
    ).encode("utf-8")
    r["/news/nul-bytes"] = Resource(nul.replace(b"@NUL@", b"\x00\x00 mid\x00dle \x00"))
    line = prose("long-line", 170_000)  # about 1 MB of words, one paragraph, no newline
    r["/news/one-long-line"] = Resource(
        _article(base, "/news/one-long-line", "One long line", f"<p>{line}</p>").replace("\n", " ")
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
    r["/sitemaps/posts.xml"] = Resource(_urlset(base, articles), content_type=XML)
    r["/sitemaps/billion-laughs.xml"] = Resource(
        "<?xml version='1.0'?><!DOCTYPE urlset [" + _LAUGHS + "]>"
        "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        f"<url><loc>{base}/news/listed-before-the-bomb</loc></url>"
        f"<url><loc>{base}/news/lol-&lol9;</loc><lastmod>&lol9;</lastmod></url>"
        f"<url><loc>{base}/news/listed-after-the-bomb</loc></url></urlset>",
        content_type=XML,
    )
    r["/sitemaps/truncated.xml"] = Resource(
        _urlset(base, ["/news/ordinary-story", "/news/truncated-a"])[:-40], content_type=XML
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


def _urlset(base: str, paths: list[str]) -> str:
    return (
        "<?xml version='1.0' encoding='UTF-8'?>"
        "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        + "".join(
            f"<url><loc>{base}{p}</loc><lastmod>2024-05-06T08:00:00Z</lastmod></url>" for p in paths
        )
        + "</urlset>"
    )


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
        {"/landing": Resource(_article("", "/landing", "Landing", _paragraphs("landing", 3)))},
    )


# ---------------------------------------------------------------------------------------
# The load site


LOAD_PER_LISTING = 100
LOAD_PER_SITEMAP = 5000


_LOAD_POOL = [prose(f"load-pool-{k}", 100 + (k * 13) % 90) for k in range(97)]


def _load_article(site: Site, base: str, i: int) -> str:
    """Story ``i``: 5-9 KB, cheap to render (paragraphs picked from a fixed pool)."""
    count = 6 + i % 4
    body = "".join(
        f"<p>Story {i}, part {k}: {_LOAD_POOL[(i * 31 + k * 7) % len(_LOAD_POOL)]}</p>"
        for k in range(count)
    )
    return _article(base, f"/story/{i}", f"Story number {i}", body)


def _load_dynamic(site: Site, path: str) -> Resource | None:
    base = site.base_url or ""
    n_articles: int = site.data["articles"]
    parts = path.strip("/").split("/")
    if len(parts) == 2 and parts[1].isdigit():
        k = int(parts[1])
        if parts[0] == "story" and 0 <= k < n_articles:
            return Resource(_load_article(site, base, k), conditional=False)
        n_listings = -(-n_articles // LOAD_PER_LISTING)
        if parts[0] == "archive" and 1 <= k <= n_listings:
            first = (k - 1) * LOAD_PER_LISTING
            items = "".join(
                f"<li><a href='/story/{i}'>Story number {i}</a></li>"
                for i in range(first, min(first + LOAD_PER_LISTING, n_articles))
            )
            nxt = f"<a rel='next' href='/archive/{k + 1}'>Older posts</a>" if k < n_listings else ""
            return Resource(
                "<!DOCTYPE html><html><head><meta charset='utf-8'>"
                f"<title>Archive {k}</title></head><body><h1>Archive {k}</h1><ul>{items}</ul>"
                f"{nxt}</body></html>",
                conditional=False,
            )
        if parts[0] == "about" and k < site.data["extra"]:
            return Resource(
                "<!DOCTYPE html><html><head><meta charset='utf-8'>"
                f"<title>About {k}</title></head><body><h1>About us ({k})</h1>"
                f"<p>{_LOAD_POOL[k % len(_LOAD_POOL)]}</p></body></html>",
                conditional=False,
            )
        if parts[0] == "sitemap-posts" and 0 <= k < -(-n_articles // LOAD_PER_SITEMAP):
            first = k * LOAD_PER_SITEMAP
            paths = [f"/story/{i}" for i in range(first, min(first + LOAD_PER_SITEMAP, n_articles))]
            return Resource(_urlset(base, paths), content_type=XML, conditional=False)
    return None


def _build_load(site: Site, base: str) -> dict[str, Resource]:
    n_articles: int = site.data["articles"]
    n_sitemaps = -(-n_articles // LOAD_PER_SITEMAP)
    return {
        "/robots.txt": Resource(
            f"User-agent: *\nSitemap: {base}/sitemap.xml\n", content_type="text/plain"
        ),
        "/": Resource(
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Load Times</title></head>"
            "<body><h1>Load Times</h1><a href='/archive/1'>Archive</a>"
            + "".join(f"<a href='/about/{k}'>About {k}</a>" for k in range(site.data["extra"]))
            + "<a rel='next' href='/archive/1'>Older posts</a></body></html>"
        ),
        "/sitemap.xml": Resource(
            "<?xml version='1.0' encoding='UTF-8'?>"
            "<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
            + "".join(
                f"<sitemap><loc>{base}/sitemap-posts/{k}</loc></sitemap>" for k in range(n_sitemaps)
            )
            + "</sitemapindex>",
            content_type=XML,
        ),
    }


def load_site(pages: int) -> Site:
    """A news site of exactly ``pages`` HTML pages: the root (and an ``/about/K`` page or
    so it links, to make up the count), ``/archive/K`` listings of
    100 stories each (chained by "Older posts") and ``/story/I`` articles (5-9 KB), all
    stories also listed by sitemaps of 5,000 URLs under ``/sitemap.xml``. Pages are
    rendered on request (nothing is held in memory); no gzip."""
    if pages < 3:
        raise ValueError("pages must be at least 3")
    # root + listings + articles == pages, with listings == ceil(articles / 100)
    articles = pages - 1
    while articles + 1 + -(-articles // LOAD_PER_LISTING) > pages:
        articles -= 1
    listings = -(-articles // LOAD_PER_LISTING)
    extra = pages - (1 + listings + articles)  # /about/K pages make up the exact count
    return DynamicSite(
        "load",
        _load_dynamic,
        build=_build_load,
        data={"articles": articles, "listings": listings, "extra": extra, "pages": pages},
        gzip=False,
    )


# ---------------------------------------------------------------------------------------
# Process-tree probes (Linux /proc)


def tree_rss(pids: list[int]) -> int:
    """Sum of VmRSS (bytes) over ``pids`` (processes that are gone count 0)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", "rb") as fh:
                for line in fh:
                    if line.startswith(b"VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
        except (OSError, ValueError):
            continue
    return total


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(int(target[8:-1]))
    except OSError:
        pass
    return inodes


def _hex_addr(text: str) -> str:
    ip, port = text.split(":")
    raw = bytes.fromhex(ip)
    if len(raw) == 4:
        addr = ".".join(str(b) for b in raw[::-1])
    else:  # IPv6: four little-endian 32-bit words
        words = [raw[i : i + 4][::-1] for i in range(0, 16, 4)]
        flat = b"".join(words)
        addr = ":".join(flat[i : i + 2].hex() for i in range(0, 16, 2))
        if flat[:12] == b"\x00" * 10 + b"\xff\xff":
            addr = ".".join(str(b) for b in flat[12:])  # v4-mapped
    return f"{addr}:{int(port, 16)}"


def listening_sockets(pids: list[int]) -> list[tuple[int, str]]:
    """(pid, "address:port") of every TCP socket in LISTEN state owned by ``pids``."""
    owned: dict[int, int] = {}
    for pid in pids:
        for inode in _socket_inodes(pid):
            owned[inode] = pid
    if not owned:
        return []
    out = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as fh:
                next(fh, None)
                for line in fh:
                    cols = line.split()
                    if len(cols) > 9 and cols[3] == "0A" and int(cols[9]) in owned:
                        out.append((owned[int(cols[9])], _hex_addr(cols[1])))
        except OSError:
            continue
    return out


@dataclass
class TreeSampler:
    """Sample a process tree every ``interval`` s in a thread: peak summed VmRSS, and the
    listening sockets seen (every ``socket_every``-th sample).

    ``with TreeSampler(proc.pid) as s: proc.wait()``, then ``s.peak_rss``, ``s.listening``.
    """

    pid: int
    interval: float = 0.1
    socket_every: int = 5
    peak_rss: int = 0
    peak_pids: int = 0
    samples: int = 0
    listening: set[tuple[str, str]] = field(default_factory=set)  # (command, address)
    cpu_by_pid: dict[int, float] = field(default_factory=dict)  # utime+stime seen, seconds
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> TreeSampler:
        self._thread = threading.Thread(target=self._run, name="TreeSampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = process_tree(self.pid)
            rss = tree_rss(pids)
            self.samples += 1
            if rss > self.peak_rss:
                self.peak_rss = rss
            self.peak_pids = max(self.peak_pids, len(pids))
            for pid in pids:
                cpu = _cpu_seconds(pid)
                if cpu is not None:
                    self.cpu_by_pid[pid] = max(cpu, self.cpu_by_pid.get(pid, 0.0))
            if self.samples % self.socket_every == 1:
                for pid, addr in listening_sockets(pids):
                    self.listening.add((_cmdline(pid), addr))
            self._stop.wait(self.interval)

    @property
    def cpu_s(self) -> float:
        """CPU seconds (user + system) used by the tree, as last sampled (a lower bound:
        the last 0.1 s of each process is not seen)."""
        return sum(self.cpu_by_pid.values())


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    fields = stat[stat.rfind(b")") + 2 :].split()
    try:
        return (int(fields[11]) + int(fields[12])) / _TICK
    except (IndexError, ValueError):
        return None


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\x00", b" ").decode("utf-8", "replace").strip()[:200]
    except OSError:
        return f"pid {pid}"


def main() -> None:
    with SiteServer(landing_site()) as landing:
        with HostileServer(hostile_site(landing.url + "/landing")) as srv:
            print(f"hostile  {srv.url}/\nlanding  {landing.url}/landing", flush=True)
            print("Serving; press Ctrl-C to stop.", flush=True)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass


if __name__ == "__main__":
    main()
