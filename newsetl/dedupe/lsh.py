"""Banded LSH over MinHash signatures, in hand-written open-addressing hash tables.

A signature of ``num_perm`` values is cut into ``bands`` bands of ``num_perm // bands`` rows;
two signatures are candidates when they agree on every value of at least one band. A band's
values are combined into one uint32 key per band (``band_keys``); the keys of an index's rows
sit in one hash table per band (``BandTables``), or, for rows just loaded from storage, apart
and unhashed until a query is big enough to pay for hashing them (``LshIndex``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

BANDS = 42  # x 3 rows: a pair with Jaccard 0.45 becomes a candidate with p = 0.98

_U64 = np.uint64
_ROW_BITS = _U64(32)
_ROW_MASK = _U64(0xFFFFFFFF)
_EMPTY = _U64(0xFFFFFFFFFFFFFFFF)  # a free slot (no row is 2**32 - 1)
_BAND_MULT = (np.uint32(0x9E3779B1), np.uint32(0x85EBCA77), np.uint32(0xC2B2AE3D))  # odd
_SLOT_MULT = np.uint32(0x9E3779B1)  # Fibonacci hashing: the top bits of key * odd
_MAX_LOAD = 2 / 3  # a band table doubles once more of its slots would be full
_MIN_BITS = 10
_PLAIN_ROUNDS = 4  # insertion rounds before colliding entries are spread out by rank
_BUILD_RATIO = 32  # loaded keys go into the tables once a query has >= 1/32 of their number


class BandTables:
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

    def add(self, keys: np.ndarray | Sequence[np.ndarray], rows: np.ndarray) -> None:
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


_KEY_STEP = 65536  # rows at a time: the scratch stays small


def band_keys(sigs: np.ndarray, bands: int, rows_per_band: int) -> np.ndarray:
    """(bands, n) uint32 keys: each band's ``rows_per_band`` values combined as
    ``sum(value[j] * K[j]) mod 2**32`` (odd ``K[j]``). Keys are only compared for
    equality (then the signatures are), so they need no further mixing."""
    n = len(sigs)
    out = np.empty((bands, n), dtype=np.uint32)
    for i in range(0, n, _KEY_STEP):
        out[:, i : i + _KEY_STEP] = band_chunk(sigs[i : i + _KEY_STEP], bands, rows_per_band).T
    return out


def band_chunk(sigs: np.ndarray, bands: int, rows_per_band: int) -> np.ndarray:
    """(n, bands) uint32 keys of a few signatures (see ``band_keys``)."""
    r = rows_per_band
    s = sigs[:, : bands * r].reshape(len(sigs), bands, r)
    acc = s[:, :, 0] * _BAND_MULT[0]
    for j in range(1, r):
        acc += s[:, :, j] * _BAND_MULT[j % len(_BAND_MULT)]
    return acc


def batch_pairs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (left, right) of the texts of one batch that share a key in some band, for
    ``(bands, q)`` ``keys``; a pair may come once per band it shares."""
    lefts, rights = [], []
    for band in range(len(keys)):
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
        empty = np.empty(0, dtype=np.intp)
        return empty, empty
    return np.concatenate(lefts), np.concatenate(rights)


class LshIndex:
    """The band keys of an index's rows: in ``tables``, or in ``lazy``, a ``(bands, m)``
    uint32 array of keys (or one array of ``m`` keys per band, e.g. a snapshot's
    memory-mapped files) and their ``m`` rows, for rows loaded from storage whose keys are
    not hashed yet (see ``query``)."""

    __slots__ = ("bands", "lazy", "tables")

    def __init__(self, bands: int) -> None:
        self.bands = bands
        self.tables = BandTables(bands)
        self.lazy: tuple[np.ndarray | Sequence[np.ndarray], np.ndarray] | None = None

    @property
    def is_empty(self) -> bool:
        return self.tables.entries == 0 and self.lazy is None

    @property
    def nbytes(self) -> int:
        if self.lazy is None:
            return self.tables.nbytes
        lazy = sum(k.nbytes for k in self.lazy[0]) + self.lazy[1].nbytes
        return self.tables.nbytes + lazy

    def add(self, keys: np.ndarray, rows: np.ndarray, *, lazy: bool = False) -> None:
        """Index ``(bands, m)`` ``keys`` of ``rows``; ``lazy``: keep them apart, unhashed,
        until a big query needs them."""
        if lazy:
            if self.lazy is not None:
                keys = np.concatenate([np.asarray(self.lazy[0]), keys], axis=1)
                rows = np.concatenate([self.lazy[1], rows])
            self.lazy = (np.ascontiguousarray(keys), rows)
        else:
            self.tables.add(keys, rows)

    def query(self, keys: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
        """Distinct (query index, row) pairs sharing at least one band key (``n_rows``: rows
        of the index, all below it).

        Stored keys are looked up in the per-band hash tables. Keys loaded by ``from_arrow``
        and not hashed yet are answered the other way round (each stored key looked up
        among the sorted query keys) while the query is small next to them: a run that adds
        a thousand articles to a million does not hash 42 million keys first. A query of at
        least 1/``_BUILD_RATIO`` of their number puts them into the tables.
        """
        owners: list[np.ndarray] = []
        rows: list[np.ndarray] = []
        if self.lazy is not None and len(keys[0]) * _BUILD_RATIO >= len(self.lazy[1]):
            lazy_keys, lazy_rows = self.lazy
            self.lazy = None
            self.tables.add(lazy_keys, lazy_rows)
            del lazy_keys, lazy_rows
        self.tables.lookup(keys, owners, rows)
        if self.lazy is not None:
            self._lookup_lazy(keys, owners, rows)
        if not owners:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        pairs = np.unique(
            np.concatenate(owners).astype(np.int64) * (n_rows + 1) + np.concatenate(rows)
        )
        return pairs // (n_rows + 1), pairs % (n_rows + 1)

    def _lookup_lazy(
        self, keys: np.ndarray, owners: list[np.ndarray], rows: list[np.ndarray]
    ) -> None:
        """``BandTables.lookup`` for the lazy keys: each looked up among the sorted query keys."""
        assert self.lazy is not None
        lazy_keys, lazy_rows = self.lazy
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
