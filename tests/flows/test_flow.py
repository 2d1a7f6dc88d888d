"""End to end under Prefect's test harness: real crawls of the fixture sites, real Parquet.

One flow run scrapes the Wix-like blog, the WordPress-like news site that republishes the
blog's story, and the site of failing pages; a second run of the same scrape follows. The
assertions read the Parquet files back.
"""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urlsplit

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from newsetl.demo.sites import DUPLICATES, EXPECTED
from newsetl.urls import article_id, canonicalize_url

pytestmark = pytest.mark.slow

SEED_PATH = DUPLICATES[0][0][1]
REPUBLISHED_PATH = DUPLICATES[0][1][1]
BOILERPLATE = ("top of page", "Post: Blog2_Post", "bottom of page")


@pytest.fixture(scope="module")
def data(scraped):
    d = scraped["data"]
    return {
        "articles": pd.read_parquet(d / "articles"),
        "duplicates": pd.read_parquet(d / "duplicates"),
        "pages": pd.read_parquet(d / "pages"),
        **scraped,
    }


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _by_site(data, server) -> pd.DataFrame:
    arts = data["articles"]
    return arts[arts["url"].str.startswith(server.url + "/")]


def test_exactly_the_sites_articles_are_stored(data, wix_server, news_server, error_server):
    for name, server in (("wix", wix_server), ("news", news_server), ("errors", error_server)):
        expected = set(EXPECTED[name]["articles"])
        if name == "news":
            expected.discard(REPUBLISHED_PATH)  # a copy of the blog's story: a duplicate
        got = {_path(u) for u in _by_site(data, server)["url"]}
        # A moved article is stored under the URL it was reached at.
        got = {EXPECTED[name]["redirects"].get(p, p) if p not in expected else p for p in got}
        assert got == expected, name
        assert not got & EXPECTED[name]["non_articles"], "a listing/about/profile page was stored"
    assert data["articles"]["article_id"].is_unique


def test_seed_article_body_is_clean(data, wix_server):
    arts = data["articles"]
    seed = arts[arts["url"] == wix_server.url + SEED_PATH]
    assert len(seed) == 1
    text = seed.iloc[0]["text"]
    for junk in BOILERPLATE:
        assert junk not in text
    # The paragraph repeated with a word changed is kept once: the first occurrence.
    assert text.count("Though the unrest was triggered by") == 1
    assert "Though the unrest was triggered by the price rise" in text
    paragraphs = EXPECTED["wix"]["articles"][SEED_PATH]["paragraphs"]
    kept = [p for p in paragraphs if not p.startswith("Though the unrest was triggered by a fuel")]
    assert len(kept) == len(paragraphs) - 1
    for para in kept:
        assert para in text, para[:60]
    assert "\n\n" in text


def test_metadata_matches_the_truth(data, wix_server, news_server, error_server):
    checked = images = 0
    for name, server in (("wix", wix_server), ("news", news_server), ("errors", error_server)):
        for _, row in _by_site(data, server).iterrows():
            path = _path(row["url"])
            truth = EXPECTED[name]["articles"][path]
            assert row["title"] == truth["title"], path
            assert list(row["authors"]) == truth["authors"], path
            assert row["published_at"] == pd.Timestamp(
                datetime.fromisoformat(truth["published_at"])
            ), path
            assert row["language"] == truth["language"], path
            assert row["word_count"] == len(row["text"].split())
            # The page's own metadata, as its og:/JSON-LD tags give it.
            assert row["site_name"] and row["description"], path
            if isinstance(row["image"], str):
                assert row["image"].startswith(server.url + "/"), path
                images += 1
            checked += 1
    assert checked >= 12 and images >= 10
    assert str(data["articles"]["published_at"].dt.tz) == "UTC"


def test_republished_story_is_recorded_as_a_duplicate(data, wix_server, news_server):
    dups = data["duplicates"]
    first_run = dups[dups["run_id"] == data["first"]["run_id"]]
    row = first_run[first_run["url"] == news_server.url + REPUBLISHED_PATH]
    assert len(row) == 1
    arts = data["articles"]
    seed_id = arts.loc[arts["url"] == wix_server.url + SEED_PATH, "article_id"].item()
    assert row.iloc[0]["duplicate_of"] == seed_id
    assert row.iloc[0]["kind"] == "near_duplicate"
    assert 0.5 < row.iloc[0]["similarity"] <= 1.0
    # Nothing silently lost: every article page is either stored or recorded as a duplicate.
    pages = data["pages"]
    first_pages = pages[pages["run_id"] == data["first"]["run_id"]]
    assert set(first_pages["fate"]) >= {"article", "duplicate"}
    assert (first_pages["fate"] == "duplicate").sum() == len(first_run)


