"""The page memory across real runs (``newsetl.revisit``): a generated realistic site on
127.0.0.1 (``benchmarks/sitegen``: mega-menu of section pages, a footer with links that
answer 404, JSON-LD), scraped by the flow again and again while its content changes.

A warm run over the unchanged site asks for robots.txt, the home page, the sitemaps and
the feed only, all conditionally; a new article listed in a sitemap and the feed is
found on the next run; one linked only from a section page is found once the section's
revisit interval has passed (driven by ``NEWSETL_LISTING_REVISIT_MAX``, not by waiting);
``incremental=False`` reads everything again; a run killed before its commit leaves the
memory as it was.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from benchmarks.sitegen import BenchServer, NewsSiteGenerator, Page
from newsetl.revisit import memory_path, read_memory
from newsetl.settings import state_dir
from tests.conftest import scrape_cli

pytestmark = pytest.mark.slow

SMALL = {"n_categories": 2, "n_sections": 3, "n_topics": 3, "n_authors": 2}
N = 12


def _gen(n: int = N) -> NewsSiteGenerator:
    return NewsSiteGenerator(n, **SMALL)


@pytest.fixture
def site():
    with BenchServer(_gen()) as srv:
        yield srv


def _run(srv: BenchServer, data: Path, **params: Any) -> tuple[dict[str, Any], dict[str, int]]:
    """One scrape of the site; its summary and the site's last answer by path."""
    from flows.etl import scrape

    srv.log.clear()
    summary = scrape(
        start_urls=[srv.url + "/"], data_dir=str(data), polite=False, max_pages=500, **params
    )
    answers = {rec.path: rec.status for rec in srv.log.snapshot()}  # the last (retries)
    return summary, answers


def _documents(gen: NewsSiteGenerator) -> set[str]:
    """What a warm run over the unchanged site may ask for."""
    sitemaps = {"/sitemap_index.xml", "/page-sitemap.xml", "/category-sitemap.xml"}
    sitemaps |= {"/post_tag-sitemap.xml", "/author-sitemap.xml", "/post-sitemap1.xml"}
    return {"/robots.txt", "/", "/feed/"} | sitemaps


def test_a_warm_run_asks_for_sitemaps_and_feed_only_and_full_reads_all(
    prefect_api: str, site: BenchServer, tmp_path: Path
) -> None:
    gen, data = site.generator, tmp_path / "data"
    first, asked = _run(site, data)
    assert first["articles_new"] == N
    dead, sections = set(gen.dead_paths), set(gen.section_paths)
    assert dead <= asked.keys() and sections <= asked.keys()
    assert {asked[p] for p in dead} == {404}

    second, asked = _run(site, data)
    assert second["articles_new"] == 0
    # the summary says what the memory spared: the documents that answered 304, and the
    # listings it did not ask at all (those it reached: the others hang below them)
    from newsetl.report import summary_markdown, summary_text

    spared = second["page_memory"]
    assert spared["unchanged"] == len(asked.keys() - {"/robots.txt"}), spared
    assert spared["left_alone"].get("not_due", 0) > 0, spared
    assert f"page memory: {sum(spared['left_alone'].values())} page(s) not asked this run" in (
        summary_text(second)
    )
    assert "| pages left alone (page memory) |" in summary_markdown(second)
    assert "page memory" not in summary_text(first)  # nothing remembered yet
    assert asked.keys() <= _documents(gen), sorted(asked.keys() - _documents(gen))
    # conditionally, and nothing was parsed: no article asked, no 404 asked again
    assert {s for p, s in asked.items() if p != "/robots.txt"} == {304}
    assert not asked.keys() & (dead | sections | gen.article_paths)

    memory = read_memory(memory_path(state_dir(), data)).entries
    roles = {site.url + p: e.role for p in dead | sections if (e := memory.get(site.url + p))}
    assert set(roles.values()) == {"gone", "listing"} and len(roles) == len(dead | sections)
    assert memory[site.url + "/feed/"].role == "feed"
    assert (
        memory[site.url + "/"].interval_s == 2 * memory[site.url + gen.section_paths[0]].interval_s
    )

    full, asked = _run(site, data, incremental=False)
    assert full["articles_new"] == 0
    assert (dead | sections | gen.article_paths) <= asked.keys()


