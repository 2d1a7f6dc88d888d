"""Deduplication benchmarks: quality on edited copies of real articles, and speed at scale.

    python benchmarks/dedupe.py --quality [--devset PATH] [--seed N] [--threshold J]
    python benchmarks/dedupe.py --scale 10000,100000,1000000 [--batch 20000] [--save DIR]
    python benchmarks/dedupe.py --incremental 1000000 [--new 1000] [--save DIR] [--rebuild]
    python benchmarks/dedupe.py --vs-datasketch 2000 [--repeat 3]

Quality: every article body of the extraction devset (``../shared/extraction-devset``, read in
place, never copied) is a story. Each story gets 0-4 copies with the edits news sites make
when they republish (headline/byline/boilerplate lines, a paragraph cut or added, reworded
sentences, whitespace/punctuation/case changes, truncation to 60-90%), generated with a fixed
seed. Hard negatives are new stories: another story's paragraphs plus a long quoted passage
from a kept story, a short brief built around such a quote, and stories of one source that
share the same footer. The stories are fed to ``DedupeIndex.decide`` in three runs (batches)
in a seeded order. Printed: pair precision/recall, recall on copies keeping >= 70% of the
text, adjusted Rand index, and the number of distinct stories merged.

Scale: synthetic 500-700-word articles drawn with numpy from a Zipf-distributed vocabulary,
20% of them edited copies (truncated to 70-100%, 10 words replaced) of recent originals. Each
batch (``--batch``, default 10,000) is fingerprinted with ``fingerprint_many`` (worker
processes) and decided with one ``DedupeIndex.decide``; the index keeps growing, as in one
long run. Generating texts, URLs and ids and starting the workers are timed apart and not
counted. Each size runs in its own process so that peak RSS (VmHWM) is per size; the
workers' peaks are printed apart. With ``--save DIR`` the index is also written as Parquet
(zstd) for ``--incremental``.

Incremental: the index of N articles (built as for ``--scale`` unless ``DIR`` has it) is
read back in a fresh process: read the Parquet file, ``DedupeIndex.from_arrow`` (LSH
included), fingerprint and decide ``--new`` articles of which a third are edited copies of
stored ones, ``to_arrow(since=mark)`` of the rows to append. Each step's seconds and RSS.

Vs datasketch: the library newsetl's MinHash would otherwise come from, on the same N texts
of the ``--scale`` generator, in one process (best of ``--repeat``). Fingerprints from raw
text: ``fingerprint_arrays(texts, workers=1)`` against the word shingles of
``normalize_text`` (built in Python, timed) fed to ``MinHash.bulk`` (``MinHash(num_perm)``
plus ``update_batch`` per text). LSH: ``DedupeIndex.decide`` on the precomputed
fingerprints, as ``--scale`` runs it (candidates verified, kept rows inserted), against
``MinHashLSH(threshold=0.4)`` inserting all N, then querying all N (candidates only).
Accuracy: on N/2 pairs (edited copies as ``--scale`` makes them, heavier rewrites, and
unrelated texts), the mean absolute error of each estimated Jaccard against the exact
Jaccard of the two shingle sets. Ratios are datasketch time / newsetl time.
"""

from __future__ import annotations

import argparse
import json
import operator
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from newsetl import dedupe
from newsetl.dedupe import Candidate, DedupeIndex, fingerprints
from newsetl.settings import available_cpus
from newsetl.urls import article_id

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT.parent / "shared" / "extraction-devset" / "ground-truth.json"

HEADLINES = ["BREAKING:", "UPDATED", "Exclusive", "Analysis", "Report", "WATCH", "Opinion"]
BYLINES = [
    "By Staff Reporter",
    "By Wire Services",
    "By Jane Doe, Senior Correspondent",
    "From our partners at the Regional Wire",
    "Reporting by Alex Chen; editing by Sam Patel",
]
BOILERPLATE = [
    "Sign up for our morning newsletter to get the day's top stories.",
    "Follow us on Twitter and Facebook for the latest updates.",
    "This article originally appeared on a partner site and is republished with permission.",
    "Advertisement",
    "Share this article",
    "Copyright 2024. All rights reserved. This material may not be published, broadcast, "
    "rewritten or redistributed.",
    "Read more: related coverage",
]
FILLER = (
    "officials said on monday that the plan would be reviewed again next month after further "
    "talks with residents local businesses and community groups who have raised concerns "
    "about the timing and the cost of the project which has been delayed several times"
).split()


# ---------------------------------------------------------------- quality data


@dataclass
class Item:
    url: str
    text: str
    story: int  # true cluster
    kept_share: float | None = None  # for a copy: share of the original's words it keeps
    edits: str = ""


