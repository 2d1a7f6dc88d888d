"""The ``paywalled`` field: what the page declares (JSON-LD, microdata, content tier) and
the subscriber wall's own notice, which is dropped from the body."""

from __future__ import annotations

import json

from newsetl.extraction import extract_article
from tests.extraction.test_extract import LONG_1, LONG_2, LONG_3, article, page


def ld(**fields: object) -> str:
    node = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Ferry"}
    node.update(fields)
    return f"<script type='application/ld+json'>{json.dumps(node)}</script>"


def test_declared_not_free_is_paywalled() -> None:
    for value in (False, "False", "false", "http://schema.org/False"):
        result = extract_article(page(article(LONG_1, LONG_2), head=ld(isAccessibleForFree=value)))
        assert result.paywalled is True, value


def test_a_section_not_free_is_paywalled() -> None:
    part = {"@type": "WebPageElement", "isAccessibleForFree": False, "cssSelector": ".locked"}
    head = ld(isAccessibleForFree=True, hasPart=[part])
    assert extract_article(page(article(LONG_1, LONG_2), head=head)).paywalled is True


def test_locked_content_tier_and_microdata() -> None:
    tier = "<meta property='article:content_tier' content='locked'>"
    assert extract_article(page(article(LONG_1, LONG_2), head=tier)).paywalled is True
    micro = article(LONG_1, LONG_2, extra="<meta itemprop='isAccessibleForFree' content='true'>")
    assert extract_article(page(micro)).paywalled is False


def test_declared_free_is_not_paywalled_and_silence_is_unknown() -> None:
    free = extract_article(page(article(LONG_1, LONG_2), head=ld(isAccessibleForFree=True)))
    assert free.paywalled is False
    assert extract_article(page(article(LONG_1, LONG_2, LONG_3))).paywalled is None


def test_wall_notice_marks_the_page_and_leaves_the_body() -> None:
    """A teaser, then the wall: the notice and its sign-in prompt are no article text."""
    for notice, prompt in (
        ("THIS CONTENT IS RESERVED FOR SUBSCRIBERS", "Already a subscriber? Sign in here"),
        ("Dieser Artikel ist exklusiv für Abonnenten.", "Bereits Abonnent? Hier anmelden"),
        ("Cet article est réservé aux abonnés.", "Déjà abonné ? Se connecter"),
    ):
        result = extract_article(page(article(LONG_1, LONG_2, notice, prompt)))
        assert result.paywalled is True, notice
        assert LONG_2 in result.text
        assert notice not in result.text and prompt not in result.text


def test_an_article_about_subscriptions_is_not_a_wall() -> None:
    about = (
        "The paper said that the article was reserved for subscribers at first, and that "
        "it opened the archive to everyone a week later, after complaints from readers "
        "who had followed the ferry story since the first delays were announced."
    )
    result = extract_article(page(article(LONG_1, about, LONG_2)))
    assert result.paywalled is None
    assert about in result.text
