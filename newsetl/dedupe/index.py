"""The near-duplicate index: everything already kept, and the decisions for new candidates.

Candidates are verified on their signatures (see ``newsetl.dedupe.fingerprints``) once banded
LSH (``newsetl.dedupe.lsh``) has paired them with a stored row or another text of the batch:

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

from collections.abc import Iterable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np

from newsetl.dedupe import lsh
from newsetl.dedupe.arrow import ArrowPersistence
from newsetl.dedupe.fingerprints import (
    NUM_PERM,
    SEED,
    SHINGLE_SIZE,
    Fingerprint,
    estimate_count,
    estimate_jaccard,
    fingerprint,
    fingerprint_many,
)
from newsetl.dedupe.strings import Strings

DuplicateKind = Literal["same_url", "exact_text", "near_duplicate"]

# Defaults, chosen on benchmarks/dedupe.py (see its docstring for the figures).
THRESHOLD = 0.4  # estimated Jaccard
CONTAINMENT_THRESHOLD = 0.65
MIN_LENGTH_RATIO = 0.4  # containment only counts when the shorter text is >= 40% of the longer
MIN_SHINGLES = 10  # shorter texts are matched by URL and exact text only

_STEP = 65536  # rows at a time, read in place: no copy of the signatures


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


def _decision_key(cand: Candidate, fp: Fingerprint) -> tuple[Any, ...]:
    """Decision order within a batch: earliest published, then most words, then ties broken
    on every field, so that the result does not depend on the order of the batch."""
    return (
        _time_key(cand.published_at),
        -fp.word_count,
        cand.canonical_url,
        cand.article_id,
        fp.content_hash,
        cand.url,
        str(cand.fetched_at),
        cand.text,
        cand.title or "",
    )


def _distinct_texts(
    order: list[int], fps: list[Fingerprint]
) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
    """The distinct texts of a batch numbered in decision order: {content hash: group},
    and per group the signature and shingle count of its first candidate."""
    group_of: dict[str, int] = {}
    members: list[int] = []  # group -> first candidate (in decision order)
    for i in order:
        h = fps[i].content_hash
        if h not in group_of:
            group_of[h] = len(members)
            members.append(i)
    sigs = np.stack([fps[i].signature for i in members]).astype(np.uint32, copy=False)
    counts = np.array([fps[i].shingle_count for i in members], dtype=np.uint32)
    return group_of, sigs, counts


class DedupeIndex(ArrowPersistence):
    """Everything already kept (across runs), and the decisions for new candidates.

    Rows are kept articles: their signatures sit in one ``(n, num_perm)`` uint32 array, their
    LSH band keys in one hash table per band (``lsh.BandTables``: a lookup or an insert costs
    the same whatever the size of the index). Article ids and content hashes of dropped
    duplicates are remembered as aliases of their representative, so a URL seen before is
    answered without looking at its text again. Memory per stored row with the defaults:
    512 bytes of signature, 12 of count and representative, 8 per band and slot for the LSH
    tables (1.5 to 3 slots per row: 500 to 1,000 bytes) plus the ids, URLs and content
    hashes as Python strings in lists and two dicts. ``from_arrow`` (``newsetl.dedupe.arrow``)
    builds all of it with vectorised numpy/pyarrow (no per-row numpy work); the loaded rows'
    band keys are hashed into the tables only when a big batch needs them (``LshIndex.query``).
    """

    def __init__(
        self,
        num_perm: int = NUM_PERM,
        threshold: float = THRESHOLD,
        *,
        containment_threshold: float = CONTAINMENT_THRESHOLD,
        min_length_ratio: float = MIN_LENGTH_RATIO,
        shingle_size: int = SHINGLE_SIZE,
        bands: int = lsh.BANDS,
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
        # Signatures of rows [0, _n0) in ``_sigs0`` (a snapshot's memory-mapped file, or
        # empty); of rows [_n0, _n) in ``_sigs``, which grows (see ``_sig_range``).
        self._sigs0 = np.empty((0, num_perm), dtype=np.uint32)
        self._n0 = 0
        self._sigs = np.empty((0, num_perm), dtype=np.uint32)
        self._counts = np.empty(0, dtype=np.uint32)
        self._reps = np.empty(0, dtype=np.int64)  # row -> row of its representative
        self._n = 0  # rows: kept articles and their near-duplicate copies
        self._kept = 0
        self._ids = Strings()  # per row
        self._urls = Strings()
        self._hashes = Strings()
        # article id / content hash -> row of its representative (dicts, or a snapshot's
        # ``FrozenMap``s)
        self._by_id: MutableMapping[str, int] = {}
        self._by_hash: MutableMapping[str, int] = {}
        self._alias_ids = Strings()
        self._alias_urls = Strings()
        self._alias_hashes = Strings()
        self._lsh = lsh.LshIndex(bands)
        self._indexed = 0  # rows [0, _indexed) are in the LSH tables (or lazy)
        self._loaded = (0, 0)  # mark() when from_arrow built it
        # (folder, generation) of the snapshot this index stands for (``newsetl.dedupe.snapshot``)
        self.snapshot: tuple[str, int] | None = None

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
        filled = self._n - self._n0
        if filled == len(self._sigs):
            cap = max(1024, len(self._sigs) + len(self._sigs) // 4)
            sigs = np.empty((cap, self.num_perm), dtype=np.uint32)
            sigs[:filled] = self._sigs[:filled]
            self._sigs = sigs
        if self._n == len(self._counts):
            cap = max(1024, len(self._counts) + len(self._counts) // 4)
            counts = np.zeros(cap, dtype=np.uint32)
            counts[: self._n] = self._counts[: self._n]
            reps = np.zeros(cap, dtype=np.int64)
            reps[: self._n] = self._reps[: self._n]
            self._counts, self._reps = counts, reps
        row = self._n
        self._sigs[filled] = signature
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
            shingle_count = estimate_count(sig)
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

    def _index_pending(self, *, lazy: bool = False) -> None:
        """Put the band keys of rows stored since the last call into the LSH tables;
        ``lazy``: keep them apart, unhashed, until a big query needs them (``LshIndex``)."""
        lo, hi = self._indexed, self._n
        if hi == lo:
            return
        self._indexed = hi
        keys, rows = [], []
        for i in range(lo, hi, _STEP):
            j = min(i + _STEP, hi)
            ok = self._counts[i:j] >= self.min_shingles
            sigs = self._sig_range(i, j)
            sigs = sigs if ok.all() else sigs[ok]
            keys.append(lsh.band_chunk(sigs, self.bands, self.rows_per_band).T)
            rows.append(np.flatnonzero(ok) + i)
        all_keys, all_rows = np.concatenate(keys, axis=1), np.concatenate(rows)
        if len(all_rows) == 0:
            return
        self._lsh.add(all_keys, all_rows, lazy=lazy)

    def _sig_range(self, lo: int, hi: int) -> np.ndarray:
        """Signatures of rows ``[lo, hi)`` (a view where they sit in one array)."""
        n0 = self._n0
        if lo >= n0:
            return self._sigs[lo - n0 : hi - n0]
        if hi <= n0:
            return self._sigs0[lo:hi]
        return np.concatenate([self._sigs0[lo:], self._sigs[: hi - n0]])

    def _sig_take(self, rows: np.ndarray) -> np.ndarray:
        """Signatures of ``rows`` (any order)."""
        if self._n0 == 0:
            return self._sigs[rows]
        out = np.empty((len(rows), self.num_perm), dtype=np.uint32)
        old = rows < self._n0
        out[old] = self._sigs0[rows[old]]
        out[~old] = self._sigs[rows[~old] - self._n0]
        return out

    def _band_keys(self, sigs: np.ndarray) -> np.ndarray:
        return lsh.band_keys(sigs, self.bands, self.rows_per_band)

    def _scores(
        self, sig_a: np.ndarray, cnt_a: np.ndarray, sig_b: np.ndarray, cnt_b: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(is duplicate, similarity) for aligned pairs of signatures and shingle counts."""
        jac = np.empty(len(sig_a), dtype=np.float64)
        step = 65536
        for i in range(0, len(sig_a), step):
            jac[i : i + step] = estimate_jaccard(sig_a[i : i + step], sig_b[i : i + step])
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
        if not candidates:
            return []
        fps = self._fingerprints_of(candidates, workers)
        order = sorted(range(len(candidates)), key=lambda i: _decision_key(candidates[i], fps[i]))
        # Near-duplicate work is done per distinct text (a "group"), in decision order.
        group_of, g_sigs, g_counts = _distinct_texts(order, fps)
        eligible = np.flatnonzero(g_counts >= self.min_shingles)
        best_index = self._match_index(g_sigs, g_counts, eligible)
        neighbours = self._match_batch(g_sigs, g_counts, eligible)
        assigned = self._link_through_batch(best_index, neighbours)

        decisions: list[Decision | None] = [None] * len(candidates)
        group_row: dict[int, int] = {}  # group -> row of its first stored member
        for i in order:
            cand, fp = candidates[i], fps[i]
            g = group_of[fp.content_hash]
            kind, sim, rep = self._match_one(
                cand, fp, assigned.get(g), neighbours.get(g, ()), group_row
            )
            decisions[i], row = self._record(cand, fp, kind, sim, rep)
            if row is not None:
                group_row.setdefault(g, row)
        self._index_pending()
        return decisions  # type: ignore[return-value]

    def _fingerprints_of(
        self, candidates: Sequence[Candidate], workers: int | None
    ) -> list[Fingerprint]:
        """The candidates' fingerprints, computed (``fingerprint_many``) where missing."""
        fps: list[Fingerprint | None] = [c.fingerprint for c in candidates]
        missing = [i for i, fp in enumerate(fps) if fp is None]
        if missing:
            computed = self.fingerprint_many([candidates[i].text for i in missing], workers)
            for i, fp in zip(missing, computed, strict=True):
                fps[i] = fp
        done = cast(list[Fingerprint], fps)  # every one filled in above
        for fp in done:
            if fp.signature.shape != (self.num_perm,):
                raise ValueError(
                    "candidate fingerprint has the wrong signature size: compute it with "
                    "this index's fingerprint()"
                )
        return done

    def _link_through_batch(
        self,
        best_index: dict[int, tuple[float, int]],
        neighbours: dict[int, list[tuple[int, float]]],
    ) -> dict[int, tuple[float, int]]:
        """{group: (similarity, representative row)} for the batch's texts that join a stored
        cluster: matched to the index directly, or a near-duplicate of a text that is (linked
        through the batch); the stored article stays the representative. Groups are visited
        in decision order, so this is deterministic."""
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
        return assigned

    def _match_one(
        self,
        cand: Candidate,
        fp: Fingerprint,
        assigned: tuple[float, int] | None,
        neighbours: Iterable[tuple[int, float]],
        group_row: dict[int, int],
    ) -> tuple[DuplicateKind | None, float | None, int | None]:
        """(kind, similarity, representative row) of one candidate; kind None: it is kept.

        ``assigned``: its text's stored cluster (``_link_through_batch``); ``neighbours``:
        the batch texts near its text; ``group_row``: the row of each text stored so far."""
        rep = self._by_id.get(cand.article_id)
        if rep is not None:
            return "same_url", None, rep
        rep = self._by_hash.get(fp.content_hash)
        if rep is not None:
            return "exact_text", 1.0, rep
        match = assigned
        if match is None:
            # an earlier text of this batch: highest similarity, then earliest row
            for g2, s in neighbours:
                r2 = group_row.get(g2)
                if r2 is not None and (match is None or (s, -r2) > (match[0], -match[1])):
                    match = (s, r2)
            if match is not None:
                match = (match[0], int(self._reps[match[1]]))
        if match is not None:
            return "near_duplicate", match[0], match[1]
        return None, None, None

    def _record(
        self,
        cand: Candidate,
        fp: Fingerprint,
        kind: DuplicateKind | None,
        sim: float | None,
        rep: int | None,
    ) -> tuple[Decision, int | None]:
        """Store the decided candidate in the index: its ``Decision``, and its row when it
        was stored with its signature (kept, or a near-duplicate copy)."""
        row = None
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
        else:
            assert rep is not None
            self._add_alias(cand.article_id, cand.canonical_url, fp.content_hash, rep)
        if kind is None:
            return Decision(cand.article_id, True, None, None, None, cand.article_id), row
        assert rep is not None
        rep_id = cast(str, self._ids[rep])  # a stored row always has its id
        similarity = None if sim is None else round(sim, 4)
        return Decision(cand.article_id, False, kind, rep_id, similarity, rep_id), row

    def _match_index(
        self, sigs: np.ndarray, counts: np.ndarray, eligible: np.ndarray
    ) -> dict[int, tuple[float, int]]:
        """Best near-duplicate row in the index per batch text: {group: (similarity, row)}."""
        if len(eligible) == 0 or self._lsh.is_empty:
            return {}
        q, rows = self._lsh.query(self._band_keys(sigs[eligible]), self._n)
        if len(q) == 0:
            return {}
        groups = eligible[q]
        is_dup, sim = self._scores(
            sigs[groups], counts[groups], self._sig_take(rows), self._counts[rows]
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
        lefts, rights = lsh.batch_pairs(self._band_keys(sigs[eligible]))
        if len(lefts) == 0:
            return {}
        a, b = eligible[lefts], eligible[rights]
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