def test_a_new_article_in_the_sitemap_and_feed_is_found_on_the_next_run(
    prefect_api: str, site: BenchServer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    assert _run(site, data)[0]["articles_new"] == N
    bigger = _gen(N + 1)
    new = bigger.articles[-1]
    pages = bigger.build(site.url)
    # The post sitemap and the feed list it; the home page and the listings do not.
    for path in (new.path, "/post-sitemap1.xml", "/feed/"):
        site.pages[path] = pages[path]

    second, asked = _run(site, data)
    assert second["articles_new"] == 1
    assert asked[new.path] == 200 and asked["/post-sitemap1.xml"] == 200
    assert asked["/"] == 304 and asked["/sitemap_index.xml"] == 304
    assert not asked.keys() & set(site.generator.section_paths)
    assert [p for p in asked if p in site.generator.article_paths] == []


def test_an_article_linked_only_from_a_listing_is_found_within_the_bound(
    prefect_api: str, site: BenchServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gen, data = site.generator, tmp_path / "data"
    assert _run(site, data)[0]["articles_new"] == N
    other = _gen(N + 2)
    new = other.articles[-1]
    site.pages[new.path] = other.build(site.url)[new.path]
    section = gen.section_paths[0]
    old = site.pages[section]
    teaser = f'<article class="teaser"><h3><a href="{new.path}">{new.title}</a></h3></article>'
    body = old.body.replace(
        b'<div class="section__list">', b'<div class="section__list">' + teaser.encode(), 1
    )
    assert body != old.body
    site.pages[section] = Page(body, old.content_type, time.time()).finish()
    home = site.pages["/"]  # changed too (a comment): parsed again, its sections resting
    site.pages["/"] = Page(home.body + b"<!-- -->", home.content_type, time.time()).finish()

    # Within the section's interval (1 hour after a visit that showed new links): not read.
    second, asked = _run(site, data)
    assert second["articles_new"] == 0 and section not in asked and new.path not in asked
    assert asked["/"] == 200

    # The bound (1 day by default) set to 1 s: as a day later, every listing is due.
    monkeypatch.setenv("NEWSETL_LISTING_REVISIT_MAX", "1s")
    third, asked = _run(site, data)
    assert third["articles_new"] == 1
    # The home page did not change: the sections are reached through what it linked to.
    assert asked["/"] == 304 and asked[section] == 200 and asked[new.path] == 200
    others = set(gen.section_paths) - {section}
    assert {asked[p] for p in others} == {304}  # asked conditionally, not parsed
    assert not asked.keys() & set(gen.dead_paths)  # 404s still within their back-off


def test_a_run_killed_before_its_commit_leaves_the_memory_as_it_was(
    cli_env: dict[str, str], site: BenchServer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    path = memory_path(state_dir(), data)
    crashed = scrape_cli(cli_env, [site.url + "/"], data, crash="write_locked")
    assert crashed.returncode != 0
    assert not path.exists()  # nothing remembered of pages whose articles were not stored
    done = scrape_cli(cli_env, [site.url + "/"], data)
    assert done.returncode == 0, done.stderr[-2000:]
    assert path.exists()
    before = path.read_bytes()
    site.log.clear()
    crashed = scrape_cli(cli_env, [site.url + "/"], data, crash="write_locked")
    assert crashed.returncode != 0 and path.read_bytes() == before


def test_an_article_that_failed_is_fetched_on_the_next_run(
    prefect_api: str, site: BenchServer, tmp_path: Path
) -> None:
    """What a listing or sitemap led to and could not be stored keeps it unsettled: it is
    fetched whole and parsed again, even though its body did not change."""
    data = tmp_path / "data"
    path = sorted(site.generator.article_paths)[0]
    page = site.pages[path]
    site.pages[path] = Page(b"", page.content_type, page.modified, status=503).finish()
    first, asked = _run(site, data)
    assert first["articles_new"] == N - 1 and asked[path] == 503
    site.pages[path] = page
    second, asked = _run(site, data)
    assert second["articles_new"] == 1 and asked[path] == 200
    # the document that led to it was fetched whole and parsed again, not answered 304
    parsed = {p for p, status in asked.items() if status == 200} - {path, "/robots.txt"}
    assert parsed and parsed <= _documents(site.generator) | set(site.generator.section_paths)
