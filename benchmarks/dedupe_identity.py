"""Behaviour identity of the deduplication: one digest of everything it decides and stores.

    python benchmarks/dedupe_identity.py [--expect DIGEST]

A seeded corpus of 9,000 candidates (1,500 stories; copies edited, truncated, extended,
upper-cased or replaced by a short text; ids reused so that some are the same URL; dates
missing on 30%) is decided in four batches, the index written with ``to_arrow``, read back
with ``from_arrow`` (its band keys loaded lazily), then a small batch (answered from the
lazy keys) and a big one (which hashes them) decided against it; also one batch of all with
another threshold, and the fingerprints of all texts in two worker processes. The digest
covers every ``Decision`` field, every column, row and the metadata of the stored tables,
and the fingerprints. Run it in two checkouts (each with its own Python) and compare the
digests: equal digests mean the same decisions and the same stored index. ``--expect``
exits 1 when the digest differs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import string
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from newsetl.dedupe import Candidate, Decision, DedupeIndex, fingerprint_arrays, shutdown_workers


def corpus(seed: int = 11, n: int = 9000) -> list[Candidate]:
    rng = np.random.default_rng(seed)
    letters = np.array(list(string.ascii_lowercase))
    vocab = ["".join(rng.choice(letters, size=int(rng.integers(2, 9)))) for _ in range(5000)]

    def words(m: int) -> list[str]:
        return [vocab[i] for i in rng.integers(0, len(vocab), size=m)]

    def variant(base: list[str]) -> str:
        b = list(base)
        kind = int(rng.integers(0, 6))
        if kind == 0:  # scattered edits
            for i in np.flatnonzero(rng.random(len(b)) < rng.uniform(0, 0.4)):
                b[i] = vocab[int(rng.integers(0, len(vocab)))]
        elif kind == 1:  # truncated
            b = b[: int(len(b) * rng.uniform(0.3, 1.0)) + 1]
        elif kind == 2:  # extended
            b = b + words(int(rng.integers(1, 400)))
        elif kind == 3:  # the same text after normalisation
            b = [w.upper() for w in b]
        elif kind == 4:  # a short text
            b = words(int(rng.integers(1, 8)))
        return " ".join(b)

    stories = [words(int(rng.integers(20, 700))) for _ in range(1500)]
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    out = []
    for k in range(n):
        story = stories[int(rng.integers(0, len(stories)))]
        text = variant(story) if rng.random() < 0.6 else " ".join(story)
        aid = f"id{int(rng.integers(0, 8000))}"
        published = None
        if rng.random() >= 0.3:
            published = (t0 + timedelta(hours=int(rng.integers(0, 5000)))).isoformat()
        out.append(
            Candidate(
                aid,
                f"https://x.example/{aid}",
                f"https://x.example/{aid}?v={k}",
                text,
                title=f"t{k}",
                fetched_at=f"2026-01-01T00:00:{k % 60:02d}Z",
                published_at=published,
            )
        )
    return out


def _decisions(decisions: list[Decision]) -> list[tuple[Any, ...]]:
    return [
        (d.article_id, d.kept, d.kind, d.duplicate_of, d.similarity, d.cluster_id)
        for d in decisions
    ]


def _table(table: pa.Table) -> str:
    h = hashlib.sha256(repr(table.schema.metadata).encode())
    for name in table.column_names:
        h.update(name.encode())
        h.update(repr(table[name].to_pylist()).encode())
    return h.hexdigest()


def measure() -> dict[str, Any]:
    cands = corpus()
    digest = hashlib.sha256()

    def feed(label: str, value: object) -> None:
        digest.update(label.encode())
        digest.update(repr(value).encode())

    index = DedupeIndex()
    decided: list[tuple[Any, ...]] = []
    for i in range(0, 6000, 1500):
        decided += _decisions(index.decide(cands[i : i + 1500], workers=1))
    feed("batches", decided)
    stored = index.to_arrow()
    feed("index", _table(stored))
    loaded = DedupeIndex.from_arrow(stored)
    small = _decisions(loaded.decide(cands[6000:6050], workers=1))
    big = _decisions(loaded.decide(cands[6050:], workers=1))
    feed("small", small)
    feed("big", big)
    feed("since", _table(loaded.to_arrow(since=loaded.loaded_mark)))
    feed("all", _table(loaded.to_arrow()))
    feed("threshold", _decisions(DedupeIndex(threshold=0.6).decide(cands, workers=1)))
    try:
        hashes, sigs, counts, words = fingerprint_arrays([c.text for c in cands], workers=2)
    finally:
        shutdown_workers()
    feed("fingerprints", (hashes, hashlib.sha256(sigs.tobytes()).hexdigest(), counts, words))
    kinds: dict[str, int] = {}
    for d in decided + small + big:
        kinds[str(d[2])] = kinds.get(str(d[2]), 0) + 1
    return {"digest": digest.hexdigest(), "decisions": kinds, "index_rows": stored.num_rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expect", help="the digest of another checkout: exit 1 if different")
    args = parser.parse_args()
    result = measure()
    print(json.dumps(result))
    if args.expect and args.expect != result["digest"]:
        print(f"digest differs from {args.expect}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
