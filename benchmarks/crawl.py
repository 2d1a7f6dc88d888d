"""End-to-end crawl benchmark: newsetl (cold and warm runs) against a sequential
trafilatura pipeline, on a generated ~100 KB-a-page news site served on 127.0.0.1.

    python benchmarks/crawl.py [--articles N] [--mode MODE] [--warm-runs K] [--json OUT]
                               [--keep] [--skip-baseline] [--prefect-api URL]

1. Builds a deterministic site of N articles (``benchmarks/sitegen.py``) and serves it.
2. Runs newsetl in each mode of ``--mode`` (default ``all``: the three below, in order),
   each on a data folder of its own: run 1 (cold, empty folder), then warm runs on the
   same folder (incremental: 0 article downloads expected, counted in the site server's
   request log). Articles stored by a run = parquet rows after minus before.
3. Baseline (twice): fetch every article URL from the sitemaps sequentially with
   ``urllib.request``, ``trafilatura.bare_extraction`` (title, author, date, text), exact
   dedupe by text hash, ``pandas.DataFrame.to_parquet``; one process, same measurement.

Modes:

scheduled (``newsetl serve``; the targets are checked on these rows): how the hourly
    scrapes run. A prefect.yaml with one deployment, ``newsetl-scrape/bench`` (this site,
    ``polite: false``, ``concurrency_limit: 1``, no schedule), is served by
    ``newsetl serve --config FILE``, started in its own session with ``NEWSETL_HOME`` in the
    temporary folder: it starts its own Prefect server there, unless ``--prefect-api`` names
    one to use. ``PREFECT_RUNNER_POLL_FREQUENCY=1`` (Prefect's default is 10 s). Once the
    runner serves the deployment and its warm executor has pre-started a crawler child, the
    script triggers run 1 and then ``--warm-runs`` K warm runs (default 4) with
    ``prefect.deployments.run_deployment``, each once the serve process tree is idle again
    (as between two scheduled runs). The runner starts each run in the warm executor. A
    row's wall s is the flow run's own duration as Prefect records it (start_time ->
    end_time, Running -> Completed); trigger->done s adds the runner's polling, the
    hand-over and the state changes. Peak RSS and CPU s: the serve process tree (serve, warm
    executor, crawl child, extract pool), sampled every 0.1 s from trigger to done, CPU
    counted from the trigger on; the Prefect server child is left out of both (its CPU is
    shown apart). Stage times come from the time stamps of serve's log, which is kept in
    the temporary folder (its tail is printed if anything fails). serve is stopped with
    SIGTERM to its process group (SIGKILL after 60 s).
server (server up) [information]: ``newsetl scrape ROOT --no-delay --max-pages PAGES+100
    --data-dir D`` as a child process, a Prefect server being up (started here as
    ``newsetl serve`` starts it, unless ``--prefect-api``); runs 1 and 2.
embedded [information]: the same command with ``PREFECT_API_URL`` unset, so each command
    boots a temporary Prefect server (ad hoc use). Preceded by a no-op flow in a fresh
    process: Prefect's fixed cost (the first one also creates and migrates the database).
both: server and embedded (the former default).

For ``newsetl scrape`` children, every 0.2 s the script sums VmRSS and reads the CPU time
of the whole process tree (the flow, the crawl child, the pool workers, Prefect's
temporary server); the child's output lines are time-stamped on arrival, which gives the
per-task breakdown.

``--prototype`` adds two runs of the flow's body with its tasks called as plain functions
(no temporary Prefect server): a scratch measurement of what Prefect costs per run.
``--prefect-api URL`` uses a running Prefect server instead of starting one (the test
suite does this). Compare the CPU s column when other work loads the machine.

Prints a table and checks the issue's targets on the scheduled rows: run 1 articles/s
(articles / flow run s) >= the baseline's; run 2 (the first warm run) >= 10x faster than
run 1 with 0 article downloads; and, for information, min/median/max of all warm runs and
the speed-up with their median. The same targets on the server-up and embedded rows are
marked [information]. Peak RSS < 1 GB is checked over every newsetl row.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sitegen import BenchServer, NewsSiteGenerator  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


# -- process-tree sampling -----------------------------------------------------------------
def _read_stat(pid: int) -> tuple[int, float] | None:
    """(ppid, user+sys CPU seconds) of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    rest = data[data.rfind(b")") + 2 :].split()
    return int(rest[1]), (int(rest[11]) + int(rest[12])) / CLK_TCK


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


def _role(pid: int, root: int) -> str:
    if pid == root:
        return "main"
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "?"
    if "spiders.crawl" in cmd:
        return "crawl child"
    if "resource_tracker" in cmd:
        return "other"
    if "spawn_main" in cmd:  # multiprocessing "spawn": newsetl serve's warm executors
        return "warm executor"
    if "forkserver" in cmd or "multiprocessing" in cmd:
        return "extract pool"
    if "prefect" in cmd or "uvicorn" in cmd:
        return "prefect server"
    return "other"


