"""The stored index of a dataset: trusted when in step, rebuilt otherwise, and why a run that
decided before another run committed must decide again (the write task's second pass)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from newsetl import dedupe, pipeline
from newsetl.dedupe import content_hash, index_rows_to_commit, load_index
from newsetl.storage import ARTICLES_PARTITIONS, ARTICLES_SCHEMA, DUPLICATES_SCHEMA, Dataset

STORY = (
    "The city council voted on Tuesday night to approve a flood defence scheme for the lower "
    "valley, ending three years of public consultation and two rejected proposals. The plan "
    "includes an embankment along the eastern bank, a pumping station near the old brewery "
    "site and a network of storage ponds in the parks upstream of the railway bridge. "
    "Opposition councillors argued that the cost estimate was too optimistic, and homeowners "
    "in the district, where hundreds of properties were flooded in 2021, welcomed the vote."
)
OTHER = (
    "A new ferry route between the two harbours will open in the spring, the port authority "
    "said on Monday, after the regional government agreed to pay for a second landing stage "
    "and a waiting hall. Crossings will take forty minutes and run every hour from six in "
    "the morning until midnight, with extra sailings on summer weekends and holidays."
)


def article(url: str, text: str, run_id: str) -> dict:
    """An extracted article as ``pipeline.deduplicate`` receives it."""
    return {
        "article_id": url.rsplit("/", 1)[-1],
        "url": url,
        "canonical_url": url,
        "title": text[:30],
        "text": text,
        "word_count": len(text.split()),
        "content_hash": content_hash(text),
        "published_at": None,
        "fetched_at": datetime(2026, 11, 25, tzinfo=UTC),
        "run_id": run_id,
        "source": "site",
        "month": "2026-11",
        "_page": 0,
    }


def table(rows: list[dict], schema: pa.Schema, partitions: tuple[str, ...]) -> pa.Table:
    full = pa.schema(list(schema) + [pa.field(p, pa.string()) for p in partitions])
    return pa.Table.from_pydict({f.name: [r.get(f.name) for r in rows] for f in full}, schema=full)


def commit(ds: Dataset, run_id: str, stored: dedupe.StoredIndex, outcome) -> None:
    """What the write task commits for a run's outcome (a revised article supersedes its
    stored row)."""
    with ds.lock():
        ds.commit(
            run_id,
            {
                "articles": table(
                    outcome.kept + outcome.revised, ARTICLES_SCHEMA, ARTICLES_PARTITIONS
                ),
                "duplicates": table(outcome.duplicates, DUPLICATES_SCHEMA, ("source",)),
            },
            index_rows=index_rows_to_commit(
                stored.dedupe_index,
                rebuilt=stored.rebuilt,
                added=bool(outcome.kept or outcome.duplicates),
            ),
            replace_index=stored.rebuilt,
            supersede=[a["article_id"] for a in outcome.revised],
        )


def decide(ds: Dataset, articles: list[dict]) -> tuple[dedupe.StoredIndex, object]:
    stored = load_index(ds)
    return stored, pipeline.deduplicate(
        articles, stored.dedupe_index, stored.known, stored.revisions
    )


def test_a_stored_index_in_step_is_trusted_and_a_damaged_one_rebuilt(tmp_path, caplog) -> None:
    ds = Dataset(tmp_path)
    ds.ensure_writable()
    stored, outcome = decide(ds, [article("https://s.com/a", STORY, "r1")])
    assert stored.rebuilt  # nothing stored yet: a new index, written whole
    commit(ds, "r1", stored, outcome)
    again = load_index(ds)
    assert (
        not again.rebuilt
        and "a" in again.dedupe_index
        and again.known == {"a": content_hash(STORY)}
    )
    assert again.revisions == {"a": 1}
    for path in (tmp_path / "_index").glob("*.parquet"):
        path.write_bytes(b"PAR1 damaged")
    caplog.set_level(logging.WARNING)
    rebuilt = load_index(ds)
    assert rebuilt.rebuilt and "a" in rebuilt.dedupe_index
    assert "rebuilding it from 1 stored article(s)" in caplog.text


def test_a_run_that_decided_before_another_run_committed_must_decide_again(tmp_path) -> None:
    """Two runs decide against the same stored state; the first commits. The second's
    decisions are then wrong: it would store an article the first stored (same id) and
    keep a near copy of another. Deciding again against the new state (what the write task
    does when the dataset's generation moved) gives the right answer, so that second pass
    is not redundant."""
    ds = Dataset(tmp_path)
    ds.ensure_writable()
    copy = OTHER.replace("on Monday", "on Monday morning")
    run_a = [article("https://s.com/a", STORY, "ra"), article("https://s.com/b", OTHER, "ra")]

    def run_b() -> list[dict]:
        return [article("https://s.com/a", STORY, "rb"), article("https://s.com/c", copy, "rb")]

    generation = ds.generation()
    stored_a, outcome_a = decide(ds, run_a)
    stored_b, stale = decide(ds, run_b())
    commit(ds, "ra", stored_a, outcome_a)

    assert ds.generation() != generation  # what the write task checks
    assert sorted(a["article_id"] for a in stale.kept) == ["a", "c"]  # a would be stored twice

    stored_b, outcome_b = decide(ds, run_b())
    assert outcome_b.kept == []
    assert [a["article_id"] for a in outcome_b.unchanged] == ["a"]
    [dup] = outcome_b.duplicates
    assert (dup["article_id"], dup["kind"], dup["duplicate_of"]) == ("c", "near_duplicate", "b")
    commit(ds, "rb", stored_b, outcome_b)

    ids = ds.read("articles", columns=["article_id"])["article_id"].to_pylist()
    assert sorted(ids) == ["a", "b"]
    assert ds.read("duplicates", columns=["article_id"])["article_id"].to_pylist() == ["c"]
    assert not load_index(ds).rebuilt  # the index rows of both commits are in step


# -- the index kept in memory between runs (newsetl serve's executors) ----------------------
_WORDS = (
    "harbour council ferry budget school river market winter bridge library station festival "
    "hospital museum garden farmers nurses drivers tunnel airport stadium theatre orchard "
    "quarry canal brewery bakery clinic court prison barracks lighthouse"
).split()
# Six stories that share no 5-word run: word k of story i is a fixed pseudo-random pick.
STORIES = [
    " ".join(_WORDS[(i * 7919 + k * k * 31 + k * (i + 3)) % len(_WORDS)] for k in range(80))
    for i in range(6)
]


def edited(text: str) -> str:
    """A near copy: one word in 25 replaced."""
    return " ".join("mayor" if k % 25 == 12 else w for k, w in enumerate(text.split()))


@pytest.fixture
def keeping():
    dedupe.keep_indexes()
    yield
    dedupe.keep_indexes(False)


def run(ds: Dataset, run_id: str, articles: list[dict]) -> tuple[dedupe.StoredIndex, object]:
    """One run as the flow makes it: decide, commit, keep the index for the next run."""
    stored, outcome = decide(ds, articles)
    commit(ds, run_id, stored, outcome)
    with ds.lock():
        assert pipeline.keep_index(ds, stored, outcome, None, run_id=run_id)
    return stored, outcome


def fresh(ds: Dataset) -> dedupe.StoredIndex:
    """The index as a new process loads it from the files."""
    dedupe.keep_indexes(False)
    try:
        return load_index(ds)
    finally:
        dedupe.keep_indexes()


def same_as_loaded(kept: dedupe.StoredIndex, loaded: dedupe.StoredIndex) -> None:
    assert kept.known == loaded.known
    assert kept.revisions == loaded.revisions
    assert kept.dedupe_index.to_arrow().equals(loaded.dedupe_index.to_arrow())
    assert kept.dedupe_index.loaded_mark == kept.dedupe_index.mark()  # all of it is stored


def test_a_kept_index_is_what_loading_the_files_gives_run_after_run(tmp_path, keeping) -> None:
    """Run after run (new stories, a near copy, an exact copy under another URL, a page
    re-fetched unchanged, a story revised), the index a process keeps after each commit
    equals the one a new process loads from the files, and decides a later batch alike."""
    ds = Dataset(tmp_path)
    ds.ensure_writable()
    near = edited(STORIES[1])
    revised = STORIES[2] + " The vote was postponed."
    runs = [
        [article(f"https://s.com/{i}", STORIES[i], "r1") for i in range(3)],
        [article("https://s.com/near", near, "r2"), article("https://t.com/x", STORIES[0], "r2")],
        [article("https://s.com/0", STORIES[0], "r3"), article("https://s.com/2", revised, "r3")],
        [article(f"https://s.com/{i}", STORIES[i], "r4") for i in (3, 4)],
    ]
    outcomes = []
    for n, articles in enumerate(runs, 1):
        stored, outcome = run(ds, f"r{n}", articles)
        outcomes.append(outcome)
        kept = load_index(ds)
        # handed back: the files did not change since the commit
        assert kept.dedupe_index is stored.dedupe_index
        same_as_loaded(kept, fresh(ds))
        # handed out once: a run that fails after deciding leaves nothing kept
        assert load_index(ds).dedupe_index is not kept.dedupe_index
        dedupe.keep_index(ds, kept, None, run_id=f"r{n}", articles=[], duplicates=[])
    assert [(d["article_id"], d["kind"]) for d in outcomes[1].duplicates] == [
        ("near", "near_duplicate"),
        ("x", "exact_text"),
    ]
    assert [a["article_id"] for a in outcomes[2].unchanged] == ["0"]
    assert [(a["article_id"], a["revision"]) for a in outcomes[2].revised] == [("2", 2)]
    assert sorted(a["article_id"] for a in outcomes[3].kept) == ["3", "4"]
    probe = [
        article("https://u.com/p1", edited(STORIES[3]), "r5"),
        article("https://u.com/p2", STORIES[5], "r5"),
        article("https://s.com/near", near, "r5"),
    ]
    a = pipeline.deduplicate([dict(x) for x in probe], load_index(ds).dedupe_index, {}, {})
    b = pipeline.deduplicate([dict(x) for x in probe], fresh(ds).dedupe_index, {}, {})
    assert [(d["article_id"], d["kind"], d["duplicate_of"]) for d in a.duplicates] == [
        (d["article_id"], d["kind"], d["duplicate_of"]) for d in b.duplicates
    ]
    assert [k["article_id"] for k in a.kept] == [k["article_id"] for k in b.kept] == ["p2"]


def test_a_kept_index_is_not_used_once_the_files_changed(tmp_path, keeping, caplog) -> None:
    """A partition deleted by hand, or a commit by another process: the kept index is stale,
    the files are read again (and the index rebuilt where it is out of step with them)."""
    ds = Dataset(tmp_path)
    ds.ensure_writable()
    first = [article("https://s.com/a", STORIES[0], "r1")]
    first[0]["source"] = "gone"
    run(ds, "r1", first + [article("https://s.com/b", STORIES[1], "r1")])
    assert "a" in load_index(ds).dedupe_index  # kept, and handed out again ...
    stored, _ = run(ds, "r2", [article("https://s.com/c", STORIES[2], "r2")])

    import shutil

    shutil.rmtree(tmp_path / "articles" / "source=gone")  # the user deletes a partition
    caplog.set_level(logging.INFO)
    again = load_index(ds)
    assert again.dedupe_index is not stored.dedupe_index and again.rebuilt
    assert "a" not in again.dedupe_index and "a" not in again.known
    assert {"b", "c"} <= set(again.known)
    assert "dataset changed since the last run of this process" in caplog.text

    # another process commits (it keeps nothing here): the kept index is stale too
    stored, _ = run(ds, "r3", [article("https://s.com/d", STORIES[3], "r3")])
    other = Dataset(tmp_path)
    dedupe.keep_indexes(False)
    o_stored, o_outcome = decide(other, [article("https://s.com/e", STORIES[4], "r4")])
    commit(other, "r4", o_stored, o_outcome)
    dedupe.keep_indexes()
    assert "e" not in stored.dedupe_index
    loaded = load_index(ds)
    assert (
        loaded.dedupe_index is not stored.dedupe_index
        and "e" in loaded.dedupe_index
        and not loaded.rebuilt
    )


def test_an_index_is_not_kept_when_loading_would_order_it_otherwise(tmp_path, keeping) -> None:
    """A run whose index file is not the last by name (a run started later committed
    first) is not kept: loading the files would put its rows before the other run's."""
    ds = Dataset(tmp_path)
    ds.ensure_writable()
    run(ds, "r1", [article("https://s.com/a", STORIES[0], "r1")])
    late = Dataset(tmp_path)
    stored, outcome = decide(late, [article("https://s.com/b", STORIES[1], "r3")])
    commit(late, "r3", stored, outcome)
    stored, outcome = decide(ds, [article("https://s.com/c", STORIES[2], "r2")])
    commit(ds, "r2", stored, outcome)
    assert not pipeline.keep_index(ds, stored, outcome, None, run_id="r2")
    assert load_index(ds).dedupe_index is not stored.dedupe_index


def test_the_in_step_check_is_set_equality() -> None:
    """The stored index is trusted when its kept ids are the stored articles' ids as sets:
    the vectorised check agrees with Python's sets, nulls, repeats and chunks included."""
    import random

    from newsetl.dedupe.state import _same_values

    def chunked(*parts: list) -> pa.ChunkedArray:
        return pa.chunked_array([pa.array(p, pa.string()) for p in parts], type=pa.string())

    rng = random.Random(3)
    agree = {True: 0, False: 0}
    for _ in range(2000):
        a = [rng.choice(["a", "b", "c", None]) for _ in range(rng.randint(0, 6))]
        b = [rng.choice(["a", "b", "c", None]) for _ in range(rng.randint(0, 6))]
        cut = rng.randint(0, len(a))
        same = _same_values(chunked(a[:cut], a[cut:]), chunked(b))
        assert same == (set(a) == set(b)), (a, b)
        agree[same] += 1
    assert min(agree.values()) > 100  # both answers were tried