def test_second_run_adds_nothing_and_downloads_no_article(data, wix_server):
    assert data["first"]["articles_new"] == len(data["articles"])
    second = data["second"]
    assert (second["articles_new"], second["articles_revised"], second["duplicates"]) == (0, 0, 0)
    # Incremental: every stored article and recorded copy is known, so none was fetched;
    # sitemaps and listings that did not change are not even parsed (the page memory), so
    # only the known articles of those that did are counted as skipped.
    assert second["skipped_known"] <= len(data["articles"]) + data["first"]["duplicates"]
    later = wix_server.requests[data["wix_requests_first"] :]
    assert later, "feeds and sitemaps are still asked for"
    assert not [r.path for r in later if r.path.startswith("/post/")]
    assert {r.path for r in later} >= {"/", "/blog-feed.xml", "/robots.txt"}
    second_dups = data["duplicates"][data["duplicates"]["run_id"] == second["run_id"]]
    assert second_dups.empty


def test_fetch_log_records_every_failure(data, error_server):
    pages = data["pages"]
    first = pages[pages["run_id"] == data["first"]["run_id"]]
    site = first[first["url"].str.startswith(error_server.url + "/")]
    reasons = {_path(u): r for u, r in zip(site["url"], site["reason"], strict=True)}
    for path, reason in EXPECTED["errors"]["errors"].items():
        if path == "/loop-b":
            continue  # reached only inside the loop that starts at /loop-a
        assert reasons.get(path) == reason, path
    # robots.txt obeyed: the disallowed page was never requested.
    assert error_server.count("/private/secret-post/") == 0
    # The flaky page failed twice (503), was retried, and became an article.
    flaky = site[site["url"] == error_server.url + "/flaky"]
    assert flaky.iloc[0]["status"] == 200 and flaky.iloc[0]["fate"] == "article"
    assert error_server.count("/flaky") >= 3
    assert set(first["kind"]) >= {"page", "robots", "sitemap", "feed"}
    for col in ("url", "status", "content_type", "bytes", "fetched_at", "reason"):
        assert col in pages.columns
    assert str(pages["fetched_at"].dt.tz) == "UTC"


def test_polite_identity_seen_by_server(data, wix_server):
    agents = {r.user_agent for r in wix_server.requests}
    assert agents and all(a and a.startswith("newsetl/") for a in agents)


def test_summary_counts(data):
    s = data["first"]
    assert s["pages_fetched"] >= 40
    assert s["articles_new"] == len(data["articles"])
    assert s["duplicates"] == 1
    assert s["errors_by_reason"]["http_500"] == 1
    assert s["crawl_finish_reason"] == "finished"


def test_readers_agree(data):
    d = data["data"]
    n = len(data["articles"])
    con = duckdb.connect()
    got = con.execute(
        f"select count(*), count(distinct source) from "
        f"read_parquet('{d}/articles/**/*.parquet', hive_partitioning=true)"
    ).fetchone()
    assert got == (n, 3)
    lf = pl.scan_parquet(f"{d}/articles/**/*.parquet", hive_partitioning=True)
    assert lf.select(pl.len()).collect().item() == n
    pages = con.execute(
        f"select count(*) from read_parquet('{d}/pages/**/*.parquet', hive_partitioning=true)"
    ).fetchone()[0]
    assert pages == len(data["pages"]) > n


def test_flow_runs_and_artifacts_in_prefect(data, prefect_api):
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs()
        artifacts = client.read_artifacts()
    ids = {data["first"]["run_id"], data["second"]["run_id"]}
    names = [r.name for r in runs]
    assert sum(1 for n in names if n.startswith("scrape-127.0.0.1-")) >= 2
    ours = [r for r in runs if (r.parameters or {}).get("data_dir") == str(data["data"])]
    assert len(ours) == 2 and all(r.state.is_completed() for r in ours)
    bodies = [a.data for a in artifacts if a.type == "markdown"]
    assert any(any(i in (b or "") for i in ids) for b in bodies)
    assert any("Errors by reason" in (b or "") for b in bodies)


