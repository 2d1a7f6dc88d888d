"""Is a page an article? Weighed from the evidence the page and its site give.

No single signal decides. Each piece of evidence adds or takes away points, and a page is
an article when the total reaches :data:`ARTICLE_AT`:

- the site's own word counts most: JSON-LD ``Article`` types, ``og:type=article``, the
  page's entry in a feed, a posts sitemap or a Google News sitemap, a link to it whose
  text is the page's own headline (a listing names its stories so; menus name sections
  in a word or two), or failing that a link set as a heading on a listing page (one
  point: how listings show their stories, whatever the words), ``article:published_time``,
  a byline and a publication date;
- the page's shape: a dated or slugged path, or a listing path (``/tag/``, ``/page/2``,
  the site's root); JSON-LD or ``og:type`` that call it a collection or a website;
- its main content, as the extractor chose it: how much running text, how much of that
  text sits in links, and whether it is a column of linked teaser headlines (a listing).
  Menus, footers and related-story lists outside the main content never count.

Too little main text (:data:`MIN_UNITS`) is the one veto: there is nothing to store. Text
is counted in words, and in characters for scripts written without spaces (Chinese,
Japanese), two characters to a word.

:func:`decide` returns a :class:`Decision` that carries every signal and its points, so a
rejected page's record says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

# schema.org types that call a page an article, spelled as schema.org spells them: the one
# list. ``decide`` compares JSON-LD types in lower case against all of them; the crawler
# (``discover.links``) stops expanding a page on the first twelve only, as it always has.
ARTICLE_TYPE_NAMES = (
    "Article",
    "NewsArticle",
    "BlogPosting",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "ReviewNewsArticle",
    "BackgroundNewsArticle",
    "LiveBlogPosting",
    "TechArticle",
    "ScholarlyArticle",
    "SocialMediaPosting",
    # not looked for by the crawler
    "AskPublicNewsArticle",
    "SatiricalArticle",
    "Report",
    "Posting",
    "DiscussionForumPosting",
    "Review",
    "Recipe",
)
CRAWLER_ARTICLE_TYPES = ARTICLE_TYPE_NAMES[:12]
# Where the extractor looks for an article's metadata among a page's JSON-LD nodes it
# is more lenient: any type whose name contains one of these (``ScholarlyArticle``,
# ``LiveBlogPosting``, a site's own ``ArticlePage``).
ARTICLE_TYPE_HINTS = ("article", "posting", "report", "blog")
ARTICLE_TYPES = frozenset(name.lower() for name in ARTICLE_TYPE_NAMES)
NON_ARTICLE_TYPES = frozenset(
    {
        "collectionpage",
        "itemlist",
        "profilepage",
        "aboutpage",
        "contactpage",
        "searchresultspage",
        "checkoutpage",
        "faqpage",
        "product",
    }
)
NON_ARTICLE_OG = frozenset({"website", "profile", "product", "video.other", "book", "music.song"})

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
        "impressum",
        "imprint",
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
_DATE_IN_PATH = re.compile(
    r"/(19|20)\d\d/(0?[1-9]|1[0-2])(/|$)|/(19|20)\d\d-\d\d-\d\d|/(19|20)\d\d(0[1-9]|1[0-2])[0-3]\d(/|$)"
)
_SLUG = re.compile(r"[\w]+(?:[-_][\w]+){2,}")  # three or more words joined by - or _
_LONG_ID = re.compile(r"\d{5,}")
_PAGINATION_QUERY = re.compile(r"(^|&)(page|paged|offset|start|s|q|query|cat|tag)=", re.I)
_ITEM_QUERY = re.compile(r"(^|&)(p|post|id|story|article|sid|storyid|articleid)=\w+", re.I)
# Words of the site's own service pages ("privacy-and-cookie-policy", "about-our-team"):
# a short slug holding one of them is not a story.
_SERVICE_WORDS = frozenset(
    {
        "about",
        "contact",
        "privacy",
        "cookie",
        "cookies",
        "terms",
        "conditions",
        "imprint",
        "impressum",
        "datenschutz",
        "legal",
        "disclaimer",
        "accessibility",
        "advertise",
        "advertising",
        "careers",
        "jobs",
        "newsletter",
        "newsletters",
        "subscribe",
        "subscription",
        "faq",
        "help",
        "sitemap",
        "policy",
        "masthead",
        "staff",
        "team",
    }
)
_INDEX_NAMES = frozenset({"index", "home", "blog", "news", "posts", "articles", "latest"})
# Scripts written without spaces between words.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")

ARTICLE_AT = 2  # points at which a page counts as an article
MIN_UNITS = 50  # less main text than this (in words) is not an article to store


def text_units(text: str) -> int:
    """Words in ``text``, counting two CJK characters as a word (they have no spaces)."""
    cjk = len(_CJK.findall(text))
    if not cjk:
        return len(text.split())
    return len(_CJK.sub(" ", text).split()) + cjk // 2


def url_shape(url: str) -> str:
    """Classify a URL by its shape alone: ``"article"`` (a dated path, a slug of three or
    more words, a long id), ``"listing"`` (tag, category, author, pagination ...),
    ``"service"`` (about, contact, privacy ...), ``"root"`` or ``"unknown"``."""
    parts = urlsplit(url)
    path = parts.path or "/"
    lower = path.lower()
    segments = [s for s in lower.split("/") if s]
    if not segments:
        if parts.query and _ITEM_QUERY.search(parts.query):
            return "article"  # /?p=123: a WordPress shortlink
        return "root"
    last = re.sub(r"\.(html?|php|aspx?|shtml|cms|jsp)$", "", segments[-1])
    dated = bool(_DATE_IN_PATH.search(lower))
    sluggy = bool(_SLUG.fullmatch(last) or _LONG_ID.search(last))
    if dated and sluggy:
        return "article"  # /archives/2012/08/02/a-long-slug.html
    if any(s in _LISTING_SEGMENTS for s in segments[:-1]) or last in _LISTING_SEGMENTS:
        # /tag/x, /category/x/page/2, /author/jane; but a slug after /blog/ is not listing
        return "listing"
    words = re.split(r"[-_]", last)
    if len(words) <= 5 and _SERVICE_WORDS.intersection(words):
        return "service"  # /privacy-and-cookie-policy, /about-our-team
    if parts.query:
        if _PAGINATION_QUERY.search(parts.query) and not _ITEM_QUERY.search(parts.query):
            return "listing"
        if _ITEM_QUERY.search(parts.query):
            return "article"  # blog.php?post=123, story.php?id=9
    if dated and len(segments) >= 3:
        return "article"
    if sluggy:
        return "article"
    if last in _INDEX_NAMES:
        return "listing"
    return "unknown"


@dataclass(slots=True)
class Decision:
    """The verdict on one page, with every signal that was weighed and its points."""

    is_article: bool
    reason: str  # the strongest signal on the winning side
    score: int
    signals: dict[str, int] = field(default_factory=dict)  # signal -> points
    values: dict[str, Any] = field(default_factory=dict)  # the measured evidence
    presented_as_article: bool = False  # the site itself said so (feed, sitemap, markup)

    def evidence(self) -> dict[str, Any]:
        """A JSON-ready record: the verdict, the score, the signals and the values."""
        return {
            "score": self.score,
            "threshold": ARTICLE_AT,
            "signals": dict(self.signals),
            "presented_as_article": self.presented_as_article,
            **self.values,
        }


_WORD = re.compile(r"\w+")


def same_headline(listed: str | None, title: str | None) -> bool:
    """Whether a link's text (or a feed item's title) is the page's own headline: four
    words or more, and the same words as the title, or the title with a kicker or a
    site name added or taken away (the shorter holds at least 70 % of the longer)."""
    if not listed or not title:
        return False
    a = _WORD.findall(listed.lower())
    b = _WORD.findall(title.lower())
    if len(a) < 4 or len(b) < 4:
        return False
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) < 0.7 * len(long_):
        return False
    n = len(short)
    return any(long_[i : i + n] == short for i in range(len(long_) - n + 1))


def decide(
    *,
    url: str,
    jsonld_types: list[str] | tuple[str, ...] = (),
    og_type: str | None = None,
    text: str = "",
    paragraph_count: int = 0,
    content_link_density: float = 0.0,
    teaser_links: int = 0,
    in_feed: bool = False,
    in_sitemap: bool = False,
    in_news_sitemap: bool = False,
    linked_by_headline: bool = False,
    listed_as_heading: bool = False,
    dated_items: int = 0,
    has_published_meta: bool = False,
    has_date: bool = False,
    has_byline: bool = False,
) -> Decision:
    """Weigh the evidence for one page (see the module's docstring)."""
    types = {t.lower().rsplit("/", 1)[-1] for t in jsonld_types}
    og = (og_type or "").lower().strip()
    shape = url_shape(url)
    units = text_units(text)
    signals: dict[str, int] = {}

    # The site's own word.
    ld_article = bool(types & ARTICLE_TYPES)
    og_article = og == "article" or og.startswith("article:") or og.startswith("article.")
    if ld_article:
        signals["jsonld_article"] = 3
    elif types & NON_ARTICLE_TYPES:
        signals["jsonld_collection"] = -2
    if og_article:
        signals["og_article"] = 2
    elif og == "website":
        # Many CMSs put og:type=website on every page, stories included: on the real
        # pages of the dev sets it marks articles about as often as listings. Recorded,
        # worth nothing.
        signals["og_website"] = 0
    elif og in NON_ARTICLE_OG:
        signals["og_" + og.replace(".", "_")] = -1
    if in_news_sitemap:
        signals["in_news_sitemap"] = 3
    elif in_feed:
        signals["in_feed"] = 2
    if in_sitemap and not in_news_sitemap:
        signals["in_sitemap"] = 1
    if linked_by_headline and not in_feed:
        signals["linked_by_headline"] = 2
    elif listed_as_heading and not in_feed:
        # A listing page links it as one of its headlines, whatever the link's words.
        signals["listed_as_heading"] = 1
    if has_published_meta:
        signals["published_meta"] = 1
    if has_date:
        signals["date"] = 1
    if has_byline:
        signals["byline"] = 1
    presented = ld_article or og_article or in_feed or in_news_sitemap or linked_by_headline

    # The URL's shape.
    if shape == "article":
        signals["article_url"] = 2
    elif shape == "listing":
        signals["listing_url"] = -3
    elif shape == "service":
        signals["service_url"] = -3
    elif shape == "root":
        signals["site_root"] = -5
    # A sitemap lists a site's every page (its category sitemaps list every section): an
    # entry says "article" only at a story-shaped URL.
    presented = presented or (in_sitemap and shape == "article")

    # The main content.
    if units >= 300:
        signals["long_text"] = 2
    elif units >= 120:
        signals["running_text"] = 1
    # Links in the main content: a column of linked teaser headlines with a line or two
    # each is a listing; text mostly in links is a link list. One penalty, the larger.
    if teaser_links >= 8 and teaser_links * 60 >= units:
        signals["teaser_list"] = -3
    elif dated_items >= 2 and teaser_links >= 2:
        # A few linked headlines, each with its own date: a small section page.
        signals["dated_teasers"] = -2
    elif content_link_density > 0.5:
        signals["mostly_links"] = -3
    elif content_link_density > 0.33:
        signals["many_links"] = -1
    if "teaser_list" in signals or dated_items >= 2:
        # On a column of teasers, or among items dated on different days, the date and
        # byline found are the items' own, not the page's.
        for name in ("date", "byline"):
            if name in signals:
                signals[name] = 0

    score = sum(signals.values())
    values: dict[str, Any] = {
        "url_shape": shape,
        "words": units,
        "paragraphs": paragraph_count,
        "content_link_density": round(content_link_density, 3),
        "teaser_links": teaser_links,
        "dated_items": dated_items,
        "jsonld_types": sorted(types),
        "og_type": og or None,
    }
    if units < MIN_UNITS:
        signals["too_little_text"] = 0
        return Decision(False, "too_little_text", score, signals, values, presented)
    ok = score >= ARTICLE_AT
    # The reason named in the fate: the strongest signal on the winning side.
    side = [(abs(v), k) for k, v in signals.items() if (v > 0 if ok else v < 0)]
    reason = max(side)[1] if side else "not_enough_evidence"
    return Decision(ok, reason, score, signals, values, presented)
