"""Building blocks of the hostile and load sites: deterministic text, a plain article page,
a sitemap, and :class:`DynamicSite` (pages generated on request)."""

from __future__ import annotations

import html
import random
from collections.abc import Callable
from typing import Any

from newsetl.demo.server import Resource, Site

MB = 1024 * 1024

# Text


_WORDS = (
    "council budget river harbour school teacher railway station market farmer winter "
    "summer election mayor bridge library museum festival orchestra hospital nurse doctor "
    "village mountain valley forest storm flood drought harvest bakery ferry island tunnel "
    "engineer museum painter novel poet theatre stadium referee coach league season "
    "archive letter minister parliament treaty border customs freight airport runway "
    "pilot tram cyclist pavement square fountain cathedral tower clock bell garden"
).split()


def prose(seed: int | str, words: int) -> str:
    """Deterministic, distinct running text: sentences of 8-16 words from a small vocabulary."""
    rng = random.Random(str(seed))
    out: list[str] = []
    while len(out) < words:
        n = min(rng.randint(8, 16), words - len(out))
        sentence = [rng.choice(_WORDS) for _ in range(n)]
        sentence[0] = sentence[0].capitalize()
        sentence[-1] += "."
        out.extend(sentence)
    return " ".join(out)


def paragraphs(seed: str, count: int, words: int = 45) -> str:
    return "".join(f"<p>{prose(f'{seed}-{i}', words)}</p>" for i in range(count))


def article_page(base: str, path: str, title: str, body: str, *, head_extra: str = "") -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<meta property='og:type' content='article'>"
        f"<link rel='canonical' href='{base}{path}'>"
        "<meta property='article:published_time' content='2024-05-06T08:00:00Z'>"
        f"{head_extra}</head><body><header><a href='/'>Home</a></header>"
        f"<article><h1>{html.escape(title)}</h1>{body}</article>"
        "<footer><p>Copyright the hostile gazette.</p></footer></body></html>"
    )


def urlset(base: str, paths: list[str]) -> str:
    return (
        "<?xml version='1.0' encoding='UTF-8'?>"
        "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        + "".join(
            f"<url><loc>{base}{p}</loc><lastmod>2024-05-06T08:00:00Z</lastmod></url>" for p in paths
        )
        + "</urlset>"
    )


class DynamicSite(Site):
    """A Site whose unknown paths may be generated on request (endless pagination, a
    20,000-page load site) by ``dynamic(site, target) -> Resource | None``."""

    def __init__(
        self, name: str, dynamic: Callable[[Site, str], Resource | None], **kwargs: Any
    ) -> None:
        super().__init__(name, **kwargs)
        self.dynamic = dynamic

    def lookup(self, target: str) -> Resource | None:
        res = super().lookup(target)
        if res is None and self.base_url is not None:
            res = self.dynamic(self, target.split("?", 1)[0])
        return res
