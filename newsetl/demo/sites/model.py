"""The demo sites' model: :class:`Post`, the site files (``<name>.toml`` beside this module)
read into posts, and the helpers the renderers share (paths, escaping, sitemaps, dates)."""

from __future__ import annotations

import html
import json
import re
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from newsetl.demo.server import HTML, Resource, Site

# A 1x1 transparent GIF, served for every image path.
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)

_FOLDER = Path(__file__).parent


@dataclass
class Post:
    """One article of a demo site. ``paragraphs`` items starting with "## " are subheads."""

    slug: str
    title: str
    authors: list[str]
    published: datetime  # timezone-aware, in the site's local offset
    paragraphs: list[str]
    lang: str = "en"
    description: str = ""  # standfirst / excerpt / meta description
    updated: datetime | None = None
    categories: list[str] = field(default_factory=list)  # slugs
    tags: list[str] = field(default_factory=list)  # slugs
    post_id: int = 0  # WordPress ?p= id
    credit: str | None = None  # a closing line such as "(Reporting by ...)"
    comments: list[tuple[str, str]] = field(default_factory=list)  # (name, text)
    amp: bool = False  # WordPress: also serve <url>amp/
    duplicate_of: tuple[str, str] | None = None  # (site name, path) of the original
    path: str | None = None  # fixed path; else the site's permalink pattern

    @property
    def body(self) -> list[str]:
        """The running-text paragraphs (subheads left out), credit line included."""
        out = [p for p in self.paragraphs if not p.startswith("## ")]
        return out + ([self.credit] if self.credit else [])

    @property
    def words(self) -> int:
        return sum(len(p.split()) for p in [self.description, *self.body])


# -- the site files ----------------------------------------------------------------------


def site_config(name: str) -> dict[str, Any]:
    """The parsed ``<name>.toml``: settings, ``data`` and the posts as tables (a fresh copy)."""
    with (_FOLDER / f"{name}.toml").open("rb") as fh:
        return tomllib.load(fh)


def load_posts(name: str) -> list[Post]:
    """The posts of site ``name``, in file order.

    A post with a ``republished`` table takes its text from its ``duplicate_of`` original:
    the paragraph ``cut`` left out, ``added`` put after the paragraph ``after``.
    """
    posts = []
    for raw in site_config(name)["posts"]:
        edit = raw.pop("republished", None)
        if edit is not None:
            raw["paragraphs"] = _republished(raw["duplicate_of"], edit)
        if "comments" in raw:
            raw["comments"] = [(who, text) for who, text in raw["comments"]]
        if "duplicate_of" in raw:
            raw["duplicate_of"] = tuple(raw["duplicate_of"])
        posts.append(Post(**raw))
    return posts


def _republished(original: list[str], edit: dict[str, str]) -> list[str]:
    site, path = original
    source = next(p for p in load_posts(site) if post_path(site, p) == path)
    paras = [p for p in source.paragraphs if p != edit["cut"]]
    paras.insert(paras.index(edit["after"]) + 1, edit["added"])
    return paras


_PERMALINKS = {name: site_config(name).get("permalink") for name in ("wix", "news", "errors")}


def post_path(site: Site | str, post: Post) -> str:
    """The path a post is served at on its site (its own, else the site's permalink)."""
    if post.path:
        return post.path
    name = site if isinstance(site, str) else site.name
    pattern = _PERMALINKS.get(name) or "/post/{slug}"
    return pattern.format(slug=post.slug, published=post.published)


class Pages(dict[str, Resource]):
    """What a build function returns: the resources of a site, by path."""

    def put(self, path: str, body: str, ctype: str = HTML, when: datetime | None = None) -> None:
        """A text resource at ``path``, last modified ``when`` (None: now)."""
        self[path] = Resource(body, content_type=ctype, last_modified=when)


# -- changing a served site --------------------------------------------------------------


def find_post(site: Site, slug: str) -> Post:
    for post in site.data["posts"]:
        if post.slug == slug:
            return post
    raise KeyError(slug)


def add_post(site: Site, post: Post) -> Post:
    """Add a post (listings, feed and sitemap follow) and re-render the site."""
    site.data["posts"].append(post)
    site.rebuild()
    return post


def edit_post(site: Site, slug: str, **changes: Any) -> Post:
    """Replace fields of a post (e.g. ``paragraphs=[...]``) and re-render the site."""
    posts = site.data["posts"]
    i = next(i for i, p in enumerate(posts) if p.slug == slug)
    posts[i] = replace(posts[i], **changes)
    site.rebuild()
    return posts[i]


# -- helpers for the renderers -----------------------------------------------------------


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"(\w)'(\w)", r"\1\2", text)  # "Kazakhstan's" -> "kazakhstans"
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def utc_iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat()


def rfc822(dt: datetime) -> str:
    return format_datetime(dt.astimezone(UTC), usegmt=True)


def jsonld(obj: Any) -> str:
    text = json.dumps(obj, ensure_ascii=False, indent=None)
    return '<script type="application/ld+json">' + text.replace("</", "<\\/") + "</script>"


def newest_first(posts: Iterable[Post]) -> list[Post]:
    return sorted(posts, key=lambda p: p.published, reverse=True)


def chunks(items: list[Post], size: int) -> list[list[Post]]:
    """Listing pages of ``size`` posts (one empty page when there are none)."""
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def latest(posts: list[Post]) -> datetime | None:
    return max((p.updated or p.published for p in posts), default=None)


def urlset(entries: Iterable[tuple[str, datetime | None]]) -> str:
    """A sitemap of (URL, lastmod) entries."""
    return _sitemap_xml("urlset", "url", entries)


def sitemap_index(entries: Iterable[tuple[str, datetime | None]]) -> str:
    """A sitemap index of (sitemap URL, lastmod) entries."""
    return _sitemap_xml("sitemapindex", "sitemap", entries)


def _sitemap_xml(root: str, item: str, entries: Iterable[tuple[str, datetime | None]]) -> str:
    rows = []
    for loc, lastmod in entries:
        lm = (
            f"<lastmod>{lastmod.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}</lastmod>"
            if lastmod
            else ""
        )
        rows.append(f"<{item}><loc>{xml_escape(loc)}</loc>{lm}</{item}>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<{root} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "\n".join(rows)
        + f"\n</{root}>\n"
    )