def test_amp_twin_is_the_same_article(prefect_api, news_server, tmp_path):
    from flows.etl import scrape

    story = news_server.url + REPUBLISHED_PATH
    summary = scrape(start_urls=[story, story + "amp/"], data_dir=str(tmp_path / "d"), polite=False)
    assert summary["articles_new"] == 1
    assert summary["duplicates"] == 1
    dups = pd.read_parquet(tmp_path / "d" / "duplicates")
    assert dups.iloc[0]["kind"] == "same_url"
    arts = pd.read_parquet(tmp_path / "d" / "articles")
    assert dups.iloc[0]["duplicate_of"] == arts.iloc[0]["article_id"]
    # stored as the page declares it (trailing slash kept), not in its normalised form
    assert arts.iloc[0]["canonical_url"] == story != canonicalize_url(story)
    assert arts.iloc[0]["article_id"] == article_id(canonicalize_url(story))


def test_damaged_index_is_rebuilt_with_a_log_line(prefect_api, wix_server, tmp_path, caplog):
    import pyarrow.parquet as pq

    from flows.etl import scrape

    d = tmp_path / "d"
    feed = [wix_server.url + "/blog-feed.xml"]
    first = scrape(start_urls=feed, data_dir=str(d), polite=False)
    assert first["articles_new"] == 6
    index_files = list((d / "_index").glob("*.parquet"))
    assert index_files
    index_files[0].write_bytes(b"PAR1 damaged")
    caplog.clear()
    second = scrape(start_urls=feed, data_dir=str(d), polite=False, incremental=False)
    assert "rebuilding it from 6 stored article(s)" in caplog.text
    assert (second["articles_new"], second["unchanged"]) == (0, 6)
    for path in (d / "_index").glob("*.parquet"):
        assert pq.read_table(path).num_rows >= 6  # the damaged file was replaced
    caplog.clear()
    third = scrape(start_urls=feed, data_dir=str(d), polite=False, incremental=False)
    assert "rebuilding" not in caplog.text
    assert third["articles_new"] == 0


def test_an_edited_post_becomes_a_new_revision(prefect_api, tmp_path):
    from datetime import UTC, datetime

    from flows.etl import scrape
    from newsetl.demo.server import SiteServer
    from newsetl.demo.sites import edit_post, find_post, wix_blog

    site = wix_blog()
    d = tmp_path / "d"
    with SiteServer(site) as srv:
        base = srv.url
        root = [base + "/"]
        assert scrape(start_urls=root, data_dir=str(d), polite=False)["articles_new"] == 6
        post = next(p for p in site.data["posts"] if p.lang == "en" and "government" not in p.slug)
        old_text = (
            pd.read_parquet(d / "articles")
            .set_index("url")
            .loc[base + f"/post/{post.slug}", "text"]
        )
        correction = (
            "Correction: an earlier version of this post gave the wrong year for the opening."
        )
        edit_post(
            site,
            post.slug,
            paragraphs=[*find_post(site, post.slug).paragraphs, correction],
            updated=datetime.now(UTC),  # the sitemap's lastmod moves with it
        )
        seen = len(srv.requests)
        second = scrape(start_urls=root, data_dir=str(d), polite=False)
        refetched = {r.path for r in srv.requests[seen:] if r.path.startswith("/post/")}
    # Only the edited post (its sitemap lastmod moved) was downloaded again.
    assert refetched == {f"/post/{post.slug}"}
    assert (second["articles_new"], second["articles_revised"]) == (0, 1)
    arts = pd.read_parquet(d / "articles")
    assert arts["article_id"].is_unique and len(arts) == 6  # the latest revision by default
    row = arts.set_index("url").loc[base + f"/post/{post.slug}"]
    assert row["revision"] == 2 and correction in row["text"]
    revs = pd.read_parquet(d / "revisions")
    assert len(revs) == 1  # nothing overwritten: the first text is kept
    old = revs.iloc[0]
    assert old["article_id"] == row["article_id"] and old["revision"] == 1
    assert old["text"] == old_text and old["superseded_by_run"] == second["run_id"]
    # Every revision, queryable in one place.
    con = duckdb.connect()
    n = con.execute(
        f"select count(*) from (select article_id, revision from read_parquet('{d}/articles/**/*.parquet') "
        f"union all select article_id, revision from read_parquet('{d}/revisions/**/*.parquet')) "
        f"where article_id = '{row['article_id']}'"
    ).fetchone()[0]
    assert n == 2


