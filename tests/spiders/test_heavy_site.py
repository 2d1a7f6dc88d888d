"""The generated benchmark site as heavy and messy as a real news site (``benchmarks/sitegen``).

A mega menu of ~250 links to real section pages, a footer of ~150 links (topics, authors,
service pages, dead links), state blobs, related stories and comments on every page; small,
markup-poor section pages beside the articles. The extractor and the article classifier
must still keep every article and no other page: offline on every page of a small site
(fast), and end to end through ``newsetl scrape`` on a 300-article site (slow).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"
BASE = "http://127.0.0.1:1"
SEED = 20240501

_HREF = re.compile(r'<a\b[^>]*\bhref="([^"]*)"')


def _bench(name: str):
    sys.path.insert(0, str(BENCH))
    try:
        return __import__(name)
    finally:
        sys.path.remove(str(BENCH))


@pytest.fixture(scope="module")
def site():
    """A 60-article site and its pages, rendered for BASE."""
    gen = _bench("sitegen").NewsSiteGenerator(60, seed=SEED)
    return gen, gen.build(BASE)


def _region(html: str, start: str, end: str) -> str:
    i = html.index(start)
    return html[i : html.index(end, i)]


def _locs(pages: dict, path: str) -> list[str]:
    return re.findall(r"<loc>([^<]+)</loc>", pages[path].body.decode())


def _listed(pages: dict) -> tuple[set[str], set[str]]:
    """URLs the site lists in its urlset sitemaps, and in its feed."""
    in_sitemap: set[str] = set()
    for path, page in pages.items():
        if path.endswith(".xml") and page.body.startswith(b"<?xml") and b"<urlset" in page.body:
            in_sitemap.update(_locs(pages, path))
    in_feed = set(re.findall(r"<link>([^<]+)</link>", pages["/feed/"].body.decode()))
    in_feed.discard(BASE + "/")
    return in_sitemap, in_feed


def _kinds(gen) -> dict[str, str]:
    kinds = {p: "article" for p in gen.article_paths}
    for kind, paths in (
        ("home", gen.home_paths),
        ("category", gen.category_paths()),
        ("section", gen.section_paths),
        ("topic", gen.topic_paths),
        ("author", gen.author_paths),
        ("service", gen.service_paths),
    ):
        for p in paths:
            assert p not in kinds, p
            kinds[p] = kind
    return kinds


# -- the site's shape -----------------------------------------------------------------------
def test_every_page_carries_a_mega_menu_and_a_link_heavy_footer(site) -> None:
    gen, pages = site
    sections = set(gen.section_paths)
    assert len(sections) == 12 * 20
    for path in sorted(gen.section_paths):
        cat, sub = path.strip("/").split("/")
        assert path == f"/{cat}/{sub}/" and cat != "category" and path in pages
    services, topics, authors = set(gen.service_paths), set(gen.topic_paths), set(gen.author_paths)
    dead = set(gen.dead_paths)
    assert len(dead) == 20 and not dead & set(pages)
    for path in sorted(gen.article_paths)[:5] + sorted(gen.non_article_paths)[::40]:
        html = pages[path].body.decode()
        header = _HREF.findall(_region(html, '<header class="c-site-header"', "</header>"))
        assert 240 <= len(header) <= 270, (path, len(header))
        assert sections <= set(header)  # every section, straight from the menu
        assert all(h in pages for h in header), path  # distinct pages that exist, no #fragments
        footer = _HREF.findall(_region(html, '<footer class="c-footer"', "</footer>"))
        assert 140 <= len(footer) <= 160, (path, len(footer))
        assert topics | authors | services | dead <= set(footer)
        assert {h for h in footer if h not in pages} == dead
        hrefs = _HREF.findall(html)
        assert len(hrefs) >= 420, (path, len(hrefs))
        # Only this site's own links: root-relative, or absolute on BASE.
        assert all(h.startswith("/") or h.startswith(BASE + "/") for h in hrefs), path
        assert "window.__STATE__=" in html and 'id="__NEXT_DATA__"' in html, path
        assert 'class="c-cookie"' in html and '<aside class="c-sidebar">' in html, path
        assert 80_000 < len(pages[path].body) < 130_000, (path, len(pages[path].body))


def test_articles_keep_their_markup_and_listings(site) -> None:
    gen, pages = site
    in_sitemap, in_feed = _listed(pages)
    for a in gen.articles:
        html = pages[a.path].body.decode()
        assert '"@type":"NewsArticle"' in html and 'property="og:type" content="article"' in html
        assert 'rel="author"' in html and "article:published_time" in html
        assert 'class="c-related"' in html and html.count('class="c-comment"') >= 4
        assert BASE + a.path in in_sitemap
    newest = [BASE + a.path for a in gen.articles[::-1][: gen.feed_items]]
    assert in_feed == set(newest)
    sizes = [len(pages[p].body) for p in gen.article_paths]
    assert 80_000 < sum(sizes) / len(sizes) < 130_000


def test_section_pages_are_small_markup_poor_listings(site) -> None:
    gen, pages = site
    markup: Counter[str] = Counter()
    for subs in gen.sections:
        for s in subs:
            html = pages[s.path].body.decode()
            main = _region(html, '<main class="c-main">', "</main>")
            teasers = [h for h in _HREF.findall(main) if h in gen.article_paths]
            assert 1 <= len(teasers) <= 7, s.path
            by_path = {a.path: a for a in gen.articles}
            assert all(by_path[t].category == s.category for t in teasers), s.path
            assert main.count("<time ") == len(teasers)
            ld = '"@type":"CollectionPage"' in html
            og = 'property="og:type" content="website"' in html
            markup[("ld" if ld else "") + ("og" if og else "") or "none"] += 1
    assert 0.3 < (markup["ld"] + markup["ldog"]) / 240 < 0.7, markup  # about half
    assert markup["og"] >= 20 and markup["none"] >= 20, markup
    # Topic, author and service pages exist and are small.
    for path in gen.topic_paths + gen.author_paths:
        main = _region(pages[path].body.decode(), '<main class="c-main">', "</main>")
        assert sum(h in gen.article_paths for h in _HREF.findall(main)) <= 10, path
    assert set(gen.non_article_paths) == set(_kinds(gen)) - set(gen.article_paths)
    assert len(gen.non_article_paths) == 3 + 12 + 240 + 60 + 40 + len(gen.service_paths)
    # Yoast-like sitemaps: posts, pages, categories with their sections, topics, authors.
    index = _locs(pages, "/sitemap_index.xml")
    assert [u.removeprefix(BASE) for u in index] == [
        "/post-sitemap1.xml",
        "/page-sitemap.xml",
        "/category-sitemap.xml",
        "/post_tag-sitemap.xml",
        "/author-sitemap.xml",
    ]
    assert {BASE + p for p in gen.section_paths} <= set(_locs(pages, "/category-sitemap.xml"))


def test_dead_footer_links_answer_404_and_sections_200() -> None:
    sitegen = _bench("sitegen")
    gen = sitegen.NewsSiteGenerator(5, seed=SEED)
    with sitegen.BenchServer(gen) as server:
        for path in gen.dead_paths[:3] + gen.section_paths[:2] + gen.topic_paths[:1]:
            try:
                with urllib.request.urlopen(server.url + path, timeout=10) as resp:
                    status = resp.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            assert status == (404 if path in gen.dead_paths else 200), path


_DIGEST = """
import hashlib, sys
sys.path.insert(0, {bench!r})
import sitegen
gen = sitegen.NewsSiteGenerator(40, seed=9)
h = hashlib.sha256()
for path, page in gen.build("http://127.0.0.1:1").items():
    h.update(path.encode() + b"\\0" + page.body + b"\\0" + page.etag.encode())
