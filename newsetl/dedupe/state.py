"""The stored near-duplicate index of a dataset: when it is trusted, when it is rebuilt, and
which of its rows a commit writes.

``data/_index/`` (``Dataset.read_index``) holds the signatures of the stored articles, so that
a run never recomputes them. It is trusted only when its kept rows are exactly the articles of
``data/articles``; when its files are missing, damaged or out of step it is rebuilt from the
stored texts, and the next commit replaces the stored index with the rebuilt one.

A process that runs one run after another (a ``newsetl serve`` executor: ``keep_indexes``)
keeps the index of a dataset in memory after each commit (``keep_index``), with a manifest
of the files it stands for (``dataset_manifest``: the name, size and modification time of
every file of ``articles``, ``duplicates`` and ``_index``; a run that stores no article
commits none there, and leaves the kept index valid). The
next ``load_index`` of that dataset uses it only while the manifest is unchanged: a commit
by another process, a partition deleted or a file replaced by hand, a quarantined file, all
make it load from the files again. A kept index is handed out once (a run that fails after
deciding leaves nothing kept), and it is kept again only when it is exactly what loading
the files would build (see ``keep_index``).

Under the same conditions ``keep_index`` also saves the index as the dataset's snapshot
(``newsetl.dedupe.snapshot``), which ``load_index`` in any later process maps instead of
reading the tables, while the manifest it was saved with is the dataset's.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable, MutableMapping
from typing import TYPE_CHECKING, Any, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc

from newsetl.dedupe import snapshot
from newsetl.dedupe.index import DedupeIndex

if TYPE_CHECKING:
    from newsetl.storage import Dataset

_log = logging.getLogger(__name__)


class StoredIndex(NamedTuple):
    """What a run decides against: everything stored in a dataset."""

    dedupe_index: DedupeIndex  # every stored article (and the copies linked to them)
    # content hash of each stored article and recorded duplicate (a dict, or a snapshot's
    # ``FrozenMap``)
    known: MutableMapping[str, str | None]
    revisions: MutableMapping[str, int]  # latest revision of each stored article
    rebuilt: bool  # the stored index was not usable: the commit replaces it with ``dedupe_index``


def load_index(
    ds: Dataset,
    threshold: float | None = None,
    *,
    logger: logging.Logger | logging.LoggerAdapter[Any] = _log,
    use_snapshot: bool = True,
) -> StoredIndex:
    """The index of everything stored in ``ds``, with the known content hashes and revisions.

    The index is rebuilt from ``data/articles`` when its files are missing, damaged or out
    of step (``logger`` says so); ``threshold`` overrides the near-duplicate threshold.
    In a process that keeps indexes (``keep_indexes``), the one kept after the last commit
    is returned when the dataset's files are unchanged since (and is no longer kept).
    Otherwise the snapshot saved after the last commit (``newsetl.dedupe.snapshot``) is
    mapped when it stands for the dataset's files as they are (``use_snapshot=False``:
    read the tables all the same).
    """
    manifest = dataset_manifest(ds)
    kept_entry = _KEPT.pop(_key(ds, threshold), None)
    if kept_entry is not None:
        kept_manifest, stored_index = kept_entry
        if kept_manifest == manifest:
            logger.info(
                "near-duplicate index of %d article(s) reused from memory",
                len(stored_index.dedupe_index),
            )
            return stored_index
        logger.info("the dataset changed since the last run of this process: index loaded again")
    kwargs: dict[str, Any] = {} if threshold is None else {"threshold": threshold}
    if use_snapshot:
        mapped = snapshot.load(ds, manifest, kwargs, logger=logger)
        if mapped is not None:
            logger.info(
                "near-duplicate index of %d article(s) mapped from its snapshot",
                len(mapped.dedupe_index),
            )
            return mapped
    table = ds.read_index()
    stored = ds.read("articles", columns=["article_id", "content_hash", "revision"])
    index = None
    if table is not None:
        kept = table.filter(pc.is_null(table["duplicate_of"]))
        if _same_values(kept.column("article_id"), stored.column("article_id")):
            try:
                index = DedupeIndex.from_arrow(table, **kwargs)
            except (ValueError, KeyError, pa.ArrowException) as exc:
                logger.warning("near-duplicate index unusable (%s)", exc)
    rebuilt = index is None
    if index is None:
        index = DedupeIndex(**kwargs)
        if stored.num_rows:
            logger.warning(
                "near-duplicate index missing, damaged or out of step with data/articles: "
                "rebuilding it from %d stored article(s)",
                stored.num_rows,
            )
        # Only a rebuild reads the texts; a normal run never recomputes stored signatures.
        texts = ds.read("articles", columns=["article_id", "canonical_url", "content_hash", "text"])
        index.add_many(
            texts.column("article_id").to_pylist(),
            texts.column("canonical_url").to_pylist(),
            index.fingerprint_many([t or "" for t in texts.column("text").to_pylist()]),
            texts.column("content_hash").to_pylist(),
        )
    # Copies recorded as duplicates earlier are known too: a rerun must not record them again.
    dups = ds.read("duplicates", columns=["article_id", "content_hash"])
    known = dict(
        zip(
            dups.column("article_id").to_pylist(),
            dups.column("content_hash").to_pylist(),
            strict=True,
        )
    )
    stored_ids = stored.column("article_id").to_pylist()
    known.update(zip(stored_ids, stored.column("content_hash").to_pylist(), strict=True))
    revisions = dict(
        zip(stored_ids, [r or 1 for r in stored.column("revision").to_pylist()], strict=True)
    )
    return StoredIndex(index, known, revisions, rebuilt)


def _same_values(a: pa.ChunkedArray, b: pa.ChunkedArray) -> bool:
    """``set(a) == set(b)`` (nulls included), without a Python object per value."""
    ua, ub = pc.unique(a), pc.unique(b)
    if len(ua) != len(ub):
        return False
    return len(ua) == 0 or bool(pc.all(pc.is_in(ua, value_set=ub, skip_nulls=False)).as_py())


def index_rows_to_commit(
    index: DedupeIndex | None, *, rebuilt: bool, added: bool
) -> pa.Table | None:
    """The index rows a commit writes (``Dataset.commit(index_rows=, replace_index=rebuilt)``):
    the whole index when it was rebuilt, else the rows this process added (``added``: the
    run kept articles or linked copies to them), else none."""
    if rebuilt:
        assert index is not None
        return index.to_arrow()  # the whole rebuilt index replaces the old files
    if added:
        assert index is not None
        return index.to_arrow(since=index.loaded_mark)
    return None


# -- indexes kept in memory between runs ----------------------------------------------------
_KEPT: dict[tuple[str, float | None], tuple[str, StoredIndex]] = {}
_keeping = False
MANIFEST_TABLES = ("articles", "duplicates", "_index")


def keep_indexes(on: bool = True) -> None:
    """Keep each dataset's index in memory after a commit (``keep_index``), for the next run
    of this process; off (the default) forgets any kept one."""
    global _keeping
    _keeping = on
    if not on:
        _KEPT.clear()


def kept_nbytes() -> int:
    """Bytes of the signature and LSH arrays of the indexes kept in memory (an estimate of
    what they hold: their strings and maps come on top)."""
    total = 0
    for _, stored in _KEPT.values():
        index = stored.dedupe_index
        total += index._sigs0.nbytes + index._sigs.nbytes
        total += index._counts.nbytes + index._reps.nbytes
        total += index._lsh.nbytes
    return total


def _key(ds: Dataset, threshold: float | None) -> tuple[str, float | None]:
    return (str(ds.root), threshold)


def dataset_manifest(ds: Dataset) -> str:
    """A digest of what an index of ``ds`` stands for: the relative path, size and
    modification time of every file of the tables it is built from. A commit that adds to
    them, a deleted partition or a replaced file changes it."""
    digest = hashlib.sha256()
    for table in MANIFEST_TABLES:
        base = ds.root / table
        entries = []
        for folder, dirs, files in os.walk(base):
            dirs.sort()
            for name in files:
                path = os.path.join(folder, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                entries.append(f"{os.path.relpath(path, ds.root)}\0{st.st_size}\0{st.st_mtime_ns}")
        entries.sort()
        digest.update(f"{table}\n{len(entries)}\n".encode())
        digest.update("\n".join(entries).encode())
    return digest.hexdigest()


def keep_index(
    ds: Dataset,
    stored: StoredIndex,
    threshold: float | None,
    *,
    run_id: str,
    articles: Iterable[tuple[str, str, int]],
    duplicates: Iterable[tuple[str, str]],
) -> bool:
    """After ``ds.commit`` of run ``run_id`` (under the dataset's lock): save ``stored``, the
    index the run decided with (its kept rows added), as the dataset's snapshot
    (``snapshot.save``), and in a process that keeps indexes keep it in memory for its next
    run.

    ``articles`` are the (article id, content hash, revision) of the rows the run stored
    (new and revised), ``duplicates`` the (article id, content hash) of the duplicates it
    recorded. The saved and kept index must be what ``load_index`` would build from the
    files, so neither is done (returns False) when that is not sure: this run's index file
    is not the last one in name order (a run that started later committed first: loading
    would order the rows otherwise), or a recorded duplicate's id was already known as a
    duplicate (the files' order, not the run's, decides which hash a load keeps for it)."""
    _KEPT.pop(_key(ds, threshold), None)
    known, revisions = stored.known, stored.revisions
    duplicates = list(duplicates)
    if any(aid in known and aid not in revisions for aid, _ in duplicates):
        return False
    names = sorted(p.name for p in ds.index_dir.glob("*.parquet") if not p.name.startswith("."))
    index = stored.dedupe_index
    if index.mark() != index.loaded_mark and (
        not names or not names[-1].startswith(f"part-{run_id}-")
    ):
        return False
    changed = []
    for aid, chash in duplicates:
        if aid not in revisions:
            known[aid] = chash
            changed.append(aid)
    for aid, chash, revision in articles:
        known[aid] = chash
        revisions[aid] = revision
        changed.append(aid)
    index.mark_stored()
    manifest = dataset_manifest(ds)
    snapshot.save(ds, stored, manifest, changed=changed)
    if _keeping:
        _KEPT[_key(ds, threshold)] = (manifest, stored._replace(rebuilt=False))
    return True
