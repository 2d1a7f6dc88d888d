"""The load site: a plain news site of exactly N HTML pages, rendered on request, for
``benchmarks/load.py`` and the load test."""

from __future__ import annotations

from newsetl.demo.hostile.pages import DynamicSite, article_page, prose, urlset
from newsetl.demo.server import XML, Resource, Site

# ---------------------------------------------------------------------------------------
# The load site


LOAD_PER_LISTING = 100
LOAD_PER_SITEMAP = 5000


_LOAD_POOL = [prose(f"load-pool-{k}", 100 + (k * 13) % 90) for k in range(97)]


def _load_article(site: Site, base: str, i: int) -> str:
    """Story ``i``: 5-9 KB, cheap to render (paragraphs picked from a fixed pool)."""
    count = 6 + i % 4
    body = "".join(
        f"<p>Story {i}, part {k}: {_LOAD_POOL[(i * 31 + k * 7) % len(_LOAD_POOL)]}</p>"
        for k in range(count)
    )
    return article_page(base, f"/story/{i}", f"Story number {i}", body)


def _load_dynamic(site: Site, path: str) -> Resource | None:
    base = site.base_url or ""
    n_articles: int = site.data["articles"]
    parts = path.strip("/").split("/")
    if len(parts) == 2 and parts[1].isdigit():
        k = int(parts[1])
        if parts[0] == "story" and 0 <= k < n_articles:
            return Resource(_load_article(site, base, k), conditional=False)
        n_listings = -(-n_articles // LOAD_PER_LISTING)
        if parts[0] == "archive" and 1 <= k <= n_listings:
            first = (k - 1) * LOAD_PER_LISTING
            items = "".join(
                f"<li><a href='/story/{i}'>Story number {i}</a></li>"
                for i in range(first, min(first + LOAD_PER_LISTING, n_articles))
            )
            nxt = f"<a rel='next' href='/archive/{k + 1}'>Older posts</a>" if k < n_listings else ""
            return Resource(
                "<!DOCTYPE html><html><head><meta charset='utf-8'>"
                f"<title>Archive {k}</title></head><body><h1>Archive {k}</h1><ul>{items}</ul>"
                f"{nxt}</body></html>",
                conditional=False,
            )
        if parts[0] == "about" and k < site.data["extra"]:
            return Resource(
                "<!DOCTYPE html><html><head><meta charset='utf-8'>"
                f"<title>About {k}</title></head><body><h1>About us ({k})</h1>"
                f"<p>{_LOAD_POOL[k % len(_LOAD_POOL)]}</p></body></html>",
                conditional=False,
            )
        if parts[0] == "sitemap-posts" and 0 <= k < -(-n_articles // LOAD_PER_SITEMAP):
            first = k * LOAD_PER_SITEMAP
            paths = [f"/story/{i}" for i in range(first, min(first + LOAD_PER_SITEMAP, n_articles))]
            return Resource(urlset(base, paths), content_type=XML, conditional=False)
    return None


def _build_load(site: Site, base: str) -> dict[str, Resource]:
    n_articles: int = site.data["articles"]
    n_sitemaps = -(-n_articles // LOAD_PER_SITEMAP)
    return {
        "/robots.txt": Resource(
            f"User-agent: *\nSitemap: {base}/sitemap.xml\n", content_type="text/plain"
        ),
        "/": Resource(
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Load Times</title></head>"
            "<body><h1>Load Times</h1><a href='/archive/1'>Archive</a>"
            + "".join(f"<a href='/about/{k}'>About {k}</a>" for k in range(site.data["extra"]))
            + "<a rel='next' href='/archive/1'>Older posts</a></body></html>"
        ),
        "/sitemap.xml": Resource(
            "<?xml version='1.0' encoding='UTF-8'?>"
            "<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
            + "".join(
                f"<sitemap><loc>{base}/sitemap-posts/{k}</loc></sitemap>" for k in range(n_sitemaps)
            )
            + "</sitemapindex>",
            content_type=XML,
        ),
    }


def load_site(pages: int) -> Site:
    """A news site of exactly ``pages`` HTML pages: the root (and an ``/about/K`` page or
    so it links, to make up the count), ``/archive/K`` listings of
    100 stories each (chained by "Older posts") and ``/story/I`` articles (5-9 KB), all
    stories also listed by sitemaps of 5,000 URLs under ``/sitemap.xml``. Pages are
    rendered on request (nothing is held in memory); no gzip."""
    if pages < 3:
        raise ValueError("pages must be at least 3")
    # root + listings + articles == pages, with listings == ceil(articles / 100)
    articles = pages - 1
    while articles + 1 + -(-articles // LOAD_PER_LISTING) > pages:
        articles -= 1
    listings = -(-articles // LOAD_PER_LISTING)
    extra = pages - (1 + listings + articles)  # /about/K pages make up the exact count
    return DynamicSite(
        "load",
        _load_dynamic,
        build=_build_load,
        data={"articles": articles, "listings": listings, "extra": extra, "pages": pages},
        gzip=False,
    )
