"""HTML -> clean article: metadata plus the running text, with BeautifulSoup on lxml.

How the body is found, in order:

1. A linear pre-pass drops elements that never hold article text (scripts, styles, SVG,
   iframes, comments ...) from the raw HTML. Then a cheap lxml pass (``_slim_tree``) reads
   the head's metadata and cuts the head out, drops text-less void and empty elements, and
   swaps out the subtrees the walk below would skip anyway (``_Cuts``: skipped tags,
   hidden elements, class/id words that say boilerplate); in what stays it drops
   attributes nobody reads, bare inline wrappers and whitespace that never reaches the
   text, so BeautifulSoup has far fewer objects to build. The cut subtrees come back only
   when needed: for the lenient second walk, and for the date/author scan (on lxml).
2. BeautifulSoup (lxml parser) builds the tree. One iterative walk skips boilerplate
   subtrees (navigation, footers, hidden elements, share bars, comments, bylines ...
   see ``boilerplate``) and cuts the rest into text blocks, remembering for each block the
   chain of block-level elements that hold it.
3. Blocks are scored by length, commas and link density; scores flow to their container
   elements. The best container wins, with platform markers (``itemprop=articleBody``,
   ``.entry-content`` ...) preferred when they hold most of the text, and good-scoring
   siblings joined to it, as are containers built alike (same tag and class) that hold
   the article's other sections.
4. Inside the chosen blocks, date/byline lines, repeated title, junk, credit and
   call-to-action lines, interface lines repeated many times and repeated paragraphs are
   dropped. JSON-LD ``articleBody`` (markup turned into text) is the fallback when that
   finds little.
"""

from __future__ import annotations

import html as html_lib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.builder import LXMLTreeBuilder
from lxml import etree as lxml_etree

from newsetl import _extract_meta as meta
from newsetl.boilerplate import (
    ARIA_BOILERPLATE_ROLES,
    ARTICLE_WORDS,
    BLOCK_TAGS,
    BYLINE_LINE,
    CONTENT_MARKERS,
    COPYRIGHT_LINE,
    CREDIT_LINE,
    CTA_LINE,
    DATE_IN_LINE,
    HEADING_TAGS,
    JUNK_LINE,
    MARKUP_LINE,
    NEGATIVE_JOINED,
    NEGATIVE_WORDS,
    POSITIVE_WORDS,
    PREPASS_DROP_TAGS,
    SKIP_TAGS,
    WEAK_NEGATIVE_WORDS,
    WRAPPER_PREFIXES,
)
from newsetl.discover.classify import text_units
from newsetl.encoding import decode_html
from newsetl.models import Extracted

__all__ = ["extract_article", "strip_non_content"]

_BR = "\x01"  # marks a <br> inside collected text
_MIN_DUP_WORDS = 12
_DUP_CANDIDATES = 4  # earlier paragraphs compared in full with each new one, at most
_DUP_POSTINGS = 64  # paragraphs remembered per word trigram, at most
CLIMB_LEVELS = 3
LENIENT_BELOW_WORDS = 120  # less text than this: try again entering "boilerplate" wrappers
CLIMB_RATIO = 2.0

# ---------------------------------------------------------------------------------------
# Pre-pass on the raw HTML


_PREPASS_OPEN = re.compile(
    r"<(" + "|".join(PREPASS_DROP_TAGS) + r")\b|<!--",
    re.IGNORECASE,
)
_PREPASS_CLOSE = {
    name: re.compile(r"</" + name + r"\s*>", re.IGNORECASE) for name in PREPASS_DROP_TAGS
}


