"""Incremental crawling (``--known``) and the raw page archive (``archive.warc.gz``).

Real SiteServers on 127.0.0.1, the runner as a child process with ``--no-delay`` (as in
tests/spiders/test_spider.py). One full crawl of the Wix-like blog is shared by the archive tests
and the incremental test (module fixture); the incremental test then crawls twice more.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from newsetl.archive import ARCHIVE_NAME, ArchivedPage, iter_archived_pages
from newsetl.dates import parse_listed_date as parse_date
from newsetl.demo.server import Resource, SiteServer
from newsetl.demo.sites import EXPECTED, Post, add_post, edit_post, wix_blog
from newsetl.models import FetchedPage
from newsetl.urls import clean_url, url_key
from spiders.incremental import newer, read_known

from .test_spider import by_path, crawl, path_of

pytestmark = pytest.mark.slow

ARTICLES = sorted(EXPECTED["wix"]["articles"])
PDF = "/files/annual-report.pdf"


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A full crawl of the blog from its root (plus a PDF start URL), server still up."""
    site = wix_blog()
    with SiteServer(site) as srv:
        site[PDF] = Resource(b"%PDF-1.4\n" + b"0" * 200_000, content_type="application/pdf")
        out = tmp_path_factory.mktemp("first")
        res = crawl(out, [srv.url + "/", srv.url + PDF])
        yield {"site": site, "srv": srv, **res}


def known_lines(records: list[FetchedPage], srv: SiteServer) -> list[dict[str, Any]]:
    """What the flow writes before a crawl: one line per URL fetched before."""
    lines = []
    for rec in records:
        if rec.status is None:
            continue
        url = rec.final_url or rec.url
        lines.append(
            {
                "url": url,
                "is_article": path_of(url, srv) in EXPECTED["wix"]["articles"],
                "etag": rec.etag,
                "last_modified": rec.last_modified,
                "fetched_at": rec.fetched_at,
            }
        )
    return lines


