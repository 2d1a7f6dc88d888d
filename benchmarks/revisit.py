"""Revisit benchmark: the first run over a generated realistic site against the runs after
it over the same, unchanged site, ad hoc (``newsetl scrape``) and scheduled
(``newsetl serve``), with the pages each run asks for.

    python benchmarks/revisit.py [--articles N] [--mode adhoc|scheduled|both]
                                 [--warm-runs K] [--json OUT] [--keep]

The site is ``benchmarks/sitegen.py``'s (about 100 KB pages, a mega-menu of ~244 section
pages, a footer with links that answer 404, JSON-LD), served on 127.0.0.1. Each mode uses
a data folder and a state folder (``NEWSETL_HOME``, which holds the page memory) of its
own.

adhoc: ``newsetl scrape ROOT --no-delay`` as whole commands with no Prefect server up
    (each boots its temporary one), run 1 on an empty data folder, then run 2. A no-op
    flow runs first in the state folder, so that creating Prefect's database is not
    charged to run 1. Times: the command's wall time, and the flow run alone (first to
    last of its log lines).
scheduled: ``newsetl serve`` serving one deployment of the site (``benchmarks/crawl.py``'s
    ``ServeProcess``); run 1, then K warm runs (default 2) triggered through the API.
    Time: the flow run's duration as Prefect records it.

For each run: requests the site server answered, by what was asked (robots.txt,
sitemaps and feeds, article pages, listings and other pages, paths that answer 404),
article downloads (200 with a body), 304s, and CPU seconds of the process tree. Then the
ratios run 1 / run 2 (ad hoc) and run 1 / first warm run (scheduled). The functions are
importable: :func:`run_adhoc`, :func:`run_scheduled`, :func:`request_kinds`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from crawl import ServeProcess, prefect_noop, run_newsetl, uptime, user_env  # noqa: E402
from sitegen import BenchServer, NewsSiteGenerator  # noqa: E402

ADHOC = "adhoc"
SCHEDULED = "scheduled"


def request_kinds(server: BenchServer, records: list[Any]) -> dict[str, int]:
    """The site server's requests by what they asked for."""
    gen = server.generator
    dead = set(gen.dead_paths)
    kinds: Counter[str] = Counter()
    for rec in records:
        path = rec.path.split("?", 1)[0]
        if path in gen.article_paths:
            kind = "article"
        elif path == "/robots.txt":
            kind = "robots"
        elif path.endswith(".xml") or path == "/feed/":
            kind = "sitemap/feed"
        elif path in dead or rec.status == 404:
            kind = "404"
        else:
            kind = "listing/other"
        kinds[kind] += 1
    kinds["304"] = sum(1 for r in records if r.status == 304)
    return dict(kinds)


def _run_figures(server: BenchServer, res: dict[str, Any], *, flow_s: float | None) -> dict:
    return {
        "wall_s": round(res["wall_s"], 2),
        "flow_s": None if flow_s is None else round(flow_s, 2),
        "cpu_s": res["cpu_s"],
        "requests": res["requests"],
        "by_kind": res["by_kind"],
        "article_downloads": res["article_requests"]["downloads"],
        "new_articles": res.get("new_articles"),
    }


def run_adhoc(server: BenchServer, folder: Path, max_pages: int) -> list[dict[str, Any]]:
    """``newsetl scrape`` twice (embedded Prefect) on one data folder and state folder."""
    env = user_env()
    env["NEWSETL_HOME"] = str(folder / "home")
    env.pop("PREFECT_HOME", None)
    prefect_noop(env)  # creates Prefect's database: not run 1's cost
    data = folder / "data"
    runs = []
    for _ in range(2):
        res = run_newsetl(server, data, max_pages, env, echo=False)
        marks = res["stages"].get("_marks") or {}
        flow_s = marks["flow_end"] - marks["flow_begin"] if len(marks) > 1 else None
        reqs = server.log.snapshot()
        runs.append(
            _run_figures(
                server,
                {
                    "wall_s": res["run"].wall,
                    "cpu_s": round(res["run"].cpu_s, 2),
                    "requests": res["requests"],
                    "by_kind": request_kinds(server, reqs),
                    "article_requests": res["article_requests"],
                    "new_articles": res["summary"].get("articles_new"),
                },
                flow_s=flow_s,
            )
        )
    return runs


