"""The Python API: extract one page, scrape ad hoc, read the dataset back.

    import newsetl
    art = newsetl.extract(html, url="https://example.com/2024/05/a-story")
    summary = newsetl.scrape(["https://example.com/"], data_dir="data", no_delay=True)
    df = newsetl.read_table("articles", data_dir="data")

Importing ``newsetl`` imports none of this; :func:`extract` and :func:`read_table` never
import Scrapy or Prefect, and only :func:`scrape` runs the flow (with a temporary Prefect
server of its own when none is configured, as ``newsetl scrape`` does).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import pyarrow as pa

__all__ = ["Article", "RunSummary", "extract", "read_arrow", "read_table", "scrape"]


@dataclass(frozen=True, slots=True)
class Article:
    """One page as newsetl reads it (the same extractor as the pipeline's)."""

    url: str | None
    title: str | None
    authors: tuple[str, ...]
    published_at: datetime | None  # aware, in the publisher's UTC offset when it gave one
    published_utc_offset_min: int | None
    modified_at: datetime | None  # aware UTC
    language: str | None
    text: str  # paragraphs separated by one blank line
    word_count: int
    canonical_url: str | None = None
    description: str | None = None
    image: str | None = None  # the top image's URL
    tags: tuple[str, ...] = ()
    site_name: str | None = None
    paywalled: bool | None = None  # behind a subscriber wall; None when the page says nothing
    jsonld_types: tuple[str, ...] = ()
    og_type: str | None = None


def extract(html: str | bytes, url: str | None = None) -> Article:
    """Extract the article from one HTML page (a ``str``, or ``bytes`` in any encoding).

    Never raises on bad markup: a page with no article gives empty ``text``. A value that
    is neither ``str`` nor ``bytes`` is a ``TypeError``.
    """
    if not isinstance(html, str | bytes | bytearray):
        raise TypeError(
            f"extract() takes the page's HTML as str or bytes, not {type(html).__name__}"
        )
    from newsetl.extraction import extract_article

    ex = extract_article(html, url)
    return Article(
        url=url or ex.canonical_url,
        title=ex.title,
        authors=tuple(ex.authors),
        published_at=ex.published_local(),
        published_utc_offset_min=ex.published_utc_offset_min,
        modified_at=ex.modified_at,
        language=ex.language,
        text=ex.text,
        word_count=ex.word_count,
        canonical_url=ex.canonical_url,
        description=ex.description,
        image=ex.image,
        tags=tuple(ex.tags),
        paywalled=ex.paywalled,
        site_name=ex.site_name,
        jsonld_types=tuple(ex.jsonld_types),
        og_type=ex.og_type,
    )


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What one scrape did: the counts ``newsetl scrape`` prints, and the whole summary."""

    run_id: str | None
    pages_fetched: int
    articles_new: int
    articles_revised: int
    duplicates: int
    unchanged: int
    skipped_known: int
    errors_by_reason: dict[str, int]
    not_articles_by_reason: dict[str, int]
    data_dir: str | None
    # start URLs that led nowhere: [{"url", "reason", "fix"}]; all of them = nothing done
    start_failures: list[dict[str, str]] = field(default_factory=list)
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @classmethod
    def from_dict(cls, summary: dict[str, Any]) -> RunSummary:
        return cls(
            run_id=summary.get("run_id"),
            pages_fetched=int(summary.get("pages_fetched") or 0),
            articles_new=int(summary.get("articles_new") or 0),
            articles_revised=int(summary.get("articles_revised") or 0),
            duplicates=int(summary.get("duplicates") or 0),
            unchanged=int(summary.get("unchanged") or 0),
            skipped_known=int(summary.get("skipped_known") or 0),
            errors_by_reason=dict(summary.get("errors_by_reason") or {}),
            not_articles_by_reason=dict(summary.get("not_articles_by_reason") or {}),
            data_dir=summary.get("data_dir"),
            start_failures=list(summary.get("start_failures") or []),
            raw=dict(summary),
        )

    @property
    def nothing_done(self) -> str | None:
        """Why the run could do nothing (the CLI exits 3 then), or None."""
        from newsetl.report import nothing_fetched

        return nothing_fetched(self.raw)

    def __str__(self) -> str:
        from newsetl.report import summary_text

        return summary_text(self.raw)


def scrape(
    urls: str | Iterable[str],
    data_dir: str = "data",
    *,
    max_pages: int = 200,
    no_delay: bool = False,
    source: str | None = None,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    allow_offsite: bool = False,
    full: bool = False,
    revisit_after: str | float | None = None,
    on_overlap: str = "queue",
    crawlers: int = 1,
    redis_url: str | None = None,
    quiet: bool = True,
) -> RunSummary:
    """Scrape ``urls`` now into ``data_dir``, as ``newsetl scrape`` does; the keyword
    arguments are its long options. Bad input raises ``ValueError`` naming the fix."""
    from newsetl import cli

    if isinstance(urls, str):
        urls = [urls]
    argv = ["scrape", *urls, "--data-dir", str(data_dir), "--max-pages", str(max_pages)]
    argv += ["--on-overlap", on_overlap, "--crawlers", str(crawlers)]
    for flag, on in (
        ("--no-delay", no_delay),
        ("--allow-offsite", allow_offsite),
        ("--full", full),
        ("--quiet", quiet),
    ):
        if on:
            argv.append(flag)
    if source is not None:
        argv += ["--source", source]
    if redis_url:
        argv += ["--redis-url", redis_url]
    if revisit_after is not None:
        argv += ["--revisit-after", str(revisit_after)]
    for pattern in include or ():
        argv += ["--include", pattern]
    for pattern in exclude or ():
        argv += ["--exclude", pattern]
    if on_overlap not in ("queue", "skip"):
        raise ValueError(f"on_overlap={on_overlap!r}: use 'queue' or 'skip'")
    args = cli.build_parser().parse_args(argv)
    try:
        summary = cli.scrape_summary(args)
    except cli.UsageError as exc:
        raise ValueError(str(exc)) from None
    return RunSummary.from_dict(summary)


def read_arrow(
    name: str = "articles",
    data_dir: str = "data",
    columns: Sequence[str] | None = None,
    filters: dict[str, Any] | None = None,
) -> pa.Table:
    """One table of the dataset as an Arrow table, partition columns included.

    ``filters`` keeps rows whose column equals the value (or is in it, for a list, set or
    tuple): ``{"source": "example.com", "language": ["en", "de"]}``. The ``articles``
    table holds each article's latest revision; earlier ones are in ``revisions``.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from newsetl.storage import TABLES, Dataset

    if name not in TABLES:
        raise ValueError(f"unknown table {name!r}: use one of {', '.join(sorted(TABLES))}")
    want = list(columns) if columns is not None else None
    if want is not None and filters:
        want += [c for c in filters if c not in want]
    table = Dataset(data_dir).read(name, want)
    for column, value in (filters or {}).items():
        if column not in table.column_names:
            raise ValueError(
                f"filter on unknown column {column!r} of {name}: "
                f"use one of {', '.join(table.column_names)}"
            )
        values = list(value) if isinstance(value, list | set | tuple) else [value]
        arr = table[column]
        mask = pc.is_in(arr, value_set=pa.array(values, type=arr.type))
        table = table.filter(mask)
    if columns is not None:
        table = table.select(list(columns))
    return table


def read_table(
    name: str = "articles",
    data_dir: str = "data",
    columns: Sequence[str] | None = None,
    filters: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """One table of the dataset as a pandas DataFrame (see :func:`read_arrow`)."""
    return read_arrow(name, data_dir, columns, filters).to_pandas()
