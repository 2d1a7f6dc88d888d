"""Extraction speed: in process on generated pages, or as whole commands on the dev sets.

    python benchmarks/extract_speed.py [--articles N] [--repeat R] [--profile] [--save OUT]
    python benchmarks/extract_speed.py --commands [--jobs 1,2] [--set extraction] [--repeat R]

Builds the crawl benchmark's site (same generator defaults and seed), takes its first N
article pages as bytes and extracts each R times in this process. Prints CPU ms per page
(process time, so other load on the machine matters little). ``--profile`` prints the top
of a cProfile run; ``--save`` writes the extracted records (JSON lines) for comparing
outputs before and after a change.

``--commands``: the pages of ``SHARED/extraction-devset/html`` (311) and
``SHARED/metadata-devset/html`` (608), each with its URL, given as files to whole commands,
one command per set and system: ``newsetl extract --format jsonl --files-from - --jobs N``
for each N of ``--jobs``, and a plain sequential trafilatura script (the peer of
``benchmarks/metadata.py``: ``bare_extraction(bytes, url=URL, with_metadata=True)`` per page,
JSON lines out) and the same script asking for the body text alone
(``trafilatura.extract(bytes, url=URL)``: less work than newsetl does), all started cold,
best wall time of ``--repeat``. Printed per command:
pages/s (wall), CPU seconds of the command and its workers, the peak RSS of its largest
process and of the summed RSS and PSS of its process tree (sampled every 20 ms; PSS
counts the pages forked workers share with their parent once, not once per process), and newsetl's
pages/s as a multiple of each trafilatura script's (``x trafil.``, ``x text``) and its CPU
time as a fraction of the metadata script's (``x CPU``: trafilatura's CPU seconds / these),
measured in the same run (on a loaded machine the CPU figures move less than wall times). SHARED is ``../shared``
unless ``NEWSETL_SHARED`` says otherwise; a missing dev set is skipped with a message.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from metadata import PEER_SCRIPT  # noqa: E402
from sitegen import NewsSiteGenerator  # noqa: E402

from newsetl.extraction import extract_article  # noqa: E402


def article_pages(n: int, seed: int = 20240501) -> list[tuple[str, bytes]]:
    gen = NewsSiteGenerator(1000, seed=seed)
    base = "http://127.0.0.1:8000"
    pages = gen.build(base)
    paths = [a.path for a in gen.articles][:n]
    return [(base + p, pages[p].body) for p in paths]


# The lighter peer: the same loop over the pages (PEER_SCRIPT's reading part), asking
# trafilatura for the body text alone (no title, authors, date or language).
TEXT_PEER_SCRIPT = PEER_SCRIPT[: PEER_SCRIPT.index("    doc = ")] + (
    "    text = trafilatura.extract(raw, url=url or None, with_metadata=False)\n"
    '    print(json.dumps({"path": path, "text": text or ""}))\n'
)


def devset_listing(name: str, shared: Path) -> str | None:
    """``PATH<TAB>URL`` lines of every page of one dev set, sorted; None if it is absent."""
    folder = shared / {"extraction": "extraction-devset", "metadata": "metadata-devset"}[name]
    truth_file = folder / ("ground-truth.json" if name == "extraction" else "truth.json")
    if not (folder / "html").is_dir() or not truth_file.is_file():
        return None
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    lines = []
    for path in sorted((folder / "html").iterdir()):
        page_id = path.name.split(".")[0]
        url = (truth.get(page_id) or {}).get("url") or ""
        lines.append(f"{path}\t{url}\n")
    return "".join(lines)


def _tree_rss_kb(root: int) -> tuple[int, int, int]:
    """(summed RSS of ``root`` and its descendants, largest single RSS, summed PSS), KB."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parent[pid] = int(fields[1])
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
    tree, frontier = {root}, [root]
    while frontier:
        kids = [p for p, pp in parent.items() if pp in frontier and p not in tree]
        tree.update(kids)
        frontier = kids
    sizes = [rss.get(p, 0) for p in tree]
    return sum(sizes), max(sizes, default=0), sum(_pss_kb(p) for p in tree)


