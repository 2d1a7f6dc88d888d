"""What boilerplate looks like, as data: tag names, roles, class/id words and text patterns.

The extraction stages read these tables and the class/id verdicts below; nothing here
names a particular site. Platform markers are the generic class names or data attributes
a blogging platform puts on every post.
"""

from __future__ import annotations

import re
from typing import Any

# Elements dropped from the raw HTML before parsing: they never hold article text.
PREPASS_DROP_TAGS = (
    "script",
    "style",
    "svg",
    "noscript",
    "template",
    "iframe",
    "object",
    "canvas",
    "select",
    "textarea",
    "math",
)

# Elements skipped whole while reading the parsed tree.
SKIP_TAGS = frozenset(
    {
        "head",
        "nav",
        "footer",
        "aside",
        "button",
        "input",
        "label",
        "menu",
        "dialog",
        "figcaption",
        "video",
        "audio",
        "picture",
        "img",
        "map",
        "embed",
        "link",
        "meta",
        "style",
        "script",
        "noscript",
        "template",
        "iframe",
        "svg",
        "select",
        "option",
        "textarea",
        "object",
        "canvas",
        "title",
        "base",
        "source",
        "track",
        "wbr",
        "hr",
        "area",
        "param",
        "fieldset",
        "legend",
        "del",
        "s",
        "strike",
    }
)

# Elements that start a new block of text.
BLOCK_TAGS = frozenset(
    {
        "html",
        "body",
        "p",
        "div",
        "section",
        "article",
        "main",
        "header",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "blockquote",
        "pre",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "td",
        "th",
        "caption",
        "figure",
        "address",
        "center",
        "details",
        "summary",
        "hgroup",
        "form",
    }
)

HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

ARIA_BOILERPLATE_ROLES = frozenset(
    {
        "navigation",
        "banner",
        "contentinfo",
        "complementary",
        "dialog",
        "alertdialog",
        "search",
        "menu",
        "menubar",
        "toolbar",
        "button",
        "tablist",
    }
)

# Words that, as a whole class/id word, mark an element as not being the article text.
NEGATIVE_WORDS = frozenset(
    {
        "nav",
        "navbar",
        "navigation",
        "menu",
        "breadcrumb",
        "breadcrumbs",
        "sidebar",
        "footer",
        "masthead",
        "comment",
        "comments",
        "commentlist",
        "disqus",
        "respond",
        "reply",
        "replies",
        "share",
        "sharing",
        "sharedaddy",
        "social",
        "socials",
        "sociable",
        "related",
        "recommended",
        "recirculation",
        "newsletter",
        "subscribe",
        "subscription",
        "signup",
        "cookie",
        "cookies",
        "consent",
        "gdpr",
        "banner",
        "promo",
        "sponsor",
        "sponsored",
        "advert",
        "advertisement",
        "ad",
        "ads",
        "adsense",
        "dfp",
        "widget",
        "widgets",
        "popup",
        "modal",
        "overlay",
        "toolbar",
        "pagination",
        "pager",
        "byline",
        "author",
        "authors",
        "dateline",
        "timestamp",
        "caption",
        "credit",
        "credits",
        "tags",
        "tagcloud",
        "taglist",
        "categories",
        "skip",
        "skiplink",
        "sronly",
        "sr",
        "hidden",
        "hide",
        "invisible",
        "offscreen",
        "print",
        "rss",
        "login",
        "search",
        "searchform",
        "signin",
        "outbrain",
        "taboola",
        "trending",
        "popular",
        "mostread",
        "shoutbox",
        "disclaimer",
        "copyright",
        "bio",
        "meta",
        "postmeta",
        "entrymeta",
        "jp",
        "addthis",
        "likes",
        "reactions",
        "tooltip",
        "toc",
        "gallery",
        "slideshow",
        "carousel",
    }
)
# Weak words: boilerplate only as the whole token ("meta") or after an article word
# ("entry-meta", "post-author"); "image-meta" or "author-name" wrappers are left alone.
WEAK_NEGATIVE_WORDS = frozenset(
    {
        "meta",
        "hidden",
        "hide",
        "print",
        "credit",
        "credits",
        "bio",
        "author",
        "authors",
        "caption",
        "tags",
        "banner",
        "widget",
        "toolbar",
        "overlay",
        "modal",
        "popup",
        "sr",
        "skip",
        "reply",
        "toc",
        "timestamp",
        "dateline",
        "invisible",
        "offscreen",
    }
)
ARTICLE_WORDS = frozenset({"post", "entry", "article", "story", "blog", "news", "page", "single"})

