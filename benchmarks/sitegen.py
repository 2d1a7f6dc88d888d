"""A deterministic, realistic news site of N articles, and a fast local server for it.

Used by ``benchmarks/crawl.py``, ``benchmarks/extract_speed.py``,
``benchmarks/distributed.py`` and the tests. Every page weighs about 100 KB and is as
link-heavy and messy as a real news page: inline ``<style>`` and ``<script>`` blocks, a
``window.__STATE__`` blob and a ``__NEXT_DATA__``-like JSON blob, a mega menu of about
250 links to real section pages, a sidebar, related stories, comments, a cookie banner and
a footer of about 150 links (topics, authors, service pages and some dead links that
answer 404), around a 500-800-word article body with JSON-LD ``NewsArticle``, ``og:type``
article, an author and a date.

Pages of the site (all links stay on the site's own host):

- articles at ``/YYYY/MM/<slug>/``, listed in post sitemaps and (the newest 50) the feed;
- the home page and its pagination (``/page/N/``, 20 posts a page);
- a page per category at ``/<category>/`` (CollectionPage, paginated at
  ``/<category>/page/N/``), as WordPress serves categories with the category base
  stripped;
- about 20 sections per category at ``/<category>/<section>/``: small listings of 1-7
  teasers (headline, a line or two, author, date) with little markup: a JSON-LD
  CollectionPage on about half of them, ``og:type`` website on some, nothing on others;
- topic pages ``/topic/<slug>/`` (small listings), author pages ``/author/<slug>/`` (a bio
  and the author's latest posts) and service pages (about, contact, privacy, ...: short
  text);
- a sitemap index with post sitemaps (with ``lastmod``) and, as Yoast writes them, page,
  category (categories and sections), tag (topics) and author sitemaps; an RSS feed of the
  latest 50 posts and a robots.txt naming the sitemap index.

Text is drawn from a seeded, generated vocabulary (thousands of content words mixed with
English function words), so no two articles are near-duplicates. Two builds with the same
seed are byte-identical, in one process or in two (nothing depends on ``hash()``: no set is
ever iterated).

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
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from typing import Any

from newsetl.demo.server import HTML, RSS, TEXT, XML, QuietHTTPServer, not_modified, write_answer

__all__ = ["BenchServer", "NewsSiteGenerator", "Page", "RequestLog"]


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

# The site's service pages: (path, title). Short text, linked from every footer.
SERVICE_PAGES = (
    ("/about/", "About us"),
    ("/contact/", "Contact"),
    ("/privacy/", "Privacy policy"),
    ("/terms/", "Terms of use"),
    ("/imprint/", "Imprint"),
    ("/careers/", "Careers"),
    ("/advertise/", "Advertise with us"),
    ("/newsletter/", "Newsletters"),
    ("/help/", "Help centre"),
    ("/accessibility/", "Accessibility"),
    ("/cookie-policy/", "Cookie policy"),
    ("/faq/", "Frequently asked questions"),
    ("/subscribe/", "Subscribe"),
    ("/masthead/", "Masthead"),
)
# Links in the footer that answer 404, as real footers have: retired products, moved pages.
DEAD_LINKS = (
    ("/events/", "Events"),
    ("/podcasts/", "Podcasts"),
    ("/shop/", "Shop"),
    ("/e-paper/", "E-paper"),
    ("/weather/", "Weather"),
    ("/puzzles/crossword/", "Crossword"),
    ("/jobs/", "Jobs board"),
    ("/tickets/", "Tickets"),
    ("/classifieds/", "Classifieds"),
    ("/newsletter/archive/", "Newsletter archive"),
    ("/live/", "Live"),
    ("/video/", "Video"),
    ("/photos/galleries/", "Galleries"),
    ("/store/gift-subscriptions/", "Gift subscriptions"),
    ("/partners/", "Partners"),
    ("/press/", "Press"),
    ("/awards/", "Awards"),
    ("/apps/", "Our apps"),
    ("/account/login/", "Sign in"),
    ("/2019/05/our-new-look-explained/", "Our new look, explained"),
)
# First path segments that are not free for a category slug.
_RESERVED = frozenset(
    {"page", "topic", "author", "feed", "wp-admin", "img", "amp", "category", "tag"}
    | {p.strip("/").split("/")[0] for p, _ in SERVICE_PAGES + DEAD_LINKS}
)


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
    section: int = 0  # index into the category's sections
    topics: tuple[int, ...] = ()


@dataclass(slots=True)
class Section:
    """A subsection of a category, served at ``/<category>/<section>/``."""

    category: int
    index: int
    name: str
    slug: str
    path: str
    markup: str  # "ld+og" | "ld" | "og" | "none": what the page says it is
    teasers: int  # teaser cards shown (1-7)
    intro: str  # a line under the title, or ""


class _Words:
    """A seeded vocabulary with a Zipf-like frequency distribution."""

    def __init__(self, rng: random.Random, size: int = 9000) -> None:
        words: dict[str, None] = {}  # insertion-ordered: never iterate a set
        while len(words) < size:
            n = rng.choice((1, 1, 2, 2, 2, 3, 3, 4))
            w = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(n))
            w += rng.choice(_CODAS)
            if 3 <= len(w) <= 14:
                words[w] = None
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

    def label(self, two_words: float = 0.3) -> str:
        """A section or topic name: one word, sometimes two."""
        name = self.content_word().capitalize()
        if self.rng.random() < two_words:
            name += " " + self.content_word().capitalize()
        return name


def _slug(text: str) -> str:
    return "-".join("".join(c for c in w.lower() if c.isalnum()) for w in text.split())[:70].strip(
        "-"
    )


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _json_script(value: Any) -> str:
    """JSON for inside a ``<script>``: no ``</`` that would end it."""
    return json.dumps(value, separators=(",", ":")).replace("</", "<\\/")


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
        n_sections: int = 20,
        n_topics: int = 60,
    ) -> None:
        self.n = n_articles
        self.seed = seed
        self.per_page = per_page
        self.per_sitemap = per_sitemap
        self.feed_items = feed_items
        rng = random.Random(seed)
        self.rng = rng
        self.words = _Words(rng)
        w = self.words
        self.site_name = "The " + w.content_word().capitalize() + " Herald"
        self.categories: list[tuple[str, str]] = []
        seen: set[str] = set()
        while len(self.categories) < n_categories:
            name = w.content_word().capitalize()
            slug = _slug(name)
            if slug not in seen and slug not in _RESERVED:
                seen.add(slug)
                self.categories.append((name, slug))
        self.sections: list[list[Section]] = []
        for ci, (_, cslug) in enumerate(self.categories):
            subs: list[Section] = []
            taken = {"page", "feed", "amp"}
            while len(subs) < n_sections:
                name = w.label()
                slug = _slug(name)
                if slug in taken:
                    continue
                taken.add(slug)
                intro = w.sentence(8, 18) if rng.random() < 0.35 else ""
                subs.append(
                    Section(
                        category=ci,
                        index=len(subs),
                        name=name,
                        slug=slug,
                        path=f"/{cslug}/{slug}/",
                        markup=rng.choice(("ld+og", "ld", "og", "none")),
                        teasers=rng.randint(1, 7),
                        intro=intro,
                    )
                )
            self.sections.append(subs)
        self.authors: list[str] = []
        self.author_slugs: list[str] = []
        while len(self.authors) < n_authors:
            name = w.name()
            if _slug(name) not in self.author_slugs:
                self.authors.append(name)
                self.author_slugs.append(_slug(name))
        self._author_index = {a: i for i, a in enumerate(self.authors)}
        self.author_bios = [
            " ".join(w.sentence(10, 20) for _ in range(rng.randint(1, 2))) for _ in self.authors
        ]
        self.topics: list[tuple[str, str]] = []
        topic_slugs: set[str] = set()
        while len(self.topics) < n_topics:
            name = w.label(0.4)
            if _slug(name) not in topic_slugs:
                topic_slugs.add(_slug(name))
                self.topics.append((name, _slug(name)))
        self.topic_sizes = [rng.randint(2, 10) for _ in self.topics]
        self.commenters = [w.name().replace(" ", "_").lower() for _ in range(300)]
        self._style = self._make_style()
        self._script = self._make_script()
        self._footer_text = " ".join(w.sentence() for _ in range(14))
        self._build_id = hashlib.sha1(f"build-{seed}".encode()).hexdigest()[:21]
        self.articles = self._make_articles()
        self.article_paths = frozenset(a.path for a in self.articles)
        self._cards: dict[tuple[int, bool], str] = {}
        self._nav_html: str | None = None
        self._footer_html: str | None = None

    # -- the site's paths ---------------------------------------------------------------
    @property
    def n_listing_pages(self) -> int:
        return max(1, -(-self.n // self.per_page))

    def category_posts(self, ci: int) -> list[Article]:
        """The category's posts, newest first."""
        return [a for a in self.articles[::-1] if a.category == ci]

    def category_paths(self) -> list[str]:
        """Every page of every category: ``/<category>/`` and its ``/page/N/``."""
        out = []
        for ci, (_, slug) in enumerate(self.categories):
            pages = max(1, -(-len(self.category_posts(ci)) // self.per_page))
            out.append(f"/{slug}/")
            out += [f"/{slug}/page/{p}/" for p in range(2, pages + 1)]
        return out

    @property
    def home_paths(self) -> list[str]:
        return ["/"] + [f"/page/{p}/" for p in range(2, self.n_listing_pages + 1)]

    @property
    def section_paths(self) -> list[str]:
        return [s.path for subs in self.sections for s in subs]

    @property
    def topic_paths(self) -> list[str]:
        return [f"/topic/{slug}/" for _, slug in self.topics]

    @property
    def author_paths(self) -> list[str]:
        return [f"/author/{slug}/" for slug in self.author_slugs]

    @property
    def service_paths(self) -> list[str]:
        return [p for p, _ in SERVICE_PAGES]

    @property
    def dead_paths(self) -> list[str]:
        """Paths the footer links to that answer 404."""
        return [p for p, _ in DEAD_LINKS]

    @property
    def non_article_paths(self) -> frozenset[str]:
        """Every HTML page that is not an article: home and its pagination, categories and
        their pagination, sections, topics, authors and service pages."""
        return frozenset(
            self.home_paths
            + self.category_paths()
            + self.section_paths
            + self.topic_paths
            + self.author_paths
            + self.service_paths
        )

    # -- content ------------------------------------------------------------------------
    def _make_articles(self) -> list[Article]:
        rng, w = self.rng, self.words
        start = datetime(2023, 1, 2, 6, 0, tzinfo=UTC)
        articles: list[Article] = []
        used: set[str] = set()
        n_sections = len(self.sections[0])
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
                    section=rng.randrange(n_sections),
                    topics=tuple(sorted(rng.sample(range(len(self.topics)), rng.randint(1, 3)))),
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
        for i in range(150):
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
        for i in range(110):
            name = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6))
            parts.append(
                f"function {name}{i}(e,t){{var n=e&&e.querySelectorAll('[data-{name}]');"
                f"if(!n)return t;for(var r=0;r<n.length;r++){{n[r].setAttribute('aria-x',"
                f"'{rng.randint(0, 99999)}');t+=n[r].offsetHeight|0}}return t}}"
            )
        parts.append("d.addEventListener('DOMContentLoaded',function(){});}();")
        return "".join(parts)

    def _text(self, path: str, paragraphs: int, lo: int = 1, hi: int = 3) -> list[str]:
        """Paragraphs of text seeded by ``path`` (the same on every build)."""
        saved = self.words.rng
        self.words.rng = random.Random(f"{self.seed}:{path}")
        try:
            return [
                " ".join(self.words.sentence() for _ in range(self.words.rng.randint(lo, hi)))
                for _ in range(paragraphs)
            ]
        finally:
            self.words.rng = saved

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
        """The site header: a top bar and a mega menu of every category and section."""
        if self._nav_html is not None:
            return self._nav_html
        items = []
        for (name, slug), subs in zip(self.categories, self.sections, strict=True):
            cols = [subs[k : k + 7] for k in range(0, len(subs), 7)]
            sub = "".join(
                '<ul class="c-mega__col">'
                + "".join(
                    f'<li class="c-menu__item"><a class="c-menu__link" href="{s.path}">'
                    f"{_e(s.name)}</a></li>"
                    for s in col
                )
                + "</ul>"
                for col in cols
            )
            items.append(
                f'<li class="c-nav__item has-children"><a class="c-nav__link" '
                f'href="/{slug}/">{_e(name)}</a>'
                f'<div class="c-mega" aria-label="{_e(name)} sections">'
                f'<div class="c-mega__cols">{sub}</div></div></li>'
            )
        self._nav_html = (
            '<header class="c-site-header"><div class="c-topbar"><a class="c-logo" href="/">'
            f"{_e(self.site_name)}</a>"
            '<form class="c-search" action="/" role="search"><input name="s" type="search" '
            'placeholder="Search"><button type="submit">Search</button></form>'
            '<a class="c-btn" href="/subscribe/">Subscribe</a></div>'
            f'<nav class="c-nav" aria-label="Main"><ul class="c-nav__list">{"".join(items)}'
            "</ul></nav></header>"
        )
        return self._nav_html

    def _nav_tree(self) -> list[dict[str, Any]]:
        return [
            {
                "label": name,
                "href": f"/{slug}/",
                "children": [{"label": s.name, "href": s.path} for s in subs],
            }
            for (name, slug), subs in zip(self.categories, self.sections, strict=True)
        ]

    def _author_link(self, author: str, cls: str) -> str:
        slug = self.author_slugs[self._author_index[author]]
        return f'<a class="{cls}" href="/author/{slug}/">{_e(author)}</a>'

    def _card(self, a: Article, with_excerpt: bool = True) -> str:
        key = (a.index, with_excerpt)
        card = self._cards.get(key)
        if card is None:
            cat, cslug = self.categories[a.category]
            ex = f'<p class="c-card__excerpt">{_e(a.excerpt)}</p>' if with_excerpt else ""
            card = self._cards[key] = (
                f'<article class="c-card"><a class="c-card__cat" href="/{cslug}/">'
                f'{_e(cat)}</a><h3 class="c-card__title"><a href="{a.path}">{_e(a.title)}</a>'
                f'</h3>{ex}<div class="c-card__meta">'
                f"{self._author_link(a.author, 'c-card__author')} "
                f'<time datetime="{_iso(a.published)}">{a.published:%d %B %Y}</time></div>'
                "</article>"
            )
        return card

    def _teaser(self, a: Article) -> str:
        """A section page's teaser: headline, a line or two, author and date."""
        return (
            f'<div class="teaser"><h2 class="teaser__title"><a href="{a.path}">'
            f'{_e(a.title)}</a></h2><p class="teaser__dek">{_e(a.excerpt)}</p>'
            f'<p class="teaser__meta">{self._author_link(a.author, "teaser__author")} '
            f'&middot; <time datetime="{_iso(a.published)}">{a.published:%b %d, %Y}</time></p>'
            "</div>"
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
            '<form action="/newsletter/"><input type="email" name="email" placeholder="Email">'
            '<button type="submit">Sign up</button></form></section>'
            '<div class="c-ad c-ad--side" data-slot="side"><ins class="adsbygoogle" '
            'data-ad-client="ca-pub-0000" data-ad-slot="1111"></ins></div></aside>'
        )

    def _footer(self) -> str:
        """About 150 links: categories, topics, authors, service pages, some dead links."""
        if self._footer_html is not None:
            return self._footer_html

        def col(title: str, cls: str, links: list[tuple[str, str]]) -> str:
            lis = "".join(f'<li><a href="{href}">{_e(text)}</a></li>' for href, text in links)
            return (
                f'<div class="c-footer__col {cls}"><h3 class="c-footer__heading">{_e(title)}'
                f'</h3><ul class="c-footer__list">{lis}</ul></div>'
            )

        cols = [
            col("Sections", "c-footer__cats", [(f"/{s}/", n) for n, s in self.categories]),
            col("Topics", "c-footer__topics", [(f"/topic/{s}/", n) for n, s in self.topics]),
            col(
                "Our journalists",
                "c-footer__authors",
                [
                    (f"/author/{s}/", n)
                    for n, s in zip(self.authors, self.author_slugs, strict=True)
                ],
            ),
            col(
                self.site_name,
                "c-footer__links",
                [*((p, t) for p, t in SERVICE_PAGES), ("/feed/", "RSS")],
            ),
            col("More from us", "c-footer__more", list(DEAD_LINKS)),
        ]
        self._footer_html = (
            '<footer class="c-footer"><div class="c-footer__cols">' + "".join(cols) + "</div>"
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
        return self._footer_html

    def _data(self, path: str, page: dict[str, Any], props: dict[str, Any]) -> str:
        """The state blobs at the end of a page: ``window.__STATE__`` and a Next.js-like
        ``__NEXT_DATA__`` that carries the page's props and the whole navigation tree."""
        state = {
            "page": page,
            "ads": {"targeting": {"path": path, "type": page.get("type")}},
            "user": {"loggedIn": False, "consent": None},
        }
        next_data = {
            "props": {
                "pageProps": {**props, "navigation": self._nav_tree()},
                "__N_SSP": True,
            },
            "page": "/[...slug]",
            "query": {"slug": [s for s in path.split("/") if s]},
            "buildId": self._build_id,
            "isFallback": False,
            "gssp": True,
            "scriptLoader": [],
        }
        return (
            f"<script>window.__STATE__={_json_script(state)};</script>"
            f'<script id="__NEXT_DATA__" type="application/json">{_json_script(next_data)}'
            "</script>"
        )

    @staticmethod
    def _teaser_props(posts: list[Article]) -> list[dict[str, Any]]:
        return [
            {"id": a.index, "title": a.title, "href": a.path, "date": _iso(a.published)}
            for a in posts
        ]

    # -- pages --------------------------------------------------------------------------
    def article_page(self, base: str, a: Article) -> str:
        cat, cslug = self.categories[a.category]
        sec = self.sections[a.category][a.section]
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
            f'<script type="application/ld+json">{_json_script(ld)}</script>',
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
        tags = "".join(
            f'<li><a rel="tag" href="/topic/{self.topics[t][1]}/">{_e(self.topics[t][0])}</a></li>'
            for t in a.topics
        )
        data = self._data(
            a.path,
            {"type": "article", "id": a.index, "section": cat},
            {
                "article": {
                    "id": a.index,
                    "headline": a.title,
                    "author": a.author,
                    "published": _iso(a.published),
                    "section": sec.path,
                    "topics": [self.topics[t][1] for t in a.topics],
                    "words": sum(len(t.split()) for _, t in a.paragraphs),
                },
                "related": self._teaser_props([self.articles[r] for r in a.related]),
            },
        )
        return (
            head + '<body class="single-post">' + self._nav() + '<main class="c-main">'
            '<article class="c-article"><header class="c-article__header">'
            f'<nav class="c-breadcrumb"><a href="/">Home</a> &rsaquo; '
            f'<a class="c-article__cat" href="/{cslug}/">{_e(cat)}</a> &rsaquo; '
            f'<a href="{sec.path}">{_e(sec.name)}</a></nav>'
            f'<h1>{_e(a.title)}</h1><p class="c-standfirst">{_e(a.excerpt)}</p>'
            f'<div class="c-byline">By <a class="c-byline__author" rel="author" '
            f'href="/author/{self.author_slugs[self._author_index[a.author]]}/">'
            f'{_e(a.author)}</a> <time datetime="{_iso(a.published)}">'
            f"{a.published:%d %B %Y, %H:%M} UTC</time></div>"
            '<div class="c-share"><button>Share</button><button>Save</button></div></header>'
            f'<div class="c-article__body entry-content">{body}</div>'
            f'<footer class="c-article__footer"><ul class="c-tags">{tags}</ul></footer>'
            '<div class="c-ad c-ad--mid" data-slot="mid"></div></article>'
            '<section class="c-related"><h2>Related stories</h2>'
            f'<div class="c-grid">{related}</div></section>'
            f'<section class="c-comments" id="comments"><h2>{len(a.comments)} comments</h2>'
            f'<ol class="c-comment-list">{comments}</ol></section></main>'
            + self._sidebar(a.index)
            + data
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
        above: str = "",
    ) -> str:
        """The home page, its pagination, and category pages: 20 cards with excerpts."""
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
            f'<script type="application/ld+json">{_json_script(ld)}</script>',
        )
        return (
            head + '<body class="archive">' + self._nav() + '<main class="c-main">'
            f'<h1 class="c-archive__title">{_e(title)}</h1>{above}<div class="c-grid">'
            + "".join(self._card(a) for a in posts)
            + f'</div><nav class="c-pagination" aria-label="Pages">{page_links}</nav></main>'
            + self._sidebar(-1)
            + self._data(path, {"type": "listing"}, {"posts": self._teaser_props(posts)})
            + self._footer()
        )

    def section_posts(self, s: Section) -> list[Article]:
        """A section page's teasers: its own newest posts, then its category's."""
        posts = self.category_posts(s.category)
        own = [a for a in posts if a.section == s.index]
        rest = [a for a in posts if a.section != s.index]
        return (own + rest)[: s.teasers]

    def section_page(self, base: str, s: Section) -> str:
        """A small listing with little markup: the hard case for an article classifier."""
        cat, cslug = self.categories[s.category]
        posts = self.section_posts(s)
        title = f"{s.name} - {cat}"
        extra = f'<meta name="description" content="{_e(s.intro)}">' if s.intro else ""
        if s.markup in ("ld+og", "og"):
            extra += '<meta property="og:type" content="website">'
            extra += f'<meta property="og:title" content="{_e(title)}">'
        if s.markup in ("ld+og", "ld"):
            ld = {
                "@context": "https://schema.org",
                "@type": "CollectionPage",
                "name": s.name,
                "url": base + s.path,
                "isPartOf": {"@type": "WebSite", "name": self.site_name},
            }
            extra += f'<script type="application/ld+json">{_json_script(ld)}</script>'
        head = self._head(base, title, s.path, extra)
        intro = f'<p class="section__intro">{_e(s.intro)}</p>' if s.intro else ""
        teasers = "".join(self._teaser(a) for a in posts)
        return (
            head + '<body class="section">' + self._nav() + '<main class="c-main">'
            f'<div class="section__head"><a class="section__parent" href="/{cslug}/">'
            f'{_e(cat)}</a><h1 class="section__title">{_e(s.name)}</h1>{intro}</div>'
            f'<div class="section__list">{teasers}</div></main>'
            + self._sidebar(-1)
            + self._data(
                s.path,
                {"type": "section", "section": s.slug, "parent": cslug},
                {"section": {"name": s.name, "parent": cat}, "posts": self._teaser_props(posts)},
            )
            + self._footer()
        )

    def topic_page(self, base: str, ti: int) -> str:
        name, slug = self.topics[ti]
        path = f"/topic/{slug}/"
        posts = [a for a in self.articles[::-1] if ti in a.topics][: self.topic_sizes[ti]]
        extra = '<meta property="og:type" content="website">'
        if ti % 2 == 0:
            ld = {"@context": "https://schema.org", "@type": "CollectionPage", "name": name}
            extra += f'<script type="application/ld+json">{_json_script(ld)}</script>'
        head = self._head(base, name, path, extra)
        cards = "".join(self._card(a) for a in posts) or "<p>No stories on this topic yet.</p>"
        return (
            head + '<body class="archive tag">' + self._nav() + '<main class="c-main">'
            f'<h1 class="c-archive__title">{_e(name)}</h1><div class="c-grid">{cards}</div>'
            "</main>"
            + self._sidebar(-1)
            + self._data(
                path, {"type": "topic", "topic": slug}, {"posts": self._teaser_props(posts)}
            )
            + self._footer()
        )

    def author_page(self, base: str, ai: int) -> str:
        name, slug = self.authors[ai], self.author_slugs[ai]
        path = f"/author/{slug}/"
        posts = [a for a in self.articles[::-1] if a.author == name][:10]
        ld = {
            "@context": "https://schema.org",
            "@type": "ProfilePage",
            "mainEntity": {"@type": "Person", "name": name, "description": self.author_bios[ai]},
        }
        head = self._head(
            base,
            name,
            path,
            '<meta property="og:type" content="profile">'
            f'<script type="application/ld+json">{_json_script(ld)}</script>',
        )
        cards = "".join(self._card(a) for a in posts) or "<p>No stories yet.</p>"
        return (
            head + '<body class="archive author">' + self._nav() + '<main class="c-main">'
            f'<div class="c-author"><h1 class="c-author__name">{_e(name)}</h1>'
            f'<p class="c-author__bio">{_e(self.author_bios[ai])}</p></div>'
            f"<h2>Latest from {_e(name)}</h2>"
            f'<div class="c-grid">{cards}</div></main>'
            + self._sidebar(-1)
            + self._data(
                path, {"type": "author", "author": slug}, {"posts": self._teaser_props(posts)}
            )
            + self._footer()
        )

    def static_page(self, base: str, path: str, title: str) -> str:
        """A service page: a few short paragraphs (a form on the contact page)."""
        paras = self._text(path, random.Random(f"{self.seed}:{path}:n").randint(2, 5))
        text = "".join(f"<p>{_e(p)}</p>" for p in paras)
        if path == "/contact/":
            text += (
                '<form class="c-form" action="/contact/" method="post"><label>Name <input '
                'name="name"></label><label>Email <input type="email" name="email"></label>'
                '<label>Message <textarea name="message"></textarea></label>'
                '<button type="submit">Send</button></form>'
            )
        head = self._head(base, title, path, '<meta property="og:type" content="website">')
        return (
            head + '<body class="page">' + self._nav() + '<main class="c-main">'
            f"<h1>{_e(title)}</h1>{text}</main>"
            + self._sidebar(-1)
            + self._data(path, {"type": "page"}, {"title": title})
            + self._footer()
        )

    @staticmethod
    def _pagination(page: int, pages: int, prefix: str = "/") -> str:
        def href(p: int) -> str:
            return prefix if p == 1 else f"{prefix}page/{p}/"

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

    def _paged(
        self,
        base: str,
        prefix: str,
        name: str,
        posts: list[Article],
        above: str = "",
    ) -> list[tuple[str, str]]:
        """A paginated listing at ``prefix`` (``/`` or ``/<category>/``): (path, html)."""
        n_pages = max(1, -(-len(posts) // self.per_page))

        def at(p: int) -> str:
            return prefix if p == 1 else f"{prefix}page/{p}/"

        out = []
        for p in range(1, n_pages + 1):
            chunk = posts[(p - 1) * self.per_page : p * self.per_page]
            title = name if p == 1 else f"{name} - page {p}"
            body = self.listing_page(
                base,
                at(p),
                title,
                chunk,
                at(p - 1) if p > 1 else None,
                at(p + 1) if p < n_pages else None,
                self._pagination(p, n_pages, prefix),
                above,
            )
            out.append((at(p), body))
        return out

    def build(self, base: str) -> dict[str, Page]:
        """Every path of the site, rendered for ``base`` (``http://127.0.0.1:PORT``)."""
        base = base.rstrip("/")
        site_mod = max(a.modified for a in self.articles).timestamp()
        pages: dict[str, Page] = {}

        def put(path: str, body: str, modified: float) -> None:
            assert path not in pages, path
            pages[path] = Page(body.encode(), HTML, modified).finish()

        for a in self.articles:
            put(a.path, self.article_page(base, a), a.modified.timestamp())
        newest = self.articles[::-1]
        for path, body in self._paged(base, "/", self.site_name, newest):
            put(path, body, site_mod)
        for ci, (name, slug) in enumerate(self.categories):
            chips = "".join(
                f'<li><a href="{s.path}">{_e(s.name)}</a></li>' for s in self.sections[ci]
            )
            above = f'<nav class="c-subnav" aria-label="{_e(name)}"><ul>{chips}</ul></nav>'
            for path, body in self._paged(base, f"/{slug}/", name, self.category_posts(ci), above):
                put(path, body, site_mod)
            for s in self.sections[ci]:
                put(s.path, self.section_page(base, s), site_mod)
        for ti in range(len(self.topics)):
            put(f"/topic/{self.topics[ti][1]}/", self.topic_page(base, ti), site_mod)
        for ai in range(len(self.authors)):
            put(f"/author/{self.author_slugs[ai]}/", self.author_page(base, ai), site_mod)
        for path, title in SERVICE_PAGES:
            put(path, self.static_page(base, path, title), 1700000000.0)

        # Sitemaps, as Yoast writes them: an index, post sitemaps (oldest first), then
        # pages, categories (with their sections), tags (topics) and authors.
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
        site_dt = datetime.fromtimestamp(site_mod, UTC)
        urls = "".join(
            f"<url><loc>{base}{p}</loc><lastmod>2023-11-14T22:13:20+00:00</lastmod></url>"
            for p, _ in SERVICE_PAGES
        )
        pages["/page-sitemap.xml"] = Page(_urlset(urls).encode(), XML, 1700000000.0).finish()
        index_entries.append(("/page-sitemap.xml", datetime.fromtimestamp(1700000000, UTC)))
        terms = {
            "/category-sitemap.xml": [
                p
                for ci, (_, slug) in enumerate(self.categories)
                for p in [f"/{slug}/"] + [s.path for s in self.sections[ci]]
            ],
            "/post_tag-sitemap.xml": self.topic_paths,
            "/author-sitemap.xml": self.author_paths,
        }
        for path, paths in terms.items():
            urls = "".join(
                f"<url><loc>{base}{p}</loc><lastmod>{_iso(site_dt)}</lastmod></url>" for p in paths
            )
            pages[path] = Page(_urlset(urls).encode(), XML, site_mod).finish()
            index_entries.append((path, site_dt))
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
        for p in self.dead_paths:
            assert p not in pages, p
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
        self.server.pace()
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
            if not_modified(self.headers, page.etag, page.modified):
                status, body = 304, b""
            elif page.gz is not None and "gzip" in (self.headers.get("Accept-Encoding") or ""):
                body = page.gz
                headers.append(("Content-Encoding", "gzip"))
                headers.append(("Vary", "Accept-Encoding"))
        sent = 0 if head or status == 304 else len(body)
        self.server.log.add(Request(self.command, target, status, sent, arrived))
        write_answer(self, status, ctype, headers, body, sent)


class _Server(QuietHTTPServer):
    request_queue_size = 128
    pages: dict[str, Page]
    log: RequestLog
    base_url: str
    interval = 0.0  # seconds between two answers, at least (0: as fast as it can)
    _next = 0.0
    _pace_lock: threading.Lock  # set per server (BenchServer)

    def pace(self) -> None:
        """Wait for this answer's turn: one every ``interval`` seconds, over all threads."""
        if not self.interval:
            return
        with self._pace_lock:
            now = time.monotonic()
            turn = max(now, self._next)
            self._next = turn + self.interval
        if turn > now:
            time.sleep(turn - now)


class BenchServer:
    """Serve a generated site on ``http://127.0.0.1:<port>`` from a background thread;
    ``rate``: answer at most that many requests a second (a slower site, so that a test
    can act while a crawl of it is still going, however fast the crawler is)."""

    def __init__(
        self, generator: NewsSiteGenerator, port: int = 0, rate: float | None = None
    ) -> None:
        self.generator = generator
        self._httpd = _Server(("127.0.0.1", port), _Handler)
        self._httpd._pace_lock = threading.Lock()
        self.set_rate(rate)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._httpd.base_url = self.url
        self._httpd.log = self.log = RequestLog()
        t0 = time.perf_counter()
        self._httpd.pages = self.pages = generator.build(self.url)
        self.build_seconds = time.perf_counter() - t0
        self._thread: threading.Thread | None = None

    def set_rate(self, rate: float | None) -> None:
        """Answer at most ``rate`` requests a second from now on (None: as fast as it can)."""
        self._httpd.interval = 1.0 / rate if rate else 0.0

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
