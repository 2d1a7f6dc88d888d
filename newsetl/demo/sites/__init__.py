"""The bundled demo sites: a Wix-like blog, a WordPress-like news site, an error site.

Content is data: ``wix.toml``, ``news.toml`` and ``errors.toml`` in this folder hold each
site's settings, posts and text (read by :mod:`.model`); :mod:`.wix`, :mod:`.wordpress` and
:mod:`.courier` render them as the pages of a Wix, a WordPress and a hand-made site.

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

from typing import Any

from newsetl.demo.server import Site
from newsetl.demo.sites import courier, wix, wordpress
from newsetl.demo.sites.model import (
    Post,
    add_post,
    edit_post,
    find_post,
    load_posts,
    post_path,
    site_config,
    utc_iso,
)

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
    "post_path",
    "wix_blog",
]


def _site(name: str, build: Any) -> Site:
    """Site ``name`` as its file describes it, its truth computed."""
    config = site_config(name)
    data = {"posts": load_posts(name), **config.get("data", {})}
    site = Site(name, build=build, data=data, gzip=config.get("gzip", True))
    site.expected = expected_for(site)
    return site


def wix_blog() -> Site:
    """A Wix-like blog ("Steppe Notes") carrying the seed story and five other posts."""
    return _site("wix", wix.build)


def news_site() -> Site:
    """A WordPress-like news site ("The Meridian Ledger") republishing the seed story."""
    return _site("news", wordpress.build)


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
    return _site("errors", courier.build)


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
