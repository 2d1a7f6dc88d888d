"""Publication dates on pages written here: visible dates in many languages, the day/month
order of the page's language, relative dates, the page's own offset, teaser and comment
dates, URL days (``newsetl.dates`` and ``newsetl.extraction.published``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from newsetl import dates
from newsetl.extraction import extract_article

PARA = (
    "The council met on the harbour question again and heard from residents, traders and "
    "the ferry operator about the delays that have kept the terminal closed since spring. "
)


def _page(
    lang: str = "en",
    head: str = "",
    above: str = "",
    below: str = "",
    after: str = "",
    title: str = "Harbour terminal stays shut",
    para: str = PARA,
) -> str:
    """A small article page: ``above``/``below`` the headline, ``after`` the article."""
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><title>{title} | Coast News</title>{head}'
        f"</head><body><header><nav><a href='/'>Home</a></nav></header><main><article>"
        f"{above}<h1>{title}</h1>{below}<p>{para * 4}</p><p>{para * 4}</p></article>"
        f"{after}</main><footer>Coast News</footer></body></html>"
    )


def _local(html: str, url: str | None = None, **kw) -> datetime | None:
    return extract_article(html, url, **kw).published_local()


# -- visible dates in many languages ---------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "dayfirst", "expected"),
    [
        ("Veröffentlicht: Do 25.04.24 | 14:07 Uhr", True, datetime(2024, 4, 25, 14, 7)),
        ("publié le 1er mars 2021 à 09h30", True, datetime(2021, 3, 1, 9, 30)),
        ("Publicado el 12 de marzo de 2020", True, datetime(2020, 3, 12)),
        ("Pubblicato il 7 settembre 2022 alle 18:05", True, datetime(2022, 9, 7, 18, 5)),
        ("Publicado em 3 de outubro de 2019", True, datetime(2019, 10, 3)),
        ("Gepubliceerd op 14 februari 2023 om 10:15", True, datetime(2023, 2, 14, 10, 15)),
        ("Опубликовано 25 апреля 2024 в 14:07", True, datetime(2024, 4, 25, 14, 7)),
        ("Opublikowano 5 października 2021", True, datetime(2021, 10, 5)),
        ("Yayınlanma: 9 Kasım 2023 saat 08:40", True, datetime(2023, 11, 9, 8, 40)),
        ("2019年6月24日 11時30分", None, datetime(2019, 6, 24, 11, 30)),
        ("发布时间：2021年3月5日", None, datetime(2021, 3, 5)),
        ("입력 2024년 4월 25일 14:07", None, datetime(2024, 4, 25, 14, 7)),
        ("By Ann Lee · May 3, 2022, 4:10 p.m.", False, datetime(2022, 5, 3, 16, 10)),
    ],
)
def test_visible_dates_in_many_languages(text, dayfirst, expected) -> None:
    assert dates.find_date_in_text(text, dayfirst) == expected


def test_a_zone_after_the_time_gives_the_offset() -> None:
    got = dates.find_date_in_text("13 Jan 2020, 22:11 GMT+10", True)
    assert got == datetime(2020, 1, 13, 22, 11, tzinfo=timezone(timedelta(hours=10)))
    got = dates.find_date_in_text("6. November 2023, 15:25 Uhr (CET)", True)
    assert got is not None and got.utcoffset() == timedelta(hours=1)


# The article's own text, in the page's language: where the text reads as another language
# than the template declares, the text's language is the page's (extraction/language.py).
_PARAS = {
    "de": "Der Gemeinderat hat erneut über den Hafen beraten und Anwohner, Händler und den "
    "Fährbetreiber zu den Verzögerungen gehört, die das Terminal seit dem Frühjahr schließen. ",
    "fr": "Le conseil municipal s'est de nouveau réuni sur la question du port et a entendu "
    "les habitants, les commerçants et l'exploitant du ferry sur les retards qui ferment "
    "le terminal depuis le printemps. ",
}


# -- day and month order ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lang", "line", "day"),
    [
        ("de", "Stand: 07.11.2023", "2023-11-07"),
        ("fr", "Mis en ligne le 07/11/2023", "2023-11-07"),
        ("en-US", "Posted 11/07/2023", "2023-11-07"),
        ("en-GB", "Posted 02/10/2020", "2020-10-02"),  # the region decides for English
        ("en-US", "Posted 25/12/2023", "2023-12-25"),  # a part above 12 settles it
    ],
)
def test_numeric_order_follows_the_pages_language(lang, line, day) -> None:
    para = _PARAS.get(lang, PARA)
    when = _local(_page(lang, below=f"<p class='dateline'>{line}</p>", para=para))
    assert when is not None and when.date().isoformat() == day


def test_og_locale_gives_the_region_of_an_english_page() -> None:
    head = '<meta property="og:locale" content="en_GB">'
    when = _local(_page("en", head=head, below="<span>Posted 02/10/2020</span>"))
    assert when is not None and when.date().isoformat() == "2020-10-02"


# -- the date line next to the headline --------------------------------------------------------
def test_the_date_line_under_the_headline_beats_a_cms_meta_date() -> None:
    """``<meta name=date>`` is often the day the CMS last touched the page."""
    head = '<meta name="date" content="2020-04-29T11:52:23">'
    below = '<p class="info"><span class="stand">Stand: 28.04.2020 18:00 Uhr</span></p>'
    ex = extract_article(_page("de", head=head, below=below))
    assert ex.published_at == datetime(2020, 4, 28, 18, 0, tzinfo=UTC)
    assert ex.published_utc_offset_min is None


def test_a_date_line_above_the_headline_is_read() -> None:
    above = "<p>02.02.2022 10:16 Uhr - Bundesliga - Vereinsmeldung</p>"
    ex = extract_article(_page("de", above=above))
    assert ex.published_at == datetime(2022, 2, 2, 10, 16, tzinfo=UTC)


def test_a_site_logo_h1_is_not_the_headline() -> None:
    """The lines after a logo in an <h1> are navigation: their date (the programme of the
    day the page was fetched) does not outrank the page's own meta date."""
    html = (
        "<html lang='de'><head><title>Wir dekorieren auf der Titanic</title>"
        '<meta name="date" content="2017-05-01T17:05:00+02:00"></head><body>'
        "<h1>Radio</h1><nav><a href='/'>Start</a></nav><p>Programm vom 26.02.2020</p>"
        f"<h2>Wir dekorieren auf der Titanic</h2><p>{PARA * 6}</p></body></html>"
    )
    when = extract_article(html).published_local()
    assert when is not None and when.date().isoformat() == "2017-05-01"


