"""Real article pages served as a site, crawled by ``newsetl scrape``: what reaches the dataset.

The dev sets beside the repository hold real article pages nobody here wrote:
``../shared/extraction-devset`` (311 news and blog pages with their expected bodies) and
the ``fundus-*`` pages of ``../shared/metadata-devset`` (120 news articles of 85
publishers). This script serves every page of a set on 127.0.0.1 at its original path
under a ``/<host>/`` prefix (``https://www.example.com/2012/07/a-story`` is served at
``/www.example.com/2012/07/a-story``), in one of two modes:

- *sitemap*: robots.txt names ``/sitemap.xml``, which lists every page;
- *listing*: no sitemap and no feed; the home page links 40 pages by their headlines
  (each page's own first ``<h1>``, else its ``<title>``) and points to ``/page/2/`` with
  ``rel=next``, and so on, like a blog's front page.

It runs ``newsetl scrape ROOT --no-delay`` over the site as a user would (a new process,
embedded Prefect), reads ``data/articles`` and ``data/pages`` back, and prints: pages
served, articles stored, the fate of every page that was not stored, and the mean body F1
over **all** pages (a page not stored scores 0) beside the F1 of ``newsetl.extraction`` on
the same files offline, so any loss between extraction and the pipeline shows. In listing
mode it also counts listing pages that ended up in ``data/articles`` (there must be none).

    .venv/bin/python benchmarks/realsite.py [--devset extraction|fundus|both]
                                            [--mode sitemap|listing|both] [--json OUT]

The dev sets are read where they are, never copied; without them the script says so and
exits 0.
"""

from __future__ import annotations

import argparse
import gzip
import html
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("NEWSETL_SHARED", ROOT.parent / "shared"))
EXTRACTION = SHARED / "extraction-devset"
METADATA = SHARED / "metadata-devset"
PER_LISTING = 40
_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1\s*>", re.I | re.S)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.I | re.S)
_TAGS = re.compile(r"<[^>]+>")

__all__ = ["DevPage", "RealSite", "load_devset", "measure", "missing_devsets", "scrape"]


@dataclass(slots=True)
class DevPage:
    id: str
    url: str | None  # the page's original address, when known
    gold: str  # the expected body
    file: Path  # the stored page (.html.gz)
    path: str = ""  # where the site serves it


def missing_devsets(which: str = "both") -> list[Path]:
    """The dev-set folders this run needs that are not there."""
    need = {"extraction": [EXTRACTION], "fundus": [METADATA]}.get(which, [EXTRACTION, METADATA])
    return [p for p in need if not p.is_dir()]


def load_devset(name: str) -> list[DevPage]:
    """The article pages of one dev set: ``extraction`` or ``fundus``."""
    if name == "extraction":
        truth = json.loads((EXTRACTION / "ground-truth.json").read_text(encoding="utf-8"))
        pages = [
            DevPage(
                k, v.get("url"), v.get("articleBody") or "", EXTRACTION / "html" / f"{k}.html.gz"
            )
            for k, v in sorted(truth.items())
        ]
    elif name == "fundus":
        truth = json.loads((METADATA / "truth.json").read_text(encoding="utf-8"))
        pages = [
            DevPage(k, v.get("url"), v.get("body") or "", METADATA / "html" / f"{k}.html.gz")
            for k, v in sorted(truth.items())
            if k.startswith("fundus-")
        ]
    else:
        raise ValueError(f"unknown dev set {name!r}: use extraction or fundus")
    _assign_paths(pages)
    return pages


def _assign_paths(pages: list[DevPage]) -> None:
    """Each page's path on the local site: ``/<host><path>[?query]``, made unique."""
    used: set[str] = set()
    for i, page in enumerate(pages):
        if page.url:
            parts = urlsplit(page.url)
            path = (
                "/"
                + (parts.hostname or "unknown")
                + quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
            )
            if parts.query:
                path += "?" + parts.query
        else:
            path = f"/unknown-{i}/"  # nothing in it hints at what the page is
        while path in used:
            path += ("&" if "?" in path else "?") + "dup=1"
        used.add(path)
        page.path = path


