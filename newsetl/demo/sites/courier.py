"""The error site "Quayside Courier": its pages rendered from ``errors.toml`` and ``site.data``."""

from __future__ import annotations

from newsetl.demo.server import TEXT, XML, Resource, Site, redirect
from newsetl.demo.sites.model import (
    Post,
    esc,
    jsonld,
    newest_first,
    post_path,
    site_config,
    urlset,
)

_CONFIG = site_config("errors")
ERR_NAME: str = _CONFIG["title"]
OFFSITE_URL: str = _CONFIG["offsite_url"]  # where /go-elsewhere redirects (another host)
# Links the hub article and the home page carry, with the text shown.
_ERR_LINKS: list[tuple[str, str]] = [(href, text) for href, text in _CONFIG["links"]]


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


def build(site: Site, base: str) -> dict[str, Resource]:
    posts = newest_first(site.data["posts"])
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
        urlset(
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