# Above this many characters (after the pre-pass) a page is cut down before parsing: a
# BeautifulSoup tree costs roughly 40-60 times its HTML in memory, and no article needs
# more than a few hundred thousand characters of markup.
MAX_PARSE_CHARS = 2_500_000
_HEAVY_ATTR = re.compile(
    r"""\s(?:style|src|srcset|sizes|data-(?!hook)[\w.:-]+|on\w+|alt|width|height|tabindex|"""
    r"""aria-(?!hidden)[\w-]+|target|loading|decoding)\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)""",
    re.IGNORECASE,
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def _shrink(html: str) -> str:
    """Cut an oversized page: drop heavy attributes, then keep the first MAX_PARSE_CHARS."""
    html = _HEAVY_ATTR.sub("", html)
    if len(html) <= MAX_PARSE_CHARS:
        return html
    cut = html.rfind("<", 0, MAX_PARSE_CHARS)
    return html[: cut if cut > 0 else MAX_PARSE_CHARS]


# Attributes the walk and the metadata readers look at; lxml drops every other one before
# BeautifulSoup builds the tree (``style`` survives only as ``hidden`` when it hides).
_KEEP_ATTRS = frozenset(
    {
        "class",
        "id",
        "itemprop",
        "data-hook",
        "hidden",
        "aria-hidden",
        "role",
        "rel",
        "datetime",
        "content",
        "title",
        "data-timestamp",
        "data-date",
        "name",
        "property",
        "http-equiv",
        "pubdate",
    }
)
# Inline elements that, without attributes, mean nothing to the walk: their text is kept
# and the element itself is unwrapped.
_UNWRAP_BARE = frozenset(
    {
        "span",
        "em",
        "strong",
        "b",
        "i",
        "u",
        "font",
        "small",
        "big",
        "sup",
        "sub",
        "cite",
        "code",
        "abbr",
        "q",
        "mark",
        "ins",
        "tt",
        "kbd",
        "var",
        "samp",
        "dfn",
        "bdi",
        "bdo",
        "nobr",
    }
)
# Void elements without text: never built.
_TEXTLESS_VOID = ("img", "input", "source", "track", "wbr", "area", "param", "embed", "col")


@dataclass(slots=True)
class _Head:
    metas: list[dict[str, Any]]
    links: list[dict[str, Any]]
    title: str | None


def _lxml_root(html: str) -> Any:
    parser = lxml_etree.HTMLParser(remove_comments=True, remove_pis=True)
    parser.feed(html)
    return parser.close()


# Elements whose subtree holds no text and nothing a metadata reader looks at.
_EMPTY_ELEMENTS = lxml_etree.XPath(
    "//body//*[not(normalize-space()) and not(descendant-or-self::*[self::br or self::meta"
    " or self::link or self::time or @itemprop or @datetime or @pubdate or @content])]"
)
_ALL_TEXT = lxml_etree.XPath("//text()", smart_strings=False)
_LINK_TEXT = lxml_etree.XPath("//a//text()", smart_strings=False)


def _blank(text: str | None) -> bool:
    return text is None or not text or text.isspace()


def _drop_empty(root: Any) -> None:
    """Remove subtrees without text. An empty block element goes only when blocks (or its
    parent block's edges) are on both sides, so no two runs of text get joined."""
    found = _EMPTY_ELEMENTS(root)
    if not found:
        return
    empty = set(found)
    blocks = BLOCK_TAGS
    for el in found:
        parent = el.getparent()
        if parent is None or parent in empty:
            continue  # inside an empty subtree that goes (or stays) as a whole
        tail = el.tail
        if any(d.tag in blocks for d in el.iter()):
            prev, nxt = el.getprevious(), el.getnext()
            if not (
                parent.tag in blocks
                and _blank(tail)
                and (_blank(parent.text) if prev is None else prev.tag in blocks)
                and (prev is None or _blank(prev.tail))
                and (nxt is None or nxt.tag in blocks)
            ):
                continue
        else:
            if any(el.itertext()):  # whitespace inside it still separates words
                tail = " " + (tail or "")
            if not tail:
                parent.remove(el)
                continue
            prev = el.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
        parent.remove(el)


# libxml2 2.14 (lxml 6) stops parsing an HTML document at 256 levels of nesting (2048 with
# huge_tree): everything deeper, and everything after it, is silently lost. Parsing halts
# there, so the last element of such a tree sits that deep; when it does, tags nested
# deeper than MAX_NESTING are dropped from the HTML (their text stays) and it is parsed again.
MAX_NESTING = 200
_CUT_SHORT_DEPTH = 250
# Elements that never add a level of nesting: void elements, and elements whose end tag is
# optional (an unclosed <p>, <li>, <td> ... is closed by its next sibling), <a> (a new <a>
# closes an open one) and the page's html/head/body (repeated start tags are merged).
_FLAT_ELEMENTS = frozenset(
    {
        "area",
        "base",
        "basefont",
        "bgsound",
        "br",
        "col",
        "embed",
        "frame",
        "hr",
        "img",
        "input",
        "keygen",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
        "p",
        "li",
        "dt",
        "dd",
        "td",
        "th",
        "tr",
        "thead",
        "tbody",
        "tfoot",
        "caption",
        "colgroup",
        "option",
        "optgroup",
        "rb",
        "rp",
        "rt",
        "a",
        "html",
        "head",
        "body",
    }
)
_TAG = re.compile(r"""<(/?)([A-Za-z][^\s/>]*)(?:[^>"']++|"[^"]*+"|'[^']*+')*+>""")


def _cut_short(root: Any) -> bool:
    """True when the tree ends that deep, i.e. libxml2 stopped at its nesting limit."""
    depth = 0
    el = root
    while len(el):
        el = el[-1]
        depth += 1
        if depth >= _CUT_SHORT_DEPTH:
            return True
    return False


def flatten_deep_nesting(html: str, limit: int = MAX_NESTING) -> str:
    """Drop the start and end tags of elements nested more than ``limit`` levels deep.

    Their text stays (a dropped block element leaves a space, so no two words are joined).
    Only elements that really nest count towards the depth (see ``_FLAT_ELEMENTS``); an end
    tag closes every element opened after its own start tag, as parsers do. Linear.
    """
    out: list[str] = []
    stack: list[str] = []  # names of the open elements that count, outermost first
    open_count: dict[str, int] = {}
    flat = _FLAT_ELEMENTS
    blocks = BLOCK_TAGS
    pos = 0
    for match in _TAG.finditer(html):
        name = match.group(2).lower()
        if name in flat:
            continue
        if match.group(1):  # an end tag
            if not open_count.get(name):
                continue  # a stray end tag: parsers ignore it
            while True:
                top = stack.pop()
                open_count[top] -= 1
                if top == name:
                    break
            if len(stack) < limit:
                continue
        elif match.group(0).endswith("/>"):
            continue  # <div/>: libxml2 closes it at once
        else:
            stack.append(name)
            open_count[name] = open_count.get(name, 0) + 1
            if len(stack) <= limit:
                continue
        out.append(html[pos : match.start()])
        out.append(" " if name in blocks else "")
        pos = match.end()
    if not out:
        return html
    out.append(html[pos:])
    return "".join(out)


def _slim_tree(html: str) -> tuple[_Head | None, _Cuts | None, float | None]:
    """A cheap lxml pass that shrinks what BeautifulSoup must build; the text stays the same.

    lxml parses the page, the head's ``<meta>``/``<link>``/``<title>`` are read and the head
    is cut out; text-less void elements and subtrees without text (where removing them joins
    no two runs of text) go. Then ``_Cuts`` swaps out the subtrees the strict walk never
    enters and slims the rest: unread attributes and whitespace-only text beside block
    elements (outside ``<pre>``) go, and inline wrappers left without attributes are
    unwrapped. Also returns the page's link density (share of visible characters inside
    ``<a>``). Returns (None, None, None) when lxml cannot parse the page.
    A page that libxml2 cut short at its nesting limit is flattened
    (``flatten_deep_nesting``) and parsed again.
    """
    try:
        root = _lxml_root(html)
        limit = MAX_NESTING
        while root is not None and limit >= 25 and _cut_short(root):
            # Elements that do not count may still nest (tables in tables): tighten.
            html = flatten_deep_nesting(html, limit)
            root = _lxml_root(html)
            limit //= 2
    except (lxml_etree.LxmlError, ValueError):
        return None, None, None
    if root is None or not isinstance(root.tag, str):
        return None, None, None
    head_info: _Head | None = None
    head = root.find("head")
    if head is not None:
        metas: list[dict[str, Any]] = []
        links: list[dict[str, Any]] = []
        title: str | None = None
        for el in head.iter("meta", "link", "title"):
            if el.tag == "meta":
                metas.append(dict(el.attrib))
            elif el.tag == "link":
                links.append(dict(el.attrib))
            elif title is None:
                title = " ".join(t.strip() for t in el.itertext() if t.strip())
        head_info = _Head(metas, links, title)
        root.remove(head)
    visible = len("".join("".join(_ALL_TEXT(root)).split()))
    linked = len("".join("".join(_LINK_TEXT(root)).split()))
    density = round(min(1.0, linked / visible), 4) if visible else 0.0
    lxml_etree.strip_elements(root, *_TEXTLESS_VOID, with_tail=False)
    _drop_empty(root)
    return head_info, _Cuts(root), density


def _slim_attrs(el: Any) -> bool:
    """Drop the attributes nobody reads (a hiding ``style`` becomes ``hidden``); True when
    ``el`` is then an inline wrapper without attributes, to be unwrapped."""
    keys = el.keys()
    if keys:
        keep = _KEEP_ATTRS
        for key in keys:
            if key not in keep and (key != "href" or el.tag != "link"):
                attrib = el.attrib
                if key == "style" and _HIDDEN_STYLE.search(attrib[key]):
                    attrib["hidden"] = ""
                del attrib[key]
        if el.keys():
            return False
    return el.tag in _UNWRAP_BARE


def _slim_text(el: Any, in_pre: bool) -> None:
    """Whitespace-only text beside a block boundary never reaches the walk's text."""
    text = el.text
    if text is not None and (not text or text.isspace()) and not in_pre:
        blocks = BLOCK_TAGS
        if el.tag in blocks or (len(el) and el[0].tag in blocks):
            el.text = None


def _slim_tail(el: Any, parent_in_pre: bool) -> None:
    tail = el.tail
    if tail is None or not (not tail or tail.isspace()) or parent_in_pre:
        return
    blocks = BLOCK_TAGS
    if el.tag in blocks:
        drop = True
    else:
        nxt = el.getnext()
        if nxt is not None:
            drop = nxt.tag in blocks
        else:
            parent = el.getparent()
            drop = parent is not None and parent.tag in blocks
    if drop:
        el.tail = None


def _unwrap(top: Any, bare: list[Any]) -> None:
    if bare:
        for el in bare:
            el.tag = "newsetl-bare"
        lxml_etree.strip_tags(top, "newsetl-bare")


# Skipped elements whose own attributes or text the walk reads: never cut out.
_NOTED_TAGS = frozenset({"meta", "link", "title"})
_CUT = "newsetl-cut"
_CUT_MARKUP = f"<{_CUT}></{_CUT}>"
_ENTER, _KEEP, _CUT_HARD, _CUT_SOFT = 0, 1, 2, 3


def _class_id(attrs: Any) -> str | None:
    """``class`` and ``id`` as one string, as the walk judges them (None when neither)."""
    cls = attrs.get("class")
    ident = attrs.get("id")
    if cls and ident:
        return f"{cls} {ident}"
    return cls or ident or None


def _cut_verdict(el: Any, name: str, lenient: bool) -> int:
    """What the strict (or lenient) walk does with ``el``, judged on its raw attributes
    (before ``_slim_attrs``): skips it in every walk (_CUT_HARD), in the strict walk only
    (_CUT_SOFT), reads its text with ``get_text`` (_KEEP: never cut, nor anything inside),
    or enters it (_ENTER). The lenient walk's skipped subtrees are all cut hard: nothing
    but its blocks is read."""
    if name in SKIP_TAGS:
        return _KEEP if name in _NOTED_TAGS and not lenient else _CUT_HARD
    if name == "h1" and not lenient:
        return _KEEP
    attrib = el.attrib
    if not attrib:
        return _ENTER
    style = attrib.get("style")
    if (
        "hidden" in attrib
        or (attrib.get("aria-hidden") == "true" and name not in _INLINE)
        or (style and _HIDDEN_STYLE.search(style))
    ):
        return _CUT_HARD
    role = attrib.get("role")
    if role in ARIA_BOILERPLATE_ROLES:
        if role in _WIDGET_ROLES and name in BLOCK_TAGS:
            return _ENTER if lenient else _CUT_SOFT
        return _CUT_HARD
    itemprop = attrib.get("itemprop")
    if itemprop and itemprop.lower() in _META_ITEMPROPS:
        return _CUT_HARD if lenient else _KEEP  # a byline
    value = _class_id(attrib)
    if value and _attr_verdict(value) < 0:
        if lenient:
            return _ENTER if _lenient_enters(name, value) else _CUT_HARD
        return _KEEP if _BYLINE_HINT.search(value) else _CUT_SOFT
    if name == "a" and not lenient:
        rel = attrib.get("rel")
        if rel and "author" in rel:
            return _KEEP  # an author link
    return _ENTER


# Widget roles that some sites put on a block holding the article itself (a "reading
# modes" tab strip): skipped by the strict walk only, so the lenient walk can find it.
_WIDGET_ROLES = frozenset({"tablist"})


def _lenient_enters(name: str, value: str) -> bool:
    """The lenient walk enters a block whose class/id words say boilerplate (not comments)."""
    return name in BLOCK_TAGS and not _COMMENTISH.search(value)


def _cut_and_slim(
    top: Any, in_pre: bool, may_cut: bool, lenient: bool, start: Any = None
) -> tuple[list[tuple[Any, int, bool]], list[Any]]:
    """Slim the descendants of ``top`` that the walk enters (``_slim_attrs``, ``_slim_text``,
    ``_slim_tail``) and find the outermost ones it skips, which get only their tail slimmed.

    Returns (skipped element, verdict, whether it sits in a ``<pre>``) for each skipped
    subtree, and the bare inline wrappers to unwrap. Below ``top``, only ``start``'s
    descendants are judged when ``may_cut`` is false.
    """
    found: list[tuple[Any, int, bool]] = []
    bare: list[Any] = []
    # (children, whether they sit in a <pre>, whether they may be cut)
    stack = [(iter(top), in_pre, may_cut)]
    while stack:
        it, in_pre, may_cut = stack[-1]
        el = next(it, None)
        if el is None:
            stack.pop()
            continue
        name = el.tag
        if not isinstance(name, str):
            continue
        _slim_tail(el, in_pre)
        verdict = _cut_verdict(el, name, lenient) if may_cut else _KEEP
        el_in_pre = in_pre or name == "pre"
        if verdict >= _CUT_HARD:
            found.append((el, verdict, el_in_pre))
            continue
        if _slim_attrs(el):
            bare.append(el)
        _slim_text(el, el_in_pre)
        if len(el):
            stack.append((iter(el), el_in_pre, verdict == _ENTER or el is start))
    return found, bare


class _Cuts:
    """The slimmed lxml tree, with the subtrees the strict walk never enters swapped for
    empty placeholders so that BeautifulSoup never builds them.

    ``hard`` holds what every walk skips (``SKIP_TAGS``, hidden elements, boilerplate
    roles), ``soft`` what only the strict walk skips (class/id words that say boilerplate).
    Nothing is cut inside an ``<h1>``, an author link or a byline candidate, whose text the
    walk reads with ``get_text``. Only what stays is slimmed. ``restore_soft`` puts back,
    slimmed and cut for it, the soft cuts the lenient walk enters; ``restore_all`` puts
    everything back for the date/author scan.
    """

    __slots__ = ("hard", "root", "soft")

    def __init__(self, root: Any) -> None:
        self.root = root
        # (placeholder, element, whether it sits in a <pre>)
        self.hard: list[tuple[Any, Any, bool]] = []
        self.soft: list[tuple[Any, Any, bool]] = []
        start = root.find("body")
        if start is None:
            start = root
        in_pre = root.tag == "pre"
        _slim_text(root, in_pre)  # the root keeps its attributes
        _slim_tail(root, False)
        found, bare = _cut_and_slim(root, in_pre, start is root, False, start)
        self._cut(found)
        _unwrap(root, bare)

    def _cut(self, found: list[tuple[Any, int, bool]]) -> None:
        for el, verdict, in_pre in found:
            cut = lxml_etree.Element(_CUT)
            cut.tail = el.tail
            el.tail = None
            el.getparent().replace(el, cut)
            (self.hard if verdict == _CUT_HARD else self.soft).append((cut, el, in_pre))

    def html(self) -> str:
        """The tree as HTML, without the placeholders (text on both sides joins up)."""
        html = lxml_etree.tostring(self.root, encoding="unicode", method="html")
        return html.replace(_CUT_MARKUP, "") if self.hard or self.soft else html

    def restore_soft(self) -> bool:
        """Put back the soft cuts the lenient walk enters, slimmed, with what it skips
        inside them cut hard. False when there is none."""
        kept: list[tuple[Any, Any, bool]] = []
        for item in self.soft:
            cut, el, in_pre = item
            if not _lenient_enters(el.tag, _class_id(el.attrib) or ""):
                kept.append(item)
                continue
            el.tail = cut.tail
            cut.getparent().replace(cut, el)
            _slim_attrs(el)  # never bare: it has a class or id
            _slim_text(el, in_pre)
            found, bare = _cut_and_slim(el, in_pre, True, True)
            self._cut(found)
            _unwrap(el, bare)
        restored = len(kept) < len(self.soft)
        self.soft[:] = kept
        return restored

    def restore_all(self) -> None:
        """Put every cut back for the date/author scan, with attributes slimmed and bare
        wrappers unwrapped (its ``get_text`` joins stripped strings: whitespace may stay)."""
        for cuts in (self.soft, self.hard):
            for cut, el, _in_pre in cuts:
                el.tail = cut.tail
                cut.getparent().replace(cut, el)
                _slim_attrs(el)  # never bare (see ``_cut_verdict``)
                _unwrap(el, [d for d in el.iterdescendants() if _slim_attrs(d)])
            cuts.clear()


class _LxTag:
    """An lxml element seen through the few ``Tag`` members the date/author readers use."""

    __slots__ = ("attrs", "el", "name")

    def __init__(self, el: Any) -> None:
        self.el = el
        self.name = el.tag
        self.attrs = dict(el.attrib)

    def get_text(self, separator: str = "", strip: bool = False) -> str:
        texts = self.el.itertext()
        if strip:
            return separator.join(t.strip() for t in texts if t.strip())
        return separator.join(texts)

    def find(self, attrs: dict[str, str]) -> _LxTag | None:
        """The first element below this one whose attributes have these values."""
        items = attrs.items()
        for el in self.el.iterdescendants(lxml_etree.Element):
            if all(el.get(key) == value for key, value in items):
                return _LxTag(el)
        return None


class _HtmlBuilder(LXMLTreeBuilder):
    """BeautifulSoup's lxml HTML builder without per-tag namespace bookkeeping.

    lxml's HTML parser never reports namespaces, so each start tag goes straight to
    BeautifulSoup with a plain attribute dict (the stock builder copies it twice and looks
    up namespaces for every tag and attribute).
    """

    def start(self, tag: Any, attrib: Any, nsmap: Any = None) -> None:
        if nsmap or len(self.nsmaps) > 1:
            super().start(tag, attrib, nsmap or {})
            return
        self.soup.handle_starttag(  # type: ignore[union-attr]
            tag, None, None, dict(attrib), namespaces=self.active_namespace_prefixes[-1]
        )

    def end(self, tag: Any) -> None:
        if len(self.nsmaps) > 1:
            super().end(tag)
            return
        self.soup.handle_endtag(tag)  # type: ignore[union-attr]


def _soup(html: str) -> BeautifulSoup:
    try:
        return BeautifulSoup(html, builder=_HtmlBuilder, multi_valued_attributes=None)
    except Exception:  # noqa: BLE001 - the stock builder is the fallback
        return BeautifulSoup(html, "lxml", multi_valued_attributes=None)


def strip_non_content(html: str) -> str:
    """Remove scripts, styles, SVG, iframes, templates, comments ... from raw HTML (linear)."""
    out: list[str] = []
    pos = 0
    n = len(html)
    search = _PREPASS_OPEN.search
    while True:
        match = search(html, pos)
        if match is None:
            break
        start = match.start()
        out.append(html[pos:start])
        name = match.group(1)
        if name is None:  # a comment
            end = html.find("-->", match.end())
            pos = n if end < 0 else end + 3
            continue
        gt = html.find(">", match.end())
        if gt < 0:
            pos = n
            break
        if html[gt - 1] == "/":  # self-closed <svg .../>
            pos = gt + 1
            continue
        close = _PREPASS_CLOSE[name.lower()].search(html, gt + 1)
        if close is None:
            # An unclosed raw-text element swallows the rest of the page in a browser.
            pos = n if name.lower() in ("script", "style", "textarea") else gt + 1
            continue
        out.append(" ")
        pos = close.end()
    out.append(html[pos:])
    return "".join(out)


# ---------------------------------------------------------------------------------------
# Class / id vocabulary

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_BOOTSTRAP_VIS = re.compile(r"^(?:hidden|visible)-(?:xs|sm|md|lg|xl|print)")
_verdict_cache: dict[str, int] = {}


def _attr_verdict(value: str) -> int:
    """-1 when class/id words say boilerplate, +1 when they say article, else 0."""
    cached = _verdict_cache.get(value)
    if cached is not None:
        return cached
    negative = positive = False
    for token in value.split():
        low = _CAMEL.sub("-", token).lower()
        if _BOOTSTRAP_VIS.match(low):
            continue
        words = [w for w in _NON_ALNUM.split(low) if w]
        if not words or words[0] in WRAPPER_PREFIXES:
            continue
        joined = "".join(words)
        neg = any(f in joined for f in NEGATIVE_JOINED)
        if not neg:
            for i, w in enumerate(words):
                if w in NEGATIVE_WORDS and (
                    w not in WEAK_NEGATIVE_WORDS
                    or len(words) == 1
                    or (i > 0 and words[i - 1] in ARTICLE_WORDS)
                ):
                    neg = True
                    break
        if neg:
            negative = True
        elif any(w in POSITIVE_WORDS for w in words):
            positive = True
    verdict = 1 if positive else (-1 if negative else 0)
    if len(_verdict_cache) > 50_000:
        _verdict_cache.clear()
    _verdict_cache[value] = verdict
    return verdict


_marker_cache: dict[tuple[Any, ...], int] = {}


def _marker_rank(attrs: dict[str, Any]) -> int:
    """Index (0 = strongest) of the platform content marker this element carries, or -1."""
    key = (attrs.get("class"), attrs.get("id"), attrs.get("itemprop"), attrs.get("data-hook"))
    if key == (None, None, None, None):
        return -1
    cached = _marker_cache.get(key)
    if cached is None:
        if len(_marker_cache) > 50_000:
            _marker_cache.clear()
        cached = _marker_cache[key] = _find_marker_rank(attrs)
    return cached


def _find_marker_rank(attrs: dict[str, Any]) -> int:
    for rank, (attr, value) in enumerate(CONTENT_MARKERS):
        got = attrs.get(attr)
        if not got or not isinstance(got, str):
            continue
        if attr == "class":
            padded = f" {got} "
            if f" {value} " in padded:
                return rank
        elif got == value:
            return rank
    return -1


_META_ITEMPROPS = frozenset({"author", "datepublished", "datemodified", "publisher", "creator"})
_BYLINE_HINT = re.compile(r"author|byline|date|time|posted|published|meta", re.IGNORECASE)
_INLINE = frozenset({"span", "a", "i", "b", "em", "strong", "small", "sup", "sub", "u"})


# ---------------------------------------------------------------------------------------
# The walk


@dataclass(slots=True)
class _Block:
    text: str
    link_len: int
    size: int  # raw characters, for link density
    kind: str  # tag name of the element that owns the text
    path: tuple[int, ...]  # ids of the enclosing block elements, outermost first


class _Walker:
    """One iterative pass over the parsed tree: text blocks plus metadata evidence."""

    def __init__(self, *, strict: bool = True) -> None:
        self.strict = strict  # False: ignore class/id words (second try when too little text)
        self.blocks: list[_Block] = []
        self.buf: list[str] = []
        self.buf_len = 0
        self.link_len = 0
        self.in_link = 0
        self.in_pre = 0
        self.path: list[int] = []
        self.elements: dict[int, Tag] = {}
        self.weights: dict[int, float] = {}
        self.markers: dict[int, int] = {}
        self.negative: set[int] = set()  # lenient walk: block elements with boilerplate words
        self.pending_negative = False
        # evidence
        self.metas: list[dict[str, Any]] = []
        self.links: list[dict[str, Any]] = []
        self.times: list[str] = []
        self.h1s: list[str] = []
        self.bylines: list[Tag] = []
        self.author_links: list[str] = []
        self.title: str | None = None
        self.soup: BeautifulSoup | None = None
        self.cuts: _Cuts | None = None  # the lxml tree the soup was built from, cut down
        self.scanned: tuple[list[Any], list[Any]] | None = None

    # text collection ------------------------------------------------------------------
    def _flush(self, kind: str) -> None:
        buf = self.buf
        if not buf:
            return
        raw = "".join(buf)
        size, link_len = self.buf_len, self.link_len
        self.buf = []
        self.buf_len = self.link_len = 0
        if self.in_pre:
            lines = [line.rstrip() for line in raw.replace(_BR, "\n").split("\n")]
            text = "\n".join(lines).strip("\n")
            if text.strip():
                self.blocks.append(_Block(text, link_len, size, "pre", tuple(self.path)))
            return
        if _BR in raw:
            paragraphs: list[list[str]] = [[]]
            for line in raw.split(_BR):
                line = " ".join(line.split())
                if line:
                    paragraphs[-1].append(line)
                elif paragraphs[-1]:
                    paragraphs.append([])
            parts = ["\n".join(p) for p in paragraphs if p]
            if len(parts) > 1:
                path = tuple(self.path)
                for part in parts:
                    share = len(part) / max(1, len(raw))
                    self.blocks.append(
                        _Block(part, int(link_len * share), int(size * share), kind, path)
                    )
                return
            text = parts[0] if parts else ""
        else:
            text = " ".join(raw.split())
        if text:
            self.blocks.append(_Block(text, link_len, size, kind, tuple(self.path)))

    def _note_skipped(self, tag: Tag, name: str) -> None:
        if name == "meta":
            self.metas.append(tag.attrs)
        elif name == "link":
            self.links.append(tag.attrs)
        elif name == "title" and self.title is None:
            self.title = tag.get_text(" ", strip=True)

    def _is_boilerplate(self, tag: Tag, name: str, attrs: dict[str, Any]) -> bool:
        # ``_cut_verdict`` mirrors these rules on lxml elements: change both together.
        if "hidden" in attrs:
            return True
        if attrs.get("aria-hidden") == "true" and name not in _INLINE:
            return True
        style = attrs.get("style")
        if style and _HIDDEN_STYLE.search(style):
            return True
        role = attrs.get("role")
        if role and role in ARIA_BOILERPLATE_ROLES:
            if not self.strict and role in _WIDGET_ROLES and name in BLOCK_TAGS:
                self.pending_negative = True  # entered, but remembered as boilerplate
                return False
            return True
        itemprop = attrs.get("itemprop")
        if itemprop and itemprop.lower() in _META_ITEMPROPS:
            self.bylines.append(tag)
            return True
        cls = attrs.get("class")
        ident = attrs.get("id")
        if cls or ident:
            value = f"{cls or ''} {ident or ''}" if cls and ident else (cls or ident)
            if not isinstance(value, str):
                value = " ".join(value)
            if _attr_verdict(value) < 0:
                if not self.strict and name in BLOCK_TAGS and not _COMMENTISH.search(value):
                    self.pending_negative = True  # entered, but remembered as boilerplate
                    return False
                if _BYLINE_HINT.search(value) and len(self.bylines) < 20:
                    self.bylines.append(tag)
                return True
        return False

    def walk(self, root: Tag) -> None:
        """Collect blocks under ``root``; skipped subtrees are never entered."""
        stack: list[tuple[Iterator[Any], Tag | None, str, bool]] = [
            (iter(root.contents), None, "", False)
        ]
        self._enter_block(root, root.name or "body")
        blocks_tags = BLOCK_TAGS
        skip_tags = SKIP_TAGS
        while stack:
            it, owner, oname, is_block = stack[-1]
            child = next(it, None)
            if child is None:
                stack.pop()
                if owner is None:
                    continue
                if is_block:
                    self._flush(oname)
                    self.path.pop()
                    if oname == "pre":
                        self.in_pre -= 1
                elif oname == "a":
                    self.in_link -= 1
                continue
            ctype = type(child)
            if ctype is NavigableString:
                self.buf.append(child)
                self.buf_len += len(child)
                if self.in_link:
                    self.link_len += len(child)
                continue
            if ctype is not Tag:
                continue
            name = child.name
            if name in skip_tags:
                self._note_skipped(child, name)
                continue
            attrs = child.attrs
            if attrs and self._is_boilerplate(child, name, attrs):
                continue
            if name in blocks_tags:
                self._flush(self._owner_kind())
                self._enter_block(child, name)
                if name == "pre":
                    self.in_pre += 1
                elif name == "h1":
                    self.h1s.append(child.get_text(" ", strip=True))
                stack.append((iter(child.contents), child, name, True))
            elif name == "br":
                self.buf.append(_BR)
            else:
                if name == "a":
                    self.in_link += 1
                    rel = attrs.get("rel") if attrs else None
                    if rel and "author" in (rel if isinstance(rel, str) else " ".join(rel)):
                        self.author_links.append(child.get_text(" ", strip=True))
                elif name == "time" and attrs:
                    stamp = attrs.get("datetime")
                    if stamp:
                        self.times.append(stamp)
                stack.append((iter(child.contents), child, name, False))
        self._flush(self._owner_kind())

    def _owner_kind(self) -> str:
        return "div"

    def _enter_block(self, tag: Tag, name: str) -> None:
        key = id(tag)
        self.path.append(key)
        if self.pending_negative:
            self.negative.add(key)
            self.pending_negative = False
        self.elements[key] = tag
        attrs = tag.attrs
        weight = 1.0
        if attrs:
            cls = attrs.get("class")
            ident = attrs.get("id")
            value = f"{cls or ''} {ident or ''}".strip()
            if value and _attr_verdict(value) > 0:
                weight = 1.25
            rank = _marker_rank(attrs)
            if rank >= 0:
                self.markers[key] = rank
        if name == "article":
            weight *= 1.1
        self.weights[key] = weight


# ---------------------------------------------------------------------------------------
# Choosing the article's blocks

_GOOD_KINDS = frozenset({"p", "div", "td", "pre", "blockquote", "dd", "section", "article", "main"})


def _block_score(block: _Block) -> float:
    """Readability-style content score of one block (0 for short or link-heavy blocks)."""
    n = len(block.text)
    if n < 25:
        return 0.0
    density = block.link_len / block.size if block.size else 0.0
    if density > 0.33:
        return 0.0
    text = block.text
    score = 1.0 + text.count(",") + text.count("、") + text.count("，") + min(n // 100, 3)
    if block.kind == "li":
        score *= 0.5
    elif block.kind in HEADING_TAGS:
        score = 0.0
    return score * (1.0 - density)


def _choose_blocks(blocks: list[_Block], walker: _Walker) -> list[_Block]:
    """The blocks that make up the article: the best container plus good siblings."""
    if not blocks:
        return []
    scores: dict[int, float] = {}
    chars: dict[int, int] = {}
    links: dict[int, int] = {}
    totals: dict[int, float] = {}
    parents: dict[int, int | None] = {}
    block_scores = [_block_score(b) for b in blocks]
    for block, score in zip(blocks, block_scores, strict=True):
        path = block.path
        for key in path:
            chars[key] = chars.get(key, 0) + block.size
            links[key] = links.get(key, 0) + block.link_len
        if not score:
            continue
        prev = None
        for key in path:
            totals[key] = totals.get(key, 0.0) + score
            parents[key] = prev
            prev = key
        # The owner of a <p> is the <p>: its container is one level up.
        start = len(path) - (2 if block.kind in ("p", "li", "blockquote", "pre") else 1)
        for level in range(5):
            i = start - level
            if i < 0:
                break
            key = path[i]
            divider = 1.0 if level == 0 else (2.0 if level == 1 else level * 3.0)
            scores[key] = scores.get(key, 0.0) + score / divider
    if not scores:
        return []
    best_key, best = None, -1.0
    for key, score in scores.items():
        density = links.get(key, 0) / max(1, chars.get(key, 1))
        value = score * walker.weights.get(key, 1.0) * (1.0 - density)
        if value > best:
            best_key, best = key, value
    assert best_key is not None
    # A platform marker that holds most of the article text wins over the raw best.
    best_total = totals.get(best_key, 0.0)
    best_plain = chars.get(best_key, 0) - links.get(best_key, 0)
    marked = sorted(
        (rank, -totals.get(key, 0.0), key)
        for key, rank in walker.markers.items()
        if (totals.get(key, 0.0) >= 0.5 * best_total and totals.get(key, 0.0) > 0)
        or (chars.get(key, 0) - links.get(key, 0) >= max(400, 0.5 * best_plain))
    )
    if marked:
        best_key = marked[0][2]
    best_key = _climb(best_key, parents, totals, chars, links, walker)
    twins = _twin_containers(blocks, best_key, totals, chars, links, walker)
    return _gather(blocks, block_scores, best_key, scores, walker, twins)


TWIN_LEVELS = 5


def _twin_containers(
    blocks: list[_Block],
    best_key: int,
    totals: dict[int, float],
    chars: dict[int, int],
    links: dict[int, int],
    walker: _Walker,
) -> set[int]:
    """Containers built like the chosen one that hold the rest of the article.

    Pages assembled from repeated sections (text, figure, text ...) put each run of
    paragraphs in its own container with the same tag and class. From the chosen container
    and the wrappers that hold little besides it, siblings with the same tag and class
    join when their text reads as content (some scoring text, few links).
    """
    chain: tuple[int, ...] = ()
    for block in blocks:
        if best_key in block.path:
            chain = block.path[: block.path.index(best_key) + 1]
            break
    if len(chain) < 2:
        return set()
    base_chars = chars.get(best_key, 0)
    wanted: dict[int, tuple[str, str]] = {}  # parent key -> (tag, class) of the wrapper
    for level in range(min(TWIN_LEVELS, len(chain) - 2) + 1):
        key = chain[-1 - level]
        if level and chars.get(key, 0) > 1.25 * base_chars + 200:
            break
        tag = walker.elements.get(key)
        cls = tag.attrs.get("class") if tag is not None else None
        if tag is not None and isinstance(cls, str) and cls.strip():
            wanted[chain[-2 - level]] = (tag.name, cls)
    if not wanted:
        return set()
    found: set[int] = set()
    seen: set[int] = set(chain)
    for block in blocks:
        path = block.path
        for i in range(len(path) - 1):
            sig = wanted.get(path[i])
            if sig is None:
                continue
            key = path[i + 1]
            if key in seen:
                continue
            seen.add(key)
            tag = walker.elements.get(key)
            if tag is None or (tag.name, tag.attrs.get("class")) != sig:
                continue
            ident = tag.attrs.get("id")
            if isinstance(ident, str) and _attr_verdict(ident) < 0:
                continue  # same look, but named as a newsletter box, comments ...
            size = chars.get(key, 0)
            if totals.get(key, 0.0) >= 3.0 and links.get(key, 0) < 0.25 * size:
                found.add(key)
    return found


def _climb(
    key: int,
    parents: dict[int, int | None],
    totals: dict[int, float],
    chars: dict[int, int],
    links: dict[int, int],
    walker: _Walker,
) -> int:
    """Move up to an ancestor that holds much more good text with few links.

    Articles split into sections ("step 1", "step 2" ...) give each section its own
    container; the best one alone would lose the rest.
    """
    best, base, node = key, totals.get(key, 0.0), key
    for _ in range(CLIMB_LEVELS):
        parent = parents.get(node)
        if parent is None or parents.get(parent) is None:  # never the <body> itself
            break
        node = parent
        density = links.get(node, 0) / max(1, chars.get(node, 1))
        if totals.get(node, 0.0) >= CLIMB_RATIO * base and density < 0.25:
            best, base = node, totals.get(node, 0.0)
    return best


def _gather(
    blocks: list[_Block],
    block_scores: list[float],
    best_key: int,
    scores: dict[int, float],
    walker: _Walker,
    twins: set[int] | frozenset[int] = frozenset(),
) -> list[_Block]:
    """Blocks under the chosen container, plus those of siblings that look like content."""
    best_score = scores.get(best_key, 0.0)
    threshold = max(10.0, best_score * 0.2)
    best_tag = walker.elements.get(best_key)
    best_class = best_tag.attrs.get("class") if best_tag is not None else None
    parent_key: int | None = None
    for block in blocks:
        if best_key in block.path:
            i = block.path.index(best_key)
            parent_key = block.path[i - 1] if i > 0 else None
            break
    chosen: list[_Block] = []
    sibling_ok: dict[int, bool] = {}
    negative = walker.negative
    for block, score in zip(blocks, block_scores, strict=True):
        path = block.path
        if best_key in path:
            if negative and not negative.isdisjoint(path[path.index(best_key) + 1 :]):
                continue
            chosen.append(block)
            continue
        if twins and not twins.isdisjoint(path):
            if not negative or negative.isdisjoint(path):
                chosen.append(block)
            continue
        if parent_key is None or parent_key not in path:
            continue
        i = path.index(parent_key)
        if negative and not negative.isdisjoint(path[i + 1 :]):
            continue
        if i + 1 >= len(path):  # loose text directly in the parent
            if score and len(block.text) > 80:
                chosen.append(block)
            continue
        sib = path[i + 1]
        ok = sibling_ok.get(sib)
        if ok is None:
            sib_score = scores.get(sib, 0.0)
            tag = walker.elements.get(sib)
            same_class = (
                bool(best_class) and tag is not None and tag.attrs.get("class") == best_class
            )
            ok = sib_score + (best_score * 0.2 if same_class else 0.0) >= threshold
            sibling_ok[sib] = ok
        if ok:
            chosen.append(block)
        elif len(path) == i + 2 and block.kind == "p" and score:
            density = block.link_len / block.size if block.size else 0.0
            if (len(block.text) > 80 and density < 0.25) or (
                density == 0 and block.text.rstrip()[-1:] in ".!?\"'”"
            ):
                chosen.append(block)
    return chosen


# ---------------------------------------------------------------------------------------
# Cleaning the chosen blocks

_WORD = re.compile(r"\w+")
_READ_TIME = re.compile(r"\b\d+\s*(?:min|mins|minutes?)\.?\s+(?:read|Lesezeit|de lecture)", re.I)
_COUNTER = re.compile(r"^[\d.,\s]+[kKmM]?(?:\s+\w+)?$")
_SENTENCE_END = (".", "!", "?", "。", "！", "？", '"', "”", "»", ")")
_COMMENTISH = re.compile(r"comment|disqus|respond|repl(?:y|ies)|discussion", re.IGNORECASE)


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _is_meta_line(text: str, title_norm: str) -> bool:
    """A line that is a byline, a date, a junk label or the headline, not running text."""
    words = text.split()
    n = len(words)
    if n <= 12 and len(text) < 120:
        if JUNK_LINE.match(text) or _READ_TIME.search(text) or _COUNTER.match(text):
            return True
        if BYLINE_LINE.match(text) and (n <= 10 or DATE_IN_LINE.search(text)):
            return True
        date = DATE_IN_LINE.search(text)
        if date and len(date.group(0).split()) + 4 >= n and not text.rstrip().endswith("."):
            return True
    if n <= 30 and CTA_LINE.match(text):
        return True
    if n <= 25 and CREDIT_LINE.match(text):
        return True
    if n <= 40 and COPYRIGHT_LINE.search(text):
        return True
    if title_norm and n <= 40 and _norm(text) == title_norm:
        return True
    return False


def _is_label_line(line: str) -> bool:
    """One line among several of a block: a byline, junk label, credit, call to action or
    copyright notice (dates and numbers alone stay: lists and citations carry them)."""
    n = len(line.split())
    if n <= 12 and len(line) < 120 and JUNK_LINE.match(line):
        return True
    if BYLINE_LINE.match(line) and (n <= 10 or DATE_IN_LINE.search(line)):
        return True
    return (
        (n <= 30 and CTA_LINE.match(line) is not None)
        or (n <= 25 and CREDIT_LINE.match(line) is not None)
        or (n <= 40 and COPYRIGHT_LINE.search(line) is not None)
    )


def _drop_repeats(blocks: list[str]) -> list[str]:
    """Drop paragraphs that repeat an earlier one exactly or nearly; keep short refrains."""
    kept: list[str] = []
    seen_exact: set[str] = set()
    index: dict[tuple[str, str, str], list[int]] = {}
    long_words: list[list[str]] = []
    long_pos: list[int] = []
    for text in blocks:
        words = _WORD.findall(text.lower())
        if len(words) < _MIN_DUP_WORDS:
            kept.append(text)
            continue
        key = " ".join(words)
        if key in seen_exact:
            continue
        grams = set(zip(words, words[1:], words[2:], strict=False))
        hits: dict[int, int] = {}
        for gram in grams:
            for j in index.get(gram, ()):
                hits[j] = hits.get(j, 0) + 1
        duplicate = False
        need = 0.4 * len(grams)
        candidates = sorted((c, j) for j, c in hits.items() if c >= need)
        for _count, j in candidates[-_DUP_CANDIDATES:]:
            other = long_words[j]
            if not 0.75 <= len(other) / len(words) <= 1.33:
                continue
            matcher = SequenceMatcher(None, other, words, autojunk=False)
            if matcher.quick_ratio() >= 0.85 and matcher.ratio() >= 0.85:
                duplicate = True
                break
        if duplicate:
            continue
        seen_exact.add(key)
        j = len(long_words)
        long_words.append(words)
        long_pos.append(len(kept))
        for gram in grams:
            posting = index.setdefault(gram, [])
            if len(posting) < _DUP_POSTINGS:  # a stock phrase says little about repeats
                posting.append(j)
        kept.append(text)
    return kept


LI_OWN_TEXT = 15  # a link-heavy list item with this much text of its own is content


def _introduces_text(chosen: list[_Block], i: int) -> bool:
    """A (linked) subheading followed by a long paragraph heads a section of the text;
    a teaser headline is followed by a short blurb, or by nothing."""
    if i + 1 >= len(chosen):
        return False
    nxt = chosen[i + 1]
    if nxt.kind in HEADING_TAGS or len(nxt.text) < 200:
        return False
    return (nxt.link_len / nxt.size if nxt.size else 0.0) < 0.2


REFRAIN_MIN = 5  # a short line seen this often is interface text (per-photo prompts ...)


def _drop_refrains(blocks: list[_Block]) -> list[_Block]:
    """Drop short lines that repeat word for word several times, keeping the first."""
    counts: dict[str, int] = {}
    for block in blocks:
        if len(block.text) < 80:
            counts[block.text] = counts.get(block.text, 0) + 1
    if not counts or max(counts.values()) < REFRAIN_MIN:
        return blocks
    seen: set[str] = set()
    kept = []
    for block in blocks:
        text = block.text
        if counts.get(text, 0) >= REFRAIN_MIN:
            if text in seen:
                continue
            seen.add(text)
        kept.append(block)
    return kept


def _clean_blocks(
    chosen: list[_Block], title: str | None, description: str | None = None
) -> list[str]:
    """Texts of the chosen blocks minus link lists, meta lines, the dek and repeats."""
    title_norm = _norm(title) if title else ""
    desc_norm = _norm(description) if description else ""
    out: list[_Block] = []
    for i, block in enumerate(chosen):
        if desc_norm and block.kind in HEADING_TAGS and _norm(block.text) == desc_norm:
            continue  # the standfirst shown under the headline
        text = block.text
        density = block.link_len / block.size if block.size else 0.0
        words = len(text.split())
        if density > 0.8 and words < 15:
            if not (block.kind in HEADING_TAGS and _introduces_text(chosen, i)):
                continue
        if (
            block.kind == "li"
            and density > 0.3
            and words < 15
            and block.size - block.link_len < LI_OWN_TEXT
        ):
            continue
        if _is_meta_line(text, title_norm):
            continue
        if block.kind != "pre" and MARKUP_LINE.match(text):
            continue
        if "\n" in text and block.kind != "pre":
            # Lines joined by <br>: a byline or date line among them goes on its own.
            lines = [line for line in text.split("\n") if not _is_label_line(line)]
            if not lines:
                continue
            if len(lines) < text.count("\n") + 1:
                block = _Block("\n".join(lines), block.link_len, block.size, block.kind, block.path)
        out.append(block)
    out = _drop_refrains(out)
    # A trailing heading introduces something that was cut (comments, related posts).
    while (
        out
        and len(out[-1].text) < 80
        and (out[-1].kind in HEADING_TAGS or out[-1].text.rstrip().endswith(("...", "…", ":")))
    ):
        out.pop()
    return _drop_repeats([b.text for b in out])


# ---------------------------------------------------------------------------------------
# Metadata

_A_TAG = re.compile(r"<a\b[^>]*>(.*?)</a\s*>", re.IGNORECASE | re.DOTALL)
_ANY_TAG = re.compile(r"<[^>]*>")
_BODY_START = re.compile(r"<body\b", re.IGNORECASE)


def _visible_len(fragment: str) -> int:
    return len("".join(_ANY_TAG.sub(" ", fragment).split()))


def _link_density(cleaned_html: str) -> float:
    """Share of the body's visible characters that sit inside ``<a>`` elements."""
    start = _BODY_START.search(cleaned_html)
    body = cleaned_html[start.start() :] if start else cleaned_html
    total = _visible_len(body)
    if not total:
        return 0.0
    linked = sum(_visible_len(m.group(1)) for m in _A_TAG.finditer(body))
    return round(min(1.0, linked / total), 4)


def _blocks_link_density(blocks: list[_Block]) -> float:
    """Share of the chosen content's characters that sit inside links."""
    size = sum(b.size for b in blocks)
    if not size:
        return 0.0
    return round(min(1.0, sum(b.link_len for b in blocks) / size), 4)


def _headline_links(blocks: list[_Block]) -> int:
    """Blocks that are one linked line of four or more words (teaser headlines).

    A listing or section page is a column of these (teaser headlines); an article has a
    few at most (a related-stories list the markup did not mark as such).
    """
    seen: set[str] = set()
    for block in blocks:
        if block.size and block.link_len >= 0.8 * block.size:
            text = block.text
            if 4 <= len(text.split()) <= 40:
                seen.add(text)
    return len(seen)


_PUBLISHED_META_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "publication_date",
    "pubdate",
)


def _meta_map(metas: list[dict[str, Any]]) -> dict[str, str]:
    """``property``/``name``/``itemprop``/``http-equiv`` (lower-case) -> first content."""
    out: dict[str, str] = {}
    for attrs in metas:
        content = attrs.get("content")
        if content is None:
            continue
        if not isinstance(content, str):
            content = " ".join(content)
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = attrs.get(attr)
            if key and isinstance(key, str):
                out.setdefault(key.strip().lower(), content.strip())
    return out


_DATE_META_KEYS = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "published_time",
    "article.published",
    "publish-date",
    "publish_date",
    "publishdate",
    "pubdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date.created",
    "dcterms.created",
    "dc.date",
    "dcterms.date",
    "date",
    "article:modified_time",
    "og:updated_time",
    "datemodified",
    "last-modified",
)
_AUTHOR_META_KEYS = (
    "author",
    "article:author",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "byl",
)


