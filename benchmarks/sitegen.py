"""A deterministic, realistic news site of N articles, and a fast local server for it.

Used by ``benchmarks/crawl.py``. Every page weighs about 100 KB, like a real news page:
inline ``<style>`` and ``<script>`` blocks, a state blob, a mega menu, sidebars, related
posts, comments, a cookie banner and a footer around a 500-800-word article body with
JSON-LD ``NewsArticle``, ``og:type`` article, an author and a date. The site has paginated
listings (20 posts a page), category pages, a sitemap index with post sitemaps (with
``lastmod``), an RSS feed of the latest 50 posts and a robots.txt naming the sitemap.

Text is drawn from a seeded, generated vocabulary (thousands of content words mixed with
English function words), so no two articles are near-duplicates and two builds with the
same seed are byte-identical.

The server (:class:`BenchServer`) answers from pre-rendered bodies with pre-compressed
gzip copies, ETag and Last-Modified validators and 304s, so it costs the benchmark as
little CPU as possible; it keeps a request log to count article downloads.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import itertools
import json
import random
import threading
import time
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["BenchServer", "NewsSiteGenerator", "Page", "RequestLog"]

HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"

FUNCTION_WORDS = (
    "the the the the of of of and and and to to to a a in in is was that for on it with "
    "as by at from his her their its this which but not or have has had were are be been "
    "will would could should after before over under about into than more most some many "
    "said says also only when while where who whose other new first last year years week "
    "since until during against between through both each every no yet so if then there "
    "they we our you he she them"
).split()
_ONSETS = "b c d f g h j k l m n p r s t v w z br cr dr fr gr pr tr bl cl fl gl pl sl st sp sk ch sh th wh qu".split()
_VOWELS = "a e i o u a e i o u a e o ai ea ou ee".split()
_CODAS = ["", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "rt", "ck", "ng", "x", "th"]
_TLDS = ("Street", "Avenue", "Road", "Lane", "Square")


@dataclass(slots=True)
class Page:
    body: bytes
    content_type: str
    modified: float  # Last-Modified, epoch seconds
    etag: str = ""
    gz: bytes | None = None
    status: int = 200
    location: str | None = None  # for redirects

    def finish(self) -> Page:
        self.etag = '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'
        if self.status == 200 and self.body:
            self.gz = gzip.compress(self.body, compresslevel=6, mtime=0)
        return self


@dataclass(slots=True)
class Article:
    index: int
    path: str
    title: str
    author: str
    category: int
    published: datetime
    modified: datetime
    paragraphs: list[tuple[str, str]]  # (tag, text): "p" or "h2"
    excerpt: str
    comments: list[tuple[str, datetime, str]]
    related: list[int]


class _Words:
    """A seeded vocabulary with a Zipf-like frequency distribution."""

    def __init__(self, rng: random.Random, size: int = 9000) -> None:
        words: set[str] = set()
        while len(words) < size:
            n = rng.choice((1, 1, 2, 2, 2, 3, 3, 4))
            w = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(n))
            w += rng.choice(_CODAS)
            if 3 <= len(w) <= 14:
                words.add(w)
        # Frequent words are short ones, as in real text.
        self.content = sorted(words, key=lambda x: (len(x) + rng.random() * 6, x))
        self.cum = list(itertools.accumulate(1.0 / (r + 8) ** 0.9 for r in range(size)))
        self.rng = rng

    def content_word(self) -> str:
        r = self.rng.random() * self.cum[-1]
        return self.content[bisect_right(self.cum, r)]

    def sentence(self, lo: int = 8, hi: int = 24) -> str:
        rng = self.rng
        n = rng.randint(lo, hi)
        out = []
        for k in range(n):
            w = rng.choice(FUNCTION_WORDS) if rng.random() < 0.42 else self.content_word()
            if k == 0:
                w = w.capitalize()
            elif rng.random() < 0.05:
                w = w.capitalize()
            out.append(w)
            if 2 < k < n - 2 and rng.random() < 0.06:
                out[-1] += ","
        if rng.random() < 0.08:
            out.insert(rng.randint(1, len(out) - 1), str(rng.randint(2, 2000)))
        return " ".join(out) + rng.choice(".........?!")

    def title(self) -> str:
        n = self.rng.randint(5, 10)
        ws = [self.content_word() if self.rng.random() < 0.7 else self.rng.choice(FUNCTION_WORDS)]
        ws += [
            self.content_word() if self.rng.random() < 0.65 else self.rng.choice(FUNCTION_WORDS)
            for _ in range(n - 1)
        ]
        return " ".join(w.capitalize() if i == 0 or len(w) > 3 else w for i, w in enumerate(ws))

    def name(self) -> str:
        return f"{self.content_word().capitalize()} {self.content_word().capitalize()}"


def _slug(text: str) -> str:
    return "-".join("".join(c for c in w.lower() if c.isalnum()) for w in text.split())[:70].strip(
        "-"
    )


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")


class NewsSiteGenerator:
    """Build every page of a news site of ``n_articles`` posts for a base URL."""

    def __init__(
        self,
        n_articles: int = 1000,
        *,
        seed: int = 20240501,
        per_page: int = 20,
        per_sitemap: int = 500,
        feed_items: int = 50,
        n_categories: int = 12,
        n_authors: int = 40,
    ) -> None:
        self.n = n_articles
        self.per_page = per_page
        self.per_sitemap = per_sitemap
        self.feed_items = feed_items
        rng = random.Random(seed)
        self.rng = rng
        self.words = _Words(rng)
        w = self.words
        self.site_name = "The " + w.content_word().capitalize() + " Herald"
        self.categories = []
        seen: set[str] = set()
        while len(self.categories) < n_categories:
            name = w.content_word().capitalize()
            if name.lower() not in seen:
                seen.add(name.lower())
                self.categories.append((name, _slug(name)))
        self.subcategories = [
            [w.content_word().capitalize() for _ in range(14)] for _ in self.categories
        ]
        self.authors = [w.name() for _ in range(n_authors)]
        self.commenters = [w.name().replace(" ", "_").lower() for _ in range(300)]
        self._style = self._make_style()
        self._script = self._make_script()
        self._footer_text = " ".join(w.sentence() for _ in range(14))
        self.articles = self._make_articles()
        self.article_paths = frozenset(a.path for a in self.articles)

    # -- content ------------------------------------------------------------------------
    def _make_articles(self) -> list[Article]:
        rng, w = self.rng, self.words
        start = datetime(2023, 1, 2, 6, 0, tzinfo=UTC)
        articles: list[Article] = []
        used: set[str] = set()
        for i in range(self.n):
            published = start + timedelta(hours=7 * i, minutes=rng.randint(0, 400))
            modified = published + timedelta(minutes=rng.choice((0, 0, 0, 12, 45, 180)))
            title = w.title()
            slug = _slug(title)
            while slug in used:
                slug += "-" + str(rng.randint(2, 9))
            used.add(slug)
            target = rng.randint(500, 800)
            paragraphs: list[tuple[str, str]] = []
            count = 0
            while count < target:
                if paragraphs and rng.random() < 0.12:
                    paragraphs.append(("h2", w.title()))
                para = " ".join(w.sentence() for _ in range(rng.randint(2, 5)))
                count += para.count(" ") + 1
                paragraphs.append(("p", para))
            comments = [
                (
                    rng.choice(self.commenters),
                    published + timedelta(minutes=rng.randint(20, 5000)),
                    " ".join(w.sentence(5, 18) for _ in range(rng.randint(1, 3))),
                )
                for _ in range(rng.randint(4, 12))
            ]
            articles.append(
                Article(
                    index=i,
                    path=f"/{published:%Y/%m}/{slug}/",
                    title=title,
                    author=rng.choice(self.authors),
                    category=rng.randrange(len(self.categories)),
                    published=published,
                    modified=modified,
                    paragraphs=paragraphs,
                    excerpt=w.sentence(14, 26),
                    comments=comments,
                    related=[],
                )
            )
        for a in articles:
            a.related = rng.sample(range(self.n), min(6, self.n))
        return articles

    def _make_style(self) -> str:
        rng = random.Random(7)
        props = (
            "margin:0 auto",
            "padding:.5rem 1rem",
            "display:flex",
            "color:#1a1a1a",
            "font-size:1.125rem",
            "line-height:1.6",
            "border-bottom:1px solid #e5e5e5",
            "background:#fff",
            "grid-template-columns:repeat(auto-fill,minmax(240px,1fr))",
            "transition:opacity .2s ease-in-out",
            "font-family:Georgia,'Times New Roman',serif",
            "text-transform:uppercase",
            "letter-spacing:.04em",
            "max-width:1200px",
            "position:relative",
            "z-index:10",
        )
        rules = []
        for i in range(250):
            sel = f".c-{rng.choice(('nav', 'card', 'hero', 'grid', 'btn', 'meta', 'ad', 'menu'))}"
            sel += f"__{rng.choice(('item', 'link', 'title', 'wrap', 'inner', 'icon'))}--{i}"
            body = ";".join(rng.sample(props, rng.randint(2, 5)))
            rules.append(f"{sel}{{{body}}}")
            if i % 40 == 0:
                rules.append(f"@media (max-width:{600 + i}px){{{sel}{{display:none}}}}")
        return "".join(rules)

    def _make_script(self) -> str:
        rng = random.Random(11)
        parts = [
            "!function(){'use strict';var w=window,d=document;w.dataLayer=w.dataLayer||[];"
            "function gtag(){dataLayer.push(arguments)}gtag('js',new Date());"
        ]
        for i in range(200):
            name = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6))
            parts.append(
                f"function {name}{i}(e,t){{var n=e&&e.querySelectorAll('[data-{name}]');"
                f"if(!n)return t;for(var r=0;r<n.length;r++){{n[r].setAttribute('aria-x',"
                f"'{rng.randint(0, 99999)}');t+=n[r].offsetHeight|0}}return t}}"
            )
        parts.append("d.addEventListener('DOMContentLoaded',function(){});}();")
        return "".join(parts)

    # -- page parts ---------------------------------------------------------------------
    def _head(self, base: str, title: str, path: str, extra: str) -> str:
        return (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(title)} | {_e(self.site_name)}</title>"
            f'<link rel="canonical" href="{base}{path}">'
            f'<link rel="alternate" type="application/rss+xml" title="{_e(self.site_name)}" '
            f'href="{base}/feed/">'
            f"{extra}<style>{self._style}</style>"
            f'<script>window.__cfg={{"site":"{_e(self.site_name)}","path":"{path}",'
            f'"ads":{{"slots":["top","side","mid","foot"],"refresh":30}}}};</script>'
            f"<script>{self._script}</script></head>"
        )

    def _nav(self) -> str:
        items = []
        for (name, slug), subs in zip(self.categories, self.subcategories, strict=True):
            sub = "".join(
                f'<li class="c-menu__item"><a class="c-menu__link" '
                f'href="/category/{slug}/#{_slug(s)}">{_e(s)}</a></li>'
                for s in subs
            )
            items.append(
                f'<li class="c-nav__item has-children"><a class="c-nav__link" '
                f'href="/category/{slug}/">{_e(name)}</a>'
                f'<ul class="c-menu__sub" aria-label="{_e(name)} sections">{sub}</ul></li>'
            )
        return (
            '<header class="c-site-header"><div class="c-topbar"><a class="c-logo" href="/">'
            f"{_e(self.site_name)}</a>"
            '<form class="c-search" action="/" role="search"><input name="s" type="search" '
            'placeholder="Search"><button type="submit">Search</button></form>'
            '<a class="c-btn" href="/about/">Subscribe</a></div>'
            f'<nav class="c-nav" aria-label="Main"><ul class="c-nav__list">{"".join(items)}'
            "</ul></nav></header>"
        )

    def _card(self, a: Article, with_excerpt: bool = True) -> str:
        cat, cslug = self.categories[a.category]
        ex = f'<p class="c-card__excerpt">{_e(a.excerpt)}</p>' if with_excerpt else ""
        return (
            f'<article class="c-card"><a class="c-card__cat" href="/category/{cslug}/">'
            f'{_e(cat)}</a><h3 class="c-card__title"><a href="{a.path}">{_e(a.title)}</a></h3>'
            f'{ex}<div class="c-card__meta"><span class="c-card__author">{_e(a.author)}</span> '
            f'<time datetime="{_iso(a.published)}">{a.published:%d %B %Y}</time></div>'
            "</article>"
        )

    def _sidebar(self, exclude: int) -> str:
        latest = [a for a in self.articles[::-1][:11] if a.index != exclude][:10]
        popular = [self.articles[(exclude * 7 + k * 131) % self.n] for k in range(1, 11)]
        lis = "".join(
            f'<li><a href="{a.path}">{_e(a.title)}</a></li>' for a in popular if a.index != exclude
        )
        return (
            '<aside class="c-sidebar"><section class="c-widget"><h2>Most read</h2>'
            f'<ol class="c-popular">{lis}</ol></section><section class="c-widget">'
            '<h2>Latest</h2><ul class="c-latest">'
            + "".join(self._card(a, with_excerpt=False) for a in latest)
            + '</ul></section><section class="c-widget c-newsletter"><h2>Newsletter</h2>'
            "<p>The morning briefing, every weekday, free in your inbox.</p>"
            '<form action="/about/"><input type="email" name="email" placeholder="Email">'
            '<button type="submit">Sign up</button></form></section>'
            '<div class="c-ad c-ad--side" data-slot="side"><ins class="adsbygoogle" '
            'data-ad-client="ca-pub-0000" data-ad-slot="1111"></ins></div></aside>'
        )

    def _footer(self) -> str:
        cats = "".join(
            f'<li><a href="/category/{slug}/">{_e(name)}</a></li>' for name, slug in self.categories
        )
        return (
            '<footer class="c-footer"><div class="c-footer__cols">'
            f'<ul class="c-footer__cats">{cats}</ul><ul class="c-footer__links">'
            '<li><a href="/about/">About us</a></li><li><a href="/contact/">Contact</a></li>'
            '<li><a href="/privacy/">Privacy policy</a></li><li><a href="/terms/">Terms of '
            'use</a></li><li><a href="/feed/">RSS</a></li></ul></div>'
            f'<p class="c-footer__legal">{_e(self._footer_text)}</p>'
            f"<p>&copy; 2024 {_e(self.site_name)}. All rights reserved.</p></footer>"
            '<div class="c-cookie" role="dialog" aria-label="Cookie consent"><p>We use '
            "cookies and similar technologies to recognise your repeat visits and "
            "preferences, to measure the effectiveness of campaigns and to improve our "
            "websites. For settings and more information about cookies, view our Cookie "
            'Policy. By clicking "I accept" on this banner you consent to the use of '
            'cookies unless you have disabled them.</p><button class="c-btn">I accept'
            '</button><button class="c-btn c-btn--ghost">Manage preferences</button></div>'
            "<script>(function(){var b=document.querySelector('.c-cookie');"
            "if(localStorage.getItem('ok'))b.remove()})();</script></body></html>"
        )

    # -- pages --------------------------------------------------------------------------
    def article_page(self, base: str, a: Article) -> str:
        cat, cslug = self.categories[a.category]
        url = base + a.path
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": a.title,
            "description": a.excerpt,
            "datePublished": _iso(a.published),
            "dateModified": _iso(a.modified),
            "author": [{"@type": "Person", "name": a.author}],
            "publisher": {"@type": "Organization", "name": self.site_name},
            "mainEntityOfPage": {"@type": "WebPage", "@id": url},
            "articleSection": cat,
            "image": [f"{base}/img/{a.index}.jpg"],
        }
        state = {
            "page": {"type": "article", "id": a.index, "section": cat},
            "related": a.related,
            "ads": {"targeting": {"sec": cslug, "kw": a.title.lower().split()[:6]}},
            "analytics": {
                "author": a.author,
                "words": sum(len(t.split()) for _, t in a.paragraphs),
            },
        }
        head = self._head(
            base,
            a.title,
            a.path,
            f'<meta name="description" content="{_e(a.excerpt)}">'
            '<meta property="og:type" content="article">'
            f'<meta property="og:title" content="{_e(a.title)}">'
            f'<meta property="og:url" content="{url}">'
            f'<meta property="og:site_name" content="{_e(self.site_name)}">'
            f'<meta property="article:published_time" content="{_iso(a.published)}">'
            f'<meta property="article:modified_time" content="{_iso(a.modified)}">'
            f'<meta property="article:section" content="{_e(cat)}">'
            f'<meta name="author" content="{_e(a.author)}">'
            f'<script type="application/ld+json">{json.dumps(ld)}</script>',
        )
        body = "".join(f"<{t}>{_e(x)}</{t}>" for t, x in a.paragraphs)
        related = "".join(self._card(self.articles[r]) for r in a.related if r != a.index)
        comments = "".join(
            f'<li class="c-comment"><div class="c-comment__meta"><b>{_e(who)}</b> '
            f'<time datetime="{_iso(when)}">{when:%d %b %Y %H:%M}</time></div>'
            f"<p>{_e(text)}</p>"
            '<button class="c-comment__reply">Reply</button></li>'
            for who, when, text in a.comments
        )
        return (
            head + '<body class="single-post">' + self._nav() + '<main class="c-main">'
            '<article class="c-article"><header class="c-article__header">'
            f'<a class="c-article__cat" href="/category/{cslug}/">{_e(cat)}</a>'
            f'<h1>{_e(a.title)}</h1><p class="c-standfirst">{_e(a.excerpt)}</p>'
            f'<div class="c-byline">By <span class="c-byline__author" rel="author">'
            f'{_e(a.author)}</span> <time datetime="{_iso(a.published)}">'
            f"{a.published:%d %B %Y, %H:%M} UTC</time></div>"
            '<div class="c-share"><button>Share</button><button>Save</button></div></header>'
            f'<div class="c-article__body entry-content">{body}</div>'
            '<div class="c-ad c-ad--mid" data-slot="mid"></div></article>'
            '<section class="c-related"><h2>Related stories</h2>'
            f'<div class="c-grid">{related}</div></section>'
            f'<section class="c-comments" id="comments"><h2>{len(a.comments)} comments</h2>'
            f'<ol class="c-comment-list">{comments}</ol></section></main>'
            + self._sidebar(a.index)
            + f"<script>window.__STATE__={json.dumps(state)};</script>"
            + self._footer()
        )

    def listing_page(
        self,
        base: str,
        path: str,
        title: str,
        posts: list[Article],
        prev_path: str | None,
        next_path: str | None,
        page_links: str,
    ) -> str:
        links = ""
        if prev_path:
            links += f'<link rel="prev" href="{base}{prev_path}">'
        if next_path:
            links += f'<link rel="next" href="{base}{next_path}">'
        ld = {"@context": "https://schema.org", "@type": "CollectionPage", "name": title}
        head = self._head(
            base,
            title,
            path,
            links + '<meta property="og:type" content="website">'
            f'<script type="application/ld+json">{json.dumps(ld)}</script>',
        )
        return (
            head + '<body class="archive">' + self._nav() + '<main class="c-main">'
            f'<h1 class="c-archive__title">{_e(title)}</h1><div class="c-grid">'
            + "".join(self._card(a) for a in posts)
            + f'</div><nav class="c-pagination" aria-label="Pages">{page_links}</nav></main>'
            + self._sidebar(-1)
            + self._footer()
        )

    def static_page(self, base: str, path: str, title: str) -> str:
        rng = random.Random(path)
        saved = self.words.rng
        self.words.rng = rng
        try:
            text = "".join(f"<p>{_e(self.words.sentence())}</p>" for _ in range(5))
        finally:
            self.words.rng = saved
        head = self._head(base, title, path, '<meta property="og:type" content="website">')
        return (
            head + '<body class="page">' + self._nav() + '<main class="c-main">'
            f"<h1>{_e(title)}</h1>{text}</main>" + self._sidebar(-1) + self._footer()
        )

    def _pagination(self, page: int, pages: int) -> str:
        def href(p: int) -> str:
            return "/" if p == 1 else f"/page/{p}/"

        out = []
        if page > 1:
            out.append(f'<a class="prev" href="{href(page - 1)}">Previous</a>')
        shown = sorted(
            {1, 2, page - 1, page, page + 1, pages - 1, pages} & set(range(1, pages + 1))
        )
        last = 0
        for p in shown:
            if p - last > 1:
                out.append('<span class="dots">&hellip;</span>')
            if p == page:
                out.append(f'<span aria-current="page">{p}</span>')
            else:
                out.append(f'<a class="page-numbers" href="{href(p)}">{p}</a>')
            last = p
        if page < pages:
            out.append(f'<a class="next" rel="next" href="{href(page + 1)}">Next</a>')
        return "".join(out)

    def build(self, base: str) -> dict[str, Page]:
        """Every path of the site, rendered for ``base`` (``http://127.0.0.1:PORT``)."""
        base = base.rstrip("/")
        site_mod = max(a.modified for a in self.articles).timestamp()
        pages: dict[str, Page] = {}
        for a in self.articles:
            pages[a.path] = Page(
                self.article_page(base, a).encode(), HTML, a.modified.timestamp()
            ).finish()
        newest = self.articles[::-1]
        n_pages = max(1, -(-self.n // self.per_page))
        for p in range(1, n_pages + 1):
            path = "/" if p == 1 else f"/page/{p}/"
            posts = newest[(p - 1) * self.per_page : p * self.per_page]
            prev_path = None if p == 1 else ("/" if p == 2 else f"/page/{p - 1}/")
            next_path = f"/page/{p + 1}/" if p < n_pages else None
            title = self.site_name if p == 1 else f"{self.site_name} - page {p}"
            body = self.listing_page(
                base, path, title, posts, prev_path, next_path, self._pagination(p, n_pages)
            )
            pages[path] = Page(body.encode(), HTML, site_mod).finish()
        for ci, (name, slug) in enumerate(self.categories):
            posts = [a for a in newest if a.category == ci][: self.per_page]
            path = f"/category/{slug}/"
            body = self.listing_page(base, path, name, posts, None, None, "")
            pages[path] = Page(body.encode(), HTML, site_mod).finish()
        statics = {
            "/about/": "About us",
            "/contact/": "Contact",
            "/privacy/": "Privacy policy",
            "/terms/": "Terms of use",
        }
        for path, title in statics.items():
            pages[path] = Page(
                self.static_page(base, path, title).encode(), HTML, 1700000000.0
            ).finish()
        # Sitemaps: an index, post sitemaps (oldest first, like Yoast), pages, categories.
        chunks = [
            self.articles[i : i + self.per_sitemap] for i in range(0, self.n, self.per_sitemap)
        ]
        index_entries = []
        for k, chunk in enumerate(chunks, start=1):
            urls = "".join(
                f"<url><loc>{base}{a.path}</loc><lastmod>{_iso(a.modified)}</lastmod></url>"
                for a in chunk
            )
            path = f"/post-sitemap{k}.xml"
            mod = max(a.modified for a in chunk)
            pages[path] = Page(_urlset(urls).encode(), XML, mod.timestamp()).finish()
            index_entries.append((path, mod))
        urls = "".join(
            f"<url><loc>{base}{p}</loc><lastmod>2023-11-14T22:13:20+00:00</lastmod></url>"
            for p in statics
        )
        pages["/page-sitemap.xml"] = Page(_urlset(urls).encode(), XML, 1700000000.0).finish()
        index_entries.append(("/page-sitemap.xml", datetime.fromtimestamp(1700000000, UTC)))
        urls = "".join(f"<url><loc>{base}/category/{s}/</loc></url>" for _, s in self.categories)
        pages["/category-sitemap.xml"] = Page(_urlset(urls).encode(), XML, site_mod).finish()
        index_entries.append(("/category-sitemap.xml", datetime.fromtimestamp(site_mod, UTC)))
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(
                f"<sitemap><loc>{base}{p}</loc><lastmod>{_iso(m)}</lastmod></sitemap>"
                for p, m in index_entries
            )
            + "</sitemapindex>"
        )
        pages["/sitemap_index.xml"] = Page(body.encode(), XML, site_mod).finish()
        pages["/sitemap.xml"] = Page(
            b"", HTML, site_mod, status=301, location="/sitemap_index.xml"
        ).finish()
        pages["/robots.txt"] = Page(
            (
                "User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n\n"
                f"Sitemap: {base}/sitemap_index.xml\n"
            ).encode(),
            TEXT,
            1700000000.0,
        ).finish()
        items = "".join(
            "<item>"
            f"<title>{_e(a.title)}</title><link>{base}{a.path}</link>"
            f'<guid isPermaLink="true">{base}{a.path}</guid>'
            f"<pubDate>{formatdate(a.published.timestamp(), usegmt=True)}</pubDate>"
            f"<dc:creator>{_e(a.author)}</dc:creator>"
            f"<category>{_e(self.categories[a.category][0])}</category>"
            f"<description>{_e(a.excerpt)}</description></item>"
            for a in newest[: self.feed_items]
        )
        rss = (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
            f"<title>{_e(self.site_name)}</title><link>{base}/</link>"
            f"<description>Latest news</description>{items}</channel></rss>"
        )
        pages["/feed/"] = Page(rss.encode(), RSS, site_mod).finish()
        return pages


def _urlset(urls: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    )


# -- server ---------------------------------------------------------------------------------
@dataclass(slots=True)
class Request:
    method: str
    path: str
    status: int
    bytes: int
    time: float


class RequestLog:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.records: list[Request] = []

    def add(self, rec: Request) -> None:
        with self.lock:
            self.records.append(rec)

    def snapshot(self) -> list[Request]:
        with self.lock:
            return list(self.records)

    def clear(self) -> None:
        with self.lock:
            self.records.clear()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bench-news/1.0"
    timeout = 30
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return

    def do_GET(self) -> None:
        self._answer(False)

    def do_HEAD(self) -> None:
        self._answer(True)

    def _answer(self, head: bool) -> None:
        arrived = time.time()
        target = self.path
        if target.startswith(("http://", "https://")):
            target = "/" + target.split("/", 3)[3] if target.count("/") >= 3 else "/"
        path = target.split("?", 1)[0].split("#", 1)[0]
        page = self.server.pages.get(path)
        headers: list[tuple[str, str]] = []
        if page is None:
            status, ctype, body = 404, HTML, b"<!DOCTYPE html><html><body>Not found</body></html>"
        elif page.status != 200:
            status, ctype, body = page.status, page.content_type, b""
            if page.location:
                headers.append(("Location", self.server.base_url + page.location))
        else:
            status, ctype, body = 200, page.content_type, page.body
            headers.append(("ETag", page.etag))
            headers.append(("Last-Modified", formatdate(page.modified, usegmt=True)))
            if _not_modified(self.headers, page):
                status, body = 304, b""
            elif page.gz is not None and "gzip" in (self.headers.get("Accept-Encoding") or ""):
                body = page.gz
                headers.append(("Content-Encoding", "gzip"))
                headers.append(("Vary", "Accept-Encoding"))
        sent = 0 if head or status == 304 else len(body)
        self.server.log.add(Request(self.command, target, status, sent, arrived))
        self.send_response(status)
        if status != 304:
            self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", "0" if status == 304 else str(len(body)))
        self.end_headers()
        if sent:
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass


def _not_modified(req_headers: Any, page: Page) -> bool:
    inm = req_headers.get("If-None-Match")
    if inm is not None:
        return page.etag in {t.strip().removeprefix("W/") for t in inm.split(",")} or inm == "*"
    ims = req_headers.get("If-Modified-Since")
    if ims:
        try:
            return page.modified <= parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError):
            return False
    return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    pages: dict[str, Page]
    log: RequestLog
    base_url: str

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class BenchServer:
    """Serve a generated site on ``http://127.0.0.1:<port>`` from a background thread."""

    def __init__(self, generator: NewsSiteGenerator, port: int = 0) -> None:
        self.generator = generator
        self._httpd = _Server(("127.0.0.1", port), _Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._httpd.base_url = self.url
        self._httpd.log = self.log = RequestLog()
        t0 = time.perf_counter()
        self._httpd.pages = self.pages = generator.build(self.url)
        self.build_seconds = time.perf_counter() - t0
        self._thread: threading.Thread | None = None

    def start(self) -> BenchServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()

    def __enter__(self) -> BenchServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def article_requests(self, records: list[Request] | None = None) -> dict[str, int]:
        """Requests for article paths: all, full downloads (200 with a body), 304s."""
        recs = self.log.snapshot() if records is None else records
        paths = self.generator.article_paths
        art = [r for r in recs if r.path.split("?", 1)[0] in paths]
        return {
            "requests": len(art),
            "downloads": sum(1 for r in art if r.status == 200 and r.bytes > 0),
            "not_modified": sum(1 for r in art if r.status == 304),
        }
