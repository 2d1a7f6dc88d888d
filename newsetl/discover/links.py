"""HTML link analysis for discovery: whether a page carries article markup, and its
links split into feeds, pagination and the rest (with the headlines listings give them).
Pure (lxml), no Scrapy."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree, html

from newsetl.discover.classify import CRAWLER_ARTICLE_TYPES
from newsetl.discover.classify import url_shape as _url_shape

# A JSON-LD block that calls the page an article (the crawler's share of ARTICLE_TYPES).
_ARTICLE_JSONLD = re.compile(
    r"\"@type\"\s*:\s*\[?\s*\"(?:[\w:/.]*/)?(" + "|".join(CRAWLER_ARTICLE_TYPES) + r")\"",
)
_NEXT_TEXTS = frozenset(
    {
        "next",
        "next page",
        "next »",
        "next ›",
        "next →",
        "older",
        "older posts",
        "older entries",
        "older articles",
        "more posts",
        "›",
        "»",
        "→",
        ">",
        ">>",
        "more",
        "load more",
    }
)
# A URL that is a listing page by itself, and weaker forms that count only for links whose
# text is a page number (``?p=123`` is also WordPress's short link to a post).
_PAGE_URL = re.compile(r"/page/\d+/?$|[?&](page|paged)=\d+", re.I)
_PAGE_URL_WEAK = re.compile(r"[?&](pg|p|offset|start|pagenum)=\d+|/\d+/?$", re.I)
_SKIP_EXT = re.compile(
    r"\.(jpe?g|png|gif|webp|svg|ico|bmp|tiff?|css|js|mjs|json|woff2?|ttf|eot|otf|mp[34]|"
    r"m4[av]|mov|avi|wmv|webm|ogg|wav|flac|zip|gz|tgz|rar|7z|exe|dmg|apk|iso)$",
    re.I,
)
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml"})


@dataclass(slots=True)
class PageLinks:
    article_like: bool
    evidence: str
    feeds: list[str]
    pagination: list[str]
    links: list[str]
    # link -> its anchor text, for links that read as a headline (four words or more):
    # a listing names its stories by their headlines, a menu its sections by a word or two
    headlines: dict[str, str] = field(default_factory=dict)
    # links set as a heading (<h2><a>..</a></h2>, <a><h3>..</h3></a>): how listings present
    # their stories, whatever the words
    in_headings: frozenset[str] = frozenset()


_HEADINGS = frozenset({"h1", "h2", "h3", "h4"})


def _in_heading(a: Any) -> bool:
    """Whether an anchor sits in a heading (two levels up at most) or holds one."""
    node = a.getparent()
    for _ in range(2):
        if node is None:
            break
        if node.tag in _HEADINGS:
            return True
        node = node.getparent()
    return any(child.tag in _HEADINGS for child in a.iterchildren())


def _norm_text(text: str) -> str:
    return " ".join(text.split()).strip().lower()


def analyse_html(body: bytes, url: str, encoding: str | None = None) -> PageLinks:
    """Links of an HTML page split into feeds, pagination and other links, plus whether the
    page itself carries article markup (og:type article or a JSON-LD Article type)."""
    try:
        parser = html.HTMLParser(encoding=encoding) if encoding else None
        doc = html.fromstring(body, base_url=url, parser=parser)
    except (etree.ParserError, ValueError, LookupError):
        try:
            doc = html.fromstring(body, base_url=url)
        except (etree.ParserError, ValueError):
            return PageLinks(False, "unparsable", [], [], [])
    base = url
    for b in doc.iter("base"):
        if b.get("href"):
            base = urljoin(url, b.get("href"))
            break
    parts = urlsplit(base)
    base_origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else base
    article_like, evidence = False, ""
    for meta in doc.iter("meta"):
        prop = (meta.get("property") or meta.get("name") or "").lower()
        if prop == "og:type":
            og = (meta.get("content") or "").strip().lower()
            if og == "article" or og.startswith("article:"):
                article_like, evidence = True, "og_article"
            break
    if not article_like:
        for script in doc.iter("script"):
            if (script.get("type") or "").lower() == "application/ld+json":
                if _ARTICLE_JSONLD.search(script.text or ""):
                    article_like, evidence = True, "jsonld_article"
                    break
    feeds: list[str] = []
    pagination: list[str] = []
    for link in doc.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        href = link.get("href")
        if not href:
            continue
        if "alternate" in rel and (link.get("type") or "").lower() in FEED_TYPES:
            feeds.append(urljoin(base, href))
        elif "next" in rel:
            pagination.append(urljoin(base, href))
    links: list[str] = []
    headlines: dict[str, str] = {}
    in_headings: set[str] = set()
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "mailto:", "javascript:", "tel:", "data:")):
            continue
        # Listing pages repeat the same menu and sidebar links page after page: resolve each
        # (origin, href) once. A root-relative or absolute href resolves the same against
        # any base with the same scheme and host; other hrefs need the whole base.
        context = base_origin if href.startswith(("/", "http://", "https://")) else base
        absolute, skip = _resolve_href(context, href)
        if skip:
            continue
        rel = (a.get("rel") or "").lower().split()
        raw_text = a.text_content() or ""
        text = _norm_text(raw_text)
        label = _norm_text(a.get("aria-label") or "")
        classes = (a.get("class") or "").lower()
        if (
            "next" in rel
            or text in _NEXT_TEXTS
            or label in _NEXT_TEXTS
            or "next" in classes.split()
            or (text.isdigit() and len(text) <= 4 and _PAGE_URL_WEAK.search(absolute))
            or _PAGE_URL.search(absolute)
        ):
            pagination.append(absolute)
        else:
            links.append(absolute)
            if 4 <= text.count(" ") + 1 <= 40 and absolute not in headlines:
                headlines[absolute] = " ".join(raw_text.split())
            if text and _in_heading(a):
                in_headings.add(absolute)
    return PageLinks(
        article_like, evidence, feeds, pagination, links, headlines, frozenset(in_headings)
    )


url_shape = lru_cache(maxsize=1 << 15)(_url_shape)  # pure; links repeat across pages


@lru_cache(maxsize=1 << 15)
def _resolve_href(context: str, href: str) -> tuple[str, bool]:
    """``urljoin(context, href)``, and whether its path names a file type we never fetch."""
    absolute = urljoin(context, href)
    return absolute, bool(_SKIP_EXT.search(urlsplit(absolute).path))
