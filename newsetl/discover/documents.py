"""Discovery documents: what a response is (HTML, sitemap, feed, plain text) and what a
sitemap, feed or robots.txt lists. Pure functions of bytes, no Scrapy: the spider
(``spiders.news``) feeds them responses.

Problems with a document are :class:`newsetl.models.FetchFate` discovery fates
(``malformed_xml``, ``xml_bomb``, ...). Gzip payloads and robots.txt's ``Sitemap:``
lines are read by Scrapy's own utilities in the spider layer (``spiders.payloads``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

from lxml import etree

from newsetl.models import FetchFate

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
    ``atom``, ``rdf``, ``text`` (plain text) or ``other``. ``body`` is the payload as
    decoded from any gzip (``spiders.payloads.sniff_payload`` does that with Scrapy's
    gunzip; pass ``content_type=None`` then: the header described the archive).
    """
    mime = (content_type or "").lower()
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
    language: str | None = None  # a Google News sitemap's <news:language>


def _xml_parse(body: bytes) -> tuple[etree._Element | None, str | None, bool]:
    """Parse a sitemap or feed without expanding entities (no XXE, no network, no huge
    trees); returns (root, problem, had fatal errors).

    ``problem`` is ``xml_bomb`` when libxml2 refused an entity (billion laughs, quadratic
    blow-up: the document is cut at the first such reference), ``xml_too_deep`` (nesting
    beyond libxml2's 256 levels) or ``xml_limit`` for its other resource limits,
    ``truncated_xml`` when the document ends early, ``malformed_xml`` when it could not be
    parsed at all, else None (recover mode may still have skipped small errors such as a
    bare ``&``)."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except (etree.XMLSyntaxError, ValueError):
        return None, FetchFate.MALFORMED_XML, True
    problem, fatal = None, False
    for err in parser.error_log:
        fatal = fatal or err.level_name == "FATAL"
        name, message = err.type_name or "", err.message or ""
        lower = message.lower()
        if "amplification" in lower or ("RESOURCE_LIMIT" in name and "entit" in lower):
            problem = FetchFate.XML_BOMB
        elif "RESOURCE_LIMIT" in name and problem != FetchFate.XML_BOMB:
            problem = FetchFate.XML_TOO_DEEP if "depth" in lower else FetchFate.XML_LIMIT
        elif problem is None and (
            name in ("ERR_TAG_NOT_FINISHED", "ERR_DOCUMENT_END") or "Premature end" in message
        ):
            problem = FetchFate.TRUNCATED_XML
    if root is None:
        return None, problem or FetchFate.MALFORMED_XML, True
    return root, problem, fatal


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


def _desc_text(el: etree._Element, name: str) -> str | None:
    found = _find_desc(el, name)
    return " ".join((found.text or "").split()) or None if found is not None else None


def read_sitemap(body: bytes, base_url: str) -> tuple[str, list[Entry], str | None]:
    """Entries of a ``<urlset>`` or ``<sitemapindex>``: (root kind, entries, what was wrong
    with the XML: see ``_xml_parse``; ``malformed_xml`` also when errors left no entry)."""
    root, problem, fatal = _xml_parse(body)
    if root is None:
        return "urlset", [], problem
    kind, entries = _sitemap_entries_of(root, base_url)
    if problem is None and fatal and not entries:
        problem = FetchFate.MALFORMED_XML
    return kind, entries, problem


def _sitemap_entries_of(root: etree._Element, base_url: str) -> tuple[str, list[Entry]]:
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
        if news is not None:  # Google News: <news:news> with the article's own metadata
            entry.published = _desc_text(news, "publication_date")
            entry.title = _desc_text(news, "title")
            entry.language = _desc_text(news, "language")  # in <news:publication>
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


def read_feed(body: bytes, base_url: str) -> tuple[list[Entry], str | None]:
    """Items of an RSS 2.0, RSS 1.0 (RDF) or Atom feed, and what was wrong with the XML
    (see ``read_sitemap``)."""
    root, problem, fatal = _xml_parse(body)
    if root is None:
        return [], problem
    entries = _feed_entries_of(root, base_url)
    if problem is None and fatal and not entries:
        problem = FetchFate.MALFORMED_XML
    return entries, problem


def _feed_entries_of(root: etree._Element, base_url: str) -> list[Entry]:
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


# Sitemap file names: posts first, taxonomy and static pages last.

_POSTISH = re.compile(r"post|article|news|blog|story|stories", re.I)
# Sitemaps of a site's taxonomy and static pages (Yoast ``category-sitemap.xml``, core
# WordPress ``wp-sitemap-taxonomies-post_tag-1.xml``, ``wp-sitemap-users-1.xml`` ...).
_TAXONOMY_SITEMAP = re.compile(
    r"(?:^|[/_-])(?:tags?|post_tag|categor(?:y|ies)|authors?|users|topics?|sections?|"
    r"taxonom(?:y|ies)|pages?)(?:[-_.]|$)",
    re.I,
)


def is_taxonomy_sitemap(name: str) -> bool:
    """A sitemap of tags, categories, authors or static pages (by its file name)."""
    return bool(_TAXONOMY_SITEMAP.search(name))


def is_posts_sitemap(url: str) -> bool:
    """A sitemap named for posts or news (not ``post_tag-sitemap.xml``)."""
    name = urlsplit(url).path.rsplit("/", 1)[-1] or url
    return bool(_POSTISH.search(name)) and not is_taxonomy_sitemap(name)
