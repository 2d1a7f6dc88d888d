"""The page's language: the declared one, unless the text is clearly in another (a site
template saying ``lang="en"`` over Swahili or German articles)."""

from __future__ import annotations

import pytest

from newsetl.extraction import extract_article
from newsetl.extraction.language import MIN_TEXT_CHARS, text_language
from tests.extraction.test_extract import LONG_1, LONG_2, LONG_3, article, page

SWAHILI = (
    "Serikali ya kaunti imetangaza kwamba ujenzi wa soko jipya la samaki utaanza mwezi "
    "ujao, baada ya miaka mitatu ya mazungumzo na wafanyabiashara wa eneo hilo.",
    "Wavuvi wengi wamesema kwamba soko la zamani limekuwa dogo mno na halina maji safi ya "
    "kutosha kwa siku za joto.",
    "Mkuu wa kaunti aliwaambia waandishi wa habari kwamba fedha zimeshatengwa na kwamba "
    "kazi itakamilika kabla ya mwisho wa mwaka, lakini baadhi ya wakazi wana wasiwasi "
    "kuhusu bei za vibanda.",
)
GERMAN = (
    "Der Stadtrat hat am Dienstagabend beschlossen, die alte Fähre bis zum Frühjahr "
    "weiterfahren zu lassen, weil der neue Anleger noch immer nicht fertig ist.",
    "Die Händler am Fischmarkt klagen seit Monaten über die Baustelle, die den Weg zu "
    "ihren Ständen versperrt, und fordern eine Entschädigung von der Stadt.",
)


def test_text_in_another_language_wins_over_the_template() -> None:
    result = extract_article(page(article(*SWAHILI)))  # <html lang="en">
    assert result.language == "sw"
    result = extract_article(page(article(*GERMAN), html_attrs='lang="en-GB"'))
    assert result.language == "de"


def test_declared_language_stands_when_the_text_agrees_or_is_short() -> None:
    assert extract_article(page(article(LONG_1, LONG_2, LONG_3))).language == "en"
    short = "Der Rat tagt am Dienstag."
    assert len(short) < MIN_TEXT_CHARS
    assert extract_article(page(article(short))).language == "en"


def test_close_languages_and_unknown_codes_keep_the_declared_one() -> None:
    danish = (
        "Byrådet besluttede tirsdag aften, at den gamle færge skal sejle videre til foråret, "
        "fordi den nye anløbsbro stadig ikke er færdig, og handlende ved fiskemarkedet "
        "klager over byggepladsen, der spærrer vejen til deres boder."
    )
    assert text_language(danish, "nb") == "nb"  # Norwegian and Danish: the page decides
    assert text_language(danish, "en") == "da"
    # a code the model does not know (Romansh) cannot be weighed against the text
    assert text_language(" ".join(GERMAN), "rm") == "rm"


def test_plain_agreement_never_loads_the_model() -> None:
    """Running text full of the declared language's commonest words (or in the script only
    it uses) agrees without py3langid's model, which costs seconds and ~100 MB to load."""
    import subprocess
    import sys

    code = (
        "from newsetl.extraction import extract_article\n"
        "from newsetl.extraction.language import _identifier\n"
        "from tests.extraction.test_extract import LONG_1, LONG_2, LONG_3, article, page\n"
        "assert extract_article(page(article(LONG_1, LONG_2, LONG_3))).language == 'en'\n"
        "ko = '시의회는 화요일 저녁 새 선착장이 아직 완공되지 않아 낡은 여객선을 봄까지 운항하기로 결정했다. ' * 4\n"
        "assert extract_article(page(article(ko), html_attrs='lang=\"ko\"')).language == 'ko'\n"
        "print(_identifier.cache_info().currsize)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "0"


@pytest.mark.parametrize(
    ("html_attrs", "head", "content_language", "expected"),
    [
        ('lang="en-GB"', "", None, "en"),
        ('lang="DE"', "", None, "de"),
        ("", "", "fr-FR", "fr"),
        ("", '<meta property="og:locale" content="es_ES">', None, "es"),
        ("", '<meta http-equiv="content-language" content="it">', None, "it"),
        ("", "", None, "en"),  # detected from the text
    ],
)
def test_language(html_attrs: str, head: str, content_language: str | None, expected: str) -> None:
    # Under 200 characters: too little text to outvote a declaration (see test_language.py).
    html = page(
        article("The ferry terminal will open in the spring, two years late."), head, html_attrs
    )
    assert extract_article(html, content_language=content_language).language == expected


def test_language_detected_for_german_text() -> None:
    text = (
        "Die Stadtverwaltung hat am Montag mitgeteilt, dass das neue Hallenbad erst im "
        "nächsten Frühjahr eröffnet wird, weil sich die Lieferung der Stahlträger verzögert hat."
    )
    assert (
        extract_article(page(article(text, text + " Noch einmal."), html_attrs="")).language == "de"
    )