_DATE_ATTRS = ("datetime", "content", "title", "data-timestamp", "data-date")
_DATE_CLASS = re.compile(r"date|time|published|posted", re.IGNORECASE)
_AUTHOR_CLASS = re.compile(r"author|byline|creator", re.IGNORECASE)


def _scan_tree(walker: _Walker) -> tuple[list[Any], list[Any]]:
    """Date and author elements anywhere in the page, boilerplate included (one pass, cached).

    Reads the whole lxml tree the soup was built from when there is one (the soup lacks
    the subtrees no walk enters), else the soup.
    """
    if walker.scanned is not None:
        return walker.scanned
    # (element, its attributes, its name); lxml elements are wrapped only when kept.
    tags: Iterator[tuple[Any, Any, str]]
    wrap: Any
    if walker.cuts is not None:
        walker.cuts.restore_all()
        tags = ((el, el.attrib, el.tag) for el in walker.cuts.root.iter(lxml_etree.Element))
        wrap = _LxTag
    elif walker.soup is not None:
        tags = ((tag, tag.attrs, tag.name) for tag in walker.soup.descendants if type(tag) is Tag)
        wrap = None
    else:
        return [], []
    dates: list[Any] = []
    authors: list[Any] = []
    verdicts: dict[tuple[Any, Any], tuple[bool, bool]] = {}
    for tag, attrs, name in tags:
        if not attrs:
            continue
        itemprop = attrs.get("itemprop")
        itemprop = itemprop.lower() if isinstance(itemprop, str) else ""
        key = (attrs.get("class"), attrs.get("id"))
        verdict = verdicts.get(key)
        if verdict is None:
            marks = f"{key[0] or ''} {key[1] or ''}"
            verdict = verdicts[key] = (
                _DATE_CLASS.search(marks) is not None,
                _AUTHOR_CLASS.search(marks) is not None and _COMMENTISH.search(marks) is None,
            )
        if len(dates) < 20 and (
            verdict[0] or "datepublished" in itemprop or name in ("time", "abbr")
        ):
            dates.append(wrap(tag) if wrap else tag)
        if len(authors) < 20:
            rel = attrs.get("rel")
            rel = rel if isinstance(rel, str) else " ".join(rel or ())
            if verdict[1] or (
                ("author" in itemprop or "author" in rel)
                and _COMMENTISH.search(f"{key[0] or ''} {key[1] or ''}") is None
            ):
                authors.append(wrap(tag) if wrap else tag)
        elif len(dates) >= 20:
            break
    walker.scanned = (dates, authors)
    return walker.scanned


