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