def _pss_kb(pid: int) -> int:
    """Proportional set size of a process (pages shared with its forked parent or sibling
    count a share each), KB; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_whole(cmd: list[str], listing: str) -> dict[str, float]:
    """Run one command over the listing (stdin); its wall and CPU seconds and memory."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT
    )
    peak = {"sum": 0, "one": 0, "pss": 0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.02):
            total, one, pss = _tree_rss_kb(proc.pid)
            peak["sum"], peak["one"] = max(peak["sum"], total), max(peak["one"], one)
            peak["pss"] = max(peak["pss"], pss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # stdin written while stdout is read: either pipe may fill up first
    out, _ = proc.communicate(listing.encode())
    lines = out.count(b"\n")
    wall = time.perf_counter() - start
    stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the command and its workers
    return {
        "wall_s": wall,
        "cpu_s": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
        "records": lines,
        "max_rss_mb": peak["one"] / 1024,
        "tree_rss_mb": peak["sum"] / 1024,
        "tree_pss_mb": peak["pss"] / 1024,
        "exit": proc.returncode,
    }


def run_commands(args: argparse.Namespace) -> int:
    shared = Path(os.environ.get("NEWSETL_SHARED", ROOT.parent / "shared")).resolve()
    exe = Path(sys.executable).with_name("newsetl")
    newsetl = [str(exe)] if exe.exists() else [sys.executable, "-m", "newsetl.cli"]
    systems = {
        "trafilatura": [sys.executable, "-c", PEER_SCRIPT],
        "trafilatura, text": [sys.executable, "-c", TEXT_PEER_SCRIPT],
    }
    for n in args.jobs:
        systems[f"newsetl --jobs {n}"] = newsetl + [
            "extract",
            "--format",
            "jsonl",
            "--files-from",
            "-",
            "--jobs",
            str(n),
        ]
    print(f"whole commands, best of {args.repeat}; load average {os.getloadavg()[0]:.2f}")
    figures: dict[str, Any] = {}
    for name in args.sets:
        listing = devset_listing(name, shared)
        if listing is None:
            print(f"{name}: skipped, no dev set under {shared} (set NEWSETL_SHARED)")
            continue
        pages = listing.count("\n")
        best: dict[str, dict[str, float]] = {}
        for _ in range(args.repeat):  # interleaved: a burst of load hits every system alike
            for system, cmd in systems.items():
                r = run_whole(cmd, listing)
                if system not in best or r["wall_s"] < best[system]["wall_s"]:
                    best[system] = r
        peer = pages / best["trafilatura"]["wall_s"]
        peer_text = pages / best["trafilatura, text"]["wall_s"]
        peer_cpu = best["trafilatura"]["cpu_s"]
        print(f"\n{name}: {pages} pages")
        print(
            f"{'command':<20} {'pages/s':>8} {'x trafil.':>9} {'x text':>7} {'wall s':>7} "
            f"{'CPU s':>6} {'x CPU':>6} {'max RSS MB':>10} {'tree RSS MB':>11} "
            f"{'tree PSS MB':>11} {'records':>7}"
        )
        figures[name] = {
            "pages": pages,
            "commands": {
                system: {
                    **r,
                    "pages_per_s": pages / r["wall_s"],
                    "x_trafilatura": pages / r["wall_s"] / peer,
                }
                for system, r in best.items()
            },
        }
        for system, r in best.items():
            rate = pages / r["wall_s"]
            print(
                f"{system:<20} {rate:>8.1f} {rate / peer:>9.2f} {rate / peer_text:>7.2f} "
                f"{r['wall_s']:>7.1f} {r['cpu_s']:>6.1f} {peer_cpu / r['cpu_s']:>6.2f} "
                f"{r['max_rss_mb']:>10.0f} {r['tree_rss_mb']:>11.0f} {r['tree_pss_mb']:>11.0f} "
                f"{int(r['records']):>7}"
            )
    print(f"load average {os.getloadavg()[0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
        print(f"figures written to {args.json}")
    return 0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--articles", type=int, default=200)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--seed", type=int, default=20240501)
    p.add_argument("--profile", action="store_true")
    p.add_argument("--save", type=Path)
    p.add_argument("--commands", action="store_true", help="whole commands on the dev sets")
    p.add_argument("--json", type=Path, help="with --commands: also write the figures here")
    p.add_argument(
        "--jobs",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[1, 2],
        help="with --commands: newsetl's --jobs values, e.g. 1,2",
    )
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        choices=("extraction", "metadata"),
        help="with --commands: default both",
    )
    args = p.parse_args()
    if args.commands:
        args.sets = args.sets or ["extraction", "metadata"]
        args.repeat = max(1, args.repeat)
        raise SystemExit(run_commands(args))
    pages = article_pages(args.articles, args.seed)
    size = sum(len(b) for _, b in pages) / len(pages)
    for url, body in pages[:5]:  # warm caches and imports
        extract_article(body, url, encoding_hint="utf-8")
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        for url, body in pages:
            extract_article(body, url, encoding_hint="utf-8")
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
        pstats.Stats(prof).sort_stats("tottime").print_stats(35)
        return
    best = float("inf")
    for _ in range(args.repeat):
        start = time.process_time()
        for url, body in pages:
            extract_article(body, url, encoding_hint="utf-8")
        best = min(best, time.process_time() - start)
    print(f"{len(pages)} pages of {size / 1024:.1f} KB: {best * 1000 / len(pages):.2f} ms CPU/page")
    if args.save:
        with args.save.open("w", encoding="utf-8") as fh:
            for url, body in pages:
                ex = extract_article(body, url, encoding_hint="utf-8")
                record = {
                    "url": url,
                    "title": ex.title,
                    "authors": list(ex.authors),
                    "published_at": str(ex.published_at),
                    "language": ex.language,
                    "text": ex.text,
                    "canonical_url": ex.canonical_url,
                    "paragraph_count": ex.paragraph_count,
                    "link_density": ex.link_density,
                }
                fh.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