def process_tree(root: int) -> dict[int, tuple[int, float]]:
    """``root`` and its descendants: pid -> (ppid, CPU seconds), parents before children."""
    stats: dict[int, tuple[int, float]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _read_stat(int(name))
            if st is not None:
                stats[int(name)] = st
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    out: dict[int, tuple[int, float]] = {}
    todo = [root] if root in stats else []
    while todo:
        pid = todo.pop()
        out[pid] = stats[pid]
        todo.extend(children.get(pid, ()))
    return out


def tree_roles(
    tree: dict[int, tuple[int, float]], root: int, known: dict[int, str] | None = None
) -> dict[int, str]:
    """The role of each process of ``tree``; a Prefect server's children are the server."""
    roles = {} if known is None else known
    for pid, (ppid, _) in tree.items():
        if pid not in roles:
            parent = roles.get(ppid) if pid != root else None
            roles[pid] = "prefect server" if parent == "prefect server" else _role(pid, root)
    return roles


@dataclass
class TreeSample:
    peak_rss_mb: float = 0.0  # summed over the tree, but for the excluded roles
    peak_at: float = 0.0
    cpu_by_pid: dict[int, float] = field(default_factory=dict)
    role_by_pid: dict[int, str] = field(default_factory=dict)
    peak_rss_by_role_mb: dict[str, float] = field(default_factory=dict)
    samples: int = 0
    # With ``baseline``: the CPU seconds of the processes of the first sample then, so that
    # cpu_by_role() and cpu_s() count only what long-lived processes used meanwhile.
    cpu_start_by_pid: dict[int, float] = field(default_factory=dict)

    def _cpu(self, pid: int) -> float:
        return self.cpu_by_pid[pid] - self.cpu_start_by_pid.get(pid, 0.0)

    def cpu_by_role(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for pid in self.cpu_by_pid:
            role = self.role_by_pid.get(pid, "?")
            out[role] = out.get(role, 0.0) + self._cpu(pid)
        return {k: round(v, 2) for k, v in sorted(out.items())}

    def cpu_s(self, exclude_roles: tuple[str, ...] = ()) -> float:
        return sum(
            self._cpu(pid)
            for pid in self.cpu_by_pid
            if self.role_by_pid.get(pid, "?") not in exclude_roles
        )


class TreeSampler(threading.Thread):
    """Every ``interval`` s: the process tree under ``root``, its summed VmRSS and CPU.

    Processes whose role is in ``exclude_roles`` are left out of ``peak_rss_mb`` (their
    own peaks are still in ``peak_rss_by_role_mb``). ``baseline``: see TreeSample. One last
    sample is taken when stopped. ``first_sample`` is set once the first one is taken.
    """

    def __init__(
        self,
        root: int,
        interval: float = 0.2,
        exclude_roles: tuple[str, ...] = (),
        baseline: bool = False,
    ) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.exclude_roles = exclude_roles
        self.baseline = baseline
        self.result = TreeSample()
        self.first_sample = threading.Event()
        self._halt = threading.Event()
        self._t0 = time.perf_counter()

    def stop(self) -> TreeSample:
        self._halt.set()
        self.join()
        return self.result

    def _sample(self) -> None:
        r = self.result
        tree = process_tree(self.root)
        tree_roles(tree, self.root, r.role_by_pid)
        total = 0
        by_role: dict[str, int] = {}
        for pid, (_, cpu) in tree.items():
            if self.baseline and r.samples == 0:
                r.cpu_start_by_pid[pid] = cpu
            r.cpu_by_pid[pid] = max(cpu, r.cpu_by_pid.get(pid, 0.0))
            kb = _rss_kb(pid)
            role = r.role_by_pid[pid]
            if role not in self.exclude_roles:
                total += kb
            by_role[role] = by_role.get(role, 0) + kb
        r.samples += 1
        if total / 1024 > r.peak_rss_mb:
            r.peak_rss_mb = total / 1024
            r.peak_at = time.perf_counter() - self._t0
        for role, kb in by_role.items():
            r.peak_rss_by_role_mb[role] = max(r.peak_rss_by_role_mb.get(role, 0.0), kb / 1024)

    def run(self) -> None:
        while True:
            self._sample()
            self.first_sample.set()
            if self._halt.is_set():
                return
            self._halt.wait(self.interval)


@dataclass
class ChildRun:
    wall: float
    returncode: int
    lines: list[tuple[float, str]]  # (seconds since start, line)
    cpu_s: float
    cpu_tree_sampled_s: float
    cpu_reaped_s: float
    bench_cpu_s: float  # CPU of this process meanwhile (mostly the site server's threads)
    tree: TreeSample
    started_epoch: float = 0.0  # time.time() as the command was started


def run_child(cmd: list[str], env: dict[str, str], echo: bool = False) -> ChildRun:
    """Run ``cmd``; time-stamp its output lines; sample its tree's memory and CPU."""
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    before_self = resource.getrusage(resource.RUSAGE_SELF)
    started_epoch = time.time()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=str(ROOT),
    )
    sampler = TreeSampler(proc.pid)
    sampler.start()
    lines: list[tuple[float, str]] = []
    assert proc.stdout is not None
    for raw in proc.stdout:
        line = raw.decode("utf-8", "replace").rstrip("\n")
        lines.append((time.perf_counter() - t0, line))
        if echo:
            print("    | " + line, flush=True)
    proc.wait()
    wall = time.perf_counter() - t0
    tree = sampler.stop()
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    after_self = resource.getrusage(resource.RUSAGE_SELF)
    reaped = (after_children.ru_utime - before_children.ru_utime) + (
        after_children.ru_stime - before_children.ru_stime
    )
    bench = (after_self.ru_utime - before_self.ru_utime) + (
        after_self.ru_stime - before_self.ru_stime
    )
    sampled = sum(tree.cpu_by_pid.values())
    return ChildRun(
        wall=wall,
        returncode=proc.returncode,
        lines=lines,
        cpu_s=max(reaped, sampled),
        cpu_tree_sampled_s=sampled,
        cpu_reaped_s=reaped,
        bench_cpu_s=bench,
        tree=tree,
        started_epoch=started_epoch,
    )


# -- newsetl -----------------------------------------------------------------------------
def user_env(prefect_api: str | None = None) -> dict[str, str]:
    """The environment a user would run newsetl in: no PREFECT_API_URL (embedded server),
    unless ``prefect_api`` names a running server to use instead."""
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)
    if prefect_api:
        env["PREFECT_API_URL"] = prefect_api
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    return env


NOOP_FLOW = """
import time
t0 = time.perf_counter()
from flows.env import prepare_prefect_env
prepare_prefect_env()
from prefect import flow
t1 = time.perf_counter()
@flow(name="newsetl-bench-noop")
def noop():
    return 1
noop()
t2 = time.perf_counter()
print("NOOP_TIMES", t1 - t0, t2 - t1, flush=True)
"""


def prefect_noop(env: dict[str, str]) -> dict[str, float]:
    """Wall time of a process that runs one empty flow: Prefect's fixed cost per run."""
    run = run_child([sys.executable, "-c", NOOP_FLOW], env)
    out: dict[str, float] = {"wall_s": round(run.wall, 2), "peak_rss_mb": run.tree.peak_rss_mb}
    for _, line in run.lines:
        if line.startswith("NOOP_TIMES"):
            _, imp, flow_s = line.split()
            out["import_s"] = round(float(imp), 2)
            out["flow_s"] = round(float(flow_s), 2)
    if run.returncode != 0:
        out["error"] = "\n".join(line for _, line in run.lines[-10:])
    return out


# Log lines of flows/etl.py and of Prefect that mark the stages.
MARKS = {
    "flow_begin": re.compile(r"Beginning flow run"),
    "crawl_start": re.compile(r"crawling \d+ start URL"),
    "crawl_done": re.compile(r"crawl finished"),
    "extract_done": re.compile(r"extracted \d+ article"),
    "dedupe_done": re.compile(r"\d+ new, \d+ revised, \d+ duplicate"),
    "write_done": re.compile(r"wrote .* to "),
    "flow_summary": re.compile(r"run \S+: \d+ pages fetched"),
    "flow_end": re.compile(r"Finished in state \w+\(\)"),
}


def stage_times(lines: list[tuple[float, str]], wall: float) -> dict[str, float]:
    """Seconds per stage, from the arrival times of the flow's log lines."""
    at: dict[str, float] = {}
    for t, line in lines:
        for key, rx in MARKS.items():
            if key == "flow_end":
                if "Flow run" in line and rx.search(line):
                    at[key] = t
            elif key not in at and rx.search(line):
                at[key] = t
    out: dict[str, float] = {}

    def span(name: str, a: str, b: str) -> None:
        if a in at and b in at:
            out[name] = round(at[b] - at[a], 2)

    if "flow_begin" in at:
        out["startup (python + prefect server + flow run)"] = round(at["flow_begin"], 2)
    span("flow setup (read dataset, known file)", "flow_begin", "crawl_start")
    span("crawl (scrapy child)", "crawl_start", "crawl_done")
    span("extract", "crawl_done", "extract_done")
    span("deduplicate", "extract_done", "dedupe_done")
    span("write", "dedupe_done", "write_done")
    span("summary + cleanup", "write_done", "flow_summary")
    span("flow end (artifact, states)", "flow_summary", "flow_end")
    if "flow_end" in at:
        out["teardown (prefect shutdown, exit)"] = round(wall - at["flow_end"], 2)
    for _, line in lines:
        m = re.search(r"crawl: done \(\w+\): .* in ([\d.]+) s", line)
        if m:
            out["  of which the spider itself (its own clock)"] = float(m.group(1))
    out["_marks"] = {k: round(v, 2) for k, v in at.items()}  # type: ignore[assignment]
    return out


