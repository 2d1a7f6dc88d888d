"""The entry point: one HTML page -> ``Extracted``, each stage handed what it needs.

How the body is found, in order:

1. (``prepass``) A linear pre-pass drops elements that never hold article text (scripts,
   styles, SVG, iframes, comments ...) from the raw HTML. Then a cheap lxml pass
   (``prepass.slim_tree``) reads the head's metadata and cuts the head out, drops
   text-less void and empty elements, and swaps out the subtrees the walk below would skip
   anyway (``prepass.Cuts``: skipped tags, hidden elements, class/id words that say
   boilerplate); in what stays it drops attributes nobody reads, bare inline wrappers
   and whitespace that never reaches the text, so BeautifulSoup has far fewer objects to
   build. The cut subtrees come back only when needed: for the lenient second walk, and
   for the date/author scan (on lxml).
2. BeautifulSoup (lxml parser) builds the tree. One iterative walk (``walk``) skips
   boilerplate subtrees (navigation, footers, hidden elements, share bars, comments,
   bylines ... see ``selectors``) and cuts the rest into text blocks, remembering for
   each block the chain of block-level elements that hold it.
3. (``blocks``) Blocks are scored by length, commas and link density; scores flow to
   their container elements. The best container wins, with platform markers
   (``itemprop=articleBody``, ``.entry-content`` ...) preferred when they hold most of
   the text, and good-scoring siblings joined to it, as are containers built alike (same
   tag and class) that hold the article's other sections.
4. (``blocks``) Inside the chosen blocks, date/byline lines, repeated title, junk,
   credit and call-to-action lines, interface lines repeated many times and repeated
   paragraphs are dropped. JSON-LD ``articleBody`` (markup turned into text) is the
   fallback when that finds little. Metadata comes from ``metadata``, dates from
   ``newsetl.dates``.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Tag

from newsetl.dates import split_offset
from newsetl.discover.classify import text_units
from newsetl.extraction.blocks import (
    blocks_link_density,
    choose_blocks,
    clean_blocks,
    drop_repeats,
    headline_links,
)
from newsetl.extraction.bylines import find_authors
from newsetl.extraction.encoding import decode_html
from newsetl.extraction.metadata import (
    LD_MARKUP,
    PUBLISHED_META_KEYS,
    find_jsonld,
    find_language,
    jsonld_article,
    jsonld_types,
    markup_to_text,
    meta_map,
    page_extras,
)
from newsetl.extraction.paywall import find_paywalled
from newsetl.extraction.prepass import (
    MAX_PARSE_CHARS,
    make_soup,
    page_link_density,
    shrink_html,
    slim_tree,
    strip_non_content,
)
from newsetl.extraction.published import date_by_htmldate, find_published, page_day_first
from newsetl.extraction.titles import find_title
from newsetl.extraction.walk import BR, Walker
from newsetl.models import Extracted

LENIENT_BELOW_WORDS = 120  # less text than this: try again entering "boilerplate" wrappers

# ---------------------------------------------------------------------------------------
# Entry point


def extract_article(
    html: str | bytes,
    url: str | None = None,
    *,
    encoding_hint: str | None = None,
    content_language: str | None = None,
    fetched_at: datetime | None = None,
) -> Extracted:
    """Extract the article from one HTML page.

    Returns an ``Extracted`` with metadata, evidence and the clean body text (blocks
    separated by one blank line). Never raises: unusable input gives empty text.
    """
    try:
        return _extract(html, url, encoding_hint, content_language, fetched_at)
    except Exception:  # noqa: BLE001 - one bad page must not stop a run
        return Extracted(url=url)


def _html_tag(soup: BeautifulSoup) -> Tag | None:
    html_tag = soup.find("html") if soup.contents else None
    return html_tag if isinstance(html_tag, Tag) else None


def _extract(
    html: str | bytes,
    url: str | None,
    encoding_hint: str | None,
    content_language: str | None,
    fetched_at: datetime | None,
) -> Extracted:
    given = html  # the caller's object: kept without a copy, for htmldate (below)
    if isinstance(html, bytes | bytearray):
        html = decode_html(bytes(html), encoding_hint)
    elif not isinstance(html, str):
        return Extracted(url=url)
    else:
        html = html.replace("\x00", "")
    if not html.strip():
        return Extracted(url=url)

    jsonld = find_jsonld(html)
    article_ld = jsonld_article(jsonld)
    cleaned = strip_non_content(html).replace(BR, " ")
    del html  # a 10 MB page: keep one copy alive, not three
    if len(cleaned) > MAX_PARSE_CHARS:
        cleaned = shrink_html(cleaned)
    head, cuts, link_density = slim_tree(cleaned)
    if cuts is None:
        link_density = page_link_density(cleaned)
    else:
        cleaned = cuts.html()
    soup = make_soup(cleaned)
    del cleaned
    html_tag = _html_tag(soup)

    walker = Walker()
    walker.soup = soup
    walker.cuts = cuts
    if head is not None:
        walker.metas.extend(head.metas)
        walker.links.extend(head.links)
        walker.title = head.title
    else:
        head_tag = html_tag.find("head", recursive=False) if html_tag is not None else None
        if isinstance(head_tag, Tag):
            for child in head_tag.find_all(["meta", "link", "title"]):
                walker._note_skipped(child, child.name)
    body = soup.body or html_tag or soup
    walker.walk(body)
    metas = meta_map(walker.metas)

    site_name = metas.get("og:site_name")
    title = find_title(article_ld, metas, walker, url)

    chosen = choose_blocks(walker.blocks, walker)
    description = metas.get("og:description") or metas.get("description")
    paragraphs = clean_blocks(chosen, title, description)
    content_density = blocks_link_density(chosen)
    content_headlines = headline_links(chosen)
    text = "\n\n".join(paragraphs)

    ld_body = article_ld.get("articleBody") if article_ld else None
    if isinstance(ld_body, str) and LD_MARKUP.search(ld_body):
        ld_body = markup_to_text(ld_body)
    # Text is measured in words, two CJK characters to a word (those scripts have no
    # spaces between words).
    if isinstance(ld_body, str) and text_units(ld_body) >= 50:
        if text_units(text) < 0.5 * text_units(ld_body):
            paragraphs = drop_repeats(
                [
                    " ".join(p.split())
                    for p in re.split(r"\n\s*\n|\r\n\s*\r\n|\n", ld_body)
                    if p.strip()
                ]
            )
            text = "\n\n".join(paragraphs)
    words = text_units(text)
    if words < LENIENT_BELOW_WORDS:
        # Little text: maybe the article sits inside a wrapper whose class reads as
        # boilerplate ("share-wrapper"). Walk again entering such wrappers.
        lenient = Walker(strict=False)
        if cuts is not None and cuts.restore_soft():
            # The soup lacks subtrees that only the strict walk skips: build it with them.
            full = make_soup(cuts.html())
            lenient.walk(full.body or _html_tag(full) or full)
        else:
            lenient.walk(body)
        lenient_chosen = choose_blocks(lenient.blocks, lenient)
        retry = clean_blocks(lenient_chosen, title, description)
        retry_text = "\n\n".join(retry)
        if text_units(retry_text) > 1.5 * words + 30:
            paragraphs, text = retry, retry_text
            content_density = blocks_link_density(lenient_chosen)
            content_headlines = headline_links(lenient_chosen)

    canonical = None
    for attrs in walker.links:
        rel = attrs.get("rel")
        rel = rel if isinstance(rel, str) else " ".join(rel or ())
        if "canonical" in rel.lower().split() and attrs.get("href"):
            canonical = str(attrs["href"]).strip()
            break
    if not canonical:
        canonical = metas.get("og:url") or None
    if canonical:
        canonical = urljoin(url, canonical) if url else canonical
    is_amp = html_tag is not None and ("amp" in html_tag.attrs or "⚡" in html_tag.attrs)
    extras = page_extras(article_ld, metas, walker, url)
    language = find_language(html_tag, metas, content_language, text)
    attrs = html_tag.attrs if html_tag is not None else {}
    declared = (attrs.get("lang"), attrs.get("xml:lang"), metas.get("og:locale"), content_language)
    dayfirst = page_day_first(language, declared)
    local = find_published(jsonld, article_ld, metas, walker, url, dayfirst, fetched_at, title)
    if local is None and text_units(text) >= 50:
        # (a page with less text is no article to store: not worth htmldate's time)
        # htmldate reads the page as served (attributes, scripts and comments included),
        # not the slimmed tree: decoded again from the caller's bytes, never kept twice.
        page = decode_html(bytes(given), encoding_hint) if not isinstance(given, str) else given
        local = date_by_htmldate(page, url, language)
    authors = find_authors(article_ld, metas, walker, url)
    published_at, offset_min = split_offset(local)
    return Extracted(
        url=url,
        title=title,
        authors=authors,
        published_at=published_at,
        published_utc_offset_min=offset_min,
        language=language,
        text=text,
        canonical_url=canonical,
        amp_of=canonical if is_amp else None,
        paywalled=find_paywalled(article_ld, metas, (block.text for block in walker.blocks)),
        description=(" ".join(description.split()) or None) if description else extras["desc"],
        image=extras["image"],
        tags=extras["tags"],
        modified_at=extras["modified"],
        site_name=site_name or extras["publisher"],
        jsonld_types=jsonld_types(jsonld),
        og_type=metas.get("og:type") or None,
        paragraph_count=len(paragraphs),
        link_density=link_density or 0.0,  # slim_tree gives None only with no cuts: set above
        content_link_density=content_density,
        content_headline_links=content_headlines,
        dated_items=len({stamp.strip()[:10] for stamp in walker.times if stamp.strip()}),
        has_published_meta=any(k in metas for k in PUBLISHED_META_KEYS)
        or bool(article_ld.get("datePublished")),
    )
