"""The Wix-like blog "Steppe Notes": its pages rendered from ``wix.toml`` and ``site.data``."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from xml.sax.saxutils import escape as xml_escape

from newsetl.demo.server import RSS, TEXT, XML, Resource, Site
from newsetl.demo.sites.model import (
    GIF,
    Pages,
    Post,
    chunks,
    esc,
    jsonld,
    latest,
    newest_first,
    post_path,
    rfc822,
    site_config,
    sitemap_index,
    slugify,
    urlset,
)

_CONFIG = site_config("wix")
WIX_NAME: str = _CONFIG["title"]
WIX_CATEGORIES: dict[str, str] = _CONFIG["categories"]
WIX_PROFILES: dict[str, str] = _CONFIG["profiles"]


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


def build(site: Site, base: str) -> dict[str, Resource]:
    posts = newest_first(site.data["posts"])
    size = site.data.get("page_size", 2)
    out = Pages()
    put = out.put

    # Home: hero + latest posts.
    newest = "\n".join(_wix_card(base, p) for p in posts[:3])
    home_main = f"""<section class="hero" id="comp-hero"><div class="hero-inner">
<h1 class="font_2 wixui-rich-text__text">Stories from the steppe, the bazaar and the road</h1>
<p class="font_7">{WIX_NAME} is a small independent blog about everyday life, travel and the news in Central Asia.</p>
<a href="{base}/blog" class="wixui-button" data-testid="linkElement"><span>Read the Blog</span></a>
</div></section>
<section class="latest-posts" data-hook="latest-posts"><h2 class="font_4">Latest Posts</h2>
<ul class="post-list">{newest}</ul>
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
        when=latest(posts),
    )

    # Blog listing with pagination.
    pages = chunks(posts, size)
    for n, chunk in enumerate(pages, start=1):
        path = "/blog" if n == 1 else f"/blog/page/{n}"
        body, head = _wix_pager(base, n, len(pages))
        heading = "All Posts" if n == 1 else f"All Posts - Page {n}"
        put(path, _wix_listing(base, chunk, heading, path, body, head), when=latest(chunk))

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
        f"<lastBuildDate>{rfc822(latest(posts) or datetime(2022, 1, 1, tzinfo=UTC))}</lastBuildDate>"
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
        sitemap_index(
            [
                (f"{base}/blog-posts-sitemap.xml", latest(posts)),
                (f"{base}/pages-sitemap.xml", None),
            ]
        ),
        XML,
    )
    put(
        "/blog-posts-sitemap.xml",
        urlset((f"{base}/post/{p.slug}", p.updated or p.published) for p in posts),
        XML,
    )
    put(
        "/pages-sitemap.xml",
        urlset(
            [
                (f"{base}/", latest(posts)),
                (f"{base}/about", None),
                (f"{base}/blog", latest(posts)),
            ]
        ),
        XML,
    )
    return out
