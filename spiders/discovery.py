"""Pure helpers for the spider: what a response is, and what it lists.

No Scrapy here: these take bytes/strings and return plain data, so they are easy to test.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

from lxml import etree, html

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Types a discovery document (sitemap, feed) may come with.
XML_TYPES = frozenset(
    {
        "text/xml",
        "application/xml",
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/x-rss+xml",
    }
)
GZIP_TYPES = frozenset(
    {"application/gzip", "application/x-gzip", "application/octet-stream", "binary/octet-stream"}
)
MAX_GUNZIP = 50 * 1024 * 1024  # sitemaps are at most 50 MB uncompressed by the protocol

_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)


def split_content_type(header: str | bytes | None) -> tuple[str | None, str | None]:
    """``text/html; charset=UTF-8`` -> (``text/html``, ``UTF-8``)."""
    if not header:
        return None, None
    text = header.decode("latin-1") if isinstance(header, bytes) else header
    mime = text.split(";", 1)[0].strip().lower() or None
    match = _CHARSET.search(text)
    return mime, (match.group(1) if match else None)


def gunzip(body: bytes, limit: int = MAX_GUNZIP) -> bytes | None:
    """Decompress a gzip body up to ``limit`` bytes; None if it is not valid gzip."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as fh:
            data = fh.read(limit + 1)
    except (OSError, EOFError, zlib.error):
        return None
    return data[:limit]


def root_element(body: bytes) -> str | None:
    """Local name (lower case) of the first element in a markup document, skipping the
    XML declaration, processing instructions, comments and the doctype."""
    head = body[:65536].lstrip(b"\xef\xbb\xbf \t\r\n")
    pos = 0
    while True:
        lt = head.find(b"<", pos)
        if lt < 0:
            return None
        nxt = head[lt + 1 : lt + 4]
        if nxt.startswith(b"!--"):
            end = head.find(b"-->", lt + 4)
            if end < 0:
                return None
            pos = end + 3
            continue
        if nxt[:1] in (b"?", b"!"):
            end = head.find(b">", lt + 1)
            if end < 0:
                return None
            pos = end + 1
            continue
        match = _ROOT.match(head, lt)
        if not match:
            pos = lt + 1
            continue
        name = match.group(1).decode("ascii", "replace").lower()
        return name.rsplit(":", 1)[-1]


def sniff(content_type: str | None, body: bytes) -> tuple[str, bytes]:
    """Decide from the response (not the URL) what a document is.

    Returns (kind, body) where kind is ``html``, ``urlset``, ``sitemapindex``, ``rss``,
    ``atom``, ``rdf``, ``text`` (plain text) or ``other``; body is gunzipped when the
    payload was a gzip file (``sitemap.xml.gz``).
    """
    mime = (content_type or "").lower()
    if body[:2] == b"\x1f\x8b":
        unzipped = gunzip(body)
        if unzipped is not None:
            body, mime = unzipped, ""  # the header described the archive, not its content
    xmlish = mime in XML_TYPES or mime.endswith("+xml")
    if mime and not (
        mime in HTML_TYPES or xmlish or mime.startswith("text/") or mime in GZIP_TYPES
    ):
        return "other", body  # PDF, images, ...
    root = root_element(body)
    if root in ("urlset", "sitemapindex", "rss", "rdf"):
        return root, body
    if root == "feed":
        return "atom", body
    if mime in HTML_TYPES or root in ("html", "head", "body"):
        return "html", body
    if xmlish:
        return "other", body  # an XML document we do not know
    return "text", body


@dataclass(slots=True)
class Entry:
    """One URL listed by a sitemap or feed, with what the listing says about it."""

    url: str
    lastmod: str | None = None
    title: str | None = None
    published: str | None = None


def _xml_root(body: bytes) -> etree._Element | None:
    parser = etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, huge_tree=False
    )
    try:
        return etree.fromstring(body, parser=parser)
    except (etree.XMLSyntaxError, ValueError):
        return None


def _local(tag: object) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def _child_text(el: etree._Element, *names: str) -> str | None:
    for child in el:
        if _local(child.tag) in names:
            text = (child.text or "").strip()
            if text:
                return text
    return None


def _find_desc(el: etree._Element, name: str) -> etree._Element | None:
    for child in el.iter():
        if _local(child.tag) == name:
            return child
    return None