def test_an_h2_headline_on_a_page_without_h1() -> None:
    html = (
        "<html lang='en'><head><title>Megablaze brought under control</title></head><body>"
        "<div class='top'><span class='date'>Tue, 14 Jan 2020</span></div>"
        "<h2>Megablaze brought under control</h2><p>Wire<br>13 Jan 2020, 22:11 GMT+10</p>"
        f"<p>{PARA * 6}</p></body></html>"
    )
    when = extract_article(html).published_local()
    assert when is not None and when.date().isoformat() == "2020-01-13"


def test_an_update_label_is_not_the_publication() -> None:
    head = '<script type="application/ld+json">{"@type": "Article", "headline": "H",'
    head += ' "datePublished": "2016-08-29T21:54:39Z"}</script>'
    below = "<div class='byline'>By Ann Lee <span>Updated May 06, 2019</span></div>"
    when = _local(_page("en", head=head, below=below))
    assert when is not None and when.date().isoformat() == "2016-08-29"
    # ... and a line with both dates gives the publication
    line = "Last updated 04 Jun 2020, originally published 17 Jun 2019"
    when = _local(_page("en", below=f"<p class='post-date'>{line}</p>"))
    assert when is not None and when.date().isoformat() == "2019-06-17"


# -- other dates on the page -------------------------------------------------------------------
def test_teaser_and_comment_dates_are_not_taken() -> None:
    teasers = "".join(
        f"<div class='teaser'><a href='/a{i}'>Other story</a>"
        f"<span class='teaser__date'>0{i}.07.2020</span></div>"
        for i in range(1, 4)
    )
    comments = (
        "<section id='comments'><div class='comment'><span class='comment__date'>"
        "04.02.2022 - 00:00 Uhr</span><p>Great article</p></div></section>"
    )
    html = _page("de", after=f"<aside>{teasers}</aside>{comments}")
    html = html.replace(
        "<footer>Coast News</footer>",
        "<div class='meta'><span class='date'>18.03.2020</span></div><footer>Coast News</footer>",
    )
    when = _local(html)
    assert when is not None and when.date().isoformat() == "2020-03-18"


def test_two_sources_outvote_a_lone_json_ld_date() -> None:
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "H",'
        ' "datePublished": "2023-11-03T10:25:56+00:00"}</script>'
        '<meta property="article:published_time" content="2023-11-06T14:25:00+00:00">'
    )
    below = "<div class='byline'>Von Anna Muster, 6. November 2023, 15:25 Uhr</div>"
    when = _local(_page("de", head=head, below=below))
    assert when is not None and when.date().isoformat() == "2023-11-06"


def test_json_ld_on_a_webpage_node_and_malformed_milliseconds() -> None:
    head = (
        '<script type="application/ld+json">{"@type": "WebPage", "name": "Round tablecloth",'
        ' "datePublished": "2022-01-10T22:06:08:684Z"}</script>'
    )
    ex = extract_article(_page("de", head=head))
    assert ex.published_at == datetime(2022, 1, 10, 22, 6, 8, 684000, tzinfo=UTC)


# -- the page's own offset ---------------------------------------------------------------------
def test_a_utc_value_takes_the_offset_another_source_gives() -> None:
    """The same instant, once in UTC and once in the page's zone: the publisher's day."""
    head = '<meta property="article:published_time" content="2023-11-09T02:11:03+00:00">'
    below = '<time datetime="2023-11-08T21:11:03-05:00">November 8, 2023</time>'
    ex = extract_article(_page("en", head=head, below=below))
    assert ex.published_at == datetime(2023, 11, 9, 2, 11, 3, tzinfo=UTC)
    assert ex.published_utc_offset_min == -300
    assert ex.published_local().date().isoformat() == "2023-11-08"


