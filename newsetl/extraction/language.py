"""The text's own language, with py3langid's calibrated confidence: used where a page's
declared language (a template's ``lang="en"``) and its text disagree.

The model costs seconds and ~100 MB to load (it ships xz-compressed), so a cheap look
comes first: text full of the declared language's commonest words, or written in the
script only that language uses, agrees with it and never loads the model.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

# A declared language gives way only to a confident reading of enough text.
MIN_TEXT_CHARS = 200
MIN_CONFIDENCE = 0.95
SAMPLE_CHARS = 5000  # the first characters are enough, and bound the cost

# Languages the model tells apart poorly, or that are one language under two codes: the
# declared one stands within a group.
_CLOSE = (
    frozenset({"no", "nb", "nn", "da"}),
    frozenset({"hr", "sr", "bs"}),
    frozenset({"ms", "id"}),
    frozenset({"cs", "sk"}),
)


# The commonest short words of languages often declared by site templates; in running
# text they make up a third or more of the words.
_COMMON_WORDS = {
    "en": "the of and to in a is that for it on with as was by at be this are from have "
    "has an not or but he she they his her said were which will their its been would",
    "de": "der die das und in zu den von mit ist des sich nicht auf für ein eine dem im "
    "auch es an als wird werden hat bei nach sie er wir aus einer noch wie",
    "fr": "le la les de des et à en un une du est que qui dans pour pas au sur par il elle "
    "ne se plus avec son sa ont été sont aux ce cette",
    "es": "el la los las de del y en a que un una por con para es se no lo su al como más "
    "pero sus le ha fue son está este esta",
    "it": "il lo la i gli le di del della e in a che un una per con è non si da al alla "
    "sono come più ma anche nel nella ha questo",
    "pt": "o a os as de do da dos das e em um uma que para com por não se no na é ao mais "
    "como mas foi são seu sua pelo pela",
    "nl": "de het een en van in is op te dat die voor met zijn niet aan er om ook als bij "
    "door maar naar wordt nog wel",
}
_COMMON = {lang: frozenset(words.split()) for lang, words in _COMMON_WORDS.items()}
COMMON_SHARE = 0.15  # this share of the words among the declared language's commonest
_WORD = re.compile(r"[^\W\d_]+")
# Scripts that one language alone uses among those the model knows.
_OWN_SCRIPT = {
    "ko": re.compile(r"[\uac00-\ud7a3]"),
    "ja": re.compile(r"[\u3040-\u30ff]"),
    "th": re.compile(r"[\u0e00-\u0e7f]"),
    "el": re.compile(r"[\u0370-\u03ff]"),
    "he": re.compile(r"[\u0590-\u05ff]"),
    "hy": re.compile(r"[\u0530-\u058f]"),
    "ka": re.compile(r"[\u10a0-\u10ff]"),
}


def _agrees_cheaply(sample: str, declared: str) -> bool:
    """The text plainly is in the declared language, without the model."""
    common = _COMMON.get(declared)
    if common is not None:
        words = _WORD.findall(sample.lower())
        return bool(words) and sum(w in common for w in words) >= COMMON_SHARE * len(words)
    script = _OWN_SCRIPT.get(declared)
    if script is not None:
        letters = sum(ch.isalpha() for ch in sample)
        return bool(letters) and len(script.findall(sample)) >= 0.3 * letters
    return False


@cache
def _identifier() -> Any:
    """py3langid's model with normalised probabilities (loaded once per process)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _close(a: str, b: str) -> bool:
    return any(a in group and b in group for group in _CLOSE)


def text_language(text: str, declared: str) -> str:
    """``declared``, unless the text is long enough and confidently in another language
    the model knows, the declared one being one it knows too (a template's ``lang="en"``
    on a Zulu page)."""
    if len(text) < MIN_TEXT_CHARS or _agrees_cheaply(text[:SAMPLE_CHARS], declared):
        return declared
    try:
        ident = _identifier()
        if declared not in ident.nb_classes:
            return declared  # a language the model cannot recognise: nothing to weigh
        lang, confidence = ident.classify(text[:SAMPLE_CHARS])
    except Exception:  # noqa: BLE001 - detection is best effort
        return declared
    if lang == declared or len(lang) != 2 or confidence < MIN_CONFIDENCE:
        return declared
    if _close(lang, declared):
        return declared
    return str(lang)