h.update("\\n".join(sorted(gen.non_article_paths)).encode())
print(h.hexdigest())
"""


def test_build_is_byte_identical_across_processes() -> None:
    """PYTHONHASHSEED differs between processes: nothing may depend on set order."""
    code = _DIGEST.format(bench=str(BENCH))
    digests = []
    for hashseed in ("1", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=hashseed)
        proc = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 0, proc.stderr
        digests.append(proc.stdout.strip())
    assert len(digests[0]) == 64 and digests[0] == digests[1]


# -- the article decision on every page ----------------------------------------------------
def _decide_all(gen, pages, tmp_path: Path) -> list[tuple[str, str, object]]:
    """(path, kind, decision) for every HTML page, decided as the pipeline decides."""
    from newsetl.models import FetchedPage
    from newsetl.pipeline import _extract_one, decide_page

    in_sitemap, in_feed = _listed(pages)
    out_list = []
    body = tmp_path / "body.html"
    for path, kind in sorted(_kinds(gen).items()):
        url = BASE + path
        body.write_bytes(pages[path].body)
        out = _extract_one((str(body), url, None, None, None))
        assert out is not None, path
        # Exactly the pipeline's decision (newsetl.pipeline._take_output calls it).
        page = FetchedPage(url=url, in_sitemap=url in in_sitemap, in_feed=url in in_feed)
        decision = decide_page(page, out)
        out_list.append((path, kind, decision))
    return out_list


def _failures_report(wrong: list[tuple[str, str, object]]) -> str:
    """Wrong decisions by page kind and by signals, with two examples of each."""
    groups: dict[str, dict[str, list]] = {}
    for path, kind, d in wrong:
        pattern = " ".join(f"{k}={v}" for k, v in sorted(d.signals.items()))
        groups.setdefault(kind, {}).setdefault(pattern, []).append((path, d))
    lines = []
    for kind, patterns in sorted(groups.items()):
        lines.append(f"{kind}: {sum(map(len, patterns.values()))} page(s) decided wrongly")
        for pattern, items in sorted(patterns.items(), key=lambda kv: -len(kv[1])):
            lines.append(f"  {len(items)} x signals {pattern}")
            for path, d in items[:2]:
                lines.append(
                    f"    {BASE}{path} is_article={d.is_article} reason={d.reason} "
                    f"score={d.score} values={d.values}"
                )
    return "\n".join(lines)


def test_classifier_keeps_every_article_and_no_other_page(site, tmp_path: Path) -> None:
    gen, pages = site
    decisions = _decide_all(gen, pages, tmp_path)
    assert len(decisions) == len(gen.article_paths) + len(gen.non_article_paths)
    wrong = [(p, k, d) for p, k, d in decisions if d.is_article != (k == "article")]
    assert not wrong, "\n" + _failures_report(wrong)


# -- end to end: newsetl scrape on a 300-article heavy site --------------------------------
@pytest.mark.slow
def test_scrape_of_a_heavy_site_stores_exactly_its_articles(tmp_path: Path) -> None:
    import pandas as pd

    sitegen = _bench("sitegen")
    realsite = _bench("realsite")
    # 300 articles (699 pages, 100 KB each) in two post sitemaps, as 1,000 would be: the
    # same kinds of page, in half the time (`make bench-crawl` measures 1,000).
    gen = sitegen.NewsSiteGenerator(300, seed=SEED, per_sitemap=150)
    with sitegen.BenchServer(gen) as server:
        t0 = time.perf_counter()
        proc = realsite.scrape(server.url + "/", tmp_path / "data")
        wall = time.perf_counter() - t0
    print(f"newsetl scrape: {wall:.1f} s, exit {proc.returncode}\n{proc.stdout[-2500:]}")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = tmp_path / "data"
    pages = pd.read_parquet(data / "pages")
    last = pages.sort_values("fetched_at").groupby("url").tail(1)
    path_of = {u: urlsplit(u).path for u in last["url"]}
    kinds = _kinds(gen)
    fates = Counter(
        (kinds.get(path_of[u], "dead" if path_of[u] in gen.dead_paths else "other"), f)
        for u, f in zip(last["url"], last["fate"], strict=True)
    )
    report = "fates (page kind, fate): " + ", ".join(
        f"{k}/{f}: {n}" for (k, f), n in sorted(fates.items())
    )
    print(report)
    fetched = set(path_of.values())
    assert gen.non_article_paths <= fetched, report  # the crawl saw every other page
    # No other page may be held as an article: stored, or a duplicate of a stored one.
    held = sorted(
        path_of[u]
        for u, f in zip(last["url"], last["fate"], strict=True)
        if f in ("article", "duplicate", "unchanged", "revised")
        and path_of[u] in gen.non_article_paths
    )
    arts = pd.read_parquet(data / "articles")
    stored = [urlsplit(u).path for u in arts["url"]]
    stored_set = set(stored)
    extra = sorted(stored_set & gen.non_article_paths)
    missing = sorted(gen.article_paths - stored_set)
    assert not extra and not missing, (
        f"{len(extra)} non-article pages stored (e.g. {extra[:8]}), {len(missing)} articles "
        f"missing (e.g. {missing[:5]}); {report}"
    )
    assert not held, f"{len(held)} non-article pages held as articles: {held[:8]}; {report}"
    assert len(stored) == len(gen.article_paths) == 300, report
    assert stored_set == gen.article_paths, report


@pytest.mark.slow
def test_a_small_page_budget_goes_to_the_listed_articles_first(tmp_path: Path) -> None:
    """The home page links 250 menu pages before its stories; the sitemap then lists the
    stories. With room for 60 pages, the 30 listed articles must be fetched first: a link
    queued before the sitemap named it is queued again at the sitemap entry's priority."""
    import pandas as pd

    sitegen = _bench("sitegen")
    realsite = _bench("realsite")
    gen = sitegen.NewsSiteGenerator(30, seed=SEED)
    with sitegen.BenchServer(gen) as server:
        proc = realsite.scrape(server.url + "/", tmp_path / "data", max_pages=60)
        fetched = Counter(urlsplit(r.path).path for r in server.log.snapshot())
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    arts = pd.read_parquet(tmp_path / "data" / "articles")
    assert {urlsplit(u).path for u in arts["url"]} == gen.article_paths, proc.stdout[-2000:]
    # each article downloaded once: the copy queued first was dropped unsent
    assert all(fetched[p] == 1 for p in gen.article_paths), fetched
    # the pages left out are not failures: recorded once each, and counted in the summary
    pages = pd.read_parquet(tmp_path / "data" / "pages")
    left = pages[pages["reason"] == "max_pages"]
    assert len(left) > 0 and set(left["fate"]) == {"not_fetched:max_pages"}
    assert left["url"].is_unique
    assert "failed" not in set(pages["fate"])
    assert f"page budget spent: {len(left)} page(s) found and not fetched" in proc.stdout
    assert "INFO" not in proc.stderr and "crawl:" not in proc.stderr  # -q: warnings only