# Multi-word class fragments (compared with separators removed).
NEGATIVE_JOINED = (
    "visuallyhidden",
    "screenreader",
    "srtext",
    "morestories",
    "youmayalso",
    "youmightalso",
    "recentposts",
    "relatedposts",
    "postnav",
    "postnavigation",
    "nextprev",
    "prevnext",
    "authorbox",
    "authorinfo",
    "aboutauthor",
    "sharebar",
    "sharebuttons",
    "socialshare",
    "followus",
    "postfooter",
    "entryfooter",
    "articlefooter",
    "postmetadata",
    "entrymeta",
    "postinfo",
    "publishdate",
    "pubdate",
    "posttags",
    "readtime",
    "timetoread",
    "printonly",
    "mobileonly",
    "noprint",
    "cookiebanner",
    "cookienotice",
    "adwrapper",
    "adslot",
    "adcontainer",
    "adunit",
    "googleads",
    "jetpack",
    "sharethis",
)
# Class/id words that mark a likely article container; they protect an element from the
# negative words above (``comments-enabled post-content`` stays).
POSITIVE_WORDS = frozenset(
    {
        "article",
        "articlebody",
        "body",
        "content",
        "entry",
        "hentry",
        "main",
        "post",
        "story",
        "text",
        "blog",
        "page",
        "column",
        "markup",
    }
)
# Words that are weak alone but ended up in class names of whole-page wrappers.
WRAPPER_PREFIXES = ("has", "no", "with", "is", "show", "enable", "enabled", "single", "page", "js")

# Generic markers of a post's body on common platforms, strongest evidence first.
# (attribute, value) pairs; class values are matched as whole class tokens.
CONTENT_MARKERS: tuple[tuple[str, str], ...] = (
    ("itemprop", "articleBody"),
    ("data-hook", "post-description"),  # Wix blog
    ("class", "rich-content-viewer"),  # Wix rich content
    ("class", "entry-content"),  # WordPress
    ("class", "post-content"),  # WordPress themes, Ghost
    ("class", "post-body"),  # Blogger
    ("class", "post-entry"),
    ("class", "gh-content"),  # Ghost
    ("class", "available-content"),  # Substack
    ("class", "body markup"),  # Substack
    ("class", "article-body"),
    ("class", "article-content"),
    ("class", "story-body"),
    ("class", "article__body"),
    ("class", "c-entry-content"),
    ("class", "entry__content"),
    ("class", "post__content"),
    ("class", "content-body"),
    ("class", "blog-post-body"),
    ("class", "sqs-layout"),  # Squarespace: the blocks' layout wrapper
    ("id", "articleBody"),
    ("id", "article-body"),
    ("id", "story-body"),
    ("id", "post-body"),
)

# Short lines that are never article text (compared lower-case, whole line).
JUNK_LINE = re.compile(
    r"""^(?:
        top\ of\ page|bottom\ of\ page|back\ to\ top|skip\ to\ (?:main\ )?content|
        post:\ \w+|advertisement|advertisements|advertising|sponsored(?:\ content)?|
        videos?|watch(?:\ the)?\ video|pages?:?(?:\ \d+)+(?:\ next)?|
        share(?:\ this)?(?:\ (?:post|article|story|page))?:?|tweet|pin\ it|email|print|
        (?:share\ on|follow\ us\ on)\ \w+|
        \d+\ (?:min|mins|minute|minutes)\ read|
        (?:click|tap)\ (?:here\ )?to\ (?:share|print|email|tweet).*|
        (?:related|recent|popular|latest|more)\ (?:posts|articles|stories|news)|
        read\ more|continue\ reading.*|see\ also|you\ (?:may|might)\ also\ like.*|
        (?:leave\ a\ |post\ a\ |\d+\ )?comments?|leave\ a\ reply|
        (?:like|loading)\W*|like\ this:?|like\ loading.*|subscribe(?:\ now)?|sign\ up(?:\ now)?|
        up\ next|next\ up|watch\ next|coming\ up(?:\ next)?|player\ wird\ geladen\W*|
        (?:the\ )?(?:video\ )?player\ is\ loading\W*|loading\ (?:the\ )?(?:video|player)\W*|
        image:?.*\ (?:credit|getty\ images|ap\ photo|reuters)\W*
    )\W*$""",
    re.IGNORECASE | re.VERBOSE,
)