def _date_from_tags(tags: list[Any], dayfirst: bool | None = None) -> datetime | None:
    for tag in tags:
        for attr in _DATE_ATTRS:
            stamp = tag.attrs.get(attr)
            if isinstance(stamp, str):
                dt = meta.parse_date_local(stamp, dayfirst)
                if dt:
                    return dt
    for tag in tags:
        text = tag.get_text(" ", strip=True)
        if text and len(text) < 200:
            dt = meta.find_date_in_text(text, dayfirst)
            if dt:
                return dt
    return None


def _author_from_tags(tags: list[Any]) -> list[str]:
    for tag in tags:
        attrs = tag.attrs
        inner = tag.find(attrs={"itemprop": "name"}) if tag.name != "a" else None
        content = attrs.get("content")
        if inner is None and isinstance(content, str) and content.strip():
            text = content
        else:
            text = (inner or tag).get_text(" ", strip=True)
        if text and len(text) < 120:
            found = meta.clean_authors([text])
            if found:
                return found
    return []


def _find_published(
    article_ld: dict[str, Any],
    metas: dict[str, str],
    walker: _Walker,
    dayfirst: bool | None = None,
) -> datetime | None:
    """The publication date as the page wrote it (aware in its own offset, or naive).

    The page's own markup first (JSON-LD, meta tags, ``<time>``), then the visible
    byline and date elements; a modification date only when nothing else says.
    """
    for value in (article_ld.get("datePublished"), article_ld.get("dateCreated")):
        dt = meta.parse_date_local(value, dayfirst)
        if dt:
            return dt
    for key in _DATE_META_KEYS[:-3]:
        dt = meta.parse_date_local(metas.get(key), dayfirst)
        if dt:
            return dt
    for stamp in walker.times:
        dt = meta.parse_date_local(stamp, dayfirst)
        if dt:
            return dt
    dt = _date_from_tags(walker.bylines[:10], dayfirst)
    can_scan = walker.soup is not None or walker.cuts is not None
    if dt:
        if can_scan and dt.tzinfo is None and (dt.hour, dt.minute, dt.second) == (0, 0, 0):
            # A byline's "27. Januar 2026" gives the day; a date element of the same
            # day elsewhere on the page may give its time too.
            scanned = _date_from_tags(_scan_tree(walker)[0], dayfirst)
            if scanned is not None and scanned.date() == dt.date():
                return scanned
        return dt
    if can_scan:
        dt = _date_from_tags(_scan_tree(walker)[0], dayfirst)
        if dt:
            return dt
    for value in (article_ld.get("dateModified"),):
        dt = meta.parse_date_local(value, dayfirst)
        if dt:
            return dt
    for key in _DATE_META_KEYS[-3:]:
        dt = meta.parse_date_local(metas.get(key), dayfirst)
        if dt:
            return dt
    return None


