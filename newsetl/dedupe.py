"""Deduplication: the same URL, the same text, or a near-duplicate copy of a kept article.

Texts are compared by MinHash signatures of their word shingles (``shingle_size`` words),
computed with numpy over whole batches of texts at once: the normalised texts are joined into
one UTF-8 buffer, word hashes come from prefix sums over its bytes, shingle hashes are rolled
from word hashes (32 bits each), and the ``num_perm`` permutations are one
``(a * h + b) mod 2**32`` matrix operation whose minima per text form the signature. Big
batches are spread over worker processes (``fingerprint_many``). Candidate pairs come from
banded LSH (``bands`` bands of ``num_perm // bands`` rows) and are verified on the signatures:

    duplicate  if  jaccard >= threshold
               or  (shorter/longer >= min_length_ratio and containment >= containment_threshold)

where ``containment`` is the estimated share of the shorter text's shingles found in the
longer one (a copy truncated to 70% has Jaccard ~0.7 but containment ~1.0), computed from the
Jaccard estimate and the two shingle counts. Two different stories that share names or a long
quote share few 5-word shingles: both scores stay far below the thresholds.

Which copy is kept: across runs, the article stored first stays; within one call to
``DedupeIndex.decide`` the candidates are ordered by (earliest publication time first,
unknown last; then most words; canonical URL, article id, content hash, URL, fetched_at,
raw text), so the original of a republished story (or, without dates, the fullest copy)
becomes the representative and the result does not depend on the order of the batch.
"""

from __future__ import annotations

import atexit
import hashlib
import itertools
import json
import multiprocessing
import os
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from newsetl import interrupt

__all__ = [
    "Candidate",
    "Decision",
    "DedupeIndex",
    "Fingerprint",
    "content_hash",
    "fingerprint",
    "fingerprint_arrays",
    "fingerprint_many",
    "normalize_text",
    "shutdown_workers",
    "signature_of",
]

DuplicateKind = Literal["same_url", "exact_text", "near_duplicate"]

# Defaults, chosen on benchmarks/dedupe.py (see its docstring for the figures).
NUM_PERM = 128
SHINGLE_SIZE = 5  # words
BANDS = 42  # x 3 rows: a pair with Jaccard 0.45 becomes a candidate with p = 0.98
THRESHOLD = 0.4  # estimated Jaccard
CONTAINMENT_THRESHOLD = 0.65
MIN_LENGTH_RATIO = 0.4  # containment only counts when the shorter text is >= 40% of the longer
MIN_SHINGLES = 10  # shorter texts are matched by URL and exact text only
SEED = 20240601
# Bump when the hashing changes: stored signatures must then be rebuilt. 2: 32-bit shingle
# hashes and (a * h + b) mod 2**32 permutations (1 used 64-bit arithmetic).
HASH_VERSION = 2

# fingerprint_many: texts per worker task, and the batch size from which workers are used
PARALLEL_CHUNK = 2000
PARALLEL_MIN = 4000

_U64 = np.uint64
_MAX32 = np.uint32(0xFFFFFFFF)
_ROLL = _U64(0x9E3779B97F4A7C15)  # odd multiplier for rolling word hashes into shingles

# ASCII bytes: letters lower-cased, digits kept, everything else (``_`` too) a space; bytes of
# multi-byte UTF-8 sequences (>= 0x80) unchanged.
_ASCII_MAP = bytes(
    c + 32 if 65 <= c <= 90 else c if (48 <= c <= 57 or 97 <= c <= 122 or c >= 128) else 32
    for c in range(256)
)


@lru_cache(maxsize=65536)
def _fold(ch: str) -> str:
    """What ``normalize_text`` makes of one non-ASCII character (after NFKC)."""
    return "".join(c if c.isalnum() else " " for c in ch.casefold())


def _normalize_bytes(text: str) -> bytes:
    """UTF-8 of ``normalize_text(text)``, without a regex pass over the text.

    ASCII is lower-cased and its non-word characters blanked by one ``bytes.translate``;
    the few distinct non-ASCII characters of a text that are not lower-case letters or
    digits are folded one by one (cached); a text with many of them is case-folded at once.
    """
    if text.isascii():
        return b" ".join(text.encode("ascii").translate(_ASCII_MAP).split())
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    special = [c for c in set(text) if c >= "\x80" and _fold(c) != c]
    if len(special) > 16:  # e.g. a text in Cyrillic: case-fold it at once
        text = text.casefold()
        special = [c for c in set(text) if c >= "\x80" and _fold(c) != c]
    for c in special:
        text = text.replace(c, _fold(c))
    return b" ".join(text.encode("utf-8").translate(_ASCII_MAP).split())


def normalize_text(text: str) -> str:
    """NFKC, case-folded, punctuation and whitespace runs collapsed to one space.

    Same result as ``re.sub(r"[\\W_]+", " ", unicodedata.normalize("NFKC", text).casefold())
    .strip()``, computed faster.
    """
    return _normalize_bytes(text).decode("utf-8")


def content_hash(text: str) -> str:
    """sha256 of the normalised text, first 32 hex digits."""
    return hashlib.sha256(_normalize_bytes(text)).hexdigest()[:32]


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser over a uint64 array (wrapping arithmetic)."""
    x = x ^ (x >> _U64(30))
    x = x * _U64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> _U64(27))
    x = x * _U64(0x94D049BB133111EB)
    return x ^ (x >> _U64(31))


_POLY = 0x100000001B3  # odd: invertible mod 2**64
_powers: tuple[np.ndarray, np.ndarray] = (np.ones(1, dtype=_U64), np.ones(1, dtype=_U64))
_powers_lock = threading.Lock()


def _poly_powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``_POLY**k`` and ``_POLY**-k`` mod 2**64 for k < n (grown on demand, never shrunk)."""
    global _powers
    powers = _powers
    if len(powers[0]) < n:
        with _powers_lock:
            size = max(n, 2 * len(_powers[0]), 1 << 16)
            up = np.full(size, _POLY, dtype=_U64)
            down = np.full(size, pow(_POLY, -1, 2**64), dtype=_U64)
            up[0] = down[0] = 1
            powers = _powers = (np.cumprod(up, dtype=_U64), np.cumprod(down, dtype=_U64))
    return powers