def parse_sitemap(body: bytes, base_url: str) -> tuple[str, list[Entry]]:
    """Entries of a ``<urlset>`` or ``<sitemapindex>``; returns (root kind, entries)."""
    root = _xml_root(body)
    if root is None:
        return "urlset", []
    kind = _local(root.tag)
    item_tag = "sitemap" if kind == "sitemapindex" else "url"
    entries: list[Entry] = []
    for el in root:
        if _local(el.tag) != item_tag:
            continue
        loc = _child_text(el, "loc")
        if not loc:
            continue
        entry = Entry(url=urljoin(base_url, loc), lastmod=_child_text(el, "lastmod"))
        news = _find_desc(el, "news")
        if news is not None:
            pub = _find_desc(news, "publication_date")
            title = _find_desc(news, "title")
            entry.published = (pub.text or "").strip() or None if pub is not None else None
            entry.title = (title.text or "").strip() or None if title is not None else None
        entries.append(entry)
    return kind, entries


def parse_text_sitemap(body: bytes, base_url: str) -> list[Entry]:
    """A plain-text sitemap: one absolute URL per line."""
    out = []
    for line in body.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line.startswith(("http://", "https://")):
            out.append(Entry(url=line))
    return out


def _to_iso(value: str | None) -> str | None:
    """RSS dates are RFC 822; convert to ISO 8601 when possible, else keep as found."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError):
        return value


def parse_feed(body: bytes, base_url: str) -> list[Entry]:
    """Items of an RSS 2.0, RSS 1.0 (RDF) or Atom feed."""
    root = _xml_root(body)
    if root is None:
        return []
    entries: list[Entry] = []
    for el in root.iter():
        name = _local(el.tag)
        if name == "item":  # RSS 2.0 and 1.0
            link = _child_text(el, "link")
            if not link:
                guid = next((c for c in el if _local(c.tag) == "guid"), None)
                if guid is not None and (guid.get("isPermaLink", "true") != "false"):
                    link = (guid.text or "").strip() or None
            if not link:
                about = el.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
                link = about or None
            if not link:
                continue
            published = _child_text(el, "pubdate") or _child_text(el, "date")
            entries.append(
                Entry(
                    url=urljoin(base_url, link),
                    title=_child_text(el, "title"),
                    published=_to_iso(published),
                )
            )
        elif name == "entry":  # Atom
            href = None
            for child in el:
                if _local(child.tag) != "link":
                    continue
                rel = child.get("rel", "alternate")
                if rel == "alternate" and child.get("href"):
                    href = child.get("href")
                    break
            if not href:
                continue
            entries.append(
                Entry(
                    url=urljoin(base_url, href),
                    title=_child_text(el, "title"),
                    published=_child_text(el, "published") or _child_text(el, "updated"),
                    lastmod=_child_text(el, "updated"),
                )
            )
    return entries


_SITEMAP_LINE = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.I | re.M)


def robots_sitemaps(body: bytes, base_url: str) -> list[str]:
    """URLs from the ``Sitemap:`` lines of a robots.txt."""
    text = body[:512 * 1024].decode("utf-8", "replace")
    return [urljoin(base_url, m.group(1)) for m in _SITEMAP_LINE.finditer(text)]


# ---------------------------------------------------------------------------------------
# HTML pages: evidence for "is this an article", and the links worth following.

_ARTICLE_JSONLD = re.compile(
    r"\"@type\"\s*:\s*\[?\s*\"(?:[\w:/.]*/)?"
    r"(Article|NewsArticle|BlogPosting|ReportageNewsArticle|AnalysisNewsArticle|"
    r"OpinionNewsArticle|ReviewNewsArticle|BackgroundNewsArticle|LiveBlogPosting|"
    r"TechArticle|ScholarlyArticle|SocialMediaPosting)\"",
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
_PAGE_URL = re.compile(r"/page/\d+/?$|[?&](page|paged|pg|p|offset|start)=\d+", re.I)
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
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "mailto:", "javascript:", "tel:", "data:")):
            continue
        absolute = urljoin(base, href)
        path = urlsplit(absolute).path
        if _SKIP_EXT.search(path):
            continue
        rel = (a.get("rel") or "").lower().split()
        text = _norm_text(a.text_content() or "")
        label = _norm_text(a.get("aria-label") or "")
        classes = (a.get("class") or "").lower()
        if (
            "next" in rel
            or text in _NEXT_TEXTS
            or label in _NEXT_TEXTS
            or "next" in classes.split()
            or (text.isdigit() and len(text) <= 4 and _PAGE_URL.search(absolute))
            or _PAGE_URL.search(absolute)
        ):
            pagination.append(absolute)
        else:
            links.append(absolute)
    return PageLinks(article_like, evidence, feeds, pagination, links)
