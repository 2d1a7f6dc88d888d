"""How the news spider expands what it fetched: redirects it follows itself, a site's
robots.txt sitemaps, an HTML listing's feeds, pagination and links, and the entries of
sitemaps and feeds, each queued at its priority."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from newsetl.discover.documents import Entry, is_posts_sitemap, is_taxonomy_sitemap
from newsetl.discover.links import analyse_html, url_shape
from newsetl.models import FetchedPage, FetchFate
from newsetl.urls import clean_url, origin, url_key

if TYPE_CHECKING:
    from scrapy.http import Response

    from .news import Site

_OWN_META = ("nl_", "newsetl_", "dont_redirect", "handle_httpstatus_all")

# Request priorities: discovery documents first, then what they list, then plain links.
PRIO_START = 100
PRIO_INDEX = 50
PRIO_ENTRY = 30
PRIO_PAGINATION = 20
PRIO_LISTED_PAGE = 10  # a sitemap entry shaped like a tag, section, author or service page
PRIO_LINK = 0
MAX_PAGINATION_CHAIN = 200


class DiscoveryMixin:
    """The discovery half of :class:`spiders.news.NewsSpider`."""

    # -- discovery ------------------------------------------------------------------

    def _redirect(self, response: Response, site: Site):
        meta = response.meta
        rec = self._base_record(response)
        location = response.headers[b"Location"].decode("latin-1")
        target = clean_url(urljoin(response.url, location))
        rec.final_url = target
        key = meta.get("nl_key")
        if urlsplit(target).scheme not in ("http", "https"):
            rec.reason = FetchFate.BAD_REDIRECT
            self._write(rec, key, response)
            return
        chain = [*meta.get("nl_chain", []), response.url]
        target_key = url_key(target)
        if target_key in {url_key(u) for u in chain} or len(chain) > self.max_redirects:
            rec.reason = FetchFate.REDIRECT_LOOP
            self._write(rec, key, response)
            return
        if not self._on_site(target, site):
            if meta.get("nl_kind") == "start" and _same_host_family(response.url, target):
                # http -> https or example.com -> www.example.com on the start URL: the
                # site lives there; adopt the new origin.
                site.origins.add(origin(target))
            else:
                rec.reason = FetchFate.OFFSITE_REDIRECT
                self._write(rec, key, response)
                self.remember_redirect(response)
                return
        if target_key in self.seen and target_key not in {url_key(u) for u in chain}:
            rec.reason = FetchFate.REDIRECT_DUPLICATE  # the target is fetched on its own
            self._write(rec, key, response)
            self.remember_redirect(response)
            return
        # The target is not marked seen here: another path to it (a link, or the other end
        # of a loop) still gets its own record; a 2xx final URL is marked seen in _parse.
        # Carry only our own keys: Scrapy's (download_latency, retry_times, ...) belong to
        # the previous hop.
        new_meta = {k: v for k, v in meta.items() if k.startswith(_OWN_META)}
        new_meta["nl_chain"] = chain
        meta["nl_followed"] = True
        new_meta.pop("nl_followed", None)
        # Validators belong to the URL they were stored for: drop them, and use the
        # target's own when it is a known article.
        headers = response.request.headers.copy()
        for name in (b"If-None-Match", b"If-Modified-Since"):
            headers.pop(name, None)
        new_meta.pop("nl_cond", None)
        new_meta.pop("nl_mem", None)
        target_known = self.known.get(target_key)
        if target_known is not None and target_known.is_article and meta.get("nl_cond"):
            headers.update(target_known.conditional_headers())
            new_meta["nl_cond"] = True
        yield response.request.replace(url=target, meta=new_meta, headers=headers, dont_filter=True)

    def _discover_site(self, response: Response, site: Site):
        """From a site root or listing start page: robots.txt sitemaps and /sitemap.xml."""
        if site.expanded:
            return
        site.expanded = True
        netloc = urlsplit(response.url).netloc
        scheme = urlsplit(response.url).scheme
        for url in self.robots_sitemaps.get(netloc, []):
            prio = PRIO_INDEX + (5 if is_posts_sitemap(url) else 0)
            req = self._request(url, site, kind="sitemap", via="robots", depth=1, priority=prio)
            if req is not None:
                yield req
        req = self._request(
            f"{scheme}://{netloc}/sitemap.xml", site, kind="sitemap", via="start", depth=1
        )
        if req is not None:
            yield req

    def _expand_html(self, response: Response, body: bytes, rec: FetchedPage, site: Site):
        meta = response.meta
        kind, via, depth = meta["nl_kind"], meta["nl_via"], meta["nl_depth"]
        if kind != "start" and via in ("sitemap", "feed"):
            return  # a listed entry: an article candidate, not a listing
        shape = url_shape(response.url)
        if shape == "article":
            return  # do not crawl into an article's outgoing links (nor parse it for them)
        info = analyse_html(body, response.url, rec.encoding_hint)
        if info.article_like:
            return
        meta["nl_expanded"] = True  # a listing, for the page memory
        if kind == "start":
            yield from self._discover_site(response, site)
        for url in info.feeds:
            req = self._request(url, site, kind="feed", via="listing", depth=depth + 1)
            if req is not None:
                yield req
        chain = meta.get("nl_pagination", 0)
        if chain < MAX_PAGINATION_CHAIN and info.pagination:
            page_key = meta.get("nl_key") or url_key(response.url)
            if self._pagination_worthwhile(page_key, info.links, site, meta):
                for url in info.pagination:
                    req = self._request(
                        url,
                        site,
                        kind="page",
                        via="pagination",
                        depth=depth,
                        priority=PRIO_PAGINATION,
                        pagination=chain + 1,
                        listing_parent=page_key,
                    )
                    if req is not None:
                        yield req
            else:
                self.not_scheduled["pagination_all_known"] += 1
        if depth >= self.depth_limit:
            return
        link_via = (
            "listing" if (kind == "start" or shape == "listing" or via == "pagination") else "link"
        )
        seen = self.seen
        for url in info.links:
            headline = info.headlines.get(url)
            as_heading = link_via == "listing" and url in info.in_headings
            if not headline and not as_heading and url_key(clean_url(url)) in seen:
                # Seen by this crawl and no evidence to add: _request would return None
                # and change nothing. Menus and footers repeat on every page.
                continue
            evidence: dict[str, Any] = {"listed_title": headline} if headline else {}
            if as_heading:
                evidence["listed_as_heading"] = True  # a story of the listing, as it shows it
            req = self._request(
                url,
                site,
                kind="page",
                via=link_via,
                depth=depth + 1,
                evidence=evidence or None,
            )
            if req is not None:
                yield req

    def _pagination_worthwhile(
        self, page_key: str, links: list[str], site: Site, meta: dict[str, Any]
    ) -> bool:
        """Whether to follow a listing page's pagination. Always in a full crawl. In an
        incremental crawl (``--known``) new articles appear at the top of listings, so stop
        at a page that links to at least one known article and to no link that may be a
        new article: one we would fetch that is neither in the known file (an article, or
        a page found not to be one) nor listing-shaped (``newsetl.discover.classify.url_shape``)
        nor already on the listing page that led here (menus and sidebars repeat). The page itself is still recorded; its
        other links are still followed."""
        if not self.known_path:
            return True
        known = 0
        candidates: set[str] = set()
        for url in links:
            try:
                clean = clean_url(url)
            except ValueError:
                continue
            key = url_key(clean)
            entry = self.known.get(key)
            if entry is not None:
                known += entry.is_article
                continue  # an article we hold, or a page found not to be one before
            if key in self.memory:
                continue  # a listing, a page that is no article, a 404 ...
            if key == page_key or url_shape(clean) in ("listing", "root", "service"):
                continue
            if not self._on_site(clean, site) or any(p.search(clean) for p in self.exclude):
                continue  # never fetched: says nothing about what is new
            if self.include and not any(p.search(clean) for p in self.include):
                continue
            candidates.add(key)
        self.listing_candidates[page_key] = frozenset(candidates)
        parent = self.listing_candidates.get(meta.get("nl_listing_parent") or "", frozenset())
        return known == 0 or bool(candidates - parent)

    def _sitemap_entries(self, response: Response, root: str, entries: list[Entry], site: Site):
        depth = response.meta.get("nl_depth", 0) + 1
        if root == "sitemapindex":
            # Post sitemaps first, newest first; all of them within the per-site bound.
            entries.sort(key=lambda e: e.lastmod or "", reverse=True)
            entries.sort(key=lambda e: not is_posts_sitemap(e.url))
            for e in entries:
                prio = PRIO_INDEX + (5 if is_posts_sitemap(e.url) else 0)
                req = self._request(
                    e.url, site, kind="sitemap", via="sitemap", depth=depth, priority=prio
                )
                if req is not None:
                    yield req
            return
        entries.sort(key=lambda e: e.lastmod or e.published or "", reverse=True)
        sitemap_name = urlsplit(response.url).path.rsplit("/", 1)[-1]
        taxonomy = is_taxonomy_sitemap(sitemap_name)
        for e in entries:
            # Tag, category and author sitemaps list pages that are not stories: under a
            # page budget the stories of a posts sitemap must not wait behind them.
            shape = url_shape(e.url)
            listed_page = shape in ("listing", "service", "root") or (
                taxonomy and shape != "article"
            )
            req = self._request(
                e.url,
                site,
                kind="page",
                via="sitemap",
                depth=depth,
                priority=PRIO_LISTED_PAGE if listed_page else PRIO_ENTRY,
                evidence=_listed_evidence("in_sitemap", e),
            )
            if req is not None:
                yield req

    def _feed_entries(self, response: Response, entries: list[Entry], site: Site):
        depth = response.meta.get("nl_depth", 0) + 1
        for e in entries:
            req = self._request(
                e.url,
                site,
                kind="page",
                via="feed",
                depth=depth,
                priority=PRIO_ENTRY,
                evidence=_listed_evidence("in_feed", e),
            )
            if req is not None:
                yield req


def _listed_evidence(flag: str, e: Entry) -> dict[str, Any]:
    """What a sitemap (``in_sitemap``) or feed (``in_feed``) entry says about its page."""
    return {
        flag: True,
        "lastmod": e.lastmod,
        "listed_title": e.title,
        "listed_published": e.published,
        "listed_language": e.language,
    }


def _same_host_family(a: str, b: str) -> bool:
    """Same site up to a leading ``www.`` and an http -> https upgrade (default ports)."""
    (sa, ha, pa), (sb, hb, pb) = origin(a), origin(b)
    if ha.removeprefix("www.") != hb.removeprefix("www."):
        return False
    if sa == sb:
        return pa == pb
    return (sa, pa, sb, pb) == ("http", 80, "https", 443)
