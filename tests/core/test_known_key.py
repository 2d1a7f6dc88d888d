"""The fast path for plain URLs gives the same clean URL and key as the full functions."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from newsetl.urls import (
    _full_clean_url,
    _full_url_key,
    _is_plain,
    clean_url,
    url_key,
)
from newsetl.urls import known_key as _known_key

HOST = st.from_regex(r"[a-z0-9][a-z0-9.-]{0,20}", fullmatch=True)
PATH = st.text(alphabet="abcXYZ019_~./-", max_size=30)
PORT = st.one_of(st.just(""), st.integers(1, 65535).map(lambda p: f":{p}"))


@settings(max_examples=2000, deadline=None)
@given(scheme=st.sampled_from(["http", "https"]), host=HOST, port=PORT, path=PATH)
def test_plain_urls_are_their_own_clean_form_and_key(scheme, host, port, path):
    url = f"{scheme}://{host}{port}/{path}"
    assert clean_url(url) == _full_clean_url(url)
    assert url_key(url) == _full_url_key(url)
    assert _known_key(url) == _full_url_key(_full_clean_url(url))


@settings(max_examples=1000, deadline=None)
@given(url=st.text(max_size=60).map(lambda t: "http://a.example/" + t))
def test_any_url_gets_the_full_forms(url):
    assert clean_url(url) == _full_clean_url(url)
    assert url_key(url) == _full_url_key(url)


def test_the_fast_path_is_taken_for_ordinary_article_urls():
    url = "https://news.example.com/2024/05/a-story-about-things/"
    assert _is_plain(url)
    assert clean_url(url) == url_key(url) == url
    # and not for what canonicalization changes
    for other in (
        "https://News.example.com/a",
        "https://a.example/x/../y",
        "https://a.example/?b=1&a=2",
        "https://a.example/a b",
    ):
        assert not _is_plain(other)
        assert url_key(clean_url(other)) == _full_url_key(_full_clean_url(other))