def _paragraphs(text: str) -> list[str]:
    paras = [p.strip() for p in re.split(r"\n\s*\n|\n", text) if p.strip()]
    return paras or [text]


def _sentences(paragraph: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", paragraph) if s]


def _reword(sentence: str, rng: random.Random) -> str:
    words = sentence.split()
    if len(words) < 6:
        return sentence
    out = list(words)
    for _ in range(max(1, len(words) // 8)):
        i = rng.randrange(len(out))
        op = rng.random()
        if op < 0.4:
            out[i] = rng.choice(FILLER)
        elif op < 0.7 and len(out) > 6:
            del out[i]
        elif i + 1 < len(out):
            out[i], out[i + 1] = out[i + 1], out[i]
    return " ".join(out)


def _new_paragraph(rng: random.Random, donors: list[str]) -> str:
    """Text no story has: words of another article, shuffled."""
    words = rng.choice(donors).split()
    start = rng.randrange(max(1, len(words) - 60))
    chunk = words[start : start + rng.randint(25, 60)]
    rng.shuffle(chunk)
    return " ".join(chunk) + "."


def _make_copy(text: str, rng: random.Random, donors: list[str]) -> tuple[str, float, str]:
    paras = _paragraphs(text)
    total = len(text.split())
    edits = []
    kept = 1.0
    # truncation to 60-90% of the words (a teaser or a cut syndication feed)
    if rng.random() < 0.4:
        share = rng.uniform(0.6, 0.9)
        words = text.split()
        keep = int(len(words) * share)
        out, n = [], 0
        for p in paras:
            pw = p.split()
            if n + len(pw) > keep:
                out.append(" ".join(pw[: keep - n]))
                break
            out.append(p)
            n += len(pw)
        paras = [p for p in out if p]
        kept = keep / total
        edits.append(f"truncated {share:.2f}")
    # a paragraph cut
    if len(paras) > 4 and rng.random() < 0.5:
        i = rng.randrange(1, len(paras))
        kept -= len(paras[i].split()) / total
        del paras[i]
        edits.append("paragraph cut")
    # a paragraph added
    if rng.random() < 0.5:
        paras.insert(rng.randrange(len(paras) + 1), _new_paragraph(rng, donors))
        edits.append("paragraph added")
    # sentences reworded
    if rng.random() < 0.5:
        n_changed = 0
        for i, p in enumerate(paras):
            sents = _sentences(p)
            for j, s in enumerate(sents):
                if rng.random() < 0.15:
                    sents[j] = _reword(s, rng)
                    n_changed += 1
            paras[i] = " ".join(sents)
        edits.append(f"reworded {n_changed}")
    # headline, byline, boilerplate lines
    if rng.random() < 0.6:
        head = [f"{rng.choice(HEADLINES)} {' '.join(rng.sample(FILLER, 6)).capitalize()}"]
        head.append(rng.choice(BYLINES))
        tail = rng.sample(BOILERPLATE, rng.randint(1, 3))
        paras = head + paras + tail
        edits.append("headline/byline/boilerplate")
    out = "\n\n".join(paras)
    # whitespace, punctuation, case
    if rng.random() < 0.4:
        out = out.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
        out = re.sub(r" ", lambda _: "  " if rng.random() < 0.05 else " ", out)
        out = out.replace(" - ", " \u2014 ")
        if rng.random() < 0.3:
            out = out.upper()
        edits.append("whitespace/punctuation")
    return out, max(0.0, kept), ", ".join(edits) or "none"


def build_quality_set(path: Path, seed: int) -> list[Item]:
    data = json.loads(path.read_text(encoding="utf-8"))
    rng = random.Random(seed)
    bodies = []
    for key in sorted(data):
        body = (data[key].get("articleBody") or "").strip()
        if len(body.split()) >= 60:
            bodies.append((key, body, data[key].get("url") or f"https://devset.example/{key}"))
    rng.shuffle(bodies)
    donors = [b for _, b, _ in bodies]
    n_quote = len(bodies) // 4  # these bodies become hard negatives, not originals
    originals, spare = bodies[n_quote:], bodies[:n_quote]
    items: list[Item] = []
    for story, (key, body, url) in enumerate(originals):
        items.append(Item(url, body, story, 1.0, "original"))
        for c in range(rng.choice([0, 1, 1, 2, 2, 3, 4])):
            text, kept, edits = _make_copy(body, rng, donors)
            items.append(Item(f"https://copy{c}.example/{key}", text, story, kept, edits))
    story = len(originals)
    # hard negatives, each a story of its own built from bodies no other item uses:
    # a story quoting a long passage (a statement) of a kept story; a short brief of its own
    # lead plus such a quote; stories of one source that share the same footer
    quoted = [body for _, body, _ in originals if len(body.split()) >= 300]
    footer = (
        "About the Daily Ledger: the Daily Ledger is an independent newspaper serving the "
        "county since 1887. Our journalism is supported by readers. Subscribe today to get "
        "unlimited access to local news, opinion, obituaries and the weekend magazine, and "
        "sign up for our breaking news alerts."
    )
    for n, (key, body, _) in enumerate(spare):
        target = rng.choice(quoted).split()
        length = rng.randint(60, 120)
        start = rng.randrange(max(1, len(target) - length))
        quote = '"' + " ".join(target[start : start + length]) + '," the statement said.'
        kind = ("quote", "brief", "footer")[n % 3]
        if kind == "quote":
            paras = _paragraphs(body)
            paras.insert(rng.randrange(1, len(paras) + 1), quote)
            text = "\n\n".join(paras)
        elif kind == "brief":
            text = " ".join(body.split()[:100]) + "\n\n" + quote
        else:
            text = body + "\n\n" + footer
        items.append(Item(f"https://{kind}.example/{key}", text, story, None, kind))
        story += 1
    return items


# ---------------------------------------------------------------- metrics


def _c2(n: int) -> int:
    return n * (n - 1) // 2


def adjusted_rand_index(truth: list[int], pred: list[str]) -> float:
    """Adjusted Rand index of two clusterings of the same items (Hubert and Arabie)."""
    cells = Counter(zip(truth, pred, strict=True))
    index = sum(_c2(n) for n in cells.values())
    a = sum(_c2(n) for n in Counter(truth).values())
    b = sum(_c2(n) for n in Counter(pred).values())
    total = _c2(len(truth))
    expected = a * b / total if total else 0.0
    maximum = (a + b) / 2
    return 1.0 if maximum == expected else (index - expected) / (maximum - expected)


def run_quality(args: argparse.Namespace) -> int:
    path = Path(args.devset)
    if not path.exists():
        print(f"no devset at {path}: pass --devset PATH to ground-truth.json", file=sys.stderr)
        return 2
    items = build_quality_set(path, args.seed)
    rng = random.Random(args.seed + 1)
    order = list(range(len(items)))
    rng.shuffle(order)
    index = DedupeIndex(
        num_perm=args.num_perm,
        threshold=args.threshold,
        containment_threshold=args.containment,
        shingle_size=args.shingle_size,
        bands=args.bands,
        min_length_ratio=args.min_ratio,
    )
    cands = {
        i: Candidate(article_id(it.url), it.url, it.url, it.text) for i, it in enumerate(items)
    }
    t0 = time.perf_counter()
    pred: dict[int, str] = {}
    sims: dict[int, float | None] = {}
    for run in range(3):  # three runs: across-run and within-run decisions
        part = order[run::3]
        for i, d in zip(part, index.decide([cands[i] for i in part]), strict=True):
            pred[i] = d.cluster_id
            sims[i] = d.similarity
    elapsed = time.perf_counter() - t0

    truth = [it.story for it in items]
    labels = [pred[i] for i in range(len(items))]
    cells = Counter(zip(truth, labels, strict=True))
    tp = sum(_c2(n) for n in cells.values())
    true_pairs = sum(_c2(n) for n in Counter(truth).values())
    pred_pairs = sum(_c2(n) for n in Counter(labels).values())
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    stories_of: dict[str, set[int]] = defaultdict(set)
    for t, p in zip(truth, labels, strict=True):
        stories_of[p].add(t)
    merged = sum(_c2(len(s)) for s in stories_of.values())

    original_of = {it.story: i for i, it in enumerate(items) if it.edits == "original"}
    copies = [
        (i, it)
        for i, it in enumerate(items)
        if it.kept_share is not None and it.edits != "original"
    ]
    caught = [pred[i] == pred[original_of[it.story]] for i, it in copies]
    hi = [(i, it) for i, it in copies if it.kept_share >= 0.7]
    caught_hi = [pred[i] == pred[original_of[it.story]] for i, it in hi]

    print(
        f"items {len(items)}: stories {len(set(truth))}, copies {len(copies)} "
        f"(keeping >= 70%: {len(hi)}), hard negatives "
        f"{sum(it.edits in ('quote', 'brief', 'footer') for it in items)}"
    )
    print(
        f"parameters: threshold {index.threshold}, containment {index.containment_threshold}, "
        f"min length ratio {index.min_length_ratio}, shingle {index.shingle_size} words, "
        f"{index.num_perm} permutations, {index.bands} bands x {index.rows_per_band} rows"
    )
    print(
        f"pair precision {precision:.4f}  pair recall {recall:.4f}  "
        f"(pairs: true {true_pairs}, predicted {pred_pairs}, both {tp})"
    )
    print(
        f"copy recall {np.mean(caught):.4f}  on copies keeping >= 70%: {np.mean(caught_hi):.4f} "
        f"({sum(caught_hi)}/{len(hi)})"
    )
    print(f"adjusted Rand index {adjusted_rand_index(truth, labels):.4f}")
    print(f"distinct stories merged: {merged}")
    print(f"decide time {elapsed:.2f} s for {len(items)} items")
    if args.verbose:
        for i, it in hi:
            if pred[i] != pred[original_of[it.story]]:
                print(f"  missed (keeps {it.kept_share:.2f}): {it.edits}")
        for p, s in stories_of.items():
            if len(s) > 1:
                print(
                    f"  merged stories {sorted(s)}: {[items[i].edits for i in range(len(items)) if pred[i] == p]}"
                )
    return 0


# ---------------------------------------------------------------- scale


class Corpus:
    """Synthetic ~600-word articles: token ids drawn from a Zipf-like vocabulary (numpy), a
    share of them edited copies (truncated to 70-100%, 10 words replaced) of recent originals.
    Texts are joined from the token ids; nothing is hashed here."""

    def __init__(self, seed: int, dup_share: float = 0.2, words: int = 600) -> None:
        self.rng = np.random.default_rng(seed)
        self.vocab = _vocabulary(self.rng)
        p = 1.0 / np.arange(1, len(self.vocab) + 1) ** 1.05
        # a 2**22-entry table turns uniform draws into Zipf draws with one lookup
        cdf = np.cumsum(p / p.sum())
        self.table = np.searchsorted(cdf, (np.arange(1 << 22) + 0.5) / (1 << 22)).astype(np.int32)
        self.table = np.minimum(self.table, len(self.vocab) - 1)
        self.dup_share = dup_share
        self.words = words
        self.recent: list[np.ndarray] = []  # token ids of originals that copies are made from
        self.copies = 0

    def _draw(self, shape: tuple[int, ...]) -> np.ndarray:
        return self.table[self.rng.integers(0, 1 << 22, size=shape, dtype=np.int32)]

    def text(self, tokens: np.ndarray) -> str:
        return " ".join(operator.itemgetter(*tokens.tolist())(self.vocab))

    def copy_of(self, tokens: np.ndarray) -> np.ndarray:
        keep = int(len(tokens) * self.rng.uniform(0.7, 1.0))
        out = tokens[:keep].copy()
        out[self.rng.integers(0, keep, size=10)] = self._draw((10,))
        return out

    def batch(self, size: int) -> list[str]:
        lengths = self.rng.integers(self.words - 100, self.words + 100, size=size)
        draws = self._draw((size, self.words + 100))
        is_copy = self.rng.random(size) < self.dup_share
        texts = []
        for k in range(size):
            if is_copy[k] and self.recent:
                tokens = self.copy_of(self.recent[int(self.rng.integers(len(self.recent)))])
                self.copies += 1
            else:
                tokens = draws[k, : lengths[k]].copy()  # not a view: the batch is freed
                if len(self.recent) < 5000:
                    self.recent.append(tokens)
                else:
                    self.recent[int(self.rng.integers(5000))] = tokens
            texts.append(self.text(tokens))
        return texts


def _vocabulary(rng: np.random.Generator, size: int = 60_000) -> list[str]:
    letters = np.array(list("etaoinshrdlcumwfgypbvk"))
    words: set[str] = set()
    while len(words) < size:
        lengths = rng.integers(2, 11, size=size)
        chars = rng.choice(letters, size=(size, 10))
        words.update(
            "".join(row[:n]) for row, n in zip(chars.tolist(), lengths.tolist(), strict=True)
        )
    return sorted(words)[:size]


def _peak_rss_mb(pid: int | str = "self") -> float:
    """Peak resident memory (VmHWM) of a process, MB; 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _worker_peaks() -> dict[int, float]:
    pool = fingerprints._pool
    if pool is None:
        return {}
    return {pid: _peak_rss_mb(pid) for pid in list(getattr(pool, "_processes", {}) or {})}


def _scale_one(n: int, batch: int, seed: int, dup_share: float, save: str) -> dict[str, Any]:
    corpus = Corpus(seed, dup_share)
    index = DedupeIndex()
    t_gen = t_fp = t_decide = 0.0
    dropped = made = 0
    workers: dict[int, float] = {}
    rss0 = _peak_rss_mb()
    t = time.perf_counter()  # start the worker processes (once per process): not counted
    if n >= fingerprints.PARALLEL_MIN:
        index.fingerprint_many(["warm up"] * fingerprints.PARALLEL_MIN)
    t_start = time.perf_counter() - t
    while made < n:
        size = min(batch, n - made)
        t = time.perf_counter()
        texts = corpus.batch(size)
        t_gen += time.perf_counter() - t
        t = time.perf_counter()
        fps = index.fingerprint_many(texts)  # worker processes from PARALLEL_MIN texts on
        t_fp += time.perf_counter() - t
        workers.update(_worker_peaks())
        del texts
        t = time.perf_counter()
        cands = []
        for k, fp in enumerate(fps):
            url = f"https://site{(made + k) % 97}.example/a/{made + k}"
            cands.append(Candidate(article_id(url), url, url, "", fingerprint=fp))
        t_gen += time.perf_counter() - t  # URLs and ids are not deduplication work
        t = time.perf_counter()
        dropped += sum(not d.kept for d in index.decide(cands))
        t_decide += time.perf_counter() - t
        made += size
    out: dict[str, Any] = {
        "n": n,
        "generate_s": t_gen,
        "pool_start_s": t_start,
        "fingerprint_s": t_fp,
        "decide_s": t_decide,
        "dropped": dropped,
        "copies": corpus.copies,
        "kept": len(index),
        "peak_rss_mb": _peak_rss_mb(),
        "start_rss_mb": rss0,
        "worker_peak_rss_mb": sorted(workers.values()),
        "index_arrays_mb": (
            index._sigs[: index._n].nbytes
            + index._counts[: index._n].nbytes
            + index._reps[: index._n].nbytes
            + index._lsh.nbytes
        )
        / 2**20,
    }
    if save:
        # the index as the flow stores it, and originals that the incremental run copies
        path = Path(save)
        path.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        table = index.to_arrow()
        pq.write_table(table, path / f"index-{n}.parquet", compression="zstd")
        out["write_parquet_s"] = time.perf_counter() - t
        out["parquet_mb"] = (path / f"index-{n}.parquet").stat().st_size / 2**20
        recent = corpus.recent[:500]
        np.save(path / f"originals-{n}.npy", np.array([np.resize(r, 700) for r in recent]))
        np.save(path / f"lengths-{n}.npy", np.array([len(r) for r in recent]))
    return out


def _run_child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if out.returncode:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"child {args} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def run_scale(args: argparse.Namespace) -> int:
    sizes = [int(s) for s in args.scale.split(",") if s.strip()]
    results = []
    print(f"scale: batches of {args.batch:,}, {available_cpus()} cores, {_load()}", flush=True)
    for n in sizes:
        save = ["--save", args.save] if args.save else []  # --incremental can reuse the index
        r = _run_child(
            ["--scale-one", str(n), "--batch", str(args.batch), "--seed", str(args.seed), *save]
        )
        results.append(r)
        total = r["fingerprint_s"] + r["decide_s"]
        prev = results[-2] if len(results) > 1 else None
        growth = ""
        if prev:
            ptotal = prev["fingerprint_s"] + prev["decide_s"]
            growth = (
                f"; vs {prev['n']:,}: size x{n / prev['n']:.0f}, time x{total / ptotal:.2f} "
                f"(decide x{r['decide_s'] / prev['decide_s']:.2f}), "
                f"per-article time x{(total / n) / (ptotal / prev['n']):.2f}"
            )
        workers = r["worker_peak_rss_mb"]
        print(
            f"{n:>9,} articles: {total:7.1f} s ({n / total:,.0f} articles/s; fingerprint "
            f"{r['fingerprint_s']:.1f} s, decide {r['decide_s']:.1f} s; generation "
            f"{r['generate_s']:.1f} s and worker start {r['pool_start_s']:.1f} s not counted), kept {r['kept']:,}, dropped "
            f"{r['dropped']:,} (copies made {r['copies']:,}); peak RSS {r['peak_rss_mb']:,.0f} MB"
            f" + workers {'/'.join(f'{w:,.0f}' for w in workers) or '-'} MB; index arrays "
            f"{r['index_arrays_mb']:,.0f} MB ({r['index_arrays_mb'] * 2**20 / n:,.0f} B/article)"
            f"{growth}; {_load()}",
            flush=True,
        )
    return 0


def _incremental_child(n: int, new: int, save: str, seed: int) -> dict[str, Any]:
    """In a fresh process: read the stored index, rebuild it, decide ``new`` articles."""
    path = Path(save)
    out: dict[str, Any] = {"rss_start_mb": _peak_rss_mb()}
    t = time.perf_counter()
    table = pq.read_table(path / f"index-{n}.parquet")
    out["read_s"] = time.perf_counter() - t
    out["rss_after_read_mb"] = _peak_rss_mb()
    t = time.perf_counter()
    index = DedupeIndex.from_arrow(table)
    out["from_arrow_s"] = time.perf_counter() - t
    out["rows"] = table.num_rows
    del table
    out["rss_after_from_arrow_mb"] = _peak_rss_mb()
    # new articles: a third are edited copies of stored originals, the rest new stories
    corpus = Corpus(seed, dup_share=0.0)  # the same vocabulary as the stored articles
    corpus.rng = np.random.default_rng(seed + 1)  # other draws
    originals = np.load(path / f"originals-{n}.npy")
    lengths = np.load(path / f"lengths-{n}.npy")
    texts = corpus.batch(new)
    n_copies = new // 3
    for k in range(n_copies):
        i = k % len(originals)
        texts[k] = corpus.text(corpus.copy_of(originals[i, : lengths[i]]))
    mark = index.mark()
    t = time.perf_counter()
    fps = index.fingerprint_many(texts, workers=1)
    out["fingerprint_s"] = time.perf_counter() - t
    cands = []
    for k, fp in enumerate(fps):
        url = f"https://new.example/a/{k}"
        cands.append(Candidate(article_id(url), url, url, "", fingerprint=fp))
    t = time.perf_counter()
    decisions = index.decide(cands)
    out["decide_s"] = time.perf_counter() - t
    out["copies"] = n_copies
    out["copies_caught"] = sum(d.kind == "near_duplicate" for d in decisions[:n_copies])
    out["new_dropped"] = sum(not d.kept for d in decisions[n_copies:])
    t = time.perf_counter()
    added = index.to_arrow(since=mark)
    out["to_arrow_since_s"] = time.perf_counter() - t
    out["rows_added"] = added.num_rows
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


def run_incremental(args: argparse.Namespace) -> int:
    n = int(args.incremental)
    save = args.save or str(Path(tempfile.gettempdir()) / "newsetl-dedupe-bench")
    print(f"incremental: {args.new:,} new articles into {n:,}; {_load()}", flush=True)
    if args.rebuild or not (Path(save) / f"index-{n}.parquet").exists():
        r = _run_child(
            [
                "--scale-one",
                str(n),
                "--batch",
                str(args.batch),
                "--seed",
                str(args.seed),
                "--save",
                save,
            ]
        )
        print(
            f"built the {n:,}-article index: {r['fingerprint_s'] + r['decide_s']:.1f} s; "
            f"to_arrow + Parquet (zstd) {r['write_parquet_s']:.1f} s, {r['parquet_mb']:,.0f} MB",
            flush=True,
        )
    r = _run_child(
        [
            "--incremental-one",
            str(n),
            "--new",
            str(args.new),
            "--save",
            save,
            "--seed",
            str(args.seed),
        ]
    )
    total = r["read_s"] + r["from_arrow_s"] + r["fingerprint_s"] + r["decide_s"]
    print(
        f"fresh process: read Parquet {r['read_s']:.2f} s (RSS {r['rss_after_read_mb']:,.0f} MB), "
        f"from_arrow + LSH {r['from_arrow_s']:.2f} s (RSS {r['rss_after_from_arrow_mb']:,.0f} MB; "
        f"{r['rows']:,} rows), fingerprint {args.new:,} {r['fingerprint_s']:.2f} s, decide "
        f"{r['decide_s']:.2f} s, to_arrow(since) {r['to_arrow_since_s']:.3f} s "
        f"({r['rows_added']:,} rows); total {total:.1f} s; peak RSS {r['peak_rss_mb']:,.0f} MB",
        flush=True,
    )
    print(
        f"copies of stored articles caught {r['copies_caught']}/{r['copies']}; new stories "
        f"dropped {r['new_dropped']}; {_load()}"
    )
    return 0


# ---------------------------------------------------------------- vs datasketch


def _word_shingles(text: str, k: int) -> list[bytes]:
    """Word ``k``-shingles of ``normalize_text(text)`` as UTF-8, the set newsetl hashes (a
    text of fewer than ``k`` words is one shingle of all its words)."""
    norm = dedupe.normalize_text(text)
    if not norm:
        return []
    words = norm.split(" ")
    if len(words) < k:
        return [norm.encode("utf-8")]
    return [" ".join(words[i : i + k]).encode("utf-8") for i in range(len(words) - k + 1)]


def _edited_pairs(corpus: Corpus, n: int) -> list[tuple[str, str, str]]:
    """``n`` (kind, text, other text) pairs: half ``copy`` (``Corpus.copy_of``: truncated to
    70-100%, 10 words replaced), a quarter ``rewrite`` (truncated to 30-100%, 2-30% of the
    words replaced: Jaccard spread over 0.05-0.9), a quarter ``unrelated`` (two drawings)."""
    rng = corpus.rng
    pairs = []
    for k in range(n):
        kind = ("copy", "rewrite", "copy", "unrelated")[k % 4]
        a = corpus._draw((int(rng.integers(500, 701)),))
        if kind == "copy":
            b = corpus.copy_of(a)
        elif kind == "rewrite":
            keep = int(len(a) * rng.uniform(0.3, 1.0))
            b = a[:keep].copy()
            m = int(keep * rng.uniform(0.02, 0.3))
            b[rng.integers(0, keep, size=m)] = corpus._draw((m,))
        else:
            b = corpus._draw((int(rng.integers(500, 701)),))
        pairs.append((kind, corpus.text(a), corpus.text(b)))
    return pairs


def _best_of(repeat: int, fn: Any) -> tuple[float, Any]:
    """Fewest seconds of ``repeat`` calls of ``fn`` and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def run_vs_datasketch(args: argparse.Namespace) -> int:
    try:
        from datasketch import MinHash, MinHashLSH
    except ImportError:
        print("datasketch is not installed: uv sync (it is in the dev group)", file=sys.stderr)
        return 2
    n, k, perms, rep = args.vs_datasketch, args.shingle_size, args.num_perm, args.repeat
    corpus = Corpus(args.seed)
    texts = corpus.batch(n)
    peer = version("datasketch")
    print(
        f"vs datasketch {peer}: {n:,} synthetic texts (500-700 words, "
        f"{corpus.copies:,} edited copies), {perms} permutations, {k}-word shingles, best of "
        f"{rep}; {available_cpus()} cores, {_load()}",
        flush=True,
    )
    # warm up both (permutation tables, numpy and hashlib first calls): not counted
    dedupe.fingerprint_arrays(texts[:20], workers=1, num_perm=perms, shingle_size=k)
    MinHash.bulk([_word_shingles(t, k) for t in texts[:20]], num_perm=perms)

    # fingerprints: raw text -> signature, normalisation and shingling included for both
    t_ours, arrays = _best_of(
        rep, lambda: dedupe.fingerprint_arrays(texts, workers=1, num_perm=perms, shingle_size=k)
    )
    t_shingle, shingles = _best_of(rep, lambda: [_word_shingles(t, k) for t in texts])
    t_mh, mhs = _best_of(rep, lambda: MinHash.bulk(shingles, num_perm=perms))
    t_theirs = t_shingle + t_mh

    # LSH: newsetl's decide (band lookups, verification, inserts) as --scale runs it;
    # datasketch: insert all, then query all (candidates only, not verified)
    fps = fingerprints._as_fingerprints(arrays)
    cands = []
    for i, fp in enumerate(fps):
        url = f"https://site{i % 97}.example/a/{i}"
        cands.append(Candidate(article_id(url), url, url, "", fingerprint=fp))
    index = DedupeIndex(num_perm=perms, shingle_size=k)
    t_decide, decisions = _best_of(
        rep, lambda: DedupeIndex(num_perm=perms, shingle_size=k).decide(cands)
    )
    dropped = sum(not d.kept for d in decisions)

    def insert_all() -> MinHashLSH:
        lsh = MinHashLSH(threshold=0.4, num_perm=perms)
        for i, m in enumerate(mhs):
            lsh.insert(i, m)
        return lsh

    t_insert, lsh = _best_of(rep, insert_all)
    t_query, found = _best_of(rep, lambda: [lsh.query(m) for m in mhs])
    t_lsh = t_insert + t_query
    with_cand = sum(len(f) > 1 for f in found)
    cand_pairs = sum(len(f) - 1 for f in found) // 2

    def row(what: str, ours: float, theirs: float) -> None:
        print(f"{what:<34} {ours:9.3f} s {theirs:10.3f} s {theirs / ours:10.1f}x")

    print(f"{'':<34} {'newsetl':>11} {'datasketch':>12} {'ratio':>11}")
    row(f"fingerprint {n:,} texts", t_ours, t_theirs)
    row(f"LSH build + query {n:,}", t_decide, t_lsh)
    row("total", t_ours + t_decide, t_theirs + t_lsh)
    print(
        f"  datasketch fingerprint: shingling {t_shingle:.3f} s + MinHash.bulk (update_batch) "
        f"{t_mh:.3f} s; LSH {lsh.b} bands x {lsh.r} rows: insert {t_insert:.3f} s + query "
        f"{t_query:.3f} s, {with_cand:,} texts with a candidate, {cand_pairs:,} candidate pairs"
    )
    print(
        f"  newsetl LSH: DedupeIndex.decide ({index.bands} bands x {index.rows_per_band} rows, "
        f"candidates verified): {dropped:,} dropped as duplicates; ratio = datasketch / newsetl"
    )

    # accuracy: estimated against exact Jaccard of the two shingle sets
    pairs = _edited_pairs(Corpus(args.seed + 1, dup_share=0.0), max(n // 2, 200))
    left = [a for _, a, _ in pairs]
    right = [b for _, _, b in pairs]
    _, sig_l, cnt_l, _ = dedupe.fingerprint_arrays(left, workers=1, num_perm=perms, shingle_size=k)
    _, sig_r, cnt_r, _ = dedupe.fingerprint_arrays(right, workers=1, num_perm=perms, shingle_size=k)
    ours = (sig_l == sig_r).mean(axis=1)
    sets_l = [set(_word_shingles(t, k)) for t in left]
    sets_r = [set(_word_shingles(t, k)) for t in right]
    exact = np.array([len(a & b) / len(a | b) for a, b in zip(sets_l, sets_r, strict=True)])
    mh_l = MinHash.bulk(sets_l, num_perm=perms)
    mh_r = MinHash.bulk(sets_r, num_perm=perms)
    theirs = np.array([a.jaccard(b) for a, b in zip(mh_l, mh_r, strict=True)])
    counts_ok = sum(
        int(c) == len(s) for c, s in zip([*cnt_l, *cnt_r], [*sets_l, *sets_r], strict=True)
    )
    kinds = np.array([kind for kind, _, _ in pairs])
    print(
        f"accuracy: mean absolute error of the estimated Jaccard, {len(pairs):,} pairs "
        f"(newsetl's shingle counts equal the exact set sizes for {counts_ok:,}/{2 * len(pairs):,} "
        f"texts)"
    )
    print(f"{'':<34} {'newsetl':>11} {'datasketch':>12} {'exact J':>11}")
    for kind in ("copy", "rewrite", "unrelated", "all"):
        sel = kinds == kind if kind != "all" else np.ones(len(pairs), dtype=bool)
        label = f"{kind} ({int(sel.sum()):,} pairs)"
        print(
            f"{label:<34} {np.abs(ours[sel] - exact[sel]).mean():11.4f} "
            f"{np.abs(theirs[sel] - exact[sel]).mean():12.4f} "
            f"{exact[sel].min():5.2f}-{exact[sel].max():.2f}"
        )
    sd = np.sqrt(exact * (1 - exact) / perms).mean()
    print(f"  expected error of a {perms}-permutation MinHash on these pairs: sd {sd:.4f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quality", action="store_true")
    ap.add_argument("--scale", default="")
    ap.add_argument("--scale-one", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--devset", default=str(DEVSET))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threshold", type=float, default=DedupeIndex().threshold)
    ap.add_argument("--containment", type=float, default=DedupeIndex().containment_threshold)
    ap.add_argument("--min-ratio", type=float, default=DedupeIndex().min_length_ratio)
    ap.add_argument("--shingle-size", type=int, default=DedupeIndex().shingle_size)
    ap.add_argument("--num-perm", type=int, default=DedupeIndex().num_perm)
    ap.add_argument("--bands", type=int, default=DedupeIndex().bands)
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--incremental", default="", help="stored index size, e.g. 1000000")
    ap.add_argument("--new", type=int, default=1000, help="articles added by --incremental")
    ap.add_argument("--save", default="", help="folder for the --incremental index files")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the --incremental index")
    ap.add_argument("--incremental-one", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--vs-datasketch", type=int, default=0, help="texts, e.g. 2000")
    ap.add_argument("--repeat", type=int, default=3, help="timings of --vs-datasketch: best of")
    args = ap.parse_args(argv)
    if args.scale_one:
        print(json.dumps(_scale_one(args.scale_one, args.batch, args.seed, 0.2, args.save)))
        return 0
    if args.incremental_one:
        print(json.dumps(_incremental_child(args.incremental_one, args.new, args.save, args.seed)))
        return 0
    if not (args.quality or args.scale or args.incremental or args.vs_datasketch):
        args.quality = True
    rc = 0
    if args.quality:
        rc |= run_quality(args)
    if args.scale:
        rc |= run_scale(args)
    if args.incremental:
        rc |= run_incremental(args)
    if args.vs_datasketch:
        rc |= run_vs_datasketch(args)
    return rc


if __name__ == "__main__":
    sys.exit(main())
