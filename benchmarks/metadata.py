"""Metadata on real pages: newsetl beside trafilatura, scored by the dev set's own scorer.

    python benchmarks/metadata.py [--devset ../shared/metadata-devset] [--no-peer]
                                  [--ids a,b] [--save DIR] [--errors]

Both systems run as whole commands over the same pages, each page with its URL: newsetl as
``newsetl extract --format jsonl --files-from LIST`` (one process for all pages), the peer
as a small script calling ``trafilatura.bare_extraction(bytes, url=URL, with_metadata=True)``
(author string split on ";", as in the dev set's reference numbers). Each prediction file
is scored with ``score.py --json``; the table prints both side by side, overall and per
source, with each command's wall time per page. Exit 2 when the dev set is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEVSET = ROOT.parent / "shared" / "metadata-devset"

# The peer, as its own process: the page list on stdin (PATH<TAB>URL), JSON lines out.
PEER_SCRIPT = r"""
import gzip, json, sys
import trafilatura
for line in sys.stdin:
    path, _, url = line.rstrip("\n").partition("\t")
    raw = open(path, "rb").read()
    if path.endswith(".gz"):
        raw = gzip.decompress(raw)
    doc = trafilatura.bare_extraction(raw, url=url or None, with_metadata=True, as_dict=True)
    doc = doc or {}
    authors = [a.strip() for a in (doc.get("author") or "").split(";") if a.strip()]
    print(json.dumps({"path": path, "title": doc.get("title"), "authors": authors,
                      "published_at": doc.get("date"), "language": doc.get("language"),
                      "text": doc.get("text") or ""}))
"""

ROWS = [
    ("title exact", "title_exact", "%"),
    ("title relaxed", "title_relaxed", "%"),
    ("authors F1", "author_f1", "f"),
    ("authors exact set", "author_exact", "%"),
    ("date same day", "date_day", "%"),
    ("date same day, UTC-tolerant", "date_day_tz", "%"),
    ("date same minute", "date_minute", "%"),
    ("empty dates", "date_empty", "n"),
    ("language", "lang", "%"),
    ("body F1", "body_f1", "f"),
    ("crashes", "crashes", "n"),
]


def page_list(devset: Path, ids: set[str] | None) -> list[tuple[str, str, str]]:
    """(id, path, url) of every page, sorted by id."""
    truth = json.loads((devset / "truth.json").read_text(encoding="utf-8"))
    pages = []
    for path in sorted((devset / "html").glob("*.html.gz")):
        page_id = path.name.removesuffix(".html.gz")
        if ids is None or page_id in ids:
            pages.append((page_id, str(path), (truth.get(page_id) or {}).get("url") or ""))
    return pages


def run_command(cmd: list[str], pages: list[tuple[str, str, str]], out: Path) -> float:
    """Run one system over the pages (PATH<TAB>URL lines); write the predictions with
    their ids to ``out``; return the wall time per page in ms."""
    ids = {path: page_id for page_id, path, _ in pages}
    listing = "".join(f"{path}\t{url}\n" for _, path, url in pages)
    start = time.perf_counter()
    done = subprocess.run(cmd, input=listing, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - start
    with out.open("w", encoding="utf-8") as fh:
        for line in done.stdout.splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            page_id = ids.get(rec.get("path"))
            if page_id:
                fh.write(json.dumps({"id": page_id, **rec}) + "\n")
    if done.returncode not in (0, 1):  # newsetl exits 1 when some page failed
        sys.stderr.write(done.stderr[-2000:])
    return elapsed * 1000 / max(len(pages), 1)


def score(devset: Path, preds: Path, ids: str | None, errors: Path | None) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
        cmd = [sys.executable, str(devset / "score.py"), str(preds), "--json", tmp.name]
        if ids:
            cmd += ["--ids", ids]
        if errors:
            cmd += ["--errors", str(errors)]
        subprocess.run(cmd, check=True, capture_output=True, text=True)
        return json.loads(Path(tmp.name).read_text())["metrics"]


def cell(metrics: dict, key: str, kind: str) -> str:
    value = metrics.get(key)
    if value is None or (key == "date_minute" and not metrics.get("n_date_time")):
        return "-"
    if (key == "date_minute" and not metrics.get("gives_time")) or (
        key == "lang" and not metrics.get("gives_lang")
    ):
        return "n/a"
    if kind == "%":
        return f"{100 * value:.1f}%"
    if kind == "f":
        return f"{value:.3f}"
    return str(value)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--devset", type=Path, default=DEFAULT_DEVSET)
    ap.add_argument("--no-peer", action="store_true", help="newsetl only")
    ap.add_argument("--ids", help="only these page ids (comma-separated)")
    ap.add_argument("--save", type=Path, help="keep the prediction files in this folder")
    ap.add_argument("--errors", action="store_true", help="with --save: newsetl's mistakes too")
    args = ap.parse_args(argv)
    if not (args.devset / "truth.json").is_file():
        print(f"no metadata dev set at {args.devset}: pass --devset PATH", file=sys.stderr)
        return 2
    ids = set(args.ids.split(",")) if args.ids else None
    pages = page_list(args.devset, ids)
    folder = args.save or Path(tempfile.mkdtemp(prefix="newsetl-meta-"))
    folder.mkdir(parents=True, exist_ok=True)
    exe = Path(sys.executable).with_name("newsetl")
    newsetl = [str(exe)] if exe.exists() else [sys.executable, "-m", "newsetl.cli"]
    systems = {"newsetl": newsetl + ["extract", "--format", "jsonl", "--files-from", "-"]}
    if not args.no_peer:
        try:
            import trafilatura

            systems[f"trafilatura {trafilatura.__version__}"] = [
                sys.executable,
                "-c",
                PEER_SCRIPT,
            ]
        except ImportError:
            print("trafilatura is not installed: newsetl only", file=sys.stderr)
    results: dict[str, tuple[dict, float]] = {}
    for name, cmd in systems.items():
        preds = folder / f"{name.split()[0]}.jsonl"
        ms = run_command(cmd, pages, preds)
        errors = folder / "newsetl-errors.jsonl" if args.errors and name == "newsetl" else None
        results[name] = (score(args.devset, preds, args.ids, errors), ms)
    groups = [g for g in ("all", "fundus", "htmldate") if g in next(iter(results.values()))[0]]
    names = list(results)
    print(f"{len(pages)} pages of {args.devset}; predictions in {folder}")
    for group in groups:
        n = results[names[0]][0][group].get("pages")
        print(f"\n{group} ({n} pages)\n")
        print("| metric | " + " | ".join(names) + " |")
        print("|---|" + "---|" * len(names))
        for label, key, kind in ROWS:
            cells = [cell(results[nm][0][group], key, kind) for nm in names]
            if all(c == "-" for c in cells):
                continue
            print(f"| {label} | " + " | ".join(cells) + " |")
    print(
        "\nwhole command, wall time per page: "
        + ", ".join(f"{nm} {ms:.1f} ms" for nm, (_, ms) in results.items())
    )
    if len(names) == 2:
        a, b = (results[nm][1] for nm in names)
        print(f"ratio: newsetl is {b / a:.2f}x the peer's pages per second")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
