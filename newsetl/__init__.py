"""newsetl: news and blog articles, crawled politely, cleaned, deduplicated, stored as Parquet.

The core package is pure Python: it imports neither Scrapy nor Prefect. The Python API
(:mod:`newsetl.api`) is loaded on first use, so ``import newsetl`` stays cheap:

    import newsetl
    article = newsetl.extract(html, url="https://example.com/2024/05/a-story")
    summary = newsetl.scrape(["https://example.com/"], data_dir="data", no_delay=True)
    articles = newsetl.read_table("articles", data_dir="data")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Article", "RunSummary", "extract", "read_arrow", "read_table", "scrape"]

if TYPE_CHECKING:  # pragma: no cover
    from newsetl.api import Article, RunSummary, extract, read_arrow, read_table, scrape


def __getattr__(name: str) -> Any:
    if name in __all__:
        from newsetl import api

        return getattr(api, name)
    raise AttributeError(f"module 'newsetl' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
