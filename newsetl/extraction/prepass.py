"""Before BeautifulSoup: the regex pre-pass on the raw HTML and the lxml slimming.

``strip_non_content`` drops elements that never hold text; ``slim_tree`` reads the head's
metadata, cuts out the subtrees every walk skips (``Cuts``, restored on demand) and drops
what nobody reads; ``make_soup`` builds the BeautifulSoup tree the walk reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from bs4 import BeautifulSoup
from bs4.builder import LXMLTreeBuilder  # type: ignore[attr-defined]  # set when lxml is installed
from lxml import etree as lxml_etree

from newsetl.extraction.selectors import (
    ARIA_BOILERPLATE_ROLES,
    BLOCK_TAGS,
    BYLINE_HINT,
    COMMENTISH,
    HIDDEN_STYLE,
    INLINE_TAGS,
    META_ITEMPROPS,
    PREPASS_DROP_TAGS,
    SKIP_TAGS,
    WIDGET_ROLES,
    attr_verdict,
)

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


def shrink_html(html: str) -> str:
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
class Head:
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


def slim_tree(html: str) -> tuple[Head | None, Cuts | None, float | None]:
    """A cheap lxml pass that shrinks what BeautifulSoup must build; the text stays the same.

    lxml parses the page, the head's ``<meta>``/``<link>``/``<title>`` are read and the head
    is cut out; text-less void elements and subtrees without text (where removing them joins
    no two runs of text) go. Then ``Cuts`` swaps out the subtrees the strict walk never
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
    head_info: Head | None = None
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
        head_info = Head(metas, links, title)
        root.remove(head)
    visible = len("".join("".join(_ALL_TEXT(root)).split()))
    linked = len("".join("".join(_LINK_TEXT(root)).split()))
    density = round(min(1.0, linked / visible), 4) if visible else 0.0
    lxml_etree.strip_elements(root, *_TEXTLESS_VOID, with_tail=False)
    _drop_empty(root)
    return head_info, Cuts(root), density


def _slim_attrs(el: Any) -> bool:
    """Drop the attributes nobody reads (a hiding ``style`` becomes ``hidden``); True when
    ``el`` is then an inline wrapper without attributes, to be unwrapped."""
    keys = el.keys()
    if keys:
        keep = _KEEP_ATTRS
        for key in keys:
            if key not in keep and (key != "href" or el.tag != "link"):
                attrib = el.attrib
                if key == "style" and HIDDEN_STYLE.search(attrib[key]):
                    attrib["hidden"] = ""
                try:
                    del attrib[key]
                except ValueError:  # a malformed name ('<a ="x">') lxml cannot address
                    continue
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
        or (attrib.get("aria-hidden") == "true" and name not in INLINE_TAGS)
        or (style and HIDDEN_STYLE.search(style))
    ):
        return _CUT_HARD
    role = attrib.get("role")
    value = _class_id(attrib)
    if (role in ARIA_BOILERPLATE_ROLES or (value and attr_verdict(value) < 0)) and _wraps_article(
        el
    ):
        # A "header" or "menu" that holds the headline and the article's paragraphs (left
        # unclosed, or a template's page wrapper): it is the page, entered as a bare block.
        for key in ("role", "class", "id"):
            attrib.pop(key, None)
        return _ENTER
    if role in ARIA_BOILERPLATE_ROLES:
        if role in WIDGET_ROLES and name in BLOCK_TAGS:
            return _ENTER if lenient else _CUT_SOFT
        return _CUT_HARD
    itemprop = attrib.get("itemprop")
    if itemprop and itemprop.lower() in META_ITEMPROPS:
        return _CUT_HARD if lenient else _KEEP  # a byline
    if value and attr_verdict(value) < 0:
        if lenient:
            return _ENTER if _lenient_enters(name, value) else _CUT_HARD
        return _KEEP if BYLINE_HINT.search(value) else _CUT_SOFT
    if name == "a" and not lenient:
        rel = attrib.get("rel")
        if rel and "author" in rel:
            return _KEEP  # an author link
    return _ENTER


WRAPPER_P_CHARS = 1000  # paragraph text under a headline that makes a "header" the page


def _wraps_article(el: Any) -> bool:
    """``el`` holds the page's ``<h1>`` and at least WRAPPER_P_CHARS of paragraph text."""
    sizes = accumulate(len(t) for p in el.iter("p") for t in p.itertext())
    return el.find(".//h1") is not None and any(n >= WRAPPER_P_CHARS for n in sizes)


# Widget roles that some sites put on a block holding the article itself (a "reading
# modes" tab strip): skipped by the strict walk only, so the lenient walk can find it.


def _lenient_enters(name: str, value: str) -> bool:
    """The lenient walk enters a block whose class/id words say boilerplate (not comments)."""
    return name in BLOCK_TAGS and not COMMENTISH.search(value)


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


class Cuts:
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


class LxTag:
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

    def find(self, attrs: dict[str, str]) -> LxTag | None:
        """The first element below this one whose attributes have these values."""
        items = attrs.items()
        for el in self.el.iterdescendants(lxml_etree.Element):
            if all(el.get(key) == value for key, value in items):
                return LxTag(el)
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
        self.soup.handle_starttag(
            tag, None, None, dict(attrib), namespaces=self.active_namespace_prefixes[-1]
        )

    def end(self, tag: Any) -> None:
        if len(self.nsmaps) > 1:
            super().end(tag)
            return
        self.soup.handle_endtag(tag)


def make_soup(html: str) -> BeautifulSoup:
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
# Link density of the whole page (when lxml could not slim it)

_A_TAG = re.compile(r"<a\b[^>]*>(.*?)</a\s*>", re.IGNORECASE | re.DOTALL)
ANY_TAG = re.compile(r"<[^>]*>")
_BODY_START = re.compile(r"<body\b", re.IGNORECASE)


def _visible_len(fragment: str) -> int:
    return len("".join(ANY_TAG.sub(" ", fragment).split()))


def page_link_density(cleaned_html: str) -> float:
    """Share of the body's visible characters that sit inside ``<a>`` elements."""
    start = _BODY_START.search(cleaned_html)
    body = cleaned_html[start.start() :] if start else cleaned_html
    total = _visible_len(body)
    if not total:
        return 0.0
    linked = sum(_visible_len(m.group(1)) for m in _A_TAG.finditer(body))
    return round(min(1.0, linked / total), 4)
