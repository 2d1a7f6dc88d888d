"""What the near-duplicate index adds to a run against a stored dataset of N articles.

    python benchmarks/dedupe_stored.py [--articles 1000000] [--runs 100] [--new 1000]
                                       [--save DIR] [--json FILE]

Builds a dataset folder as the flow leaves it (``Dataset.commit`` of ``--runs`` runs:
``articles`` rows partitioned by source and month, ``data/_index`` rows), N articles in all.
Stored signatures are random (a random signature matches nothing, as a story of its own
does), except those of a few hundred stored stories with real texts; each measured run
brings ``--new`` articles of which a third are edited copies of those stories. Building
is not timed; ``--save DIR`` keeps the built folder for the next invocation.

Measured, each in a fresh process on a hard-linked copy of the folder (Parquet files are
never changed in place, so the copy is cheap and the original stays as built):

- ad hoc: one run as ``newsetl scrape`` makes it: ``load_index``, ``deduplicate``, the
  index rows to commit, the commit of those rows (the articles' own rows are left out:
  the write stage costs them with or without the index), and the save of the index's
  snapshot (``newsetl.dedupe.snapshot``) that the next run maps. The build step saves
  the snapshot once, as the last commit of a run leaves it (its cost is printed apart);
- ad hoc, no snapshot: the same run with ``data/_state/index`` removed, as the first run
  after another tool changed the dataset (or after an upgrade) makes it: the index is
  loaded from the Parquet files and the whole snapshot written; the decisions must be
  those of the run above;
- warm: four runs in one process, as a ``newsetl serve`` executor runs them: the first
  loads the index, the next two find it in the executor's memory (``keep_index`` after each
  commit), then a partition of ``duplicates`` is deleted from outside and the fourth run
  must notice (a stale index is never used) and load the files again. (A deleted partition
  of ``articles`` also makes the stored index out of step: it is then rebuilt from the
  texts, which ``tests/dedupe/test_state.py`` checks on a small dataset.)

Without a kept index (before it existed) every warm run loads as the first one does.

Printed per run: seconds of the index work, how it was loaded, copies caught, stored
articles, and the process's peak RSS. Exit 1 when a copy of a stored story is missed or a
decision differs between the cached and a freshly loaded index.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsetl import dedupe, pipeline  # noqa: E402
from newsetl.dedupe.fingerprints import HASH_VERSION  # noqa: E402
from newsetl.dedupe.snapshot import folder_of as snapshot_folder  # noqa: E402
from newsetl.storage import Dataset  # noqa: E402
from newsetl.urls import article_id  # noqa: E402

STORIES = 300  # stored articles with real texts, of which the measured runs bring copies
SOURCES = 10
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _words(rng: np.random.Generator, vocab: list[str], n: int) -> list[str]:
    return [vocab[i] for i in rng.integers(0, len(vocab), size=n)]


def _vocab(rng: np.random.Generator) -> list[str]:
    letters = np.array(list("etaoinshrdlcumwfgypbvk"))
    return sorted(
        {"".join(rng.choice(letters, size=int(rng.integers(3, 10)))) for _ in range(20000)}
    )


def _article_rows(
    ids: list[str], urls: list[str], hashes: list[str], texts: list[str], start: int, run_id: str
) -> pa.Table:
    n = len(ids)
    k = np.arange(start, start + n)
    when = [T0 + timedelta(minutes=int(m)) for m in k]
    return pa.Table.from_pydict(
        {
            "article_id": ids,
            "url": urls,
            "canonical_url": urls,
            "title": [f"Story {i}" for i in k],
            "text": texts,
            "word_count": [len(t.split()) for t in texts],
            "content_hash": hashes,
            "cluster_id": ids,
            "revision": [1] * n,
            "published_at": when,
            "fetched_at": when,
            "run_id": [run_id] * n,
            "source": [f"site{i % SOURCES}" for i in k],
            "month": [w.strftime("%Y-%m") for w in when],
        }
    )


def build(folder: Path, n: int, runs: int, seed: int) -> None:
    """A dataset of ``n`` articles committed in ``runs`` runs, and the stories' texts."""
    rng = np.random.default_rng(seed)
    vocab = _vocab(rng)
    index = dedupe.DedupeIndex()
    story_at = set(np.linspace(0, n - 1, STORIES).astype(int).tolist())
    stories: list[str] = []
    ds = Dataset(folder / "data")
    ds.ensure_writable()
    per_run = -(-n // runs)
    width = 4 * index.num_perm
    meta = {b"newsetl.dedupe": json.dumps(index._params()).encode()}
    for r, start in enumerate(range(0, n, per_run)):
        stop = min(n, start + per_run)
        urls = [f"https://site{k % SOURCES}.example/news/{k}" for k in range(start, stop)]
        ids = [article_id(u) for u in urls]
        sigs = rng.integers(0, 2**32, size=(stop - start, index.num_perm), dtype=np.uint32)
        counts = np.full(stop - start, 400, dtype=np.uint32)
        hashes = [os.urandom(16).hex() for _ in ids]
        texts = ["(text not stored in this benchmark)"] * len(ids)
        for k in sorted(story_at.intersection(range(start, stop))):
            text = " ".join(_words(rng, vocab, 500))
            fp = index.fingerprint(text)
            sigs[k - start], counts[k - start] = fp.signature, fp.shingle_count
            hashes[k - start], texts[k - start] = fp.content_hash, text
            stories.append(text)
        run_id = f"2024{r:010d}"
        index_rows = pa.Table.from_pydict(
            {
                "article_id": pa.array(ids, pa.string()),
                "canonical_url": pa.array(urls, pa.string()),
                "content_hash": pa.array(hashes, pa.string()),
                "signature": pa.Array.from_buffers(
                    pa.binary(width), len(ids), [None, pa.py_buffer(sigs.astype("<u4").tobytes())]
                ),
                "shingle_count": pa.array(counts, pa.uint32()),
                "duplicate_of": pa.nulls(len(ids), pa.string()),
            }
        ).replace_schema_metadata(meta)
        articles = _article_rows(ids, urls, hashes, texts, start, run_id)
        with ds.lock():
            ds.commit(run_id, {"articles": articles}, index_rows=index_rows)
    (folder / "stories.json").write_text(json.dumps({"stories": stories, "n": n}))
    assert HASH_VERSION == json.loads(meta[b"newsetl.dedupe"])["hash_version"]


def new_articles(stories: list[str], count: int, seed: int, run: int) -> list[dict[str, Any]]:
    """``count`` articles as extraction hands them on: a third edited copies of stories."""
    rng = np.random.default_rng(seed * 1000 + run)
    vocab = _vocab(np.random.default_rng(seed))
    out = []
    for k in range(count):
        if k < count // 3:
            words = stories[(k * 7 + run) % len(stories)].split()
            words = words[: int(len(words) * 0.85)]
            for j in rng.integers(0, len(words), size=8):
                words[j] = vocab[int(rng.integers(len(vocab)))]
            text = " ".join(words)
        else:
            text = " ".join(_words(rng, vocab, 450))
        url = f"https://copy{k % SOURCES}.example/run{run}/{k}"
        when = T0 + timedelta(days=400 + run, minutes=k)
        out.append(
            {
                "article_id": article_id(url),
                "url": url,
                "canonical_url": url,
                "title": f"New {run}/{k}",
                "text": text,
                "word_count": len(text.split()),
                "content_hash": dedupe.content_hash(text),
                "published_at": when,
                "fetched_at": when,
                "run_id": f"2025{run:010d}",
                "source": f"copy{k % SOURCES}",
                "month": when.strftime("%Y-%m"),
                "_page": k,
            }
        )
    return out


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


ARTICLE_COLUMNS = [
    "article_id",
    "url",
    "canonical_url",
    "title",
    "text",
    "word_count",
    "content_hash",
    "cluster_id",
    "revision",
    "published_at",
    "fetched_at",
    "run_id",
    "source",
    "month",
]
DUPLICATE_COLUMNS = [
    "url",
    "canonical_url",
    "article_id",
    "duplicate_of",
    "kind",
    "similarity",
    "content_hash",
    "title",
    "fetched_at",
    "run_id",
    "source",
]


def _rows(rows: list[dict[str, Any]], columns: list[str]) -> pa.Table:
    return pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in rows])


