"""A small threaded HTTP/1.1 server for the bundled demo sites and the test suite.

A :class:`Site` maps a path (optionally with a query string) to a :class:`Resource`.
Most sites are *built* from a base URL: ``Site(name, build=fn)`` where
``fn(site, base_url) -> dict[path, Resource]``. :class:`SiteServer` binds its socket
first, then calls ``site.bind(server.url)`` so every absolute URL in the pages (canonical
links, sitemaps, feeds, JSON-LD) uses the real ``http://127.0.0.1:<port>``.

Tests may change a site while it is being served:

* ``site[path] = Resource(...)`` / ``del site[path]``: add or remove a page;
* ``site[path].body = b"..."`` (or a ``str``): change a page; its ETag follows the
  bytes and its Last-Modified moves forward by at least one second;
* change the site's data (e.g. ``site.data["posts"]``) and call ``site.rebuild()``:
  every generated page is rendered again; pages whose bytes did not change keep their
  Last-Modified (so a later conditional request still gets 304), and behaviour set on a
  resource (flaky, slow, ...) is kept.

Behaviours of a resource: a fixed ``status`` (404, 500, ...); ``fail_first=N`` answers
``fail_status`` (503) to the first N requests and then the normal page; a redirect
(``status`` 301/302/307/308 with ``location``, a path or an absolute URL); ``delay``
seconds before the answer; ETag + Last-Modified on every 200 and a 304 to a matching
If-None-Match (checked first) or If-Modified-Since; gzip when the client accepts it and
the site or resource allows it. Unknown paths get the site's 404 page.

``python -m newsetl.demo`` serves the demo sites until Ctrl-C. This module knows no site.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urljoin, urlsplit

__all__ = [
    "RequestRecord",
    "Resource",
    "Site",
    "SiteServer",
    "redirect",
    "serve",
    "wait_for_ctrl_c",
]

HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
_LOGGED_HEADERS = (
    "User-Agent",
    "Accept",
    "Accept-Encoding",
    "Accept-Language",
    "If-None-Match",
    "If-Modified-Since",
    "Referer",
    "Host",
)
_COMPRESSIBLE = ("text/", "application/xml", "application/rss+xml", "application/json")


def _now_second() -> float:
    return float(int(time.time()))


class Resource:
    """One served path. Mutable; reads and writes of ``body`` are safe across threads."""

    def __init__(
        self,
        body: bytes | str = b"",
        status: int = 200,
        content_type: str = HTML,
        headers: dict[str, str] | None = None,
        *,
        location: str | None = None,
        fail_first: int = 0,
        fail_status: int = 503,
        delay: float = 0.0,
        conditional: bool = True,
        gzip: bool | None = None,
        last_modified: datetime | float | None = None,
    ) -> None:
        self._lock = threading.RLock()
        self.status = status
        self.content_type = content_type
        self.headers: dict[str, str] = dict(headers or {})
        self.location = location  # redirect target, for 3xx statuses
        self.fail_first = fail_first  # flaky: answer fail_status to the first N requests
        self.fail_status = fail_status
        self.delay = delay  # seconds to wait before answering
        self.conditional = conditional  # send ETag/Last-Modified and answer 304
        self.gzip = gzip  # None: follow the site's setting
        self.hits = 0  # requests seen for this resource (flaky counter)
        self._body = _to_bytes(body)
        if isinstance(last_modified, datetime):
            self.modified = float(int(last_modified.timestamp()))
        elif last_modified is not None:
            self.modified = float(int(last_modified))
        else:
            self.modified = _now_second()

    # -- body, ETag, Last-Modified ---------------------------------------------------
    @property
    def body(self) -> bytes:
        return self._body

    @body.setter
    def body(self, value: bytes | str) -> None:
        data = _to_bytes(value)
        with self._lock:
            if data == self._body:
                return
            self._body = data
            # Strictly later, at one-second resolution, so If-Modified-Since sees the change.
            self.modified = max(_now_second(), self.modified + 1.0)

    @property
    def text(self) -> str:
        return self._body.decode("utf-8", errors="replace")

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self._body).hexdigest()[:16] + '"'

    @property
    def last_modified(self) -> str:
        return email.utils.formatdate(self.modified, usegmt=True)

    def reset(self) -> None:
        """Forget the request counter (flaky resources fail again)."""
        with self._lock:
            self.hits = 0

    def _count_hit(self) -> int:
        with self._lock:
            self.hits += 1
            return self.hits

    def __repr__(self) -> str:
        extra = f" -> {self.location}" if self.location else ""
        return f"Resource({self.status}, {self.content_type!r}, {len(self._body)} bytes{extra})"


def _to_bytes(value: bytes | str) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def redirect(location: str, status: int = 301) -> Resource:
    """A redirect to a path on the same site or to an absolute URL."""
    return Resource(b"", status=status, content_type=HTML, location=location, conditional=False)


BuildFn = Callable[["Site", str], dict[str, Resource]]


class Site:
    """A mapping path -> Resource, optionally generated from a base URL by ``build``.

    ``data`` is free-form content the build function reads (posts, settings); ``expected``
    is the machine-readable truth for tests (see ``newsetl.demo.sites.EXPECTED``).
    """

    def __init__(
        self,
        name: str,
        resources: dict[str, Resource] | None = None,
        *,
        build: BuildFn | None = None,
        data: dict[str, Any] | None = None,
        expected: dict[str, Any] | None = None,
        gzip: bool = True,
        not_found: bytes | str | None = None,
    ) -> None:
        self.name = name
        self.build = build
        self.data: dict[str, Any] = data if data is not None else {}
        self.expected = expected
        self.gzip = gzip
        self.not_found = _to_bytes(
            not_found
            if not_found is not None
            else "<!DOCTYPE html><html><head><title>Page not found</title></head>"
            "<body><h1>Page not found</h1><p>There is nothing here.</p></body></html>"
        )
        self.base_url: str | None = None
        self._lock = threading.RLock()
        self._resources: dict[str, Resource] = dict(resources or {})
        self._generated: set[str] = set()

    # -- building ----------------------------------------------------------------------
    def bind(self, base_url: str) -> Site:
        """Set the base URL ("http://127.0.0.1:PORT", no trailing slash) and render."""
        self.base_url = base_url.rstrip("/")
        self.rebuild()
        return self

    def rebuild(self) -> None:
        """Render the generated pages again from ``data`` (after a test changed it)."""
        if self.build is None or self.base_url is None:
            return
        fresh = self.build(self, self.base_url)
        with self._lock:
            manual = set(self._resources) - self._generated  # set by hand: they win
            for path in self._generated - fresh.keys():
                self._resources.pop(path, None)
            generated: set[str] = set()
            for path, res in fresh.items():
                if path in manual:
                    continue
                old = self._resources.get(path)
                if old is None:
                    self._resources[path] = res
                else:  # keep behaviour, counters and Last-Modified; take the new content
                    old.body = res.body
                    old.status = res.status
                    old.content_type = res.content_type
                    old.location = res.location
                    old.headers.update(res.headers)
                generated.add(path)
            self._generated = generated

    def url(self, path: str = "/") -> str:
        """The absolute URL of a path on this site (after bind)."""
        if self.base_url is None:
            raise RuntimeError(f"site {self.name!r} is not bound to a server yet")
        return self.base_url + (path if path.startswith("/") else "/" + path)

    # -- mapping -----------------------------------------------------------------------
    def __getitem__(self, path: str) -> Resource:
        with self._lock:
            return self._resources[path]

    def __setitem__(self, path: str, res: Resource) -> None:
        with self._lock:
            self._resources[path] = res
            self._generated.discard(path)

    def __delitem__(self, path: str) -> None:
        with self._lock:
            del self._resources[path]
            self._generated.discard(path)

    def __contains__(self, path: object) -> bool:
        with self._lock:
            return path in self._resources

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            return iter(list(self._resources))

    def __len__(self) -> int:
        with self._lock:
            return len(self._resources)

    def paths(self) -> list[str]:
        with self._lock:
            return sorted(self._resources)

    def get(self, path: str) -> Resource | None:
        with self._lock:
            return self._resources.get(path)

    def lookup(self, target: str) -> Resource | None:
        """The resource for a request target: exact path+query first, then the path."""
        with self._lock:
            res = self._resources.get(target)
            if res is None and "?" in target:
                res = self._resources.get(target.split("?", 1)[0])
            return res

    def __repr__(self) -> str:
        return f"Site({self.name!r}, {len(self)} paths, base={self.base_url!r})"


@dataclass(slots=True)
class RequestRecord:
    method: str
    path: str  # request target: path plus query string
    headers: dict[str, str]
    status: int
    bytes: int  # body bytes sent
    time: float  # time.time() when the request arrived
    client: str = ""

    @property
    def user_agent(self) -> str | None:
        return self.headers.get("User-Agent")


@dataclass
class _Log:
    records: list[RequestRecord] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "newsetl-demo/1.0"
    timeout = 10  # idle keep-alive connections close after this many seconds
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        return  # quiet; the server keeps its own request log

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def _answer(self, head: bool) -> None:
        arrived = time.time()
        owner = self.server.owner
        site = owner.site
        target = self.path
        if target.startswith(("http://", "https://")):  # absolute-form request target
            parts = urlsplit(target)
            target = parts.path + ("?" + parts.query if parts.query else "")
        res = site.lookup(target)
        headers: dict[str, str] = {}
        body = b""
        if res is None:
            status, ctype, body = 404, HTML, site.not_found
        else:
            hit = res._count_hit()
            if res.delay:
                time.sleep(res.delay)
            if hit <= res.fail_first:
                status, ctype = res.fail_status, HTML
                body = b"<!DOCTYPE html><html><body><h1>Service Unavailable</h1></body></html>"
                headers["Retry-After"] = "1"
            else:
                status, ctype = res.status, res.content_type
                body = res.body
                headers.update(res.headers)
                if res.location is not None and 300 <= status < 400:
                    headers["Location"] = urljoin(owner.url + "/", res.location)
                if status == 200 and res.conditional:
                    etag, lastmod = res.etag, res.last_modified
                    headers["ETag"] = etag
                    headers["Last-Modified"] = lastmod
                    if not_modified(self.headers, etag, res.modified):
                        status, body = 304, b""
                want_gzip = site.gzip if res.gzip is None else res.gzip
                if (
                    status == 200
                    and want_gzip
                    and body
                    and ctype.startswith(_COMPRESSIBLE)
                    and "gzip" in (self.headers.get("Accept-Encoding") or "").lower()
                ):
                    body = gzip.compress(body, mtime=0)
                    headers["Content-Encoding"] = "gzip"
                    headers["Vary"] = "Accept-Encoding"
        sent = 0 if head or status == 304 else len(body)
        # Log before answering, so a client that has its answer always finds the record.
        owner._record(
            RequestRecord(
                method=self.command,
                path=target,
                headers={h: v for h in _LOGGED_HEADERS if (v := self.headers.get(h)) is not None},
                status=status,
                bytes=sent,
                time=arrived,
                client=self.client_address[0],
            )
        )
        write_answer(self, status, ctype, headers.items(), body, sent)


def write_answer(
    handler: BaseHTTPRequestHandler,
    status: int,
    ctype: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    sent: int,
) -> None:
    """Send status, headers (Content-Type unless 304, Content-Length) and ``sent`` body bytes."""
    handler.send_response(status)
    if status != 304:
        handler.send_header("Content-Type", ctype)
    for name, value in headers:
        handler.send_header(name, value)
    handler.send_header("Content-Length", "0" if status == 304 else str(len(body)))
    handler.end_headers()
    if sent:
        try:
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


def not_modified(req_headers: Any, etag: str, modified: float) -> bool:
    """Whether a conditional request may get a 304 for a body of ``etag``, changed at ``modified``."""
    inm = req_headers.get("If-None-Match")
    if inm is not None:  # RFC 9110: If-None-Match wins over If-Modified-Since
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or etag in tags
    ims = req_headers.get("If-Modified-Since")
    if ims:
        try:
            since = email.utils.parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return modified <= since.timestamp()
    return False


class QuietHTTPServer(ThreadingHTTPServer):
    """A threaded server that does not print a traceback when a client hangs up."""

    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer (a crawler cancelling an oversized or slow
        # download) is normal here, not an error worth a traceback.
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _HTTPServer(QuietHTTPServer):
    owner: SiteServer


class SiteServer:
    """Serve one :class:`Site` on ``http://127.0.0.1:<port>`` from a background thread.

    ``with SiteServer(site) as srv: urlopen(srv.url + "/")``. The port is 0 (any free
    port) unless given. ``srv.requests`` is the request log, ``srv.count(path)`` counts
    requests for a path.
    """

    def __init__(self, site: Site, host: str = "127.0.0.1", port: int = 0) -> None:
        self.site = site
        self.host = host
        self._requested_port = port
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._log = _Log()

    # -- lifecycle ---------------------------------------------------------------------
    def bind(self) -> SiteServer:
        """Open the socket and render the site with the real URL (start() does this)."""
        if self._httpd is None:
            self._httpd = _HTTPServer((self.host, self._requested_port), _Handler)
            self._httpd.owner = self
            self.site.bind(self.url)
        return self

    def start(self) -> SiteServer:
        self.bind()
        if self._thread is None:
            assert self._httpd is not None
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"SiteServer[{self.site.name}]",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            if self._thread is not None:
                self._httpd.shutdown()
                self._thread.join(timeout=5)
            self._httpd.server_close()
        self._httpd = None
        self._thread = None

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("server is not bound; call start() first")
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:54321``."""
        return f"http://{self.host}:{self.port}"

    # -- request log -------------------------------------------------------------------
    def _record(self, rec: RequestRecord) -> None:
        with self._log.lock:
            self._log.records.append(rec)

    @property
    def requests(self) -> list[RequestRecord]:
        """A copy of the request log, oldest first."""
        with self._log.lock:
            return list(self._log.records)

    def count(self, path: str | None = None, *, method: str | None = None) -> int:
        """Requests for ``path`` (exact target; a path without "?" also matches any query)."""
        n = 0
        for rec in self.requests:
            if method is not None and rec.method != method:
                continue
            if path is not None and rec.path != path:
                if "?" in path or rec.path.split("?", 1)[0] != path:
                    continue
            n += 1
        return n

    def clear_log(self) -> None:
        with self._log.lock:
            self._log.records.clear()

    def __repr__(self) -> str:
        where = self.url if self._httpd is not None else "unbound"
        return f"SiteServer({self.site.name!r}, {where})"


@contextmanager
def serve(*sites: Site) -> Iterator[list[SiteServer]]:
    """Start one server per site (each its own host:port); stop them all on exit."""
    with ExitStack() as stack:
        yield [stack.enter_context(SiteServer(site)) for site in sites]


def wait_for_ctrl_c() -> None:
    """Say so and block until Ctrl-C (the servers answer from their own threads)."""
    print("Serving; press Ctrl-C to stop.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
