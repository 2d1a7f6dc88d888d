"""The near-duplicate index as an Arrow table: ``DedupeIndex.to_arrow`` and ``from_arrow``.

The table is what ``data/_index/`` holds (``newsetl.storage``): one row per stored signature
(kept articles and their near-duplicate copies), then the aliases (other ids and texts known
to duplicate a kept article); the hashing parameters are in the schema metadata under
``newsetl.dedupe``. Reading it back is vectorised with numpy/pyarrow.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any, Self, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from newsetl.dedupe.fingerprints import HASH_VERSION, estimate_counts
from newsetl.dedupe.strings import Strings


class ArrowPersistence:
    """The Arrow half of ``DedupeIndex``: its rows as a table, and an index from a table.

    A mixin: ``from_arrow`` fills a new ``DedupeIndex`` through its ``_add_alias`` and
    ``_index_pending``; the attributes below are those ``DedupeIndex.__init__`` sets."""

    num_perm: int
    shingle_size: int
    seed: int
    _sigs0: np.ndarray
    _n0: int
    _sigs: np.ndarray
    _counts: np.ndarray
    _reps: np.ndarray
    _n: int
    _kept: int
    _ids: Strings
    _urls: Strings
    _hashes: Strings
    _by_id: MutableMapping[str, int]
    _by_hash: MutableMapping[str, int]
    _alias_ids: Strings
    _alias_urls: Strings
    _alias_hashes: Strings
    _loaded: tuple[int, int]

    if TYPE_CHECKING:  # defined by DedupeIndex, which this class is a half of

        def _add_alias(
            self, article_id: str, canonical_url: str, chash: str | None, row: int
        ) -> None: ...

        def _index_pending(self, *, lazy: bool = False) -> None: ...

        def _sig_range(self, lo: int, hi: int) -> np.ndarray: ...

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

    def mark_stored(self) -> None:
        """Say that everything in the index is stored now: ``loaded_mark`` becomes
        ``mark()``, so ``to_arrow(since=index.loaded_mark)`` is what is added from now on."""
        self._loaded = self.mark()

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
        sig_bytes = np.ascontiguousarray(self._sig_range(r0, self._n), dtype="<u4").tobytes()
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
        duplicate_of += [ids[self._by_id[cast(str, a)]] for a in alias_ids]
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
    def from_arrow(cls, table: pa.Table, **options: Any) -> Self:
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
            counts = estimate_counts(sigs[:n])
        self._sigs = sigs  # (capacity, num_perm): the first n rows are filled
        self._counts = np.zeros(len(sigs), dtype=np.uint32)
        self._counts[:n] = counts
        self._reps = np.zeros(len(sigs), dtype=np.int64)
        self._reps[:n] = reps
        self._n = n
        self._kept = int(np.count_nonzero(reps == np.arange(n)))
        self._ids, self._urls, self._hashes = Strings(ids), Strings(urls), Strings(hashes)
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
