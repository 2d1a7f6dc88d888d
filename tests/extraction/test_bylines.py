"""Authors: one name per person or agency, from JSON-LD, meta tags, author links and bylines;
the publisher gives way to a person."""

from __future__ import annotations

from newsetl.extraction import extract_article


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
