"""The stored-index benchmark (benchmarks/dedupe_stored.py) runs end to end on a small
dataset: a new process maps the index snapshot, and decides as loading the tables does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_small_stored_dataset_ad_hoc_mapped_cold_and_warm(tmp_path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "dedupe_stored.py"),
            "--articles",
            "3000",
            "--runs",
            "3",
            "--new",
            "90",
            "--json",
            str(tmp_path / "fig.json"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr[-3000:]
    fig = json.loads((tmp_path / "fig.json").read_text())
    [adhoc], [cold] = fig["adhoc"], fig["cold"]
    assert adhoc["mapped"] and not cold["mapped"] and not cold["reused"]
    assert adhoc["decisions"] == cold["decisions"]  # the exit code checks it too
    assert adhoc["caught"] == adhoc["copies"] == 30 and adhoc["new_dropped"] == 0
    assert [r["reused"] for r in fig["warm"]] == [False, True, True, False]
    assert fig["warm"][0]["mapped"] and not fig["warm"][3]["mapped"]  # a partition deleted
    assert "mapped from the snapshot" in out.stdout