def _word_hashes(data: np.ndarray) -> np.ndarray:
    """64-bit hash of each word of normalised UTF-8 bytes (words separated by one space).

    A word's hash is its polynomial hash ``sum(byte[j] * P**(len-1-j))`` mod 2**64, taken
    from prefix sums of ``byte[j] * P**-j`` (P is odd, so invertible), then mixed with its
    length: it does not depend on where the word sits, so texts can be hashed joined.
    """
    n = len(data)
    if n == 0:
        return np.empty(0, dtype=_U64)
    up, down = _poly_powers(n)
    prefix = np.zeros(n + 1, dtype=_U64)
    np.cumsum(data * down[:n], out=prefix[1:])
    spaces = np.flatnonzero(data == 32)
    starts = np.empty(len(spaces) + 1, dtype=np.int64)
    starts[0] = 0
    starts[1:] = spaces + 1
    ends = np.empty(len(spaces) + 1, dtype=np.int64)
    ends[:-1] = spaces
    ends[-1] = n
    poly = up[ends - 1] * (prefix[ends] - prefix[starts])
    return _mix64(poly ^ (ends - starts).astype(_U64))


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(num_perm, 1) odd multipliers and offsets of the ``(a * h + b) mod 2**32`` permutations."""
    rng = np.random.default_rng([seed, HASH_VERSION])
    a = rng.integers(0, 2**32, size=num_perm, dtype=np.uint32) | np.uint32(1)
    b = rng.integers(0, 2**32, size=num_perm, dtype=np.uint32)
    return a[:, None], b[:, None]


_BLOCK = 16384  # shingles per minhash block: the (num_perm, block) scratch array is 8 MB
_BATCH_BYTES = 1 << 20  # normalised bytes hashed at once


def _minhash_into(
    shingles: np.ndarray, bounds: np.ndarray, out: np.ndarray, num_perm: int, seed: int
) -> None:
    """Signatures of texts whose shingles are ``shingles[bounds[i]:bounds[i + 1]]`` (each
    non-empty) into ``out[i]``: blocks of whole texts, one ``minimum.reduceat`` per block."""
    a, b = _permutations(num_perm, seed)
    buf = np.empty((num_perm, _BLOCK), dtype=np.uint32)
    i, m = 0, len(bounds) - 1
    while i < m:
        j = int(np.searchsorted(bounds, bounds[i] + _BLOCK, side="right")) - 1
        if j <= i:  # one text longer than a block: running minimum over blocks
            mins = np.full(num_perm, _MAX32, dtype=np.uint32)
            for s in range(int(bounds[i]), int(bounds[i + 1]), _BLOCK):
                blk = shingles[s : min(s + _BLOCK, int(bounds[i + 1]))]
                work = buf[:, : len(blk)]
                np.multiply(a, blk[None, :], out=work)  # wraps mod 2**32
                np.add(work, b, out=work)
                np.minimum(mins, work.min(axis=1), out=mins)
            out[i] = mins
            i += 1
            continue
        lo, hi = int(bounds[i]), int(bounds[j])
        work = buf[:, : hi - lo]
        np.multiply(a, shingles[None, lo:hi], out=work)
        np.add(work, b, out=work)
        out[i:j] = np.minimum.reduceat(work, bounds[i:j] - lo, axis=1).T
        i = j


_SLOTS = 1 << 20


def _distinct_per_text(sh: np.ndarray, sh_doc: np.ndarray, ndocs: int) -> np.ndarray:
    """Distinct values of ``sh`` per text (``sh_doc`` ascending).

    Only (text, hash) keys that share a slot of a 2**20-slot table with another key can be
    repeats: those few are sorted, the rest counted as distinct.
    """
    slot = sh_doc.astype(np.uint32) * np.uint32(0x9E3779B1)  # sh is mixed already
    slot ^= sh
    slot &= np.uint32(_SLOTS - 1)
    maybe = np.bincount(slot, minlength=_SLOTS)[slot] > 1
    total = np.bincount(sh_doc, minlength=ndocs)
    keys = np.sort((sh_doc[maybe].astype(_U64) << _U64(32)) | sh[maybe])
    repeat = keys[1:][keys[1:] == keys[:-1]]
    return (total - np.bincount((repeat >> _U64(32)).astype(np.intp), minlength=ndocs)).astype(
        np.uint32
    )


def _hash_chunk(
    norms: list[bytes],
    words: np.ndarray,
    shingle_size: int,
    num_perm: int,
    seed: int,
    sigs: np.ndarray,
    counts: np.ndarray,
) -> None:
    """Signatures and distinct-shingle counts of normalised texts, into ``sigs``/``counts``."""
    nonempty = np.flatnonzero(words > 0)
    if len(nonempty) == 0:
        return
    wc = words[nonempty]
    data = np.frombuffer(b" ".join([norms[i] for i in nonempty]), dtype=np.uint8)
    wh = _word_hashes(data)
    total = len(wh)
    doc = np.repeat(np.arange(len(nonempty)), wc)  # text of each word
    k = shingle_size
    # texts of >= k words: every run of k words inside the text
    m = total - k + 1
    if m > 0:
        acc = wh[:m].copy()
        for j in range(1, k):
            acc *= _ROLL
            acc += wh[j : m + j]
        inside = doc[:m] == doc[k - 1 :]
        sh = (_mix64(acc[inside]) >> _U64(32)).astype(np.uint32)
        sh_doc = doc[:m][inside]
    else:
        sh = np.empty(0, dtype=np.uint32)
        sh_doc = np.empty(0, dtype=np.int64)
    long_docs = np.flatnonzero(wc >= k)
    if len(long_docs):
        per = wc[long_docs] - k + 1
        bounds = np.zeros(len(long_docs) + 1, dtype=np.int64)
        np.cumsum(per, out=bounds[1:])
        rows = nonempty[long_docs]
        out = np.empty((len(long_docs), num_perm), dtype=np.uint32)
        _minhash_into(sh, bounds, out, num_perm, seed)
        sigs[rows] = out
        counts[nonempty] = _distinct_per_text(sh, sh_doc, len(nonempty))
    # texts shorter than k words: one shingle of all their words
    short = np.flatnonzero(wc < k)
    if len(short):
        starts = np.zeros(len(nonempty) + 1, dtype=np.int64)
        np.cumsum(wc, out=starts[1:])
        one = np.empty(len(short), dtype=_U64)
        mask, roll = (1 << 64) - 1, int(_ROLL)
        for n, s in enumerate(short.tolist()):
            seg = wh[starts[s] : starts[s + 1]].tolist()
            acc1 = seg[0]
            for v in seg[1:]:
                acc1 = (acc1 * roll + v) & mask
            one[n] = acc1
        h = (_mix64(one) >> _U64(32)).astype(np.uint32)
        a, b = _permutations(num_perm, seed)
        sigs[nonempty[short]] = (a * h[None, :] + b).T
        counts[nonempty[short]] = 1


def _fingerprint_arrays(
    texts: Sequence[str | None], num_perm: int, shingle_size: int, seed: int
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """(content hashes, (n, num_perm) uint32 signatures, shingle counts, word counts)."""
    norms = [_normalize_bytes(t or "") for t in texts]
    hashes = [hashlib.sha256(s).hexdigest()[:32] for s in norms]
    words = np.array([s.count(b" ") + 1 if s else 0 for s in norms], dtype=np.int64)
    n = len(norms)
    sigs = np.full((n, num_perm), _MAX32, dtype=np.uint32)
    counts = np.zeros(n, dtype=np.uint32)
    i = 0
    while i < n:
        j, size = i + 1, len(norms[i])
        while j < n and size + len(norms[j]) < _BATCH_BYTES:
            size += len(norms[j]) + 1
            j += 1
        _hash_chunk(norms[i:j], words[i:j], shingle_size, num_perm, seed, sigs[i:j], counts[i:j])
        i = j
    return hashes, sigs, counts, words.astype(np.uint32)


@dataclass(slots=True)
class Fingerprint:
    """What deduplication needs to know about a text, computed once."""

    content_hash: str
    signature: np.ndarray  # (num_perm,) uint32
    shingle_count: int  # distinct shingles
    word_count: int


def _as_fingerprints(
    arrays: tuple[list[str], np.ndarray, np.ndarray, np.ndarray],
) -> list[Fingerprint]:
    hashes, sigs, counts, words = arrays
    return [
        Fingerprint(h, sigs[i], c, w)
        for i, (h, c, w) in enumerate(zip(hashes, counts.tolist(), words.tolist(), strict=True))
    ]


def fingerprint(
    text: str, *, num_perm: int = NUM_PERM, shingle_size: int = SHINGLE_SIZE, seed: int = SEED
) -> Fingerprint:
    """Content hash, MinHash signature and sizes of ``text``."""
    return _as_fingerprints(_fingerprint_arrays([text], num_perm, shingle_size, seed))[0]


def signature_of(
    text: str, *, num_perm: int = NUM_PERM, shingle_size: int = SHINGLE_SIZE, seed: int = SEED
) -> np.ndarray:
    """MinHash signature of ``text``: ``(num_perm,)`` uint32."""
    return fingerprint(text, num_perm=num_perm, shingle_size=shingle_size, seed=seed).signature


# ---------------------------------------------------------------- worker processes

_pool: ProcessPoolExecutor | None = None
_pool_workers = 0
_pool_lock = threading.Lock()


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _executor(workers: int) -> ProcessPoolExecutor:
    """The shared worker pool (``forkserver``: safe from threads, e.g. Prefect's), reused
    across calls and shut down at exit or by ``shutdown_workers``."""
    global _pool, _pool_workers
    with _pool_lock:
        if _pool is None or _pool_workers != workers:
            if _pool is not None:
                _pool.shutdown(wait=True)
            ctx = multiprocessing.get_context("forkserver")
            # workers are forked from a server that has imported this module (and numpy)
            ctx.set_forkserver_preload([__name__])
            interrupt.want_forkserver([__name__])
            _pool = ProcessPoolExecutor(
                max_workers=workers, mp_context=ctx, initializer=interrupt.ignore_sigint
            )
            _pool_workers = workers
        return _pool


def shutdown_workers() -> None:
    """Stop the worker processes of ``fingerprint_many`` (they are restarted on demand)."""
    global _pool, _pool_workers
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=True)
        _pool, _pool_workers = None, 0


atexit.register(shutdown_workers)


def fingerprint_arrays(
    texts: Sequence[str | None],
    *,
    workers: int | None = None,
    num_perm: int = NUM_PERM,
    shingle_size: int = SHINGLE_SIZE,
    seed: int = SEED,
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Fingerprints of many texts as arrays: (content hashes, ``(n, num_perm)`` uint32
    signatures, distinct-shingle counts, word counts), the same values as ``fingerprint``.

    ``workers``: processes to use; None uses every available core once there are at least
    ``PARALLEL_MIN`` texts, 1 (or 0) computes in this process. Texts go to the workers in
    chunks of ``PARALLEL_CHUNK``, at most two chunks per worker in flight.
    """
    if workers is None:
        workers = _available_cpus() if len(texts) >= PARALLEL_MIN else 1
    if workers <= 1 or len(texts) <= PARALLEL_CHUNK:
        return _fingerprint_arrays(texts, num_perm, shingle_size, seed)
    pool = _executor(workers)
    chunks: Iterable[Sequence[str | None]] = (
        texts[i : i + PARALLEL_CHUNK] for i in range(0, len(texts), PARALLEL_CHUNK)
    )
    results: list[tuple[list[str], np.ndarray, np.ndarray, np.ndarray]] = []
    pending = []
    for chunk in chunks:
        pending.append(pool.submit(_fingerprint_arrays, list(chunk), num_perm, shingle_size, seed))
        if len(pending) >= 2 * workers:
            results.append(pending.pop(0).result())
    results.extend(f.result() for f in pending)
    return (
        [h for r in results for h in r[0]],
        np.concatenate([r[1] for r in results]),
        np.concatenate([r[2] for r in results]),
        np.concatenate([r[3] for r in results]),
    )


def fingerprint_many(
    texts: Sequence[str | None],
    *,
    workers: int | None = None,
    num_perm: int = NUM_PERM,
    shingle_size: int = SHINGLE_SIZE,
    seed: int = SEED,
) -> list[Fingerprint]:
    """``[fingerprint(t) for t in texts]``, hashed in batches and, for big batches, in
    worker processes (see ``fingerprint_arrays`` for ``workers``)."""
    return _as_fingerprints(
        fingerprint_arrays(
            texts, workers=workers, num_perm=num_perm, shingle_size=shingle_size, seed=seed
        )
    )


@dataclass(slots=True)
class Candidate:
    """An extracted article waiting for a decision.

    ``fingerprint`` may be computed beforehand (``DedupeIndex.fingerprint``, e.g. in worker
    processes); it is computed from ``text`` otherwise.
    """

    article_id: str
    canonical_url: str
    url: str
    text: str
    title: str | None = None
    fetched_at: Any = None  # ISO string or datetime; only breaks ties
    fingerprint: Fingerprint | None = None
    # Publication time (aware datetime or ISO string); the earliest-published copy of a
    # story is its original, so it is preferred as the representative within a batch.
    published_at: Any = None


@dataclass(slots=True)
class Decision:
    """Whether a candidate is kept and, if not, which kept article it duplicates.

    ``similarity``: 1.0 for exact text; for a near-duplicate the larger of the estimated Jaccard
    and (when it counted) the containment of the shorter text in the longer; None otherwise.
    ``cluster_id`` is the id of the kept representative (a kept article's own id).
    """

    article_id: str
    kept: bool
    kind: DuplicateKind | None
    duplicate_of: str | None
    similarity: float | None
    cluster_id: str


_ROW_BITS = _U64(32)
_ROW_MASK = _U64(0xFFFFFFFF)
_EMPTY = _U64(0xFFFFFFFFFFFFFFFF)  # a free slot (no row is 2**32 - 1)
_BAND_MULT = (np.uint32(0x9E3779B1), np.uint32(0x85EBCA77), np.uint32(0xC2B2AE3D))  # odd
_SLOT_MULT = np.uint32(0x9E3779B1)  # Fibonacci hashing: the top bits of key * odd
_MAX_LOAD = 2 / 3  # a band table doubles once more of its slots would be full
_MIN_BITS = 10
_PLAIN_ROUNDS = 4  # insertion rounds before colliding entries are spread out by rank
_BUILD_RATIO = 32  # loaded keys go into the tables once a query has >= 1/32 of their number


class _BandTables:
    """LSH band keys of index rows: per band, one open-addressing hash table with linear
    probing whose slots hold ``hash << 32 | row`` (``_EMPTY`` when free), where ``hash`` is
    the band key times an odd constant mod 2**32 (a bijection: equal hashes are equal keys)
    and its top ``bits`` bits are the entry's home slot.

    All bands have ``2**bits`` slots, at most two thirds of them full: a lookup reads about
    three slots whatever the size of the index, and adding rows costs about the same at
    10,000 rows as at 1,000,000. Inserts and lookups are vectorised over a batch of keys:
    each round probes one slot for every key still looking. A table is built in one pass
    from its entries sorted by hash (linear probing puts them in that order); doubling
    reads the old table in slot order, which is sorted but for the short runs displaced by
    probing, so the sort is nearly linear and growing costs a few passes over the entries.
    """

    __slots__ = ("bits", "entries", "tables")

    def __init__(self, bands: int) -> None:
        self.bits = _MIN_BITS
        self.entries = 0  # per band
        self.tables = [np.full(1 << _MIN_BITS, _EMPTY, dtype=_U64) for _ in range(bands)]

    @property
    def nbytes(self) -> int:
        return sum(t.nbytes for t in self.tables)

    def add(self, keys: np.ndarray, rows: np.ndarray) -> None:
        """Insert the ``(bands, m)`` uint32 ``keys`` of ``rows`` (``m`` row numbers)."""
        m = len(rows)
        if m == 0:
            return
        total = self.entries + m
        bits = self.bits
        while total > _MAX_LOAD * (1 << bits):
            bits += 1
        grow = bits != self.bits
        self.bits = bits
        low = rows.astype(_U64)
        for band in range(len(self.tables)):
            new = ((keys[band] * _SLOT_MULT).astype(_U64) << _ROW_BITS) | low
            if grow or self.entries == 0:
                # rebuild: the old entries (in slot order) and the new ones, sorted by hash
                old = self.tables[band]
                old = old[old != _EMPTY]
                self.tables[band] = np.full(1 << bits, _EMPTY, dtype=_U64)  # old one freed
                if len(old):
                    new = np.concatenate([old, new])
                del old
                new.sort(kind="stable")  # runs: already sorted parts are merged, not sorted
                self._build(self.tables[band], new)
            else:
                self._insert(self.tables[band], new, self._home(new))
        self.entries = total

    def _home(self, entries: np.ndarray) -> np.ndarray:
        return (entries >> _U64(64 - self.bits)).astype(np.intp)

    def _build(self, table: np.ndarray, entries: np.ndarray) -> None:
        """Fill an empty ``table`` with ``entries`` sorted by hash: entry ``i`` lands on
        ``max(home[i], slot of entry i - 1 + 1)``, a running maximum; entries pushed past
        the last slot continue from slot 0."""
        n = len(entries)
        steps = np.arange(n, dtype=np.intp)
        slots = np.maximum.accumulate(self._home(entries) - steps) + steps
        fits = slots < len(table)
        if fits.all():
            table[slots] = entries
            return
        table[slots[fits]] = entries[fits]
        rest = entries[~fits]
        self._insert(table, rest, np.zeros(len(rest), dtype=np.intp))

    @staticmethod
    def _insert(table: np.ndarray, entries: np.ndarray, slots: np.ndarray) -> None:
        """Place distinct ``entries`` by linear probing from ``slots``.

        Each round writes every entry whose slot is free; of entries racing for one slot
        one wins, the others (and those that found it full) move on. After a few rounds,
        entries sharing a slot are sent to successive slots by rank (many rows with one key,
        e.g. copies of a story) instead of advancing one slot per round together: every
        slot they skip is taken by one of them (or was full) by the end of the round, so
        no free slot opens between an entry and its home.
        """
        mask = len(table) - 1
        rounds = 0
        while len(entries):
            rounds += 1
            if rounds > _PLAIN_ROUNDS:
                order = np.argsort(slots, kind="stable")
                s = slots[order]
                start = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
                rank = np.arange(len(s)) - np.repeat(start, np.diff(np.r_[start, len(s)]))
                slots = np.empty_like(slots)
                slots[order] = (s + rank) & mask
            free = np.flatnonzero(table[slots] == _EMPTY)
            fs = slots[free]
            table[fs] = entries[free]
            won = np.zeros(len(entries), dtype=bool)
            won[free] = table[fs] == entries[free]
            lost = ~won
            entries, slots = entries[lost], (slots[lost] + 1) & mask

    def lookup(self, keys: np.ndarray, owners: list[np.ndarray], rows: list[np.ndarray]) -> None:
        """For ``(bands, q)`` uint32 query ``keys``: append (query index, row) for every
        stored entry with an equal key in the same band to ``owners``/``rows``."""
        if self.entries == 0:
            return
        mask = (1 << self.bits) - 1
        shift = np.uint32(32 - self.bits)
        for band, table in enumerate(self.tables):
            h = keys[band] * _SLOT_MULT
            slots = (h >> shift).astype(np.intp)
            want = h.astype(_U64)
            who = np.arange(len(want))
            while len(slots):
                found = table[slots]
                live = found != _EMPTY
                hit = live & ((found >> _ROW_BITS) == want)
                if hit.any():
                    owners.append(who[hit])
                    rows.append((found[hit] & _ROW_MASK).astype(np.int64))
                if not live.all():
                    slots, who, want = slots[live], who[live], want[live]
                slots = (slots + 1) & mask


_CHUNK = 4096


class _Strings:
    """An append-only list of strings (or None), kept as full tuples of ``_CHUNK`` items
    plus a short list. The garbage collector stops tracking a tuple of strings, so its full
    collections (every few batches: a batch makes tens of thousands of objects) do not walk
    a million ids, URLs and hashes each time, as they would in plain lists."""

    __slots__ = ("_full", "_tail")

    def __init__(self, items: Iterable[str | None] = ()) -> None:
        self._full: list[tuple[str | None, ...]] = []
        self._tail: list[str | None] = []
        self.extend(items)

    def __len__(self) -> int:
        return len(self._full) * _CHUNK + len(self._tail)

    def append(self, item: str | None) -> None:
        self._tail.append(item)
        if len(self._tail) == _CHUNK:
            self._full.append(tuple(self._tail))
            self._tail = []

    def extend(self, items: Iterable[str | None]) -> None:
        tail = self._tail + list(items)
        full = len(tail) - len(tail) % _CHUNK
        self._full.extend(tuple(tail[i : i + _CHUNK]) for i in range(0, full, _CHUNK))
        self._tail = tail[full:]

    def __getitem__(self, i: int) -> str | None:
        chunk, pos = divmod(i, _CHUNK)
        return self._full[chunk][pos] if chunk < len(self._full) else self._tail[pos]

    def since(self, start: int) -> list[str | None]:
        """The items from ``start`` on, as a list."""
        first = start // _CHUNK
        out = list(itertools.chain.from_iterable(self._full[first:]))
        out += self._tail
        return out[start - first * _CHUNK :]


_NO_TIME = float("inf")


def _time_key(value: Any) -> float:
    """Sort key of a publication time: earlier first, unknown last."""
    if value is None or value == "":
        return _NO_TIME
    if isinstance(value, str):
        from datetime import datetime

        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return _NO_TIME
    try:
        return float(value.timestamp())
    except (AttributeError, OverflowError, OSError, ValueError):
        return _NO_TIME


class DedupeIndex:
    """Everything already kept (across runs), and the decisions for new candidates.

    Rows are kept articles: their signatures sit in one ``(n, num_perm)`` uint32 array, their
    LSH band keys in one hash table per band (``_BandTables``: a lookup or an insert costs
    the same whatever the size of the index). Article ids and content hashes of dropped
    duplicates are remembered as aliases of their representative, so a URL seen before is
    answered without looking at its text again. Memory per stored row with the defaults:
    512 bytes of signature, 12 of count and representative, 8 per band and slot for the LSH
    tables (1.5 to 3 slots per row: 500 to 1,000 bytes) plus the ids, URLs and content
    hashes as Python strings in lists and two dicts. ``from_arrow`` builds all of it with
    vectorised numpy/pyarrow (no per-row numpy work); the loaded rows' band keys are hashed
    into the tables only when a big batch needs them (see ``_query``).
    """

    def __init__(
        self,
        num_perm: int = NUM_PERM,
        threshold: float = THRESHOLD,
        *,
        containment_threshold: float = CONTAINMENT_THRESHOLD,
        min_length_ratio: float = MIN_LENGTH_RATIO,
        shingle_size: int = SHINGLE_SIZE,
        bands: int = BANDS,
        min_shingles: int = MIN_SHINGLES,
        seed: int = SEED,
    ) -> None:
        if not 0 < bands <= num_perm:
            raise ValueError(f"bands must be in 1..num_perm ({num_perm}): got {bands}")
        self.num_perm = num_perm
        self.threshold = threshold
        self.containment_threshold = containment_threshold
        self.min_length_ratio = min_length_ratio
        self.shingle_size = shingle_size
        self.bands = bands
        self.rows_per_band = num_perm // bands
        self.min_shingles = min_shingles
        self.seed = seed
        self._sigs = np.empty((0, num_perm), dtype=np.uint32)
        self._counts = np.empty(0, dtype=np.uint32)
        self._reps = np.empty(0, dtype=np.int64)  # row -> row of its representative
        self._n = 0  # rows: kept articles and their near-duplicate copies
        self._kept = 0
        self._ids = _Strings()  # per row
        self._urls = _Strings()
        self._hashes = _Strings()
        self._by_id: dict[str, int] = {}  # article id -> row of its representative
        self._by_hash: dict[str, int] = {}  # content hash -> row of its representative
        self._alias_ids = _Strings()
        self._alias_urls = _Strings()
        self._alias_hashes = _Strings()
        self._tables = _BandTables(bands)
        # rows loaded by from_arrow whose band keys are not in the tables yet: (bands, m)
        # uint32 keys and their rows (see _query)
        self._lazy: tuple[np.ndarray, np.ndarray] | None = None
        self._indexed = 0  # rows [0, _indexed) are in the LSH tables (or lazy)
        self._loaded = (0, 0)  # mark() when from_arrow built it

    # ---------------------------------------------------------------- fingerprints

    def fingerprint(self, text: str) -> Fingerprint:
        """The fingerprint of ``text`` under this index's hashing parameters."""
        return fingerprint(
            text, num_perm=self.num_perm, shingle_size=self.shingle_size, seed=self.seed
        )

    def fingerprint_many(
        self, texts: Sequence[str | None], workers: int | None = None
    ) -> list[Fingerprint]:
        """Fingerprints of ``texts`` under this index's hashing parameters; big batches are
        hashed in worker processes (see ``fingerprint_arrays``)."""
        return fingerprint_many(
            texts,
            workers=workers,
            num_perm=self.num_perm,
            shingle_size=self.shingle_size,
            seed=self.seed,
        )

    def signature_of(self, text: str) -> np.ndarray:
        """MinHash signature of ``text`` under this index's hashing parameters."""
        return self.fingerprint(text).signature

    # ---------------------------------------------------------------- state

    def __len__(self) -> int:
        """Number of kept articles."""
        return self._kept

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._by_id

    def representative_of(self, article_id: str) -> str | None:
        """Id of the kept article that ``article_id`` is (or duplicates), None if unknown."""
        row = self._by_id.get(article_id)
        return None if row is None else self._ids[row]

    def _append_row(
        self,
        article_id: str,
        canonical_url: str,
        chash: str,
        signature: np.ndarray,
        count: int,
        rep: int | None = None,
    ) -> int:
        """Store a kept article (``rep`` None) or a near-duplicate copy of row ``rep``."""
        if self._n == len(self._sigs):
            cap = max(1024, len(self._sigs) + len(self._sigs) // 4)
            sigs = np.empty((cap, self.num_perm), dtype=np.uint32)
            sigs[: self._n] = self._sigs[: self._n]
            counts = np.zeros(cap, dtype=np.uint32)
            counts[: self._n] = self._counts[: self._n]
            reps = np.zeros(cap, dtype=np.int64)
            reps[: self._n] = self._reps[: self._n]
            self._sigs, self._counts, self._reps = sigs, counts, reps
        row = self._n
        self._sigs[row] = signature
        self._counts[row] = count
        self._reps[row] = row if rep is None else rep
        self._n += 1
        self._kept += rep is None
        self._ids.append(article_id)
        self._urls.append(canonical_url)
        self._hashes.append(chash)
        self._by_id[article_id] = int(self._reps[row])
        self._by_hash.setdefault(chash, int(self._reps[row]))
        return row

    def _add_alias(self, article_id: str, canonical_url: str, chash: str | None, row: int) -> None:
        # A known id (a same_url duplicate) registers nothing, not even its text: aliases
        # are unique ids, disjoint from the kept ones, and ``to_arrow`` stores all of them.
        if article_id in self._by_id:
            return
        self._by_id[article_id] = row
        self._alias_ids.append(article_id)
        self._alias_urls.append(canonical_url)
        self._alias_hashes.append(chash)
        if chash is not None:
            self._by_hash.setdefault(chash, row)

    def add(
        self,
        article_id: str,
        canonical_url: str,
        content_hash: str,
        signature: np.ndarray,
        shingle_count: int | None = None,
    ) -> None:
        """Record a kept article without deciding (e.g. when loading history).

        ``shingle_count`` (distinct shingles) sharpens the containment estimate; if missing it
        is estimated from the signature. An id already known is ignored.
        """
        if article_id in self._by_id:
            return
        sig = np.asarray(signature)
        if sig.shape != (self.num_perm,):
            raise ValueError(
                f"signature has shape {sig.shape}, expected ({self.num_perm},): compute it with "
                "this index's signature_of"
            )
        sig = sig.astype(np.uint32, copy=False)
        if shingle_count is None:
            shingle_count = _estimate_count(sig)
        self._append_row(article_id, canonical_url, content_hash, sig, int(shingle_count))
        self._index_pending()

    def add_many(
        self,
        article_ids: Sequence[str],
        canonical_urls: Sequence[str],
        fingerprints: Sequence[Fingerprint],
        content_hashes: Sequence[str] | None = None,
    ) -> None:
        """``add`` for many kept articles, indexed once at the end (e.g. when rebuilding the
        index from stored articles: ``fingerprints = index.fingerprint_many(texts)``).

        ``content_hashes`` default to the fingerprints' own.
        """
        hashes = content_hashes or [fp.content_hash for fp in fingerprints]
        for a, u, h, fp in zip(article_ids, canonical_urls, hashes, fingerprints, strict=True):
            if a in self._by_id:
                continue
            if fp.signature.shape != (self.num_perm,):
                raise ValueError(
                    "fingerprint has the wrong signature size: compute it with this index's "
                    "fingerprint_many"
                )
            self._append_row(a, u, h, fp.signature, fp.shingle_count)
        self._index_pending()

    # ---------------------------------------------------------------- LSH

    def _band_keys(self, sigs: np.ndarray) -> np.ndarray:
        """(bands, n) uint32 keys: each band's ``rows_per_band`` values combined as
        ``sum(value[j] * K[j]) mod 2**32`` (odd ``K[j]``). Keys are only compared for
        equality (then the signatures are), so they need no further mixing."""
        n = len(sigs)
        out = np.empty((self.bands, n), dtype=np.uint32)
        step = 65536  # rows at a time: the scratch stays small
        for i in range(0, n, step):
            out[:, i : i + step] = self._band_chunk(sigs[i : i + step]).T
        return out

    def _band_chunk(self, sigs: np.ndarray) -> np.ndarray:
        r = self.rows_per_band
        s = sigs[:, : self.bands * r].reshape(len(sigs), self.bands, r)
        acc = s[:, :, 0] * _BAND_MULT[0]
        for j in range(1, r):
            acc += s[:, :, j] * _BAND_MULT[j % len(_BAND_MULT)]
        return acc

    def _index_pending(self, *, lazy: bool = False) -> None:
        """Put the band keys of rows stored since the last call into the LSH tables;
        ``lazy``: keep them apart, unhashed, until a big query needs them (``_query``)."""
        lo, hi = self._indexed, self._n
        if hi == lo:
            return
        self._indexed = hi
        keys, rows = [], []
        step = 65536  # rows at a time, read in place: no copy of the signatures
        for i in range(lo, hi, step):
            j = min(i + step, hi)
            ok = self._counts[i:j] >= self.min_shingles
            sigs = self._sigs[i:j] if ok.all() else self._sigs[i:j][ok]
            keys.append(self._band_chunk(sigs).T)
            rows.append(np.flatnonzero(ok) + i)
        all_keys, all_rows = np.concatenate(keys, axis=1), np.concatenate(rows)
        if len(all_rows) == 0:
            return
        if lazy:
            if self._lazy is not None:
                all_keys = np.concatenate([self._lazy[0], all_keys], axis=1)
                all_rows = np.concatenate([self._lazy[1], all_rows])
            self._lazy = (np.ascontiguousarray(all_keys), all_rows)
        else:
            self._tables.add(all_keys, all_rows)

    def _lsh_nbytes(self) -> int:
        lazy = 0 if self._lazy is None else self._lazy[0].nbytes + self._lazy[1].nbytes
        return self._tables.nbytes + lazy

    def _query(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distinct (query index, row) pairs sharing at least one band key.

        Stored keys are looked up in the per-band hash tables. Keys loaded by ``from_arrow``
        and not hashed yet are answered the other way round (each stored key looked up
        among the sorted query keys) while the query is small next to them: a run that adds
        a thousand articles to a million does not hash 42 million keys first. A query of at
        least 1/``_BUILD_RATIO`` of their number puts them into the tables.
        """
        owners: list[np.ndarray] = []
        rows: list[np.ndarray] = []
        if self._lazy is not None and len(keys[0]) * _BUILD_RATIO >= len(self._lazy[1]):
            lazy_keys, lazy_rows = self._lazy
            self._lazy = None
            self._tables.add(lazy_keys, lazy_rows)
            del lazy_keys, lazy_rows
        self._tables.lookup(keys, owners, rows)
        if self._lazy is not None:
            lazy_keys, lazy_rows = self._lazy
            for band in range(self.bands):
                order = np.argsort(keys[band])
                qkeys = keys[band][order]
                skeys = lazy_keys[band]
                # a 2**20-slot filter of the query keys' top bits leaves few stored keys
                # to search for among the sorted query keys
                filt = np.zeros(1 << 20, dtype=bool)
                filt[qkeys >> np.uint32(12)] = True
                hit = np.flatnonzero(filt[skeys >> np.uint32(12)])
                pos = np.searchsorted(qkeys, skeys[hit])
                ok = pos < len(qkeys)
                hit, pos = hit[ok], pos[ok]
                ok = qkeys[pos] == skeys[hit]
                hit, pos = hit[ok], pos[ok]
                while len(hit):  # equal query keys follow each other
                    owners.append(order[pos])
                    rows.append(lazy_rows[hit].astype(np.int64))
                    pos = pos + 1
                    ok = pos < len(qkeys)
                    hit, pos = hit[ok], pos[ok]
                    ok = qkeys[pos] == skeys[hit]
                    hit, pos = hit[ok], pos[ok]
        if not owners:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        pairs = np.unique(
            np.concatenate(owners).astype(np.int64) * (self._n + 1) + np.concatenate(rows)
        )
        return pairs // (self._n + 1), pairs % (self._n + 1)

    def _scores(
        self, sig_a: np.ndarray, cnt_a: np.ndarray, sig_b: np.ndarray, cnt_b: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(is duplicate, similarity) for aligned pairs of signatures and shingle counts."""
        jac = np.empty(len(sig_a), dtype=np.float64)
        step = 65536
        for i in range(0, len(sig_a), step):
            jac[i : i + step] = (sig_a[i : i + step] == sig_b[i : i + step]).mean(axis=1)
        ca = cnt_a.astype(np.float64)
        cb = cnt_b.astype(np.float64)
        small = np.minimum(ca, cb)
        large = np.maximum(ca, cb)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(large > 0, small / large, 0.0)
            contained = np.where(small > 0, jac * (ca + cb) / ((1.0 + jac) * small), 0.0)
        contained = np.minimum(contained, 1.0)
        counts = (ratio >= self.min_length_ratio) & (small >= self.min_shingles)
        contained = np.where(counts, contained, 0.0)
        is_dup = (small >= self.min_shingles) & (
            (jac >= self.threshold) | (contained >= self.containment_threshold)
        )
        return is_dup, np.maximum(jac, contained)

    # ---------------------------------------------------------------- decisions

    def decide(
        self, candidates: Sequence[Candidate], *, workers: int | None = None
    ) -> list[Decision]:
        """Decide each candidate against the index and the rest of the batch; add the kept.

        Returns one ``Decision`` per candidate, in the order given. Same article id as a known
        article -> ``same_url``; same normalised text -> ``exact_text``; near-duplicate ->
        ``near_duplicate``. Within the batch the earliest-published, then fullest copy is the
        representative (see the module docstring); an article already in the index always
        stays the representative. Fingerprints missing from the candidates are computed with
        ``fingerprint_many`` (``workers``: None uses worker processes for big batches).
        """
        self._index_pending()
        m = len(candidates)
        if m == 0:
            return []
        fps: list[Fingerprint | None] = [c.fingerprint for c in candidates]
        missing = [i for i, fp in enumerate(fps) if fp is None]
        if missing:
            computed = self.fingerprint_many([candidates[i].text for i in missing], workers)
            for i, fp in zip(missing, computed, strict=True):
                fps[i] = fp
        for fp in fps:
            if fp.signature.shape != (self.num_perm,):
                raise ValueError(
                    "candidate fingerprint has the wrong signature size: compute it with "
                    "this index's fingerprint()"
                )
        order = sorted(
            range(m),
            key=lambda i: (
                _time_key(candidates[i].published_at),
                -fps[i].word_count,
                candidates[i].canonical_url,
                candidates[i].article_id,
                fps[i].content_hash,
                candidates[i].url,
                str(candidates[i].fetched_at),
                candidates[i].text,
                candidates[i].title or "",
            ),
        )
        # Distinct texts, numbered in decision order: near-duplicate work is done per text.
        group_of: dict[str, int] = {}
        members: list[int] = []  # group -> first candidate (in decision order)
        for i in order:
            h = fps[i].content_hash
            if h not in group_of:
                group_of[h] = len(members)
                members.append(i)
        g_sigs = np.stack([fps[i].signature for i in members]).astype(np.uint32, copy=False)
        g_counts = np.array([fps[i].shingle_count for i in members], dtype=np.uint32)
        eligible = np.flatnonzero(g_counts >= self.min_shingles)
        best_index = self._match_index(g_sigs, g_counts, eligible)
        neighbours = self._match_batch(g_sigs, g_counts, eligible)
        # A text of the batch that is a near-duplicate of a text matched to the index joins
        # that cluster too (linked through the batch): the stored article stays the
        # representative. Groups are visited in decision order, so this is deterministic.
        assigned = {g: (sim, int(self._reps[row])) for g, (sim, row) in best_index.items()}
        linked = sorted(neighbours)
        changed = bool(assigned)
        while changed:
            changed = False
            for g in linked:
                if g in assigned:
                    continue
                link: tuple[float, int] | None = None
                for g2, sim in neighbours[g]:
                    hit = assigned.get(g2)
                    if hit is not None and (link is None or (sim, -hit[1]) > (link[0], -link[1])):
                        link = (sim, hit[1])
                if link is not None:
                    assigned[g] = link
                    changed = True

        decisions: list[Decision | None] = [None] * m
        group_row: dict[int, int] = {}  # group -> row of its first stored member
        for i in order:
            cand, fp = candidates[i], fps[i]
            g = group_of[fp.content_hash]
            kind: DuplicateKind | None = None
            sim: float | None = None
            rep = self._by_id.get(cand.article_id)
            if rep is not None:
                kind = "same_url"
            else:
                rep = self._by_hash.get(fp.content_hash)
                if rep is not None:
                    kind, sim = "exact_text", 1.0
                else:
                    match = assigned.get(g)  # (similarity, representative row)
                    if match is None:
                        # an earlier text of this batch: highest similarity, then earliest row
                        for g2, s in neighbours.get(g, ()):
                            r2 = group_row.get(g2)
                            if r2 is not None and (
                                match is None or (s, -r2) > (match[0], -match[1])
                            ):
                                match = (s, r2)
                        if match is not None:
                            match = (match[0], int(self._reps[match[1]]))
                    if match is not None:
                        kind, sim = "near_duplicate", match[0]
                        rep = match[1]
            if kind is None or kind == "near_duplicate":
                # kept articles and near-duplicate copies are stored with their signature,
                # so that later copies can match any copy already seen
                row = self._append_row(
                    cand.article_id,
                    cand.canonical_url,
                    fp.content_hash,
                    fp.signature,
                    fp.shingle_count,
                    rep,
                )
                group_row.setdefault(g, row)
            else:
                self._add_alias(cand.article_id, cand.canonical_url, fp.content_hash, rep)
            if kind is None:
                decisions[i] = Decision(cand.article_id, True, None, None, None, cand.article_id)
            else:
                assert rep is not None
                rep_id = self._ids[rep]
                decisions[i] = Decision(
                    cand.article_id,
                    False,
                    kind,
                    rep_id,
                    None if sim is None else round(sim, 4),
                    rep_id,
                )
        self._index_pending()
        return decisions  # type: ignore[return-value]

    def _match_index(
        self, sigs: np.ndarray, counts: np.ndarray, eligible: np.ndarray
    ) -> dict[int, tuple[float, int]]:
        """Best near-duplicate row in the index per batch text: {group: (similarity, row)}."""
        if len(eligible) == 0 or (self._tables.entries == 0 and self._lazy is None):
            return {}
        q, rows = self._query(self._band_keys(sigs[eligible]))
        if len(q) == 0:
            return {}
        groups = eligible[q]
        is_dup, sim = self._scores(
            sigs[groups], counts[groups], self._sigs[rows], self._counts[rows]
        )
        groups, rows, sim = groups[is_dup], rows[is_dup], sim[is_dup]
        # best per group: highest similarity, then the earliest stored row
        order = np.lexsort((rows, -sim, groups))
        groups, rows, sim = groups[order], rows[order], sim[order]
        first = np.ones(len(groups), dtype=bool)
        first[1:] = groups[1:] != groups[:-1]
        return {
            int(g): (float(s), int(r))
            for g, s, r in zip(groups[first], sim[first], rows[first], strict=True)
        }

    def _match_batch(
        self, sigs: np.ndarray, counts: np.ndarray, eligible: np.ndarray
    ) -> dict[int, list[tuple[int, float]]]:
        """Near-duplicate pairs among the batch's texts: {group: [(other group, similarity)]}."""
        if len(eligible) < 2:
            return {}
        keys = self._band_keys(sigs[eligible])
        lefts, rights = [], []
        for band in range(self.bands):
            order = np.argsort(keys[band], kind="stable")
            k = keys[band][order]
            d = 1
            while d < len(k):
                same = k[d:] == k[:-d]
                if not same.any():
                    break
                lefts.append(order[:-d][same])
                rights.append(order[d:][same])
                d += 1
        if not lefts:
            return {}
        a = eligible[np.concatenate(lefts)]
        b = eligible[np.concatenate(rights)]
        lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
        pairs = np.unique(lo * len(sigs) + hi)
        lo, hi = pairs // len(sigs), pairs % len(sigs)
        is_dup, sim = self._scores(sigs[lo], counts[lo], sigs[hi], counts[hi])
        out: dict[int, list[tuple[int, float]]] = {}
        for g_lo, g_hi, s in zip(
            lo[is_dup].tolist(), hi[is_dup].tolist(), sim[is_dup].tolist(), strict=True
        ):
            out.setdefault(g_hi, []).append((g_lo, s))
            out.setdefault(g_lo, []).append((g_hi, s))
        return out

    # ---------------------------------------------------------------- persistence

    def _params(self) -> dict[str, int]:
        return {
            "num_perm": self.num_perm,
            "shingle_size": self.shingle_size,
            "seed": self.seed,
            "hash_version": HASH_VERSION,
        }

    def mark(self) -> tuple[int, int]:
        """A position in the index (stored rows, aliases): ``to_arrow(since=mark)`` returns
        only what was added after it."""
        return (self._n, len(self._alias_ids))

    @property
    def loaded_mark(self) -> tuple[int, int]:
        """``mark()`` right after ``from_arrow`` built this index ((0, 0) for a new index):
        ``to_arrow(since=index.loaded_mark)`` is what this process added."""
        return self._loaded

    def to_arrow(self, since: tuple[int, int] | None = None) -> pa.Table:
        """The index as a table: stored rows in the order they were stored, then aliases.

        ``since``: a ``mark()``; only the rows and aliases added after it.

        Stored rows are kept articles and their near-duplicate copies; aliases are other ids
        and texts known to duplicate a kept article (exact copies, copies under another URL).
        Columns: ``article_id``, ``canonical_url``, ``content_hash`` (strings),
        ``signature`` (fixed_size_binary: ``num_perm`` little-endian uint32; null for an
        alias), ``shingle_count`` (uint32; null for an alias), ``duplicate_of`` (id of the
        kept representative; null for a kept article). The hashing parameters are in the
        schema metadata under ``newsetl.dedupe``.
        """
        r0, a0 = since or (0, 0)
        n, na = self._n - r0, len(self._alias_ids) - a0
        width = 4 * self.num_perm
        sig_bytes = np.ascontiguousarray(self._sigs[r0 : self._n], dtype="<u4").tobytes()
        sig_bytes += bytes(width * na)
        validity = np.concatenate([np.ones(n, dtype=bool), np.zeros(na, dtype=bool)])
        signature = pa.Array.from_buffers(
            pa.binary(width),
            n + na,
            [pa.array(validity).buffers()[1], pa.py_buffer(sig_bytes)],
            null_count=na,
        )
        counts = pa.array(
            np.concatenate([self._counts[r0 : self._n], np.zeros(na, dtype=np.uint32)]),
            mask=~validity,
            type=pa.uint32(),
        )
        # representatives may be any stored row: a list of all ids when many are needed
        ids = self._ids.since(0) if n + na > len(self._ids) // 8 else self._ids
        reps = self._reps[r0 : self._n].tolist()
        duplicate_of = [None if r == row else ids[r] for row, r in enumerate(reps, r0)]
        alias_ids = self._alias_ids.since(a0)
        duplicate_of += [ids[self._by_id[a]] for a in alias_ids]
        table = pa.Table.from_pydict(  # not pa.table(): that imports pandas (0.4 s)
            {
                "article_id": pa.array(self._ids.since(r0) + alias_ids, type=pa.string()),
                "canonical_url": pa.array(
                    self._urls.since(r0) + self._alias_urls.since(a0), type=pa.string()
                ),
                "content_hash": pa.array(
                    self._hashes.since(r0) + self._alias_hashes.since(a0), type=pa.string()
                ),
                "signature": signature,
                "shingle_count": counts,
                "duplicate_of": pa.array(duplicate_of, type=pa.string()),
            }
        )
        meta = {b"newsetl.dedupe": json.dumps(self._params()).encode()}
        return table.replace_schema_metadata(meta)

    @classmethod
    def from_arrow(cls, table: pa.Table, **options: Any) -> DedupeIndex:
        """Rebuild an index from ``to_arrow``'s table (e.g. read back from Parquet).

        ``options`` are constructor arguments (thresholds); hashing parameters come from the
        table's metadata when present. Only ``article_id``, ``canonical_url``,
        ``content_hash`` and ``signature`` are required (then every row is a kept article);
        rows may come in any order (e.g. one file per run). A copy whose representative is
        not in the table is left out; of rows with the same id, the first stored one counts.
        Raises ``ValueError`` if the stored signatures were made with other hashing
        parameters than requested. Vectorised: about 3 s for 1,000,000 rows (see
        benchmarks/dedupe.py ``--incremental``).
        """
        meta = (table.schema.metadata or {}).get(b"newsetl.dedupe")
        if meta is not None:
            stored = json.loads(meta)
            if stored.get("hash_version") != HASH_VERSION:
                raise ValueError(
                    "stored dedupe index uses another hash version: rebuild it from the articles"
                )
            for key in ("num_perm", "shingle_size", "seed"):
                if key in options and options[key] != stored[key]:
                    raise ValueError(
                        f"stored dedupe index has {key}={stored[key]}, asked for "
                        f"{options[key]}: rebuild the index or drop the option"
                    )
                options[key] = stored[key]
        index = cls(**options)
        n_all = table.num_rows
        if n_all == 0:
            index._loaded = index.mark()
            return index
        names = set(table.column_names)
        ids = table["article_id"]
        valid = _to_bool(pc.is_valid(table["signature"]))
        if "duplicate_of" in names:
            dup = table["duplicate_of"]
            kept = valid & _to_bool(pc.is_null(dup))
        else:
            dup, kept = None, valid
        # Rows in priority order: kept articles, copies, aliases (each in table order). One
        # hash lookup gives the first row of each id (later rows with that id are dropped)
        # and, for copies and aliases, the kept row of their representative.
        kept_pos = np.flatnonzero(kept)
        copy_pos = np.flatnonzero(valid & ~kept)
        alias_pos = np.flatnonzero(~valid)
        nk, nc = len(kept_pos), len(copy_pos)
        ordered = np.concatenate([kept_pos, copy_pos, alias_pos])
        sub = ids.take(pa.array(ordered))
        lookups = [sub]
        if dup is not None and len(ordered) > nk:
            lookups.append(dup.take(pa.array(ordered[nk:])))
        found = pc.index_in(
            pa.chunked_array([c for part in lookups for c in part.chunks], type=sub.type),
            value_set=sub.combine_chunks(),
            skip_nulls=True,
        )
        found = np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
        first = found[: len(ordered)] == np.arange(len(ordered))
        ref = np.full(len(ordered), -1, dtype=np.int64)  # representative: index into kept_pos
        if len(found) > len(ordered):
            r = found[len(ordered) :]
            ref[nk:] = np.where(r < nk, r, -1)  # a representative must be a kept row
        ref[:nk] = np.arange(nk)
        keep = first & (ref >= 0)
        stored_sel = np.concatenate([kept_pos[keep[:nk]], copy_pos[keep[nk : nk + nc]]])
        stored_pos = np.sort(stored_sel)
        row_of = np.full(table.num_rows, -1, dtype=np.int64)
        row_of[stored_pos] = np.arange(len(stored_pos))
        rep_of_pos = np.full(table.num_rows, -1, dtype=np.int64)
        rep_of_pos[ordered[keep]] = kept_pos[ref[keep]]
        reps = row_of[rep_of_pos[stored_pos]]
        take = pa.array(stored_pos)
        rows = table.select(["article_id", "canonical_url", "content_hash"]).take(take)
        counts = _to_u32(table["shingle_count"].take(take)) if "shingle_count" in names else None
        index._load_rows(
            rows["article_id"].to_pylist(),
            rows["canonical_url"].to_pylist(),
            rows["content_hash"].to_pylist(),
            _signatures_from_arrow(table["signature"], index.num_perm, stored_pos),
            counts,
            reps,
        )
        alias_sel = alias_pos[keep[nk + nc :]]
        if len(alias_sel):
            aliases = table.select(["article_id", "canonical_url", "content_hash"])
            aliases = aliases.take(pa.array(alias_sel))
            for a, u, h, r in zip(
                aliases["article_id"].to_pylist(),
                aliases["canonical_url"].to_pylist(),
                aliases["content_hash"].to_pylist(),
                row_of[rep_of_pos[alias_sel]].tolist(),
                strict=True,
            ):
                index._add_alias(a, u, h, r)
        index._index_pending(lazy=True)
        index._loaded = index.mark()
        return index

    def _load_rows(
        self,
        ids: list[str],
        urls: list[str],
        hashes: list[str],
        sigs: np.ndarray,
        counts: np.ndarray | None,
        reps: np.ndarray,
    ) -> None:
        """Store many rows at once into an empty index (``reps``: row of each representative)."""
        assert self._n == 0 and not self._alias_ids
        n = len(ids)
        if counts is None:
            counts = _estimate_counts(sigs[:n])
        self._sigs = sigs  # (capacity, num_perm): the first n rows are filled
        self._counts = np.zeros(len(sigs), dtype=np.uint32)
        self._counts[:n] = counts
        self._reps = np.zeros(len(sigs), dtype=np.int64)
        self._reps[:n] = reps
        self._n = n
        self._kept = int(np.count_nonzero(reps == np.arange(n)))
        self._ids, self._urls, self._hashes = _Strings(ids), _Strings(urls), _Strings(hashes)
        rep_list = reps.tolist()
        self._by_id = dict(zip(ids, rep_list, strict=True))
        # the first row of a text wins, as with setdefault
        self._by_hash = dict(zip(reversed(hashes), reversed(rep_list), strict=True))


def _to_bool(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=bool)


def _to_u32(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(arr.fill_null(0).to_numpy(zero_copy_only=False)).astype(np.uint32)


def _capacity(n: int) -> int:
    return n + max(1024, n // 8)


def _signatures_from_arrow(
    column: pa.ChunkedArray | pa.Array, num_perm: int, positions: np.ndarray | None = None
) -> np.ndarray:
    """The signatures at ``positions`` (all rows if None) as a new ``(capacity, num_perm)``
    uint32 array whose first ``len(positions)`` rows are filled, copied chunk by chunk."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    total = sum(len(c) for c in chunks)
    if positions is None:
        positions = np.arange(total)
    out = np.empty((_capacity(len(positions)), num_perm), dtype=np.uint32)
    if not pa.types.is_fixed_size_binary(column.type):  # not as written by to_arrow: rare
        chunks = [pa.chunked_array(chunks, type=column.type).take(pa.array(positions))]
        chunks = [chunks[0].combine_chunks()] if isinstance(chunks[0], pa.ChunkedArray) else chunks
        positions = np.arange(len(positions))
    start = done = 0
    for arr in chunks:
        end = start + len(arr)
        lo, hi = np.searchsorted(positions, [start, end])
        local = positions[lo:hi] - start
        if len(local) == len(arr):  # every row of the chunk: one block copy
            out[done : done + len(local)] = _chunk_signatures(arr, num_perm)
        elif len(local):
            out[done : done + len(local)] = _chunk_signatures(arr, num_perm)[local]
        done += len(local)
        start = end
    return out


def _chunk_signatures(arr: pa.Array, num_perm: int) -> np.ndarray:
    n = len(arr)
    typ = arr.type
    if pa.types.is_fixed_size_binary(typ):
        width = typ.byte_width
        buf = np.frombuffer(arr.buffers()[1], dtype=np.uint8)
        raw = buf[arr.offset * width : (arr.offset + n) * width]
        if width == 4 * num_perm:
            return raw.view("<u4").reshape(n, num_perm)
        if width == 8 * num_perm:
            return raw.view("<u8").reshape(n, num_perm).astype(np.uint32)
    elif pa.types.is_binary(typ) or pa.types.is_large_binary(typ):
        raw = np.frombuffer(b"".join(arr.to_pylist()), dtype="<u4")
        return raw.reshape(n, num_perm)
    elif pa.types.is_fixed_size_list(typ) or pa.types.is_list(typ) or pa.types.is_large_list(typ):
        flat = arr.flatten().to_numpy(zero_copy_only=False)
        return flat.reshape(n, num_perm).astype(np.uint32)
    raise ValueError(
        f"signature column has type {typ}: expected fixed_size_binary({4 * num_perm}) "
        "as written by DedupeIndex.to_arrow"
    )


def _estimate_counts(sigs: np.ndarray) -> np.ndarray:
    """Distinct-shingle counts estimated from MinHash signatures (mean of the minima)."""
    empty = np.all(sigs == _MAX32, axis=1)
    mean = np.maximum(sigs.astype(np.float64).mean(axis=1) / 2.0**32, 1e-12)
    est = np.maximum(1.0, np.round(1.0 / mean - 1.0))
    return np.where(empty, 0, np.minimum(est, 2**32 - 1)).astype(np.uint32)


def _estimate_count(signature: np.ndarray) -> int:
    """Distinct-shingle count estimated from a MinHash signature."""
    return int(_estimate_counts(np.asarray(signature)[None, :])[0])
