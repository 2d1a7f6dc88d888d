"""The bundled demo sites: a Wix-like blog, a WordPress-like news site, an error site.

Each factory returns a fresh :class:`~newsetl.demo.server.Site` whose pages are rendered
from ``site.data`` when a :class:`~newsetl.demo.server.SiteServer` binds it to its real
base URL, so canonical links, sitemaps, feeds and JSON-LD all carry
``http://127.0.0.1:<port>``.

To change a site while it is served, edit ``site.data["posts"]`` (a list of
:class:`Post`) and call ``site.rebuild()``; listings, feeds and sitemaps follow. Helpers:
:func:`find_post`, :func:`add_post`, :func:`edit_post`.

The truth for tests is :data:`EXPECTED` (or :func:`expected_for` on a changed site); see
its docstring-comment below for the format.
"""

from __future__ import annotations

import html
import json
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from newsetl.demo import content as C
from newsetl.demo.server import HTML, Resource, Site, redirect

__all__ = [
    "EXPECTED",
    "DUPLICATES",
    "Post",
    "add_post",
    "demo_sites",
    "edit_post",
    "error_site",
    "expected_for",
    "find_post",
    "news_site",
    "wix_blog",
]

XML = "application/xml; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"

# A 1x1 transparent GIF, served for every image path.
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def tz(hours: int) -> timezone:
    return timezone(timedelta(hours=hours))


ALMATY, BERLIN, LONDON = tz(6), tz(1), tz(0)


@dataclass
class Post:
    """One article of a demo site. ``paragraphs`` items starting with "## " are subheads."""

    slug: str
    title: str
    authors: list[str]
    published: datetime  # timezone-aware, in the site's local offset
    paragraphs: list[str]
    lang: str = "en"
    description: str = ""  # standfirst / excerpt / meta description
    updated: datetime | None = None
    categories: list[str] = field(default_factory=list)  # slugs
    tags: list[str] = field(default_factory=list)  # slugs
    post_id: int = 0  # WordPress ?p= id
    credit: str | None = None  # a closing line such as "(Reporting by ...)"
    comments: list[tuple[str, str]] = field(default_factory=list)  # (name, text)
    amp: bool = False  # WordPress: also serve <url>amp/
    duplicate_of: tuple[str, str] | None = None  # (site name, path) of the original
    path: str | None = None  # fixed path; else the site's permalink pattern

    @property
    def body(self) -> list[str]:
        """The running-text paragraphs (subheads left out), credit line included."""
        out = [p for p in self.paragraphs if not p.startswith("## ")]
        return out + ([self.credit] if self.credit else [])

    @property
    def words(self) -> int:
        return sum(len(p.split()) for p in [self.description, *self.body])


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"(\w)'(\w)", r"\1\2", text)  # "Kazakhstan's" -> "kazakhstans"
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def utc_iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat()


def rfc822(dt: datetime) -> str:
    return format_datetime(dt.astimezone(UTC), usegmt=True)


def jsonld(obj: Any) -> str:
    text = json.dumps(obj, ensure_ascii=False, indent=None)
    return '<script type="application/ld+json">' + text.replace("</", "<\\/") + "</script>"


def find_post(site: Site, slug: str) -> Post:
    for post in site.data["posts"]:
        if post.slug == slug:
            return post
    raise KeyError(slug)


def add_post(site: Site, post: Post) -> Post:
    """Add a post (listings, feed and sitemap follow) and re-render the site."""
    site.data["posts"].append(post)
    site.rebuild()
    return post


def edit_post(site: Site, slug: str, **changes: Any) -> Post:
    """Replace fields of a post (e.g. ``paragraphs=[...]``) and re-render the site."""
    posts = site.data["posts"]
    i = next(i for i, p in enumerate(posts) if p.slug == slug)
    posts[i] = replace(posts[i], **changes)
    site.rebuild()
    return posts[i]


def _sorted(posts: Iterable[Post]) -> list[Post]:
    return sorted(posts, key=lambda p: p.published, reverse=True)


