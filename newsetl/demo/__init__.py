"""Bundled demo sites and the fixture web server behind ``newsetl demo`` and the tests.

``SiteServer(site)`` serves one :class:`Site` on ``http://127.0.0.1:<port>``;
``wix_blog()``, ``news_site()`` and ``error_site()`` build the sites; ``EXPECTED`` holds
what a correct crawl and extraction should find on each. Pure standard library plus this
package: no Scrapy, no Prefect.

Layout, data to server: ``sites/*.toml`` (the sites' content) -> ``sites/model.py`` (posts,
shared helpers) -> ``sites/wix.py``, ``wordpress.py``, ``courier.py`` (the pages) ->
``server.py`` (serves any :class:`Site`; knows no site). ``hostile/`` holds the hostile and
load sites and the ``/proc`` probes. ``python -m newsetl.demo`` serves the demo sites.
"""

__all__ = [
    "DUPLICATES",
    "EXPECTED",
    "Post",
    "RequestRecord",
    "Resource",
    "Site",
    "SiteServer",
    "add_post",
    "demo_sites",
    "edit_post",
    "error_site",
    "expected_for",
    "find_post",
    "news_site",
    "redirect",
    "serve",
    "wix_blog",
]


_HOME = {
    "RequestRecord": "server",
    "Resource": "server",
    "Site": "server",
    "SiteServer": "server",
    "redirect": "server",
    "serve": "server",
}


def __getattr__(name: str) -> object:
    # Lazy, so that ``python -m newsetl.demo.server`` does not import the module twice.
    if name not in __all__:
        raise AttributeError(name)
    import importlib

    module = importlib.import_module("newsetl.demo." + _HOME.get(name, "sites"))
    return getattr(module, name)
