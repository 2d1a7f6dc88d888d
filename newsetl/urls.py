"""URLs: which ones can be scraped, which site they belong to, and their identities.

Two identities, both built on one normal form (w3lib's, :func:`_w3lib_form`): the crawl's
:func:`url_key` says whether two requests are for the same address (the crawl's "seen"
set, the known-articles file); :func:`canonicalize_url` says whether two addresses are the
same article. The canonical URL is the identity of an article: two URLs that lead to the same story (tracking
parameters, AMP and print views, ``index.html``, a trailing slash, default ports, a session id)
canonicalise to the same string. ``article_id`` turns it into a short stable id.
"""

from __future__ import annotations

import functools
import hashlib
import re
from typing import Any
from urllib.parse import (
    parse_qsl,
    unquote_plus,
    urldefrag,
    urlencode,
    urljoin,
    urlsplit,
    urlunsplit,
)

from w3lib.url import canonicalize_url as _w3lib_canonicalize
from w3lib.url import safe_url_string

__all__ = [
    "article_id",
    "canonicalize_url",
    "clean_url",
    "is_http_url",
    "known_key",
    "origin",
    "registrable_domain",
    "same_site",
    "site_of",
    "url_key",
    "validate_start_url",
]

HTTP_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}

# Query parameters that only say how a reader arrived (or who they are), never which article.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "mc_cid",
        "mc_eid",
        "ref",
        "ref_src",
        "ref_url",
        "referer",
        "referrer",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "__twitter_impression",
        "igshid",
        "igsh",
        "cmpid",
        "cmp",
        "ncid",
        "ocid",
        "ito",
        "spm",
        "share",
        "shared",
        "smid",
        "smtyp",
        "s_cid",
        "wt.mc_id",
        "wt_mc",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "rss",
        "at_medium",
        "at_campaign",
        "at_custom1",
        "at_custom2",
        "at_custom3",
        "at_custom4",
        "vero_id",
        "vero_conv",
        "sr_share",
        "guccounter",
        "guce_referrer",
        "guce_referrer_sig",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "ga_")
# Session ids, in the query or as a ``;name=value`` path parameter.
SESSION_PARAMS = frozenset(
    {"sid", "sessionid", "session_id", "phpsessid", "jsessionid", "aspsessionid", "cfid", "cftoken"}
)
# name -> values that turn the page into an AMP or print view of the same article
# ("" is the bare flag, ``?amp``).
VIEW_PARAMS = {
    "amp": {"", "1", "true", "yes"},
    "output": {"amp", "print"},
    "outputtype": {"amp"},
    "format": {"amp"},
    "print": {"", "1", "true", "yes"},
    "view": {"print", "amp"},
    "printable": {"", "1", "true", "yes"},
}
INDEX_FILES = frozenset(
    {
        "index.html",
        "index.htm",
        "index.shtml",
        "index.php",
        "index.asp",
        "index.aspx",
        "index.jsp",
        "default.asp",
        "default.aspx",
        "default.htm",
        "default.html",
    }
)
_SESSION_PATH_PARAM = re.compile(
    r";(?:jsessionid|phpsessid|sessionid|session_id|sid)=[^/;?#]*", re.I
)
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")


