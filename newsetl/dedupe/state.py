"""The stored near-duplicate index of a dataset: when it is trusted, when it is rebuilt, and
which of its rows a commit writes.

``data/_index/`` (``Dataset.read_index``) holds the signatures of the stored articles, so that
a run never recomputes them. It is trusted only when its kept rows are exactly the articles of
``data/articles``; when its files are missing, damaged or out of step it is rebuilt from the
stored texts, and the next commit replaces the stored index with the rebuilt one.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc

from newsetl.dedupe.index import DedupeIndex

if TYPE_CHECKING:
    from newsetl.storage import Dataset

_log = logging.getLogger(__name__)


class StoredIndex(NamedTuple):
    """What a run decides against: everything stored in a dataset."""

    dedupe_index: DedupeIndex  # every stored article (and the copies linked to them)
    known: dict[str, str]  # content hash of each stored article and recorded duplicate
    revisions: dict[str, int]  # latest revision of each stored article
    rebuilt: bool  # the stored index was not usable: the commit replaces it with ``dedupe_index``


def load_index(
    ds: Dataset,
    threshold: float | None = None,
    *,
    logger: logging.Logger | logging.LoggerAdapter[Any] = _log,
) -> StoredIndex:
    """The index of everything stored in ``ds``, with the known content hashes and revisions.

    The index is rebuilt from ``data/articles`` when its files are missing, damaged or out
    of step (``logger`` says so); ``threshold`` overrides the near-duplicate threshold.
    """
    table = ds.read_index()
    stored = ds.read("articles", columns=["article_id", "content_hash", "revision"])
    kwargs: dict[str, Any] = {} if threshold is None else {"threshold": threshold}
    index = None
    if table is not None:
        kept = table.filter(pc.is_null(table["duplicate_of"]))
        if set(kept.column("article_id").to_pylist()) == set(
            stored.column("article_id").to_pylist()
        ):
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
    known.update(
        zip(
            stored.column("article_id").to_pylist(),
            stored.column("content_hash").to_pylist(),
            strict=True,
        )
    )
    revisions = dict(
        zip(
            stored.column("article_id").to_pylist(),
            [r or 1 for r in stored.column("revision").to_pylist()],
            strict=True,
        )
    )
    return StoredIndex(index, known, revisions, rebuilt)


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
