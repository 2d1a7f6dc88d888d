"""Byte-identity of ``newsetl extract`` over the dev sets, before and after a change.

    python benchmarks/extract_identity.py --out after/            # writes after/<set>.jsonl
    python benchmarks/extract_identity.py --out after/ \\
        --against extraction=before.jsonl --against metadata=meta_before.jsonl

Runs the real command, ``newsetl extract --format jsonl --files-from LIST``, as a
subprocess over every page of ``SHARED/extraction-devset/html/`` and
``SHARED/metadata-devset/html/`` (LIST is the folder's sorted file names, as absolute
paths; SHARED is ``../shared`` beside the repository unless ``--shared`` or
``NEWSETL_SHARED`` says otherwise). A dev set that is not there is skipped with a message.
Each output line names its page by that absolute path, so a reference made by hand the
same way (``ls`` of the folder, sorted, as absolute paths) compares line by line.

``--against SET=FILE`` (``--against FILE`` when one set is run) compares the new output
with FILE line by line and prints how many pages differ; the exit status is 1 when any
page differs, is missing or is new.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETS = {"extraction": "extraction-devset", "metadata": "metadata-devset"}
SHOW = 10  # differing pages named, at most


def newsetl_command() -> list[str]:
    """The ``newsetl`` console script of this interpreter's environment."""
    script = Path(sys.executable).parent / "newsetl"
    if script.exists():
        return [str(script)]
    found = shutil.which("newsetl")
    return [found] if found else [sys.executable, "-m", "newsetl.cli"]


def run_set(html_dir: Path, out: Path) -> tuple[int, float]:
    """``newsetl extract`` over every page of ``html_dir`` into ``out``: (pages, seconds)."""
    pages = sorted(p.name for p in html_dir.iterdir() if p.is_file())
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("".join(f"{html_dir / name}\n" for name in pages))
    try:
        cmd = newsetl_command() + ["extract", "--format", "jsonl", "--files-from", listing.name]
        start = time.perf_counter()
        with out.open("wb") as sink:
            subprocess.run(cmd, stdout=sink, check=True, cwd=ROOT)
        return len(pages), time.perf_counter() - start
    finally:
        os.unlink(listing.name)


def page_of(line: str) -> str:
    try:
        return str(json.loads(line).get("path"))
    except (ValueError, AttributeError):
        return line[:80]


def first_difference(old: str, new: str) -> str:
    """The first field that differs between two output lines (or 'the line')."""
    try:
        a, b = json.loads(old), json.loads(new)
    except ValueError:
        return "the line"
    keys = list(dict.fromkeys([*a, *b]))
    return next((k for k in keys if a.get(k) != b.get(k)), "key order or spacing")


def compare(reference: Path, output: Path) -> int:
    """Print how many pages differ between two outputs; return that number."""
    old = reference.read_text(encoding="utf-8").splitlines()
    new = output.read_text(encoding="utf-8").splitlines()
    differ = [(a, b) for a, b in zip(old, new, strict=False) if a != b]
    for a, b in differ[:SHOW]:
        print(f"  differs: {page_of(a)} ({first_difference(a, b)})")
    missing, extra = max(0, len(old) - len(new)), max(0, len(new) - len(old))
    print(
        f"{output.name}: {len(differ)} of {min(len(old), len(new))} pages differ from "
        f"{reference}"
        + (f"; {missing} missing" if missing else "")
        + (f"; {extra} new" if extra else "")
    )
    return len(differ) + missing + extra


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for <set>.jsonl")
    parser.add_argument(
        "--set", dest="sets", action="append", choices=sorted(SETS), help="default: both"
    )
    parser.add_argument("--shared", type=Path, help="the folder holding the dev sets")
    parser.add_argument(
        "--against", action="append", default=[], metavar="[SET=]FILE", help="reference output"
    )
    args = parser.parse_args(argv)
    sets = args.sets or sorted(SETS)
    against: dict[str, Path] = {}
    for item in args.against:
        name, sep, file = item.partition("=")
        if not sep:
            if len(sets) != 1:
                parser.error(f"--against {item}: say which set, as SET=FILE ({', '.join(sets)})")
            name, file = sets[0], item
        if name not in sets:
            parser.error(f"--against {item}: {name!r} is not a set being run ({', '.join(sets)})")
        against[name] = Path(file)
    shared = args.shared or Path(os.environ.get("NEWSETL_SHARED", ROOT.parent / "shared"))
    shared = shared.resolve()  # the lines name pages by absolute path: keep it canonical
    args.out.mkdir(parents=True, exist_ok=True)
    failed = 0
    for name in sets:
        html_dir = shared / SETS[name] / "html"
        if not html_dir.is_dir():
            print(f"{name}: skipped, no dev set at {html_dir} (pass --shared DIR)")
            continue
        out = args.out / f"{name}.jsonl"
        pages, seconds = run_set(html_dir, out)
        print(f"{name}: {pages} pages extracted in {seconds:.1f} s -> {out}")
        if name in against:
            failed += compare(against[name], out) > 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