def one_run(ds: Dataset, articles: list[dict[str, Any]], run_id: str) -> dict[str, Any]:
    """One run's deduplication as flows/etl.py does it: load the index, decide, commit the
    kept articles, the duplicates and the index rows, keep the index for the next run."""
    kept_before = dedupe.state._KEPT.get((str(ds.root), None))
    reused = kept_before is not None and kept_before[0] == dedupe.dataset_manifest(ds)
    t, c = time.perf_counter(), time.process_time()
    stored = dedupe.load_index(ds)
    t_load, c_load = time.perf_counter(), time.process_time()
    mapped = not reused and stored.dedupe_index._n0 > 0
    outcome = pipeline.deduplicate(articles, stored.dedupe_index, stored.known, stored.revisions)
    t_decide, c_decide = time.perf_counter(), time.process_time()
    rows = dedupe.index_rows_to_commit(
        stored.dedupe_index, rebuilt=stored.rebuilt, added=bool(outcome.kept or outcome.duplicates)
    )
    tables = {
        "articles": _rows(outcome.kept, ARTICLE_COLUMNS),
        "duplicates": _rows(outcome.duplicates, DUPLICATE_COLUMNS),
    }
    with ds.lock():
        ds.commit(run_id, tables, index_rows=rows, replace_index=stored.rebuilt)
        t_commit, c_commit = time.perf_counter(), time.process_time()
        kept = pipeline.keep_index(ds, stored, outcome, None, run_id=run_id)
    t_end, c_end = time.perf_counter(), time.process_time()
    copies = len(articles) // 3
    return {
        "load_s": t_load - t,
        "decide_s": t_decide - t_load,
        "commit_s": t_commit - t_decide,
        "keep_s": t_end - t_commit,
        "total_s": t_end - t,
        "index_cpu_s": (c_decide - c) + (c_end - c_commit),  # load, decide, keep
        "load_cpu_s": c_load - c,
        "rebuilt": stored.rebuilt,
        "reused": reused,
        "mapped": mapped,
        "decisions": hashlib.sha256(
            json.dumps(
                sorted((d["article_id"], d["kind"], d["duplicate_of"]) for d in outcome.duplicates)
                + sorted(a["article_id"] for a in outcome.kept)
            ).encode()
        ).hexdigest()[:16],
        "kept_for_next": kept,
        "stored": len(stored.dedupe_index),
        "caught": sum(d["_page"] < copies for d in outcome.duplicates),
        "copies": copies,
        "new_dropped": sum(d["_page"] >= copies for d in outcome.duplicates),
        "rss_mb": _peak_rss_mb(),
    }


