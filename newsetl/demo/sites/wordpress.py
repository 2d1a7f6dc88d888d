"""The WordPress-like news site "The Meridian Ledger": its pages rendered from ``news.toml``
and ``site.data``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from newsetl.demo.server import RSS, TEXT, XML, Resource, Site, redirect
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
    site_config,
    sitemap_index,
    slugify,
    urlset,
)

_CONFIG = site_config("news")
WP_NAME: str = _CONFIG["title"]
WP_CATEGORIES: dict[str, str] = _CONFIG["categories"]
WP_AUTHORS: dict[str, str] = _CONFIG["authors"]
_PAGES: dict[str, dict[str, Any]] = _CONFIG["pages"]


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


def build(site: Site, base: str) -> dict[str, Resource]:
    posts = newest_first(site.data["posts"])
    size = site.data.get("page_size", 3)
    out = Pages()
    put = out.put

    pages = chunks(posts, size)
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
            when=latest(chunk),
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
            when=latest(chunk),
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
    for path, page in _PAGES.items():
        put(path, _wp_static_page(base, posts, path, page["title"], page["paragraphs"]))

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
        f"<lastBuildDate>{format_datetime(latest(posts) or datetime(2022, 1, 1, tzinfo=UTC))}</lastBuildDate>"
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
    put("/wp-sitemap.xml", sitemap_index([(f"{base}/wp-sitemap-posts-post-1.xml", None)]), XML)
    put(
        "/wp-sitemap-posts-post-1.xml",
        urlset((base + post_path("news", p), p.updated or p.published) for p in posts),
        XML,
    )
    return out
