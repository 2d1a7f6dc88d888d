"""Disk full and foreign files: a clear message, and nothing already stored is lost."""

from __future__ import annotations

import shutil
import subprocess

import pandas as pd
import pytest

from tests.conftest import scrape_cli

pytestmark = pytest.mark.slow


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MB tmpfs: a real file system that fills up (needs root; skipped otherwise)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    res = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], capture_output=True
    )
    if res.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {res.stderr.decode()[:200]}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_disk_full_fails_clearly_and_keeps_what_was_stored(
    cli_env, wix_server, news_server, small_disk
):
    data = small_disk / "data"
    first = scrape_cli(cli_env, [wix_server.url + "/blog-feed.xml"], data)
    assert first.returncode == 0, first.stderr[-2000:]
    before = pd.read_parquet(data / "articles")
    assert len(before) == 6
    # Fill the disk, leaving a few KB: not enough for the next run's files.
    usage = shutil.disk_usage(small_disk)
    with open(small_disk / "filler", "wb") as fh:
        fh.write(b"\0" * (usage.free - 8 * 1024))
    second = scrape_cli(cli_env, [news_server.url + "/feed/"], data)
    (small_disk.parent / "second.stderr").write_text(second.stderr)
    assert second.returncode != 0
    err = second.stderr.strip().splitlines()[-1]
    assert "No space left on device" in err and "nothing of this run was added" in err, err
    assert "Traceback" not in second.stderr
    after = pd.read_parquet(data / "articles")
    assert after.equals(before)
    assert not list(data.rglob("*.tmp")), "temporary files were left behind"
    # Space again: the same run now succeeds.
    (small_disk / "filler").unlink()
    third = scrape_cli(cli_env, [news_server.url + "/feed/"], data)
    assert third.returncode == 0, third.stderr[-2000:]
    assert len(pd.read_parquet(data / "articles")) == 6 + 4  # the republished copy dropped


def test_foreign_files_in_the_data_folder_are_set_aside(cli_env, wix_server, tmp_path):
    data = tmp_path / "data"
    first = scrape_cli(cli_env, [wix_server.url + "/blog-feed.xml"], data)
    assert first.returncode == 0, first.stderr[-2000:]
    stray = next((data / "articles").rglob("*.parquet")).parent / "export.csv"
    stray.write_text("title,url\nx,y\n")
    broken = (data / "pages").rglob("*.parquet").__next__()
    broken.write_bytes(broken.read_bytes()[:50])  # a damaged file of the fetch log
    again = scrape_cli(cli_env, [wix_server.url + "/blog-feed.xml"], data)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "Traceback" not in again.stderr
    assert str(stray) in again.stderr and str(broken) in again.stderr  # named, with the rule
    assert (data / "_quarantine" / stray.relative_to(data)).exists()
    assert len(pd.read_parquet(data / "articles")) == 6
    pd.read_parquet(data / "pages")  # readable again