def child(mode: str, data: Path, stories: list[str], new: int, seed: int) -> list[dict[str, Any]]:
    """In a fresh process: the runs of one scenario (``adhoc`` or ``warm``)."""
    ds = Dataset(data)
    # What the stages before deduplication have imported in a real run: not counted here.
    import pyarrow.compute  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    dedupe.fingerprint_many(["warm up"] * 8, workers=1)
    if mode in ("adhoc", "cold"):
        return [one_run(ds, new_articles(stories, new, seed, 1), "2025000000001")]
    dedupe.keep_indexes()  # as flows/warm.py does in an executor
    out = []
    for run in range(1, 5):
        if run == 4:  # a user deletes a partition of the duplicates between two runs
            shutil.rmtree(data / "duplicates" / "source=copy3")
        out.append(one_run(ds, new_articles(stories, new, seed, run), f"2025{run:09d}"))
    return out


def _clone(src: Path, dst: Path, *, snapshot: bool = True) -> None:
    """A copy of a dataset folder whose files are hard links: Parquet files are never
    changed in place (a commit writes new files and renames them), and a save of the
    snapshot only appends past the lengths the original's ``current.json`` records and
    writes its maps and ``current.json`` as new files, so the original stays as built.
    ``snapshot=False``: without the index snapshot."""
    shutil.copytree(src, dst, copy_function=os.link)
    if not snapshot:
        shutil.rmtree(snapshot_folder(Dataset(dst)), ignore_errors=True)