class RealSite:
    """A threaded HTTP server on 127.0.0.1 for one dev set, in ``sitemap`` or ``listing``
    mode; counts requests per path."""

    def __init__(
        self, pages: list[DevPage], mode: str = "sitemap", port: int = 0, anchors: str = "headline"
    ) -> None:
        if mode not in ("sitemap", "listing"):
            raise ValueError(f"unknown mode {mode!r}: use sitemap or listing")
        if anchors not in ("headline", "generic"):
            raise ValueError(f"unknown anchors {anchors!r}: use headline or generic")
        self.pages = pages
        self.mode = mode
        self.anchors = anchors
        self.bodies = {p.path: gzip.decompress(p.file.read_bytes()) for p in pages}
        self.requests: Counter[str] = Counter()
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:
                status, ctype, body = site.answer(self.path)
                with site._lock:
                    site.requests[self.path] += 1
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread: threading.Thread | None = None

    # -- pages ----------------------------------------------------------------------------
    def listing_paths(self) -> list[str]:
        """The listing pages of listing mode: ``/``, ``/page/2/``, ..."""
        if self.mode != "listing":
            return []
        n = (len(self.pages) + PER_LISTING - 1) // PER_LISTING
        return ["/"] + [f"/page/{k}/" for k in range(2, n + 1)]

    def headline(self, page: DevPage) -> str:
        """What a listing shows for a page: its first ``<h1>``, else its ``<title>``, else
        its id (a page with neither). With ``anchors="generic"``: ``Story <n>`` for every page,
        as a listing whose links carry no headline would."""
        if self.anchors == "generic":
            return f"Story {self.pages.index(page) + 1}"
        text = self.bodies[page.path].decode("utf-8", "replace")
        for pattern in (_H1, _TITLE):
            m = pattern.search(text)
            if m:
                words = html.unescape(_TAGS.sub(" ", m.group(1))).split()
                if words:
                    return " ".join(words)[:300]
        return f"Story {page.id}"

    def _listing(self, k: int) -> bytes | None:
        chunk = self.pages[(k - 1) * PER_LISTING : k * PER_LISTING]
        if not chunk:
            return None
        items = "".join(
            f'<article class="post"><h2><a href="{html.escape(p.path)}">'
            f"{html.escape(self.headline(p))}</a></h2>"
            f"<p>Read the story.</p></article>"
            for p in chunk
        )
        nxt = f"/page/{k + 1}/" if k * PER_LISTING < len(self.pages) else None
        head_next = f'<link rel="next" href="{nxt}">' if nxt else ""
        foot_next = f'<a rel="next" href="{nxt}">Next</a>' if nxt else ""
        title = "Latest stories" + (f" - page {k}" if k > 1 else "")
        return (
            f"<!DOCTYPE html><html><head><title>{title}</title>{head_next}</head><body>"
            f'<header><nav><a href="/">Home</a></nav></header><main><h1>{title}</h1>{items}'
            f'<nav class="pagination">{foot_next}</nav></main></body></html>'
        ).encode()

    def answer(self, raw_path: str) -> tuple[int, str, bytes]:
        html_type = "text/html"  # no charset: the pages declare their own
        body = self.bodies.get(raw_path)
        if body is not None:
            return 200, html_type, body
        if raw_path == "/robots.txt":
            lines = ["User-agent: *", "Allow: /"]
            if self.mode == "sitemap":
                lines.append(f"Sitemap: {self.url}/sitemap.xml")
            return 200, "text/plain", ("\n".join(lines) + "\n").encode()
        if self.mode == "sitemap" and raw_path == "/sitemap.xml":
            locs = "".join(
                f"<url><loc>{html.escape(self.url + p.path)}</loc></url>" for p in self.pages
            )
            xml = (
                '<?xml version="1.0" encoding="UTF-8"?>'
                f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'
            )
            return 200, "application/xml", xml.encode()
        if self.mode == "sitemap" and raw_path == "/":
            home = (
                "<!DOCTYPE html><html><head><title>Stories</title></head><body><h1>Stories"
                "</h1><p>Every story is listed in the sitemap.</p></body></html>"
            )
            return 200, html_type + "; charset=utf-8", home.encode()
        if self.mode == "listing":
            k = 1 if raw_path == "/" else None
            if raw_path.startswith("/page/") and raw_path.endswith("/"):
                num = raw_path[len("/page/") : -1]
                k = int(num) if num.isdigit() and int(num) > 1 else None
            page = self._listing(k) if k else None
            if page is not None:
                return 200, html_type + "; charset=utf-8", page
        return 404, "text/html; charset=utf-8", b"<html><body><h1>Not found</h1></body></html>"

    # -- serving --------------------------------------------------------------------------
    def start(self) -> RealSite:
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> RealSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def user_env() -> dict[str, str]:
    """The environment a user would run newsetl in: embedded Prefect, no API URL."""
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    return env


