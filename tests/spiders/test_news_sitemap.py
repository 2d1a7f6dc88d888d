"""Google News sitemaps: ``<news:news>`` gives each article its publication date, title
and language; a crawl of a real site on 127.0.0.1 carries them to the stored rows where
the page itself lacks them."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsetl.demo.server import Resource, Site, SiteServer
from newsetl.discover.documents import read_sitemap
from newsetl.pipeline import Extraction, _job_for, extract_pages
from tests.spiders.test_spider import by_path, crawl

XML = "application/xml"
STORY = "".join(
    f"<p>{p}</p>"
    for p in (
        "Der Stadtrat hat am Dienstagabend beschlossen, die alte Fähre bis zum Frühjahr "
        "weiterfahren zu lassen, weil der neue Anleger noch immer nicht fertig ist.",
        "Die Händler am Fischmarkt klagen seit Monaten über die Baustelle, die den Weg zu "
        "ihren Ständen versperrt, und fordern eine Entschädigung von der Stadt.",
        "Der Bauunternehmer erklärte, die Stahlträger seien mit einem halben Jahr "
        "Verspätung geliefert worden, und der Streit um die Kosten der Fundamente dauere an.",
        "Im Hafenamt rechnet man nun mit einer Eröffnung im März, sofern die letzten "
        "Prüfungen der Gangways ohne Beanstandung bleiben und das Wetter mitspielt.",
    )
)


def news_sitemap(entries: list[tuple[str, str, str, str]]) -> str:
    urls = "".join(
        f"<url><loc>{loc}</loc><news:news><news:publication><news:name>Hafenblatt"
        f"</news:name><news:language>{lang}</news:language></news:publication>"
        f"<news:publication_date>\n  {date}\n</news:publication_date>"
        f"<news:title>{title}</news:title></news:news></url>"
        for loc, date, title, lang in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"{urls}</urlset>"
    )


def test_news_entries_are_parsed() -> None:
    body = news_sitemap([("/a/faehre", "2024-05-02T09:30:00+02:00", "Fähre &amp; Anleger", "de")])
    kind, entries, problem = read_sitemap(body.encode(), "http://h/news.xml")
    assert (kind, problem) == ("urlset", None)
    (entry,) = entries
    assert entry.url == "http://h/a/faehre"
    assert entry.published == "2024-05-02T09:30:00+02:00"
    assert entry.title == "Fähre & Anleger" and entry.language == "de"


def _site() -> Site:
    bare = Resource(  # no title, date or lang of its own: only the sitemap has them
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body><main><article>"
        + STORY
        + "</article></main></body></html>"
    )
    own = Resource(  # its own markup wins over the sitemap
        "<!DOCTYPE html><html lang='de'><head><meta charset='utf-8'>"
        "<title>Neuer Anleger eröffnet</title>"
        "<meta property='article:published_time' content='2024-05-03T08:00:00+02:00'>"
        "</head><body><main><article><h1>Neuer Anleger eröffnet</h1>"
        + STORY
        + "</article></main></body></html>"
    )
    site = Site("newsmap", {"/a/faehre-faehrt-weiter": bare, "/a/neuer-anleger": own})
    site["/robots.txt"] = Resource(
        "User-agent: *\nSitemap: /news-sitemap.xml\n", content_type="text/plain"
    )
    site["/"] = Resource("<!DOCTYPE html><html><body><p>Hafenblatt</p></body></html>")
    return site


@pytest.mark.slow
def test_a_crawl_carries_the_sitemap_metadata_to_the_rows(tmp_path: Path) -> None:
    site = _site()
    with SiteServer(site) as srv:
        site["/news-sitemap.xml"] = Resource(
            news_sitemap(
                [
                    (
                        srv.url + "/a/faehre-faehrt-weiter",
                        "2024-05-02T09:30:00+02:00",
                        "Fähre fährt weiter",
                        "de",
                    ),
                    (srv.url + "/a/neuer-anleger", "2024-05-01", "Anleger (Sitemap)", "en"),
                ]
            ),
            content_type=XML,
        )
        result = crawl(tmp_path / "crawl", [srv.url + "/"])
        base = srv.url
        pages = by_path(result["records"], srv)
    bare = pages["/a/faehre-faehrt-weiter"]
    assert bare.in_sitemap and bare.listed_language == "de"
    assert bare.listed_title == "Fähre fährt weiter"
    assert bare.listed_published == "2024-05-02T09:30:00+02:00"
    assert bare.listed_date is not None and bare.listed_date.startswith("2024-05-02T07:30")
    # the sitemap's language is handed to extraction like a Content-Language header
    job = _job_for(0, bare, result["out"], Extraction())
    assert job is not None and job[3] == "de"
    records = result["records"]
    rows = extract_pages(records, result["out"], source_for="s", run_id="r1", workers=0).articles
    by_url = {r["url"].removeprefix(base): r for r in rows}
    row = by_url["/a/faehre-faehrt-weiter"]
    assert row["title"] == "Fähre fährt weiter"
    assert row["published_at"].isoformat() == "2024-05-02T07:30:00+00:00"
    assert row["published_utc_offset_min"] == 120
    assert row["language"] == "de"
    own = by_url["/a/neuer-anleger"]
    assert own["title"] == "Neuer Anleger eröffnet" and own["language"] == "de"
    assert own["published_at"].isoformat() == "2024-05-03T06:00:00+00:00"
