"""The Parquet dataset: declared schemas, and the only code that writes ``data/``.

Layout under the data folder::

    articles/source=<s>/month=<YYYY-MM>/part-<run>-<n>.parquet
    duplicates/source=<s>/part-<run>-<n>.parquet
    pages/source=<s>/date=<YYYY-MM-DD>/part-<run>-<n>.parquet
    _index/part-<run>-<n>.parquet       near-duplicate signatures of stored articles
    _state/                              lock, commit generation, commit journals

Commit protocol: every file of a run is first written under a hidden temporary name
(``.part-….parquet.tmp``, which pandas, pyarrow, DuckDB and Polars globs never read), then a
journal listing the renames is written atomically, then the files are renamed into place,
then the journal is removed. All of it happens under an exclusive ``flock`` on
``_state/lock``, so two runs on one folder commit one after the other. A crash before the
journal exists leaves only hidden temporaries, which the next commit deletes: the run added
nothing. A crash after it is rolled forward by the next commit: the run added everything.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import shutil
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from newsetl.faults import crash_point

log = logging.getLogger(__name__)

TS = pa.timestamp("us", tz="UTC")

ARTICLES_SCHEMA = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("url", pa.string(), nullable=False),
        pa.field("canonical_url", pa.string(), nullable=False),
        pa.field("title", pa.string()),
        pa.field("authors", pa.list_(pa.string())),
        pa.field("published_at", TS),
        # the publisher's own UTC offset, in minutes, when the page gave one: with it the
        # publication day in the publisher's time zone can be computed; null = not given
        pa.field("published_utc_offset_min", pa.int16()),
        pa.field("modified_at", TS),  # the page's last-modified date, when it gives one
        pa.field("language", pa.string()),
        pa.field("site_name", pa.string()),  # og:site_name, else the JSON-LD publisher
        pa.field("description", pa.string()),  # og:description, meta description, JSON-LD
        pa.field("image", pa.string()),  # the top image's absolute URL
        pa.field("tags", pa.list_(pa.string())),  # article:tag, news_keywords, JSON-LD keywords
        pa.field("text", pa.string()),
        pa.field("word_count", pa.int32()),
        # behind a subscriber wall (the text may be a teaser); false when the page says it
        # is free; null when it says neither
        pa.field("paywalled", pa.bool_()),
        pa.field("content_hash", pa.string()),
        pa.field("cluster_id", pa.string()),
        pa.field("revision", pa.int32()),  # 1 for the first text, +1 for each changed text
        pa.field("fetched_at", TS),
        pa.field("run_id", pa.string()),
    ],
    # version 2 added modified_at, site_name, description, image and tags, version 3
    # paywalled (older files read with nulls there)
    metadata={"newsetl.table": "articles", "newsetl.schema_version": "3"},
)
# Hive partition columns, kept out of the files themselves.
ARTICLES_PARTITIONS = ("source", "month")

# Superseded revisions: the rows that ``articles`` held before a newer text replaced them.
REVISIONS_SCHEMA = pa.schema(
    [f for f in ARTICLES_SCHEMA]
    + [pa.field("superseded_at", TS), pa.field("superseded_by_run", pa.string())],
    metadata={"newsetl.table": "revisions", "newsetl.schema_version": "3"},
)
REVISIONS_PARTITIONS = ("source", "month")

DUPLICATES_SCHEMA = pa.schema(
    [
        pa.field("url", pa.string(), nullable=False),
        pa.field("canonical_url", pa.string()),
        pa.field("article_id", pa.string()),
        pa.field("duplicate_of", pa.string()),
        pa.field("kind", pa.string()),  # same_url | exact_text | near_duplicate
        pa.field("similarity", pa.float64()),
        pa.field("content_hash", pa.string()),
        pa.field("title", pa.string()),
        pa.field("fetched_at", TS),
        pa.field("run_id", pa.string()),
    ],
    metadata={"newsetl.table": "duplicates", "newsetl.schema_version": "1"},
)
DUPLICATES_PARTITIONS = ("source",)

PAGES_SCHEMA = pa.schema(
    [
        pa.field("url", pa.string(), nullable=False),
        pa.field("final_url", pa.string()),
        pa.field("status", pa.int32()),
        pa.field("content_type", pa.string()),
        pa.field("bytes", pa.int64()),
        pa.field("fetched_at", TS),
        pa.field("kind", pa.string()),
        pa.field("discovered_via", pa.string()),
        pa.field("reason", pa.string()),  # why the fetch failed or was skipped; null if fine
        # article | revised | duplicate | unchanged | not_article:<why> | failed | ...
        pa.field("fate", pa.string()),
        pa.field("article_id", pa.string()),
        pa.field("etag", pa.string()),  # validators, for conditional requests on later runs
        pa.field("last_modified", pa.string()),
        # the newest sitemap lastmod / feed date the page had when fetched (to compare the
        # next listing's date with: an edit is a newer listed date)
        pa.field("listed_date", TS),
        pa.field("run_id", pa.string()),
        # JSON: the article decision's score, signals and measured values (HTML pages)
        pa.field("evidence", pa.string()),
    ],
    metadata={"newsetl.table": "pages", "newsetl.schema_version": "2"},
)
PAGES_PARTITIONS = ("source", "date")

TABLES = {
    "articles": (ARTICLES_SCHEMA, ARTICLES_PARTITIONS),
    "revisions": (REVISIONS_SCHEMA, REVISIONS_PARTITIONS),
    "duplicates": (DUPLICATES_SCHEMA, DUPLICATES_PARTITIONS),
    "pages": (PAGES_SCHEMA, PAGES_PARTITIONS),
}

# A table with no rows yet holds one empty file with its declared schema (partition
# columns included), so that every reader's query works on a new dataset. The first commit
# with rows for the table removes it, in the same journal: once partition folders exist, a
# file beside them would make DuckDB's hive partitioning refuse the table.
EMPTY_NAME = "part-empty.parquet"

_SAFE_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class DataDirError(RuntimeError):
    """The data folder cannot be used; the message names the fix."""


@dataclass(frozen=True)
class CommitResult:
    files: list[str]
    rows: dict[str, int]
    generation: int


def check_partition_value(value: str) -> str:
    """Refuse a partition value that could escape its folder or confuse readers."""
    if not _SAFE_VALUE.match(value) or ".." in value:
        raise ValueError(
            f"invalid name {value!r}: use letters, digits, '.', '_' or '-' "
            "(starting with a letter or digit, at most 100 characters)"
        )
    return value


class Dataset:
    """One data folder: readers, the lock, and the atomic multi-file commit."""

    def __init__(self, root: str | os.PathLike[str], redis_url: str | None = None):
        self.root = Path(root).expanduser().resolve()
        self.state = self.root / "_state"
        self.index_dir = self.root / "_index"
        # Writers on several machines sharing one data folder also take a Redis lock, for
        # file systems whose flock does not reach across machines.
        self.redis_url = redis_url or os.environ.get("NEWSETL_REDIS_URL") or None
        self._partial: list[tuple[Path, Path]] = []

    # -- set-up -----------------------------------------------------------------------
    def ensure_writable(self) -> None:
        """Create the folder tree, or raise DataDirError naming the fix."""
        try:
            for sub in (
                "articles",
                "revisions",
                "duplicates",
                "pages",
                "archive",
                "_index",
                "_state",
            ):
                (self.root / sub).mkdir(parents=True, exist_ok=True)
            probe = self.state / f".probe-{uuid.uuid4().hex}"
            probe.write_bytes(b"")
            probe.unlink()
            self._ensure_schemas()
        except OSError as exc:
            raise DataDirError(
                f"data folder {self.root} is not writable ({exc.strerror or exc}): "
                "pass --data-dir with a folder you can write to"
            ) from exc

    def _ensure_schemas(self) -> None:
        """Give each table without rows its empty schema file (under the commit lock's
        file, so that no commit removes it between the check and the write)."""
        with open(self.state / "lock", "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                if any(self.state.glob("journal-*.json")):
                    return  # an interrupted commit with rows is still to be replayed
                for name, (schema, partitions) in TABLES.items():
                    base = self.root / name
                    if (base / EMPTY_NAME).exists() or self.files(name):
                        continue
                    fields = list(schema) + [pa.field(p, pa.string()) for p in partitions]
                    empty = pa.Table.from_batches(
                        [], schema=pa.schema(fields, metadata=schema.metadata)
                    )
                    tmp = base / f".{EMPTY_NAME}.tmp"
                    pq.write_table(empty, tmp)
                    os.replace(tmp, base / EMPTY_NAME)
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive lock on the folder for the length of a commit (blocks other writers)."""
        self.state.mkdir(parents=True, exist_ok=True)
        with self._redis_lock("commit", blocking=True), open(self.state / "lock", "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                self._recover()
                self.quarantine_foreign()
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    @contextlib.contextmanager
    def _redis_lock(self, name: str, *, blocking: bool) -> Iterator[bool]:
        """A lock shared by every machine using the same Redis; yields whether it is held.

        Without a Redis URL it is always "held" (the local flock does the work). The lock
        expires after 10 minutes unless renewed, so a writer that died frees it.
        """
        if not self.redis_url:
            yield True
            return
        import redis

        client = redis.Redis.from_url(self.redis_url)
        lock = client.lock(
            f"newsetl:{name}:{self.root}", timeout=600, blocking=blocking, thread_local=False
        )
        got = lock.acquire(blocking=blocking)
        stop = threading.Event()
        renewer = None
        if got:
            # Renew while held: a long run keeps its lock, a dead one loses it in 10 minutes.
            def renew() -> None:
                while not stop.wait(120):
                    with contextlib.suppress(redis.exceptions.RedisError):
                        lock.reacquire()

            renewer = threading.Thread(target=renew, name=f"newsetl-{name}-lock", daemon=True)
            renewer.start()
        try:
            yield bool(got)
        finally:
            stop.set()
            if renewer is not None:
                renewer.join(timeout=5)
            if got:
                with contextlib.suppress(redis.exceptions.LockError):
                    lock.release()
            client.close()

    @contextlib.contextmanager
    def source_lock(self, source: str, *, wait: bool) -> Iterator[str]:
        """Hold the run lock of one source for a whole run.

        Yields ``"free"`` (no other run), ``"waited"`` (another run held it; ``wait``) or
        ``"busy"`` (another run holds it and ``wait`` is False: the caller should stop).
        An empty source name (an ad hoc run over several sites) takes no lock.
        """
        if not source:
            yield "free"
            return
        check_partition_value(source)
        self.state.mkdir(parents=True, exist_ok=True)
        with self._redis_lock(f"run-{source}", blocking=False) as free:
            if not free:
                if not wait:
                    yield "busy"
                    return
                with (
                    self._redis_lock(f"run-{source}", blocking=True),
                    self._source_flock(source, wait=True) as _,
                ):
                    yield "waited"
                return
            with self._source_flock(source, wait=wait) as state:
                yield state

    @contextlib.contextmanager
    def _source_flock(self, source: str, *, wait: bool) -> Iterator[str]:
        with open(self.state / f"run-{source}.lock", "a+b") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                state = "free"
            except BlockingIOError:
                if not wait:
                    yield "busy"
                    return
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
                state = "waited"
            try:
                yield state
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def generation(self) -> int:
        """How many commits the folder has seen; changes whenever another run commits."""
        try:
            return int((self.state / "generation").read_text().strip() or 0)
        except (OSError, ValueError):
            return 0

    # -- reading ----------------------------------------------------------------------
    def files(self, table: str) -> list[Path]:
        base = self.root / table
        if not base.is_dir():
            return []
        return sorted(
            p
            for p in base.rglob("*.parquet")
            if not _hidden(p, base) and not (p.name == EMPTY_NAME and p.parent == base)
        )

    def read(self, table: str, columns: list[str] | None = None) -> pa.Table:
        """Read a whole table (with its partition columns) as one Arrow table.

        Damaged or foreign files are skipped with a warning naming them, never a crash.
        """
        schema, partitions = TABLES[table]
        parts = []
        file_columns = None if columns is None else [c for c in columns if c not in partitions]
        for path in self.files(table):
            try:
                # ParquetFile, not read_table: no dataset machinery per file (its import
                # alone costs a warm run ~0.3 s), and a column an older file lacks is
                # filled with nulls below instead of failing the file.
                with pq.ParquetFile(path) as pf:
                    t = pf.read(columns=file_columns)
            except Exception as exc:  # noqa: BLE001 - any unreadable file is skipped alike
                log.warning("skipping unreadable file %s: %s", path, exc)
                continue
            keys = _partition_values(path, self.root / table)
            for name in partitions:
                if columns is None or name in columns:
                    t = t.append_column(name, pa.array([keys.get(name)] * t.num_rows, pa.string()))
            parts.append(t)
        if not parts:
            fields = [f for f in schema if columns is None or f.name in columns]
            fields += [
                pa.field(p, pa.string()) for p in partitions if columns is None or p in columns
            ]
            # not Schema.empty_table(): it imports pandas (0.4 s of a warm run)
            return pa.Table.from_batches([], schema=pa.schema(fields))
        out = pa.concat_tables(parts, promote_options="permissive")
        for f in schema:
            if f.name not in out.column_names and (columns is None or f.name in columns):
                out = out.append_column(f, pa.nulls(out.num_rows, f.type))
        return out

    def read_index(self) -> pa.Table | None:
        """The stored near-duplicate signatures, or None when missing or damaged."""
        paths = sorted(p for p in self.index_dir.glob("*.parquet") if not p.name.startswith("."))
        if not paths:
            return None
        tables = []
        for path in paths:
            try:
                tables.append(pq.read_table(path))
            except Exception as exc:  # noqa: BLE001
                log.warning("near-duplicate index file %s is damaged (%s): rebuilding", path, exc)
                return None
        return pa.concat_tables(tables, promote_options="permissive")

    # -- writing ----------------------------------------------------------------------
    def commit(
        self,
        run_id: str,
        tables: dict[str, pa.Table],
        index_rows: pa.Table | None = None,
        replace_index: bool = False,
        supersede: list[str] | None = None,
        files: list[tuple[str, str]] | None = None,
        delete: list[Path] | None = None,
    ) -> CommitResult:
        """Write all of a run's rows at once; call while holding ``lock()``.

        ``tables`` maps a table name to rows that include its partition columns.
        ``delete`` names files the commit removes (a new version replacing them).
        ``supersede`` names article ids whose stored row this commit replaces with a new
        revision: the old rows move to ``revisions/`` and the files that held them are
        rewritten without them (copy on write, in the same atomic commit). Returns the
        files written. Raises DataDirError (nothing is added) when writing fails.
        """
        check_partition_value(run_id)
        planned: list[tuple[Path, Path]] = []
        rows: dict[str, int] = {}
        rewritten: list[Path] = list(delete or [])
        try:
            for src, rel in files or []:
                # Raw files (the run's WARC archive) join the commit like the tables.
                final = self.root / rel
                final.parent.mkdir(parents=True, exist_ok=True)
                tmp = final.with_name(f".{final.name}.tmp")
                planned.append((tmp, final))  # listed first: a failed copy is cleaned up too
                shutil.copyfile(src, tmp)
                with open(tmp, "rb") as fh:
                    os.fsync(fh.fileno())
            if supersede:
                tables = dict(tables)
                old_rows, rewrites = self._split_out(set(supersede), run_id)
                for (old_path, new_path), kept in rewrites.items():
                    rewritten.append(old_path)
                    if kept.num_rows:
                        planned.append((self._write_temp(new_path, kept), new_path))
                if old_rows is not None and old_rows.num_rows:
                    tables["revisions"] = old_rows
            for name, table in tables.items():
                schema, partitions = TABLES[name]
                rows[name] = table.num_rows
                if table.num_rows == 0:
                    continue
                for keys, part in _split_by(table, partitions):
                    folder = self.root / name
                    for key in partitions:
                        folder = folder / f"{key}={check_partition_value(keys[key])}"
                    final = folder / f"part-{run_id}-{len(planned):04d}.parquet"
                    data = _conform(part.drop_columns(list(partitions)), schema)
                    planned.append((self._write_temp(final, data), final))
                    crash_point("commit_temp_first")
            crash_point("commit_temp_all")
            if index_rows is not None and index_rows.num_rows:
                final = self.index_dir / f"part-{run_id}-{len(planned):04d}.parquet"
                planned.append((self._write_temp(final, index_rows), final))
                crash_point("commit_index_temp")
            old_index = []
            if replace_index:
                old_index = [
                    p for p in self.index_dir.glob("*.parquet") if p not in [f for _, f in planned]
                ]
            # Tables getting their first rows lose their empty schema file.
            empties = [
                self.root / name / EMPTY_NAME
                for name in TABLES
                if (self.root / name / EMPTY_NAME).exists()
                and any(f.is_relative_to(self.root / name) for _, f in planned)
            ]
            journal = {
                "run_id": run_id,
                "renames": [[str(t), str(f)] for t, f in planned],
                # The empty schema files go before the first rename: a reader must never
                # see one beside partition folders (their schemas do not merge).
                "empty": [str(p) for p in empties],
                "delete": [str(p) for p in old_index + rewritten],
            }
            _atomic_write_text(self.state / f"journal-{run_id}.json", json.dumps(journal))
            crash_point("commit_journal")
        except OSError as exc:
            for tmp, _ in planned + self._partial:
                with contextlib.suppress(OSError):
                    tmp.unlink()
            self._partial = []
            raise DataDirError(
                f"could not write to {self.root} ({exc.strerror or exc}); nothing of this run "
                "was added: free some space or pass --data-dir with a writable folder"
            ) from exc
        self._apply_journal(self.state / f"journal-{run_id}.json")
        gen = self.generation() + 1
        _atomic_write_text(self.state / "generation", str(gen))
        crash_point("commit_generation")
        return CommitResult(files=[str(f) for _, f in planned], rows=rows, generation=gen)

    def _split_out(
        self, ids: set[str], run_id: str
    ) -> tuple[pa.Table | None, dict[tuple[Path, Path], pa.Table]]:
        """Rows of ``articles`` with these ids (as revisions rows) and each file's remainder."""
        from datetime import UTC, datetime

        import pyarrow.compute as pc

        wanted = pa.array(sorted(ids), pa.string())
        base = self.root / "articles"
        moved: list[pa.Table] = []
        rewrites: dict[tuple[Path, Path], pa.Table] = {}
        now = datetime.now(UTC)
        for n, path in enumerate(self.files("articles")):
            try:
                col = pq.read_table(path, columns=["article_id"])["article_id"]
            except Exception as exc:  # noqa: BLE001
                log.warning("skipping unreadable file %s: %s", path, exc)
                continue
            if not pc.any(pc.is_in(col, wanted)).as_py():
                continue
            table = pq.read_table(path)
            hit = pc.is_in(table["article_id"], wanted)
            keys = _partition_values(path, base)
            old = table.filter(hit)
            old = old.append_column("superseded_at", pa.array([now] * old.num_rows, TS))
            old = old.append_column(
                "superseded_by_run", pa.array([run_id] * old.num_rows, pa.string())
            )
            for name in REVISIONS_PARTITIONS:
                old = old.append_column(name, pa.array([keys.get(name)] * old.num_rows))
            moved.append(old)
            new_name = path.with_name(f"part-{run_id}-r{n:04d}.parquet")
            rewrites[(path, new_name)] = table.filter(pc.invert(hit))
        if not moved:
            return None, rewrites
        return pa.concat_tables(moved, promote_options="permissive"), rewrites

    def _write_temp(self, final: Path, table: pa.Table) -> Path:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{final.name}.tmp")
        self._partial.append((tmp, final))  # until written whole: removed if the write fails
        pq.write_table(table, tmp, compression="zstd", write_statistics=True)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        self._partial.remove((tmp, final))
        return tmp

    def _apply_journal(self, journal: Path) -> None:
        data = json.loads(journal.read_text())
        for path in data.get("empty", []):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        for tmp, final in data["renames"]:
            if os.path.exists(tmp):
                os.replace(tmp, final)
                crash_point("commit_rename_first")
        crash_point("commit_renamed")
        for path in data.get("delete", []):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        for folder in {Path(f).parent for _, f in data["renames"]} | {journal.parent}:
            _fsync_dir(folder)
        crash_point("commit_deleted")
        journal.unlink()

    def quarantine_foreign(self) -> list[tuple[Path, Path]]:
        """Move files that readers would choke on out of the table folders.

        The rule: inside ``articles/``, ``revisions/``, ``duplicates/`` and ``pages/`` only
        whole Parquet files are allowed (hidden ``.``/``_`` names excepted). Anything else -
        a stray CSV, a truncated or foreign Parquet file - is moved, with a warning naming
        it, to ``_quarantine/<same path>``, so pandas, DuckDB and Polars keep reading the
        dataset and nothing is deleted. Files already checked are remembered by size and
        modification time. Returns the moves.
        """
        seen_path = self.state / "verified.json"
        try:
            seen = json.loads(seen_path.read_text())
        except (OSError, ValueError):
            seen = {}
        moves: list[tuple[Path, Path]] = []
        fresh: dict[str, list[float]] = {}
        for table in TABLES:
            base = self.root / table
            if not base.is_dir():
                continue
            for path in base.rglob("*"):
                if path.is_dir() or _hidden(path, base):
                    continue
                rel = str(path.relative_to(self.root))
                try:
                    st = path.stat()
                except OSError:
                    continue
                stamp = [st.st_size, st.st_mtime]
                if seen.get(rel) == stamp:
                    fresh[rel] = stamp
                    continue
                problem = None
                if path.suffix != ".parquet":
                    problem = "not a Parquet file"
                else:
                    try:
                        pq.read_metadata(path)
                    except Exception as exc:  # noqa: BLE001 - any unreadable footer
                        problem = f"damaged Parquet ({exc})"
                if problem is None:
                    fresh[rel] = stamp
                    continue
                target = self.root / "_quarantine" / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
                moves.append((path, target))
                log.warning("moved %s out of the dataset (%s): it is now %s", path, problem, target)
        if fresh != seen:
            _atomic_write_text(seen_path, json.dumps(fresh))
        return moves

    def _recover(self) -> None:
        """Finish or undo what a crashed commit left (runs under the lock)."""
        for journal in sorted(self.state.glob("journal-*.json")):
            try:
                self._apply_journal(journal)
                log.warning("completed an interrupted commit (%s)", journal.name)
            except (OSError, ValueError, KeyError) as exc:
                log.warning("could not replay %s: %s", journal, exc)
        for tmp in self.root.rglob(".*.tmp"):
            with contextlib.suppress(OSError):
                tmp.unlink()
                log.warning("removed the leftover of an interrupted run: %s", tmp)


def _hidden(path: Path, base: Path) -> bool:
    return any(part.startswith((".", "_")) for part in path.relative_to(base).parts)


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with exactly the columns of ``schema``, in order and cast; a column it
    lacks (rows read from a file of an older schema version) is all nulls."""
    for f in schema:
        if f.name not in table.column_names:
            table = table.append_column(f, pa.nulls(table.num_rows, f.type))
    return table.select(schema.names).cast(schema)


def _partition_values(path: Path, base: Path) -> dict[str, str]:
    out = {}
    for part in path.relative_to(base).parts[:-1]:
        if "=" in part:
            key, _, value = part.partition("=")
            out[key] = value
    return out


def _split_by(table: pa.Table, keys: tuple[str, ...]) -> Iterator[tuple[dict[str, str], pa.Table]]:
    """Split rows by the values of the partition columns, in a stable order."""
    if not keys:
        yield {}, table
        return
    combos = table.group_by(list(keys)).aggregate([]).sort_by([(k, "ascending") for k in keys])
    import pyarrow.compute as pc

    for row in combos.to_pylist():
        mask = None
        for k in keys:
            m = pc.equal(table[k], row[k])
            mask = m if mask is None else pc.and_(mask, m)
        yield {k: str(row[k]) for k in keys}, table.filter(mask)


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
