"""The text's own language, with py3langid's calibrated confidence: used where a page's
declared language (a template's ``lang="en"``) and its text disagree."""

from __future__ import annotations

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
    if len(text) < MIN_TEXT_CHARS:
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