def is_http_url(url: object) -> bool:
    """True for an absolute http(s) URL with a host."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return False
    return parts.scheme.lower() in HTTP_SCHEMES and bool(parts.hostname)


def validate_start_url(url: str) -> str:
    """Return ``url`` stripped of surrounding blanks if it can be scraped.

    Raises ``ValueError`` with a message naming the fix for anything else: another scheme
    (``file:``, ``ftp:``, ``javascript:``, ``data:``), no scheme, no host or a bad port.
    """
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"empty start URL: give an http or https URL, got {url!r}")
    text = url.strip()
    if any(ch.isspace() for ch in text):
        raise ValueError(f"URL contains whitespace: percent-encode it (%20), got {text!r}")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if not scheme or (scheme not in HTTP_SCHEMES and "//" not in text and "." in scheme):
        # "example.com/news" or "example.com:8080/x" (urlsplit takes the host as scheme)
        raise ValueError(
            f"URL has no scheme: write it as https://{text.lstrip('/')} , got {text!r}"
        )
    if scheme not in HTTP_SCHEMES:
        raise ValueError(f"only http and https URLs can be scraped: got {text!r}")
    if not parts.netloc or not parts.hostname:
        raise ValueError(f"URL has no host: write it as {scheme}://example.com/path , got {text!r}")
    try:
        parts.port  # noqa: B018
    except ValueError:
        raise ValueError(f"URL has a bad port: use a number 1-65535, got {text!r}") from None
    host = parts.hostname
    if host.startswith(".") or ".." in host:
        raise ValueError(f"URL has a malformed host {host!r}: fix the host name, got {text!r}")
    return text


def _host_and_port(parts) -> tuple[str, int | None]:
    host = (parts.hostname or "").rstrip(".").lower()
    port = parts.port
    if port == DEFAULT_PORTS.get(parts.scheme.lower()):
        port = None
    return host, port


def _netloc(host: str, port: int | None) -> str:
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return host if port is None else f"{host}:{port}"


def site_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, lower-cased, with the default port left out."""
    parts = urlsplit(url.strip())
    host, port = _host_and_port(parts)
    return f"{parts.scheme.lower()}://{_netloc(host, port)}"


def _bare_host(url: str) -> str:
    host = (urlsplit(url.strip()).hostname or "").rstrip(".").lower()
    return host[4:] if host.startswith("www.") else host


