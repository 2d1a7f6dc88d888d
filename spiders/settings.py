"""Scrapy settings for newsetl's crawler: polite by default, explicit about every choice.

``spiders.crawl.run_crawl`` loads this module and applies per-run overrides on top
(``--no-delay``, ``--user-agent``). ``scrapy crawl news`` from the project root uses it as is.
"""

import os

from newsetl import fetch as _one_page

BOT_NAME = "newsetl"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# Say who we are, with a link where a site operator can find out more.
USER_AGENT = _one_page.USER_AGENT  # shared with `newsetl extract URL`

# Obey robots.txt. Scrapy's default is False; a news crawler must respect it.
# Our subclass of the robots middleware also records the robots.txt fetch and every
# disallowed URL in pages.jsonl (reason "robots_disallowed").
ROBOTSTXT_OBEY = True
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "spiders.middlewares.RecordingRobotsTxtMiddleware": 100,
    # Counts HTML page fetches against --max-pages at the moment a request is about to be
    # downloaded (after robots.txt has had its say), so queued work beyond the budget is
    # dropped without touching the network.
    "spiders.middlewares.PageBudgetMiddleware": 120,
    # Runs before RetryMiddleware sees a 429/503, and waits what Retry-After asks (capped).
    "spiders.middlewares.RetryAfterMiddleware": 560,
}
SPIDER_MIDDLEWARES = {
    # The spider tracks link depth itself (only link hops count, not sitemap or pagination
    # hops) and records what it skips; Scrapy's DepthMiddleware would drop requests silently.
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
}
# Maximum number of link hops from a start page that are still expanded (see spiders.news).
DEPTH_LIMIT = 4

# Politeness: one site is never hit hard. AutoThrottle adapts to the server's latency but
# never goes below DOWNLOAD_DELAY. `--no-delay` (tests, benchmarks on 127.0.0.1) turns
# both off and raises concurrency.
DOWNLOAD_DELAY = 0.5
DOWNLOAD_DELAY_JITTER = 0.5  # each wait is 0.5x..1.5x DOWNLOAD_DELAY
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4

# Robustness: a slow or huge response must not stall or exhaust the crawl.
DOWNLOAD_TIMEOUT = int(_one_page.TIMEOUT_S)
DOWNLOAD_MAXSIZE = _one_page.MAX_BYTES  # larger bodies are cancelled -> reason "too_large"
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
# Sitemaps (and start URLs, whose type is unknown until they answer) may be up to 50 MB
# uncompressed, as the sitemap protocol allows.
NEWSETL_MAX_SITEMAP_SIZE = 50 * 1024 * 1024
# Retry only what is plausibly transient: timeouts, a connection dropped mid-answer, 429
# and 5xx. A refused connection or a host name that does not resolve is not retried (it
# will not answer in the next second either); Scrapy's default list retries both.
RETRY_ENABLED = True
RETRY_EXCEPTIONS = [
    "scrapy.exceptions.DownloadTimeoutError",
    "twisted.internet.error.TimeoutError",
    "twisted.internet.error.TCPTimedOutError",
    "twisted.internet.defer.TimeoutError",
    "scrapy.exceptions.ResponseDataLossError",
    "twisted.internet.error.ConnectionDone",
    "twisted.internet.error.ConnectionLost",
    "scrapy.exceptions.DownloadFailedError",  # the answer broke off (ResponseFailed)
]
RETRY_TIMES = 2
RETRY_HTTP_CODES = [408, 429, 500, 502, 503, 504, 522, 524]
# Longest Retry-After (seconds) we are willing to wait before retrying a 429/503.
NEWSETL_RETRY_AFTER_MAX = 30.0
# The spider follows page redirects itself (to record loops and offsite targets);
# this bound applies to both its own handling and Scrapy's (used for robots.txt).
REDIRECT_MAX_TIMES = 5
# Every status reaches the spider so 4xx/5xx are recorded with a reason.
HTTPERROR_ALLOW_ALL = True

# Sitemaps, feeds and robots.txt do not count against --max-pages; bound them per site.
NEWSETL_MAX_INDEX_FETCHES_PER_SITE = 50
# At most this many "max_pages" records (URLs known but not fetched) are written.
NEWSETL_MAX_SKIPPED_RECORDS = 1000

# Requests a callback yields are passed on by this many workers; Scrapy 2.19 starts that
# many asyncio tasks for every response (100 by default), which cost more CPU than the
# parsing itself. Our callbacks yield a handful of requests and no items.
CONCURRENT_ITEMS = 8

# Breadth first within one priority level: listing pages before what they link to.
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"

# Nothing we crawl needs a session.
COOKIES_ENABLED = False

# No listening sockets: Scrapy 2.19 starts a remote-control HTTP server (that runs code
# sent to it) by default, and the telnet console is a similar risk.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

# Logs go to stderr; INFO keeps them to start/stop lines, warnings and errors
# (`newsetl ... -q` sets NEWSETL_QUIET: warnings and errors only).
LOG_LEVEL = "WARNING" if os.environ.get("NEWSETL_QUIET") else "INFO"
LOGSTATS_INTERVAL = 60.0
STATS_DUMP = False  # spiders.crawl writes stats.json instead of a multi-page log dump

# pages.jsonl is written by the spider, not by a feed export.
FEED_EXPORT_ENCODING = "utf-8"
