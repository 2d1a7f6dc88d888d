"""Which blocks are the article (scores flowing up to containers, markers, twins) and
the cleaning of the chosen ones (date/byline lines, junk, refrains, repeats)."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from newsetl.extraction.paywall import is_wall_line
from newsetl.extraction.selectors import (
    BYLINE_LINE,
    CONSENT_LINE,
    COPYRIGHT_LINE,
    CREDIT_LINE,
    CTA_LINE,
    DATE_IN_LINE,
    HEADING_TAGS,
    JUNK_LINE,
    MARKUP_LINE,
    attr_verdict,
)
from newsetl.extraction.walk import Block, Walker

_MIN_DUP_WORDS = 12
_DUP_CANDIDATES = 4  # earlier paragraphs compared in full with each new one, at most
_DUP_POSTINGS = 64  # paragraphs remembered per word trigram, at most
CLIMB_LEVELS = 3
CLIMB_RATIO = 2.0

# ---------------------------------------------------------------------------------------
# Choosing the article's blocks

_GOOD_KINDS = frozenset({"p", "div", "td", "pre", "blockquote", "dd", "section", "article", "main"})


def _block_score(block: Block) -> float:
    """Readability-style content score of one block (0 for short or link-heavy blocks)."""
    n = len(block.text)
    if n < 25:
        return 0.0
    density = block.link_len / block.size if block.size else 0.0
    if density > 0.33:
        return 0.0
    text = block.text
    score = 1.0 + text.count(",") + text.count("、") + text.count("，") + min(n // 100, 3)
    if block.kind == "li":
        score *= 0.5
    elif block.kind in HEADING_TAGS:
        score = 0.0
    return score * (1.0 - density)


def choose_blocks(blocks: list[Block], walker: Walker) -> list[Block]:
    """The blocks that make up the article: the best container plus good siblings."""
    if not blocks:
        return []
    scores: dict[int, float] = {}
    chars: dict[int, int] = {}
    links: dict[int, int] = {}
    totals: dict[int, float] = {}
    parents: dict[int, int | None] = {}
    block_scores = [_block_score(b) for b in blocks]
    for block, score in zip(blocks, block_scores, strict=True):
        path = block.path
        for key in path:
            chars[key] = chars.get(key, 0) + block.size
            links[key] = links.get(key, 0) + block.link_len
        if not score:
            continue
        prev = None
        for key in path:
            totals[key] = totals.get(key, 0.0) + score
            parents[key] = prev
            prev = key
        # The owner of a <p> is the <p>: its container is one level up.
        start = len(path) - (2 if block.kind in ("p", "li", "blockquote", "pre") else 1)
        for level in range(5):
            i = start - level
            if i < 0:
                break
            key = path[i]
            divider = 1.0 if level == 0 else (2.0 if level == 1 else level * 3.0)
            scores[key] = scores.get(key, 0.0) + score / divider
    if not scores:
        return []
    best_key, best = None, -1.0
    for key, score in scores.items():
        density = links.get(key, 0) / max(1, chars.get(key, 1))
        value = score * walker.weights.get(key, 1.0) * (1.0 - density)
        if value > best:
            best_key, best = key, value
    assert best_key is not None
    # A platform marker that holds most of the article text wins over the raw best.
    best_total = totals.get(best_key, 0.0)
    best_plain = chars.get(best_key, 0) - links.get(best_key, 0)
    marked = sorted(
        (rank, -totals.get(key, 0.0), key)
        for key, rank in walker.markers.items()
        if (totals.get(key, 0.0) >= 0.5 * best_total and totals.get(key, 0.0) > 0)
        or (chars.get(key, 0) - links.get(key, 0) >= max(400, 0.5 * best_plain))
    )
    if marked:
        best_key = marked[0][2]
    best_key = _climb(best_key, parents, totals, chars, links, walker)
    twins = _twin_containers(blocks, best_key, totals, chars, links, walker)
    return _gather(blocks, block_scores, best_key, scores, walker, twins)


TWIN_LEVELS = 5


def _twin_containers(
    blocks: list[Block],
    best_key: int,
    totals: dict[int, float],
    chars: dict[int, int],
    links: dict[int, int],
    walker: Walker,
) -> set[int]:
    """Containers built like the chosen one that hold the rest of the article.

    Pages assembled from repeated sections (text, figure, text ...) put each run of
    paragraphs in its own container with the same tag and class. From the chosen container
    and the wrappers that hold little besides it, siblings with the same tag and class
    join when their text reads as content (some scoring text, few links).
    """
    chain: tuple[int, ...] = ()
    for block in blocks:
        if best_key in block.path:
            chain = block.path[: block.path.index(best_key) + 1]
            break
    if len(chain) < 2:
        return set()
    base_chars = chars.get(best_key, 0)
    wanted: dict[int, tuple[str, str]] = {}  # parent key -> (tag, class) of the wrapper
    for level in range(min(TWIN_LEVELS, len(chain) - 2) + 1):
        key = chain[-1 - level]
        if level and chars.get(key, 0) > 1.25 * base_chars + 200:
            break
        tag = walker.elements.get(key)
        cls = tag.attrs.get("class") if tag is not None else None
        if tag is not None and isinstance(cls, str) and cls.strip():
            wanted[chain[-2 - level]] = (tag.name, cls)
    if not wanted:
        return set()
    found: set[int] = set()
    seen: set[int] = set(chain)
    for block in blocks:
        path = block.path
        for i in range(len(path) - 1):
            sig = wanted.get(path[i])
            if sig is None:
                continue
            key = path[i + 1]
            if key in seen:
                continue
            seen.add(key)
            tag = walker.elements.get(key)
            if tag is None or (tag.name, tag.attrs.get("class")) != sig:
                continue
            ident = tag.attrs.get("id")
            if isinstance(ident, str) and attr_verdict(ident) < 0:
                continue  # same look, but named as a newsletter box, comments ...
            size = chars.get(key, 0)
            if totals.get(key, 0.0) >= 3.0 and links.get(key, 0) < 0.25 * size:
                found.add(key)
    return found


def _climb(
    key: int,
    parents: dict[int, int | None],
    totals: dict[int, float],
    chars: dict[int, int],
    links: dict[int, int],
    walker: Walker,
) -> int:
    """Move up to an ancestor that holds much more good text with few links.

    Articles split into sections ("step 1", "step 2" ...) give each section its own
    container; the best one alone would lose the rest.
    """
    best, base, node = key, totals.get(key, 0.0), key
    start, levels = base, 0
    while levels < CLIMB_LEVELS:
        parent = parents.get(node)
        if parent is None or parents.get(parent) is None:  # never the <body> itself
            break
        # Wrappers around the chosen block alone are no levels of their own: pages that
        # give each paragraph three nested <div>s would otherwise stop short of the body.
        if totals.get(parent, 0.0) > start:
            levels += 1
        node = parent
        density = links.get(node, 0) / max(1, chars.get(node, 1))
        if totals.get(node, 0.0) >= CLIMB_RATIO * base and density < 0.25:
            best, base = node, totals.get(node, 0.0)
    return best


def _gather(
    blocks: list[Block],
    block_scores: list[float],
    best_key: int,
    scores: dict[int, float],
    walker: Walker,
    twins: set[int] | frozenset[int] = frozenset(),
) -> list[Block]:
    """Blocks under the chosen container, plus those of siblings that look like content."""
    best_score = scores.get(best_key, 0.0)
    threshold = max(10.0, best_score * 0.2)
    best_tag = walker.elements.get(best_key)
    best_class = best_tag.attrs.get("class") if best_tag is not None else None
    parent_key: int | None = None
    for block in blocks:
        if best_key in block.path:
            i = block.path.index(best_key)
            parent_key = block.path[i - 1] if i > 0 else None
            break
    chosen: list[Block] = []
    sibling_ok: dict[int, bool] = {}
    negative = walker.negative
    for block, score in zip(blocks, block_scores, strict=True):
        path = block.path
        if best_key in path:
            if negative and not negative.isdisjoint(path[path.index(best_key) + 1 :]):
                continue
            chosen.append(block)
            continue
        if twins and not twins.isdisjoint(path):
            # Below the twin only: a twin is named like the chosen container, so a name
            # that reads as boilerplate ("article-widget") on both says nothing.
            twin_at = next(i for i, key in enumerate(path) if key in twins)
            if not negative or negative.isdisjoint(path[twin_at + 1 :]):
                chosen.append(block)
            continue
        if parent_key is None or parent_key not in path:
            continue
        i = path.index(parent_key)
        if negative and not negative.isdisjoint(path[i + 1 :]):
            continue
        if i + 1 >= len(path):  # loose text directly in the parent
            if score and len(block.text) > 80:
                chosen.append(block)
            continue
        sib = path[i + 1]
        ok = sibling_ok.get(sib)
        if ok is None:
            sib_score = scores.get(sib, 0.0)
            tag = walker.elements.get(sib)
            same_class = (
                bool(best_class) and tag is not None and tag.attrs.get("class") == best_class
            )
            ok = sib_score + (best_score * 0.2 if same_class else 0.0) >= threshold
            sibling_ok[sib] = ok
        if ok:
            chosen.append(block)
        elif len(path) == i + 2 and block.kind == "p" and score:
            density = block.link_len / block.size if block.size else 0.0
            if (len(block.text) > 80 and density < 0.25) or (
                density == 0 and block.text.rstrip()[-1:] in ".!?\"'”"
            ):
                chosen.append(block)
    return chosen


# ---------------------------------------------------------------------------------------
# Cleaning the chosen blocks

_WORD = re.compile(r"\w+")
_READ_TIME = re.compile(r"\b\d+\s*(?:min|mins|minutes?)\.?\s+(?:read|Lesezeit|de lecture)", re.I)
_COUNTER = re.compile(r"^[\d.,\s]+[kKmM]?(?:\s+\w+)?$")
_SENTENCE_END = (".", "!", "?", "。", "！", "？", '"', "”", "»", ")")


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _is_meta_line(text: str, title_norm: str) -> bool:
    """A line that is a byline, a date, a junk label or the headline, not running text."""
    words = text.split()
    n = len(words)
    if n <= 12 and len(text) < 120:
        if JUNK_LINE.match(text) or _READ_TIME.search(text) or _COUNTER.match(text):
            return True
        if BYLINE_LINE.match(text) and (n <= 10 or DATE_IN_LINE.search(text)):
            return True
        date = DATE_IN_LINE.search(text)
        if date and len(date.group(0).split()) + 4 >= n and not text.rstrip().endswith("."):
            return True
    if n <= 30 and CTA_LINE.match(text):
        return True
    if n <= 25 and CREDIT_LINE.match(text):
        return True
    if n <= 40 and (COPYRIGHT_LINE.search(text) or is_wall_line(text)):
        return True
    if n <= 80 and CONSENT_LINE.search(text):
        return True
    if title_norm and n <= 40 and _norm(text) == title_norm:
        return True
    return False


def _is_label_line(line: str) -> bool:
    """One line among several of a block: a byline, junk label, credit, call to action or
    copyright notice (dates and numbers alone stay: lists and citations carry them)."""
    n = len(line.split())
    if n <= 12 and len(line) < 120 and JUNK_LINE.match(line):
        return True
    if BYLINE_LINE.match(line) and (n <= 10 or DATE_IN_LINE.search(line)):
        return True
    return (
        (n <= 30 and CTA_LINE.match(line) is not None)
        or (n <= 25 and CREDIT_LINE.match(line) is not None)
        or (n <= 40 and COPYRIGHT_LINE.search(line) is not None)
        or is_wall_line(line)
    )


def drop_repeats(blocks: list[str]) -> list[str]:
    """Drop paragraphs that repeat an earlier one exactly or nearly; keep short refrains."""
    kept: list[str] = []
    seen_exact: set[str] = set()
    index: dict[tuple[str, str, str], list[int]] = {}
    long_words: list[list[str]] = []
    long_pos: list[int] = []
    for text in blocks:
        words = _WORD.findall(text.lower())
        if len(words) < _MIN_DUP_WORDS:
            kept.append(text)
            continue
        key = " ".join(words)
        if key in seen_exact:
            continue
        grams = set(zip(words, words[1:], words[2:], strict=False))
        hits: dict[int, int] = {}
        for gram in grams:
            for j in index.get(gram, ()):
                hits[j] = hits.get(j, 0) + 1
        duplicate = False
        need = 0.4 * len(grams)
        candidates = sorted((c, j) for j, c in hits.items() if c >= need)
        for _count, j in candidates[-_DUP_CANDIDATES:]:
            other = long_words[j]
            if not 0.75 <= len(other) / len(words) <= 1.33:
                continue
            matcher = SequenceMatcher(None, other, words, autojunk=False)
            if matcher.quick_ratio() >= 0.85 and matcher.ratio() >= 0.85:
                duplicate = True
                break
        if duplicate:
            continue
        seen_exact.add(key)
        j = len(long_words)
        long_words.append(words)
        long_pos.append(len(kept))
        for gram in grams:
            posting = index.setdefault(gram, [])
            if len(posting) < _DUP_POSTINGS:  # a stock phrase says little about repeats
                posting.append(j)
        kept.append(text)
    return kept


LI_OWN_TEXT = 15  # a link-heavy list item with this much text of its own is content


def _introduces_text(chosen: list[Block], i: int) -> bool:
    """A (linked) subheading followed by a long paragraph heads a section of the text;
    a teaser headline is followed by a short blurb, or by nothing."""
    if i + 1 >= len(chosen):
        return False
    nxt = chosen[i + 1]
    if nxt.kind in HEADING_TAGS or len(nxt.text) < 200:
        return False
    return (nxt.link_len / nxt.size if nxt.size else 0.0) < 0.2


REFRAIN_MIN = 5  # a short line seen this often is interface text (per-photo prompts ...)


def _drop_refrains(blocks: list[Block]) -> list[Block]:
    """Drop short lines that repeat word for word several times, keeping the first."""
    counts: dict[str, int] = {}
    for block in blocks:
        if len(block.text) < 80:
            counts[block.text] = counts.get(block.text, 0) + 1
    if not counts or max(counts.values()) < REFRAIN_MIN:
        return blocks
    seen: set[str] = set()
    kept = []
    for block in blocks:
        text = block.text
        if counts.get(text, 0) >= REFRAIN_MIN:
            if text in seen:
                continue
            seen.add(text)
        kept.append(block)
    return kept


def clean_blocks(
    chosen: list[Block], title: str | None, description: str | None = None
) -> list[str]:
    """Texts of the chosen blocks minus link lists, meta lines, the dek and repeats."""
    title_norm = _norm(title) if title else ""
    desc_norm = _norm(description) if description else ""
    out: list[Block] = []
    for i, block in enumerate(chosen):
        if desc_norm and block.kind in HEADING_TAGS and _norm(block.text) == desc_norm:
            continue  # the standfirst shown under the headline
        text = block.text
        density = block.link_len / block.size if block.size else 0.0
        words = len(text.split())
        if density > 0.8 and words < 15:
            if not (block.kind in HEADING_TAGS and _introduces_text(chosen, i)):
                continue
        if (
            block.kind == "li"
            and density > 0.3
            and words < 15
            and block.size - block.link_len < LI_OWN_TEXT
        ):
            continue
        if _is_meta_line(text, title_norm):
            continue
        if block.kind != "pre" and MARKUP_LINE.match(text):
            continue
        if "\n" in text and block.kind != "pre":
            # Lines joined by <br>: a byline or date line among them goes on its own.
            lines = [line for line in text.split("\n") if not _is_label_line(line)]
            if not lines:
                continue
            if len(lines) < text.count("\n") + 1:
                block = Block("\n".join(lines), block.link_len, block.size, block.kind, block.path)
        out.append(block)
    out = _drop_refrains(out)
    # A trailing heading introduces something that was cut (comments, related posts).
    while (
        out
        and len(out[-1].text) < 80
        and (out[-1].kind in HEADING_TAGS or out[-1].text.rstrip().endswith(("...", "…", ":")))
    ):
        out.pop()
    return drop_repeats([b.text for b in out])


def blocks_link_density(blocks: list[Block]) -> float:
    """Share of the chosen content's characters that sit inside links."""
    size = sum(b.size for b in blocks)
    if not size:
        return 0.0
    return round(min(1.0, sum(b.link_len for b in blocks) / size), 4)


def headline_links(blocks: list[Block]) -> int:
    """Blocks that are one linked line of four or more words (teaser headlines).

    A listing or section page is a column of these (teaser headlines); an article has a
    few at most (a related-stories list the markup did not mark as such).
    """
    seen: set[str] = set()
    for block in blocks:
        if block.size and block.link_len >= 0.8 * block.size:
            text = block.text
            if 4 <= len(text.split()) <= 40:
                seen.add(text)
    return len(seen)
