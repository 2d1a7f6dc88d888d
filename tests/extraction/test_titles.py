"""Titles: the headline among the page's title sources, a site name cut off, and only a
site name."""

from __future__ import annotations

import json

import pytest

from newsetl.extraction import extract_article, titles


@pytest.mark.parametrize(
    ("title", "site", "h1", "expected"),
    [
        # a kicker before a colon belongs to the title, even when the <h1> lacks it
        (
            "Nationaler Veteranentag: Orden fürs Morden",
            None,
            "Orden fürs Morden",
            "Nationaler Veteranentag: Orden fürs Morden",
        ),
        # a site name after a separator does not
        ("Orden fürs Morden | junge Welt", "junge Welt", "Orden fürs Morden", "Orden fürs Morden"),
        # full-width separators without spaces, as CJK titles write them
        (
            "宮崎県で震度5弱 気象庁：朝日新聞デジタル",
            "朝日新聞デジタル",
            None,
            "宮崎県で震度5弱 気象庁",
        ),
        ("大激震！協賛企業｜日刊ゲンダイDIGITAL", "日刊ゲンダイDIGITAL", None, "大激震！協賛企業"),
        # the <h1> says the same with typographic quotes and dashes: as the page shows it
        (
            "Ferry 'too slow' - says the mayor's office",
            None,
            "Ferry ‘too slow’ – says the mayor’s office",
            "Ferry ‘too slow’ – says the mayor’s office",
        ),
        # a short last segment is taken for the site's name when nothing says otherwise
        ("Ferry fares rise again - Harbour Times", None, None, "Ferry fares rise again"),
        # but not where the <h1> has it too: then it is a subtitle
        (
            "Your old ferry ticket could be worth a fortune - here's how to check",
            None,
            "Your old ferry ticket could be worth a fortune - here's how to check yours",
            "Your old ferry ticket could be worth a fortune - here's how to check",
        ),
    ],
)
def test_titles(title, site, h1, expected) -> None:
    assert titles.clean_title(title, site, h1) == expected


def test_a_subtitle_in_the_jsonld_headline_is_kept():
    """The JSON-LD headline ends with the same segment as og:title: a subtitle, not a site."""
    title = "Olympics: tears for the pole vaulter - then came the twist"
    headline = "Tears for the home favourite - then came the twist"
    assert titles.clean_title(title, "Harbour Times", None, headline) == title
    assert titles.clean_title(title, "Harbour Times") == "Olympics: tears for the pole vaulter"


_PARA = "<p>" + " ".join(f"Point {i} about the harbour ferry and its timetable." for i in range(12))
_PARA += "</p>"


def _page(og: str, headline: str, h1: str, extra: str = "") -> str:
    ld = json.dumps(
        {"@context": "https://schema.org", "@type": "NewsArticle", "headline": headline}
    )
    return (
        f'<html lang="en"><head><title>{h1} | Harbour Times</title>'
        f'<meta property="og:title" content="{og}">'
        '<meta property="og:site_name" content="Harbour Times">'
        f'<script type="application/ld+json">{ld}</script></head>'
        f"<body><article><h1>{h1}</h1>{extra}{_PARA * 3}</article></body></html>"
    )


def test_a_social_headline_gives_way_to_the_pages_own():
    """``og:title`` written for sharing ("You won't believe ..."), shown nowhere on the page,
    while the JSON-LD headline and the <h1> agree: the page's own headline is the title."""
    social = "You will not believe what the ferry did next"
    real = "Ferry timetable cut to two crossings a day from June"
    url = "https://harbourtimes.example/2024/05/ferry"
    assert extract_article(_page(social, real, real), url).title == real
    # The <h1> and JSON-LD agree though JSON-LD adds an ellipsis.
    assert extract_article(_page(social, real + "...", real), url).title == real
    # Shown on the page (the headline the reader sees, above a hidden <h1>): it stays.
    shown = f"<div class='headline'>{social}</div>"
    assert extract_article(_page(social, real, real, shown), url).title == social
    # The <h1> agrees with og:title: og:title stays, whatever JSON-LD says.
    assert extract_article(_page(social, real, social), url).title == social


@pytest.mark.parametrize(
    ("title", "keys", "expected"),
    [
        # the site's name from its domain, after a separator the word count does not cut
        ("Ferry halted » Harbour Times", {"harbourtimes"}, "Ferry halted"),
        ("Harbour Times | Ferry halted", {"harbourtimes"}, "Ferry halted"),
        ("Weekly report 14. - 20. January - HT", {"ht"}, "Weekly report 14. - 20. January"),
        # full-width separators, the site's name from the JSON-LD publisher
        ("港の渡し船が運休｜港新聞", {"港新聞"}, "港の渡し船が運休"),
        ("항구 여객선 운항 중단ㅣ한빛일보", {"한빛일보"}, "항구 여객선 운항 중단"),
        # a segment that is no site name stays
        ("Ferry halted » what comes next", {"harbourtimes"}, "Ferry halted » what comes next"),
    ],
)
def test_site_name_from_the_sites_names(title, keys, expected) -> None:
    assert titles.clean_title(title, None, None, None, frozenset(keys)) == expected


def test_site_keys_read_the_page():
    ld = {"publisher": {"@type": "Organization", "name": "港新聞"}}
    metas = {"og:site_name": "Harbour Times"}
    keys = titles.site_keys(ld, metas, "https://www.harbour-times.co.uk/a")
    assert keys == {"港新聞", "harbourtimes"}
