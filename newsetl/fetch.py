"""One page fetched politely, for ``newsetl extract URL``: robots.txt obeyed, newsetl's
User-Agent, the crawler's timeout and size limit. No Scrapy: a single request does not
need a reactor, and the command stays quick to start."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

# The crawler's limits too: spiders/settings.py takes them from here.
USER_AGENT = "newsetl/0.1 (+https://github.com/newsetl/newsetl)"
TIMEOUT_S = 20.0
MAX_BYTES = 10 * 1024 * 1024


class FetchError(RuntimeError):
    """The page could not be had; the message names the cause and what to do."""


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # where the answer came from, redirects followed
    body: bytes
    content_type: str | None
    charset: str | None
    content_language: str | None


def _get(url: str, timeout_s: float) -> tuple[int, bytes, dict[str, str], str]:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as resp:  # noqa: S310 - http(s) checked
            body = resp.read(MAX_BYTES + 1)
            headers = {k.lower(): v for k, v in resp.headers.items()}
            return resp.status, body, headers, resp.geturl()
    except urllib.error.HTTPError as exc:
        headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
        return exc.code, exc.read(MAX_BYTES + 1) if exc.fp else b"", headers, url
    except (TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"cannot fetch {url}: {reason}: check the URL and your network") from exc


def allowed_by_robots(url: str, timeout_s: float = TIMEOUT_S) -> bool:
    """Whether the site's robots.txt lets newsetl fetch ``url`` (no robots.txt: yes)."""
    from protego import Protego

    parts = urlsplit(url)
    robots_url = urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
    try:
        status, body, _, _ = _get(robots_url, timeout_s)
    except FetchError:
        return True  # unreachable robots.txt: as Scrapy does, the page is asked for
    if status >= 400 or not body:
        return True
    rules = Protego.parse(body.decode("utf-8", "replace"))
    return rules.can_fetch(url, USER_AGENT)


def fetch_page(url: str, timeout_s: float = TIMEOUT_S) -> Fetched:
    """GET ``url`` if robots.txt allows it; FetchError naming the cause otherwise."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise FetchError(f"not an http(s) URL: {url}")
    if not allowed_by_robots(url, timeout_s):
        raise FetchError(f"robots.txt of {urlsplit(url).netloc} does not allow fetching {url}")
    status, body, headers, final = _get(url, timeout_s)
    if status >= 400:
        raise FetchError(f"{url} answered {status}: check the URL")
    if len(body) > MAX_BYTES:
        raise FetchError(f"{url} is larger than {MAX_BYTES // (1024 * 1024)} MB: not a page")
    ctype = headers.get("content-type", "")
    mime = ctype.split(";", 1)[0].strip().lower() or None
    if mime and mime not in ("text/html", "application/xhtml+xml") and not mime.endswith("+xml"):
        raise FetchError(f"{url} is {mime}, not an HTML page")
    charset = None
    for part in ctype.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
    return Fetched(final, body, mime, charset, headers.get("content-language"))
