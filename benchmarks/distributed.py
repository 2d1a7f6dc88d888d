"""Distributed crawl benchmark: pages/s with 1, 2 and 3 crawler processes sharing one Redis
frontier, against a generated ~100 KB-a-page news site served on 127.0.0.1.

    python benchmarks/distributed.py [--articles N] [--workers 1,2,3] [--json OUT]

Starts its own ``redis-server`` (127.0.0.1, a free port, no persistence) and the site
server (``benchmarks/sitegen.py``) in this process, then for each worker count runs that
many ``python -m spiders.crawl --no-delay --no-archive --redis-url ... --frontier NAME``
processes at once on a fresh frontier (plus one embedded-mode run without Redis as the
baseline). Reports, per run: wall time (process start to the last exit, so it includes
Python start-up and the idle timeout), the crawl window (first to last HTML page
request seen by the server) and pages/s over it, CPU seconds per page of the crawler
processes, and how the pages were split. Everything - server, Redis, crawlers - shares this
machine's cores: with 2 cores, more than 2 crawler processes cannot go faster, and the
server takes its share. ``uptime`` is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sitegen import BenchServer, NewsSiteGenerator  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "uptime unavailable"


def start_redis(workdir: Path) -> tuple[subprocess.Popen, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server not found: apt-get install -y redis-server")
    import redis

    port = free_port()
    proc = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(200):
        try:
            client.ping()
            return proc, url
        except redis.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("redis-server did not start")


def run(
    server: BenchServer, workers: int, redis_url: str | None, work: Path, max_pages: int
) -> dict[str, Any]:
    server.log.clear()
    name = f"bench{workers}-{int(time.time() * 1000)}"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = []
    t0 = time.perf_counter()
    for i in range(workers):
        out = work / f"{name}-w{i}"
        cmd = [
            sys.executable,
            "-m",
            "spiders.crawl",
            "--out",
            str(out),
            "--max-pages",
            str(max_pages),
            "--no-delay",
            "--no-archive",
        ]
        if redis_url:
            cmd += ["--redis-url", redis_url, "--frontier", name]
        cmd.append(server.url + "/")
        with open(work / f"{name}-w{i}.log", "wb") as log:  # the child keeps its own copy
            procs.append((subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log), out))
    cpu = 0.0
    for proc, _ in procs:
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        cpu += usage.ru_utime + usage.ru_stime
    wall = time.perf_counter() - t0
    failed = [p.returncode for p, _ in procs if p.returncode != 0]
    if failed:
        sys.exit(f"a crawler failed ({failed}); see the logs in {work}")
    per = []
    for _, out in procs:
        stats = json.loads((out / "stats.json").read_text())
        per.append(stats["html_pages"])
    recs = server.log.snapshot()
    html = [r for r in recs if r.status == 200 and not r.path.endswith((".xml", ".txt"))]
    html = [r for r in html if r.path != "/feed/"]
    window = (max(r.time for r in html) - min(r.time for r in html)) if html else 0.0
    paths = [r.path for r in html]
    pages = sum(per)
    return {
        "mode": "redis" if redis_url else "embedded",
        "workers": workers,
        "pages": pages,
        "split": per,
        "fetched_twice": len(paths) - len(set(paths)),
        "wall_s": round(wall, 2),
        "window_s": round(window, 2),
        "pages_per_s": round(pages / window, 1) if window else None,
        "wall_pages_per_s": round(pages / wall, 1),
        "cpu_s": round(cpu, 1),
        "cpu_ms_per_page": round(1000 * cpu / pages, 1) if pages else None,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--articles", type=int, default=1500)
    p.add_argument("--workers", default="1,2,3")
    p.add_argument("--json", default=None, help="also write the results here")
    args = p.parse_args(argv)
    counts = [int(x) for x in args.workers.split(",") if x.strip()]
    print(f"before: {uptime()}  ({os.cpu_count()} cores)", flush=True)
    work = Path(tempfile.mkdtemp(prefix="newsetl-distbench-"))
    redis_proc, redis_url = start_redis(work)
    results = []
    try:
        gen = NewsSiteGenerator(args.articles)
        with BenchServer(gen) as server:
            max_pages = args.articles + len(gen.non_article_paths) + len(gen.dead_paths) + 500
            results.append(run(server, 1, None, work, max_pages))
            print(json.dumps(results[-1]), flush=True)
            for n in counts:
                results.append(run(server, n, redis_url, work, max_pages))
                print(json.dumps(results[-1]), flush=True)
    finally:
        redis_proc.terminate()
        redis_proc.wait(timeout=10)
    after = uptime()
    print()
    print(f"{args.articles} articles of ~100 KB; all on one machine ({os.cpu_count()} cores)")
    head = (
        f"{'mode':<9} {'procs':>5} {'pages':>6} {'window s':>9} {'pages/s':>8} "
        f"{'wall s':>7} {'wall p/s':>9} {'CPU ms/page':>12} {'twice':>6}  split"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        print(
            f"{r['mode']:<9} {r['workers']:>5} {r['pages']:>6} {r['window_s']:>9} "
            f"{r['pages_per_s']:>8} {r['wall_s']:>7} {r['wall_pages_per_s']:>9} "
            f"{r['cpu_ms_per_page']:>12} {r['fetched_twice']:>6}  {r['split']}"
        )
    print(f"after: {after}")
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "uptime": after}, indent=2))
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
