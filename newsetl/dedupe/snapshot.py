"""A memory-mapped snapshot of a dataset's near-duplicate index, for a run in a new process.

Loading the index from ``data/_index`` and ``data/articles`` (``load_index``) builds a Python
string and a dict entry per stored article: about 10 s at 1,000,000 articles, every ad hoc
run. After each commit the flow also saves the index it decided with (``save``, under the
dataset's lock) as flat arrays in ``data/_state/index/``; the next ``load`` in any process
maps those files instead of reading the tables, and only while the manifest they were saved
with (``state.dataset_manifest``: every file of ``articles``, ``duplicates`` and ``_index``)
is unchanged. Anything else (a commit by another tool, a partition deleted by hand, a
snapshot missing, damaged or made with other parameters) loads from the tables as before,
and the commit after it saves a whole new snapshot. The folder can be deleted at any time.

``current.json`` names the snapshot's folder (``s-<token>``), its parameters, the manifest,
the number of rows, aliases and LSH entries, and the length in bytes of each of its files.
Per-row files only grow (a save appends the rows the run added: a few hundred KB per
thousand articles) and are read up to the lengths ``current.json`` gives, so a save that
dies halfway leaves extra bytes that no reader looks at (the next save cuts them off). The
maps (ids, content hashes, known hashes, revisions: sorted keys, see ``FrozenMap``) have an
old layer and a recent one: a save writes a new recent layer (the old one merged with the
run's entries), and merges it into a new old layer once it has grown past
``COMPACT_MIN`` entries and 1/``COMPACT_SHARE`` of the old one, each under the save's
generation number; ``current.json`` is replaced last, then the files it no longer names
are removed. A reader that finds a file gone loads from the tables.

Files (numbers little-endian), for ``n`` rows, ``a`` aliases and ``m`` LSH entries (rows
with enough shingles):
``sigs`` (n x num_perm uint32), ``counts`` (uint32), ``reps`` (int64), ``lsh-rows`` (m
int64) and ``lsh-NN`` (m uint32 band keys per band), the strings of ``ids``, ``urls``,
``hashes`` per row and ``alias_ids``, ``alias_urls``, ``alias_hashes`` per alias as
``.valid``/``.ends``/``.data`` (``strings.Encoded``), and ``<map>.b<generation>`` (old) and
``<map>.d<generation>`` (recent) ``.keys.npy`` / ``.values.npy`` for ``by_id``, ``by_hash``,
``known`` and ``revisions``.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterable, MutableMapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from newsetl.dedupe import lsh
from newsetl.dedupe.fingerprints import HASH_VERSION
from newsetl.dedupe.frozen import FrozenMap, as_bytes_array, from_dict, merge, storable
from newsetl.dedupe.index import DedupeIndex
from newsetl.dedupe.strings import Encoded, Strings, encode
from newsetl.faults import crash_point

if TYPE_CHECKING:
    from newsetl.dedupe.state import StoredIndex
    from newsetl.storage import Dataset

_log = logging.getLogger(__name__)

FORMAT = 1
CURRENT = "current.json"
STRING_COLUMNS = ("ids", "urls", "hashes", "alias_ids", "alias_urls", "alias_hashes")
MAPS = ("by_id", "by_hash", "known", "revisions")
# A map's recent layer is merged into its old one once it holds more than this many entries
# and more than 1/COMPACT_SHARE of the old one's: a save rewrites little, a load searches two.
COMPACT_MIN = 4096
COMPACT_SHARE = 16


def folder_of(ds: Dataset) -> Path:
    """Where the snapshot of ``ds`` lives."""
    return ds.state / "index"


def _params(index: DedupeIndex) -> dict[str, int]:
    return {
        "num_perm": index.num_perm,
        "shingle_size": index.shingle_size,
        "seed": index.seed,
        "hash_version": HASH_VERSION,
        "bands": index.bands,
        "rows_per_band": index.rows_per_band,
        "min_shingles": index.min_shingles,
    }


def _read_current(folder: Path) -> dict[str, Any] | None:
    try:
        meta = json.loads((folder / CURRENT).read_text())
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) and meta.get("format") == FORMAT else None


# -- reading ------------------------------------------------------------------------------


def load(
    ds: Dataset,
    manifest: str,
    options: dict[str, Any],
    *,
    logger: logging.Logger | logging.LoggerAdapter[Any] = _log,
) -> StoredIndex | None:
    """The stored index of ``ds`` mapped from its snapshot, or None when there is none that
    stands for ``manifest`` (the dataset's files now) with the parameters of
    ``DedupeIndex(**options)``."""
    from newsetl.dedupe.state import StoredIndex

    folder = folder_of(ds)
    meta = _read_current(folder)
    if meta is None:
        return None
    index = DedupeIndex(**options)
    if meta.get("manifest") != manifest or meta.get("params") != _params(index):
        return None
    try:
        known, revisions = _fill(index, folder / meta["folder"], meta)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("near-duplicate index snapshot unusable (%s): loading the tables", exc)
        return None
    return StoredIndex(index, known, revisions, False)


def _mapped(path: Path, dtype: Any, count: int, length: int) -> np.ndarray:
    """The first ``count`` items of a per-row file, memory-mapped (read-only)."""
    dtype = np.dtype(dtype)
    if count * dtype.itemsize != length:
        raise ValueError(f"{path.name}: {length} bytes for {count} items")
    if count == 0:
        return np.empty(0, dtype=dtype)
    if path.stat().st_size < length:
        raise ValueError(f"{path.name} is shorter than recorded")
    return np.memmap(path, dtype=dtype, mode="r", shape=(count,))


def _strings(sub: Path, name: str, count: int, lengths: dict[str, int]) -> Encoded:
    ends = _mapped(sub / f"{name}.ends", "<i8", count, lengths[f"{name}.ends"])
    data_len = lengths[f"{name}.data"]
    if count and int(ends[-1]) != data_len:
        raise ValueError(f"{name}: strings end past their data")
    return Encoded(
        valid=_mapped(sub / f"{name}.valid", np.uint8, count, lengths[f"{name}.valid"]),
        ends=ends,
        data=_mapped(sub / f"{name}.data", np.uint8, data_len, data_len),
    )


def _map_file(name: str, layer: str, gen: int, kind: str) -> str:
    return f"{name}.{layer}{gen}.{kind}.npy"


def _load_layer(sub: Path, name: str, layer: str, gen: int) -> tuple[np.ndarray, np.ndarray]:
    keys = np.load(sub / _map_file(name, layer, gen, "keys"), mmap_mode="r", allow_pickle=False)
    values = np.load(sub / _map_file(name, layer, gen, "values"), mmap_mode="r", allow_pickle=False)
    if len(keys) != len(values) or keys.dtype.kind != "S":
        raise ValueError(f"map {name} is damaged")
    return keys, values


def _load_map(sub: Path, meta: dict[str, Any], name: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """The layers of one map: the recent entries (``d``), then the old ones (``b``)."""
    gens = meta["maps"][name]
    return [
        _load_layer(sub, name, "d", int(gens["delta"])),
        _load_layer(sub, name, "b", int(gens["base"])),
    ]


def _text(raw: bytes) -> str | None:
    return raw.decode() or None  # a content hash is never empty: b"" stands for None


def _fill(
    index: DedupeIndex, sub: Path, meta: dict[str, Any]
) -> tuple[FrozenMap[str | None], FrozenMap[int]]:
    """Point ``index`` at the snapshot's files; the known hashes and revisions maps."""
    n, na, m = int(meta["rows"]), int(meta["aliases"]), int(meta["lsh"])
    lengths: dict[str, int] = meta["lengths"]
    width = index.num_perm
    sigs = _mapped(sub / "sigs", "<u4", n * width, lengths["sigs"]).reshape(n, width)
    counts = np.array(_mapped(sub / "counts", "<u4", n, lengths["counts"]))
    reps = np.array(_mapped(sub / "reps", "<i8", n, lengths["reps"]))
    columns = {
        c: _strings(sub, c, na if c.startswith("alias_") else n, lengths) for c in STRING_COLUMNS
    }
    maps = {name: _load_map(sub, meta, name) for name in MAPS}
    lsh_rows = _mapped(sub / "lsh-rows", "<i8", m, lengths["lsh-rows"])
    band_keys = [
        _mapped(sub / f"lsh-{b:02d}", "<u4", m, lengths[f"lsh-{b:02d}"]) for b in range(index.bands)
    ]
    index._sigs0, index._n0, index._n = sigs, n, n
    index._counts, index._reps = counts, reps
    index._kept = int(meta["kept"])
    index._ids = Strings(base=columns["ids"])
    index._urls = Strings(base=columns["urls"])
    index._hashes = Strings(base=columns["hashes"])
    index._alias_ids = Strings(base=columns["alias_ids"])
    index._alias_urls = Strings(base=columns["alias_urls"])
    index._alias_hashes = Strings(base=columns["alias_hashes"])
    index._by_id = FrozenMap(maps["by_id"], int)
    index._by_hash = FrozenMap(maps["by_hash"], int)
    if m:
        index._lsh.lazy = (band_keys, lsh_rows)
    index._indexed = n
    index._loaded = index.mark()
    index.snapshot = (meta["folder"], meta["gen"])
    return FrozenMap(maps["known"], _text), FrozenMap(maps["revisions"], int)


# -- writing ------------------------------------------------------------------------------


def save(
    ds: Dataset,
    stored: StoredIndex,
    manifest: str,
    *,
    changed: Iterable[str] = (),
    logger: logging.Logger | logging.LoggerAdapter[Any] = _log,
) -> bool:
    """After a commit (under the dataset's lock): save ``stored``, which must be what loading
    the tables that ``manifest`` stands for builds, as the snapshot of ``ds``.

    When ``stored`` stands for the current snapshot (mapped from it, or saved to it last),
    the rows and aliases it added are appended and the maps' recent layers rewritten
    (``changed``: the ids whose known hash or revision the run set); otherwise a whole new
    snapshot is written. Returns whether a snapshot was saved;
    a failure is logged, never raised (the commit is done: the next load reads the tables).
    """
    folder = folder_of(ds)
    index = stored.dedupe_index
    meta = _read_current(folder)
    try:
        if (
            meta is not None
            and index.snapshot == (meta["folder"], meta["gen"])
            and meta["params"] == _params(index)
        ):
            _append(folder, meta, stored, manifest, list(dict.fromkeys(changed)))
            return True
        if index._n0:  # mapped from a snapshot that another process has replaced since
            return False
        if not _plain(stored):
            return False
        _write_whole(folder, stored, manifest)
        return True
    except (OSError, ValueError) as exc:
        logger.warning(
            "could not save the near-duplicate index snapshot in %s (%s): the next run "
            "loads the index from the tables",
            folder,
            exc,
        )
        (folder / CURRENT).unlink(missing_ok=True)
        return False


def _plain(stored: StoredIndex) -> bool:
    """Whether every key of the index's maps can be stored (see ``frozen.storable``)."""
    index = stored.dedupe_index
    return all(
        storable(keys) for keys in (index._by_id, index._by_hash, stored.known, stored.revisions)
    )


def _band_entries(index: DedupeIndex, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """LSH band keys ``(bands, k)`` and rows of the rows ``[lo, hi)`` with enough shingles."""
    keys, rows = [], []
    step = 65536
    for i in range(lo, hi, step):
        j = min(i + step, hi)
        ok = index._counts[i:j] >= index.min_shingles
        sigs = index._sig_range(i, j)[ok]
        keys.append(lsh.band_chunk(sigs, index.bands, index.rows_per_band).T)
        rows.append(np.flatnonzero(ok).astype(np.int64) + i)
    if not keys:
        return np.empty((index.bands, 0), dtype=np.uint32), np.empty(0, dtype=np.int64)
    return np.concatenate(keys, axis=1), np.concatenate(rows)


def _row_parts(
    stored: StoredIndex, r0: int, a0: int, lengths: dict[str, int]
) -> tuple[dict[str, np.ndarray], int]:
    """What to append, per file, for the rows from ``r0`` and the aliases from ``a0`` on
    (``lengths``: the files' current lengths); the number of LSH entries among them."""
    index = stored.dedupe_index
    r1 = index._n
    parts: dict[str, np.ndarray] = {
        "sigs": np.ascontiguousarray(index._sig_range(r0, r1), dtype="<u4"),
        "counts": np.ascontiguousarray(index._counts[r0:r1], dtype="<u4"),
        "reps": np.ascontiguousarray(index._reps[r0:r1], dtype="<i8"),
    }
    keys, lsh_rows = _band_entries(index, r0, r1)
    parts["lsh-rows"] = lsh_rows.astype("<i8")
    for b in range(index.bands):
        parts[f"lsh-{b:02d}"] = np.ascontiguousarray(keys[b], dtype="<u4")
    sources = {
        "ids": (index._ids, r0),
        "urls": (index._urls, r0),
        "hashes": (index._hashes, r0),
        "alias_ids": (index._alias_ids, a0),
        "alias_urls": (index._alias_urls, a0),
        "alias_hashes": (index._alias_hashes, a0),
    }
    for name, (strings, start) in sources.items():
        enc = encode(strings.since(start), lengths.get(f"{name}.data", 0))
        parts[f"{name}.valid"], parts[f"{name}.data"] = enc.valid, enc.data
        parts[f"{name}.ends"] = enc.ends.astype("<i8", copy=False)
    return parts, len(lsh_rows)


def _append_bytes(path: Path, keep: int, data: np.ndarray) -> None:
    """Cut ``path`` to its first ``keep`` bytes (what the current snapshot uses), then add
    ``data`` and make it durable."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        os.ftruncate(fd, keep)
        os.lseek(fd, keep, os.SEEK_SET)
        view = np.ascontiguousarray(data).reshape(-1).view(np.uint8).data
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def _save_array(path: Path, arr: np.ndarray) -> None:
    with open(path, "wb") as fh:
        np.save(fh, arr, allow_pickle=False)
        fh.flush()
        os.fsync(fh.fileno())


def _int_values(values: list[Any]) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def _text_values(values: list[Any]) -> np.ndarray:
    return as_bytes_array(["" if v is None else v for v in values])


def _encode_values(name: str, values: list[Any]) -> np.ndarray:
    return _text_values(values) if name == "known" else _int_values(values)


def _save_layer(sub: Path, name: str, layer: str, gen: int, arrays: tuple[np.ndarray, ...]) -> None:
    keys, values = arrays
    _save_array(sub / _map_file(name, layer, gen, "keys"), keys)
    _save_array(sub / _map_file(name, layer, gen, "values"), values)


def _drop_other_layers(sub: Path, name: str, gens: dict[str, int]) -> None:
    keep = {
        _map_file(name, layer, gens[which], kind)
        for layer, which in (("b", "base"), ("d", "delta"))
        for kind in ("keys", "values")
    }
    for path in sub.glob(f"{name}.*.npy"):
        if path.name not in keep:
            path.unlink(missing_ok=True)


def _write_current(folder: Path, meta: dict[str, Any]) -> None:
    tmp = folder / f".{CURRENT}.{os.getpid()}.tmp"
    with open(tmp, "w") as fh:
        json.dump(meta, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, folder / CURRENT)
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _maps_of(stored: StoredIndex) -> dict[str, MutableMapping[str, Any]]:
    index = stored.dedupe_index
    return {
        "by_id": index._by_id,
        "by_hash": index._by_hash,
        "known": stored.known,
        "revisions": stored.revisions,
    }


def _write_whole(folder: Path, stored: StoredIndex, manifest: str) -> None:
    index = stored.dedupe_index
    folder.mkdir(parents=True, exist_ok=True)
    name = f"s-{uuid.uuid4().hex[:12]}"
    sub = folder / name
    sub.mkdir()
    parts, m = _row_parts(stored, 0, 0, {})
    lengths = {}
    for file, data in parts.items():
        _append_bytes(sub / file, 0, data)
        lengths[file] = int(data.nbytes)
    empty = (np.empty(0, dtype="S1"), np.empty(0, dtype=np.int64))
    for map_name, current in _maps_of(stored).items():
        _save_layer(
            sub, map_name, "b", 0, from_dict(dict(current), partial(_encode_values, map_name))
        )
        _save_layer(sub, map_name, "d", 0, empty)
    maps = {map_name: {"base": 0, "delta": 0} for map_name in MAPS}
    meta = _meta(index, name, 0, manifest, m, lengths, maps)
    crash_point("snapshot_written")
    _write_current(folder, meta)
    index.snapshot = (name, 0)
    for old in folder.glob("s-*"):
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)


def _append(
    folder: Path, meta: dict[str, Any], stored: StoredIndex, manifest: str, changed: list[str]
) -> None:
    index = stored.dedupe_index
    sub = folder / meta["folder"]
    n, na = int(meta["rows"]), int(meta["aliases"])
    lengths: dict[str, int] = dict(meta["lengths"])
    parts, m = _row_parts(stored, n, na, lengths)
    for file, data in parts.items():
        _append_bytes(sub / file, lengths[file], data)
        lengths[file] += int(data.nbytes)
    new_ids = index._ids.since(n) + index._alias_ids.since(na)
    new_hashes = [
        h for h in index._hashes.since(n) + index._alias_hashes.since(na) if h is not None
    ]
    keys_of = {
        "by_id": [k for k in dict.fromkeys(new_ids) if k is not None],
        "by_hash": list(dict.fromkeys(new_hashes)),
        "known": [k for k in changed if k in stored.known],
        "revisions": [k for k in changed if k in stored.revisions],
    }
    gen = int(meta["gen"]) + 1
    maps: dict[str, dict[str, int]] = {}
    for map_name, current in _maps_of(stored).items():
        (delta_keys, delta_values), base = _load_map(sub, meta, map_name)
        keys = keys_of[map_name]
        delta = merge(
            delta_keys,
            delta_values,
            as_bytes_array(keys),
            _encode_values(map_name, [current[k] for k in keys]),
        )
        maps[map_name] = {"base": int(meta["maps"][map_name]["base"]), "delta": gen}
        if len(delta[0]) > max(COMPACT_MIN, len(base[0]) // COMPACT_SHARE):
            _save_layer(sub, map_name, "b", gen, merge(*base, *delta))
            maps[map_name]["base"] = gen
            delta = (np.empty(0, dtype="S1"), np.empty(0, dtype=delta[1].dtype))
        _save_layer(sub, map_name, "d", gen, delta)
    crash_point("snapshot_written")
    lsh_entries = int(meta["lsh"]) + m
    _write_current(folder, _meta(index, meta["folder"], gen, manifest, lsh_entries, lengths, maps))
    index.snapshot = (meta["folder"], gen)
    for map_name in MAPS:
        _drop_other_layers(sub, map_name, maps[map_name])


def _meta(
    index: DedupeIndex,
    name: str,
    gen: int,
    manifest: str,
    lsh_entries: int,
    lengths: dict[str, int],
    maps: dict[str, dict[str, int]],
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "folder": name,
        "gen": gen,
        "params": _params(index),
        "manifest": manifest,
        "rows": index._n,
        "kept": index._kept,
        "aliases": len(index._alias_ids),
        "lsh": lsh_entries,
        "lengths": lengths,
        "maps": maps,
    }
