"""newsetl: news and blog articles, crawled politely, cleaned, deduplicated, stored as Parquet.

The core package is pure Python: it imports neither Scrapy nor Prefect.
"""

__version__ = "0.1.0"