def write_known(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------
# The archive


def test_archive_is_a_standard_warc(first: dict[str, Any]) -> None:
    out, records = first["out"], first["records"]
    with open(out / ARCHIVE_NAME, "rb") as fh:
        recs = [
            (
                r.rec_type,
                dict(r.rec_headers.headers),
                r.http_headers,
                r.content_stream().read(),
            )
            for r in ArchiveIterator(fh, check_digests="raise")  # digests must verify
        ]
    assert recs[0][0] == "warcinfo"
    info = recs[0][3].decode()
    assert "software: newsetl/" in info and "format: WARC File Format 1.0" in info
    assert "Content-Encoding" in info  # says the payloads are stored decoded
    fetches = recs[1:]
    assert len(fetches) % 3 == 0
    responses = {}
    for (t1, req, req_http, _), (t2, resp, resp_http, body), (t3, meta, _, mdata) in zip(
        fetches[0::3], fetches[1::3], fetches[2::3], strict=True
    ):
        assert (t1, t2, t3) == ("request", "response", "metadata")
        uri = resp["WARC-Target-URI"]
        assert req["WARC-Target-URI"] == uri == meta["WARC-Target-URI"]
        assert req["WARC-Concurrent-To"] == resp["WARC-Record-ID"]
        assert meta["WARC-Concurrent-To"] == meta["WARC-Refers-To"] == resp["WARC-Record-ID"]
        assert meta["Content-Type"] == "application/json"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", resp["WARC-Date"])
        assert req_http.protocol == "GET" and req_http.get_header("User-Agent")
        # consistent HTTP headers: the body is stored decoded
        assert resp_http.get_header("Content-Encoding") is None
        assert resp_http.get_header("Content-Length") == str(len(body))
        data = json.loads(mdata)
        assert data["final_url"] == uri and data["kind"] in ("page", "sitemap", "feed", "robots")
        responses[uri] = (resp, resp_http, body, data)
    # every fetch that got an answer is in the archive, and nothing else
    answered = {r.final_url for r in records if r.status is not None}
    assert set(responses) == answered
    srv = first["srv"]
    robots = responses[srv.url + "/robots.txt"]
    assert robots[3]["kind"] == "robots" and robots[1].get_statuscode() == "200"
    # gzip on the wire (the server compresses HTML): the original length is kept aside
    home = responses[srv.url + "/"]
    assert int(home[1].get_header("X-Archive-Orig-Content-Length")) < len(home[2])
    # a PDF is archived as headers only, marked truncated
    pdf = responses[srv.url + PDF]
    assert pdf[0]["WARC-Truncated"] == "length" and pdf[2] == b""
    assert pdf[1].get_header("Content-Type") == "application/pdf"


def test_archive_round_trip(first: dict[str, Any]) -> None:
    out, records = first["out"], first["records"]
    pages = list(iter_archived_pages(out / ARCHIVE_NAME))
    assert all(isinstance(p, ArchivedPage) for p in pages)
    by_final = {p.final_url: p for p in pages}
    assert len(by_final) == len(pages) == sum(1 for r in records if r.status is not None)
    kept = [r for r in records if r.body_path]
    assert len(kept) == first["stats"]["html_pages"] > len(ARTICLES)
    for rec in records:
        if rec.status is None:
            continue
        page = by_final[rec.final_url]
        # the metadata record is the pages.jsonl line: a reprocess needs nothing else
        assert page.to_fetched_page() == rec
        assert page.url == rec.url and page.kind == rec.kind and page.status == rec.status
        assert page.start_url == rec.start_url and page.fetched_at == rec.fetched_at
        assert page.in_sitemap == rec.in_sitemap and page.lastmod == rec.lastmod
        if rec.body_path:
            assert page.body == (out / rec.body_path).read_bytes()  # byte for byte
    post = by_final[first["srv"].url + ARTICLES[0]]
    assert post.in_sitemap and post.lastmod and post.header("content-type").startswith("text/html")


def test_truncated_archive_reads_up_to_the_damage(
    first: dict[str, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = (first["out"] / ARCHIVE_NAME).read_bytes()
    full = list(iter_archived_pages(first["out"] / ARCHIVE_NAME))
    for cut in (len(data) // 2, len(data) // 3 + 7, 10):
        broken = tmp_path / f"cut-{cut}.warc.gz"
        broken.write_bytes(data[:cut])
        with caplog.at_level(logging.WARNING, logger="newsetl.archive"):
            got = list(iter_archived_pages(broken))
        assert len(got) < len(full)
        for a, b in zip(got, full, strict=False):  # a prefix, every body complete
            assert (a.final_url, a.body, a.status) == (b.final_url, b.body, b.status)
    assert "damaged" in caplog.text
    # cut inside the last (metadata) record: the response is intact, its metadata lost
    last = data.rindex(b"\x1f\x8b\x08")  # start of the last gzip member (one per record)
    (tmp_path / "end.warc.gz").write_bytes(data[: (last + len(data)) // 2])
    got = list(iter_archived_pages(tmp_path / "end.warc.gz"))
    assert [p.body for p in got] == [p.body for p in full]
    assert got[-1].meta == {} and got[-2].meta == full[-2].meta
    assert got[-1].to_fetched_page().final_url == full[-1].final_url
    # garbage in the middle (not just a short file) stops the reader too, without raising
    bad = bytearray(data)
    bad[len(data) // 2 : len(data) // 2 + 64] = b"\0" * 64
    (tmp_path / "bad.warc.gz").write_bytes(bytes(bad))
    got = list(iter_archived_pages(tmp_path / "bad.warc.gz"))
    assert 0 < len(got) < len(full)
    assert all(a.body == b.body for a, b in zip(got, full, strict=False))


# ---------------------------------------------------------------------------------------
# Incremental crawling


def test_incremental_recrawl(first: dict[str, Any], tmp_path: Path) -> None:
    site, srv = first["site"], first["srv"]
    known = write_known(tmp_path / "known.jsonl", known_lines(first["records"], srv))
    post_etags = {p: r.etag for p, r in by_path(first["records"], srv).items()}
    listings = {"/", "/blog", "/blog-feed.xml", "/sitemap.xml", "/blog-posts-sitemap.xml"}

    # 1. Nothing changed: no post page is requested; listings, feed, sitemaps are, but
    #    not the listings' further pages (/blog links only to known posts).
    srv.clear_log()
    res = crawl(tmp_path / "b", [srv.url + "/"], "--known", str(known))
    asked = {r.path for r in srv.requests}
    assert not asked & set(ARTICLES), asked & set(ARTICLES)
    assert listings | {"/robots.txt"} <= asked
    assert not any(p.startswith("/blog/page/") for p in asked), asked
    assert "/blog/page/2" in {path_of(r.url, srv) for r in first["records"]}
    assert not any("If-None-Match" in r.headers for r in srv.requests)
    stats = res["stats"]
    assert stats["not_scheduled"]["pagination_all_known"] >= 1
    assert stats["skipped_known"] == len(ARTICLES)
    assert sorted(path_of(u, srv) for u in stats["skipped_known_urls"]) == ARTICLES
    assert stats["sites"][srv.url + "/"]["skipped_known"] == len(ARTICLES)
    assert stats["known_articles"] == len(ARTICLES) and stats["conditional_requests"] == 0
    got = by_path(res["records"], srv)
    assert not set(got) & set(ARTICLES)  # skipped known articles are not logged
    assert stats["errors"] == 0 and stats["finish_reason"] == "finished"

    # 2. One post edited (sitemap lastmod newer), one listed with a newer feed date but
    #    unchanged, one new post, and a start URL that is a known, unchanged article.
    #    (Post pages list the three newest other posts: the edited post is the oldest and
    #    the new one older still, so no other post page changes.)
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
    by_age = sorted(site.data["posts"], key=lambda p: p.published)
    edited, touched, start_article = (f"/post/{p.slug}" for p in by_age[:3])
    old_bodies = {p: site[p].body for p in ARTICLES}
    edit_post(site, by_age[0].slug, paragraphs=["Rewritten.", "Entirely."], updated=soon)
    new = add_post(
        site,
        Post(
            slug="a-late-find-from-the-almaty-archives",
            title="A late find from the Almaty archives",
            authors=by_age[1].authors,
            published=by_age[0].published - timedelta(days=30),
            paragraphs=["The archive held a box of letters. " * 5, "Some were never sent. " * 5],
            categories=by_age[1].categories,
        ),
    )
    new_path = f"/post/{new.slug}"
    feed = site["/blog-feed.xml"]
    item = re.compile(
        rf"(<link>{re.escape(srv.url + touched)}</link>.*?<pubDate>)[^<]*(</pubDate>)", re.S
    )
    feed.body = item.sub(rf"\g<1>{format_datetime(soon, usegmt=True)}\g<2>", feed.text, count=1)
    assert format_datetime(soon, usegmt=True) in feed.text
    assert {p for p in ARTICLES if site[p].body != old_bodies[p]} == {edited}

    srv.clear_log()
    res = crawl(tmp_path / "c", [srv.url + "/", srv.url + start_article], "--known", str(known))
    log = srv.requests
    asked = [r.path for r in log]
    # exactly the edited, the touched, the new post and the start article were fetched
    assert sorted(p for p in asked if p.startswith("/post/")) == sorted(
        [edited, touched, start_article, new_path]
    )
    headers = {r.path: r.headers for r in log}
    status = {r.path: r.status for r in log}
    for path in (edited, touched, start_article):
        assert headers[path]["If-None-Match"] == post_etags[path], path
        assert headers[path]["If-Modified-Since"]
    assert "If-None-Match" not in headers[new_path]
    assert (status[edited], status[touched], status[start_article]) == (200, 304, 304)
    assert not any("If-None-Match" in headers[p] for p in listings)
    got = by_path(res["records"], srv)
    out = tmp_path / "c"
    assert got[edited].status == 200 and got[edited].reason is None
    assert (out / got[edited].body_path).read_bytes() == site[edited].body
    assert got[edited].lastmod.startswith(soon.strftime("%Y-%m-%dT%H:%M:%S"))
    for path in (touched, start_article):
        rec = got[path]
        assert rec.status == 304 and rec.reason == "not_modified" and rec.body_path is None
        assert rec.etag == post_etags[path]  # validators kept for the next known file
    assert got[new_path].status == 200 and got[new_path].body_path
    stats = res["stats"]
    assert stats["skipped_known"] == len(ARTICLES) - 3
    assert stats["conditional_requests"] == 3 and stats["not_modified"] == 2
    assert stats["skipped_by_reason"] == {"not_modified": 2} and stats["errors"] == 0
    # the 304s are archived as such
    pages = {p.final_url: p for p in iter_archived_pages(out / ARCHIVE_NAME)}
    assert pages[srv.url + touched].status == 304 and pages[srv.url + touched].body == b""
    assert pages[srv.url + touched].reason == "not_modified"


def test_revisit_after_asks_again_for_articles_fetched_long_ago(tmp_path: Path) -> None:
    """``--revisit-after``: for a site whose sitemap and feed give no newer date, known
    articles last fetched at least that long ago are asked for again, conditionally (an
    unchanged page answers 304, no body); the ones fetched since are not."""
    site = wix_blog()
    with SiteServer(site) as srv:
        first = crawl(tmp_path / "a", [srv.url + "/"])
        lines = known_lines(first["records"], srv)
        week_ago = (datetime.now(UTC) - timedelta(days=8)).isoformat()
        old = set(ARTICLES[::2])  # every other post was last fetched eight days ago
        for line in lines:
            if path_of(line["url"], srv) in old:
                line["fetched_at"] = week_ago
        known = write_known(tmp_path / "known.jsonl", lines)
        srv.clear_log()
        res = crawl(
            tmp_path / "b", [srv.url + "/"], "--known", str(known), "--revisit-after", "604800"
        )
        log = [r for r in srv.requests if r.path in ARTICLES]
    assert {r.path for r in log} == old
    assert all(r.headers.get("If-None-Match") and r.status == 304 for r in log), log
    stats = res["stats"]
    assert stats["conditional_requests"] == len(old) and stats["not_modified"] == len(old)
    assert stats["skipped_known"] == len(ARTICLES) - len(old)
    # Without the option, nothing is asked for again.
    with SiteServer(site) as srv2:
        lines = known_lines(crawl(tmp_path / "c", [srv2.url + "/"])["records"], srv2)
        for line in lines:
            line["fetched_at"] = week_ago
        srv2.clear_log()
        crawl(tmp_path / "d", [srv2.url + "/"], "--known", str(write_known(tmp_path / "k2", lines)))
        assert not {r.path for r in srv2.requests} & set(ARTICLES)


def test_known_budget_and_bad_lines(tmp_path: Path) -> None:
    """Skipped known articles do not use the page budget; a missing known file is a bad
    argument; unusable lines are counted, not fatal."""
    site = wix_blog()
    with SiteServer(site) as srv:
        now = datetime.now(UTC).isoformat()
        lines = [
            {"url": srv.url + p + "#comments", "is_article": True, "fetched_at": now}
            for p in ARTICLES[1:]
        ]
        lines.append({"url": srv.url + "/blog", "is_article": False})
        known = write_known(tmp_path / "known.jsonl", lines)
        with open(known, "a", encoding="utf-8") as fh:
            fh.write("not json\n[1, 2]\n")
        # sitemap index -> post sitemap: 1 unknown article and the rest known
        res = crawl(
            tmp_path / "o",
            [srv.url + "/blog-posts-sitemap.xml"],
            "--known",
            str(known),
            max_pages=1,
        )
        stats = res["stats"]
        assert [r.path for r in srv.requests if r.path.startswith("/post/")] == [ARTICLES[0]]
        assert stats["skipped_known"] == len(ARTICLES) - 1
        assert stats["known_bad_lines"] == 2 and stats["known_urls"] == len(ARTICLES)
        assert stats["finish_reason"] == "finished" and not stats["budget_exhausted"]
    import subprocess
    import sys

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "spiders.crawl",
            "--out",
            str(tmp_path / "x"),
            "--known",
            str(tmp_path / "nope.jsonl"),
            "http://127.0.0.1:1/",
        ],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2 and "known file not found" in proc.stderr


def test_dates_and_known_keys(tmp_path: Path) -> None:
    assert parse_date("2024-01-02") == datetime(2024, 1, 2, tzinfo=UTC)
    assert parse_date("2024-01-02T10:00:00Z") == datetime(2024, 1, 2, 10, tzinfo=UTC)
    assert parse_date("2024-01-02T11:00+01:00") == datetime(2024, 1, 2, 10, tzinfo=UTC)
    assert parse_date("Tue, 02 Jan 2024 10:00:00 GMT") == datetime(2024, 1, 2, 10, tzinfo=UTC)
    assert parse_date("yesterday") is None and parse_date(None) is None
    t = datetime(2024, 1, 2, tzinfo=UTC)
    assert newer(t + timedelta(seconds=1), t) and not newer(t, t) and not newer(None, t)
    assert newer(t, None)
    path = write_known(
        tmp_path / "k.jsonl",
        [{"url": "http://h/a?b=2&a=1#x", "is_article": True, "etag": '"e"'}],
    )
    known, bad = read_known(path, lambda u: url_key(clean_url(u)))
    assert bad == 0
    entry = known[url_key(clean_url("http://h/a?a=1&b=2"))]
    assert entry.conditional_headers() == {"If-None-Match": '"e"'}
