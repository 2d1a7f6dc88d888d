"""The article decision: weighed evidence, measured over the main content, never the page."""

from __future__ import annotations

import json

import pytest

from newsetl.discover import classify
from newsetl.extraction import extract_article

WORDS = (
    "council members argued late into the evening about the budget for the river bridge "
    "which engineers say needs repairs before winter while residents asked for more buses"
).split()


def prose(n: int, per_paragraph: int = 60) -> list[str]:
    words = [WORDS[i % len(WORDS)] for i in range(n)]
    return [
        " ".join(words[i : i + per_paragraph]).capitalize() + "."
        for i in range(0, n, per_paragraph)
    ]


def mega_menu(n: int) -> str:
    # Half of it in a <nav>, half in plain divs with no boilerplate class: as real sites do.
    links = "".join(f'<li><a href="/section-{i}/">Section {i}</a></li>' for i in range(n))
    return (
        f"<nav><ul>{links[: len(links) // 2]}</ul></nav>"
        f'<div class="top"><ul>{links[len(links) // 2 :]}</ul></div>'
    )


def heavy_article(words: int = 400, menu: int = 250, footer: int = 150) -> str:
    body = "".join(f"<p>{p}</p>" for p in prose(words))
    related = "".join(
        f'<li><a href="/2024/05/other-story-number-{i}/">Another story about the river '
        f"bridge number {i}</a></li>"
        for i in range(3)
    )
    foot = "".join(f'<a href="/corp/{i}/">Corporate link {i}</a> ' for i in range(footer))
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": "x"})
    return (
        "<html><head><title>Bridge repairs - The Herald</title>"
        '<meta property="og:type" content="article">'
        f'<script type="application/ld+json">{ld}</script></head><body>'
        f"<header>{mega_menu(menu)}</header>"
        '<div id="cookie-consent">We use cookies to improve your experience. Accept all.</div>'
        f"<main><article><h1>Bridge repairs</h1>{body}<ul>{related}</ul></article></main>"
        f"<div class='bottom'>{foot}</div></body></html>"
    )


def listing_page(teasers: int = 20) -> str:
    cards = "".join(
        f'<div class="card"><h2><a href="/2024/05/{i}/story-about-the-bridge-{i}/">Story about '
        f"the bridge and the council number {i}</a></h2><p>{prose(18)[0]}</p></div>"
        for i in range(teasers)
    )
    return (
        "<html><head><title>Local news</title></head><body>"
        f"<header>{mega_menu(100)}</header><main>{cards}</main></body></html>"
    )


def decide_page(html: str, url: str, **evidence) -> classify.Decision:
    ex = extract_article(html, url)
    return classify.decide(
        url=url,
        jsonld_types=ex.jsonld_types,
        og_type=ex.og_type,
        text=ex.text,
        paragraph_count=ex.paragraph_count,
        content_link_density=ex.content_link_density,
        teaser_links=ex.content_headline_links,
        has_published_meta=ex.has_published_meta,
        has_date=ex.published_at is not None,
        has_byline=bool(ex.authors),
        **evidence,
    )


def test_heavy_menus_and_footers_do_not_count_against_an_article() -> None:
    html = heavy_article()
    ex = extract_article(html, "http://h.test/2024/05/bridge-repairs-before-winter/")
    assert ex.link_density > 0.5  # the page as a whole is mostly links ...
    assert ex.content_link_density < 0.1  # ... its main content is not
    d = decide_page(html, "http://h.test/2024/05/bridge-repairs-before-winter/", in_sitemap=True)
    assert d.is_article, d.evidence()
    assert d.signals["jsonld_article"] > 0 and "mostly_links" not in d.signals


def test_a_short_marked_up_post_at_a_plain_url_is_kept() -> None:
    d = decide_page(heavy_article(words=90), "http://h.test/p/12")
    assert d.is_article, d.evidence()


@pytest.mark.parametrize("url", ["http://h.test/", "http://h.test/news/", "http://h.test/page/2/"])
def test_listing_pages_are_not_articles(url: str) -> None:
    d = decide_page(listing_page(), url)
    assert not d.is_article, d.evidence()


def test_a_teaser_column_is_a_listing_even_at_a_story_like_url() -> None:
    # A section page whose URL looks like a story, and whose CMS calls every page an article.
    html = listing_page().replace(
        "<title>", '<meta property="og:type" content="article"><title>', 1
    )
    d = decide_page(html, "http://h.test/news/local-council-and-bridge-news/")
    assert d.signals.get("teaser_list", 0) < 0
    assert not d.is_article, d.evidence()


