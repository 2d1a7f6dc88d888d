"""Fingerprints of texts: normalisation, content hash, word shingles and their MinHash signature.

Texts are compared by MinHash signatures of their word shingles (``shingle_size`` words),
computed with numpy over whole batches of texts at once: the normalised texts are joined into
one UTF-8 buffer, word hashes come from prefix sums over its bytes, shingle hashes are rolled
from word hashes (32 bits each), and the ``num_perm`` permutations are one
``(a * h + b) mod 2**32`` matrix operation whose minima per text form the signature. Big
batches are spread over worker processes (``fingerprint_many``).
"""

from __future__ import annotations

import atexit
import hashlib
import multiprocessing
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from newsetl import interrupt
from newsetl.settings import available_cpus

# Defaults, chosen on benchmarks/dedupe.py (see its docstring for the figures).
NUM_PERM = 128
SHINGLE_SIZE = 5  # words
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


def estimate_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of the shingle sets behind MinHash signatures: the share
    of permutations whose minima agree (per row, for aligned ``(n, num_perm)`` arrays). Its
    standard error is ``sqrt(J * (1 - J) / num_perm)`` (tests/dedupe/test_minhash_oracle.py)."""
    return (sig_a == sig_b).mean(axis=-1)


# ---------------------------------------------------------------- worker processes

_pool: ProcessPoolExecutor | None = None
_pool_workers = 0
_pool_lock = threading.Lock()


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
        workers = available_cpus() if len(texts) >= PARALLEL_MIN else 1
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


def estimate_counts(sigs: np.ndarray) -> np.ndarray:
    """Distinct-shingle counts estimated from MinHash signatures (mean of the minima)."""
    empty = np.all(sigs == _MAX32, axis=1)
    mean = np.maximum(sigs.astype(np.float64).mean(axis=1) / 2.0**32, 1e-12)
    est = np.maximum(1.0, np.round(1.0 / mean - 1.0))
    return np.where(empty, 0, np.minimum(est, 2**32 - 1)).astype(np.uint32)


def estimate_count(signature: np.ndarray) -> int:
    """Distinct-shingle count estimated from a MinHash signature."""
    return int(estimate_counts(np.asarray(signature)[None, :])[0])