def test_every_fetch_is_archived_as_warc(data, wix_server):
    from warcio.archiveiterator import ArchiveIterator

    from newsetl.archive import iter_archived_pages

    d = data["data"]
    for run in (data["first"], data["second"]):
        files = list((d / "archive").glob(f"date=*/{run['run_id']}.warc.gz"))
        assert len(files) == 1, run["run_id"]
    first = next((d / "archive").glob(f"date=*/{data['first']['run_id']}.warc.gz"))
    with open(first, "rb") as fh:  # a standard WARC reader reads it
        types = {rec.rec_type for rec in ArchiveIterator(fh)}
    assert {"warcinfo", "request", "response", "metadata"} <= types
    pages = {p.final_url: p for p in iter_archived_pages(first)}
    seed = pages[wix_server.url + SEED_PATH]
    assert seed.status == 200 and b"Post: Blog2_Post" in seed.body  # the raw page, as served
    assert seed.header("content-type").startswith("text/html")


def test_reprocess_rebuilds_the_dataset_from_the_archive(data, wix_server, tmp_path):
    import shutil

    import pyarrow.parquet as pq

    from newsetl.reprocess import reprocess

    d = tmp_path / "copy"
    shutil.copytree(data["data"], d)
    before = pd.read_parquet(d / "articles")
    # Pretend an older extractor had left boilerplate in the seed article's body.
    seed_url = wix_server.url + SEED_PATH
    for path in (d / "articles").rglob("*.parquet"):
        t = pq.read_table(path).to_pandas()
        if seed_url in set(t["url"]):
            t.loc[t["url"] == seed_url, "text"] = "top of page\n\nold text\n\nbottom of page"
            t.loc[t["url"] == seed_url, "content_hash"] = "stale"
            pq.write_table(
                pa.Table.from_pandas(t, preserve_index=False).cast(pq.read_schema(path)), path
            )
    report = reprocess(d)
    assert report["runs_replayed"] == 2
    assert report["text_changed"] == 1
    assert report["articles_after"] == report["articles_before"] == len(before)
    assert report["articles_new"] == report["articles_gone"] == 0
    assert report["duplicates_after"] == 1 and report["new_duplicates"] == 0
    after = pd.read_parquet(d / "articles")
    seed = after[after["url"] == seed_url].iloc[0]
    assert "top of page" not in seed["text"] and "Though the unrest" in seed["text"]
    assert set(after["article_id"]) == set(before["article_id"])
    assert (
        after.set_index("article_id")["content_hash"].to_dict()
        == before.set_index("article_id")["content_hash"].to_dict()
    )
    assert len(pd.read_parquet(d / "duplicates")) == 1
    # Only the new version is visible; the pages log is untouched.
    assert len(pd.read_parquet(d / "pages")) == len(data["pages"])


def test_three_crawlers_sharing_redis_store_what_one_crawler_stores(
    prefect_api, data, wix_server, news_server, error_server, redis_url, tmp_path
):
    from flows.etl import scrape

    d = tmp_path / "d"
    seen = {s: len(s.requests) for s in (wix_server, news_server, error_server)}
    summary = scrape(
        start_urls=[wix_server.url + "/", news_server.url + "/", error_server.url + "/"],
        data_dir=str(d),
        max_pages=100,
        polite=False,
        crawlers=3,
        redis_url=redis_url,
    )
    arts = pd.read_parquet(d / "articles")
    single = data["articles"]
    assert set(arts["article_id"]) == set(single["article_id"])
    assert summary["duplicates"] == data["first"]["duplicates"]
    # No page was fetched twice across the three processes (robots.txt: once per process).
    for srv in (wix_server, news_server):
        paths = [r.path for r in srv.requests[seen[srv] :] if r.path != "/robots.txt"]
        assert len(paths) == len(set(paths)), srv.url
    # Their archives became one WARC file of the run.
    assert len(list((d / "archive").glob(f"date=*/{summary['run_id']}.warc.gz"))) == 1


