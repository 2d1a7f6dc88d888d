"""Body rules on modern news templates: wrapped paragraphs, subscriber walls, consent
boxes, "up next" blocks. Each page here is written for the pattern it shows."""

from __future__ import annotations

from newsetl.extraction import extract_article
from tests.extraction.test_extract import LONG_1, LONG_2, LONG_3, article, page


def test_paragraphs_each_in_nested_wrappers_are_all_kept() -> None:
    """A template that puts each paragraph in three nested <div>s of its own (generated
    class names): the short paragraphs and subheadings between the long ones stay too."""

    def para(text: str) -> str:
        return (
            "<div class='x7Fq aQ2'><div class='k9Lm'><div><div>"
            f"<p>{text}</p></div></div></div></div>"
        )

    short_1 = "The banner read: “Harbour first”."
    subheading = "A long wait for the steel"
    short_2 = "Work resumed on Friday."
    body = (
        "<main><article><h1>Ferry terminal delayed again</h1><div class='Zr4 bd'>"
        + para(short_1)
        + para(LONG_1)
        + para(subheading)
        + para(LONG_2)
        + "<aside><div class='promo'>Sign up</div></aside>"
        + para(short_2)
        + para(LONG_3)
        + "</div></article></main>"
    )
    result = extract_article(page(body))
    for text in (short_1, LONG_1, subheading, LONG_2, short_2, LONG_3):
        assert text in result.text
    assert result.text.index(short_1) < result.text.index(LONG_3)


def test_twin_sections_named_as_widgets_are_joined() -> None:
    """The article's text split into sibling "widget" sections built alike (a picture
    widget between): the name reads as boilerplate, but all text sections are kept."""

    def widget(kind: str, inner: str, ident: str) -> str:
        return (
            f"<div id='{ident}' class='story-widget story-widget-{kind}'><div class='wrap'>"
            f"<div class='{kind}'>{inner}</div></div></div>"
        )

    first = "".join(f"<p>{p}</p>" for p in ("The vote came late on Tuesday.", LONG_1))
    second = "".join(f"<p>{p}</p>" for p in (LONG_2, LONG_3))
    body = (
        "<main><article><h1>Ferry terminal delayed again</h1><div class='story-widgets'>"
        + widget("image", "<img src='a.jpg'><span>The site in May.</span>", "w-3f9a")
        + widget("text", first, "w-81c2")
        + widget("image", "<img src='b.jpg'><span>Steel beams.</span>", "w-0d4e")
        + widget("text", second, "w-a6b7")
        + "</div></article></main>"
    )
    result = extract_article(page(body))
    for text in ("The vote came late on Tuesday.", LONG_1, LONG_2, LONG_3):
        assert text in result.text


def test_consent_boxes_of_embeds_are_no_body() -> None:
    """A box standing in for an embedded video or post until the reader agrees to load it
    (text only: such boxes often carry generated class names)."""
    boxes = (
        "We need your consent to load this YouTube video. It may set cookies of the provider.",
        "I agree that external content from third-party providers is shown to me. Personal "
        "data may be passed on to them.",
        "Ich bin damit einverstanden, dass mir externe Inhalte angezeigt werden. Dabei "
        "können personenbezogene Daten an Drittplattformen übermittelt werden.",
        "An dieser Stelle finden Sie einen externen Inhalt, der den Artikel ergänzt. Sie "
        "können ihn mit einem Klick anzeigen lassen.",
    )
    embeds = "".join(f"<div class='c1x9'><p>{box}</p><button>OK</button></div>" for box in boxes)
    result = extract_article(page(body_with(embeds)))
    for box in boxes:
        assert box not in result.text
    for text in (LONG_1, LONG_2, LONG_3):
        assert text in result.text


def test_up_next_and_player_lines_are_no_body() -> None:
    extra = "<p>UP NEXT</p><p>Player wird geladen</p><p>Video player is loading.</p>"
    result = extract_article(page(body_with(extra)))
    assert LONG_3 in result.text
    for line in ("UP NEXT", "Player wird geladen", "Video player is loading."):
        assert line not in result.text


def test_an_article_about_consent_keeps_its_text() -> None:
    about = (
        "The regulator said that sites must ask before they load videos from other "
        "providers, and that a box asking readers to agree is not enough on its own."
    )
    result = extract_article(page(body_with(f"<p>{about}</p>")))
    assert about in result.text


def body_with(extra: str) -> str:
    return (
        "<main><article><h1>Ferry terminal delayed again</h1><div class='entry-content'>"
        f"<p>{LONG_1}</p>{extra}<p>{LONG_2}</p><p>{LONG_3}</p></div></article></main>"
    )


def test_a_header_left_open_around_the_article_is_entered() -> None:
    """A ``<header role=banner>`` (or a "menu" wrapper) that holds the headline and the
    article's paragraphs, as an unclosed header or a template's page wrapper does: the
    page is not thrown away with it."""
    for opening in ("<header role='banner' class='site-header'>", "<div class='menu-wrap'>"):
        closing = "</header>" if opening.startswith("<header") else "</div>"
        body = (
            f"{opening}<nav><a href='/'>Home</a></nav><h1>Ferry terminal delayed again</h1>"
            f"<p>{LONG_1}</p><p>{LONG_2}</p><p>{LONG_3}</p>"
            f"<p>{LONG_1.replace('Monday', 'Friday')}</p><p>{LONG_2.replace('year', 'winter')}</p>"
            f"{closing}"
        )
        result = extract_article(page(body))
        for text in (LONG_1, LONG_2, LONG_3):
            assert text in result.text, opening
        assert "Home" not in result.text


def test_a_real_site_header_is_still_cut() -> None:
    header = (
        "<header role='banner'><h1>Harbour Times</h1><p>News from the harbour since 1901, "
        "every morning.</p></header>"
    )
    result = extract_article(page(header + article(LONG_1, LONG_2, LONG_3)))
    assert "since 1901" not in result.text and LONG_2 in result.text