def same_site(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` are on the same host.

    The scheme, a default port and a leading ``www.`` are ignored (http -> https and
    example.com -> www.example.com redirects stay on the site); other subdomains differ.
    """
    try:
        return bool(_bare_host(a)) and _bare_host(a) == _bare_host(b)
    except ValueError:
        return False


def registrable_domain(host: str) -> str:
    """The domain a site registered: ``news.bbc.co.uk`` -> ``bbc.co.uk``,
    ``www.city.kawasaki.jp`` -> ``city.kawasaki.jp``, by the public suffix list (tldextract's
    bundled copy: nothing is fetched). IP addresses, ``localhost`` and hosts under no known
    suffix are returned as they are."""
    host = host.rstrip(".").lower()
    if not host or ":" in host or _IPV4.match(host):
        return host
    return _public_suffix_split(host) or host


@functools.lru_cache(maxsize=4096)
def _public_suffix_split(host: str) -> str:
    return _suffix_list()(host).top_domain_under_public_suffix


@functools.lru_cache(maxsize=1)
def _suffix_list() -> Any:
    # Imported on first use: tldextract brings requests (0.25 s), and most canonical URLs
    # are on the page's own host, where no suffix list is needed.
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def _remove_dot_segments(path: str) -> str:
    out: list[str] = []
    segments = path.split("/")
    for i, seg in enumerate(segments):
        if seg == ".":
            if i == len(segments) - 1:
                out.append("")
            continue
        if seg == "..":
            if len(out) > 1:
                out.pop()
            if i == len(segments) - 1:
                out.append("")
            continue
        out.append(seg)
    return "/".join(out)


def _canonical_path(path: str) -> str:
    path = _SESSION_PATH_PARAM.sub("", path)
    path = _remove_dot_segments(path)
    segments = [s for s in path.split("/") if s]  # also collapses "//"
    # Views of the article, outermost first: .../amp/ , .../print/ , /print/...
    changed = True
    while segments and changed:
        changed = False
        last = segments[-1].lower()
        if last in INDEX_FILES or last in ("amp", "print"):
            segments.pop()
            changed = True
        elif last.endswith(".amp.html") or last.endswith(".amp.htm"):
            segments[-1] = segments[-1][: -len(".amp.html")] + ".html"
            if last.endswith(".amp.htm"):
                segments[-1] = segments[-1][:-1]
            changed = True
        elif last.endswith(".amp") and len(last) > 4:
            segments[-1] = segments[-1][:-4]
            changed = True
    if len(segments) > 1 and segments[0].lower() == "print":
        segments.pop(0)
    return "/" + "/".join(segments)


def _is_dropped_param(name: str, value: str) -> bool:
    key = name.lower()
    if key in TRACKING_PARAMS or key in SESSION_PARAMS or key.startswith(TRACKING_PREFIXES):
        return True
    views = VIEW_PARAMS.get(key)
    return views is not None and value.lower() in views


def _canonical_host(host: str) -> str:
    if host.startswith("amp.") and host.count(".") >= 2:
        host = host[4:]
    return host


def _canonicalize(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host, port = _host_and_port(parts)
    host = _canonical_host(host)
    netloc = _netloc(host, port)
    path = _canonical_path(parts.path)
    query_pairs = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_dropped_param(k, v)
    ]
    query = urlencode(query_pairs)
    rebuilt = urlunsplit((scheme, netloc, path, query, ""))
    # w3lib: percent-encoding normalised (UTF-8, upper-case hex, unreserved characters
    # decoded), IDN hosts to punycode, query sorted by name.
    canonical = _w3lib_form(rebuilt)
    if canonical.endswith("?"):
        canonical = canonical[:-1]
    return canonical


def _is_root(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


def canonicalize_url(
    url: str, *, canonical_hint: str | None = None, base: str | None = None
) -> str:
    """The identity of the article at ``url`` as a URL string.

    ``base`` resolves a relative ``url``. ``canonical_hint`` (the page's rel=canonical or
    og:url; a relative one is resolved against the page) replaces ``url`` when it is an
    http(s) URL on the same registrable domain, unless it is the site's root while ``url`` is
    not (sites that point every canonical at their home page).

    Normalised: scheme and host lower-cased; default ports (:80, :443) and the fragment dropped;
    tracking parameters (``utm_*``, ``fbclid``, ``gclid``, ``ref`` ...) and session ids (query
    ``sid``/``jsessionid``..., path ``;jsessionid=``) removed; remaining query parameters sorted;
    ``index.html``/``index.php``/``default.aspx`` removed; the trailing slash removed except for
    the root; AMP views (``/amp`` segment, ``.amp.html``, ``.amp``, ``?amp=1``,
    ``outputType=amp``, an ``amp.`` host) and print views (``/print`` segment, ``?print=1``,
    ``?view=print``) mapped to the article; percent-encoding normalised (w3lib).

    The scheme is kept as given, so the result stays a fetchable address; http and https
    copies of one article still share an identity because ``article_id`` ignores the scheme.

    Raises ``ValueError`` if ``url`` (after resolving against ``base``) is not http(s).
    """
    if base:
        url = urljoin(base, url.strip())
    url = url.strip()
    if not is_http_url(url):
        raise ValueError(f"only http and https URLs can be canonicalised: got {url!r}")
    canonical = _canonicalize(url)
    hint = _accepted_hint(url, canonical_hint)
    return _canonicalize(hint) if hint else canonical


def _accepted_hint(url: str, canonical_hint: str | None) -> str | None:
    """The page's declared canonical URL (resolved against ``url``) when it can stand for
    the page: http(s), on the same registrable domain, and not the site's root for a page
    that is not the root. Else None."""
    if not canonical_hint or not isinstance(canonical_hint, str):
        return None
    hint = urljoin(url, canonical_hint.strip())
    if not is_http_url(hint):
        return None
    hint_host = _host_and_port(urlsplit(hint))[0]
    url_host = _host_and_port(urlsplit(url))[0]
    if hint_host != url_host and registrable_domain(hint_host) != registrable_domain(url_host):
        return None
    if _is_root(_canonicalize(hint)) and not _is_root(_canonicalize(url)):
        return None
    return hint


def declared_url(url: str, *, canonical_hint: str | None = None) -> str:
    """The article's address as the site gives it, for the ``canonical_url`` column: the
    page's declared canonical URL when it can stand for the page (see
    :func:`canonicalize_url`), else the fetched URL; cleaned only of the fragment, tracking
    parameters and session ids. Path, trailing slash, scheme and query order stay as they
    are, so the address still answers; :func:`canonicalize_url` is the identity."""
    return strip_tracking(_accepted_hint(url, canonical_hint) or url.strip())


def strip_tracking(url: str) -> str:
    """``url`` without its fragment, tracking parameters (``utm_*``, ``fbclid`` ...) and
    session ids (query or ``;jsessionid=`` path parameter); the rest byte for byte."""
    parts = urlsplit(url)
    path = _SESSION_PATH_PARAM.sub("", parts.path)
    kept = []
    for piece in parts.query.split("&") if parts.query else []:
        name = unquote_plus(piece.split("=", 1)[0]).lower()
        if name in TRACKING_PARAMS or name in SESSION_PARAMS or name.startswith(TRACKING_PREFIXES):
            continue
        kept.append(piece)
    return urlunsplit((parts.scheme, parts.netloc, path, "&".join(kept), ""))


def article_id(canonical_url: str) -> str:
    """Stable 16-hex id of an article: sha256 of its canonical URL.

    The scheme and a leading ``www.`` are ignored, so ``http://www.example.com/a`` and
    ``https://example.com/a`` get the same id.
    """
    parts = urlsplit(canonical_url)
    netloc = parts.netloc.lower()
    if netloc.startswith("www."):
        netloc = netloc[4:]
    key = urlunsplit(("", netloc, parts.path, parts.query, ""))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------------------------------
# The crawl's identity of an address: what the spider requests and has seen.


def _w3lib_form(url: str) -> str:
    """w3lib's canonical form: query sorted, percent-encoding normalised, no fragment."""
    return _w3lib_canonicalize(url, keep_blank_values=True, keep_fragments=False)


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the default port filled in: the unit a crawl stays on."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or DEFAULT_PORTS.get(scheme)


# A URL already in canonical form: lower-case host, a path of unreserved characters only,
# no dot segment, no query, no fragment. Such a URL is its own clean form and its own key
# (tests/core/test_known_key.py checks this against the full functions). Most article, sitemap
# and listing URLs are such URLs; canonicalizing them one by one cost a warm crawl of the
# 1,000-article benchmark site about 60 ms.
_PLAIN_URL = re.compile(r"https?://[a-z0-9][a-z0-9.-]*(?::[0-9]{1,5})?/[A-Za-z0-9_~./-]*\Z")


def _is_plain(url: str) -> bool:
    return _PLAIN_URL.match(url) is not None and "/." not in url and ".." not in url


def _full_url_key(url: str) -> str:
    try:
        return _w3lib_form(url)
    except (ValueError, UnicodeError):
        return urldefrag(url)[0]


def _full_clean_url(url: str) -> str:
    return urldefrag(safe_url_string(url.strip()))[0]


@functools.lru_cache(maxsize=1 << 16)  # the same links come back on every listing page
def url_key(url: str) -> str:
    """The crawl's key of an address: w3lib canonical form (sorted query, no fragment)."""
    return url if _is_plain(url) else _full_url_key(url)


@functools.lru_cache(maxsize=1 << 16)
def clean_url(url: str) -> str:
    """The URL we request: made safe (percent-encoded) and without its fragment."""
    return url if _is_plain(url) else _full_clean_url(url)


def known_key(url: str) -> str:
    """The key a known-articles file's URL is matched with: the same as for discovered URLs."""
    return url_key(clean_url(url))
