"""A hostile fixture site, a large load-test site, and process-tree probes for the tests.

:func:`hostile_site` builds a :class:`~newsetl.demo.server.Site` whose pages try to break a
crawler: bodies far over the size limit (with and without a Content-Length), gzip bombs
(``Content-Encoding: gzip`` and raw ``.gz`` payloads), billion-laughs XML in a sitemap and
a feed, malformed sitemaps and feeds, HTML nested 100,000 levels deep, invalid UTF-8 and NUL
bytes, a one-megabyte line, a body that stalls half-way, lying Content-Lengths, endless
pagination and a redirect to another host. Serve it with :class:`HostileServer` (a
:class:`~newsetl.demo.server.SiteServer` that also knows the raw behaviours below).
:data:`HOSTILE` describes every hostile path and the fate a crawl should record for it.

:func:`load_site` builds a plain news site of N HTML pages (listings, sitemaps, articles)
for ``benchmarks/load.py`` and the load test.

:class:`TreeSampler` samples a process tree's resident memory (VmRSS, summed over the
process and its descendants) and its listening sockets from ``/proc`` while it runs.

Modules: :mod:`.site` (the hostile and landing sites), :mod:`.raw` (resources that write
their own response, and :class:`HostileServer`), :mod:`.load` (the load site), :mod:`.pages`
(text, plain pages, :class:`DynamicSite`), :mod:`.probes` (``/proc`` probes).
``python -m newsetl.demo.hostile`` serves the hostile site (and the offsite target) until
Ctrl-C.
"""

from newsetl.demo.hostile.load import load_site
from newsetl.demo.hostile.pages import DynamicSite, prose
from newsetl.demo.hostile.probes import TreeSampler, listening_sockets, tree_rss
from newsetl.demo.hostile.raw import GzipBomb, HostileServer, Huge, LyingLength, Raw, Stall
from newsetl.demo.hostile.site import GOOD_ARTICLES, HOSTILE, Hostile, hostile_site, landing_site

__all__ = [
    "GOOD_ARTICLES",
    "HOSTILE",
    "DynamicSite",
    "GzipBomb",
    "Hostile",
    "HostileServer",
    "Huge",
    "LyingLength",
    "Raw",
    "Stall",
    "TreeSampler",
    "hostile_site",
    "landing_site",
    "listening_sockets",
    "load_site",
    "prose",
    "tree_rss",
]
