"""The article's title: the page's headline sources (``og:title``, JSON-LD ``headline``,
the ``<h1>``, ``<title>``) weighed against each other, and a site name cut off."""

from __future__ import annotations

import re
from typing import Any

from newsetl.extraction.walk import Walker

_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:•·»/｜]+\s+|\s+::\s+|\s*[｜ㅣ]\s*")
# Full-width separators that CJK titles write without spaces: "見出し：サイト名"
_CJK_SEPARATORS = re.compile(r"\s*[｜：ㅣ|]\s*")


def clean_title(
    title: str | None, site_name: str | None = None, h1: str | None = None
) -> str | None:
    """Strip a " | Site Name" style suffix (or prefix) from a page title."""
    if not title:
        return None
    title = " ".join(title.split())
    if not title:
        return None
    if h1:
        h1 = " ".join(h1.split())
        if h1.lower() == title.lower():
            return title  # the page's own headline: any " - " in it is part of the title
        if h1 and h1 != title and h1 in title and len(h1.split()) >= 2:
            before = title[: title.index(h1)].rstrip()
            if before.endswith((":", "：")) and len(before.split()) <= 8:
                return title  # "Kicker: headline": the topic line belongs to the title
            return h1
    site = (site_name or "").strip()
    if site and not title.isascii():
        parts = _CJK_SEPARATORS.split(title)
        if len(parts) >= 2 and parts[-1].strip() == site:
            head = re.sub(r"[\s｜：ㅣ|]+$", "", title[: title.rfind(parts[-1])])
            return head or title
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    site = (site_name or "").strip().lower()
    if site:
        if parts[-1].strip().lower() == site:
            return title[: title.rfind(parts[-1])].rstrip(" |-–—:•·»/")
        if parts[0].strip().lower() == site:
            return title[len(parts[0]) :].lstrip(" |-–—:•·»/")
    # No site name known: drop a short last (or first) part when the rest is longer.
    first, last = parts[0], parts[-1]
    if len(last.split()) <= 4 and len(first.split()) > len(last.split()) + 1:
        return title[: title.rfind(last)].rstrip(" |-–—:•·»/")
    if len(first.split()) <= 3 and len(last.split()) > len(first.split()) + 2 and len(parts) == 2:
        return last
    return title


def find_title(article_ld: dict[str, Any], metas: dict[str, str], walker: Walker) -> str | None:
    """The article's headline from the page's title sources, its site name cut off."""
    h1 = walker.h1s[0] if walker.h1s else None
    headline = article_ld.get("headline")
    raw_title = (
        metas.get("og:title")
        or (headline if isinstance(headline, str) else None)
        or h1
        or walker.title
        or metas.get("twitter:title")
    )
    return clean_title(raw_title, metas.get("og:site_name"), h1)
