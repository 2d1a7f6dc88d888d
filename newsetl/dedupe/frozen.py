"""A string-keyed map whose stored entries stay in flat, sorted, memory-mapped arrays.

``FrozenMap`` answers ``get``/``in``/``[]`` for a million keys without a Python object per
key: the keys are a sorted numpy bytes array (binary search), the values an aligned array;
entries set afterwards live in a small dict in front of them. ``newsetl.dedupe.snapshot``
builds these maps from its files (the ids, content hashes and revisions of a dataset's
index) and merges the changes back into new sorted arrays (``merge``).
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
    """``keys`` (sorted, distinct, numpy bytes) and ``values`` (aligned, decoded to a Python
    value by ``decode``), with later changes in a dict in front of them."""

    __slots__ = ("_decode", "_extra", "_keys", "_over", "_values")

    def __init__(self, keys: np.ndarray, values: np.ndarray, decode: Callable[[Any], V]) -> None:
        self._keys = keys
        self._values = values
        self._decode = decode
        self._over: dict[str, Any] = {}
        self._extra = 0  # entries of _over not in the base, less the base entries deleted

    @property
    def base(self) -> tuple[np.ndarray, np.ndarray]:
        """The sorted keys and values the map was built on (without later changes)."""
        return self._keys, self._values

    def _find(self, key: str) -> int:
        """Position of ``key`` in the base keys, -1 when it is not there."""
        raw = key.encode()
        keys = self._keys
        if not len(keys) or len(raw) > keys.itemsize or raw.endswith(b"\0"):
            return -1
        pos = int(np.searchsorted(keys, raw))
        return pos if pos < len(keys) and keys[pos] == raw else -1

    def __getitem__(self, key: str) -> V:
        hit = self._over.get(key, None)
        if hit is not None or key in self._over:
            if hit is _GONE:
                raise KeyError(key)
            return hit  # type: ignore[return-value]
        pos = self._find(key)
        if pos < 0:
            raise KeyError(key)
        return self._decode(self._values[pos])

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        if key in self._over:
            return self._over[key] is not _GONE
        return self._find(key) >= 0

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __setitem__(self, key: str, value: V) -> None:
        if key not in self._over:
            self._extra += self._find(key) < 0
        elif self._over[key] is _GONE:
            self._extra += 1
        self._over[key] = value

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        if key in self._over and self._find(key) < 0:
            del self._over[key]
        else:
            self._over[key] = _GONE
        self._extra -= 1

    def __iter__(self) -> Iterator[str]:
        over = self._over
        for raw in self._keys.tolist():
            key = raw.decode()
            if key not in over:
                yield key
        yield from (k for k, v in over.items() if v is not _GONE)

    def __len__(self) -> int:
        return len(self._keys) + self._extra


def merge(
    keys: np.ndarray, values: np.ndarray, new_keys: list[str], new_values: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted ``keys``/``values`` with the (distinct) ``new_keys`` set to ``new_values``: a
    key already there takes its new value, the others are inserted in order."""
    if not new_keys:
        return keys, values
    add = as_bytes_array(new_keys)
    width = max(keys.itemsize if len(keys) else 1, add.itemsize)
    keys = keys.astype(f"S{width}", copy=False)
    add = add.astype(f"S{width}", copy=False)
    new_values = np.asarray(new_values)
    if values.dtype.kind == "S" or new_values.dtype.kind == "S":
        vwidth = max(values.itemsize if len(values) else 1, new_values.itemsize)
        values = values.astype(f"S{vwidth}", copy=False)
        new_values = new_values.astype(f"S{vwidth}", copy=False)
    pos = np.searchsorted(keys, add) if len(keys) else np.zeros(len(add), dtype=np.intp)
    inside = pos < len(keys)
    found = np.zeros(len(add), dtype=bool)
    found[inside] = keys[pos[inside]] == add[inside]
    values = np.array(values, copy=True)
    values[pos[found]] = new_values[found]
    fresh = np.flatnonzero(~found)
    order = fresh[np.argsort(add[fresh], kind="stable")]
    at = pos[order]
    return np.insert(keys, at, add[order]), np.insert(values, at, new_values[order])


def from_dict(
    d: dict[str, Any], encode_values: Callable[[list[Any]], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """The sorted keys and values of a whole dict (``encode_values``: values to an array)."""
    keys = as_bytes_array(list(d))
    values = encode_values(list(d.values()))
    order = np.argsort(keys, kind="stable")
    return keys[order], values[order]
