"""A string-keyed map whose stored entries stay in flat, sorted, memory-mapped arrays.

``FrozenMap`` answers ``get``/``in``/``[]`` for a million keys without a Python object per
key: the keys are sorted numpy bytes arrays (binary search), the values aligned arrays, in
layers (a small recent one over a big old one); entries set afterwards live in a small dict
in front of them. ``newsetl.dedupe.snapshot`` builds these maps from its files (the ids,
content hashes and revisions of a dataset's index) and merges the changes back into new
sorted arrays (``merge``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, MutableMapping
from typing import Any, TypeVar

import numpy as np

V = TypeVar("V")
_GONE: Any = object()  # a deleted entry of the base


def as_bytes_array(keys: list[str]) -> np.ndarray:
    """UTF-8 ``keys`` as a numpy bytes array (``S<longest>``)."""
    try:
        return np.array(keys, dtype=np.bytes_) if keys else np.empty(0, dtype="S1")
    except UnicodeEncodeError:  # numpy encodes str as ASCII only
        return np.array([k.encode() for k in keys], dtype=np.bytes_)


def storable(keys: Iterable[str]) -> bool:
    """Whether ``keys`` survive a bytes array (numpy strips trailing NUL bytes)."""
    return not any(k.endswith("\0") for k in keys)


class FrozenMap(MutableMapping[str, V]):
    """Sorted layers of ``(keys, values)`` (distinct numpy bytes keys, aligned values decoded
    to a Python value by ``decode``), the first layer's entries over the later ones', with
    later changes in a dict in front of them all."""

    __slots__ = ("_decode", "_extra", "_layers", "_over")

    def __init__(
        self, layers: list[tuple[np.ndarray, np.ndarray]], decode: Callable[[Any], V]
    ) -> None:
        self._layers = layers
        self._decode = decode
        self._over: dict[str, Any] = {}
        # entries of the layers (a key in several counts once), then of _over not in them,
        # less the entries of the layers deleted
        total = sum(len(keys) for keys, _ in layers)
        for i, (keys, _) in enumerate(layers[1:], 1):
            total -= sum(int(_found(k, keys).sum()) for k, _ in layers[:i])
        self._extra = total

    def _find(self, key: str) -> tuple[int, int]:
        """(layer, position) of ``key`` in the layers, (-1, -1) when it is not there."""
        raw = key.encode()
        if raw.endswith(b"\0"):
            return -1, -1
        for n, (keys, _) in enumerate(self._layers):
            if not len(keys) or len(raw) > keys.itemsize:
                continue
            pos = int(np.searchsorted(keys, raw))
            if pos < len(keys) and keys[pos] == raw:
                return n, pos
        return -1, -1

    def __getitem__(self, key: str) -> V:
        hit = self._over.get(key, None)
        if hit is not None or key in self._over:
            if hit is _GONE:
                raise KeyError(key)
            return hit  # type: ignore[return-value]
        layer, pos = self._find(key)
        if layer < 0:
            raise KeyError(key)
        return self._decode(self._layers[layer][1][pos])

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        if key in self._over:
            return self._over[key] is not _GONE
        return self._find(key)[0] >= 0

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __setitem__(self, key: str, value: V) -> None:
        if key not in self._over:
            self._extra += self._find(key)[0] < 0
        elif self._over[key] is _GONE:
            self._extra += 1
        self._over[key] = value

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        if key in self._over and self._find(key)[0] < 0:
            del self._over[key]
        else:
            self._over[key] = _GONE
        self._extra -= 1

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set(self._over)
        for keys, _ in self._layers:
            for raw in keys.tolist():
                key = raw.decode()
                if key not in seen:
                    seen.add(key)
                    yield key
        yield from (k for k, v in self._over.items() if v is not _GONE)

    def __len__(self) -> int:
        return self._extra


def _found(keys: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Which of ``keys`` are in the sorted ``among``."""
    if not len(keys) or not len(among):
        return np.zeros(len(keys), dtype=bool)
    width = max(keys.itemsize, among.itemsize)
    keys = keys.astype(f"S{width}", copy=False)
    among = among.astype(f"S{width}", copy=False)
    pos = np.minimum(np.searchsorted(among, keys), len(among) - 1)
    return among[pos] == keys


def merge(
    keys: np.ndarray, values: np.ndarray, add: np.ndarray, add_values: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted ``keys``/``values`` with the (distinct, numpy bytes) keys ``add`` set to
    ``add_values``: a key already there takes its new value, the others are inserted in
    order."""
    if not len(add):
        return keys, values
    width = max(keys.itemsize if len(keys) else 1, add.itemsize)
    keys = keys.astype(f"S{width}", copy=False)
    add = add.astype(f"S{width}", copy=False)
    add_values = np.asarray(add_values)
    if values.dtype.kind == "S" or add_values.dtype.kind == "S":
        vwidth = max(values.itemsize if len(values) else 1, add_values.itemsize)
        values = values.astype(f"S{vwidth}", copy=False)
        add_values = add_values.astype(f"S{vwidth}", copy=False)
    pos = np.searchsorted(keys, add) if len(keys) else np.zeros(len(add), dtype=np.intp)
    inside = pos < len(keys)
    found = np.zeros(len(add), dtype=bool)
    found[inside] = keys[pos[inside]] == add[inside]
    fresh = np.flatnonzero(~found)
    order = fresh[np.argsort(add[fresh], kind="stable")]
    at = pos[order]
    out_values = np.insert(values, at, add_values[order])
    if found.any():  # an old entry at position p moved by the inserts before it
        old = pos[found]
        out_values[old + np.searchsorted(at, old, side="right")] = add_values[found]
    return np.insert(keys, at, add[order]), out_values


def from_dict(
    d: dict[str, Any], encode_values: Callable[[list[Any]], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """The sorted keys and values of a whole dict (``encode_values``: values to an array)."""
    keys = as_bytes_array(list(d))
    values = encode_values(list(d.values()))
    order = np.argsort(keys, kind="stable")
    return keys[order], values[order]
