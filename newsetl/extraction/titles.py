"""The article's title: the page's headline sources (``og:title``, JSON-LD ``headline``,
the ``<h1>``, ``<title>``) weighed against each other, and a site name cut off."""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from newsetl.extraction.metadata import jsonld_names
from newsetl.extraction.walk import Walker
from newsetl.urls import registrable_domain

_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:•·»/｜]+\s+|\s+::\s+|\s*[｜ㅣ]\s*")
# Full-width separators that CJK titles write without spaces: "見出し：サイト名"
_CJK_SEPARATORS = re.compile(r"\s*[｜：ㅣ|]\s*")


def clean_title(
    title: str | None,
    site_name: str | None = None,
    h1: str | None = None,
    headline: str | None = None,
    site_keys: frozenset[str] = frozenset(),
) -> str | None:
    """Strip a " | Site Name" style suffix (or prefix) from a page title.

    With no site name to go by, a short last (or first) segment is taken for one, but not
    where the ``<h1>`` or the JSON-LD ``headline`` (another of the page's headlines) has
    it too: "... - here's how to check" is a subtitle, no site says that of itself.
    ``site_keys``: the site's names (its publisher, its domain), squashed by ``squash``:
    a segment that is one of them, or starts or ends with one, is the site's name.
    """

    def is_site(part: str) -> bool:
        squashed = squash(part)
        return bool(squashed) and any(
            squashed == k or (len(k) >= 4 and (squashed.startswith(k) or squashed.endswith(k)))
            for k in site_keys
        )

    if not title:
        return None
    title = " ".join(title.split())
    if not title:
        return None
    if h1:
        h1 = " ".join(h1.split())
        if h1.lower() == title.lower():
            return title  # the page's own headline: any " - " in it is part of the title
        if h1.translate(_QUOTE_FOLD) == title.translate(_QUOTE_FOLD):
            return h1  # the same with typographic quotes or dashes: as the page shows it
        if h1 and h1 != title and h1 in title and len(h1.split()) >= 2:
            before = title[: title.index(h1)].rstrip()
            if before.endswith((":", "：")) and len(before.split()) <= 8:
                return title  # "Kicker: headline": the topic line belongs to the title
            return h1
    site = (site_name or "").strip()
    if (site or site_keys) and not title.isascii():
        parts = _CJK_SEPARATORS.split(title)
        if len(parts) >= 2 and (parts[-1].strip() == site or is_site(parts[-1])):
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
    if len(parts[-1].split()) <= 6 and is_site(parts[-1]):
        return title[: title.rfind(parts[-1])].rstrip(" |-–—:•·»/")
    if len(parts) == 2 and len(parts[0].split()) <= 6 and is_site(parts[0]):
        return title[len(parts[0]) :].lstrip(" |-–—:•·»/")
    # No site name known: drop a short last (or first) part when the rest is longer.
    others = [squash(t) for t in (h1, headline) if t and _key(t) != _key(title)]

    def is_headline_text(part: str) -> bool:
        squashed = squash(part)
        return bool(squashed) and any(squashed in other for other in others)

    first, last = parts[0], parts[-1]
    if len(last.split()) <= 4 and len(first.split()) > len(last.split()) + 1:
        if not is_headline_text(last):
            return title[: title.rfind(last)].rstrip(" |-–—:•·»/")
    elif len(first.split()) <= 3 and len(last.split()) > len(first.split()) + 2 and len(parts) == 2:
        if not is_headline_text(first):
            return last
    return title


_QUOTE_FOLD = str.maketrans("‘’‚‛`´“”„‟«»‹›–—‐‑−", "''''''\"\"\"\"\"\"''-----")
_SEGMENT_TAIL = re.compile(r"^\s*(?:[|\-–—:•·»/｜ㅣ]+|::)\s*\S")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-f]+|[a-z]+\d*);", re.IGNORECASE)


def _text(value: Any) -> str | None:
    """A title source as one line of text (JSON-LD strings may carry HTML entities)."""
    if not isinstance(value, str):
        return None
    if _ENTITY.search(value):
        value = html_lib.unescape(value)
    return " ".join(value.split()) or None


def _key(title: str) -> str:
    """A title for comparison: NFKC, case-folded, quotes and dashes unified, without the
    punctuation or ellipsis it may end with."""
    folded = unicodedata.normalize("NFKC", title).casefold().translate(_QUOTE_FOLD)
    return folded.strip(" \"'.,;:!?-…")


def _agree(a: str, b: str) -> bool:
    """The same headline, or one is the other plus a segment after a separator (the
    ``<title>``'s " | Site Name")."""
    ka, kb = _key(a), _key(b)
    if ka == kb:
        return True
    short, long_ = (ka, kb) if len(ka) <= len(kb) else (kb, ka)
    if len(short) < 8:
        return False
    if long_.startswith(short):
        return _SEGMENT_TAIL.match(long_[len(short) :]) is not None
    if long_.endswith(short):
        return _SEGMENT_TAIL.match(long_[: -len(short)][::-1]) is not None
    return False


def squash(text: str) -> str:
    """Letters and digits only, case-folded: text compared across markup and spacing."""
    return "".join(c for c in unicodedata.normalize("NFKC", text).casefold() if c.isalnum())


def choose_title(
    og: str | None,
    headline: str | None,
    h1: str | None,
    page_title: str | None,
    page_text: Callable[[], str] = str,
) -> str | None:
    """The headline among the page's title sources.

    ``og:title`` first, as most pages' own headline, but not where it is a separate social
    headline: one that differs from both the JSON-LD ``headline`` and the ``<h1>`` while
    those two agree, and that the page does not show anywhere (``page_text``: the page's
    text squashed to letters and digits, asked only then). Then the headline, the
    ``<h1>``, the ``<title>``.
    """
    if og and headline and h1 and _agree(headline, h1):
        if not _agree(og, headline) and not _agree(og, h1):
            squashed = squash(og)
            if squashed and squashed not in page_text():
                return headline
    return og or headline or h1 or page_title


def site_keys(article_ld: dict[str, Any], metas: dict[str, str], url: str | None) -> frozenset[str]:
    """The site's names, squashed: ``og:site_name``, ``application-name``, the JSON-LD
    ``publisher``, and the name in its host (``harbourtimes`` of www.harbourtimes.com)."""
    names = [metas.get("og:site_name") or "", metas.get("application-name") or ""]
    names += jsonld_names(article_ld.get("publisher")) if article_ld else []
    host = (urlsplit(url).hostname or "") if url else ""
    if host:
        names.append(registrable_domain(host).split(".")[0])
    return frozenset(k for k in map(squash, names) if len(k) >= 2)


def find_title(
    article_ld: dict[str, Any], metas: dict[str, str], walker: Walker, url: str | None = None
) -> str | None:
    """The article's headline from the page's title sources, its site name cut off."""
    h1 = _text(walker.h1s[0]) if walker.h1s else None
    soup = walker.soup

    def page_text() -> str:
        return squash(soup.get_text("")) if soup is not None else ""

    headline = _text(article_ld.get("headline"))
    raw = choose_title(
        _text(metas.get("og:title")),
        headline,
        h1,
        _text(walker.title) or _text(metas.get("twitter:title")),
        page_text,
    )
    keys = site_keys(article_ld, metas, url)
    return clean_title(raw, metas.get("og:site_name"), h1, headline, keys)
