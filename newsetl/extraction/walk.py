"""The walk: one iterative pass over the soup that skips boilerplate and cuts the rest
into text blocks (``Block``), noting on the way the metadata elements it meets."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag

from newsetl.extraction.prepass import Cuts
from newsetl.extraction.selectors import (
    ARIA_BOILERPLATE_ROLES,
    BLOCK_TAGS,
    BYLINE_HINT,
    COMMENTISH,
    HIDDEN_STYLE,
    INLINE_TAGS,
    META_ITEMPROPS,
    SKIP_TAGS,
    WIDGET_ROLES,
    attr_verdict,
    marker_rank,
)

BR = "\x01"  # marks a <br> inside collected text


# ---------------------------------------------------------------------------------------
# The walk


@dataclass(slots=True)
class Block:
    text: str
    link_len: int
    size: int  # raw characters, for link density
    kind: str  # tag name of the element that owns the text
    path: tuple[int, ...]  # ids of the enclosing block elements, outermost first


class Walker:
    """One iterative pass over the parsed tree: text blocks plus metadata evidence."""

    def __init__(self, *, strict: bool = True) -> None:
        self.strict = strict  # False: ignore class/id words (second try when too little text)
        self.blocks: list[Block] = []
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
        self.cuts: Cuts | None = None  # the lxml tree the soup was built from, cut down
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
            lines = [line.rstrip() for line in raw.replace(BR, "\n").split("\n")]
            text = "\n".join(lines).strip("\n")
            if text.strip():
                self.blocks.append(Block(text, link_len, size, "pre", tuple(self.path)))
            return
        if BR in raw:
            paragraphs: list[list[str]] = [[]]
            for line in raw.split(BR):
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
                        Block(part, int(link_len * share), int(size * share), kind, path)
                    )
                return
            text = parts[0] if parts else ""
        else:
            text = " ".join(raw.split())
        if text:
            self.blocks.append(Block(text, link_len, size, kind, tuple(self.path)))

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
        if attrs.get("aria-hidden") == "true" and name not in INLINE_TAGS:
            return True
        style = attrs.get("style")
        if style and HIDDEN_STYLE.search(style):
            return True
        role = attrs.get("role")
        if role and role in ARIA_BOILERPLATE_ROLES:
            if not self.strict and role in WIDGET_ROLES and name in BLOCK_TAGS:
                self.pending_negative = True  # entered, but remembered as boilerplate
                return False
            return True
        itemprop = attrs.get("itemprop")
        if itemprop and itemprop.lower() in META_ITEMPROPS:
            self.bylines.append(tag)
            return True
        cls = attrs.get("class")
        ident = attrs.get("id")
        if cls or ident:
            value = f"{cls or ''} {ident or ''}" if cls and ident else (cls or ident)
            if not isinstance(value, str):
                value = " ".join(value or ())
            if attr_verdict(value) < 0:
                if not self.strict and name in BLOCK_TAGS and not COMMENTISH.search(value):
                    self.pending_negative = True  # entered, but remembered as boilerplate
                    return False
                if BYLINE_HINT.search(value) and len(self.bylines) < 20:
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
                self.buf.append(BR)
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
            if value and attr_verdict(value) > 0:
                weight = 1.25
            rank = marker_rank(attrs)
            if rank >= 0:
                self.markers[key] = rank
        if name == "article":
            weight *= 1.1
        self.weights[key] = weight
