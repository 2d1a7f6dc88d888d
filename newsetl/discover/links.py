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


def _heading_anchors(doc: Any) -> set[Any]:
    """The anchors that sit in a heading (as its child or grandchild) or hold one (as a
    child). Found from the headings, a few per page, rather than by looking around each of
    the hundreds of anchors."""
    found = set()
    for heading in doc.iter(*_HEADINGS):
        parent = heading.getparent()
        if parent is not None and parent.tag == "a":
            found.add(parent)
        for child in heading:
            if child.tag == "a":
                found.add(child)
            for grandchild in child:
                if grandchild.tag == "a":
                    found.add(grandchild)
    return found


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
    # The set keeps these elements' proxies alive, so doc.iter() yields the same objects.
    heading_anchors = _heading_anchors(doc)
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "mailto:", "javascript:", "tel:", "data:")):
            continue
        # A root-relative or absolute href resolves the same against any base with the
        # same scheme and host; other hrefs need the whole base.
        context = base_origin if href.startswith(("/", "http://", "https://")) else base
        # The text of an anchor without child nodes is its .text; text_content() runs an
        # XPath query.
        raw_text = (a.text or "") if len(a) == 0 else a.text_content()
        read = _read_anchor(
            context, href, a.get("rel"), a.get("aria-label"), a.get("class"), raw_text
        )
        if read is None:
            continue
        absolute, is_pagination, headline, has_text = read
        if is_pagination:
            pagination.append(absolute)
            continue
        links.append(absolute)
        if headline is not None and absolute not in headlines:
            headlines[absolute] = headline
        if has_text and a in heading_anchors:
            in_headings.add(absolute)
    return PageLinks(
        article_like, evidence, feeds, pagination, links, headlines, frozenset(in_headings)
    )


url_shape = lru_cache(maxsize=1 << 15)(_url_shape)  # pure; links repeat across pages


@lru_cache(maxsize=1 << 15)
def _read_anchor(
    context: str,
    href: str,
    rel: str | None,
    aria_label: str | None,
    classes: str | None,
    raw_text: str,
) -> tuple[str, bool, str | None, bool] | None:
    """What an anchor says, from its href (resolved against ``context``), attributes and
    text: None for a link to a file type we never fetch, else its absolute URL, whether it
    is a pagination link, its text as a headline (None unless four to forty words) and
    whether it has any text. Cached: listing pages repeat the same menu and sidebar
    anchors page after page."""
    absolute, skip = _resolve_href(context, href)
    if skip:
        return None
    rels = (rel or "").lower().split()
    text = _norm_text(raw_text)
    label = _norm_text(aria_label or "")
    if (
        "next" in rels
        or text in _NEXT_TEXTS
        or label in _NEXT_TEXTS
        or "next" in (classes or "").lower().split()
        or (text.isdigit() and len(text) <= 4 and _PAGE_URL_WEAK.search(absolute))
        or _PAGE_URL.search(absolute)
    ):
        return absolute, True, None, bool(text)
    headline = " ".join(raw_text.split()) if 4 <= text.count(" ") + 1 <= 40 else None
    return absolute, False, headline, bool(text)


@lru_cache(maxsize=1 << 15)
def _resolve_href(context: str, href: str) -> tuple[str, bool]:
    """``urljoin(context, href)``, and whether to skip it: its path names a file type we
    never fetch, or it is no URL at all (``https://[cookie-settings]/``: a bracketed host
    that is no IPv6 address makes ``urlsplit`` raise, which would lose the page's links)."""
    try:
        absolute = urljoin(context, href)
        return absolute, bool(_SKIP_EXT.search(urlsplit(absolute).path))
    except ValueError:
        return href, True
