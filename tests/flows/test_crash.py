"""A run killed by SIGKILL at any of 21 points never leaves a dataset readers choke on,
and the next run completes it: afterwards the dataset equals an uninterrupted run's."""

from __future__ import annotations

import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from newsetl import dedupe
from newsetl.dedupe import snapshot
from newsetl.faults import POINTS
from newsetl.storage import Dataset
from tests.conftest import scrape_cli

pytestmark = pytest.mark.slow

TABLES = ("articles", "duplicates", "pages")


def _assert_readable(data: Path) -> None:
    """Every file a reader can see is whole; pandas and DuckDB read every table."""
    for path in data.rglob("*.parquet"):
        rel = path.relative_to(data).parts
        if any(p.startswith(("_", ".")) for p in rel):
            continue
        pq.read_table(path)  # raises on a partial file
    for table in TABLES:
        if any((data / table).rglob("*.parquet")):
            pd.read_parquet(data / table)
            duckdb.connect().execute(
                f"select count(*) from read_parquet('{data}/{table}/**/*.parquet', "
                "hive_partitioning=true, union_by_name=true)"
            ).fetchone()


def _state(data: Path) -> tuple[set, set]:
    arts = pd.read_parquet(data / "articles")
    dups = pd.read_parquet(data / "duplicates")
    return (
        set(zip(arts["article_id"], arts["content_hash"], arts["revision"], strict=True)),
        set(zip(dups["article_id"], dups["duplicate_of"], dups["kind"], strict=True)),
    )


@pytest.mark.timeout(1200)  # 43 real runs; about 2 minutes on an idle 2-core machine
def test_sigkill_at_every_point_then_rerun_equals_uninterrupted(
    cli_env, wix_server, news_server, tmp_path
):
    urls = [wix_server.url + "/blog-feed.xml", news_server.url + "/feed/"]
    ref = scrape_cli(cli_env, urls, tmp_path / "ref")
    assert ref.returncode == 0, ref.stderr[-2000:]
    expected = _state(tmp_path / "ref")
    assert len(expected[0]) == 10 and len(expected[1]) == 1

    def one(point: str) -> tuple[str, str | None]:
        data = tmp_path / point
        crashed = scrape_cli(cli_env, urls, data, crash=point)
        if crashed.returncode != -signal.SIGKILL:
            return point, f"not killed (exit {crashed.returncode}): {crashed.stderr[-800:]}"
        try:
            _assert_readable(data)
        except Exception as exc:  # noqa: BLE001 - reported per point below
            return point, f"unreadable after the crash: {exc}"
        again = scrape_cli(cli_env, urls, data)
        if again.returncode != 0:
            return point, f"rerun failed: {again.stderr[-800:]}"
        _assert_readable(data)
        got = _state(data)
        if got != expected:
            return point, f"differs from an uninterrupted run: {got} != {expected}"
        # The index snapshot, where there is one, is the tables' index. The rerun saves one
        # when it stores articles: always where the crashed run's commit was not yet
        # durable (after it, the rerun may find nothing new and leave the index unread).
        snap = snapshot.load(Dataset(data), dedupe.dataset_manifest(Dataset(data)), {})
        if snap is None and POINTS.index(point) < POINTS.index("commit_journal"):
            return point, "no index snapshot after a rerun that stored the articles"
        if snap is not None:
            tables = dedupe.load_index(Dataset(data), use_snapshot=False)
            if not snap.dedupe_index.to_arrow().equals(tables.dedupe_index.to_arrow()):
                return point, "the index snapshot differs from the tables"
            if dict(snap.known) != dict(tables.known):
                return point, "the snapshot's known hashes differ from the tables'"
        leftovers = [p for p in data.rglob("*.tmp")] + list((data / "_state").glob("journal-*"))
        if leftovers:
            return point, f"leftovers: {leftovers}"
        return point, None

    assert len(POINTS) == 21
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(one, POINTS))
    failures = {p: why for p, why in results if why}
    assert not failures, failures