def test_a_local_wall_clock_beside_a_utc_value_gives_the_offset() -> None:
    head = (
        '<meta property="article:published_time" content="2023-11-09T03:28:35+00:00">'
        '<meta name="sailthru.date" content="2023-11-08 22:28:35">'
    )
    ex = extract_article(_page("en", head=head))
    assert ex.published_utc_offset_min == -300
    assert ex.published_local().date().isoformat() == "2023-11-08"


def test_a_naive_time_borrows_the_offset_of_an_agreeing_source() -> None:
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "H",'
        ' "datePublished": "2023-04-28 18:11:01.0"}</script>'
        '<meta name="date" content="2023-04-28T18:11:01+02:00">'
    )
    ex = extract_article(_page("de", head=head))
    assert ex.published_at == datetime(2023, 4, 28, 16, 11, 1, tzinfo=UTC)
    assert ex.published_utc_offset_min == 120


def test_no_offset_is_invented() -> None:
    """A naive time with no agreeing source keeps its wall clock and no offset."""
    head = '<meta property="article:published_time" content="2022-01-06T08:29:34">'
    ex = extract_article(_page("de", head=head))
    assert ex.published_at == datetime(2022, 1, 6, 8, 29, 34, tzinfo=UTC)
    assert ex.published_utc_offset_min is None


# -- relative dates and the fetch time ---------------------------------------------------------
FETCHED = datetime(2024, 4, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Erstellt: vor 3 Stunden", FETCHED - timedelta(hours=3)),
        ("2 hours ago", FETCHED - timedelta(hours=2)),
        ("il y a 5 minutes", FETCHED - timedelta(minutes=5)),
        ("hace 2 días", FETCHED - timedelta(days=2)),
        ("3 часа назад", FETCHED - timedelta(hours=3)),
        ("2時間前", FETCHED - timedelta(hours=2)),
        ("gestern um 14:07", datetime(2024, 4, 24, 14, 7)),  # a wall clock: no offset
        ("hier à 18h30", datetime(2024, 4, 24, 18, 30)),
        ("Yesterday", datetime(2024, 4, 24)),
        ("4 Min. Lesedauer", None),  # a reading time is no date
        ("Hier finden Sie mehr", None),  # German "hier" is "here"
    ],
)
def test_relative_dates_count_back_from_the_fetch_time(line, expected) -> None:
    assert dates.find_relative_date(line, FETCHED) == expected


def test_a_relative_byline_needs_the_fetch_time() -> None:
    html = _page("de", below="<div class='byline'>Anna Muster · vor 3 Stunden</div>")
    assert extract_article(html).published_at is None  # when is "3 hours ago"? unknown
    ex = extract_article(html, fetched_at=FETCHED)
    assert ex.published_at == FETCHED - timedelta(hours=3)


def test_a_date_after_the_fetch_time_is_not_taken() -> None:
    head = '<meta property="article:published_time" content="2031-01-01T10:00:00+00:00">'
    html = _page("en", head=head, below="<p class='dateline'>April 20, 2024</p>")
    when = _local(html, fetched_at=FETCHED)
    assert when is not None and when.date().isoformat() == "2024-04-20"


# -- the URL -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "day"),
    [
        ("https://x.example/2025/04/01/harbour-terminal/", "2025-04-01"),
        ("https://x.example/20200428/harbour-terminal", "2020-04-28"),
        ("https://x.example/news/2021-03-05-harbour-terminal", "2021-03-05"),
        ("https://x.example/2010/05/harbour-terminal/", None),  # a month is not a day
        ("https://x.example/story/20201331", None),
    ],
)
def test_the_day_in_a_url(url, day) -> None:
    got = dates.date_from_url(url)
    assert (got.date().isoformat() if got else None) == day


def test_a_page_with_little_text_is_dated_by_its_url() -> None:
    html = "<html><head><title>Checking your browser</title></head><body></body></html>"
    ex = extract_article(html, "https://x.example/20200428/harbour-terminal")
    assert ex.published_at == datetime(2020, 4, 28, tzinfo=UTC)


# -- the command line --------------------------------------------------------------------------
def test_extract_reads_relative_dates_against_the_files_time(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(_page("en", below="<div class='byline'>Ann Lee · 2 hours ago</div>"))
    stamp = datetime(2024, 4, 25, 12, 0, tzinfo=UTC).timestamp()
    os.utime(page, (stamp, stamp))
    cmd = [sys.executable, "-m", "newsetl.cli", "extract", "--jsonl", str(page)]
    plain = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    assert plain["published_at"] is None
    done = subprocess.run(cmd + ["--fetched-at", "file"], capture_output=True, text=True)
    assert json.loads(done.stdout)["published_at"] == "2024-04-25T10:00:00+00:00"
    done = subprocess.run(cmd + ["--fetched-at", "soon"], capture_output=True, text=True)
    assert done.returncode != 0 and "--fetched-at" in done.stderr
