"""Canonical URLs, sites and start-URL validation."""

from __future__ import annotations

import pytest

from newsetl.urls import (
    article_id,
    canonicalize_url,
    is_http_url,
    registrable_domain,
    same_site,
    site_of,
    validate_start_url,
)

ARTICLE = "https://example.com/news/2024/05/big-story"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # case of scheme and host, default ports, fragment
        ("HTTPS://Example.COM/news/2024/05/big-story", ARTICLE),
        ("https://example.com:443/news/2024/05/big-story", ARTICLE),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com/news/2024/05/big-story#comments", ARTICLE),
        ("https://example.com.:443/news/2024/05/big-story", ARTICLE),
        # trailing slash: removed except for the root; empty path is the root
        ("https://example.com/news/2024/05/big-story/", ARTICLE),
        ("https://example.com/news//2024/05/big-story", ARTICLE),
        ("https://example.com/", "https://example.com/"),
        ("https://example.com", "https://example.com/"),
        # dot segments
        ("https://example.com/news/./2024/x/../05/big-story", ARTICLE),
        # index files
        ("https://example.com/news/2024/05/big-story/index.html", ARTICLE),
        ("https://example.com/news/2024/05/big-story/index.php", ARTICLE),
        ("https://example.com/news/2024/05/big-story/Default.aspx", ARTICLE),
        ("https://example.com/index.html", "https://example.com/"),
        # tracking parameters
        (ARTICLE + "?utm_source=tw&utm_medium=social&utm_campaign=x", ARTICLE),
        (ARTICLE + "?fbclid=abc&gclid=1&dclid=2&msclkid=3", ARTICLE),
        (ARTICLE + "?mc_cid=1&mc_eid=2&ref=home&ref_src=twsrc", ARTICLE),
        (ARTICLE + "?_ga=2.1&igshid=x&yclid=1&cmpid=rss&ncid=a&ito=792&spm=a.b&share=1", ARTICLE),
        (ARTICLE + "?UTM_Source=x", ARTICLE),
        # remaining parameters kept and sorted
        ("https://example.com/story?id=5&utm_source=x&b=2", "https://example.com/story?b=2&id=5"),
        ("https://example.com/story?page=2&id=5", "https://example.com/story?id=5&page=2"),
        # AMP
        ("https://example.com/news/2024/05/big-story/amp/", ARTICLE),
        ("https://example.com/news/2024/05/big-story/amp", ARTICLE),
        (ARTICLE + "?amp=1", ARTICLE),
        (ARTICLE + "?amp", ARTICLE),
        (ARTICLE + "?outputType=amp", ARTICLE),
        (ARTICLE + "?output=amp", ARTICLE),
        ("https://amp.example.com/news/2024/05/big-story", ARTICLE),
        ("https://example.com/news/2024/05/big-story.amp.html", ARTICLE + ".html"),
        ("https://example.com/news/2024/05/big-story.amp", ARTICLE),
        # print views
        ("https://example.com/news/2024/05/big-story/print/", ARTICLE),
        ("https://example.com/print/news/2024/05/big-story", ARTICLE),
        (ARTICLE + "?print=1", ARTICLE),
        (ARTICLE + "?view=print", ARTICLE),
        # session ids
        ("https://example.com/news/2024/05/big-story;jsessionid=0AB12CD", ARTICLE),
        (ARTICLE + "?sid=abc&PHPSESSID=1&sessionid=2&jsessionid=3", ARTICLE),
        # percent-encoding
        ("https://example.com/caf%c3%a9/%7euser", "https://example.com/caf%C3%A9/~user"),
        ("https://example.com/café", "https://example.com/caf%C3%A9"),
        ("https://example.com/a%2fb", "https://example.com/a%2Fb"),
        ("https://BÜCHER.example/x", "https://xn--bcher-kva.example/x"),
    ],
)
def test_canonicalize_url(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected


def test_canonicalize_is_idempotent() -> None:
    once = canonicalize_url("HTTP://amp.Example.com:80/a/b/amp/?utm_source=x&z=1&a=2#f")
    assert once == "http://example.com/a/b?a=2&z=1"
    assert canonicalize_url(once) == once


def test_meaningful_params_are_kept() -> None:
    # ``amp`` with another value and ``view`` for something else are not views of the article
    assert canonicalize_url("https://e.com/s?view=gallery") == "https://e.com/s?view=gallery"
    assert canonicalize_url("https://e.com/s?id=1&print=0") == "https://e.com/s?id=1&print=0"


def test_canonical_hint_on_same_site_wins() -> None:
    url = "https://example.com/story-123?utm_source=x"
    hint = "https://www.example.com/news/2024/story-123/"
    assert (
        canonicalize_url(url, canonical_hint=hint) == "https://www.example.com/news/2024/story-123"
    )


def test_canonical_hint_on_subdomain_of_same_registrable_domain() -> None:
    url = "https://amp.news.example.co.uk/x/amp"
    hint = "https://www.example.co.uk/x"
    assert canonicalize_url(url, canonical_hint=hint) == hint


def test_canonical_hint_from_another_site_is_ignored() -> None:
    url = "https://example.com/story"
    assert canonicalize_url(url, canonical_hint="https://other.com/story") == url
    assert canonicalize_url(url, canonical_hint="https://other.co.uk/story") == url


def test_canonical_hint_at_site_root_is_ignored() -> None:
    url = "https://example.com/news/story"
    assert canonicalize_url(url, canonical_hint="https://example.com/") == url
    assert canonicalize_url(url, canonical_hint="https://example.com") == url
    # ... but the root's own hint is fine
    assert canonicalize_url(
        "https://example.com/?ref=x", canonical_hint="https://example.com/"
    ) == ("https://example.com/")


@pytest.mark.parametrize("hint", ["ftp://example.com/story", "javascript:void(0)", "", None])
def test_unusable_canonical_hint_is_ignored(hint: str | None) -> None:
    url = "https://example.com/story"
    assert canonicalize_url(url, canonical_hint=hint) == url


def test_relative_hint_and_base() -> None:
    assert canonicalize_url("https://e.com/a/b", canonical_hint="/c/d/") == "https://e.com/c/d"
    assert canonicalize_url("story/amp/", base="https://e.com/news/") == "https://e.com/news/story"


def test_canonicalize_rejects_non_http() -> None:
    with pytest.raises(ValueError, match="only http and https"):
        canonicalize_url("ftp://example.com/file")


def test_article_id_is_stable_and_scheme_and_www_insensitive() -> None:
    a = article_id(canonicalize_url("http://www.example.com/story/"))
    b = article_id(canonicalize_url("https://example.com/story?utm_source=x"))
    assert a == b
    assert len(a) == 16 and int(a, 16) >= 0
    assert a == article_id("https://example.com/story")  # no salt: same across processes
    assert article_id("https://example.com/other") != a
    assert article_id("https://sub.example.com/story") != a


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.com/", True),
        ("HTTP://example.com", True),
        ("ftp://example.com/", False),
        ("file:///etc/passwd", False),
        ("javascript:alert(1)", False),
        ("data:text/html,hi", False),
        ("http:///path", False),
        ("example.com/news", False),
        ("http://example.com:99999/", False),
        (None, False),
    ],
)
def test_is_http_url(url: object, ok: bool) -> None:
    assert is_http_url(url) is ok


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "ftp://example.com/feed",
            r"only http and https URLs can be scraped: got 'ftp://example\.com/feed'",
        ),
        ("file:///tmp/page.html", "only http and https"),
        ("javascript:alert(1)", "only http and https"),
        ("data:text/html,<p>hi</p>", "only http and https"),
        ("http:///news", "no host"),
        ("https://", "no host"),
        ("example.com/news", r"no scheme: write it as https://example\.com/news"),
        ("http://example.com:70000/", "bad port"),
        ("http://exa mple.com/", "whitespace"),
        ("", "empty"),
        ("http://..example.com/", "malformed host"),
    ],
)
def test_validate_start_url_rejects_with_a_fix(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_start_url(url)


def test_validate_start_url_returns_stripped() -> None:
    assert validate_start_url("  https://example.com/news \n") == "https://example.com/news"


def test_site_of() -> None:
    assert site_of("HTTPS://WWW.Example.com:443/a?b") == "https://www.example.com"
    assert site_of("http://example.com:80/") == "http://example.com"
    assert site_of("http://example.com:8080/x") == "http://example.com:8080"
    assert site_of("http://[::1]:8000/x") == "http://[::1]:8000"


def test_same_site() -> None:
    assert same_site("http://example.com/a", "https://www.example.com/b")
    assert same_site("https://Example.com:443/a", "https://example.com/b")
    assert not same_site("https://news.example.com/a", "https://example.com/b")
    assert not same_site("https://example.com/a", "https://example.org/a")
    assert not same_site("not a url", "also not")


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("news.bbc.co.uk", "bbc.co.uk"),
        ("www.example.com", "example.com"),
        ("example.com", "example.com"),
        ("a.b.example.com.au", "example.com.au"),
        # where a "last two or three labels" rule goes wrong: the public suffix list knows
        ("www.city.kawasaki.jp", "city.kawasaki.jp"),
        ("news.example.k12.ca.us", "example.k12.ca.us"),
        ("www.example.gov.uk", "example.gov.uk"),
        ("127.0.0.1", "127.0.0.1"),
        ("localhost", "localhost"),
    ],
)
def test_registrable_domain(host: str, domain: str) -> None:
    assert registrable_domain(host) == domain


