"""``FrozenMap`` and ``merge`` (newsetl.dedupe.frozen) behave as a dict does, on random
keys (non-ASCII and prefixes of each other included), over two layers and later changes."""

from __future__ import annotations

import random

import numpy as np

from newsetl.dedupe.frozen import FrozenMap, as_bytes_array, from_dict, merge


def _keys(rng: random.Random, n: int) -> list[str]:
    alphabet = "ab0é中"
    keys = {"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))) for _ in range(n)}
    return sorted(keys)


def _ints(values: list) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def test_merge_is_dict_update() -> None:
    rng = random.Random(3)
    for _ in range(200):
        old = {k: rng.randint(0, 99) for k in _keys(rng, rng.randint(0, 30))}
        new = {k: rng.randint(100, 199) for k in _keys(rng, rng.randint(0, 30))}
        keys, values = from_dict(old, _ints)
        keys, values = merge(keys, values, as_bytes_array(list(new)), _ints(list(new.values())))
        got = dict(zip((k.decode() for k in keys.tolist()), values.tolist(), strict=True))
        assert got == old | new
        assert list(keys) == sorted(keys)  # still sorted, for the binary search


def test_a_frozen_map_over_two_layers_is_a_dict() -> None:
    rng = random.Random(7)
    for _ in range(100):
        base = {k: rng.randint(0, 99) for k in _keys(rng, 25)}
        recent = {k: rng.randint(100, 199) for k in _keys(rng, 10)}
        m = FrozenMap([from_dict(recent, _ints), from_dict(base, _ints)], int)
        expected = base | recent
        assert dict(m) == expected and len(m) == len(expected)
        for key in _keys(rng, 20):
            assert (key in m) == (key in expected)
            assert m.get(key) == expected.get(key)
        for key in _keys(rng, 8):  # later changes: set, overwrite, delete
            value = rng.randint(200, 299)
            m[key] = value
            expected[key] = value
        for key in rng.sample(sorted(expected), 5):
            del m[key]
            del expected[key]
        assert m == expected and len(m) == len(expected)
        assert m.setdefault("zz-new", 5) == 5 and m["zz-new"] == 5


def test_text_values_and_empty_layers() -> None:
    keys, values = from_dict({"b": "h2", "a": "h1"}, lambda v: as_bytes_array(v))
    empty = (np.empty(0, dtype="S1"), np.empty(0, dtype=np.int64))
    m = FrozenMap([empty, (keys, values)], lambda raw: raw.decode())
    assert m["a"] == "h1" and m["b"] == "h2" and "c" not in m and len(m) == 2
    assert m.get("a\0") is None  # a key numpy could not store is never found