def run_scheduled(
    server: BenchServer, folder: Path, max_pages: int, warm_runs: int = 2
) -> list[dict[str, Any]]:
    """``newsetl serve``: run 1 and ``warm_runs`` warm runs triggered through the API."""
    import prefect.deployments  # noqa: F401 - imported before any run is timed

    data = folder / "data"
    serve = ServeProcess(folder, server.url, data, max_pages, None)
    runs = []
    try:
        serve.start()
        for i in range(1 + warm_runs):
            res = serve.run_once(server, data, f"run {i + 1}")
            row, info = res["row"], res["info"]
            reqs = server.log.snapshot()
            runs.append(
                _run_figures(
                    server,
                    {
                        "wall_s": row.trigger_s,
                        "cpu_s": row.cpu_s,
                        "requests": info["requests"],
                        "by_kind": request_kinds(server, reqs),
                        "article_requests": info["article_requests"],
                        "new_articles": row.new,
                    },
                    flow_s=row.flow_s,
                )
            )
            serve.wait_idle()
    except BaseException:
        print(f"newsetl serve log, last lines:\n{serve.log_tail()}", flush=True)
        raise
    finally:
        serve.stop()
    return runs


def ratios(first: dict[str, Any], then: dict[str, Any]) -> dict[str, float | None]:
    """How many times faster ``then`` was than ``first`` (wall, flow run, CPU)."""

    def ratio(key: str) -> float | None:
        a, b = first.get(key), then.get(key)
        return round(a / b, 1) if a and b else None

    return {"wall": ratio("wall_s"), "flow": ratio("flow_s"), "cpu": ratio("cpu_s")}


def format_rows(mode: str, runs: list[dict[str, Any]]) -> list[str]:
    lines = []
    for i, r in enumerate(runs):
        label = (
            "run 1 (first)" if i == 0 else f"run {i + 1} ({'second' if mode == ADHOC else 'warm'})"
        )
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(r["by_kind"].items()))
        lines.append(
            f"{mode:<9} | {label:<15} | {r['wall_s']:>7.2f} | "
            f"{'-' if r['flow_s'] is None else format(r['flow_s'], '.2f'):>7} | "
            f"{r['cpu_s']:>6.2f} | {r['requests']:>8} | {r['article_downloads']:>9} | {kinds}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--articles", type=int, default=1000, help="articles on the site (1000)")
    p.add_argument("--mode", choices=(ADHOC, SCHEDULED, "both"), default="both")
    p.add_argument("--warm-runs", type=int, default=2, help="scheduled: warm runs (2)")
    p.add_argument("--json", metavar="OUT", help="write the figures to this JSON file")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = p.parse_args(argv)
    modes = (ADHOC, SCHEDULED) if args.mode == "both" else (args.mode,)
    tmp = Path(tempfile.mkdtemp(prefix="newsetl-bench-revisit-"))
    figures: dict[str, Any] = {"articles": args.articles, "uptime": {"start": uptime()}}
    try:
        t = time.perf_counter()
        gen = NewsSiteGenerator(args.articles)
        server = BenchServer(gen)
        print(f"site: {len(server.pages)} paths, built in {time.perf_counter() - t:.1f} s")
        max_pages = args.articles + len(gen.non_article_paths) + len(gen.dead_paths) + 100
        with server:
            for mode in modes:
                print(f"{mode}...", flush=True)
                if mode == ADHOC:
                    runs = run_adhoc(server, tmp / mode, max_pages)
                else:
                    runs = run_scheduled(server, tmp / mode, max_pages, args.warm_runs)
                figures[mode] = {"runs": runs, "ratio": ratios(runs[0], runs[1])}
                figures["uptime"][mode] = uptime()
        head = (
            f"{'mode':<9} | {'run':<15} | {'wall s':>7} | {'flow s':>7} | {'CPU s':>6} | "
            f"{'requests':>8} | {'art. dl.':>9} | requests by kind"
        )
        print("\n" + head + "\n" + "-" * len(head))
        for mode in modes:
            for line in format_rows(mode, figures[mode]["runs"]):
                print(line)
        print()
        for mode in modes:
            r = figures[mode]["ratio"]
            second = "run 2" if mode == ADHOC else "the first warm run"
            print(
                f"{mode}: run 1 / {second}: wall {r['wall']}x, flow run {r['flow']}x, "
                f"CPU {r['cpu']}x"
            )
        print(f"uptime: {figures['uptime']}")
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2))
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
