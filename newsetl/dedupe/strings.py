"""An append-only column of strings that the garbage collector does not walk."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
import pyarrow as pa

CHUNK = 4096


class Encoded(NamedTuple):
    """Strings as flat arrays (the layout of ``newsetl.dedupe.snapshot``'s files): ``valid``
    (uint8, 0 for None), ``ends`` (int64, where each item's UTF-8 bytes end in ``data``)
    and ``data`` (uint8)."""

    valid: np.ndarray
    ends: np.ndarray
    data: np.ndarray

    def __len__(self) -> int:
        return len(self.ends)

    def to_arrow(self, start: int = 0, stop: int | None = None) -> pa.Array:
        """Items ``[start, stop)`` as a ``large_string`` array (the data is not copied)."""
        stop = len(self.ends) if stop is None else stop
        n = stop - start
        first = 0 if start == 0 else int(self.ends[start - 1])
        offsets = np.empty(n + 1, dtype=np.int64)
        offsets[0] = first
        offsets[1:] = self.ends[start:stop]
        valid = np.asarray(self.valid[start:stop], dtype=bool)
        nulls = n - int(np.count_nonzero(valid))
        bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None
        return pa.Array.from_buffers(
            pa.large_string(),
            n,
            [bitmap, pa.py_buffer(offsets), pa.py_buffer(self.data)],
            null_count=nulls,
        )


def encode(items: list[str | None], data_start: int = 0) -> Encoded:
    """``items`` as ``Encoded`` arrays, their ``ends`` counted from ``data_start`` (the
    length of the data they are appended to)."""
    if not items:
        empty = np.empty(0, dtype=np.uint8)
        return Encoded(empty, np.empty(0, dtype=np.int64), empty)
    arr = pa.array(items, type=pa.large_string())
    n = len(arr)
    _, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64)[arr.offset : arr.offset + n + 1]
    first, last = int(offsets[0]), int(offsets[-1])
    if data_buf is None or last == first:
        data = np.empty(0, dtype=np.uint8)
    else:
        data = np.frombuffer(data_buf, dtype=np.uint8)[first:last].copy()
    return Encoded(
        valid=np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=np.uint8),
        ends=offsets[1:] - first + data_start,
        data=data,
    )


class Strings:
    """An append-only list of strings (or None), kept as full tuples of ``CHUNK`` items
    plus a short list. The garbage collector stops tracking a tuple of strings, so its full
    collections (every few batches: a batch makes tens of thousands of objects) do not walk
    a million ids, URLs and hashes each time, as they would in plain lists.

    ``base``: items already held as ``Encoded`` arrays (memory-mapped from a snapshot), which
    come first; they are decoded one at a time when asked for, never all at once."""

    __slots__ = ("_base", "_full", "_n0", "_tail")

    def __init__(self, items: Iterable[str | None] = (), *, base: Encoded | None = None) -> None:
        self._base = base
        self._n0 = 0 if base is None else len(base)
        self._full: list[tuple[str | None, ...]] = []
        self._tail: list[str | None] = []
        self.extend(items)

    def __len__(self) -> int:
        return self._n0 + len(self._full) * CHUNK + len(self._tail)

    def append(self, item: str | None) -> None:
        self._tail.append(item)
        if len(self._tail) == CHUNK:
            self._full.append(tuple(self._tail))
            self._tail = []

    def extend(self, items: Iterable[str | None]) -> None:
        tail = self._tail + list(items)
        full = len(tail) - len(tail) % CHUNK
        self._full.extend(tuple(tail[i : i + CHUNK]) for i in range(0, full, CHUNK))
        self._tail = tail[full:]

    def __getitem__(self, i: int) -> str | None:
        if i < self._n0:
            base = self._base
            assert base is not None
            if not base.valid[i]:
                return None
            start = int(base.ends[i - 1]) if i else 0
            return bytes(base.data[start : int(base.ends[i])]).decode()
        chunk, pos = divmod(i - self._n0, CHUNK)
        return self._full[chunk][pos] if chunk < len(self._full) else self._tail[pos]

    def since(self, start: int) -> list[str | None]:
        """The items from ``start`` on, as a list."""
        out: list[str | None] = []
        if start < self._n0:
            assert self._base is not None
            out = self._base.to_arrow(start).to_pylist()
            start = self._n0
        start -= self._n0
        first = start // CHUNK
        rest = list(itertools.chain.from_iterable(self._full[first:]))
        rest += self._tail
        return out + rest[start - first * CHUNK :]