# Picture credits shown as their own line (checked on lines of up to 25 words).
CREDIT_LINE = re.compile(
    r"^[(\[]?\s*(?:(?:photos?|images?|pictures?)\s*(?:\([^)]{0,40}\)\s*)?(?:credits?\s*)?:|"
    r"credits?\s*:|(?:photos?|images?)\s+(?:by|courtesy\s+of|via)\s)",
    re.IGNORECASE,
)
# Markup that reached the page as text (an escaped embed code), outside <pre>.
MARKUP_LINE = re.compile(r"^\s*<(?:a|img|iframe|embed|object|div|span|p|script)\b[^<>]*>", re.I)

# Copyright footers (checked on lines of up to 40 words).
COPYRIGHT_LINE = re.compile(r"^\s*(?:©|\(c\)\s|copyright\b)|\ball rights reserved\b", re.IGNORECASE)

# Consent boxes standing in for an embedded video or post until the reader agrees to load
# it (checked on lines of up to 80 words): they address the reader about loading content
# from another provider, which running text does not.
CONSENT_LINE = re.compile(
    r"""(?:
        \bI\ (?:agree|consent)\ (?:to|that)\b.{0,160}\b(?:third[-\ ]part(?:y|ies)|external)\b|
        \bwe\ need\ your\ (?:consent|permission)\ to\ (?:load|show|display)\b|
        \b(?:to|please)\ (?:view|watch|see|load|display)\ this\ (?:video|content|embed|post)\b
            .{0,120}\b(?:accept|consent|enable|allow)\b.{0,80}\b(?:cookies|consent|provider)\b|
        \bclick\ (?:here\ |below\ )?to\ (?:load|show|display)\ (?:the\ |this\ )?
            (?:external\ |third[-\ ]party\ )(?:content|video|embed)\b|
        \bich\ bin\ damit\ einverstanden,?\ dass\ mir\b.{0,80}\binhalte?\b|
        \b(?:einen|den)\ externen\ inhalt\b.{0,200}\b(?:mit\ einem\ klick|anzeigen|laden)\b|
        \bum\ (?:deine|ihre)\ (?:persönlichen\ )?daten\ zu\ schützen,?\ haben\ wir\ das\b
            .{0,60}\bladen\b|
        \bdurch\ das\ (?:klicken|aktivieren)\b.{0,80}\b(?:videos?|inhalte?)\b.{0,120}
            \b(?:eingeblendet|geladen|angezeigt|übermittelt)\b|
        \bwir\ benötigen\ (?:ihre|deine)\ zustimmung,?\ um\b|
        \b(?:vous\ devez|veuillez)\ accepter\b.{0,120}\b(?:cookies|contenus?\ tiers)\b|
        \b(?:debes|debe|tienes\ que)\ aceptar\b.{0,120}\bcookies\b|
        \bper\ visualizzare\ questo\ contenuto\b.{0,120}\b(?:consenso|cookie)\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)

# Calls to action: sign up for the newsletter (checked on lines of up to 30 words).
CTA_LINE = re.compile(
    r"^(?:sign[\s-]?up|subscribe|register|join)\b.{0,200}?\b(?:newsletter|mailing\s+list|"
    r"e-?mail\s+updates)\b",
    re.IGNORECASE,
)

# Lines that carry a date/byline rather than text: checked on short blocks only.
BYLINE_LINE = re.compile(
    r"""^(?:
        (?:by|written\ by|posted\ by|words\ by|story\ by|von|par|por|door|di|av)\s+\S.*|
        (?:posted|published|updated|last\ updated|modified|date)\s*(?:on|at|:)?\s*\S.*
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
DATE_IN_LINE = re.compile(
    r"\b(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|"
    rf"{MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTHS},?\s+\d{{4}}|"
    rf"{MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\d{{1,2}}:\d{{2}}\s*(?:am|pm)?|\d+\s+(?:hours?|days?|minutes?)\s+ago)",
    re.IGNORECASE,
)

# ---------------------------------------------------------------------------------------
# Class / id vocabulary

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_BOOTSTRAP_VIS = re.compile(r"^(?:hidden|visible)-(?:xs|sm|md|lg|xl|print)")
_verdict_cache: dict[str, int] = {}


def attr_verdict(value: str) -> int:
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


def marker_rank(attrs: dict[str, Any]) -> int:
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


META_ITEMPROPS = frozenset({"author", "datepublished", "datemodified", "publisher", "creator"})
BYLINE_HINT = re.compile(r"author|byline|date|time|posted|published|meta", re.IGNORECASE)
INLINE_TAGS = frozenset({"span", "a", "i", "b", "em", "strong", "small", "sup", "sub", "u"})


# Read by the lxml cutting, the walk and the metadata scan alike
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
WIDGET_ROLES = frozenset({"tablist"})
COMMENTISH = re.compile(r"comment|disqus|respond|repl(?:y|ies)|discussion", re.IGNORECASE)