def _pages(items: list[Post], size: int) -> list[list[Post]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def _urlset(entries: Iterable[tuple[str, datetime | None]]) -> str:
    rows = []
    for loc, lastmod in entries:
        lm = (
            f"<lastmod>{lastmod.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}</lastmod>"
            if lastmod
            else ""
        )
        rows.append(f"<url><loc>{xml_escape(loc)}</loc>{lm}</url>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "\n".join(rows)
        + "\n</urlset>\n"
    )


def _sitemap_index(entries: Iterable[tuple[str, datetime | None]]) -> str:
    rows = []
    for loc, lastmod in entries:
        lm = (
            f"<lastmod>{lastmod.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}</lastmod>"
            if lastmod
            else ""
        )
        rows.append(f"<sitemap><loc>{xml_escape(loc)}</loc>{lm}</sitemap>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "\n".join(rows)
        + "\n</sitemapindex>\n"
    )


def _latest(posts: list[Post]) -> datetime | None:
    return max((p.updated or p.published for p in posts), default=None)


# =====================================================================================
# 1. Wix-like blog
# =====================================================================================

WIX_NAME = "Steppe Notes"
WIX_CATEGORIES = {"news": "News", "travel": "Travel", "people": "People", "culture": "Culture"}
WIX_PROFILES = {
    "Daniyar Omarov": "Writer and editor based in Almaty. Trains, bazaars and the news.",
    "Lena Hoffmann": "Reisejournalistin aus Leipzig, seit 2019 in Bischkek zu Hause.",
    "Camille Durand": "Journaliste indépendante, elle écrit sur la cuisine et les marchés.",
}

_WIX_COMMENTS = [
    ("Saule K.", "Thank you for putting this together so quickly. Stay safe everyone."),
    ("Marat", "The internet was down here for most of the day, glad to read this now."),
]


def _wix_posts() -> list[Post]:
    return [
        Post(
            slug=slugify(C.SEED_TITLE),
            title=C.SEED_TITLE,
            authors=["Daniyar Omarov"],
            published=datetime(2022, 1, 6, 9, 15, tzinfo=ALMATY),
            updated=datetime(2022, 1, 6, 14, 40, tzinfo=ALMATY),
            description=C.SEED_STANDFIRST,
            paragraphs=list(C.SEED_PARAGRAPHS),
            categories=["news"],
            tags=["kazakhstan", "protests", "almaty"],
            comments=list(_WIX_COMMENTS),
        ),
        Post(
            slug="night-train-from-almaty-to-tashkent-five-things-i-wish-i-had-known",
            title="Night Train from Almaty to Tashkent: Five Things I Wish I Had Known",
            authors=["Daniyar Omarov"],
            published=datetime(2021, 12, 18, 20, 30, tzinfo=ALMATY),
            description="Slow, hot, crowded and wonderful: notes from an overnight sleeper "
            "across the border.",
            paragraphs=list(C.NIGHT_TRAIN),
            categories=["travel"],
            tags=["trains", "uzbekistan"],
        ),
        Post(
            slug="winter-am-issyk-kul-ein-wochenende-am-see",
            title="Winter am Issyk-Kul: Ein Wochenende am See, der nie zufriert",
            authors=["Lena Hoffmann"],
            lang="de",
            published=datetime(2021, 12, 4, 16, 20, tzinfo=BERLIN),
            updated=datetime(2021, 12, 5, 10, 0, tzinfo=BERLIN),
            description="Heiße Quellen, leere Strände und Sterne über den Bergen: warum sich "
            "der Issyk-Kul auch im Dezember lohnt.",
            paragraphs=list(C.ISSYK_KUL_DE),
            categories=["travel"],
            tags=["kyrgyzstan"],
        ),
        Post(
            slug="how-a-family-bakery-in-shymkent-kept-its-ovens-burning",
            title="How a Family Bakery in Shymkent Kept Its Ovens Burning",
            authors=["Daniyar Omarov"],
            published=datetime(2021, 11, 27, 11, 5, tzinfo=ALMATY),
            description="When the flour stopped coming, help arrived from an unexpected "
            "direction: the bakery three streets away.",
            paragraphs=list(C.BAKERY),
            categories=["people"],
            tags=["food", "small-business"],
            comments=[("Erlan", "I buy my bread there every Friday. Best samsa in town!")],
        ),
        Post(
            slug="the-quiet-rise-of-kazakh-language-podcasts",
            title="The Quiet Rise of Kazakh-Language Podcasts",
            authors=["Daniyar Omarov"],
            published=datetime(2021, 10, 22, 8, 0, tzinfo=ALMATY),
            description="Kitchen-table conversations, family histories and football: a new "
            "generation of shows is changing how Kazakh sounds online.",
            paragraphs=list(C.PODCASTS),
            categories=["culture"],
            tags=["media", "language"],
        ),
        Post(
            slug="au-zelyony-bazar-d-almaty-le-marche-qui-ne-dort-jamais",
            title="Au Zelyony Bazar d'Almaty, le marché qui ne dort jamais",
            authors=["Camille Durand"],
            lang="fr",
            published=datetime(2021, 9, 30, 10, 45, tzinfo=ALMATY),
            description="Fruits secs, négociations et paiements par téléphone : une matinée "
            "au cœur du plus célèbre marché d'Almaty.",
            paragraphs=list(C.BAZAR_FR),
            categories=["culture"],
            tags=["food", "almaty"],
        ),
    ]


def _date_label(dt: datetime) -> str:
    return f"{dt:%b} {dt.day}, {dt.year}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _read_minutes(post: Post) -> int:
    return max(1, math.ceil(post.words / 230))


_WIX_CSS = """
body{margin:0;font-family:helvetica-w01-light,sans-serif;color:#1c1c1c}
.visually-hidden{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.skip-region{height:0;overflow:hidden}
#SITE_HEADER{border-bottom:1px solid #eee;padding:18px 40px}
.blog-post-title-font{font-size:32px;line-height:1.3}
.rcv-paragraph{font-size:18px;line-height:1.7;margin:0 0 20px}
#ccsu-banner{position:fixed;bottom:0;left:0;right:0;background:#fff;padding:16px}
"""


def _wix_page(
    site_base: str,
    *,
    path: str,
    title: str,
    description: str,
    og_type: str,
    main: str,
    lang: str = "en",
    head_extra: str = "",
    page_title: str = "",
) -> str:
    url = site_base + path
    nav = "".join(
        f'<li class="menu-item"><a data-testid="linkElement" href="{site_base}{href}" '
        f'class="menu-link" aria-current="{"page" if href == path else "false"}">'
        f'<span class="menu-label">{label}</span></a></li>'
        for href, label in (("/", "Home"), ("/blog", "Blog"), ("/about", "About"))
    )
    hidden_title = (
        f'<h2 class="page-accessible-title visually-hidden" id="page-title">{esc(page_title)}</h2>'
        if page_title
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="{lang}" dir="ltr">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Wix.com Website Builder">
<link rel="icon" sizes="192x192" href="{site_base}/media/favicon.gif" type="image/gif">
<title>{esc(title)}</title>
<meta name="description" content="{esc(description)}">
<link rel="canonical" href="{url}">
<meta property="og:title" content="{esc(title)}">
<meta property="og:description" content="{esc(description)}">
<meta property="og:url" content="{url}">
<meta property="og:site_name" content="{WIX_NAME}">
<meta property="og:type" content="{og_type}">
<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:title" content="{esc(title)}">
<link rel="alternate" href="{site_base}/blog-feed.xml" type="application/rss+xml" title="{WIX_NAME} - RSS">
{head_extra}
<style>{_WIX_CSS}</style>
</head>
<body>
<div id="SITE_CONTAINER"><div id="main_MF" class="main_MF">
<div id="SCROLL_TO_TOP" class="skip-region ignore-focus" role="region" tabindex="-1" aria-label="top of page"><span class="visually-hidden">top of page</span></div>
<a id="SKIP_TO_CONTENT_BTN" class="visually-hidden" href="#PAGES_CONTAINER" tabindex="0">Skip to Main Content</a>
<div id="site-root" class="site-root">
<header id="SITE_HEADER" class="wixui-header" tabindex="-1">
<div id="comp-kx1logo" class="wixui-rich-text" data-testid="richTextElement"><p class="font_0 wixui-rich-text__text"><a href="{site_base}/" class="wixui-rich-text__text"><span class="site-logo">{WIX_NAME}</span></a></p></div>
<nav id="comp-kx1menu" aria-label="Site" class="wixui-horizontal-menu"><ul class="menu-items">{nav}</ul></nav>
<div id="comp-kx1login" class="login-bar"><button type="button" class="login-button" aria-label="Log In"><span>Log In</span></button></div>
</header>
<main id="PAGES_CONTAINER" tabindex="-1" data-main-content="true">
<div id="SITE_PAGES"><div id="page-{slugify(path) or "home"}" class="page-root">
{main}
{hidden_title}
</div></div>
</main>
<footer id="SITE_FOOTER" class="wixui-footer" tabindex="-1">
<div class="footer-columns">
<div class="footer-col"><p class="font_8">Get the newsletter</p>
<form class="subscribe-form" data-hook="subscribe-form"><label for="sub-email" class="visually-hidden">Email</label><input id="sub-email" type="email" placeholder="Email*" required><button type="submit">Join</button></form></div>
<ul class="footer-social" aria-label="Social Bar"><li><a href="https://www.instagram.com/" target="_blank" rel="noreferrer noopener" aria-label="Instagram">Instagram</a></li><li><a href="https://twitter.com/" target="_blank" rel="noreferrer noopener" aria-label="Twitter">Twitter</a></li></ul>
<p class="font_9 copyright">&copy; 2022 by {WIX_NAME}. Proudly created with Wix.com</p>
</div>
</footer>
</div>
<div id="SCROLL_TO_BOTTOM" class="skip-region ignore-focus" role="region" tabindex="-1" aria-label="bottom of page"><span class="visually-hidden">bottom of page</span></div>
</div></div>
<div id="ccsu-banner" role="dialog" aria-label="Cookie banner" data-hook="consent-banner-root">
<div class="ccsu-text"><p>This website uses cookies. We use cookies to understand how the site is used and to improve your visit. By accepting, you agree to our use of such cookies.</p></div>
<div class="ccsu-buttons"><button type="button" data-hook="consent-banner-decline-button">Decline</button><button type="button" data-hook="consent-banner-apply-button">Accept</button></div>
</div>
</body>
</html>
"""


def _wix_card(base: str, post: Post) -> str:
    author = post.authors[0]
    return f"""<li class="post-list-item" data-hook="post-list-item"><article class="blog-post-homepage-description-font">
<a href="{base}/post/{post.slug}" class="post-cover" tabindex="-1" aria-hidden="true"><img src="{base}/media/{post.slug[:40]}.gif" alt="" width="454" height="256"></a>
<div class="post-list-item__meta"><a href="{base}/profile/{slugify(author)}" data-hook="user-name" class="author-name">{esc(author)}</a>
<span data-hook="time-ago">{_date_label(post.published)}</span><span class="dot">&middot;</span><span data-hook="time-to-read">{_read_minutes(post)} min read</span></div>
<h2 class="post-title" data-hook="post-title"><a href="{base}/post/{post.slug}" data-hook="post-list-item__title" lang="{post.lang}">{esc(post.title)}</a></h2>
<div data-hook="post-description" class="post-description"><p lang="{post.lang}">{esc(post.description)}</p></div>
<div class="post-stats" data-hook="post-stats"><span data-hook="view-count">{len(post.slug) * 3} views</span><span data-hook="comment-count">{_plural(len(post.comments), "comment")}</span></div>
</article></li>"""


def _wix_listing(
    base: str, posts: list[Post], heading: str, path: str, pager: str = "", head_extra: str = ""
) -> str:
    cards = "\n".join(_wix_card(base, p) for p in posts)
    cats = "".join(
        f'<li><a href="{base}/blog/categories/{slug}" data-hook="category-link">{label}</a></li>'
        for slug, label in WIX_CATEGORIES.items()
    )
    main = f"""<section class="blog-feed" data-hook="blog-feed">
<nav class="blog-navigation-container" data-hook="blog-desktop-header-container" aria-label="Blog categories"><ul class="category-list"><li><a href="{base}/blog" data-hook="category-link">All Posts</a></li>{cats}</ul></nav>
<h1 class="blog-feed-title" data-hook="feed-title">{esc(heading)}</h1>
<ul class="post-list" data-hook="post-list">
{cards}
</ul>
{pager}
</section>"""
    return _wix_page(
        base,
        path=path,
        title=f"{heading} | {WIX_NAME}",
        description=f"{heading} - stories from Central Asia on {WIX_NAME}.",
        og_type="website",
        main=main,
        head_extra=head_extra,
        page_title="Blog: Blog_Feed",
    )


def _wix_post_page(base: str, post: Post, recent: list[Post]) -> str:
    url = f"{base}/post/{post.slug}"
    author = post.authors[0]
    profile = f"{base}/profile/{slugify(author)}"
    image = f"{base}/media/{post.slug[:40]}.gif"
    ld = jsonld(
        {
            "@context": "https://schema.org",
            "@type": "BlogPosting",
            "mainEntityOfPage": {"@type": "WebPage", "@id": url},
            "headline": post.title,
            "description": post.description,
            "image": {"@type": "ImageObject", "url": image, "width": 1200, "height": 675},
            "datePublished": post.published.isoformat(),
            "dateModified": (post.updated or post.published).isoformat(),
            "author": {"@type": "Person", "name": author, "url": profile},
            "publisher": {
                "@type": "Organization",
                "name": WIX_NAME,
                "logo": {"@type": "ImageObject", "url": f"{base}/media/logo.gif"},
            },
            "inLanguage": post.lang,
            "url": url,
        }
    )
    head_extra = (
        f'<meta property="og:image" content="{image}">\n'
        f'<meta property="article:author" content="{esc(author)}">\n{ld}'
    )
    blocks = []
    for i, para in enumerate(post.paragraphs):
        vid = f"viewer-{(hash_slug(post.slug) + i * 7919) % 99999:05x}"
        if para.startswith("## "):
            blocks.append(
                f'<h2 id="{vid}" class="rcv-heading" dir="auto"><span>{esc(para[3:])}</span></h2>'
            )
        else:
            blocks.append(
                f'<p id="{vid}" class="rcv-paragraph" dir="auto"><span style="font-size:18px">'
                f"{esc(para)}</span></p>"
            )
    updated = (
        f'<p class="post-updated-date" data-hook="post-updated-date"><span>Updated: '
        f"{_date_label(post.updated)}</span></p>"
        if post.updated
        else ""
    )
    tags = "".join(
        f'<li><a href="{base}/blog/tags/{t}" class="tag-link" data-hook="tag">{esc(t.replace("-", " "))}</a></li>'
        for t in post.tags
    )
    cats = "".join(
        f'<a href="{base}/blog/categories/{c}" data-hook="category-label-list__item">{WIX_CATEGORIES[c]}</a>'
        for c in post.categories
    )
    share = "".join(
        f'<button type="button" class="share-button" data-hook="share-button-{n}" aria-label="Share via {label}"><svg width="19" height="19" aria-hidden="true"><use href="#icon-{n}"></use></svg></button>'
        for n, label in (
            ("facebook", "Facebook"),
            ("twitter", "Twitter"),
            ("linkedin", "LinkedIn"),
            ("link", "Link"),
        )
    )
    recents = "".join(
        f'<li class="recent-post" data-hook="recent-post-list-item"><a href="{base}/post/{r.slug}" data-hook="post-title"><img src="{base}/media/{r.slug[:40]}.gif" alt="" width="292" height="164"><p class="recent-post-title" lang="{r.lang}">{esc(r.title)}</p></a>'
        f'<div class="post-stats"><span>{len(r.slug) * 3} views</span><span>{_plural(len(r.comments), "comment")}</span></div></li>'
        for r in recent
    )
    if post.comments:
        comment_items = "".join(
            f'<li class="comment" data-hook="comment"><div class="comment-header"><span data-hook="author-name">{esc(n)}</span>'
            f'<span data-hook="time-ago">{_date_label(post.updated or post.published)}</span></div>'
            f'<div class="comment-content" data-hook="comment-content"><p>{esc(t)}</p></div>'
            f'<button type="button" data-hook="like-button">Like</button><button type="button" data-hook="reply-button">Reply</button></li>'
            for n, t in post.comments
        )
        comments_body = f'<ul class="comment-list" data-hook="comment-list">{comment_items}</ul>'
    else:
        comments_body = '<div data-hook="empty-state"><p>Share Your Thoughts</p><p>Be the first to write a comment.</p></div>'
    main = f"""<section class="post-page" data-hook="post-page">
<article class="blog-post-page" data-hook="post" lang="{post.lang}">
<div class="post-header" data-hook="post-header">
<div class="post-metadata" data-hook="post-metadata">
<a href="{profile}" class="avatar-link" aria-hidden="true" tabindex="-1"><img src="{base}/media/avatar-{slugify(author)}.gif" alt="" width="32" height="32"></a>
<div class="user-info" data-hook="user-info"><a href="{profile}" data-hook="user-name"><span class="author-name" data-hook="user-name__text">{esc(author)}</span></a>
<ul class="post-metadata__list"><li><span data-hook="time-ago" title="{_date_label(post.published)}">{_date_label(post.published)}</span></li><li><span data-hook="time-to-read">{_read_minutes(post)} min read</span></li></ul></div>
<button type="button" class="more-button" data-hook="more-button" aria-label="More actions">&hellip;</button>
</div>
{updated}
</div>
<h1 class="post-title blog-post-title-font" data-hook="post-title"><span class="post-title__text">{esc(post.title)}</span></h1>
<div class="post-description" data-hook="post-description"><p class="post-subtitle"><strong>{esc(post.description)}</strong></p></div>
<div class="post-content" data-hook="post-content">
<div data-id="content-viewer" class="rich-content-viewer" data-hook="rich-content-viewer" dir="ltr">
<figure class="rcv-image" data-hook="figure-IMAGE"><img src="{image}" alt="" width="740" height="416"></figure>
{chr(10).join(blocks)}
</div>
</div>
<div class="post-footer" data-hook="post-footer">
<div class="post-categories" data-hook="post-categories">{cats}</div>
<nav aria-label="Tags" class="post-tags" data-hook="post-tags"><p class="visually-hidden">Tags:</p><ul class="tag-list">{tags}</ul></nav>
<div class="share-buttons" data-hook="share-buttons" role="group" aria-label="Share">{share}</div>
<div class="post-main-actions" data-hook="post-main-actions"><span data-hook="view-count">{len(post.slug) * 3} views</span><span data-hook="comment-count">{_plural(len(post.comments), "comment")}</span><button type="button" data-hook="like-button" aria-label="Post not marked as liked">0</button></div>
</div>
</article>
<section class="recent-posts" data-hook="recent-posts" aria-label="Recent Posts">
<div class="recent-posts__header"><h2 class="recent-posts__title">Recent Posts</h2><a href="{base}/blog" data-hook="see-all-link">See All</a></div>
<ul class="recent-posts__list">{recents}</ul>
</section>
<section id="comments" class="comments" data-hook="comments-root" aria-label="Comments">
<h2 class="comments-title" data-hook="comments-title">Comments</h2>
<div class="comment-box" data-hook="comment-box"><button type="button" data-hook="comment-box-placeholder">Write a comment...</button></div>
{comments_body}
</section>
</section>"""
    return _wix_page(
        base,
        path=f"/post/{post.slug}",
        title=post.title,
        description=post.description,
        og_type="article",
        main=main,
        lang=post.lang,
        head_extra=head_extra,
        page_title="Post: Blog2_Post",
    )


def hash_slug(slug: str) -> int:
    h = 0
    for ch in slug:
        h = (h * 131 + ord(ch)) % 1_000_003
    return h


def _wix_pager(base: str, n: int, total: int) -> tuple[str, str]:
    """(body pagination, head rel links) for listing page n of total."""

    def href(k: int) -> str:
        return f"{base}/blog" if k == 1 else f"{base}/blog/page/{k}"

    if total <= 1:
        return "", ""
    head = []
    if n > 1:
        head.append(f'<link rel="prev" href="{href(n - 1)}">')
    if n < total:
        head.append(f'<link rel="next" href="{href(n + 1)}">')
    items = []
    if n > 1:
        items.append(
            f'<a href="{href(n - 1)}" rel="prev" data-hook="pagination__previous" aria-label="Previous page">Previous</a>'
        )
    for k in range(1, total + 1):
        if k == n:
            items.append(f'<span aria-current="page" data-hook="page-{k}">{k}</span>')
        else:
            items.append(f'<a href="{href(k)}" data-hook="page-{k}">{k}</a>')
    if n < total:
        items.append(
            f'<a href="{href(n + 1)}" rel="next" data-hook="pagination__next" aria-label="Next page">Next</a>'
        )
    body = f'<nav class="pagination" data-hook="pagination" aria-label="Pagination">{"".join(items)}</nav>'
    return body, "\n".join(head)


def _build_wix(site: Site, base: str) -> dict[str, Resource]:
    posts = _sorted(site.data["posts"])
    size = site.data.get("page_size", 2)
    out: dict[str, Resource] = {}

    def put(path: str, body: str, ctype: str = HTML, when: datetime | None = None) -> None:
        out[path] = Resource(body, content_type=ctype, last_modified=when)

    # Home: hero + latest posts.
    latest = "\n".join(_wix_card(base, p) for p in posts[:3])
    home_main = f"""<section class="hero" id="comp-hero"><div class="hero-inner">
<h1 class="font_2 wixui-rich-text__text">Stories from the steppe, the bazaar and the road</h1>
<p class="font_7">{WIX_NAME} is a small independent blog about everyday life, travel and the news in Central Asia.</p>
<a href="{base}/blog" class="wixui-button" data-testid="linkElement"><span>Read the Blog</span></a>
</div></section>
<section class="latest-posts" data-hook="latest-posts"><h2 class="font_4">Latest Posts</h2>
<ul class="post-list">{latest}</ul>
<a href="{base}/blog" class="see-all">See all posts</a></section>"""
    home_ld = jsonld(
        {
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": WIX_NAME,
            "url": base + "/",
        }
    )
    put(
        "/",
        _wix_page(
            base,
            path="/",
            title=f"Home | {WIX_NAME}",
            description=f"{WIX_NAME}: everyday life, travel and news from Central Asia.",
            og_type="website",
            main=home_main,
            head_extra=home_ld,
            page_title="Home: Main",
        ),
        when=_latest(posts),
    )

    # Blog listing with pagination.
    pages = _pages(posts, size)
    for n, chunk in enumerate(pages, start=1):
        path = "/blog" if n == 1 else f"/blog/page/{n}"
        body, head = _wix_pager(base, n, len(pages))
        heading = "All Posts" if n == 1 else f"All Posts - Page {n}"
        put(path, _wix_listing(base, chunk, heading, path, body, head), when=_latest(chunk))

    for slug, label in WIX_CATEGORIES.items():
        chunk = [p for p in posts if slug in p.categories]
        put(
            f"/blog/categories/{slug}", _wix_listing(base, chunk, label, f"/blog/categories/{slug}")
        )
    for tag in sorted({t for p in posts for t in p.tags}):
        chunk = [p for p in posts if tag in p.tags]
        put(
            f"/blog/tags/{tag}",
            _wix_listing(base, chunk, f"Tag: {tag.replace('-', ' ')}", f"/blog/tags/{tag}"),
        )

    # Posts.
    for post in posts:
        recent = [p for p in posts if p is not post][:3]
        put(
            post_path(site, post),
            _wix_post_page(base, post, recent),
            when=post.updated or post.published,
        )

    # About and profiles.
    about_main = f"""<section class="about" id="comp-about"><h1 class="font_2">About</h1>
<p class="font_8">{WIX_NAME} started in 2020 as a notebook shared between friends who write about the places they live in and travel through. We publish a few times a month, in English and sometimes in German or French.</p>
<p class="font_8">We do not take advertising. If you would like to write for us, use the form on this page or find us on social media.</p>
<form class="contact-form" aria-label="Contact"><input type="text" placeholder="Name"><input type="email" placeholder="Email"><textarea placeholder="Message"></textarea><button type="submit">Send</button></form>
</section>"""
    put(
        "/about",
        _wix_page(
            base,
            path="/about",
            title=f"About | {WIX_NAME}",
            description=f"Who writes {WIX_NAME} and why.",
            og_type="website",
            main=about_main,
            page_title="About: About",
        ),
    )
    authors = sorted({a for p in posts for a in p.authors})
    for author in authors:
        mine = [p for p in posts if author in p.authors]
        bio = WIX_PROFILES.get(author, "Writer.")
        prof_main = f"""<section class="profile" data-hook="profile-page"><div class="profile-header" data-hook="profile-header">
<img src="{base}/media/avatar-{slugify(author)}.gif" alt="" width="96" height="96">
<h1 class="profile-name" data-hook="profile-name">{esc(author)}</h1><p class="profile-bio" data-hook="profile-bio">{esc(bio)}</p>
<p class="profile-stats">{len(mine)} Posts</p></div>
<h2>Posts</h2><ul class="post-list">{"".join(_wix_card(base, p) for p in mine)}</ul></section>"""
        put(
            f"/profile/{slugify(author)}",
            _wix_page(
                base,
                path=f"/profile/{slugify(author)}",
                title=f"{author} | Profile",
                description=f"{author} on {WIX_NAME}.",
                og_type="profile",
                main=prof_main,
                page_title="Profile: Members",
            ),
        )

    # Images.
    for name in (
        ["favicon", "logo"]
        + [p.slug[:40] for p in posts]
        + [f"avatar-{slugify(a)}" for a in authors]
    ):
        out[f"/media/{name}.gif"] = Resource(GIF, content_type="image/gif", gzip=False)

    # Feed, robots, sitemaps.
    items = []
    for p in posts:
        cats = "".join(f"<category>{WIX_CATEGORIES[c]}</category>" for c in p.categories)
        items.append(
            f"<item><title>{xml_escape(p.title)}</title>"
            f"<description>{xml_escape(p.description)}</description>"
            f"<link>{base}/post/{p.slug}</link>"
            f'<guid isPermaLink="false">{hash_slug(p.slug):08x}</guid>{cats}'
            f"<pubDate>{rfc822(p.published)}</pubDate>"
            f'<enclosure url="{base}/media/{p.slug[:40]}.gif" length="0" type="image/gif"/>'
            f"<dc:creator>{xml_escape(p.authors[0])}</dc:creator></item>"
        )
    feed = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
        f"<title>{WIX_NAME}</title><description>{WIX_NAME}</description>"
        f"<link>{base}/blog</link><generator>RSS for Node</generator>"
        f"<lastBuildDate>{rfc822(_latest(posts) or datetime(2022, 1, 1, tzinfo=UTC))}</lastBuildDate>"
        f'<atom:link href="{base}/blog-feed.xml" rel="self" type="application/rss+xml"/>'
        + "\n".join(items)
        + "</channel></rss>\n"
    )
    put("/blog-feed.xml", feed, RSS)
    put(
        "/robots.txt",
        f"# By Wix\nUser-agent: *\nAllow: /\n\nSitemap: {base}/sitemap.xml\n",
        TEXT,
    )
    put(
        "/sitemap.xml",
        _sitemap_index(
            [
                (f"{base}/blog-posts-sitemap.xml", _latest(posts)),
                (f"{base}/pages-sitemap.xml", None),
            ]
        ),
        XML,
    )
    put(
        "/blog-posts-sitemap.xml",
        _urlset((f"{base}/post/{p.slug}", p.updated or p.published) for p in posts),
        XML,
    )
    put(
        "/pages-sitemap.xml",
        _urlset(
            [
                (f"{base}/", _latest(posts)),
                (f"{base}/about", None),
                (f"{base}/blog", _latest(posts)),
            ]
        ),
        XML,
    )
    return out


def wix_blog() -> Site:
    """A Wix-like blog ("Steppe Notes") carrying the seed story and five other posts."""
    site = Site("wix", build=_build_wix, data={"posts": _wix_posts(), "page_size": 2})
    site.expected = expected_for(site)
    return site


# =====================================================================================
# 2. WordPress-like news site
# =====================================================================================

WP_NAME = "The Meridian Ledger"
WP_CATEGORIES = {"world": "World", "business": "Business", "science": "Science", "local": "Local"}
WP_AUTHORS = {
    "Elena Marsh": "Elena Marsh covers Central Asia and the Caucasus from our world desk.",
    "Tomasz Wren": "Tomasz Wren writes about science and the environment.",
    "Priya Nandakumar": "Priya Nandakumar is our markets and trade correspondent.",
    "Jonas Albrecht": "Jonas Albrecht reports on the city council and local transport.",
}


def _news_seed_paragraphs() -> list[str]:
    paras = [p for p in C.SEED_PARAGRAPHS if p != C.NEWS_SEED_CUT]
    at = paras.index("All flights to and from Almaty are temporarily canceled, the source said.")
    paras.insert(at + 1, C.NEWS_SEED_ADDED)
    return paras


def _news_posts() -> list[Post]:
    return [
        Post(
            slug=slugify(C.NEWS_SEED_TITLE),
            title=C.NEWS_SEED_TITLE,
            authors=["Elena Marsh"],
            published=datetime(2022, 1, 6, 11, 42, 17, tzinfo=BERLIN),
            updated=datetime(2022, 1, 6, 13, 5, 0, tzinfo=BERLIN),
            description=C.NEWS_SEED_STANDFIRST,
            paragraphs=_news_seed_paragraphs(),
            credit=C.NEWS_SEED_CREDIT,
            categories=["world"],
            post_id=412,
            amp=True,
            duplicate_of=("wix", f"/post/{slugify(C.SEED_TITLE)}"),
            comments=[
                ("Marek", "Hard to get any reliable news out of there today. Thanks for this."),
                ("J. Ortega", "Fuel prices were the spark, but clearly not the whole story."),
            ],
        ),
        Post(
            slug="old-survey-photographs-reveal-how-far-mountain-glaciers-have-retreated",
            title="Old survey photographs reveal how far mountain glaciers have retreated",
            authors=["Tomasz Wren"],
            published=datetime(2022, 1, 5, 8, 30, tzinfo=BERLIN),
            description="Glass-plate negatives from a university archive let researchers "
            "measure decades of ice loss, glacier by glacier.",
            paragraphs=list(C.GLACIERS),
            categories=["science", "world"],
            post_id=409,
        ),
        Post(
            slug="freight-costs-squeeze-grain-exporters-as-winter-shipping-rates-climb",
            title="Freight costs squeeze grain exporters as winter shipping rates climb",
            authors=["Priya Nandakumar"],
            published=datetime(2022, 1, 4, 15, 10, tzinfo=BERLIN),
            description="Charter rates have risen for five weeks in a row, leaving exporters "
            "who sold early with thinner margins.",
            paragraphs=list(C.FREIGHT),
            categories=["business"],
            post_id=405,
        ),
        Post(
            slug="council-approves-late-night-bus-pilot-for-river-districts",
            title="Council approves late-night bus pilot for river districts",
            authors=["Jonas Albrecht"],
            published=datetime(2022, 1, 3, 18, 5, tzinfo=BERLIN),
            description="Two new routes will run between midnight and five in the morning "
            "for a six-month trial.",
            paragraphs=list(C.NIGHT_BUS),
            categories=["local"],
            post_id=401,
            comments=[("Nurse on nights", "Finally. I have been asking for this for years.")],
        ),
        Post(
            slug="traders-return-as-mountain-border-crossing-reopens-after-two-years",
            title="Traders return as mountain border crossing reopens after two years",
            authors=["Elena Marsh"],
            published=datetime(2022, 1, 2, 9, 0, tzinfo=BERLIN),
            description="Lorries queued for a kilometre and families crossed on foot as a "
            "small checkpoint opened again.",
            paragraphs=list(C.BORDER),
            categories=["world"],
            post_id=398,
        ),
    ]


_WP_CSS = """
.screen-reader-text{border:0;clip:rect(1px,1px,1px,1px);height:1px;overflow:hidden;position:absolute!important;width:1px}
body{font-family:Georgia,serif;margin:0}.site{max-width:1180px;margin:0 auto}
.site-content{display:flex;gap:40px}.content-area{flex:3}.widget-area{flex:1}
.cookie-notice-container{position:fixed;bottom:0;left:0;right:0;background:#32323a;color:#fff;padding:12px}
"""


def _wp_date(dt: datetime) -> str:
    return f"{dt:%B} {dt.day}, {dt.year}"


def _wp_page(
    base: str,
    *,
    path: str,
    title: str,
    description: str,
    og_type: str,
    main: str,
    body_class: str,
    graph: list[dict[str, Any]],
    posts: list[Post],
    head_extra: str = "",
) -> str:
    url = base + path
    menu = "".join(
        f'<li id="menu-item-{10 + i}" class="menu-item menu-item-type-taxonomy menu-item-object-category">'
        f'<a href="{base}/category/{slug}/">{label}</a></li>'
        for i, (slug, label) in enumerate(WP_CATEGORIES.items())
    )
    recent = "".join(
        f'<li><a href="{base}{post_path("news", p)}">{esc(p.title)}</a></li>' for p in posts[:5]
    )
    cats = "".join(
        f'<li class="cat-item cat-item-{3 + i}"><a href="{base}/category/{slug}/">{label}</a> '
        f"({sum(1 for p in posts if slug in p.categories)})</li>"
        for i, (slug, label) in enumerate(WP_CATEGORIES.items())
    )
    ld = jsonld({"@context": "https://schema.org", "@graph": graph})
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="profile" href="https://gmpg.org/xfn/11">
<title>{esc(title)} &#8211; {WP_NAME}</title>
<meta name="robots" content="index, follow, max-image-preview:large, max-snippet:-1, max-video-preview:-1">
<meta name="description" content="{esc(description)}">
<link rel="canonical" href="{url}">
<meta property="og:locale" content="en_GB">
<meta property="og:type" content="{og_type}">
<meta property="og:title" content="{esc(title)}">
<meta property="og:description" content="{esc(description)}">
<meta property="og:url" content="{url}">
<meta property="og:site_name" content="{WP_NAME}">
{head_extra}
<meta name="twitter:card" content="summary_large_image">
{ld.replace('<script type="application/ld+json">', '<script type="application/ld+json" class="yoast-schema-graph">')}
<link rel="alternate" type="application/rss+xml" title="{WP_NAME} &raquo; Feed" href="{base}/feed/">
<meta name="generator" content="WordPress 5.8.3">
<style id="wp-custom-css">{_WP_CSS}</style>
</head>
<body class="{body_class}">
<div id="page" class="site">
<a class="skip-link screen-reader-text" href="#primary">Skip to content</a>
<header id="masthead" class="site-header">
<div class="top-bar"><span class="today">Independent news since 1998</span><ul class="social-links"><li><a href="https://twitter.com/" rel="noopener" target="_blank">Twitter</a></li><li><a href="https://www.facebook.com/" rel="noopener" target="_blank">Facebook</a></li></ul></div>
<div class="site-branding"><p class="site-title"><a href="{base}/" rel="home">{WP_NAME}</a></p><p class="site-description">News, analysis and the stories in between</p></div>
<nav id="site-navigation" class="main-navigation" aria-label="Primary menu"><button class="menu-toggle" aria-controls="primary-menu" aria-expanded="false">Menu</button>
<ul id="primary-menu" class="menu"><li id="menu-item-9" class="menu-item menu-item-home"><a href="{base}/">Home</a></li>{menu}</ul></nav>
</header>
<div id="content" class="site-content">
<div id="primary" class="content-area"><main id="main" class="site-main">
{main}
</main></div>
<aside id="secondary" class="widget-area" aria-label="Sidebar">
<section id="search-2" class="widget widget_search"><form role="search" method="get" class="search-form" action="{base}/"><label><span class="screen-reader-text">Search for:</span><input type="search" class="search-field" placeholder="Search &hellip;" name="s"></label><input type="submit" class="search-submit" value="Search"></form></section>
<section id="recent-posts-2" class="widget widget_recent_entries"><h2 class="widget-title">Recent Posts</h2><ul>{recent}</ul></section>
<section id="categories-2" class="widget widget_categories"><h2 class="widget-title">Categories</h2><ul>{cats}</ul></section>
<section id="custom_html-3" class="widget_text widget widget_custom_html newsletter-box"><h2 class="widget-title">The Morning Ledger</h2><div class="textwidget custom-html-widget"><p>Our editors' pick of the day's news, in your inbox before breakfast.</p><form class="newsletter-form" method="post" action="{base}/"><input type="email" name="ne" placeholder="Your email address" required><button type="submit">Sign up</button></form><p class="small">You can unsubscribe at any time.</p></div></section>
</aside>
</div>
<footer id="colophon" class="site-footer">
<nav class="footer-navigation" aria-label="Footer menu"><ul id="footer-menu" class="menu"><li class="menu-item"><a href="{base}/about-us/">About us</a></li><li class="menu-item"><a href="{base}/privacy-policy/">Privacy Policy</a></li><li class="menu-item"><a href="{base}/feed/">RSS</a></li></ul></nav>
<div class="site-info">&copy; 2022 {WP_NAME}. <span class="sep"> | </span>Proudly powered by WordPress</div>
</footer>
</div>
<div id="cookie-notice" role="dialog" class="cookie-notice-hidden cookie-revoke-hidden cn-position-bottom" aria-label="Cookie Notice"><div class="cookie-notice-container"><span id="cn-notice-text" class="cn-text-container">We use cookies to make sure this site works and to see which stories are read. You can find out more in our policy.</span><span id="cn-notice-buttons" class="cn-buttons-container"><a href="#" id="cn-accept-cookie" data-cookie-set="accept" class="cn-set-cookie cn-button" aria-label="Ok">Ok</a><a href="{base}/privacy-policy/" target="_blank" id="cn-more-info" class="cn-more-info cn-button">Privacy policy</a></span></div></div>
</body>
</html>
"""


def _wp_org(base: str) -> list[dict[str, Any]]:
    return [
        {
            "@type": "Organization",
            "@id": f"{base}/#organization",
            "name": WP_NAME,
            "url": f"{base}/",
            "logo": {"@type": "ImageObject", "url": f"{base}/wp-content/uploads/logo.gif"},
        },
        {
            "@type": "WebSite",
            "@id": f"{base}/#website",
            "url": f"{base}/",
            "name": WP_NAME,
            "publisher": {"@id": f"{base}/#organization"},
            "inLanguage": "en-GB",
        },
    ]


def _wp_image(base: str, post: Post) -> str:
    return f"{base}/wp-content/uploads/{post.published:%Y/%m}/{post.slug[:30]}.gif"


def _wp_article_graph(base: str, post: Post) -> list[dict[str, Any]]:
    url = base + post_path("news", post)
    author = post.authors[0]
    person_id = f"{base}/#/schema/person/{slugify(author)}"
    return [
        {
            "@type": "NewsArticle",
            "@id": f"{url}#article",
            "isPartOf": {"@id": url},
            "author": {"@id": person_id, "name": author},
            "headline": post.title,
            "datePublished": post.published.isoformat(),
            "dateModified": (post.updated or post.published).isoformat(),
            "mainEntityOfPage": {"@id": url},
            "wordCount": post.words,
            "publisher": {"@id": f"{base}/#organization"},
            "image": {"@id": f"{url}#primaryimage"},
            "articleSection": [WP_CATEGORIES[c] for c in post.categories],
            "inLanguage": "en-GB",
        },
        {
            "@type": "WebPage",
            "@id": url,
            "url": url,
            "name": f"{post.title} - {WP_NAME}",
            "isPartOf": {"@id": f"{base}/#website"},
            "primaryImageOfPage": {"@id": f"{url}#primaryimage"},
            "datePublished": post.published.isoformat(),
            "breadcrumb": {"@id": f"{url}#breadcrumb"},
            "inLanguage": "en-GB",
        },
        {
            "@type": "ImageObject",
            "@id": f"{url}#primaryimage",
            "url": _wp_image(base, post),
            "width": 1200,
            "height": 800,
        },
        {
            "@type": "BreadcrumbList",
            "@id": f"{url}#breadcrumb",
            "itemListElement": [
                {"@type": "ListItem", "position": 1, "name": "Home", "item": f"{base}/"},
                {"@type": "ListItem", "position": 2, "name": post.title},
            ],
        },
        *_wp_org(base),
        {
            "@type": "Person",
            "@id": person_id,
            "name": author,
            "url": f"{base}/author/{slugify(author)}/",
        },
    ]


def _wp_body_html(post: Post) -> str:
    out = []
    for para in post.paragraphs:
        if para.startswith("## "):
            out.append(f'<h2 class="wp-block-heading">{esc(para[3:])}</h2>')
        else:
            out.append(f"<p>{esc(para)}</p>")
    if post.credit:
        out.append(f'<p class="credit"><em>{esc(post.credit)}</em></p>')
    return "\n".join(out)


def _wp_post_page(base: str, post: Post, posts: list[Post]) -> str:
    path = post_path("news", post)
    url = base + path
    author = post.authors[0]
    others = [p for p in posts if p is not post]
    idx = posts.index(post)
    newer = posts[idx - 1] if idx > 0 else None
    older = posts[idx + 1] if idx + 1 < len(posts) else None
    cat_links = ", ".join(
        f'<a href="{base}/category/{c}/" rel="category tag">{WP_CATEGORIES[c]}</a>'
        for c in post.categories
    )
    share = "".join(
        f'<li class="share-{n}"><a rel="nofollow noopener noreferrer" class="share-{n} sd-button" href="{href}" target="_blank" title="Click to share on {label}"><span>{label}</span></a></li>'
        for n, label, href in (
            ("twitter", "Twitter", f"https://twitter.com/intent/tweet?url={url}"),
            ("facebook", "Facebook", f"https://www.facebook.com/sharer/sharer.php?u={url}"),
            ("email", "Email", f"mailto:?subject={esc(post.title)}"),
        )
    )
    related = "".join(
        f'<li class="related-post"><a href="{base}{post_path("news", r)}" rel="bookmark">{esc(r.title)}</a>'
        f'<time datetime="{r.published.isoformat()}">{_wp_date(r.published)}</time></li>'
        for r in others[:3]
    )
    nav = ""
    if older:
        nav += f'<div class="nav-previous"><a href="{base}{post_path("news", older)}" rel="prev"><span class="nav-subtitle">Previous:</span> <span class="nav-title">{esc(older.title)}</span></a></div>'
    if newer:
        nav += f'<div class="nav-next"><a href="{base}{post_path("news", newer)}" rel="next"><span class="nav-subtitle">Next:</span> <span class="nav-title">{esc(newer.title)}</span></a></div>'
    comments = "".join(
        f'<li id="comment-{post.post_id * 10 + i}" class="comment even depth-1"><article class="comment-body">'
        f'<footer class="comment-meta"><div class="comment-author vcard"><b class="fn">{esc(n)}</b> <span class="says">says:</span></div>'
        f'<div class="comment-metadata"><time datetime="{(post.published + timedelta(hours=i + 1)).isoformat()}">'
        f"{_wp_date(post.published)} at {(post.published + timedelta(hours=i + 1)):%H:%M}</time></div></footer>"
        f'<div class="comment-content"><p>{esc(t)}</p></div>'
        f'<div class="reply"><a rel="nofollow" class="comment-reply-link" href="#respond" aria-label="Reply to {esc(n)}">Reply</a></div></article></li>'
        for i, (n, t) in enumerate(post.comments)
    )
    n_comments = len(post.comments)
    comments_title = (
        f'<h2 class="comments-title">{n_comments} thought{"s" if n_comments != 1 else ""} on &ldquo;<span>{esc(post.title)}</span>&rdquo;</h2><ol class="comment-list">{comments}</ol>'
        if n_comments
        else ""
    )
    updated = post.updated or post.published
    main = f"""<article id="post-{post.post_id}" class="post-{post.post_id} post type-post status-publish format-standard has-post-thumbnail hentry {" ".join("category-" + c for c in post.categories)}">
<header class="entry-header">
<div class="cat-links"><span class="screen-reader-text">Posted in</span> {cat_links}</div>
<h1 class="entry-title">{esc(post.title)}</h1>
<div class="entry-meta">
<span class="byline"> By <span class="author vcard"><a class="url fn n" href="{base}/author/{slugify(author)}/">{esc(author)}</a></span></span>
<span class="posted-on"><a href="{url}" rel="bookmark"><time class="entry-date published" datetime="{post.published.isoformat()}">{_wp_date(post.published)}</time><time class="updated" datetime="{updated.isoformat()}">{_wp_date(updated)}</time></a></span>
</div>
</header>
<div class="post-thumbnail"><img width="1200" height="800" src="{_wp_image(base, post)}" class="attachment-post-thumbnail size-post-thumbnail wp-post-image" alt="" loading="lazy"><figcaption class="wp-caption-text">File photo.</figcaption></div>
<div class="entry-content">
<p class="entry-excerpt"><strong>{esc(post.description)}</strong></p>
{_wp_body_html(post)}
<div class="sharedaddy sd-sharing-enabled"><div class="robots-nocontent sd-block sd-social"><h3 class="sd-title">Share this:</h3><div class="sd-content"><ul>{share}</ul></div></div></div>
</div>
<footer class="entry-footer"><span class="cat-links">Posted in {cat_links}</span></footer>
</article>
<nav class="navigation post-navigation" aria-label="Posts"><h2 class="screen-reader-text">Post navigation</h2><div class="nav-links">{nav}</div></nav>
<section class="related-posts jp-relatedposts"><h3 class="jp-relatedposts-headline"><em>Related</em></h3><ul>{related}</ul></section>
<div id="comments" class="comments-area">
{comments_title}
<div id="respond" class="comment-respond"><h3 id="reply-title" class="comment-reply-title">Leave a Reply</h3>
<form action="{base}/wp-comments-post.php" method="post" id="commentform" class="comment-form"><p class="comment-notes">Your email address will not be published. Required fields are marked *</p>
<p class="comment-form-comment"><label for="comment">Comment *</label><textarea id="comment" name="comment" cols="45" rows="8" required></textarea></p>
<p class="form-submit"><input name="submit" type="submit" id="submit" class="submit" value="Post Comment"><input type="hidden" name="comment_post_ID" value="{post.post_id}"></p></form></div>
</div>"""
    head_extra = (
        f'<meta property="og:image" content="{_wp_image(base, post)}">\n'
        f'<meta property="article:section" content="{WP_CATEGORIES[post.categories[0]]}">\n'
        f'<meta property="article:published_time" content="{post.published.astimezone(UTC).isoformat()}">\n'
        f'<meta property="article:modified_time" content="{updated.astimezone(UTC).isoformat()}">\n'
        f'<meta name="author" content="{esc(author)}">\n'
        f'<link rel="shortlink" href="{base}/?p={post.post_id}">'
    )
    if post.amp:
        head_extra += f'\n<link rel="amphtml" href="{url}amp/">'
    return _wp_page(
        base,
        path=path,
        title=post.title,
        description=post.description,
        og_type="article",
        main=main,
        body_class=f"post-template-default single single-post postid-{post.post_id} single-format-standard",
        graph=_wp_article_graph(base, post),
        posts=posts,
        head_extra=head_extra,
    )


def _wp_amp_page(base: str, post: Post) -> str:
    url = base + post_path("news", post)
    author = post.authors[0]
    ld = jsonld(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "mainEntityOfPage": url,
            "headline": post.title,
            "datePublished": post.published.isoformat(),
            "dateModified": (post.updated or post.published).isoformat(),
            "author": {"@type": "Person", "name": author},
            "publisher": {"@type": "Organization", "name": WP_NAME},
            "image": {
                "@type": "ImageObject",
                "url": _wp_image(base, post),
                "width": 1200,
                "height": 800,
            },
        }
    )
    cats = ", ".join(
        f'<a href="{base}/category/{c}/" rel="category tag">{WP_CATEGORIES[c]}</a>'
        for c in post.categories
    )
    return f"""<!doctype html>
<html amp lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,minimum-scale=1">
<title>{esc(post.title)} &#8211; {WP_NAME}</title>
<link rel="canonical" href="{url}">
<script async src="https://cdn.ampproject.org/v0.js"></script>
{ld}
<style amp-boilerplate>body{{-webkit-animation:-amp-start 8s steps(1,end) 0s 1 normal both;animation:-amp-start 8s steps(1,end) 0s 1 normal both}}@keyframes -amp-start{{from{{visibility:hidden}}to{{visibility:visible}}}}</style><noscript><style amp-boilerplate>body{{-webkit-animation:none;animation:none}}</style></noscript>
<style amp-custom>.amp-wp-header{{background:#1f2933;color:#fff;padding:12px 16px}}.amp-wp-header a{{color:#fff;text-decoration:none}}.amp-wp-article{{max-width:840px;margin:1.5em auto;padding:0 16px}}</style>
</head>
<body class="">
<header id="top" class="amp-wp-header"><div><a href="{base}/">{WP_NAME}</a></div></header>
<article class="amp-wp-article">
<header class="amp-wp-article-header">
<h1 class="amp-wp-title">{esc(post.title)}</h1>
<div class="amp-wp-meta amp-wp-byline"><span class="amp-wp-author author vcard">{esc(author)}</span></div>
<div class="amp-wp-meta amp-wp-posted-on"><time datetime="{post.published.isoformat()}">{_wp_date(post.published)}</time></div>
</header>
<figure class="amp-wp-article-featured-image wp-caption"><amp-img width="1200" height="800" src="{_wp_image(base, post)}" class="attachment-large size-large wp-post-image amp-wp-enforced-sizes" alt="" layout="intrinsic"></amp-img></figure>
<div class="amp-wp-article-content">
<p><strong>{esc(post.description)}</strong></p>
{_wp_body_html(post)}
</div>
<footer class="amp-wp-article-footer"><div class="amp-wp-meta amp-wp-tax-category">Categories: {cats}</div>
<div class="amp-wp-meta amp-wp-comments-link"><a href="{url}#respond">Leave a Comment</a></div></footer>
</article>
<footer class="amp-wp-footer"><div><h2>{WP_NAME}</h2><a href="#top" class="back-to-top">Back to top</a></div></footer>
</body>
</html>
"""


def _wp_archive(
    base: str,
    posts: list[Post],
    shown: list[Post],
    *,
    path: str,
    heading: str | None,
    body_class: str,
    pager: str = "",
    head_extra: str = "",
    description: str = "",
) -> str:
    items = []
    for p in shown:
        url = base + post_path("news", p)
        author = p.authors[0]
        items.append(
            f"""<article id="post-{p.post_id}" class="post-{p.post_id} post type-post status-publish format-standard has-post-thumbnail hentry {" ".join("category-" + c for c in p.categories)}">
<a class="post-thumbnail" href="{url}" aria-hidden="true" tabindex="-1"><img width="600" height="400" src="{_wp_image(base, p)}" alt="{esc(p.title)}" loading="lazy"></a>
<header class="entry-header"><h2 class="entry-title"><a href="{url}" rel="bookmark">{esc(p.title)}</a></h2>
<div class="entry-meta"><span class="posted-on"><time class="entry-date published" datetime="{p.published.isoformat()}">{_wp_date(p.published)}</time></span><span class="byline"> by <span class="author vcard"><a class="url fn n" href="{base}/author/{slugify(author)}/">{esc(author)}</a></span></span></div></header>
<div class="entry-summary"><p>{esc(p.description)} [&hellip;]</p></div>
<footer class="entry-footer"><a href="{url}" class="more-link">Continue reading<span class="screen-reader-text"> "{esc(p.title)}"</span></a></footer>
</article>"""
        )
    header = (
        f'<header class="page-header"><h1 class="page-title">{esc(heading)}</h1></header>'
        if heading
        else ""
    )
    main = header + "\n" + "\n".join(items) + "\n" + pager
    title = heading or "Home"
    graph = [
        {
            "@type": "CollectionPage",
            "@id": base + path,
            "url": base + path,
            "name": f"{title} - {WP_NAME}",
            "isPartOf": {"@id": f"{base}/#website"},
            "inLanguage": "en-GB",
        },
        *_wp_org(base),
    ]
    return _wp_page(
        base,
        path=path,
        title=title,
        description=description or f"{WP_NAME}: news, analysis and the stories in between.",
        og_type="website",
        main=main,
        body_class=body_class,
        graph=graph,
        posts=posts,
        head_extra=head_extra,
    )


def _wp_static_page(base: str, posts: list[Post], path: str, title: str, paras: list[str]) -> str:
    body = "\n".join(f"<p>{esc(p)}</p>" for p in paras)
    main = f"""<article id="post-2" class="post-2 page type-page status-publish hentry">
<header class="entry-header"><h1 class="entry-title">{esc(title)}</h1></header>
<div class="entry-content">{body}</div></article>"""
    graph = [
        {"@type": "WebPage", "@id": base + path, "url": base + path, "name": title},
        *_wp_org(base),
    ]
    return _wp_page(
        base,
        path=path,
        title=title,
        description=paras[0][:150],
        og_type="website",
        main=main,
        body_class="page-template-default page",
        graph=graph,
        posts=posts,
    )


_WP_ABOUT = [
    "The Meridian Ledger is an independent newsroom of eleven journalists. We publish news, "
    "analysis and features every day, with a focus on world affairs, business, science and "
    "our own city.",
    "We are funded by our readers and by a small number of advertisers who have no say over "
    "what we write. Corrections are published at the foot of the article concerned.",
]
_WP_PRIVACY = [
    "This policy explains what we collect when you read this site, and why.",
    "We use a small number of cookies to keep the site working and to count how many people "
    "read each story. We do not sell personal data. Newsletter addresses are used only to "
    "send the newsletter, and you can unsubscribe at any time.",
    "If you leave a comment, we keep your name, your email address and the text of the "
    "comment. Your email address is never published.",
]


def _build_news(site: Site, base: str) -> dict[str, Resource]:
    posts = _sorted(site.data["posts"])
    size = site.data.get("page_size", 3)
    out: dict[str, Resource] = {}

    def put(path: str, body: str, ctype: str = HTML, when: datetime | None = None) -> None:
        out[path] = Resource(body, content_type=ctype, last_modified=when)

    pages = _pages(posts, size)
    for n, chunk in enumerate(pages, start=1):
        path = "/" if n == 1 else f"/page/{n}/"

        def href(k: int) -> str:
            return f"{base}/" if k == 1 else f"{base}/page/{k}/"

        head, links = [], []
        if n > 1:
            head.append(f'<link rel="prev" href="{href(n - 1)}">')
            links.append(f'<div class="nav-previous"><a href="{href(n - 1)}">Newer posts</a></div>')
        if n < len(pages):
            head.append(f'<link rel="next" href="{href(n + 1)}">')
            links.append(
                f'<div class="nav-next"><a href="{href(n + 1)}" class="next page-numbers">Older posts</a></div>'
            )
        pager = (
            f'<nav class="navigation posts-navigation" aria-label="Posts"><h2 class="screen-reader-text">Posts navigation</h2><div class="nav-links">{"".join(links)}</div></nav>'
            if links
            else ""
        )
        put(
            path,
            _wp_archive(
                base,
                posts,
                chunk,
                path=path,
                heading=None if n == 1 else f"Page {n}",
                body_class="home blog" if n == 1 else "blog paged paged-2",
                pager=pager,
                head_extra="\n".join(head),
            ),
            when=_latest(chunk),
        )
    for slug, label in WP_CATEGORIES.items():
        chunk = [p for p in posts if slug in p.categories]
        put(
            f"/category/{slug}/",
            _wp_archive(
                base,
                posts,
                chunk,
                path=f"/category/{slug}/",
                heading=f"Category: {label}",
                body_class=f"archive category category-{slug}",
            ),
            when=_latest(chunk),
        )
    for author, bio in WP_AUTHORS.items():
        chunk = [p for p in posts if author in p.authors]
        put(
            f"/author/{slugify(author)}/",
            _wp_archive(
                base,
                posts,
                chunk,
                path=f"/author/{slugify(author)}/",
                heading=f"Author: {author}",
                body_class=f"archive author author-{slugify(author)}",
                description=bio,
            ),
        )
    for post in posts:
        path = post_path("news", post)
        put(path, _wp_post_page(base, post, posts), when=post.updated or post.published)
        if post.amp:
            put(path + "amp/", _wp_amp_page(base, post), when=post.updated or post.published)
        if post.post_id:
            out[f"/?p={post.post_id}"] = redirect(base + path, 301)
        out[_wp_image(base, post).removeprefix(base)] = Resource(
            GIF, content_type="image/gif", gzip=False
        )
    out["/wp-content/uploads/logo.gif"] = Resource(GIF, content_type="image/gif", gzip=False)
    put("/about-us/", _wp_static_page(base, posts, "/about-us/", "About us", _WP_ABOUT))
    put(
        "/privacy-policy/",
        _wp_static_page(base, posts, "/privacy-policy/", "Privacy Policy", _WP_PRIVACY),
    )

    items = []
    for p in posts:
        url = base + post_path("news", p)
        cats = "".join(f"<category><![CDATA[{WP_CATEGORIES[c]}]]></category>" for c in p.categories)
        items.append(
            f"<item><title>{xml_escape(p.title)}</title><link>{url}</link>"
            f"<dc:creator><![CDATA[{p.authors[0]}]]></dc:creator>"
            f"<pubDate>{format_datetime(p.published)}</pubDate>{cats}"
            f'<guid isPermaLink="false">{base}/?p={p.post_id}</guid>'
            f"<description><![CDATA[{p.description} [&#8230;]]]></description>"
            f"<comments>{url}#respond</comments></item>"
        )
    feed = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">\n<channel>'
        f"<title>{WP_NAME}</title>"
        f'<atom:link href="{base}/feed/" rel="self" type="application/rss+xml"/>'
        f"<link>{base}/</link><description>News, analysis and the stories in between</description>"
        f"<lastBuildDate>{format_datetime(_latest(posts) or datetime(2022, 1, 1, tzinfo=UTC))}</lastBuildDate>"
        "<language>en-GB</language><sy:updatePeriod>hourly</sy:updatePeriod>"
        "<generator>https://wordpress.org/?v=5.8.3</generator>\n"
        + "\n".join(items)
        + "\n</channel></rss>\n"
    )
    put("/feed/", feed, RSS)
    put(
        "/robots.txt",
        "User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n\n"
        f"Sitemap: {base}/wp-sitemap.xml\n",
        TEXT,
    )
    put("/wp-sitemap.xml", _sitemap_index([(f"{base}/wp-sitemap-posts-post-1.xml", None)]), XML)
    put(
        "/wp-sitemap-posts-post-1.xml",
        _urlset((base + post_path("news", p), p.updated or p.published) for p in posts),
        XML,
    )
    return out


def news_site() -> Site:
    """A WordPress-like news site ("The Meridian Ledger") republishing the seed story."""
    site = Site("news", build=_build_news, data={"posts": _news_posts(), "page_size": 3})
    site.expected = expected_for(site)
    return site


# =====================================================================================
# 3. Error site
# =====================================================================================

ERR_NAME = "Quayside Courier"
OFFSITE_URL = "http://offsite.invalid/landing"  # where /go-elsewhere redirects (another host)


def _err_posts() -> list[Post]:
    q = LONDON
    return [
        Post(
            slug="everything-that-can-go-wrong",
            path="/articles/everything-that-can-go-wrong/",
            title="Everything that can go wrong on this site",
            authors=["Sam Okoro"],
            published=datetime(2022, 1, 7, 9, 0, tzinfo=q),
            description="A guided tour of the broken pages on this site.",
            paragraphs=list(C.HUB),
            categories=["notices"],
        ),
        Post(
            slug="harbour-ferry-timetable",
            path="/flaky",
            title="Harbour ferry to run reduced timetable during inspection",
            authors=["Ada Lindqvist"],
            published=datetime(2022, 1, 5, 16, 30, tzinfo=q),
            description="One of the two boats will be out of the water for three weeks.",
            paragraphs=list(C.FERRY),
            categories=["local"],
        ),
        Post(
            slug="central-library-reopens",
            path="/articles/central-library-reopens/",
            title="Central library reopens after eighteen-month renovation",
            authors=["Ada Lindqvist", "Sam Okoro"],
            published=datetime(2022, 1, 4, 12, 0, tzinfo=q),
            description="A children's floor, a rooftop terrace and a repair café.",
            paragraphs=list(C.LIBRARY),
            categories=["local"],
        ),
        Post(
            slug="bins-indoors-after-high-winds",
            path="/slow-story/",
            title="Residents asked to keep bins indoors after high winds",
            authors=["Sam Okoro"],
            published=datetime(2022, 1, 3, 7, 45, tzinfo=q),
            description="Collections resume once the wind drops.",
            paragraphs=list(C.SLOW_STORY),
            categories=["local"],
        ),
        Post(
            slug="secret-post",
            path="/private/secret-post/",
            title="A post crawlers must not fetch",
            authors=["Sam Okoro"],
            published=datetime(2022, 1, 2, 10, 0, tzinfo=q),
            description="Disallowed by robots.txt.",
            paragraphs=list(C.SECRET),
        ),
    ]


# Links the hub article and the home page carry, with the text shown.
_ERR_LINKS = [
    ("missing", "A page that was deleted"),
    ("broken", "A page that always fails"),
    ("flaky", "Ferry timetable (fails twice, then works)"),
    ("loop-a", "A redirect that goes round in circles"),
    ("old-story", "Library story (moved permanently)"),
    ("go-elsewhere", "A link that leaves this site"),
    ("report.pdf", "Annual report (PDF)"),
    ("private/secret-post/", "A private post"),
    ("slow-story/", "Bins story (slow server)"),
]


def _err_page(post: Post | None, title: str, main: str, path: str, base: str) -> str:
    if post is not None:
        ld = jsonld(
            {
                "@context": "https://schema.org",
                "@type": "NewsArticle",
                "headline": post.title,
                "datePublished": post.published.isoformat(),
                "author": [{"@type": "Person", "name": a} for a in post.authors],
                "publisher": {"@type": "Organization", "name": ERR_NAME},
            }
        )
        meta = (
            f'<meta property="og:type" content="article">\n'
            f'<meta property="article:published_time" content="{post.published.isoformat()}">\n'
            f'<meta name="author" content="{esc(", ".join(post.authors))}">\n{ld}'
        )
    else:
        meta = '<meta property="og:type" content="website">'
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{esc(title)} | {ERR_NAME}</title>
<meta name="description" content="{esc(post.description if post else ERR_NAME + " home page")}">
<link rel="canonical" href="{base}{path}">
{meta}
</head>
<body>
<header class="masthead"><a href="/" class="logo">{ERR_NAME}</a>
<nav><a href="/">Home</a> | <a href="/articles/everything-that-can-go-wrong/">About this site</a></nav></header>
<main id="content">
{main}
</main>
<footer><p>&copy; 2022 {ERR_NAME}. Written by hand, broken on purpose.</p></footer>
</body>
</html>
"""


def _err_article(base: str, post: Post) -> str:
    paras = "\n".join(f"<p>{esc(p)}</p>" for p in post.paragraphs)
    links = ""
    if post.slug == "everything-that-can-go-wrong":
        links = (
            '<ul class="test-links">'
            + "".join(f'<li><a href="/{href}">{esc(text)}</a></li>' for href, text in _ERR_LINKS)
            + "</ul>"
        )
    byline = " and ".join(post.authors)
    main = f"""<article class="story">
<h1 class="headline">{esc(post.title)}</h1>
<p class="byline">By {esc(byline)} &middot; <time datetime="{post.published.isoformat()}">{post.published:%d %B %Y, %H:%M}</time></p>
<p class="standfirst">{esc(post.description)}</p>
<div class="story-body">
{paras}
{links}
</div>
</article>"""
    return _err_page(post, post.title, main, post_path("errors", post), base)


_PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
    b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
    b"/Resources << /Font << /F1 5 0 R >> >> >>\nendobj\n"
    b"4 0 obj\n<< /Length 58 >>\nstream\nBT /F1 18 Tf 72 760 Td (Quayside Courier annual report) Tj ET\n"
    b"endstream\nendobj\n"
    b"5 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R /Size 6 >>\n%%EOF\n"
)


def _build_errors(site: Site, base: str) -> dict[str, Resource]:
    posts = _sorted(site.data["posts"])
    out: dict[str, Resource] = {}
    for post in posts:
        out[post_path(site, post)] = Resource(
            _err_article(base, post), last_modified=post.updated or post.published
        )
    out["/flaky"].fail_first = site.data["flaky"]["/flaky"]
    for path, delay in site.data.get("slow", {}).items():
        out[path].delay = delay
    listing = "".join(
        f'<li><a href="{post_path(site, p).lstrip("/")}">{esc(p.title)}</a> '
        f'<time datetime="{p.published.isoformat()}">{p.published:%d %b %Y}</time></li>'
        for p in posts
    )
    extra = "".join(f'<li><a href="{href}">{esc(text)}</a></li>' for href, text in _ERR_LINKS)
    home = f"""<section class="latest"><h1>Latest</h1><ul class="story-list">{listing}</ul></section>
<section class="odd-links"><h2>Odd corners</h2><ul>{extra}</ul></section>"""
    out["/"] = Resource(_err_page(None, "Home", home, "/", base))
    out["/missing"] = Resource(
        _err_page(
            None, "Not found", "<h1>Not found</h1><p>This page was deleted.</p>", "/missing", base
        ),
        status=404,
    )
    out["/broken"] = Resource(
        "<!DOCTYPE html><html><body><h1>Internal Server Error</h1></body></html>", status=500
    )
    out["/loop-a"] = redirect("/loop-b", 302)
    out["/loop-b"] = redirect("/loop-a", 302)
    out["/old-story"] = redirect("/articles/central-library-reopens/", 301)
    out["/go-elsewhere"] = redirect(site.data.get("offsite_url", OFFSITE_URL), 302)
    out["/report.pdf"] = Resource(_PDF, content_type="application/pdf", gzip=False)
    out["/robots.txt"] = Resource(
        f"User-agent: *\nDisallow: /private/\n\nSitemap: {base}/sitemap.xml\n", content_type=TEXT
    )
    out["/sitemap.xml"] = Resource(
        _urlset(
            [(f"{base}/", None)]
            + [
                (base + post_path(site, p), p.published)
                for p in posts
                if not post_path(site, p).startswith("/private/")
            ]
        ),
        content_type=XML,
    )
    return out


def error_site() -> Site:
    """A small hand-made news site ("Quayside Courier") full of awkward paths.

    A separate site (not merged into news_site). ``/missing`` 404, ``/broken`` 500,
    ``/flaky`` 503 twice then an article, ``/loop-a`` <-> ``/loop-b`` (302 loop),
    ``/old-story`` 301 to an article, ``/go-elsewhere`` 302 to another host
    (``site.data["offsite_url"]``, default http://offsite.invalid/landing; set it to another
    SiteServer's URL and ``rebuild()`` to redirect to a live host), ``/report.pdf``,
    ``/private/secret-post/`` (disallowed by robots.txt, linked from the home page),
    ``/slow-story/`` (0.3 s delay). Links are relative, unlike the other two sites.
    """
    site = Site(
        "errors",
        build=_build_errors,
        data={
            "posts": _err_posts(),
            "flaky": {"/flaky": 2},
            "redirects": {"/old-story": "/articles/central-library-reopens/"},
            "errors": {
                "/missing": "http_404",
                "/broken": "http_500",
                "/loop-a": "redirect_loop",
                "/loop-b": "redirect_loop",
                "/go-elsewhere": "offsite_redirect",
                "/report.pdf": "not_html",
                "/private/secret-post/": "robots_disallowed",
            },
            "disallowed": ["/private/secret-post/"],
            "slow": {"/slow-story/": 0.3},
        },
        gzip=False,
    )
    site.expected = expected_for(site)
    return site


# =====================================================================================
# Truth for tests
# =====================================================================================


def post_path(site: Site | str, post: Post) -> str:
    """The path a post is served at on its site."""
    if post.path:
        return post.path
    name = site if isinstance(site, str) else site.name
    if name == "news":
        return f"/{post.published:%Y/%m/%d}/{post.slug}/"
    return f"/post/{post.slug}"


def expected_for(site: Site) -> dict[str, Any]:
    """The truth for a site as its data stands now (see EXPECTED for the format)."""
    generated = site.build(site, "http://127.0.0.1:1") if site.build else {}
    data = site.data
    articles: dict[str, dict[str, Any]] = {}
    amp: dict[str, str] = {}
    disallowed = set(data.get("disallowed", ()))
    for post in data["posts"]:
        path = post_path(site, post)
        if post.amp:
            amp[path + "amp/"] = path
        if path in disallowed:
            continue
        articles[path] = {
            "title": post.title,
            "authors": list(post.authors),
            "published_at": utc_iso(post.published),
            "updated_at": utc_iso(post.updated) if post.updated else None,
            "language": post.lang,
            "description": post.description,
            "paragraphs": post.body,
            "categories": list(post.categories),
            "duplicate_of": post.duplicate_of,
        }
    redirects = dict(data.get("redirects", {}))
    errors = dict(data.get("errors", {}))
    flaky = dict(data.get("flaky", {}))
    for path, target in redirects.items():  # a moved article is reached via its old path
        if target in articles:
            articles[target]["reached_via"] = path
    if site.name == "news":  # WordPress shortlinks: /?p=NNN -> 301 to the permalink
        for post in data["posts"]:
            if post.post_id:
                redirects[f"/?p={post.post_id}"] = post_path(site, post)
    html_paths = {
        p
        for p, r in generated.items()
        if r.status == 200 and r.content_type.startswith("text/html")
    }
    non_articles = (
        html_paths - articles.keys() - amp.keys() - disallowed - flaky.keys() - errors.keys()
    )
    kinds = {
        "feeds": sorted(p for p, r in generated.items() if "rss" in r.content_type),
        "sitemaps": sorted(
            p for p, r in generated.items() if r.content_type.startswith("application/xml")
        ),
    }
    return {
        "site": site.name,
        "articles": articles,
        "non_articles": non_articles,
        "amp": amp,
        "redirects": redirects,
        "errors": errors,
        "flaky": flaky,
        "disallowed": disallowed,
        "not_html": {
            p
            for p, r in generated.items()
            if r.status == 200
            and not r.content_type.startswith(("text/", "application/xml", "application/rss"))
        },
        "robots": "/robots.txt",
        **kinds,
    }


def demo_sites() -> list[Site]:
    """The sites ``newsetl demo`` serves: the Wix-like blog and the news site."""
    return [wix_blog(), news_site()]


# The truth for tests, per site name, as each factory builds it:
#   articles:     {path: {title, authors, published_at (UTC ISO 8601, "+00:00"),
#                  updated_at, language, description, paragraphs (body text in order,
#                  subheads left out, credit line included), categories,
#                  duplicate_of: None or (site name, path) of the original,
#                  reached_via: old path that redirects here (errors site only)}}
#   non_articles: HTML pages served 200 that are not articles (home, listings, profiles...)
#   amp:          {amp path: canonical path}  (AMP twins: not separate articles)
#   redirects:    {path: target path}; errors: {path: reason code as in FetchedPage.reason}
#   flaky:        {path: number of 503s before the 200}; disallowed: robots-disallowed paths
#   not_html:     paths served 200 that are not HTML/XML/RSS (images, PDF)
#   feeds, sitemaps: paths; robots: "/robots.txt"
EXPECTED: dict[str, dict[str, Any]] = {
    s.name: expected_for(s) for s in (wix_blog(), news_site(), error_site())
}

# (original, duplicate) pairs across sites, each as (site name, path).
DUPLICATES: list[tuple[tuple[str, str], tuple[str, str]]] = [
    (art["duplicate_of"], (name, path))
    for name, truth in EXPECTED.items()
    for path, art in truth["articles"].items()
    if art["duplicate_of"]
]
