"""Body rules on modern news templates: wrapped paragraphs, subscriber walls, consent
boxes, "up next" blocks. Each page here is written for the pattern it shows."""

from __future__ import annotations

from newsetl.extraction import extract_article
from tests.extraction.test_extract import LONG_1, LONG_2, LONG_3, page


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
