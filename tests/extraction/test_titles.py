"""Titles: the headline among the page's title sources, a site name cut off, and only a
site name."""

from __future__ import annotations

import pytest

from newsetl.extraction import titles


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
    ],
)
def test_titles(title, site, h1, expected) -> None:
    assert titles.clean_title(title, site, h1) == expected