def count_articles(data_dir: Path) -> int:
    import pyarrow.parquet as pq

    folder = data_dir / "articles"
    if not folder.exists():
        return 0
    n = 0
    for path in folder.rglob("*.parquet"):
        if any(part.startswith((".", "_")) for part in path.relative_to(folder).parts):
            continue
        n += pq.ParquetFile(path).metadata.num_rows
    return n


def run_newsetl(
    server: BenchServer,
    data_dir: Path,
    max_pages: int,
    env: dict[str, str],
    echo: bool,
    prefect: bool = True,
) -> dict[str, Any]:
    server.log.clear()
    if prefect:
        exe = ROOT / ".venv" / "bin" / "newsetl"
        base = [str(exe)] if exe.exists() else [sys.executable, "-m", "newsetl.cli"]
        cmd = base + [
            "scrape",
            server.url + "/",
            "--no-delay",
            "--max-pages",
            str(max_pages),
            "--data-dir",
            str(data_dir),
        ]
    else:
        me = str(Path(__file__).resolve())
        cmd = [sys.executable, me, "--noprefect-worker", server.url + "/", str(data_dir)]
        cmd.append(str(max_pages))
    run = run_child(cmd, env, echo=echo)
    if run.returncode != 0:
        tail = "\n".join(line for _, line in run.lines[-25:])
        raise RuntimeError(f"newsetl exited with {run.returncode}:\n{tail}")
    reqs = server.log.snapshot()
    stages = stage_times(run.lines, run.wall)
    first_request_s = (min(r.time for r in reqs) - run.started_epoch) if reqs else None
    summary = {}
    for _, line in run.lines:
        m = re.search(r"run \S+: (\d+) pages fetched, (\d+) new articles", line)
        if m:
            summary = {"pages_fetched": int(m.group(1)), "articles_new": int(m.group(2))}
    return {
        "run": run,
        "articles": count_articles(data_dir),
        "summary": summary,
        "stages": stages,
        "requests": len(reqs),
        "article_requests": server.article_requests(reqs),
        "first_request_s": None if first_request_s is None else round(first_request_s, 2),
    }


# -- prototype: the same flow body without Prefect's API server -----------------------------
def noprefect_worker(root_url: str, data_dir: str, max_pages: str) -> int:
    """A scratch measurement, not a proposal of code: ``flows.etl.scrape``'s body and tasks
    run as plain functions (``.fn``), so no temporary Prefect server starts and no run,
    task or log is recorded. Shows what Prefect's orchestration costs per run."""
    import logging

    import flows.etl as etl

    print("prototype: Beginning flow run (no Prefect API)", flush=True)

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s | %(levelname)s | %(message)s"))
    log = logging.getLogger("newsetl.bench.noprefect")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    etl.get_run_logger = lambda: log
    etl.create_markdown_artifact = lambda *a, **k: None
    for name in ("crawl", "extract", "deduplicate", "write"):
        setattr(etl, name, getattr(etl, name).fn)
    summary = etl.scrape.fn(
        start_urls=[root_url], data_dir=data_dir, max_pages=int(max_pages), polite=False
    )
    print(
        f"prototype: Flow run Finished in state Completed() {summary['articles_new']}", flush=True
    )
    return 0


# -- baseline: a sequential trafilatura pipeline --------------------------------------------
def baseline_worker(root_url: str, out_dir: str) -> int:
    """What a typical user writes: sitemap -> urllib -> trafilatura -> dedupe -> parquet."""
    t0 = time.perf_counter()
    import hashlib
    import re
    import urllib.request
    import xml.etree.ElementTree as ET

    import pandas as pd
    import trafilatura

    t_import = time.perf_counter() - t0
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

    def fetch(url: str) -> bytes:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.read()

    t1 = time.perf_counter()
    robots = fetch(root_url.rstrip("/") + "/robots.txt").decode()
    todo = [ln.split(":", 1)[1].strip() for ln in robots.splitlines() if ln.startswith("Sitemap:")]
    urls: list[str] = []
    while todo:
        root = ET.fromstring(fetch(todo.pop(0)))
        if root.tag == ns + "sitemapindex":
            # The posts sitemaps hold the articles: post-sitemap2.xml (Yoast, Rank Math),
            # wp-sitemap-posts-post-1.xml (WordPress core); not post_tag-sitemap.xml.
            todo += [
                loc.text.strip()
                for loc in root.iter(ns + "loc")
                if loc.text
                and re.match(
                    r"(post-sitemap\d*|wp-sitemap-posts-post-\d+)\.xml$",
                    loc.text.strip().rsplit("/", 1)[-1],
                )
            ]
        else:
            urls += [loc.text.strip() for loc in root.iter(ns + "loc") if loc.text]
    t_discover = time.perf_counter() - t1
    fetch_s = extract_s = 0.0
    rows = []
    seen: set[str] = set()
    for url in urls:
        a = time.perf_counter()
        try:
            html = fetch(url).decode("utf-8", "replace")
        except OSError:
            continue
        b = time.perf_counter()
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
        extract_s += time.perf_counter() - b
        fetch_s += b - a
        if doc is None or not doc.text:
            continue
        # Only pages with article metadata count, as a user filtering listings would do.
        if not doc.date or not doc.title:
            continue
        h = hashlib.sha256(" ".join(doc.text.split()).encode()).hexdigest()
        if h in seen:
            continue
        seen.add(h)
        rows.append(
            {
                "url": url,
                "title": doc.title,
                "author": doc.author,
                "date": doc.date,
                "text": doc.text,
                "content_hash": h,
            }
        )
    c = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(out / "articles.parquet")
    write_s = time.perf_counter() - c
    print(
        "BASELINE "
        + json.dumps(
            {
                "import_s": round(t_import, 2),
                "discover_s": round(t_discover, 2),
                "urls": len(urls),
                "fetch_s": round(fetch_s, 2),
                "extract_s": round(extract_s, 2),
                "write_s": round(write_s, 2),
                "articles": len(rows),
            }
        ),
        flush=True,
    )
    return 0


def run_baseline(server: BenchServer, out_dir: Path, env: dict[str, str]) -> dict[str, Any]:
    server.log.clear()
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--baseline-worker",
        server.url,
        str(out_dir),
    ]
    run = run_child(cmd, env)
    info: dict[str, Any] = {}
    for _, line in run.lines:
        if line.startswith("BASELINE "):
            info = json.loads(line[len("BASELINE ") :])
    if run.returncode != 0 or not info:
        tail = "\n".join(line for _, line in run.lines[-25:])
        raise RuntimeError(f"baseline exited with {run.returncode}:\n{tail}")
    reqs = server.log.snapshot()
    return {
        "run": run,
        "articles": info["articles"],
        "stages": info,
        "requests": len(reqs),
        "article_requests": server.article_requests(reqs),
        "first_request_s": round(min(r.time for r in reqs) - run.started_epoch, 2)
        if reqs
        else None,
    }


# -- report --------------------------------------------------------------------------------
@dataclass
class Row:
    system: str
    run: str
    wall_s: float
    articles: int  # articles in the dataset after the run
    new: int  # articles this run added or (baseline) wrote
    articles_per_s: float
    article_downloads: int
    peak_rss_mb: float
    cpu_util: float  # CPU seconds of the process tree / wall seconds
    cpu_s: float
    server_cpu_s: float
    articles_per_s_excl_startup: float | None = None
    startup_s: float | None = None
    # newsetl: the flow run itself (first to last of its log lines: the time Prefect
    # records; scheduled: Prefect's start_time -> end_time); baseline: the run after its
    # imports. All leave out process start-up.
    flow_s: float | None = None
    # scheduled: from run_deployment() to the run seen Completed (the runner's polling,
    # the executor hand-over and the state changes on top of the flow run)
    trigger_s: float | None = None
    # whole commands: from the command's start to the first request the site server logged
    first_request_s: float | None = None