def save_snapshot(data: Path) -> float:
    """Save the snapshot of a built dataset as the commit of its last run would have
    (seconds taken: load from the files, then write)."""
    t = time.perf_counter()
    ds = Dataset(data)
    stored = dedupe.load_index(ds, use_snapshot=False)
    last = sorted(p.name for p in ds.index_dir.glob("part-*.parquet"))[-1].split("-")[1]
    with ds.lock():
        dedupe.keep_index(ds, stored, None, run_id=last, articles=[], duplicates=[])
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=100, help="commits that built the dataset")
    ap.add_argument("--new", type=int, default=1000, help="articles of each measured run")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--save", type=Path, help="keep (or reuse) the built dataset here")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        mode, folder = args.child.split(":", 1)
        stories = json.loads((Path(folder).parent / "stories.json").read_text())["stories"]
        print(json.dumps(child(mode, Path(folder), stories, args.new, args.seed)))
        return 0
    with tempfile.TemporaryDirectory(prefix="newsetl-dedupe-stored-") as tmp:
        base = args.save or Path(tmp) / "built"
        meta = base / "stories.json"
        if not meta.exists() or json.loads(meta.read_text())["n"] != args.articles:
            shutil.rmtree(base, ignore_errors=True)
            t = time.perf_counter()
            build(base, args.articles, args.runs, args.seed)
            print(
                f"built {args.articles:,} stored articles in {args.runs} runs: "
                f"{time.perf_counter() - t:.0f} s (not counted)",
                flush=True,
            )
        if not (snapshot_folder(Dataset(base / "data")) / "current.json").exists():
            took = save_snapshot(base / "data")
            print(f"snapshot of the index saved: {took:.1f} s (load and write; not counted)")
        print(
            f"{args.new:,} new articles per run, a third copies of stored stories; "
            f"load average {os.getloadavg()[0]:.2f}"
        )
        bad = 0
        figures: dict[str, Any] = {"articles": args.articles, "new": args.new}
        for mode in ("adhoc", "cold", "warm"):
            work = Path(tmp) / f"stories-{mode}"
            work.mkdir()
            shutil.copy(meta, work / "stories.json")
            _clone(base / "data", work / "data", snapshot=mode != "cold")
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    f"{mode}:{work / 'data'}",
                    "--new",
                    str(args.new),
                    "--seed",
                    str(args.seed),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode:
                sys.stderr.write(out.stderr)
                return 1
            results = json.loads(out.stdout.strip().splitlines()[-1])
            figures[mode] = [
                {**r, "index_s": r["load_s"] + r["decide_s"] + r["keep_s"]} for r in results
            ]
            for n, r in enumerate(results, 1):
                how = "kept in memory" if r["reused"] else "loaded from the files"
                how = "mapped from the snapshot" if r["mapped"] else how
                if mode == "warm" and n == 4:
                    how += " (a partition of duplicates deleted since)"
                index_s = r["load_s"] + r["decide_s"] + r["keep_s"]
                print(
                    f"{mode:>5} run {n}: index {index_s:.2f} s, CPU {r['index_cpu_s']:.2f} s "
                    f"(load {r['load_s']:.2f} s, CPU {r['load_cpu_s']:.2f} s; decide "
                    f"{r['decide_s']:.2f} s; keep {r['keep_s']:.2f} s), {how}"
                    f"{', rebuilt' if r['rebuilt'] else ''}; commit of the run's rows "
                    f"{r['commit_s']:.2f} s apart; {r['stored']:,} stored; copies caught "
                    f"{r['caught']}/{r['copies']}, new dropped {r['new_dropped']}; peak RSS "
                    f"{r['rss_mb']:,.0f} MB",
                    flush=True,
                )
                bad += r["caught"] != r["copies"] or r["new_dropped"] != 0
            shutil.rmtree(work)
        if figures["adhoc"][0]["decisions"] != figures["cold"][0]["decisions"]:
            print("decisions differ between the mapped snapshot and the files: a bug")
            bad += 1
        print(f"load average {os.getloadavg()[0]:.2f}")
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2))
            print(f"figures written to {args.json}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
