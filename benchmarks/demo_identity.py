"""List everything the demo sites serve, to prove a change to ``newsetl/demo`` left it as it was.

For every demo site and hostile scenario the script starts the server on a fixed port of
127.0.0.1, crawls it breadth-first from ``/``, ``/robots.txt`` and ``/sitemap.xml`` (every
link, every URL of a sitemap, feed, robots file or redirect on the same host) and writes one
JSON line per answer: the request, the status, every header but ``Date`` and the sha256 of the
body as it came off the socket (a timeout or a cut connection is part of the answer). Pages
answered 200 with an ETag are asked again with ``If-None-Match``, gzip answers again without
``Accept-Encoding``. The truth tables (``EXPECTED``, ``DUPLICATES``, ``HOSTILE``) are listed
too, and the generated benchmark site (``benchmarks/sitegen.py``) is crawled as well. A
Last-Modified within the run is the time the page was rendered, written ``<run>``.

    python benchmarks/demo_identity.py --root DIR --out listing.jsonl   # DIR: a checkout
    python benchmarks/demo_identity.py --compare before.jsonl after.jsonl

Run it with the checkout's own python (its ``.venv``); both runs must use the same
``--port`` (absolute URLs in the pages carry it).
"""

from __future__ import annotations

import argparse
import email.utils
import hashlib
import json
import re
import socket
import sys
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

_LINK = re.compile(rb"""(?:href|src|url)\s*=\s*["']([^"'<>]*)["']""", re.I)
_XML_URL = re.compile(rb"<(?:loc|link)>\s*([^<\s]+)\s*</", re.I)
_ROBOTS = re.compile(rb"^\s*sitemap:\s*(\S+)", re.I | re.M)
_ROOT = Path.cwd()  # the checkout served (--root)
PARSE_LIMIT = 4 * 1024 * 1024  # bodies larger than this are hashed, not searched for links