def test_every_weighed_page_records_its_evidence(data):
    pages = data["pages"]
    weighed = pages[pages["evidence"].notna()]
    assert len(weighed) > 0
    for fate, raw in zip(weighed["fate"], weighed["evidence"], strict=True):
        ev = json.loads(raw)
        assert ev["score"] == sum(ev["signals"].values())
        assert fate.startswith(("article", "duplicate", "unchanged", "revised", "not_article:"))
        if fate.startswith("not_article:") and fate != "not_article:too_little_text":
            assert ev["score"] < ev["threshold"], (fate, ev)
    # Pages that were never weighed (robots.txt, sitemaps, failed fetches) carry none.
    assert pages[pages["kind"] != "page"]["evidence"].isna().all()


def test_reprocess_recovers_articles_an_older_version_rejected(data, tmp_path):
    """The raw pages are archived: after a fix of the article decision, ``reprocess``
    brings back what an older version had rejected, and ``status`` stops warning."""
    import shutil

    import pyarrow.parquet as pq

    from newsetl.reprocess import reprocess
    from newsetl.status import dataset_status

    d = tmp_path / "copy"
    shutil.copytree(data["data"], d)
    before = pd.read_parquet(d / "articles")
    lost = set(sorted(before["url"])[:3])
    # What an older version wrote: those pages rejected as link-heavy, presented by the
    # site as articles, and no article rows for them.
    for path in (d / "articles").rglob("*.parquet"):
        t = pq.read_table(path)
        keep = pc.invert(pc.is_in(t["url"], value_set=pa.array(sorted(lost))))
        pq.write_table(t.filter(keep), path)
    stale = json.dumps({"score": -1, "threshold": 2, "signals": {}, "presented_as_article": True})
    for path in (d / "pages").rglob("*.parquet"):
        t = pq.read_table(path).to_pandas()
        hit = t["url"].isin(lost) | t["final_url"].isin(lost)
        if hit.any():
            t.loc[hit, "fate"] = "not_article:mostly_links"
            t.loc[hit, "evidence"] = stale
            pq.write_table(
                pa.Table.from_pandas(t, preserve_index=False).cast(pq.read_schema(path)), path
            )
    status = dataset_status(d)
    assert sum(s["rejected_presented"] for s in status["sources"].values()) == len(lost)
    report = reprocess(d)
    assert report["articles_new"] == len(lost)
    after = pd.read_parquet(d / "articles")
    assert lost <= set(after["url"])
    assert set(after["article_id"]) == set(before["article_id"])
    status = dataset_status(d)
    assert sum(s["rejected_presented"] for s in status["sources"].values()) == 0


def test_the_run_summary_counts_pages_that_are_not_articles(data):
    from newsetl.report import summary_markdown, summary_text

    first = data["first"]
    pages = data["pages"]
    run = pages[pages["run_id"] == first["run_id"]]
    rejected = run[run["fate"].str.startswith("not_article:", na=False)]
    assert sum(first["not_articles_by_reason"].values()) == len(rejected) > 0
    # The fixture sites present no non-article as an article: nothing to warn about.
    assert first["rejected_presented"] == 0
    assert "not articles: " in summary_text(first) and "warning" not in summary_text(first)
    assert "## Not articles" in summary_markdown(first)
    warned = dict(first, rejected_presented=2, rejected_presented_examples=["http://a/x"])
    assert "2 page(s) the site presented as articles" in summary_text(warned)
    assert "http://a/x" in summary_markdown(warned)


_STORY_LINES = (
    "Member {n} of the harbour board spoke about the {t} on Tuesday, asking how the plan "
    "would change its budget by {p} percent and whether {c} crews hired in spring suffice.",
    "Dredgers working the {t} reported {c} new shoals since January; engineers put the "
    "extra cost near {p} thousand and warned that contractor number {n} may walk away.",
)


