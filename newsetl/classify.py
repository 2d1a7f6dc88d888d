"""Is a page an article? Decided from the evidence the page gives, never from one site's URLs.

Evidence, strongest first: JSON-LD ``@type`` and ``og:type``; membership in a feed or a
posts sitemap; the URL's shape (a dated or slugged path versus ``/tag/``, ``/page/2``); the
amount of running text and how much of it sits in links.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "blogposting",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "reviewnewsarticle",
        "backgroundnewsarticle",
        "socialmediaposting",
        "liveblogposting",
        "techarticle",
        "scholarlyarticle",
        "report",
        "posting",
    }
)
NON_ARTICLE_TYPES = frozenset(
    {
        "website",
        "webpage",
        "collectionpage",
        "itemlist",
        "profilepage",
        "aboutpage",
        "contactpage",
        "searchresultspage",
        "person",
        "organization",
        "blog",
        "product",
        "faqpage",
    }
)

# Path segments that mark an index rather than a story, on any platform.
_LISTING_SEGMENTS = frozenset(
    {
        "tag",
        "tags",
        "category",
        "categories",
        "categorie",
        "topic",
        "topics",
        "author",
        "authors",
        "profile",
        "profiles",
        "search",
        "archive",
        "archives",
        "page",
        "feed",
        "rss",
        "about",
        "about-us",
        "contact",
        "contact-us",
        "privacy",
        "privacy-policy",
        "terms",
        "login",
        "signup",
        "subscribe",
        "cart",
        "account",
    }
)
_DATE_IN_PATH = re.compile(r"/(19|20)\d\d/(0?[1-9]|1[0-2])(/|$)|/(19|20)\d\d-\d\d-\d\d")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+){2,}")  # three or more words joined by hyphens
_LONG_ID = re.compile(r"\d{5,}")
_LISTING_QUERY = re.compile(r"(^|&)(page|paged|p|cat|tag|s|q|offset|start)=", re.I)


def url_shape(url: str) -> str:
    """Classify a URL by its shape alone: ``"article"``, ``"listing"`` or ``"unknown"``."""
    parts = urlsplit(url)
    path = parts.path or "/"
    segments = [s for s in path.lower().split("/") if s]
    if not segments:
        return "listing"  # the site's root
    if any(s in _LISTING_SEGMENTS for s in segments[:-1]) or segments[-1] in _LISTING_SEGMENTS:
        # /tag/x, /category/x/page/2, /author/jane; but a slug after /blog/ is not listing
        return "listing"
    if parts.query and _LISTING_QUERY.search(parts.query) and len(segments) <= 1:
        return "listing"
    last = segments[-1]
    last = re.sub(r"\.(html?|php|aspx?|shtml)$", "", last)
    if _DATE_IN_PATH.search(path.lower()) and len(segments) >= 3:
        return "article"
    if _SLUG.fullmatch(last) or _LONG_ID.search(last):
        return "article"
    if last in {"index", "home", "blog", "news", "posts", "articles", "latest"}:
        return "listing"
    return "unknown"


def is_article(
    *,
    url: str,
    jsonld_types: list[str] | tuple[str, ...] = (),
    og_type: str | None = None,
    word_count: int = 0,
    paragraph_count: int = 0,
    link_density: float = 0.0,
    in_feed: bool = False,
    in_sitemap: bool = False,
) -> tuple[bool, str]:
    """Weigh the evidence for one page; return (is an article, the deciding reason)."""
    types = {t.lower().rsplit("/", 1)[-1] for t in jsonld_types}
    og = (og_type or "").lower().strip()
    shape = url_shape(url)
    if word_count < 50:
        return False, "too_little_text"
    if link_density > 0.5:
        return False, "mostly_links"
    if types & ARTICLE_TYPES:
        return True, "jsonld_article"
    if og == "article" or og.startswith("article:"):
        return True, "og_article"
    if in_feed:
        return True, "in_feed"
    if shape == "listing":
        return False, "listing_url"
    if types & NON_ARTICLE_TYPES and not types & ARTICLE_TYPES and og in {"website", ""}:
        if shape != "article" or word_count < 150:
            return False, "jsonld_not_article"
    if og == "website" and shape != "article" and not in_sitemap:
        return False, "og_website"
    if in_sitemap and word_count >= 80:
        return True, "in_sitemap"
    if shape == "article" and word_count >= 80:
        return True, "article_url"
    # No markup, no listing: judge by running text.
    if word_count >= 200 and paragraph_count >= 3 and link_density < 0.3:
        return True, "running_text"
    return False, "not_enough_evidence"
