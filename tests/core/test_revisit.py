"""The page memory's schedule and file (``newsetl.revisit``), without a crawl: the bounds
of the revisit policy, merging a crawl's entries, and when a memory is not to be used."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsetl.revisit import (
    DAY,
    HOUR,
    Remembered,
    RevisitPolicy,
    memory_of,
    memory_path,
    merge_memory,
    read_memory,
    usable_memory,
    write_entries,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _entry(url: str, role: str, hours_ago: float, **kw) -> Remembered:
    return Remembered(url=url, role=role, visited=NOW - timedelta(hours=hours_ago), **kw)


def test_a_listing_is_read_less_often_while_it_shows_nothing_new() -> None:
    policy = RevisitPolicy()
    # From a first visit, each visit with nothing new doubles the interval, up to a day.
    entry = None
    intervals = []
    for _ in range(8):
        value = policy.next_listing_interval(entry, showed_new=False)
        intervals.append(value)
        entry = _entry("u", "listing", 0, interval_s=value)
    assert intervals == [HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR, 16 * HOUR, DAY, DAY, DAY]
    # A visit that shows a new link brings it back to an hour.
    assert policy.next_listing_interval(entry, showed_new=True) == HOUR


def test_due_listings_gone_back_off_and_leaves() -> None:
    policy = RevisitPolicy()
    listing = _entry("l", "listing", 0.95, interval_s=HOUR)
    assert policy.resting(listing, NOW) is None  # 90 % of its interval passed: due
    assert policy.resting(_entry("l", "listing", 0.5, interval_s=HOUR), NOW) == "not_due"
    # an interval above the bound (a memory written with a longer one) counts as the bound
    assert policy.resting(_entry("l", "listing", 23, interval_s=9 * DAY), NOW) is None
    assert [policy.gone_backoff(m) for m in (1, 2, 3)] == [HOUR, 2 * HOUR, 4 * HOUR]
    assert policy.gone_backoff(40) == 30 * DAY
    assert policy.resting(_entry("g", "gone", 1.5, misses=2), NOW) == "gone"
    assert policy.resting(_entry("g", "gone", 2.5, misses=2), NOW) is None
    assert policy.resting(_entry("f", "leaf", 24 * 29), NOW) == "leaf"
    assert policy.resting(_entry("f", "leaf", 24 * 31), NOW) is None
    for role in ("sitemap", "feed"):  # asked on every run
        assert policy.resting(_entry("s", role, 0), NOW) is None


def test_the_bound_comes_from_the_environment() -> None:
    assert RevisitPolicy.from_env({}) == RevisitPolicy()
    policy = RevisitPolicy.from_env({"NEWSETL_LISTING_REVISIT_MAX": "6h"})
    assert (policy.listing_min_s, policy.listing_max_s) == (HOUR, 6 * HOUR)
    every_run = RevisitPolicy.from_env({"NEWSETL_LISTING_REVISIT_MAX": "0"})
    assert every_run.resting(_entry("l", "listing", 0, interval_s=HOUR), NOW) is None
    with pytest.raises(ValueError, match="not a duration"):
        RevisitPolicy.from_env({"NEWSETL_LISTING_REVISIT_MIN": "soon"})


def test_merging_keeps_the_later_visit_drops_articles_and_old_entries(tmp_path: Path) -> None:
    path = tmp_path / "memory" / "m.jsonl"
    first = tmp_path / "first.jsonl"
    write_entries(
        first,
        [
            _entry("http://s/", "listing", 2, interval_s=HOUR, sha1="a", children=("k1", "k2")),
            _entry("http://s/old/", "listing", 24 * 100),  # not visited for 100 days
            _entry("http://s/2026/story/", "leaf", 2, html=True),  # an article: not kept
            _entry("http://s/about/", "leaf", 2, html=True),  # no article: kept
            _entry("http://s/x.pdf", "leaf", 2),  # not HTML: kept
        ],
    )
    merge_memory(path, first, 3, not_articles={"http://s/about/"}, now=NOW)
    got = read_memory(path)
    assert got.generation == 3
    assert set(got.entries) == {"http://s/", "http://s/about/", "http://s/x.pdf"}
    assert got.entries["http://s/"].children == ("k1", "k2")
    # A crawl that began earlier (an older visit) does not undo a later one.
    older = tmp_path / "older.jsonl"
    write_entries(older, [_entry("http://s/", "listing", 5, sha1="old")])
    merge_memory(path, older, 4, now=NOW)
    assert read_memory(path).entries["http://s/"].sha1 == "a"
    assert read_memory(path).generation == 4
    # replace: the memory was not usable when the run began
    merge_memory(path, older, 5, replace=True, now=NOW)
    assert set(read_memory(path).entries) == {"http://s/"}


def test_a_memory_written_after_commits_the_dataset_lacks_is_not_used(tmp_path: Path) -> None:
    data = tmp_path / "data"
    path = memory_path(tmp_path / "state", data)
    assert memory_of(tmp_path / "state", data, 0) == (path, None)  # none yet
    write_entries(tmp_path / "u.jsonl", [_entry("http://s/", "listing", 1)])
    merge_memory(path, tmp_path / "u.jsonl", 7, now=NOW)
    assert usable_memory(path, 7) == str(path) and usable_memory(path, 9) == str(path)
    assert usable_memory(path, 2) is None  # the data folder was removed and made again
    # another data folder has a memory of its own
    assert memory_path(tmp_path / "state", tmp_path / "other") != path


def test_damaged_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    good = _entry("http://s/", "gone", 1, misses=2).to_dict()
    lines = [json.dumps({"newsetl_memory": 1, "generation": 2}), "{not json", json.dumps(good)]
    lines += [json.dumps({"url": "http://s/b", "role": "nonsense", "visited": NOW.isoformat()})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = read_memory(path)
    assert got.bad_lines == 2 and list(got.entries) == ["http://s/"]
    assert got.entries["http://s/"].misses == 2