def make_row(system: str, label: str, res: dict[str, Any], new: int, startup: float | None) -> Row:
    run: ChildRun = res["run"]
    arts = res["articles"]
    excl = None
    if startup is not None and run.wall > startup and new:
        excl = round(new / (run.wall - startup), 1)
    marks = res["stages"].get("_marks") or {}
    if "flow_begin" in marks and "flow_end" in marks:
        flow_s = round(marks["flow_end"] - marks["flow_begin"], 2)
    elif startup is not None:
        flow_s = round(run.wall - startup, 2)
    else:
        flow_s = None
    return Row(
        system=system,
        run=label,
        wall_s=round(run.wall, 2),
        articles=arts,
        new=new,
        articles_per_s=round(arts / run.wall, 1) if run.wall else 0.0,
        article_downloads=res["article_requests"]["downloads"],
        peak_rss_mb=round(run.tree.peak_rss_mb, 1),
        cpu_util=round(run.cpu_s / run.wall, 2) if run.wall else 0.0,
        cpu_s=round(run.cpu_s, 2),
        server_cpu_s=round(run.bench_cpu_s, 2),
        articles_per_s_excl_startup=excl,
        startup_s=round(startup, 2) if startup is not None else None,
        flow_s=flow_s,
        first_request_s=res.get("first_request_s"),
    )