def scrape(
    root: str, data_dir: Path, env: dict[str, str] | None = None, max_pages: int = 5000
) -> subprocess.CompletedProcess:
    """``newsetl scrape ROOT --no-delay --max-pages N`` as a new process."""
    cmd = [sys.executable, "-m", "newsetl.cli", "scrape", root, "--data-dir", str(data_dir)]
    cmd += ["--no-delay", "--max-pages", str(max_pages), "-q"]
    return subprocess.run(
        cmd, env=env or user_env(), cwd=ROOT, capture_output=True, text=True, timeout=1200
    )


def _scorer() -> Any:
    spec = importlib.util.spec_from_file_location("devset_score", EXTRACTION / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _f1(scorer: Any, gold: str, text: str | None) -> float:
    if not text:
        return 0.0
    p, r, _ = scorer.page_score(gold, text)
    if not p or not r:
        return 0.0
    return 2 * p * r / (p + r)


def offline_texts(pages: list[DevPage]) -> dict[str, str]:
    """``newsetl.extraction`` on each stored page, given its original URL: id -> body."""
    sys.path.insert(0, str(ROOT))
    from newsetl.extraction import extract_article

    return {p.id: extract_article(gzip.decompress(p.file.read_bytes()), p.url).text for p in pages}


def measure(site: RealSite, data_dir: Path, offline: dict[str, str]) -> dict[str, Any]:
    """Read a scraped dataset back and compare it with the served pages."""
    import pandas as pd

    scorer = _scorer()
    by_url = {site.url + p.path: p for p in site.pages}
    arts = pd.read_parquet(data_dir / "articles") if (data_dir / "articles").is_dir() else None
    stored: dict[str, str] = {}
    listing_stored = 0
    listing_urls = {site.url + p for p in site.listing_paths()}
    if arts is not None:
        for url, text in zip(arts["url"], arts["text"], strict=True):
            if url in by_url:
                stored[by_url[url].id] = text
            elif url in listing_urls:
                listing_stored += 1
    # A dev set may hold the same article twice (one URL, crawled in two years): one
    # stored copy is the right outcome for both, and the twin scores with that copy.
    twins: dict[str, str] = {}
    first_of: dict[str, DevPage] = {}
    for p in site.pages:
        if p.url:
            if p.url in first_of:
                twins[p.id] = first_of[p.url].id
                twins.setdefault(first_of[p.url].id, p.id)
            else:
                first_of[p.url] = p
    same_article = {
        pid: twin for pid, twin in twins.items() if pid not in stored and twin in stored
    }
    for pid, twin in same_article.items():
        stored[pid] = stored[twin]
    pages = pd.read_parquet(data_dir / "pages") if (data_dir / "pages").is_dir() else None
    fates: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    if pages is not None:
        last = pages.sort_values("fetched_at").groupby("url").tail(1)
        for url, fate, reason in zip(last["url"], last["fate"], last["reason"], strict=True):
            page = by_url.get(url)
            if page is None or page.id in stored:
                continue
            label = fate if fate != "failed" else f"failed:{reason}"
            fates[label] += 1
            examples.setdefault(label, [])
            if len(examples[label]) < 5:
                examples[label].append(page.id)
    never = [
        p.id
        for p in site.pages
        if p.id not in stored
        and site.url + p.path not in set(pages["url"] if pages is not None else ())
    ]
    if never:
        fates["never_fetched"] += len(never)
        examples["never_fetched"] = never[:5]
    n = len(site.pages)
    pipeline_f1 = sum(_f1(scorer, p.gold, stored.get(p.id)) for p in site.pages) / n
    offline_f1 = sum(_f1(scorer, p.gold, offline.get(p.id)) for p in site.pages) / n
    # The same F1 over the stored pages alone: a stored text differs from the offline one
    # only if the crawl changed the page (encoding, URL) or the pipeline cut it.
    kept = [p for p in site.pages if p.id in stored]
    stored_pipeline = sum(_f1(scorer, p.gold, stored[p.id]) for p in kept) / max(1, len(kept))
    stored_offline = sum(_f1(scorer, p.gold, offline.get(p.id)) for p in kept) / max(1, len(kept))
    return {
        "pages_served": n,
        "articles_stored": len(stored),  # pages whose article is in data/articles
        "same_article_as_another_page": sorted(same_article),
        "stored_pct": round(100.0 * len(stored) / n, 2),
        "not_stored": dict(sorted(fates.items())),
        "not_stored_examples": examples,
        "mean_f1_pipeline": round(pipeline_f1, 4),
        "mean_f1_offline": round(offline_f1, 4),
        "f1_gap": round(offline_f1 - pipeline_f1, 4),
        "stored_f1_pipeline": round(stored_pipeline, 4),
        "stored_f1_offline": round(stored_offline, 4),
        "listing_pages": len(listing_urls),
        "listing_pages_stored": listing_stored,
    }


def run_one(
    name: str,
    mode: str,
    keep: bool = False,
    offline: dict[str, str] | None = None,
    anchors: str = "headline",
) -> dict[str, Any]:
    pages = load_devset(name)
    offline = offline if offline is not None else offline_texts(pages)
    tmp = Path(tempfile.mkdtemp(prefix=f"realsite-{name}-{mode}-"))
    with RealSite(pages, mode, anchors=anchors) as site:
        t0 = time.perf_counter()
        proc = scrape(site.url + "/", tmp / "data")
        wall = time.perf_counter() - t0
        result = measure(site, tmp / "data", offline)
    result.update(
        devset=name,
        mode=mode,
        anchors=anchors,
        wall_s=round(wall, 2),
        exit_code=proc.returncode,
        data_dir=str(tmp / "data") if keep else None,
    )
    if proc.returncode:
        result["stderr_tail"] = proc.stderr[-2000:]
    if not keep:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return result


def format_result(r: dict[str, Any]) -> str:
    lines = [
        f"{r['devset']} / {r['mode']}"
        + (" (anchors: Story N)" if r.get("anchors") == "generic" else "")
        + f": {r['articles_stored']} of {r['pages_served']} stored "
        f"({r['stored_pct']} %), scrape {r['wall_s']} s, exit {r['exit_code']}",
        f"  mean body F1 over all pages: pipeline {r['mean_f1_pipeline']:.4f}, "
        f"offline extract {r['mean_f1_offline']:.4f} (gap {r['f1_gap']:+.4f}); over the "
        f"stored pages: {r['stored_f1_pipeline']:.4f} vs {r['stored_f1_offline']:.4f}",
    ]
    if r.get("same_article_as_another_page"):
        lines.append(
            "  stored once for two pages of the same URL (counted as stored): "
            + ", ".join(r["same_article_as_another_page"])
        )
    if r["listing_pages"]:
        lines.append(
            f"  listing pages stored as articles: {r['listing_pages_stored']} of "
            f"{r['listing_pages']}"
        )
    for fate, n in r["not_stored"].items():
        ex = ", ".join(r["not_stored_examples"].get(fate, []))
        lines.append(f"  not stored: {fate} {n} ({ex})")
    if r.get("stderr_tail"):
        lines.append("  stderr: " + r["stderr_tail"].strip().splitlines()[-1])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--devset", choices=("extraction", "fundus", "both"), default="both")
    ap.add_argument("--mode", choices=("sitemap", "listing", "both"), default="both")
    ap.add_argument("--json", metavar="OUT", help="write the figures to this JSON file")
    ap.add_argument("--keep", action="store_true", help="keep the scraped data folders")
    ap.add_argument(
        "--anchors",
        choices=("headline", "generic"),
        default="headline",
        help="listing mode's link texts: each page's headline (default), or 'Story N'",
    )
    args = ap.parse_args(argv)
    missing = missing_devsets(args.devset)
    if missing:
        print("skipped: dev set folder(s) not found: " + ", ".join(map(str, missing)))
        print("  put ../shared beside the checkout, or set NEWSETL_SHARED to its path")
        return 0
    sets = ["extraction", "fundus"] if args.devset == "both" else [args.devset]
    modes = ["sitemap", "listing"] if args.mode == "both" else [args.mode]
    results = []
    for name in sets:
        offline = offline_texts(load_devset(name))
        for mode in modes:
            r = run_one(name, mode, keep=args.keep, offline=offline, anchors=args.anchors)
            print(format_result(r), flush=True)
            results.append(r)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0 if all(r["exit_code"] == 0 for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
