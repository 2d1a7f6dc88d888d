"""Benchmark article-body extraction on a folder in the extraction-devset format.

    python benchmarks/extraction.py [--devset PATH] [--peers] [--worst N]

Runs newsetl's extractor (and, with ``--peers``, trafilatura and readability-lxml when they
are importable) on every page, scores each system with the devset's own ``score.py``
(run as a subprocess, so the metric is exactly the devset's), and prints F1, precision,
recall, F1 per source and pages/s. Pages/s counts in-process extraction time only: files
are read and decompressed before the clock starts. Then it extracts a synthetic 10 MB page
in a fresh process and prints that process's peak resident memory.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEVSET = ROOT.parent / "shared" / "extraction-devset"
sys.path.insert(0, str(ROOT))

Extractor = Callable[[str, str | None], str]


def load_pages(devset: Path, limit: int | None = None) -> list[tuple[str, str, str | None]]:
    """(id, html, url) for every page of the devset, sorted by id."""
    truth = json.loads((devset / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for path in sorted((devset / "html").iterdir()):
        name = path.name
        for suffix in (".html.gz", ".htm.gz", ".html", ".htm"):
            if name.endswith(suffix):
                page_id = name[: -len(suffix)]
                break
        else:
            continue
        raw = path.read_bytes()
        if name.endswith(".gz"):
            raw = gzip.decompress(raw)
        url = (truth.get(page_id) or {}).get("url")
        pages.append((page_id, raw.decode("utf-8", "replace"), url))
    return pages[:limit] if limit else pages


def newsetl_extractor() -> Extractor:
    from newsetl.extraction import extract_article

    return lambda html, url: extract_article(html, url).text


def trafilatura_extractor() -> Extractor | None:
    try:
        import trafilatura
    except ImportError:
        return None
    return lambda html, url: trafilatura.extract(html, url=url, include_comments=False) or ""


def readability_extractor() -> Extractor | None:
    try:
        import lxml.html
        from readability import Document
    except ImportError:
        return None

    def run(html: str, url: str | None) -> str:
        summary = Document(html, url=url).summary(html_partial=True)
        return lxml.html.fromstring(summary).text_content()

    return run


def run_system(
    name: str, extractor: Extractor, pages: list[tuple[str, str, str | None]]
) -> tuple[list[dict[str, str]], float]:
    """Predictions and total extraction seconds (errors count as empty output)."""
    preds = []
    elapsed = 0.0
    for page_id, html, url in pages:
        start = time.perf_counter()
        try:
            text = extractor(html, url)
        except Exception as exc:  # noqa: BLE001 - a peer's crash is an empty prediction
            print(f"  {name}: {page_id} failed: {exc!r}", file=sys.stderr)
            text = ""
        elapsed += time.perf_counter() - start
        preds.append({"id": page_id, "text": text or ""})
    return preds, elapsed


def score(devset: Path, preds: list[dict[str, str]], keep: Path | None = None) -> dict:
    """Score predictions with the devset's score.py (``--json``)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "predictions.jsonl"
        out.write_text("\n".join(json.dumps(p) for p in preds) + "\n", encoding="utf-8")
        if keep is not None:
            keep.write_text(out.read_text(encoding="utf-8"), encoding="utf-8")
        result = subprocess.run(
            [sys.executable, str(devset / "score.py"), "--json", "--n-bootstrap", "200", str(out)],
            capture_output=True,
            text=True,
            check=True,
        )
    return next(iter(json.loads(result.stdout).values()))


def per_page_scores(devset: Path, preds: list[dict[str, str]]) -> list[tuple[float, str]]:
    """(F1, id) per page, using score.py's own page_score."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("devset_score", devset / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    truth = json.loads((devset / "ground-truth.json").read_text(encoding="utf-8"))
    rows = []
    for pred in preds:
        p, r, _ = module.page_score(truth[pred["id"]].get("articleBody", ""), pred["text"])
        p, r = p or 0.0, r or 0.0
        rows.append((2 * p * r / (p + r) if p + r else 0.0, pred["id"]))
    return sorted(rows)


_MEMORY_PROBE = r"""
import json, resource, sys, time, tracemalloc
sys.path.insert(0, sys.argv[1])
from newsetl.extraction import extract_article
words = ("council harbour ferry budget school river market winter bridge library station "
         "festival hospital museum garden farmers nurses drivers").split()
def para(i):
    a, b, c = words[i % 17], words[(i * 7) % 17], words[(i * 11) % 17]
    return (f"<p>Item {i}: the {a} committee voted on Tuesday to extend the {b} programme, "
            f"which has run since {1990 + i % 30}, after a debate about the {c} and costs.</p>\n")
nav = "<nav><ul>" + "".join(f'<li><a href="/s/{i}">Section {i}</a></li>' for i in range(40)) + "</ul></nav>"
side = '<aside class="sidebar"><h3>Related</h3><ul>' + "".join(
    f'<li><a href="/a/{i}">Another story number {i}</a></li>' for i in range(30)) + "</ul></aside>"
