"""Authors: one name per person or agency, from JSON-LD, meta tags, author links and bylines;
the publisher gives way to a person."""

from __future__ import annotations

import pytest

from newsetl.extraction import bylines, extract_article


def test_the_publisher_as_author_gives_way_to_a_person():
    """JSON-LD names the publisher as the author (a common template default); the page's
    author meta tag names a person: the person is the author. With no person anywhere,
    the publisher stays (a desk or agency byline is an author too)."""
    para = "<p>" + " ".join(f"Point {i} about the river bridge and its budget." for i in range(12))
    para += "</p>"

    def page(meta_author: str | None) -> str:
        ld = (
            '{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Bridge",'
            ' "author": {"@type": "Organization", "name": "Harbour Times"},'
            ' "publisher": {"@type": "Organization", "name": "Harbour Times"}}'
        )
        meta = f'<meta name="author" content="{meta_author}">' if meta_author else ""
        return (
            f"<html><head><title>Bridge</title>{meta}"
            f'<script type="application/ld+json">{ld}</script></head>'
            f"<body><article><h1>Bridge</h1>{para * 3}</article></body></html>"
        )

    url = "https://www.harbourtimes.example/2024/05/bridge"
    assert extract_article(page("Ada Lovelace"), url).authors == ["Ada Lovelace"]
    assert extract_article(page(None), url).authors == ["Harbour Times"]
    # A meta tag that is the site's name again is no person either.
    assert extract_article(page("harbourtimes"), url).authors == ["Harbour Times"]
    # A byline naming a person and the place of writing: both, as the byline writes them.
    byline = page(None).replace(
        "<h1>Bridge</h1>", '<h1>Bridge</h1><p class="byline">Von Pia Roth, Kiel</p>'
    )
    assert extract_article(byline, url).authors == ["Pia Roth", "Kiel"]
    # A person's description after commas is no list of authors: the publisher stays.
    bio = byline.replace(
        "Von Pia Roth, Kiel", "Pia Roth, deutsche Journalistin, Kolumnistin, Autorin"
    )
    assert extract_article(bio, url).authors == ["Harbour Times"]
    # An itemprop meta tag names the author as well as a name= one.
    item = page(None).replace("<title>", '<meta itemprop="author" content="Pia Roth"><title>')
    assert extract_article(item, url).authors == ["Pia Roth"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # a desk or agency after a full name is an entry of its own
        ("Hanna Berg und Olaf Lind, dpa", ["Hanna Berg", "Olaf Lind", "dpa"]),
        ("By Mia Torres and Sam Okoro, CNN", ["Mia Torres", "Sam Okoro", "CNN"]),
        ("and Sam Okoro, CNN", ["Sam Okoro", "CNN"]),  # the rest of a byline split in two
        ("Von Pia Roth, Kiel", ["Pia Roth", "Kiel"]),
        # "and" in other languages: Danish/Norwegian, Swedish, Dutch, Italian, Turkish
        (
            "Karen Holm Nielsen og Aputsiaq Lynge-Berthelsen",
            ["Karen Holm Nielsen", "Aputsiaq Lynge-Berthelsen"],
        ),
        ("Lars Ek och Eva Lind", ["Lars Ek", "Eva Lind"]),
        ("Joost Bakker en Eva de Wit", ["Joost Bakker", "Eva de Wit"]),
        ("Marco Rossi e Giulia Neri", ["Marco Rossi", "Giulia Neri"]),
        ("Ayşe Kaya ve Mehmet Demir", ["Ayşe Kaya", "Mehmet Demir"]),
        # one name written last name first
        ("Okoro, Samuel", ["Samuel Okoro"]),
        # degrees are no names; a role after a separator is dropped, a desk's name is kept
        ("Hanna Berg, MA", ["Hanna Berg"]),
        ("By Hanna Berg, PhD, and Olaf Lind", ["Hanna Berg", "Olaf Lind"]),
        ("By Hanna Berg, Staff Writer", ["Hanna Berg"]),
        ("Hanna Berg Reporter", ["Hanna Berg"]),
        ("Harbour staff reporter", ["Harbour staff reporter"]),
        ("By Pia Roth, Harbour Times contributor", ["Pia Roth"]),  # the person's role
    ],
)
def test_byline_names(raw: str, expected: list[str]) -> None:
    assert bylines.clean_authors([raw]) == expected


def test_one_catalogue_tag_per_author():
    """``citation_author`` / ``dc.creator``, one tag per author, each "Last, First Middle"."""
    metas = "".join(
        f'<meta name="citation_author" content="{name}">'
        for name in ("Okoro, Samuel", "Lind, Olaf Peter", "Berg, Hanna")
    )
    para = "<p>" + " ".join(f"Point {i} about the river bridge and its budget." for i in range(12))
    html = (
        f"<html><head><title>Bridge</title>{metas}</head>"
        f"<body><article><h1>Bridge</h1>{para}</p></article></body></html>"
    )
    authors = extract_article(html, "https://journal.example/articles/1").authors
    assert authors == ["Samuel Okoro", "Olaf Peter Lind", "Hanna Berg"]


def test_a_photo_credit_is_no_byline():
    """A caption credit marked up as "author" comes before the byline: the byline counts."""
    para = "<p>" + " ".join(f"Point {i} about the river bridge and its budget." for i in range(12))
    html = (
        "<html><head><title>Bridge</title></head><body><article><h1>Bridge</h1>"
        '<figure><img src="/a.jpg"><figcaption class="author">Foto: Ole Dam</figcaption></figure>'
        '<span class="author">Foto: Ole Dam/Scanpix</span>'
        f'<div class="byline">Karen Holm og Ane Lund</div>{para}</p></article></body></html>'
    )
    authors = extract_article(html, "https://news.example/2025/04/bridge").authors
    assert authors == ["Karen Holm", "Ane Lund"]


def test_a_name_with_a_digit_confirmed_by_the_byline():
    """A meta author with a digit ("Reporter 5") is refused alone (digits are dates and
    counts more often than names), kept where the byline names it as it is."""
    para = "<p>" + " ".join(f"Point {i} about the river bridge and its budget." for i in range(12))

    def page(byline: str) -> str:
        return (
            '<html><head><title>Bridge</title><meta name="author" content="Reporter 5"></head>'
            f'<body><article><h1>Bridge</h1><p class="byline">{byline}</p>{para}</p>'
            "</article></body></html>"
        )

    url = "https://news.example/2025/04/bridge"
    assert extract_article(page("By Reporter 5"), url).authors == ["Reporter 5"]
    assert extract_article(page("Updated 5 hours ago"), url).authors == []


@pytest.mark.parametrize(
    ("line", "lang", "expected"),
    [
        ("(责编：王小明、李华)", "zh", ["王小明", "李华"]),
        ("作者：山田 太郎", "ja", ["山田 太郎"]),
        ("(서울=한빛뉴스) 김민준 기자 =", "ko", ["김민준"]),
    ],
)
def test_cjk_bylines(line: str, lang: str, expected: list[str]) -> None:
    """A CJK byline is a short labelled line ("责编：", "作者：") or a name before "기자"."""
    para = "<p>" + "港口的渡轮时刻表今天再次调整，居民和商户对此表示关切。" * 8 + "</p>"
    html = (
        f'<html lang="{lang}"><head><meta charset="utf-8"><title>渡轮</title></head><body>'
        f"<article><h1>渡轮</h1>{para}{para}<div class='edit'>{line}</div></article></body></html>"
    )
    assert extract_article(html, "https://news.example/2025/04/ferry.html").authors == expected
