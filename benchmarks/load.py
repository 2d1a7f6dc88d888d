"""Load benchmark: one crawl of a large local news site, as the flows run it.

    python benchmarks/load.py [--pages 20000] [--window 2] [--no-archive] [--keep DIR]

Serves :func:`newsetl.demo.hostile.load_site` (exactly ``--pages`` HTML pages: the root,
``/archive/K`` listings of 100 stories chained by "Older posts", 5-9 KB ``/story/I``
articles, every story also in sitemaps of 5,000 URLs) on 127.0.0.1 and crawls it with the
crawl runner in a child process (``python -m spiders.crawl --no-delay --max-pages PAGES``,
WARC archive on unless ``--no-archive``). Printed:

* pages fetched per ``--window`` seconds, from the server's request log (arrival time of
  every HTML page request), so a stall or a slowdown late in the run shows;
* the first, middle and last third's pages/s (time to fetch each third of the pages);
* total pages/s (HTML pages over the crawl child's wall time, start-up included, and over
  the span from the first to the last page request);
* peak resident memory (VmRSS summed over the crawl process and its children, sampled
  every 0.1 s from /proc) and the crawl's own counts.

``run_load`` is the same as a function (used by ``tests/demo/test_hostile.py``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from newsetl.demo.hostile import TreeSampler, load_site  # noqa: E402
from newsetl.demo.server import SiteServer  # noqa: E402

_HTML_PREFIXES = ("/story/", "/archive/", "/about/")


@dataclass
class LoadResult:
    pages: int  # HTML pages on the site
    returncode: int
    wall_s: float  # the crawl child's wall time
    page_times: list[float]  # arrival times of HTML page requests (server clock)
    peak_rss: int
    cpu_s: float  # CPU seconds of the crawl process tree
    listening: set[tuple[str, str]]
    stats: dict[str, Any]
    progress: list[tuple[float, int]] = field(default_factory=list)  # (time, pages fetched)
    stderr_tail: str = ""

    @property
    def fetched(self) -> int:
        return int(self.stats.get("pages_fetched", 0))

    @property
    def span_s(self) -> float:
        t = self.page_times
        return (t[-1] - t[0]) if len(t) > 1 else 0.0

    def windows(self, width: float = 2.0) -> list[tuple[float, int]]:
        """(window start relative to the first page request, pages requested in it)."""
        if not self.page_times:
            return []
        t0 = self.page_times[0]
        counts: dict[int, int] = {}
        for t in self.page_times:
            k = int((t - t0) // width)
            counts[k] = counts.get(k, 0) + 1
        last = max(counts)
        return [(k * width, counts.get(k, 0)) for k in range(last + 1)]

    def thirds(self) -> list[float]:
        """Pages/s of the first, middle and last third of the page requests."""
        t = self.page_times
        n = len(t)
        if n < 6:
            return []
        cuts = [0, n // 3, 2 * n // 3, n - 1]
        rates = []
        for a, b in zip(cuts, cuts[1:], strict=False):
            dt = t[b] - t[a]
            rates.append((b - a) / dt if dt > 0 else float("inf"))
        return rates


def run_load(
    pages: int,
    out_dir: str | Path,
    *,
    archive: bool = True,
    timeout: float = 900.0,
    extra_args: tuple[str, ...] = (),
) -> LoadResult:
    """Serve a load site of ``pages`` HTML pages and crawl it once in a child process."""
    out = Path(out_dir)
    site = load_site(pages)
    with SiteServer(site) as srv:
        cmd = [
            sys.executable,
            "-m",
            "spiders.crawl",
            "--out",
            str(out),
            "--max-pages",
            str(pages),
            "--no-delay",
            *(() if archive else ("--no-archive",)),
            *extra_args,
            srv.url + "/",
        ]
        progress: list[tuple[float, int]] = []
        tail: list[str] = []
        started = time.time()
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

        def read_stderr() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                if line.startswith("crawl: ") and "pages fetched" in line:
                    try:
                        progress.append((time.time(), int(line.split()[1])))
                    except (IndexError, ValueError):
                        pass
                tail.append(line)
                del tail[:-40]

        reader = threading.Thread(target=read_stderr, daemon=True)
        reader.start()
        with TreeSampler(proc.pid) as sampler:
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        wall = time.time() - started
        reader.join(timeout=5)
        if proc.stderr is not None:
            proc.stderr.close()
        times = sorted(
            r.time for r in srv.requests if r.path == "/" or r.path.startswith(_HTML_PREFIXES)
        )
    stats_path = out / "stats.json"
    stats = json.loads(stats_path.read_text(encoding="utf-8")) if stats_path.is_file() else {}
    return LoadResult(
        pages=site.data["pages"],
        returncode=proc.returncode,
        wall_s=wall,
        page_times=times,
        peak_rss=sampler.peak_rss,
        cpu_s=sampler.cpu_s,
        listening=set(sampler.listening),
        stats=stats,
        progress=progress,
        stderr_tail="".join(tail),
    )


def report(res: LoadResult, window: float = 2.0) -> str:
    lines = [
        f"site: {res.pages} HTML pages; crawl exit {res.returncode}, "
        f"finish {res.stats.get('finish_reason')}, {res.fetched} pages fetched, "
        f"{res.stats.get('html_pages', 0)} html, {res.stats.get('errors', 0)} errors, "
        f"{res.stats.get('sitemaps_fetched', 0)} sitemaps",
        f"throughput per {window:g} s window (pages requested, pages/s):",
    ]
    wins = res.windows(window)
    for start, n in wins:
        lines.append(
            f"  {start:7.1f} s  {n:6d}  {n / window:8.1f}/s  " + "#" * int(n / window / 20)
        )
    full = [n / window for _, n in wins[:-1]]  # the last window is partial
    if full:
        mean = sum(full) / len(full)
        sd = (sum((x - mean) ** 2 for x in full) / len(full)) ** 0.5
        lines.append(
            f"windows: min {min(full):.0f}/s, mean {mean:.0f}/s, max {max(full):.0f}/s, "
            f"CV {sd / mean if mean else 0:.2f} (full windows only)"
        )
    thirds = res.thirds()
    if thirds:
        lines.append(
            "thirds of the run: "
            + ", ".join(f"{r:.0f}/s" for r in thirds)
            + f" (last/first = {thirds[2] / thirds[0]:.2f})"
        )
    lines.append(
        f"total: {res.fetched / res.wall_s:.0f} pages/s over the child's {res.wall_s:.1f} s "
        f"(start-up included); {len(res.page_times) / res.span_s if res.span_s else 0:.0f} "
        f"pages/s over the {res.span_s:.1f} s from first to last page request"
    )
    if res.cpu_s:
        lines.append(
            f"crawl CPU: {res.cpu_s:.1f} s user+system = {res.fetched / res.cpu_s:.0f} pages "
            f"per CPU-second (independent of other load on the machine; load average now "
            f"{_loadavg()})"
        )
    lines.append(f"peak RSS of the crawl process tree: {res.peak_rss / 2**20:.0f} MiB")
    lines.append(
        "listening sockets of the crawl: "
        + (", ".join(sorted(a for _, a in res.listening)) or "none")
    )
    return "\n".join(lines)


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pages", type=int, default=20_000, help="HTML pages on the site")
    p.add_argument("--window", type=float, default=2.0, help="seconds per throughput window")
    p.add_argument("--no-archive", action="store_true", help="crawl without the WARC archive")
    p.add_argument("--keep", metavar="DIR", help="keep the crawl output in DIR")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="newsetl-load-") as tmp:
        out = Path(args.keep) if args.keep else Path(tmp) / "crawl"
        res = run_load(args.pages, out, archive=not args.no_archive)
        print(report(res, args.window))
        if res.returncode != 0:
            print(res.stderr_tail, file=sys.stderr)
    return 0 if res.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