def fetch(port: int, target: str, headers: dict[str, str], timeout: float) -> dict[str, Any]:
    """One request on a fresh connection (``Connection: close``), read until the server closes
    it or sends nothing for ``timeout`` seconds."""
    lines = [f"GET {target}", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines[0] += " HTTP/1.1"
    lines += [f"{k}: {v}" for k, v in headers.items()]
    head = bytearray()
    body = bytearray()  # the first PARSE_LIMIT + 1 bytes
    digest, size = hashlib.sha256(), 0
    ended = "close"
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        while True:
            try:
                chunk = sock.recv(1 << 20)
            except TimeoutError:
                ended = "timeout"
                break
            except ConnectionResetError:
                ended = "reset"
                break
            if not chunk:
                break
            if b"\r\n\r\n" not in head:
                head += chunk
                if b"\r\n\r\n" not in head:
                    continue
                head, _, chunk = bytes(head).partition(b"\r\n\r\n")
                head += b"\r\n\r\n"
            digest.update(chunk)
            size += len(chunk)
            if len(body) <= PARSE_LIMIT:
                body += chunk[: PARSE_LIMIT + 1 - len(body)]
    status_line, *header_lines = bytes(head).decode("latin-1").strip().split("\r\n")
    got: list[list[str]] = []
    for line in header_lines:
        name, _, value = line.partition(":")
        got.append([name.strip().lower(), value.strip()])
    return {
        "status_line": status_line,
        "headers": got,
        "body": bytes(body),
        "size": size,
        "sha256": digest.hexdigest(),
        "ended": ended,
    }


def _normal_headers(headers: list[list[str]], started: float) -> list[list[str]]:
    out = []
    for name, value in headers:
        if name == "date":
            continue
        if name == "last-modified":
            try:
                when = email.utils.parsedate_to_datetime(value).timestamp()
            except (TypeError, ValueError):
                when = 0.0
            if when >= started - 120:  # rendered during this run: the clock, not the content
                value = "<run>"
        out.append([name, value])
    return out


def _header(answer: dict[str, Any], name: str) -> str | None:
    return next((v for k, v in answer["headers"] if k == name), None)


def _links(answer: dict[str, Any], url: str) -> list[str]:
    body: bytes = answer["body"]
    if answer["size"] > PARSE_LIMIT:
        return []
    if _header(answer, "content-encoding") == "gzip":
        try:  # at most PARSE_LIMIT bytes: a gzip bomb stays a small string
            body = zlib.decompressobj(wbits=31).decompress(body, PARSE_LIMIT)
        except zlib.error:
            return []
    found = [m.group(1) for m in _LINK.finditer(body)]
    found += [m.group(1) for m in _XML_URL.finditer(body)]
    found += [m.group(1) for m in _ROBOTS.finditer(body)]
    location = _header(answer, "location")
    urls = [location] if location else []
    for item in found:
        text = item.decode("utf-8", "replace").replace("&amp;", "&")
        urls.append(urljoin(url, text))
    return urls


def crawl(name: str, port: int, limit: int, timeout: float, started: float) -> Iterator[dict]:
    """Breadth-first over one server; yields a record per answer."""
    base = f"http://127.0.0.1:{port}"
    queue: deque[str] = deque(["/", "/robots.txt", "/sitemap.xml"])
    seen = set(queue)
    answers: list[tuple[str, dict[str, Any]]] = []
    while queue and len(answers) < limit:
        target = queue.popleft()
        answer = fetch(port, target, {"Accept-Encoding": "gzip"}, timeout)
        answers.append((target, answer))
        yield _record(name, target, "gzip", answer, started)
        for link in _links(answer, base + target):
            parts = urlsplit(link)
            if parts.scheme != "http" or parts.netloc != f"127.0.0.1:{port}":
                continue
            path = (parts.path or "/") + ("?" + parts.query if parts.query else "")
            if path not in seen:
                seen.add(path)
                queue.append(path)
    yield {"scenario": name, "unvisited": len(queue)}
    for target, answer in answers:  # the second questions, in the same order
        etag = _header(answer, "etag")
        if answer["status_line"].split()[1:2] == ["200"] and etag:
            again = fetch(port, target, {"Accept-Encoding": "gzip", "If-None-Match": etag}, timeout)
            yield _record(name, target, "if-none-match", again, started)
        if _header(answer, "content-encoding") == "gzip":
            plain = fetch(port, target, {}, timeout)
            yield _record(name, target, "identity", plain, started)


def _record(name: str, target: str, ask: str, answer: dict[str, Any], started: float) -> dict:
    return {
        "scenario": name,
        "target": target,
        "ask": ask,
        "status": answer["status_line"],
        "headers": _normal_headers(answer["headers"], started),
        "bytes": answer["size"],
        "sha256": answer["sha256"],
        "ended": answer["ended"],
    }


def _plain(value: Any) -> Any:
    """JSON-able, order-stable: sets sorted, tuples as lists, dataclasses as dicts."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {f: _plain(getattr(value, f)) for f in value.__dataclass_fields__}
    return value


def scenarios() -> list[tuple[str, Callable[[ExitStack, int], int], int, float]]:
    """(name, start(stack, port) -> port served, URL limit, read timeout)."""
    from datetime import datetime

    from newsetl.demo import hostile
    from newsetl.demo.server import SiteServer
    from newsetl.demo.sites import Post, add_post, edit_post, error_site, news_site, wix_blog

    def plain(factory: Callable[[], Any]) -> Callable[[ExitStack, int], int]:
        def start(stack: ExitStack, port: int) -> int:
            return stack.enter_context(SiteServer(factory(), port=port)).port

        return start

    def edited_wix() -> Any:
        site = wix_blog()
        slug = site.data["posts"][1].slug
        edit_post(site, slug, paragraphs=[*site.data["posts"][1].paragraphs, "A late line."])
        add_post(
            site,
            Post(
                slug="a-brand-new-post",
                title="A Brand New Post",
                authors=["Daniyar Omarov"],
                published=datetime.fromisoformat("2022-02-01T10:00:00+06:00"),
                paragraphs=["Fresh text.", "## A heading", "More text."],
                tags=["trains"],
                categories=["travel"],
            ),
        )
        return site

    def offsite_errors(stack: ExitStack, port: int) -> int:
        landing = stack.enter_context(SiteServer(hostile.landing_site(), port=port + 50))
        site = error_site()
        site.data["offsite_url"] = landing.url + "/landing"
        srv = stack.enter_context(SiteServer(site, port=port))
        site.rebuild()
        return srv.port

    def hostile_with(**kwargs: Any) -> Callable[[ExitStack, int], int]:
        def start(stack: ExitStack, port: int) -> int:
            landing = stack.enter_context(SiteServer(hostile.landing_site(), port=port + 50))
            site = hostile.hostile_site(landing.url + "/landing", **kwargs)
            return stack.enter_context(hostile.HostileServer(site, port=port)).port

        return start

    def bench_site(stack: ExitStack, port: int) -> int:
        sys.path.insert(0, str(_ROOT / "benchmarks"))
        import sitegen  # the generated benchmark site shares the server's HTTP code

        server = sitegen.BenchServer(sitegen.NewsSiteGenerator(25, seed=5), port=port)
        stack.enter_context(server)
        return port

    return [
        ("wix", plain(wix_blog), 1000, 5.0),
        ("news", plain(news_site), 1000, 5.0),
        ("errors", plain(error_site), 1000, 5.0),
        ("errors-offsite", offsite_errors, 1000, 5.0),
        ("wix-edited", plain(edited_wix), 1000, 5.0),
        ("landing", plain(hostile.landing_site), 100, 5.0),
        ("hostile", hostile_with(), 150, 3.0),
        ("hostile-no-stall", hostile_with(stall=False, deep_levels=1000), 80, 3.0),
        ("load", plain(lambda: hostile.load_site(1234)), 2000, 5.0),
        ("sitegen", bench_site, 5000, 5.0),
    ]


def truth_records() -> Iterator[dict]:
    from newsetl.demo import hostile, sites

    yield {"truth": "EXPECTED", "value": _plain(sites.EXPECTED)}
    yield {"truth": "DUPLICATES", "value": _plain(sites.DUPLICATES)}
    yield {"truth": "HOSTILE", "value": _plain(hostile.HOSTILE)}
    yield {"truth": "GOOD_ARTICLES", "value": _plain(hostile.GOOD_ARTICLES)}
    yield {"truth": "demo_sites", "value": [s.name for s in sites.demo_sites()]}


def write_listing(out: Path, port: int) -> int:
    started = time.time()
    n = 0
    with out.open("w", encoding="utf-8") as fh:
        for rec in truth_records():
            fh.write(json.dumps(rec, sort_keys=True) + "\n")
        for i, (name, start, limit, timeout) in enumerate(scenarios()):
            with ExitStack() as stack:
                served = start(stack, port + i)
                for rec in crawl(name, served, limit, timeout, started):
                    n += "target" in rec
                    fh.write(json.dumps(rec, sort_keys=True) + "\n")
            print(f"{name}: done", file=sys.stderr, flush=True)
    return n


def compare(a: Path, b: Path) -> int:
    left = a.read_text(encoding="utf-8").splitlines()
    right = b.read_text(encoding="utf-8").splitlines()
    urls = {(r["scenario"], r["target"]) for r in map(json.loads, left) if "target" in r}
    answers = sum(1 for line in left if '"target"' in line)
    diffs = [(i, x, y) for i, (x, y) in enumerate(zip(left, right, strict=False)) if x != y]
    print(f"{len(urls)} URLs, {answers} answers, {len(left) - answers} other lines compared")
    if len(left) != len(right):
        print(f"different lengths: {len(left)} vs {len(right)} lines")
    for i, x, y in diffs[:20]:
        print(f"line {i + 1}:\n  - {x[:400]}\n  + {y[:400]}")
    same = not diffs and len(left) == len(right)
    print("identical" if same else f"{len(diffs)} lines differ")
    return 0 if same else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--root", type=Path, help="the checkout whose newsetl package is served")
    ap.add_argument("--out", type=Path, help="where to write the listing (JSON lines)")
    ap.add_argument("--port", type=int, default=47310, help="first port (one per scenario)")
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = ap.parse_args()
    if args.compare:
        return compare(*args.compare)
    if not args.root or not args.out:
        ap.error("--root and --out are needed (or --compare BEFORE AFTER)")
    global _ROOT
    _ROOT = args.root.resolve()
    sys.path.insert(0, str(_ROOT))
    n = write_listing(args.out, args.port)
    print(f"{n} answers written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