# dateparser, which htmldate asks about date strings in words, tries each of its ~200
# locales on every string unless told the language, compiling their patterns on first use:
# about 4 s of CPU in every new process. It is told the page's language (and English);
# a page whose language is unknown gets this list. On the metadata dev set as many blog
# dates are read to the day as with every locale.
_DATEPARSER_LANGUAGES = (
    "en de fr es it pt nl da sv nb fi pl cs sk sl hr hu ro el ru uk bg tr id ja zh ko"
).split()
_DATEPARSER_SETTINGS = {  # htmldate's own (htmldate.extractors.get_external_parser)
    "NORMALIZE": True,
    "PARSERS": ["custom-formats", "absolute-time"],
    "PREFER_DATES_FROM": "past",
    "PREFER_LOCALE_DATE_ORDER": True,
    "RETURN_AS_TIMEZONE_AWARE": False,
    "STRICT_PARSING": True,
}
_page_languages: list[str] = list(_DATEPARSER_LANGUAGES)  # the page being read


@lru_cache(maxsize=64)
def _dateparser_for(languages: tuple[str, ...]) -> Any:
    from dateparser import DateDataParser

    return DateDataParser(languages=list(languages), settings=_DATEPARSER_SETTINGS)


@lru_cache(maxsize=1)
def _htmldate() -> Any:
    """htmldate's ``find_date``, its date parser told the languages of the page being
    read (``_page_languages``); None when htmldate is missing."""
    try:
        from htmldate import extractors, find_date
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    logging.getLogger("htmldate").setLevel(logging.ERROR)
    logging.getLogger("dateparser").setLevel(logging.ERROR)
    if hasattr(extractors, "get_external_parser"):
        try:
            _dateparser_for(("en",))
        except Exception:  # noqa: BLE001 - keep htmldate's own parser if this fails
            pass
        else:
            extractors.get_external_parser = lambda: _dateparser_for(tuple(_page_languages))
    return find_date


