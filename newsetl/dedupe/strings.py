"""An append-only column of strings that the garbage collector does not walk."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

CHUNK = 4096


class Strings:
    """An append-only list of strings (or None), kept as full tuples of ``CHUNK`` items
    plus a short list. The garbage collector stops tracking a tuple of strings, so its full
    collections (every few batches: a batch makes tens of thousands of objects) do not walk
    a million ids, URLs and hashes each time, as they would in plain lists."""

    __slots__ = ("_full", "_tail")

    def __init__(self, items: Iterable[str | None] = ()) -> None:
        self._full: list[tuple[str | None, ...]] = []
        self._tail: list[str | None] = []
        self.extend(items)

    def __len__(self) -> int:
        return len(self._full) * CHUNK + len(self._tail)

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
        chunk, pos = divmod(i, CHUNK)
        return self._full[chunk][pos] if chunk < len(self._full) else self._tail[pos]

    def since(self, start: int) -> list[str | None]:
        """The items from ``start`` on, as a list."""
        first = start // CHUNK
        out = list(itertools.chain.from_iterable(self._full[first:]))
        out += self._tail
        return out[start - first * CHUNK :]
