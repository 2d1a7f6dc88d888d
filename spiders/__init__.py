"""Scrapy side of newsetl: the "news" spider, its middlewares and settings, and the runner.

``python -m spiders.crawl --out DIR --max-pages N URL...`` (or ``spiders.crawl.run_crawl``)
crawls in the current process and writes DIR/pages.jsonl, DIR/bodies/, DIR/stats.json.
The core package ``newsetl`` never imports this one.
"""