def _date_by_htmldate(
    walker: _Walker, url: str | None, language: str | None = None
) -> datetime | None:
    """htmldate's guess at the publication day, for a page whose markup and bylines gave
    none: it reads the URL, the visible text and many more date patterns and languages
    (a naive midnight: it gives the day, no time or offset)."""
    if walker.cuts is not None:
        walker.cuts.restore_all()
        doc = walker.cuts.html()
    elif walker.soup is not None:
        doc = str(walker.soup)
    else:
        return None
    find_date = _htmldate()
    if find_date is None:  # pragma: no cover - a declared dependency
        return None
    lang = (language or "").split("-")[0].lower()
    _page_languages[:] = (
        [lang] + (["en"] if lang != "en" else [])
        if lang in _DATEPARSER_LANGUAGES
        else _DATEPARSER_LANGUAGES
    )
    try:
        day = find_date(doc, url=url, original_date=True, extensive_search=True)
    except Exception:  # noqa: BLE001 - a third-party heuristic must not fail a page
        return None
    if not day or day[4:10] == "-01-01":
        # With nothing better htmldate answers January 1 of the copyright year: a day
        # no page gave. No date is better than an invented one.
        return None
    try:
        return datetime.strptime(day[:10], "%Y-%m-%d")
    except ValueError:
        return None


