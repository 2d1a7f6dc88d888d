"""The index snapshot a commit saves (``newsetl.dedupe.snapshot``): a new process maps it
instead of loading the tables, and gets the very index the tables give; it is not used once
the files changed, and a save cut short or a damaged file never gives a wrong index."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest

from newsetl import dedupe, pipeline
from newsetl.dedupe import load_index, snapshot
from newsetl.dedupe.snapshot import folder_of
from newsetl.storage import Dataset
from tests.dedupe.test_state import STORIES, article, commit, decide, edited


def from_tables(ds: Dataset) -> dedupe.StoredIndex:
    """The index as loading the tables gives it (an index kept in memory stays kept)."""
    key = (str(ds.root), None)
    kept = dedupe.state._KEPT.pop(key, None)
    try:
        return load_index(ds, use_snapshot=False)
    finally:
        if kept is not None:
            dedupe.state._KEPT[key] = kept


def mapped(ds: Dataset) -> dedupe.StoredIndex:
    """The index mapped from the snapshot (which must be usable)."""
    stored = snapshot.load(ds, dedupe.dataset_manifest(ds), {})
    assert stored is not None, "the snapshot was not usable"
    return stored


def same(a: dedupe.StoredIndex, b: dedupe.StoredIndex) -> None:
    assert dict(a.known) == dict(b.known)
    assert dict(a.revisions) == dict(b.revisions)
    assert len(a.dedupe_index) == len(b.dedupe_index)
    assert a.dedupe_index.to_arrow().equals(b.dedupe_index.to_arrow())
    assert not a.rebuilt


def run(ds: Dataset, run_id: str, articles: list[dict]):
    stored, outcome = decide(ds, articles)
    commit(ds, run_id, stored, outcome)
    with ds.lock():
        assert pipeline.keep_index(ds, stored, outcome, None, run_id=run_id)
    return stored, outcome


def decisions(stored: dedupe.StoredIndex, articles: list[dict]) -> list[tuple]:
    out = pipeline.deduplicate(
        [dict(a) for a in articles], stored.dedupe_index, stored.known, stored.revisions
    )
    return sorted(
        [(d["article_id"], d["kind"], d["duplicate_of"]) for d in out.duplicates]
        + [(a["article_id"], "kept", None) for a in out.kept]
        + [(a["article_id"], "unchanged", None) for a in out.unchanged]
        + [(a["article_id"], f"revision {a['revision']}", None) for a in out.revised]
    )


RUNS = [
    [article(f"https://s.com/{i}", STORIES[i], "r1") for i in range(3)],
    [
        article("https://s.com/near", edited(STORIES[1]), "r2"),
        article("https://t.com/x", STORIES[0], "r2"),
    ],
    [
        article("https://s.com/0", STORIES[0], "r3"),
        article("https://s.com/2", STORIES[2] + " The vote was postponed.", "r3"),
    ],
    [article(f"https://s.com/{i}", STORIES[i], "r4") for i in (3, 4)],
]
PROBE = [
    article("https://u.com/p1", edited(STORIES[3]), "r5"),
    article("https://u.com/p2", STORIES[5], "r5"),
    article("https://s.com/near", edited(STORIES[1]), "r5"),
    article("https://s.com/2", STORIES[2], "r5"),
    article("https://v.com/y", STORIES[0], "r5"),
]


@pytest.mark.parametrize("compact", [False, True], ids=["recent layers", "compacted"])
@pytest.mark.parametrize("keeping", [False, True], ids=["ad hoc", "serve executor"])
def test_run_after_run_the_mapped_snapshot_is_the_index_of_the_tables(
    tmp_path, monkeypatch, keeping, compact
) -> None:
    """New stories, a near copy, an exact copy under another URL, an unchanged re-fetch, a
    revision: after each commit the snapshot (written whole after the first run, appended
    to after the others, by a process that maps it or keeps its index in memory; its maps'
    recent layers merged into the old ones at every save, or never) maps to the index the
    tables give, and decides a later batch alike."""
    if compact:
        monkeypatch.setattr(snapshot, "COMPACT_MIN", 0)
    ds = Dataset(tmp_path)
    ds.ensure_writable()
    dedupe.keep_indexes(keeping)
    try:
        previous = None
        for n, articles in enumerate(RUNS, 1):
            stored, _ = run(ds, f"r{n}", articles)
            if previous is not None:  # the kept index was used, else the one mapped
                assert (stored.dedupe_index is previous) == keeping
            previous = stored.dedupe_index
            same(mapped(ds), from_tables(ds))
        assert decisions(mapped(ds), PROBE) == decisions(from_tables(ds), PROBE)
        assert ("p1", "near_duplicate", "3") in decisions(mapped(ds), PROBE)
    finally:
        dedupe.keep_indexes(False)
    meta = json.loads((folder_of(ds) / "current.json").read_text())
    assert (meta["rows"], meta["aliases"]) == (6, 1)  # 5 articles and the near copy; x
    assert meta["gen"] == len(RUNS) - 1  # appended to after the first run, not rewritten
    bases = {m["base"] for m in meta["maps"].values()}
    assert bases == ({len(RUNS) - 1} if compact else {0})
    assert len(list(next(folder_of(ds).glob("s-*")).glob("*.npy"))) == 4 * 4  # no old layers
    assert len(list(folder_of(ds).glob("s-*"))) == 1


def test_another_process_maps_the_snapshot(tmp_path) -> None:
    """A new Python process (as the next ``newsetl scrape`` is) maps the snapshot and
    decides the probe batch as the tables would."""
    ds = Dataset(tmp_path)
    ds.ensure_writable()
    for n, articles in enumerate(RUNS, 1):
        run(ds, f"r{n}", articles)
    expected = decisions(from_tables(ds), PROBE)
    script = (
        "import json, sys\n"
        "from newsetl.dedupe import load_index\n"
        "from newsetl.storage import Dataset\n"
        "from tests.dedupe.test_snapshot import PROBE, decisions\n"
        "stored = load_index(Dataset(sys.argv[1]))\n"
        "print(json.dumps([stored.dedupe_index.snapshot is not None, "
        "decisions(stored, PROBE)]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, check=True
    )
    was_mapped, got = json.loads(out.stdout)
    assert was_mapped
    assert [tuple(d) for d in got] == expected


def test_the_snapshot_is_not_used_once_the_files_changed(tmp_path, caplog) -> None:
    """A commit that saved no snapshot (another tool) or a partition deleted by hand: the
    tables are read; the next save writes a whole new snapshot, which is used again."""
    ds = Dataset(tmp_path)
    ds.ensure_writable()
    run(ds, "r1", RUNS[0])
    old = {p.name for p in folder_of(ds).glob("s-*")}
    stored, outcome = decide(ds, RUNS[1])  # mapped, decided, committed: not saved
    commit(ds, "r2", stored, outcome)
    caplog.set_level(logging.INFO)
    loaded = load_index(ds)
    assert loaded.dedupe_index.snapshot is None and "mapped from its snapshot" not in caplog.text
    same(loaded, from_tables(ds))
    with ds.lock():
        assert dedupe.keep_index(ds, loaded, None, run_id="r2", articles=[], duplicates=[])
    assert {p.name for p in folder_of(ds).glob("s-*")}.isdisjoint(old)
    same(mapped(ds), from_tables(ds))

    import shutil

    shutil.rmtree(tmp_path / "duplicates" / "source=site")  # the user deletes a partition
    loaded = load_index(ds)
    assert loaded.dedupe_index.snapshot is None
    assert "x" not in loaded.known  # the deleted duplicate is not known any more
    same(loaded, from_tables(ds))


def test_a_save_cut_short_leaves_a_snapshot_that_maps_right(tmp_path) -> None:
    """A save that died after appending (bytes past the recorded lengths) and before
    replacing ``current.json``: the snapshot still maps to the tables' index, and the next
    save cuts the extra bytes off before appending its own."""
    ds = Dataset(tmp_path)
    ds.ensure_writable()
    run(ds, "r1", RUNS[0])
    sub = next(folder_of(ds).glob("s-*"))
    for path in sub.iterdir():
        if not path.name.endswith(".npy"):
            with open(path, "ab") as fh:
                fh.write(b"\x07" * 1000)  # half a row of another run
    (folder_of(ds) / ".current.json.999.tmp").write_text("{")
    same(mapped(ds), from_tables(ds))
    run(ds, "r2", RUNS[1])
    same(mapped(ds), from_tables(ds))
    meta = json.loads((folder_of(ds) / "current.json").read_text())
    assert (sub / "sigs").stat().st_size == meta["lengths"]["sigs"]


@pytest.mark.parametrize("damage", ["short file", "map gone", "bad json", "other parameters"])
def test_a_damaged_snapshot_is_not_used(tmp_path, caplog, damage) -> None:
    """A per-row file shorter than recorded, a map file removed, an unreadable
    ``current.json``, a snapshot of other hashing parameters: the tables are read (the
    index is the same), and the next commit saves a whole new snapshot."""
    ds = Dataset(tmp_path)
    ds.ensure_writable()
    run(ds, "r1", RUNS[0])
    folder = folder_of(ds)
    sub = next(folder.glob("s-*"))
    if damage == "short file":
        with open(sub / "sigs", "r+b") as fh:
            fh.truncate(100)
    elif damage == "map gone":
        next(sub.glob("by_hash.*.keys.npy")).unlink()
    elif damage == "bad json":
        (folder / "current.json").write_text("{not json")
    else:
        meta = json.loads((folder / "current.json").read_text())
        meta["params"]["num_perm"] += 1
        (folder / "current.json").write_text(json.dumps(meta))
    caplog.set_level(logging.WARNING)
    loaded = load_index(ds)
    assert loaded.dedupe_index.snapshot is None
    same(loaded, from_tables(ds))
    if damage in ("short file", "map gone"):
        assert "snapshot unusable" in caplog.text
    run(ds, "r2", RUNS[1])
    assert next(folder.glob("s-*")) != sub
    same(mapped(ds), from_tables(ds))
