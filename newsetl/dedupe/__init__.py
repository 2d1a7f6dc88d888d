"""Deduplication: the same URL, the same text, or a near-duplicate copy of a kept article.

``fingerprints`` (normalised text, content hash, MinHash signature of word shingles, worker
processes for big batches), ``lsh`` (banded LSH in open-addressing tables), ``index``
(``DedupeIndex``: the decisions), ``arrow`` (the index as an Arrow table), ``state`` (the
stored index of a dataset: when it is trusted or rebuilt, what a commit writes).
"""

from newsetl.dedupe.fingerprints import (
    Fingerprint,
    content_hash,
    fingerprint,
    fingerprint_arrays,
    fingerprint_many,
    normalize_text,
    shutdown_workers,
    signature_of,
)
from newsetl.dedupe.index import Candidate, Decision, DedupeIndex
from newsetl.dedupe.state import (
    StoredIndex,
    dataset_manifest,
    index_rows_to_commit,
    keep_index,
    keep_indexes,
    kept_nbytes,
    load_index,
)

__all__ = [
    "Candidate",
    "Decision",
    "DedupeIndex",
    "Fingerprint",
    "StoredIndex",
    "content_hash",
    "dataset_manifest",
    "fingerprint",
    "fingerprint_arrays",
    "fingerprint_many",
    "index_rows_to_commit",
    "keep_index",
    "keep_indexes",
    "kept_nbytes",
    "load_index",
    "normalize_text",
    "shutdown_workers",
    "signature_of",
]