def format_table(rows: list[Row]) -> str:
    head = (
        "system",
        "run",
        "wall s",
        "flow s",
        "trigger->done s",
        "1st request s",
        "articles",
        "new",
        "articles/s",
        "art./s excl. start-up",
        "article downloads",
        "peak RSS MB",
        "CPU util",
        "CPU s",
    )
    body = [
        (
            r.system,
            r.run,
            f"{r.wall_s:.2f}",
            "-" if r.flow_s is None else f"{r.flow_s:.2f}",
            "-" if r.trigger_s is None else f"{r.trigger_s:.2f}",
            "-" if r.first_request_s is None else f"{r.first_request_s:.2f}",
            str(r.articles),
            str(r.new),
            f"{r.articles_per_s:.1f}",
            "-"
            if r.articles_per_s_excl_startup is None
            else f"{r.articles_per_s_excl_startup:.1f}",
            str(r.article_downloads),
            f"{r.peak_rss_mb:.0f}",
            f"{r.cpu_util:.2f}",
            f"{r.cpu_s:.1f}",
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    fmt = " | ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*head), "-+-".join("-" * w for w in widths)]
    lines += [fmt.format(*b) for b in body]
    if any(r.trigger_s is not None for r in rows):
        note = (
            f"{SCHEDULED_SYSTEM}: wall s = flow s = the flow run's own duration (Prefect's "
            "start_time -> end_time, Running -> Completed): the run's time under a scheduler, "
            "used for the targets; articles/s = articles / that. trigger->done s = "
            "run_deployment() until the run is seen Completed (adds the runner's 1 s polling, "
            "the hand-over to the warm executor and the state changes). Peak RSS and CPU s: "
            "the `newsetl serve` process tree (serve, warm executor, crawl child, extract "
            "pool) from trigger to done, without the Prefect server; CPU util = CPU s / "
            "trigger->done s."
        )
        lines += ["", *textwrap.wrap(note, 100)]
    return "\n".join(lines)


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        load = os.getloadavg()
        return f"load average: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}"


SERVER_UP = "server up"  # a Prefect server already runs, as under `newsetl serve`
EMBEDDED = "embedded"  # no server: each command boots a temporary one
NO_KEPT = "run 2 (warm, no kept server)"


def _proc_cpu_s(pid: int) -> float | None:
    stat = _read_stat(pid)
    return None if stat is None else stat[1]


def stop_kept_server(timeout_s: float = 15.0) -> int | None:
    """Stop the temporary Prefect server that an earlier command left running for the next
    (``flows/keptserver.py``), so that a run is cold; its pid, or None when there was none."""
    from flows.keptserver import read_info

    info = read_info()
    if not info:
        return None
    pid = int(info["pid"])
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    return pid


def run_pair(
    server: BenchServer,
    data_dir: Path,
    max_pages: int,
    env: dict[str, str],
    args: argparse.Namespace,
    system: str,
    rows: list[Row],
    figures: dict[str, Any],
    prefect_proc: subprocess.Popen[bytes] | None,
) -> dict[str, dict[str, Any]]:
    """newsetl run 1 (cold) and run 2 (warm) on one data folder; rows appended.

    Embedded: run 1 starts with no temporary Prefect server up (one an earlier command kept
    is stopped first), run 2 uses the one run 1 kept, as a user's next command within
    ``NEWSETL_PREFECT_LINGER`` does; a third run, "run 2 (warm, no kept server)", with
    ``NEWSETL_PREFECT_LINGER=0`` after that server is stopped, shows the warm run that
    boots its own [information]."""
    results: dict[str, dict[str, Any]] = {}
    labels = ["run 1 (cold)", "run 2 (warm)"]
    if system == f"newsetl ({EMBEDDED})":
        labels.append(NO_KEPT)
        stop_kept_server()
    for label in labels:
        print(f"{system} {label}...", flush=True)
        figures["uptime"][f"{system} {label}"] = uptime()
        before = count_articles(data_dir)
        cpu0 = _proc_cpu_s(prefect_proc.pid) if prefect_proc else None
        run_env = env
        if label == NO_KEPT:
            stop_kept_server()
            run_env = {**env, "NEWSETL_PREFECT_LINGER": "0"}
        res = run_newsetl(server, data_dir, max_pages, run_env, args.verbose)
        if prefect_proc and cpu0 is not None:
            cpu1 = _proc_cpu_s(prefect_proc.pid)
            res["prefect_server_cpu_s"] = None if cpu1 is None else round(cpu1 - cpu0, 2)
        results[label] = res
        startup = res["stages"].get("startup (python + prefect server + flow run)")
        row = make_row(system, label, res, res["articles"] - before, startup)
        rows.append(row)
        print(
            f"  {row.wall_s} s (flow run {row.flow_s} s), {row.articles} articles, "
            f"{row.article_downloads} article downloads, {row.peak_rss_mb:.0f} MB peak; "
            f"uptime: {figures['uptime'][f'{system} {label}']}",
            flush=True,
        )
    if system == f"newsetl ({EMBEDDED})":
        stop_kept_server()
    return results


# -- scheduled: `newsetl serve`, runs started by Prefect's runner in warm executors --------
SCHEDULED = "scheduled: serve"  # `newsetl serve`: Prefect's runner, warm executors
SCHEDULED_SYSTEM = f"newsetl ({SCHEDULED})"
DEPLOYMENT = "newsetl-scrape/bench"
SERVE_START_TIMEOUT_S = 180
SERVER_ROLES = ("prefect server",)
# stage_times() keys, renamed for runs that a runner starts in a long-lived process
SCHEDULED_STAGE_NAMES = {
    "startup (python + prefect server + flow run)": "trigger -> flow run begins "
    "(runner poll, executor hand-over, states)",
    "teardown (prefect shutdown, exit)": "flow end -> seen done (states, polling)",
}
_LOG_TIME = re.compile(r"(\d\d):(\d\d):(\d\d)\.(\d{3}) \| ")


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def timed_log_lines(text: str, wall0: float) -> list[tuple[float, str]]:
    """Log lines with the seconds since ``wall0`` (a time.time()) of their Prefect time
    stamp (``HH:MM:SS.mmm | ``, local time); lines without one get the previous line's."""
    lt = time.localtime(wall0)
    start = lt.tm_hour * 3600 + lt.tm_min * 60 + lt.tm_sec + wall0 % 1
    at = 0.0
    out: list[tuple[float, str]] = []
    for line in text.splitlines():
        m = _LOG_TIME.match(line)
        if m:
            h, mi, sec, ms = (int(g) for g in m.groups())
            at = h * 3600 + mi * 60 + sec + ms / 1000 - start
            if at < -43200:  # past midnight
                at += 86400
        out.append((at, line))
    return out


class ServeProcess:
    """``newsetl serve --config FILE`` serving one deployment, ``newsetl-scrape/bench``.

    It runs in its own session with ``NEWSETL_HOME`` (and so ``PREFECT_HOME``) in
    ``folder``, its output in ``folder/serve.log``. Without ``prefect_api`` it starts its own
    Prefect server, whose URL it writes to ``NEWSETL_HOME/prefect-server.json``; with it,
    it uses that server (``PREFECT_API_URL``).
    """

    def __init__(
        self,
        folder: Path,
        site_url: str,
        data_dir: Path,
        max_pages: int,
        prefect_api: str | None,
    ) -> None:
        self.folder = folder
        self.home = folder / "home"
        self.config = folder / "prefect.yaml"
        self.log_path = folder / "serve.log"
        self.prefect_api = prefect_api
        self.api_url = prefect_api
        self.proc: subprocess.Popen[bytes] | None = None
        self.server_pid: int | None = None
        folder.mkdir(parents=True, exist_ok=True)
        self.config.write_text(
            "deployments:\n"
            "  - name: bench\n"
            "    entrypoint: flows/etl.py:scrape\n"
            "    parameters:\n"
            "      source: bench\n"
            f'      start_urls: ["{site_url}/"]\n'
            f'      data_dir: "{data_dir}"\n'
            f"      max_pages: {max_pages}\n"
            "      polite: false\n"
            "    concurrency_limit: 1\n"
        )

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def start(self) -> dict[str, float]:
        """Start serving; return once the runner serves the deployment and its warm
        executor waits with a pre-started crawler. Seconds to each of those."""
        env = user_env(self.prefect_api)
        env.pop("PREFECT_HOME", None)  # under NEWSETL_HOME, with the server's database
        env["NEWSETL_HOME"] = str(self.home)
        env["PREFECT_RUNNER_POLL_FREQUENCY"] = "1"  # Prefect's default: 10 s
        exe = ROOT / ".venv" / "bin" / "newsetl"
        base = [str(exe)] if exe.exists() else [sys.executable, "-m", "newsetl.cli"]
        t0 = time.perf_counter()
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [*base, "serve", "--config", str(self.config)],
                env=env,
                cwd=str(ROOT),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = t0 + SERVE_START_TIMEOUT_S
        serving = re.compile(r"serving " + re.escape(DEPLOYMENT) + r"|being served")
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"newsetl serve exited with {self.proc.returncode}")
            if self.api_url is None or self.server_pid is None:
                try:
                    info = json.loads((self.home / "prefect-server.json").read_text())
                    self.api_url = self.api_url or info["api_url"]
                    self.server_pid = info.get("pid")
                except (OSError, ValueError, KeyError):
                    pass
            if self.api_url and serving.search(self.log_text()):
                break
            if time.perf_counter() > deadline:
                raise RuntimeError(f"newsetl serve not serving in {SERVE_START_TIMEOUT_S} s")
            time.sleep(0.2)
        times = {"serving_s": round(time.perf_counter() - t0, 2)}
        # The runner warms an executor when it starts; it is ready once it has started
        # the crawler child the first run will use.
        while time.perf_counter() < deadline and not self.spare_crawler():
            time.sleep(0.2)
        if self.spare_crawler():
            times["executor_ready_s"] = round(time.perf_counter() - t0, 2)
        else:
            print("  note: no warm executor with a pre-started crawler appeared", flush=True)
        self.wait_idle()
        times["idle_s"] = round(time.perf_counter() - t0, 2)
        return times

    def spare_crawler(self) -> bool:
        assert self.proc is not None
        return any(
            "spiders.crawl" in (cmd := _cmdline(pid)) and "--wait-for-job" in cmd
            for pid in process_tree(self.proc.pid)
        )

    def wait_idle(self, window_s: float = 1.0, max_cpu_s: float = 0.1, limit_s: float = 30):
        """Wait (at most ``limit_s``) until the serve tree, but for the Prefect server, uses
        less than ``max_cpu_s`` of CPU in ``window_s``: as between two scheduled runs, the
        executor is idle and its next crawler child started."""
        assert self.proc is not None
        root = self.proc.pid
        roles: dict[int, str] = {}

        def cpu() -> dict[int, float]:
            tree = process_tree(root)
            tree_roles(tree, root, roles)
            return {p: c for p, (_, c) in tree.items() if roles[p] not in SERVER_ROLES}

        end = time.perf_counter() + limit_s
        before = cpu()
        while time.perf_counter() < end:
            time.sleep(window_s)
            after = cpu()
            used = sum(c - before.get(p, 0.0) for p, c in after.items())
            if used < max_cpu_s:
                return
            before = after

    def run_once(self, server: BenchServer, data_dir: Path, label: str) -> dict[str, Any]:
        """Trigger one run of the deployment and wait for it; sample the serve tree."""
        from prefect.deployments import run_deployment
        from prefect.settings import PREFECT_API_URL, temporary_settings

        assert self.proc is not None and self.api_url
        if self.proc.poll() is not None:
            raise RuntimeError(f"newsetl serve exited with {self.proc.returncode}")
        before = count_articles(data_dir)
        server.log.clear()
        offset = self.log_path.stat().st_size
        sampler = TreeSampler(self.proc.pid, 0.1, exclude_roles=SERVER_ROLES, baseline=True)
        sampler.start()
        sampler.first_sample.wait(10)
        self_before = resource.getrusage(resource.RUSAGE_SELF)
        wall0 = time.time()
        t0 = time.perf_counter()
        with temporary_settings(updates={PREFECT_API_URL: self.api_url}):
            fr = run_deployment(DEPLOYMENT, timeout=900, poll_interval=0.2)
        trigger_s = time.perf_counter() - t0
        tree = sampler.stop()
        self_after = resource.getrusage(resource.RUSAGE_SELF)
        reqs = server.log.snapshot()
        if fr.state is None or not fr.state.is_completed():
            state = fr.state.name if fr.state else "no state"
            raise RuntimeError(f"{label}: flow run {fr.id} ended {state}")
        if fr.start_time is None or fr.end_time is None:
            raise RuntimeError(f"{label}: flow run {fr.id} has no start or end time")
        flow_s = (fr.end_time - fr.start_time).total_seconds()
        # The executor may log the flow's end just after the API shows it Completed.
        finished = re.compile(r"Flow run .* Finished in state \w+\(\)")
        for _ in range(30):
            with open(self.log_path, "rb") as fh:
                fh.seek(offset)
                text = fh.read().decode("utf-8", "replace")
            if finished.search(text):
                break
            time.sleep(0.1)
        lines = timed_log_lines(text, wall0)
        stages = {
            SCHEDULED_STAGE_NAMES.get(k, k): v for k, v in stage_times(lines, trigger_s).items()
        }
        summary = {}
        for _, line in lines:
            m = re.search(r"run \S+: (\d+) pages fetched, (\d+) new articles", line)
            if m:
                summary = {"pages_fetched": int(m.group(1)), "articles_new": int(m.group(2))}
        cpu = tree.cpu_s(SERVER_ROLES)
        arts = count_articles(data_dir)
        row = Row(
            system=SCHEDULED_SYSTEM,
            run=label,
            wall_s=round(flow_s, 2),
            articles=arts,
            new=arts - before,
            articles_per_s=round(arts / flow_s, 1) if flow_s else 0.0,
            article_downloads=server.article_requests(reqs)["downloads"],
            peak_rss_mb=round(tree.peak_rss_mb, 1),
            cpu_util=round(cpu / trigger_s, 2) if trigger_s else 0.0,
            cpu_s=round(cpu, 2),
            server_cpu_s=round(
                (self_after.ru_utime - self_before.ru_utime)
                + (self_after.ru_stime - self_before.ru_stime),
                2,
            ),
            startup_s=round(fr.start_time.timestamp() - wall0, 2),
            flow_s=round(flow_s, 2),
            trigger_s=round(trigger_s, 2),
        )
        by_role = tree.cpu_by_role()
        info = {
            "flow_run_id": str(fr.id),
            "flow_run_s": round(flow_s, 3),
            "trigger_to_done_s": round(trigger_s, 3),
            "trigger_to_running_s": row.startup_s,
            "stages_s": stages,
            "summary": summary,
            "requests": len(reqs),
            "article_requests": server.article_requests(reqs),
            "cpu_s_by_role": by_role,
            "peak_rss_mb_by_role": {k: round(v, 1) for k, v in tree.peak_rss_by_role_mb.items()},
            "server_cpu_s": row.server_cpu_s,
            "prefect_server_cpu_s": by_role.get("prefect server"),
        }
        return {"row": row, "info": info, "log": text}

    def stop(self) -> None:
        """SIGTERM to serve's process group; SIGKILL after 60 s. Then the Prefect server it
        started (its own session) if it outlived it."""
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                print("  newsetl serve did not stop in 60 s: SIGKILL", flush=True)
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
        pid = self.server_pid
        if pid and "prefect" in _cmdline(pid):
            try:
                os.killpg(pid, signal.SIGTERM)
                for _ in range(100):
                    if "prefect" not in _cmdline(pid):
                        break
                    time.sleep(0.1)
                else:
                    os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def run_scheduled(
    server: BenchServer,
    folder: Path,
    max_pages: int,
    args: argparse.Namespace,
    rows: list[Row],
    figures: dict[str, Any],
) -> dict[str, dict[str, Any]]:
    """`newsetl serve` on one deployment: run 1 (cold), then ``args.warm_runs`` warm runs,
    each triggered once the serve tree is idle; rows appended."""
    import prefect.deployments  # noqa: F401 - imported before any run is timed

    data_dir = folder / "data"
    serve = ServeProcess(folder, server.url, data_dir, max_pages, args.prefect_api)
    results: dict[str, dict[str, Any]] = {}
    labels = ["run 1 (cold)"] + [f"run {i} (warm)" for i in range(2, args.warm_runs + 2)]
    try:
        print(f"{SCHEDULED_SYSTEM}: starting `newsetl serve`...", flush=True)
        times = serve.start()
        figures["scheduled"] = {
            "prefect_api": serve.api_url,
            "own_prefect_server": args.prefect_api is None,
            "runner_poll_frequency_s": 1,
            "start_s": times,
        }
        print(f"  serving on {serve.api_url}: {times}", flush=True)
        for label in labels:
            print(f"{SCHEDULED_SYSTEM} {label}...", flush=True)
            figures["uptime"][f"{SCHEDULED_SYSTEM} {label}"] = uptime()
            res = serve.run_once(server, data_dir, label)
            if args.verbose:
                for line in res["log"].splitlines():
                    print("    | " + line, flush=True)
            row = res["row"]
            rows.append(row)
            results[label] = res["info"]
            print(
                f"  flow run {row.flow_s} s, trigger->done {row.trigger_s} s, "
                f"{row.articles} articles, {row.article_downloads} article downloads, "
                f"{row.peak_rss_mb:.0f} MB peak; uptime: "
                f"{figures['uptime'][f'{SCHEDULED_SYSTEM} {label}']}",
                flush=True,
            )
            serve.wait_idle()
    except BaseException:
        print(f"newsetl serve log ({serve.log_path}), last lines:\n{serve.log_tail()}")
        raise
    finally:
        serve.stop()
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--articles", type=int, default=1000, help="articles on the site (1000)")
    p.add_argument(
        "--sections",
        type=int,
        default=20,
        help="section pages per category in the mega-menu (20: 240 section pages)",
    )
    p.add_argument("--seed", type=int, default=20240501, help="site generator seed")
    p.add_argument("--json", metavar="OUT", help="write the figures to this JSON file")
    p.add_argument("--keep", action="store_true", help="keep the temporary folders")
    p.add_argument("--skip-baseline", action="store_true", help="do not run trafilatura")
    p.add_argument("--verbose", action="store_true", help="echo newsetl's output")
    p.add_argument(
        "--prefect-api",
        metavar="URL",
        help="use this running Prefect server (default: scheduled: `newsetl serve` starts "
        "its own; server up: started here; embedded: none, as a user runs newsetl scrape)",
    )
    p.add_argument(
        "--mode",
        choices=("all", "scheduled", "server", "embedded", "both"),
        default="all",
        help="scheduled: `newsetl serve` serves a deployment and Prefect's runner starts "
        "each triggered run in a warm executor (how hourly scrapes run; the targets are "
        "checked on these rows); server: `newsetl scrape` commands with a Prefect server "
        "already up (started here unless --prefect-api); embedded: `newsetl scrape` "
        "commands with no server, each boots a temporary one (ad hoc use); all (default): "
        "the three; both: server and embedded",
    )
    p.add_argument(
        "--warm-runs",
        type=int,
        default=4,
        metavar="K",
        help="scheduled: warm runs after run 1, to show their spread (4: runs 2 to 5)",
    )
    p.add_argument(
        "--prototype",
        action="store_true",
        help="also run the flow's body without Prefect's API server (a scratch measurement)",
    )
    p.add_argument("--baseline-worker", nargs=2, metavar=("ROOT", "OUT"), help=argparse.SUPPRESS)
    p.add_argument("--noprefect-worker", nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.baseline_worker:
        return baseline_worker(*args.baseline_worker)
    if args.noprefect_worker:
        return noprefect_worker(*args.noprefect_worker)
    if args.articles < 1:
        p.error("--articles must be at least 1")
    if args.warm_runs < 1:
        p.error("--warm-runs must be at least 1")

    n = args.articles
    modes = {
        "all": (SCHEDULED, SERVER_UP, EMBEDDED),
        "scheduled": (SCHEDULED,),
        "server": (SERVER_UP,),
        "embedded": (EMBEDDED,),
        "both": (SERVER_UP, EMBEDDED),
    }[args.mode]
    tmp = Path(tempfile.mkdtemp(prefix="newsetl-bench-crawl-"))
    env = user_env()  # embedded: no PREFECT_API_URL
    figures: dict[str, Any] = {
        "articles_on_site": n,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "uptime": {},
        "modes": list(modes),
        "prefect_api": args.prefect_api
        or "scheduled: started by newsetl serve; server up: started by the benchmark",
    }
    rows: list[Row] = []
    try:
        t = time.perf_counter()
        gen = NewsSiteGenerator(n, seed=args.seed, n_sections=args.sections)
        server = BenchServer(gen)
        sizes = [len(server.pages[path].body) for path in gen.article_paths]
        figures["site"] = {
            "generate_s": round(time.perf_counter() - t, 2),
            "pages": len(server.pages),
            "article_kb_avg": round(sum(sizes) / len(sizes) / 1024, 1),
            "article_kb_gzip_avg": round(
                sum(len(server.pages[q].gz or b"") for q in gen.article_paths) / n / 1024, 1
            ),
        }
        print(
            f"site: {n} articles, {len(server.pages)} paths, article pages "
            f"{figures['site']['article_kb_avg']} KB avg "
            f"({figures['site']['article_kb_gzip_avg']} KB gzipped), "
            f"built in {figures['site']['generate_s']} s",
            flush=True,
        )
        with server:
            print(f"serving on {server.url}/", flush=True)
            from flows.env import running_local_server
            from newsetl.settings import state_dir

            if running_local_server():
                print(
                    f"warning: a `newsetl serve` Prefect server runs for {state_dir()}: "
                    "the runs use it, so they pay no Prefect start-up",
                    flush=True,
                )
            figures["uptime"]["start"] = uptime()
            noop: dict[str, float] = {}
            db = Path(os.environ.get("PREFECT_HOME", state_dir() / "prefect")) / "prefect.db"
            if not db.exists() and not args.prefect_api and modes != (SCHEDULED,):
                # The very first run creates and migrates the database: a one-off cost.
                print("prefect: creating its database (one-off)...", flush=True)
                figures["prefect_first_noop"] = prefect_noop(env)
                print(f"  first time (database created): {figures['prefect_first_noop']}")
            if EMBEDDED in modes:
                print("prefect no-op flow, embedded (fixed cost per command)...", flush=True)
                noop = prefect_noop(env)
                figures["prefect_noop"] = noop
                print(f"  {noop}", flush=True)

            # Room for every page of the site (its section, topic, author and service
            # pages and dead footer links too): the benchmark times a whole crawl.
            max_pages = n + len(gen.non_article_paths) + len(gen.dead_paths) + 100
            figures["newsetl"] = {}
            for mode in modes:
                system = f"newsetl ({mode})"
                if mode == SCHEDULED:
                    figures["newsetl"][mode] = run_scheduled(
                        server, tmp / "scheduled", max_pages, args, rows, figures
                    )
                    continue
                mode_env = env
                own = None
                if mode == SERVER_UP:
                    api = args.prefect_api
                    if not api:
                        from flows.serve import start_local_server

                        t = time.perf_counter()
                        own, api = start_local_server()
                        print(
                            f"local Prefect server (as `newsetl serve` runs it) ready at {api} "
                            f"in {time.perf_counter() - t:.1f} s",
                            flush=True,
                        )
                    mode_env = user_env(api)
                try:
                    results = run_pair(
                        server,
                        tmp / f"data-{mode.split()[0]}",
                        max_pages,
                        mode_env,
                        args,
                        system,
                        rows,
                        figures,
                        own,
                    )
                finally:
                    if own is not None:
                        from flows.serve import stop_server

                        stop_server(own)
                figures["newsetl"][mode] = {
                    label: {
                        "stages_s": res["stages"],
                        "summary": res["summary"],
                        "requests": res["requests"],
                        "article_requests": res["article_requests"],
                        "cpu_s_by_role": res["run"].tree.cpu_by_role(),
                        "peak_rss_mb_by_role": {
                            k: round(v, 1) for k, v in res["run"].tree.peak_rss_by_role_mb.items()
                        },
                        "cpu_s_reaped": round(res["run"].cpu_reaped_s, 2),
                        "cpu_s_sampled": round(res["run"].cpu_tree_sampled_s, 2),
                        "server_cpu_s": round(res["run"].bench_cpu_s, 2),
                        "prefect_server_cpu_s": res.get("prefect_server_cpu_s"),
                    }
                    for label, res in results.items()
                }

            if args.prototype:
                proto_dir = tmp / "prototype-data"
                figures["prototype_no_prefect"] = {}
                for label in ("run 1 (cold)", "run 2 (warm)"):
                    print(f"prototype without Prefect {label}...", flush=True)
                    figures["uptime"][f"prototype {label}"] = uptime()
                    before = count_articles(proto_dir)
                    res = run_newsetl(server, proto_dir, max_pages, env, args.verbose, False)
                    startup = res["stages"].get("startup (python + prefect server + flow run)")
                    row = make_row(
                        "newsetl w/o Prefect API (prototype)",
                        label,
                        res,
                        res["articles"] - before,
                        startup,
                    )
                    rows.append(row)
                    figures["prototype_no_prefect"][label] = {
                        "stages_s": res["stages"],
                        "cpu_s_by_role": res["run"].tree.cpu_by_role(),
                    }
                    print(f"  {row.wall_s} s, {row.article_downloads} article downloads")

            if not args.skip_baseline:
                try:
                    import trafilatura  # noqa: F401
                except ImportError:
                    print("trafilatura is not installed: baseline skipped", flush=True)
                else:
                    base_out = tmp / "baseline"
                    figures["baseline"] = {}
                    for label in ("run 1", "run 2 (again)"):
                        print(f"trafilatura baseline {label}...", flush=True)
                        figures["uptime"][f"baseline {label}"] = uptime()
                        res = run_baseline(server, base_out, env)
                        stages = res["stages"]
                        row = make_row(
                            "trafilatura seq.", label, res, res["articles"], stages["import_s"]
                        )
                        rows.append(row)
                        figures["baseline"][label] = {
                            "stages_s": stages,
                            "article_requests": res["article_requests"],
                            "server_cpu_s": round(res["run"].bench_cpu_s, 2),
                        }
                        print(
                            f"  {row.wall_s} s, {row.articles} articles; {stages}; "
                            f"uptime: {figures['uptime'][f'baseline {label}']}",
                            flush=True,
                        )
        figures["uptime"]["end"] = uptime()
        figures["rows"] = [asdict(r) for r in rows]
        figures["targets"] = targets(rows, n)
        print()
        print(format_table(rows))
        print()
        if noop:
            print(
                f"Prefect fixed cost, embedded (no-op flow in a fresh process, Prefect starting "
                f"its own server): {noop.get('wall_s')} s (imports {noop.get('import_s')} s, "
                f"flow with temporary server {noop.get('flow_s')} s)"
            )
        for mode, runs in figures["newsetl"].items():
            for label, info in runs.items():
                stages = {k: v for k, v in info["stages_s"].items() if not k.startswith("_")}
                print(f"newsetl ({mode}) {label} breakdown (s): " + json.dumps(stages))
                if "flow_run_s" in info:
                    print(
                        f"  flow run (Prefect start->end) {info['flow_run_s']} s; trigger -> "
                        f"Running {info['trigger_to_running_s']} s; trigger -> seen done "
                        f"{info['trigger_to_done_s']} s; {info['requests']} requests"
                    )
                shared = info.get("prefect_server_cpu_s")
                print(
                    f"  CPU s by process: {info['cpu_s_by_role']}; site server CPU s: "
                    f"{info['server_cpu_s']}"
                    + (f"; running Prefect server CPU s: {shared}" if shared is not None else "")
                )
                print(f"  peak RSS MB by process: {info['peak_rss_mb_by_role']}")
        for label, info in figures.get("prototype_no_prefect", {}).items():
            stages = {k: v for k, v in info["stages_s"].items() if not k.startswith("_")}
            print(f"prototype w/o Prefect API {label} breakdown (s): " + json.dumps(stages))
            print(f"  CPU s by process: {info['cpu_s_by_role']}")
        for label, info in figures.get("baseline", {}).items():
            print(f"baseline {label} breakdown (s): " + json.dumps(info["stages_s"]))
        print()
        for t in figures["targets"]:
            print(f"[{'met' if t['met'] else 'NOT met'}] {t['target']}: {t['measured']}")
        print(f"uptime: {figures['uptime']['end']}")
        load = os.getloadavg()[1]
        if load > (os.cpu_count() or 1) * 0.75:
            print(
                f"note: the 5-minute load average ({load:.1f}) shows other work on this "
                f"machine ({os.cpu_count()} CPUs): wall times are inflated; CPU s are not"
            )
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2, default=str))
            print(f"figures written to {args.json}")
        if args.keep:
            print(f"kept {tmp}")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