parts, size, n = [], 0, 0
while size < 10 * 1024 * 1024:
    chunk = ("<div class='row'><div class='article-body'>" + "".join(para(n + k) for k in range(40))
             + "</div>" + side + "<script>var x = '" + "y" * 2000 + "';</script></div>\n")
    n += 40
    parts.append(chunk)
    size += len(chunk)
html = ("<!doctype html><html lang='en'><head><title>Big page</title></head><body>" + nav +
        "<main><article><h1>Big page</h1>" + "".join(parts) + "</article></main></body></html>")
data = html.encode("utf-8")
del parts, html
def high_water_kb():
    # VmHWM is this process's own peak; ru_maxrss can carry the forking parent's peak.
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
base_hwm = high_water_kb()
tracemalloc.start()
t0 = time.perf_counter()
result = extract_article(data, "https://example.com/big")
seconds = time.perf_counter() - t0
_, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
# A second, untraced run gives the resident peak without tracemalloc's own bookkeeping.
del result
t0 = time.perf_counter()
result = extract_article(data, "https://example.com/big")
plain_seconds = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
base = base_hwm if base_hwm is not None else base
hwm = high_water_kb()
rss = hwm if hwm is not None else rss
print(json.dumps({"page_mb": len(data) / 1048576, "peak_rss_mb": rss / 1024,
                  "rss_before_mb": base / 1024, "tracemalloc_peak_mb": peak / 1048576,
                  "seconds": plain_seconds, "words": result.word_count}))
"""


def measure_memory() -> dict:
    """Extract a synthetic 10 MB page in a fresh process; return its memory figures."""
    result = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(ROOT)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devset", type=Path, default=DEFAULT_DEVSET, help="devset folder")
    parser.add_argument("--peers", action="store_true", help="also run trafilatura, readability")
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages")
    parser.add_argument("--worst", type=int, default=0, help="list newsetl's N worst pages")
    parser.add_argument("--save", type=Path, default=None, help="write newsetl predictions here")
    parser.add_argument("--no-memory", action="store_true", help="skip the 10 MB page check")
    args = parser.parse_args(argv)

    devset = args.devset.resolve()
    if not (devset / "ground-truth.json").exists():
        print(f"no devset at {devset}: pass --devset PATH to an extraction-devset folder")
        return 2
    pages = load_pages(devset, args.limit)
    systems: list[tuple[str, Extractor]] = [("newsetl", newsetl_extractor())]
    if args.peers:
        for name, factory in (
            ("trafilatura", trafilatura_extractor),
            ("readability-lxml", readability_extractor),
        ):
            extractor = factory()
            if extractor is None:
                print(f"{name} is not importable: skipped (uv sync --group bench)")
            else:
                systems.append((name, extractor))
    for _, extractor in systems:  # warm-up: imports, caches, language models
        extractor(pages[0][1], pages[0][2])

    rows = []
    newsetl_preds: list[dict[str, str]] = []
    for name, extractor in systems:
        preds, seconds = run_system(name, extractor, pages)
        if name == "newsetl":
            newsetl_preds = preds
        res = score(devset, preds, args.save if name == "newsetl" else None)
        rows.append((name, res, len(pages) / seconds if seconds else 0.0))

    sources = sorted({s for _, res, _ in rows for s in res.get("by_source", {})})
    header = f"{'system':<18} {'F1':>6} {'P':>6} {'R':>6} " + " ".join(
        f"{'F1 ' + s:>16}" for s in sources
    )
    print(f"\n{len(pages)} pages from {devset}")
    print(header + f" {'pages/s':>8}")
    print("-" * (len(header) + 9))
    for name, res, speed in rows:
        per = " ".join(
            f"{res.get('by_source', {}).get(s, {}).get('f1', 0.0):>16.3f}" for s in sources
        )
        print(
            f"{name:<18} {res['f1']:>6.3f} {res['precision']:>6.3f} {res['recall']:>6.3f} "
            f"{per} {speed:>8.1f}"
        )
    for name, res, _ in rows:
        for source, m in res.get("by_source", {}).items():
            print(
                f"  {name:<16} {source:<12} F1 {m['f1']:.3f}  P {m['precision']:.3f}  "
                f"R {m['recall']:.3f}  ({m['pages']} pages)"
            )
    if args.worst:
        print(f"\nnewsetl's {args.worst} worst pages (F1, id):")
        for f1, page_id in per_page_scores(devset, newsetl_preds)[: args.worst]:
            print(f"  {f1:.3f} {page_id}")
    if not args.no_memory:
        mem = measure_memory()
        print(
            f"\n10 MB page ({mem['page_mb']:.1f} MB, {mem['words']} words out): "
            f"peak RSS {mem['peak_rss_mb']:.0f} MB (process before extraction "
            f"{mem['rss_before_mb']:.0f} MB), tracemalloc peak {mem['tracemalloc_peak_mb']:.0f} MB, "
            f"{mem['seconds']:.2f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