def _story_page(base: str, path: str, title: str, extra: str = "", variant: int = 0) -> str:
    topics = (
        "ferry timetable",
        "berth repairs",
        "eastern channel",
        "winter storms",
        "pilot boats",
        "cargo sheds",
        "fishing quota",
        "tide gauges",
    )
    paras = "".join(
        "<p>" + _STORY_LINES[variant].format(n=i + 1, t=t, p=3 * i + 2, c=10 + i) + "</p>"
        for i, t in enumerate(topics)
    )
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": title,
            "datePublished": "2020-03-01T09:00:00+00:00",
            "author": {"@type": "Person", "name": "Ada Vance"},
        }
    )
    return (
        f'<html lang="en"><head><title>{title}</title>'
        f'<link rel="canonical" href="{base}{path}">'
        '<meta property="og:type" content="article">'
        f'<script type="application/ld+json">{ld}</script></head>'
        f"<body><article><h1>{title}</h1>{paras}{extra}</article></body></html>"
    )


def test_an_edit_listed_with_a_past_date_only_lastmod_is_a_new_revision(prefect_api, tmp_path):
    """A sitemap whose lastmod values are dates only, all before our first fetch: the edit
    moves one lastmod by a day. Compared with the lastmod recorded at the last fetch (not
    with our clock), the edited story is fetched again and stored as revision 2; the
    unchanged one is not fetched again, nor the edited one on a third run."""
    from flows.etl import scrape
    from newsetl.demo.server import Resource, Site, SiteServer

    paths = [
        "/news/2020/03/01/harbour-board-weighs-ferry-timetable/",
        "/news/2020/03/01/dredging-of-the-eastern-channel-delayed/",
    ]

    def sitemap(base: str, lastmods: list[str]) -> Resource:
        rows = "".join(
            f"<url><loc>{base}{p}</loc><lastmod>{d}</lastmod></url>"
            for p, d in zip(paths, lastmods, strict=True)
        )
        return Resource(
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + rows
            + "</urlset>",
            content_type="application/xml",
        )

    def build(site: Site, base: str) -> dict[str, Resource]:
        res = {
            "/robots.txt": Resource(
                f"User-agent: *\nAllow: /\nSitemap: {base}/post-sitemap.xml\n",
                content_type="text/plain",
            ),
            "/post-sitemap.xml": sitemap(base, ["2020-03-01", "2020-03-01"]),
        }
        for v, (p, title) in enumerate(
            zip(paths, ("Ferry timetable", "Channel dredging"), strict=True)
        ):
            res[p] = Resource(_story_page(base, p, title, variant=v))
        return res

    site = Site("dated", build=build)
    d = tmp_path / "d"
    with SiteServer(site) as srv:
        base = srv.url
        first = scrape(start_urls=[base + "/"], data_dir=str(d), polite=False)
        assert first["articles_new"] == 2, {
            k: first.get(k)
            for k in (
                "not_articles_by_reason",
                "duplicates",
                "errors_by_reason",
                "skipped_by_reason",
                "html_pages",
            )
        }
        correction = "<p>Correction: the board meets on Wednesdays, not on Tuesdays.</p>"
        site[paths[0]] = Resource(_story_page(base, paths[0], "Ferry timetable", correction))
        site["/post-sitemap.xml"] = sitemap(base, ["2020-03-02", "2020-03-01"])
        seen = len(srv.requests)
        second = scrape(start_urls=[base + "/"], data_dir=str(d), polite=False)
        refetched = [r.path for r in srv.requests[seen:] if r.path.startswith("/news/")]
        seen = len(srv.requests)
        third = scrape(start_urls=[base + "/"], data_dir=str(d), polite=False)
        third_fetched = [r.path for r in srv.requests[seen:] if r.path.startswith("/news/")]
    assert refetched == [paths[0]]
    assert (second["articles_new"], second["articles_revised"]) == (0, 1)
    arts = pd.read_parquet(d / "articles").set_index("url")
    assert arts.loc[base + paths[0], "revision"] == 2
    assert "Correction" in arts.loc[base + paths[0], "text"]
    assert arts.loc[base + paths[1], "revision"] == 1
    assert third_fetched == [] and third["articles_revised"] == 0
    pages = pd.read_parquet(d / "pages")
    listed = pages[pages["url"] == base + paths[0]]["listed_date"].dropna()
    assert sorted(str(t.date()) for t in listed) == ["2020-03-01", "2020-03-02"]