def targets(rows: list[Row], n: int) -> list[dict[str, Any]]:
    """The issue's targets, checked for each way of running newsetl.

    They count on the scheduled rows (``newsetl serve``: how the hourly scrapes the issue is
    about run; run 2 is the first warm run); the server-up and embedded rows are checked
    for information. The memory target covers every newsetl row.
    """
    by = {(r.system, r.run): r for r in rows}
    b1 = by.get(("trafilatura seq.", "run 1"))
    out = []
    for mode in (SCHEDULED, SERVER_UP, EMBEDDED):
        system = f"newsetl ({mode})"
        r1 = by.get((system, "run 1 (cold)"))
        r2 = by.get((system, "run 2 (warm)"))
        tag = "" if mode in (SCHEDULED, EMBEDDED) else " [information]"
        # Ad hoc (embedded): the targets for whole commands; scheduled: flow runs.
        vs_base = 1.5 if mode == EMBEDDED else 1.0
        warm_x = 5 if mode == EMBEDDED else 10
        if r1 and b1:
            excl = (
                ""
                if r1.articles_per_s_excl_startup is None
                else f" (excluding start-up: {r1.articles_per_s_excl_startup} vs "
                f"{b1.articles_per_s_excl_startup})"
            )
            out.append(
                {
                    "target": f"{system} run 1 articles/s >= {vs_base:g}x the trafilatura "
                    f"pipeline's{tag}",
                    "met": r1.articles_per_s >= vs_base * b1.articles_per_s,
                    "measured": f"{r1.articles_per_s / b1.articles_per_s:.2f}x "
                    f"({r1.articles_per_s} vs {b1.articles_per_s} articles/s){excl}",
                }
            )
        if r1 and r2:
            speedup = r1.wall_s / r2.wall_s if r2.wall_s else 0.0
            if r1.trigger_s and r2.trigger_s:
                extra = (
                    f"; trigger->done: {r1.trigger_s / r2.trigger_s:.1f}x "
                    f"({r1.trigger_s} s -> {r2.trigger_s} s)"
                )
            elif r1.flow_s and r2.flow_s:
                extra = (
                    f"; flow runs alone: {r1.flow_s / r2.flow_s:.1f}x "
                    f"({r1.flow_s} s -> {r2.flow_s} s)"
                )
            else:
                extra = ""
            what = "flow run s" if mode == SCHEDULED else "wall s"
            out.append(
                {
                    "target": f"{system} run 2 >= {warm_x}x faster than run 1, 0 article "
                    f"downloads{tag}",
                    "met": speedup >= warm_x and r2.article_downloads == 0,
                    "measured": f"{speedup:.1f}x ({what}: {r1.wall_s} s -> {r2.wall_s} s)"
                    f"{extra}, {r2.article_downloads} article downloads",
                }
            )
        if mode == EMBEDDED:
            firsts = [r for r in rows if r.system == system and r.first_request_s is not None]
            if firsts:
                worst = max(r.first_request_s or 0.0 for r in firsts)
                out.append(
                    {
                        "target": f"{system} first request within 1.5 s of the command's start",
                        "met": worst <= 1.5,
                        "measured": ", ".join(f"{r.run}: {r.first_request_s} s" for r in firsts),
                    }
                )
            r3 = by.get((system, NO_KEPT))
            if r1 and r3 and r3.wall_s:
                out.append(
                    {
                        "target": f"{system} {NO_KEPT}: speed-up when the next command boots its "
                        "own Prefect server [information]",
                        "met": r1.wall_s / r3.wall_s >= warm_x and r3.article_downloads == 0,
                        "measured": f"{r1.wall_s / r3.wall_s:.1f}x ({r1.wall_s} s -> "
                        f"{r3.wall_s} s), {r3.article_downloads} article downloads",
                    }
                )
        warm = [r for r in rows if r.system == system and r.run.endswith("(warm)")]
        if r1 and len(warm) > 1:
            flow = sorted(r.wall_s for r in warm)
            med = statistics.median(flow)
            trig = sorted(r.trigger_s for r in warm if r.trigger_s is not None)
            trig_txt = (
                f"; trigger->done s min/median/max {trig[0]:.2f}/"
                f"{statistics.median(trig):.2f}/{trig[-1]:.2f}"
                if trig
                else ""
            )
            downloads = sum(r.article_downloads for r in warm)
            out.append(
                {
                    "target": f"{system} all {len(warm)} warm runs, speed-up with their "
                    f"median [information]",
                    "met": bool(med) and r1.wall_s / med >= 10 and downloads == 0,
                    "measured": f"{r1.wall_s / med if med else 0.0:.1f}x; "
                    f"{what} min/median/max {flow[0]:.2f}/{med:.2f}/{flow[-1]:.2f}"
                    f"{trig_txt}; {downloads} article downloads",
                }
            )
        if r1:
            out.append(
                {
                    "target": f"{system} keeps ~N articles{tag}",
                    "met": r1.articles >= 0.98 * n,
                    "measured": f"{r1.articles} of {n} stored",
                }
            )
    p1 = by.get(("newsetl w/o Prefect API (prototype)", "run 1 (cold)"))
    p2 = by.get(("newsetl w/o Prefect API (prototype)", "run 2 (warm)"))
    if p1 and p2 and p2.wall_s:
        out.append(
            {
                "target": "(prototype, information) run 2 speed-up without Prefect's API server",
                "met": p1.wall_s / p2.wall_s >= 10 and p2.article_downloads == 0,
                "measured": f"{p1.wall_s / p2.wall_s:.1f}x ({p1.wall_s} s -> {p2.wall_s} s)",
            }
        )
    news = [r for r in rows if r.system.startswith("newsetl (")]
    if news:
        peak = max(r.peak_rss_mb for r in news)
        out.append(
            {"target": "newsetl peak RSS < 1 GB", "met": peak < 1024, "measured": f"{peak:.0f} MB"}
        )
    return out


if __name__ == "__main__":
    sys.exit(main())
