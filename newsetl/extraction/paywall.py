"""Subscriber walls: whether a page says its article is behind one, and the wall's own
notices, which are never article text.

Evidence, strongest first: schema.org ``isAccessibleForFree`` (on the article's JSON-LD
node or any of its ``hasPart`` sections, or as microdata), the ``article:content_tier``
meta tag (``locked``/``metered``), then a wall notice in the page's visible text ("This
content is reserved for subscribers"). A page that says it is free and shows no wall
notice is not paywalled; a page that says neither is unknown (None).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# A notice that the text stops here for non-subscribers. Whole short lines only (up to
# WALL_LINE_WORDS words), so an article that talks about subscriptions is never taken.
WALL_NOTICE = re.compile(
    r"""(?:
        \b(?:this|the\ rest\ of\ this)\ (?:content|article|story|page|post)\ is\ (?:only\ )?
            (?:reserved|available|exclusive(?:ly)?)\ (?:for|to)\ (?:paid\ |paying\ )?
            (?:subscribers|members)\b|
        \b(?:subscribers|members)[\s-]+only\ (?:content|article|story)\b|
        \bfor\ (?:paid\ |paying\ )?subscribers\ only\b|
        \bsubscribe\ (?:now\ )?to\ (?:continue|keep)\ reading\b|
        \bto\ (?:continue|keep)\ reading,?\ (?:please\ )?(?:subscribe|become\ a\ (?:subscriber|member))\b|
        \byou\ have\ reached\ (?:your|the)\ (?:limit|maximum)\ of\ free\ articles\b|
        \byou(?:'ve|\ have)\ (?:read|used)\ (?:all\ )?(?:your\ )?\d*\ ?free\ articles\b|
        \b(?:dieser|der)\ (?:artikel|beitrag|inhalt)\ ist\ (?:nur\ |exklusiv\ )?
            (?:für|fuer)\ (?:abonnenten|abonnentinnen|abonnent\w*)\b|
        \bjetzt\ (?:abonnieren|abo\ abschließen)\ und\ weiterlesen\b|
        \bweiterlesen\ mit\ \w+\s?(?:plus|\+)\b|
        \b(?:cet\ article|ce\ contenu)\ est\ réservé\ aux\ abonnés\b|
        \bréservé\ aux\ abonnés\b|
        \b(?:este\ )?(?:contenido|artículo)\ (?:es\ )?exclusivo\ para\ (?:suscriptores|socios)\b|
        \b(?:contenuto|articolo)\ riservato\ agli\ abbonati\b|
        \bconteúdo\ exclusivo\ para\ assinantes\b|
        \b(?:dit\ )?(?:artikel|stuk)\ is\ (?:alleen\ )?(?:voor|exclusief\ voor)\ abonnees\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# The wall's other lines: shown with the notice, never article text (not evidence alone:
# many free pages carry a "Subscribe" link in their header).
WALL_LINE = re.compile(
    r"""^(?:
        already\ (?:a\ )?(?:subscriber|member)\b.{0,60}|
        (?:bereits|schon)\ abonnent\w*\b.{0,60}|
        déjà\ abonné\b.{0,60}|
        ¿?ya\ (?:eres|soy)\ (?:suscriptor|socio)\b.{0,60}|
        sei\ già\ abbonato\b.{0,60}|
        (?:subscribe|sign\ in|log\ in)\ to\ (?:read|unlock|access)\ (?:the\ )?(?:full\ )?
            (?:article|story|content)\b.{0,60}
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
WALL_LINE_WORDS = 40

_TRUE = frozenset({"true", "yes", "1", "schema.org/true"})
_FALSE = frozenset({"false", "no", "0", "schema.org/false"})
_LOCKED_TIERS = frozenset({"locked", "metered"})


def is_wall_line(text: str) -> bool:
    """A short line that is a subscriber wall's notice or its sign-in prompt."""
    if len(text.split()) > WALL_LINE_WORDS:
        return False
    line = " ".join(text.split())
    return WALL_NOTICE.search(line) is not None or WALL_LINE.match(line) is not None


def _free_flag(value: Any) -> bool | None:
    """An ``isAccessibleForFree`` value as a bool (``"False"``, ``"http://schema.org/True"``
    ...); None when it is neither."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        key = value.strip().lower()
        key = key.split("//", 1)[-1].removeprefix("www.")
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
    return None


def _node_free(node: dict[str, Any]) -> bool | None:
    """False when the node or one of its ``hasPart`` sections is not free, True when it says
    it is free, None when it says nothing."""
    own = _free_flag(node.get("isAccessibleForFree"))
    parts = node.get("hasPart")
    parts = parts if isinstance(parts, list) else [parts]
    for part in parts:
        if isinstance(part, dict) and _free_flag(part.get("isAccessibleForFree")) is False:
            return False
    return own


def find_paywalled(
    article_ld: dict[str, Any], metas: dict[str, str], lines: Iterable[str]
) -> bool | None:
    """Whether the article is behind a subscriber wall: True, False (the page says it is
    free and shows no wall notice) or None (the page says neither). ``lines`` are the
    page's visible text blocks."""
    free = _node_free(article_ld) if article_ld else None
    if free is None:
        free = _free_flag(metas.get("isaccessibleforfree"))
    tier = (metas.get("article:content_tier") or "").strip().lower()
    if free is False or tier in _LOCKED_TIERS:
        return True
    if any(
        len(line.split()) <= WALL_LINE_WORDS and WALL_NOTICE.search(" ".join(line.split()))
        for line in lines
    ):
        return True
    if free is True or tier == "free":
        return False
    return None