@pytest.mark.parametrize(
    ("url", "shape"),
    [
        ("http://h.test/", "root"),
        ("http://h.test/?p=123", "article"),
        ("http://h.test/tag/bridges/", "listing"),
        ("http://h.test/category/local/page/3/", "listing"),
        ("http://h.test/author/jane-doe/", "listing"),
        ("http://h.test/search?q=bridge", "listing"),
        ("http://h.test/about-us/", "listing"),
        ("http://h.test/privacy-and-cookie-policy/", "service"),
        ("http://h.test/about-our-team", "service"),
        ("http://h.test/2024/05/17/bridge-repairs/", "article"),
        ("http://h.test/archives/2012/08/02/participatory-culture-questions.html", "article"),
        ("http://h.test/blog.php?post=10150393505147131", "article"),
        ("http://h.test/news/bridge-repairs-start-before-winter", "article"),
        ("http://h.test/story/12345678", "article"),
        ("http://h.test/blog/", "listing"),
        ("http://h.test/weather", "unknown"),
    ],
)
def test_url_shapes(url: str, shape: str) -> None:
    assert classify.url_shape(url) == shape


def test_service_pages_with_running_text_are_not_articles() -> None:
    text = "".join(f"<p>{p}</p>" for p in prose(400))
    html = f"<html><head><title>Privacy</title></head><body><main>{text}</main></body></html>"
    for path in ("/privacy-and-cookie-policy/", "/about-us/", "/contact/"):
        d = decide_page(html, "http://h.test" + path, in_sitemap=True)
        assert not d.is_article, (path, d.evidence())


def test_text_without_spaces_is_counted_in_characters() -> None:
    japanese = "気象庁は十三日、日向灘で震度五弱の地震があったと発表した。" * 8
    assert len(japanese.split()) == 1
    assert classify.text_units(japanese) > 100
    d = classify.decide(
        url="http://h.test/articles/ASN1F1234",
        jsonld_types=["NewsArticle"],
        og_type="article",
        text=japanese,
        paragraph_count=4,
    )
    assert d.is_article, d.evidence()


def test_too_little_text_is_the_only_veto() -> None:
    d = classify.decide(
        url="http://h.test/2024/05/17/a-story/",
        jsonld_types=["NewsArticle"],
        og_type="article",
        text="Only a caption here.",
        in_feed=True,
    )
    assert not d.is_article and d.reason == "too_little_text"
    assert d.presented_as_article  # the site said it is one: reported to the user


def test_evidence_is_a_json_record_of_signals_and_values() -> None:
    d = decide_page(listing_page(), "http://h.test/")
    ev = json.loads(json.dumps(d.evidence()))
    assert ev["score"] == sum(ev["signals"].values())
    assert ev["score"] < ev["threshold"]
    assert ev["url_shape"] == "root" and ev["teaser_links"] >= 8
    assert ev["presented_as_article"] is False

    # The fate names the strongest signal on the losing side.
    d = classify.decide(
        url="http://h.test/tag/bridges/",
        jsonld_types=["CollectionPage"],
        text=" ".join(WORDS * 10),
        paragraph_count=5,
    )
    assert not d.is_article and d.reason == "listing_url", d.evidence()


@pytest.mark.parametrize(
    ("listed", "title", "same"),
    [
        ("R W Glenn on the Fatherhood of God", "R W Glenn on the Fatherhood of God", True),
        ("Ferry terminal delayed again", "Ferry terminal delayed again", True),
        # a kicker added on the listing: still the page's headline
        ("Harbour: ferry terminal delayed again", "Ferry terminal delayed again", True),
        ("World news", "World news", False),  # a menu's word or two says nothing
        ("More stories from the harbour", "Ferry terminal delayed again", False),
        ("Ferry terminal", "Ferry terminal delayed again by the council", False),
        (None, "Ferry terminal delayed again", False),
    ],
)
def test_same_headline(listed, title, same) -> None:
    assert classify.same_headline(listed, title) is same


def test_a_plain_short_post_linked_by_its_headline_is_an_article() -> None:
    """No markup, an opaque URL, 80 words: a listing that names it by its headline is
    the site's word that it is a story; the same page reached otherwise is not enough."""
    html = (
        "<html><head><title>Metro Style Responsive Theme</title></head><body>"
        "<h1>Metro Style Responsive Theme</h1>"
        + "".join(f"<p>{p}</p>" for p in prose(80, 40))
        + "</body></html>"
    )
    alone = decide_page(html, "https://themes.example/p/9")
    linked = decide_page(html, "https://themes.example/p/9", linked_by_headline=True)
    assert not alone.is_article
    assert linked.is_article and linked.signals["linked_by_headline"] == 2
    assert linked.presented_as_article