@pytest.mark.parametrize(
    ("url", "hint", "expected"),
    [
        # the address as given: trailing slash, index page, query order and case kept
        ("https://example.com/2022/01/12/story/", None, "https://example.com/2022/01/12/story/"),
        (
            "https://Example.com/News/index.html?b=2&a=1",
            None,
            "https://Example.com/News/index.html?b=2&a=1",
        ),
        # cleaned of fragments, tracking parameters and session ids only
        (
            "https://example.com/story/?utm_source=x&id=3&fbclid=y#comments",
            None,
            "https://example.com/story/?id=3",
        ),
        ("https://example.com/a/b;jsessionid=AB12?sid=9&p=2", None, "https://example.com/a/b?p=2"),
        # the page's declared canonical wins, under the same rule as for the identity
        ("https://example.com/story/amp/", "/story/", "https://example.com/story/"),
        ("https://m.example.com/x", "https://www.example.com/x/", "https://www.example.com/x/"),
        ("https://example.com/x/", "https://example.com/", "https://example.com/x/"),  # root
        ("https://example.com/x/", "https://other.org/x/", "https://example.com/x/"),  # offsite
    ],
)
def test_declared_url_is_the_sites_own_address(url: str, hint: str | None, expected: str) -> None:
    from newsetl.urls import declared_url

    assert declared_url(url, canonical_hint=hint) == expected
    # the identity of the declared address is the identity of the page
    assert canonicalize_url(expected) == canonicalize_url(url, canonical_hint=hint)
