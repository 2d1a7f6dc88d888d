"""Requests stored in the Redis frontier are JSON: what goes in must come out usable.

A retried or redirected request re-enters the frontier with the headers Scrapy's
middlewares gave it; their names must survive the trip (a name turned into "b'Accept'"
made every such retry fail with InvalidHeaderName).
"""

from __future__ import annotations

from scrapy import Request

from spiders.frontier import request_from_json, request_to_json


def test_a_request_with_headers_and_meta_round_trips():
    req = Request(
        "http://127.0.0.1:8000/news/a.html",
        headers={"Accept": "text/html", "User-Agent": "newsetl-test", "If-None-Match": '"e1"'},
        meta={"nl_kind": "page", "nl_depth": 2, "nl_evidence": {"in_sitemap": True}},
    )
    back = request_from_json(request_to_json(req, None), None)
    assert back.url == req.url
    assert dict(back.headers) == dict(req.headers)
    assert all(b"'" not in name for name in back.headers)
    assert back.headers[b"If-None-Match"] == b'"e1"'
    assert back.meta["nl_evidence"] == {"in_sitemap": True}
    assert back.meta["nl_depth"] == 2