def _ld_url(value: Any) -> str | None:
    """The first URL of a JSON-LD ``image``: a string, a list, or ``ImageObject`` nodes."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            item = item.get("url") or item.get("contentUrl")
        if isinstance(item, str) and item.strip():
            return item.strip()
    return None


def _page_extras(
    article_ld: dict[str, Any], metas: dict[str, str], walker: _Walker, url: str | None
) -> dict[str, Any]:
    """Description, top image, tags, modification time and publisher of a page."""
    image = metas.get("og:image") or metas.get("og:image:url") or metas.get("twitter:image")
    if not image and article_ld:
        image = _ld_url(article_ld.get("image"))
    if image:
        image = urljoin(url, image.strip()) if url else image.strip()
    tags: list[str] = []
    seen: set[str] = set()
    raw = [
        attrs.get("content")
        for attrs in walker.metas
        if str(attrs.get("property") or attrs.get("name") or "").lower()
        in ("article:tag", "news_keywords", "keywords")
    ]
    raw += list(meta.jsonld_names(article_ld.get("keywords"))) if article_ld else []
    for value in raw:
        if not isinstance(value, str):
            continue
        for tag in re.split(r"\s*[,;]\s*", value):
            tag = " ".join(tag.split())
            if tag and len(tag) <= 80 and tag.lower() not in seen:
                seen.add(tag.lower())
                tags.append(tag)
    modified = meta.parse_date(article_ld.get("dateModified")) if article_ld else None
    for key in ("article:modified_time", "og:updated_time", "datemodified"):
        modified = modified or meta.parse_date(metas.get(key))
    publisher = [
        " ".join(n.split())
        for n in meta.jsonld_names(article_ld.get("publisher") if article_ld else None)
    ]
    desc = article_ld.get("description") if article_ld else None
    return {
        "image": image or None,
        "tags": tags[:50],
        "modified": modified,
        "publisher": publisher[0] if publisher and not _URLISH.match(publisher[0]) else None,
        "desc": " ".join(desc.split()) or None if isinstance(desc, str) else None,
    }


_URLISH = re.compile(r"^(?:https?:)?//", re.I)


def _split_offset(dt: datetime | None) -> tuple[datetime | None, int | None]:
    """(the instant in UTC, the page's UTC offset in minutes or None when it gave none).

    A local time without an offset is kept as written and labelled UTC: the offset
    column says it was not given."""
    if dt is None:
        return None, None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC), None
    offset = dt.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else None
    return dt.astimezone(UTC), minutes


def _find_authors(article_ld: dict[str, Any], metas: dict[str, str], walker: _Walker) -> list[str]:
    found = meta.clean_authors(meta.jsonld_authors(article_ld)) if article_ld else []
    if found:
        return found
    for key in _AUTHOR_META_KEYS:
        value = metas.get(key)
        if value:
            found = meta.clean_authors([value])
            if found:
                return found
    found = meta.clean_authors(walker.author_links)
    if found:
        return found
    if walker.soup is not None or walker.cuts is not None:
        return _author_from_tags(_scan_tree(walker)[1])
    return []


def _find_language(
    html_tag: Tag | None, metas: dict[str, str], content_language: str | None, text: str
) -> str | None:
    candidates = [
        html_tag.attrs.get("lang") if html_tag is not None else None,
        html_tag.attrs.get("xml:lang") if html_tag is not None else None,
        content_language,
        metas.get("content-language"),
        metas.get("og:locale"),
        metas.get("language"),
        metas.get("dc.language"),
    ]
    for value in candidates:
        if isinstance(value, str):
            lang = meta.normalize_language(value)
            if lang:
                return lang
    return meta.detect_language(text)


_LD_MARKUP = re.compile(r"</?(?:p|br|div|h[1-6]|li|ul|ol|blockquote|a|em|strong|span)\b", re.I)
_LD_BREAK = re.compile(
    r"<(?:/?(?:p|div|h[1-6]|li|ul|ol|blockquote|figure|table|tr)|br)\b[^>]*>", re.I
)


def _markup_to_text(fragment: str) -> str:
    """HTML inside a JSON-LD ``articleBody`` as plain text: one line per block element."""
    text = _LD_BREAK.sub("\n", fragment)
    return html_lib.unescape(_ANY_TAG.sub("", text))


# ---------------------------------------------------------------------------------------
# Entry point


def extract_article(
    html: str | bytes,
    url: str | None = None,
    *,
    encoding_hint: str | None = None,
    content_language: str | None = None,
) -> Extracted:
    """Extract the article from one HTML page.

    Returns an ``Extracted`` with metadata, evidence and the clean body text (blocks
    separated by one blank line). Never raises: unusable input gives empty text.
    """
    try:
        return _extract(html, url, encoding_hint, content_language)
    except Exception:  # noqa: BLE001 - one bad page must not stop a run
        return Extracted(url=url)


def _html_tag(soup: BeautifulSoup) -> Tag | None:
    html_tag = soup.find("html") if soup.contents else None
    return html_tag if isinstance(html_tag, Tag) else None


def _extract(
    html: str | bytes, url: str | None, encoding_hint: str | None, content_language: str | None
) -> Extracted:
    if isinstance(html, bytes | bytearray):
        html = decode_html(bytes(html), encoding_hint)
    elif not isinstance(html, str):
        return Extracted(url=url)
    else:
        html = html.replace("\x00", "")
    if not html.strip():
        return Extracted(url=url)

    jsonld = meta.find_jsonld(html)
    article_ld = meta.jsonld_article(jsonld)
    cleaned = strip_non_content(html).replace(_BR, " ")
    del html  # a 10 MB page: keep one copy alive, not three
    if len(cleaned) > MAX_PARSE_CHARS:
        cleaned = _shrink(cleaned)
    head, cuts, link_density = _slim_tree(cleaned)
    if cuts is None:
        link_density = _link_density(cleaned)
    else:
        cleaned = cuts.html()
    soup = _soup(cleaned)
    del cleaned
    html_tag = _html_tag(soup)

    walker = _Walker()
    walker.soup = soup
    walker.cuts = cuts
    if head is not None:
        walker.metas.extend(head.metas)
        walker.links.extend(head.links)
        walker.title = head.title
    else:
        head_tag = html_tag.find("head", recursive=False) if html_tag is not None else None
        if isinstance(head_tag, Tag):
            for child in head_tag.find_all(["meta", "link", "title"]):
                walker._note_skipped(child, child.name)
    body = soup.body or html_tag or soup
    walker.walk(body)
    metas = _meta_map(walker.metas)

    site_name = metas.get("og:site_name")
    h1 = walker.h1s[0] if walker.h1s else None
    raw_title = (
        metas.get("og:title")
        or (article_ld.get("headline") if isinstance(article_ld.get("headline"), str) else None)
        or h1
        or walker.title
        or metas.get("twitter:title")
    )
    title = meta.clean_title(raw_title, site_name, h1)

    chosen = _choose_blocks(walker.blocks, walker)
    description = metas.get("og:description") or metas.get("description")
    paragraphs = _clean_blocks(chosen, title, description)
    content_density = _blocks_link_density(chosen)
    content_headlines = _headline_links(chosen)
    text = "\n\n".join(paragraphs)

    ld_body = article_ld.get("articleBody") if article_ld else None
    if isinstance(ld_body, str) and _LD_MARKUP.search(ld_body):
        ld_body = _markup_to_text(ld_body)
    # Text is measured in words, two CJK characters to a word (those scripts have no
    # spaces between words).
    if isinstance(ld_body, str) and text_units(ld_body) >= 50:
        if text_units(text) < 0.5 * text_units(ld_body):
            paragraphs = _drop_repeats(
                [
                    " ".join(p.split())
                    for p in re.split(r"\n\s*\n|\r\n\s*\r\n|\n", ld_body)
                    if p.strip()
                ]
            )
            text = "\n\n".join(paragraphs)
    words = text_units(text)
    if words < LENIENT_BELOW_WORDS:
        # Little text: maybe the article sits inside a wrapper whose class reads as
        # boilerplate ("share-wrapper"). Walk again entering such wrappers.
        lenient = _Walker(strict=False)
        if cuts is not None and cuts.restore_soft():
            # The soup lacks subtrees that only the strict walk skips: build it with them.
            full = _soup(cuts.html())
            lenient.walk(full.body or _html_tag(full) or full)
        else:
            lenient.walk(body)
        lenient_chosen = _choose_blocks(lenient.blocks, lenient)
        retry = _clean_blocks(lenient_chosen, title, description)
        retry_text = "\n\n".join(retry)
        if text_units(retry_text) > 1.5 * words + 30:
            paragraphs, text = retry, retry_text
            content_density = _blocks_link_density(lenient_chosen)
            content_headlines = _headline_links(lenient_chosen)

    canonical = None
    for attrs in walker.links:
        rel = attrs.get("rel")
        rel = rel if isinstance(rel, str) else " ".join(rel or ())
        if "canonical" in rel.lower().split() and attrs.get("href"):
            canonical = str(attrs["href"]).strip()
            break
    if not canonical:
        canonical = metas.get("og:url") or None
    if canonical:
        canonical = urljoin(url, canonical) if url else canonical
    is_amp = html_tag is not None and ("amp" in html_tag.attrs or "⚡" in html_tag.attrs)
    extras = _page_extras(article_ld, metas, walker, url)
    language = _find_language(html_tag, metas, content_language, text)
    local = _find_published(article_ld, metas, walker, meta.day_first(language))
    if local is None and text_units(text) >= 50:
        # (a page with less text is no article to store: not worth htmldate's time)
        local = _date_by_htmldate(walker, url, language)
    authors = _find_authors(article_ld, metas, walker)
    published_at, offset_min = _split_offset(local)
    return Extracted(
        url=url,
        title=title,
        authors=authors,
        published_at=published_at,
        published_utc_offset_min=offset_min,
        language=language,
        text=text,
        canonical_url=canonical,
        amp_of=canonical if is_amp else None,
        description=(" ".join(description.split()) or None) if description else extras["desc"],
        image=extras["image"],
        tags=extras["tags"],
        modified_at=extras["modified"],
        site_name=site_name or extras["publisher"],
        jsonld_types=meta.jsonld_types(jsonld),
        og_type=metas.get("og:type") or None,
        paragraph_count=len(paragraphs),
        link_density=link_density,
        content_link_density=content_density,
        content_headline_links=content_headlines,
        dated_items=len({stamp.strip()[:10] for stamp in walker.times if stamp.strip()}),
        has_published_meta=any(k in metas for k in _PUBLISHED_META_KEYS)
        or bool(article_ld.get("datePublished")),
    )
