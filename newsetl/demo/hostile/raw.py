"""Raw behaviours: resources that write their own response (huge and streamed bodies, gzip
bombs, a stalled answer, lying Content-Lengths) and :class:`HostileServer`, which serves them."""

from __future__ import annotations

import gzip
import threading
import time
from typing import Any

from newsetl.demo import server as _server
from newsetl.demo.hostile.pages import MB
from newsetl.demo.server import HTML, RequestRecord, Resource, Site, SiteServer

# ---------------------------------------------------------------------------------------
# Raw behaviours: resources that write their own response


class Raw(Resource):
    """A resource that writes its own response (status line, headers, body) to the socket.

    ``send(handler, stop)`` is called instead of the normal answer; ``stop`` is set when
    the server stops (a stalled answer must wait on it, not sleep forever). Returns the
    number of body bytes written."""

    def __init__(self, content_type: str = HTML) -> None:
        super().__init__(b"", content_type=content_type, conditional=False, gzip=False)

    def send(self, handler: Any, stop: threading.Event) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def _head(handler: Any, status: int, headers: dict[str, str]) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()


_FILLER = (
    b"<p>" + b"All work and no play makes the crawler a dull crawler. " * 1000 + b"</p>\n"
) * 16  # about 900 KB of HTML


class Huge(Raw):
    """``size`` bytes of HTML, streamed (never held in memory), with a true Content-Length
    or, with ``content_length=False``, none at all (the end is the connection's close)."""

    def __init__(self, size: int, *, content_length: bool = True, content_type: str = HTML):
        super().__init__(content_type)
        self.size = size
        self.content_length = content_length

    def send(self, handler: Any, stop: threading.Event) -> int:
        headers = {"Content-Type": self.content_type}
        if self.content_length:
            headers["Content-Length"] = str(self.size)
        else:
            headers["Connection"] = "close"
        handler.close_connection = True
        self._head(handler, 200, headers)
        return _stream(handler, self.size, stop)


def _stream(handler: Any, size: int, stop: threading.Event) -> int:
    sent = 0
    try:
        while sent < size and not stop.is_set():
            chunk = _FILLER[: size - sent]
            handler.wfile.write(chunk)
            sent += len(chunk)
    except OSError:  # the client gave up (as it should)
        pass
    return sent


_BOMB_MEMBER: bytes | None = None
_BOMB_LOCK = threading.Lock()
_BOMB_MEMBER_SIZE = 16 * MB


def _bomb_member() -> bytes:
    """One gzip member of 16 MiB of spaces (about 16 KB compressed), built once."""
    global _BOMB_MEMBER
    with _BOMB_LOCK:
        if _BOMB_MEMBER is None:
            _BOMB_MEMBER = gzip.compress(b" " * _BOMB_MEMBER_SIZE, compresslevel=9, mtime=0)
        return _BOMB_MEMBER


class GzipBomb(Raw):
    """A few MB of gzip that expand to ``expanded`` bytes (default 4 GiB of spaces, after a
    small valid prefix): ``Content-Encoding: gzip`` by default, or with ``encoded=False``
    a raw gzip payload (a ``.gz`` file, or a page that is a gzip file)."""

    def __init__(
        self,
        expanded: int = 4096 * MB,
        *,
        content_type: str = HTML,
        encoded: bool = True,
        prefix: bytes = b"<!DOCTYPE html><html><head><title>bomb</title></head><body>",
    ) -> None:
        super().__init__(content_type)
        self.members = max(1, expanded // _BOMB_MEMBER_SIZE)
        self.encoded = encoded
        self.prefix = prefix

    def payload(self) -> bytes:
        return gzip.compress(self.prefix, mtime=0) + _bomb_member() * self.members

    def send(self, handler: Any, stop: threading.Event) -> int:
        body = self.payload()
        headers = {"Content-Type": self.content_type, "Content-Length": str(len(body))}
        if self.encoded:
            headers["Content-Encoding"] = "gzip"
        self._head(handler, 200, headers)
        try:
            handler.wfile.write(body)
        except OSError:
            pass
        return len(body)


class Stall(Raw):
    """Headers announcing ``size`` bytes, the first ``sent`` of them, then silence until the
    server stops (or ``hold`` seconds pass)."""

    def __init__(self, size: int = 200_000, sent: int = 100_000, hold: float = 600.0):
        super().__init__(HTML)
        self.size, self.sent, self.hold = size, sent, hold

    def send(self, handler: Any, stop: threading.Event) -> int:
        self._head(handler, 200, {"Content-Type": HTML, "Content-Length": str(self.size)})
        handler.close_connection = True
        try:
            handler.wfile.write(_FILLER[: self.sent])
            handler.wfile.flush()
        except OSError:
            return 0
        stop.wait(self.hold)
        return self.sent


class LyingLength(Raw):
    """A Content-Length that lies: ``claimed`` bytes announced, ``actual`` sent, then the
    connection is closed (claimed > actual: the body is cut short; claimed < actual: the
    extra bytes are garbage after the response)."""

    def __init__(self, claimed: int, actual: int) -> None:
        super().__init__(HTML)
        self.claimed, self.actual = claimed, actual

    def send(self, handler: Any, stop: threading.Event) -> int:
        self._head(handler, 200, {"Content-Type": HTML, "Content-Length": str(self.claimed)})
        handler.close_connection = True
        return _stream(handler, self.actual, stop)


class _HostileHandler(_server._Handler):
    server: Any

    def _answer(self, head: bool) -> None:
        owner: HostileServer = self.server.owner
        target = self.path
        res = owner.site.lookup(target.split("#", 1)[0])
        if not isinstance(res, Raw) or head:
            super()._answer(head)
            return
        res._count_hit()
        arrived = time.time()
        record = RequestRecord(
            method=self.command,
            path=target,
            headers={k: v for k in ("User-Agent", "Host") if (v := self.headers.get(k))},
            status=200,
            bytes=0,
            time=arrived,
            client=self.client_address[0],
        )
        owner._record(record)
        record.bytes = res.send(self, owner.stopping)  # body bytes written before the end


class HostileServer(SiteServer):
    """A :class:`SiteServer` that also serves :class:`Raw` resources; ``stop()`` releases
    stalled answers first."""

    def __init__(self, site: Site, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(site, host, port)
        self.stopping = threading.Event()

    def bind(self) -> HostileServer:
        if self._httpd is None:
            self.stopping.clear()
            self._httpd = _server._HTTPServer((self.host, self._requested_port), _HostileHandler)
            self._httpd.owner = self
            self.site.bind(self.url)
        return self

    def stop(self) -> None:
        self.stopping.set()
        super().stop()
