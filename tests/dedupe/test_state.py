"""The stored index of a dataset: trusted when in step, rebuilt otherwise, and why a run that
decided before another run committed must decide again (the write task's second pass)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pyarrow as pa

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
    """What the write task commits for a run's outcome."""
    with ds.lock():
        ds.commit(
            run_id,
            {
                "articles": table(outcome.kept, ARTICLES_SCHEMA, ARTICLES_PARTITIONS),
                "duplicates": table(outcome.duplicates, DUPLICATES_SCHEMA, ("source",)),
            },
            index_rows=index_rows_to_commit(
                stored.dedupe_index,
                rebuilt=stored.rebuilt,
                added=bool(outcome.kept or outcome.duplicates),
            ),
            replace_index=stored.rebuilt,
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
