"""Extraction while the crawl runs (``pipeline.follow_crawl``): the same result as
extracting the finished crawl, a fresh start when the crawl starts over, and a clear end
when the crawl fails.

Real crawls of the demo sites on 127.0.0.1 (the crawler as a child process), followed from
a thread exactly as the flow's extract task follows the crawl task.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from newsetl import crawldir, pipeline
from tests.spiders.test_spider import crawl

pytestmark = pytest.mark.slow


def _rows(extraction: pipeline.Extraction) -> list[tuple]:
    return [
        (a["_page"], a["article_id"], a["content_hash"], a["title"], a["published_at"])
        for a in extraction.articles
    ]


def _follow_in_thread(control: Path, **kwargs) -> tuple[threading.Thread, dict]:
    box: dict = {}

    def run() -> None:
        try:
            box["result"] = pipeline.follow_crawl(
                control, source_for="s", run_id="r", timeout_s=120, **kwargs
            )
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, box


@pytest.mark.parametrize("workers", [1, 2])
def test_following_a_crawl_equals_extracting_it_afterwards(
    tmp_path, wix_server, news_server, monkeypatch, workers
):
    # A threshold of 2 pages puts the worker processes to use even on these small sites.
    monkeypatch.setattr(pipeline, "STREAM_POOL_AFTER", 2)
    control = tmp_path / "work"
    control.mkdir()
    thread, box = _follow_in_thread(control, workers=workers)
    time.sleep(0.3)  # the follower is waiting before the crawl has even begun
    attempt = control / "attempt-1"
    attempt.mkdir()
    crawldir.mark_crawl_attempt(control, attempt.name)
    crawl(attempt, [wix_server.url + "/", news_server.url + "/"])
    crawldir.mark_crawl_finished(control, attempt.name)
    thread.join(120)
    assert "error" not in box, box.get("error")
    pages, extraction, folder = box["result"]
    assert folder == str(attempt)

    batch_pages, _ = crawldir.read_crawl(attempt)
    batch = pipeline.extract_pages(batch_pages, attempt, source_for="s", run_id="r", workers=1)
    assert [p.url for p in pages] == [p.url for p in batch_pages]
    assert extraction.fates == batch.fates
    assert _rows(extraction) == _rows(batch)
    assert len(extraction.articles) >= 10  # both sites' posts, not an empty success


def test_a_crawl_that_starts_over_is_followed_afresh(tmp_path, wix_server):
    control = tmp_path / "work"
    control.mkdir()
    first = control / "attempt-a"
    first.mkdir()
    crawldir.mark_crawl_attempt(control, first.name)
    crawl(first, [wix_server.url + "/"])
    # The first attempt's pages are read (the follower starts while it is current) ...
    thread, box = _follow_in_thread(control, workers=1)
    time.sleep(0.5)
    # ... then the crawl is retried into a new folder and the old one goes away.
    shutil.rmtree(first)
    second = control / "attempt-b"
    second.mkdir()
    crawldir.mark_crawl_attempt(control, second.name)
    crawl(second, [wix_server.url + "/"])
    crawldir.mark_crawl_finished(control, second.name)
    thread.join(120)
    assert "error" not in box, box.get("error")
    pages, extraction, folder = box["result"]
    assert folder == str(second)
    batch_pages, _ = crawldir.read_crawl(second)
    batch = pipeline.extract_pages(batch_pages, second, source_for="s", run_id="r", workers=1)
    assert len(pages) == len(batch_pages)  # nothing of the first attempt counted twice
    assert _rows(extraction) == _rows(batch)
    assert extraction.articles


def test_a_failed_crawl_releases_the_follower_with_its_reason(tmp_path):
    control = tmp_path / "work"
    control.mkdir()
    thread, box = _follow_in_thread(control, workers=1)
    time.sleep(0.2)
    crawldir.mark_crawl_finished(control, error="CrawlCrashed: killed by SIGKILL")
    thread.join(10)
    assert not thread.is_alive()
    assert isinstance(box.get("error"), pipeline.CrawlFailed)
    assert "SIGKILL" in str(box["error"])


def test_a_follower_gives_up_after_its_timeout(tmp_path):
    control = tmp_path / "work"
    control.mkdir()
    with pytest.raises(TimeoutError, match="did not finish"):
        pipeline.follow_crawl(control, source_for="s", run_id="r", timeout_s=0.3)


def test_a_stop_leaves_out_the_pages_not_yet_extracted_and_keeps_the_rest_whole(
    tmp_path, wix_server, news_server, monkeypatch
):
    """Ctrl-C (``stop`` true): the follower does not wait for the extraction backlog. The
    pages it drops are gone from the result as if never fetched; what it keeps is exactly
    what extracting those pages gives, with page indices that still match."""
    monkeypatch.setattr(pipeline, "STREAM_POOL_AFTER", 2)
    control = tmp_path / "work"
    attempt = control / "attempt-1"
    attempt.mkdir(parents=True)
    crawldir.mark_crawl_attempt(control, attempt.name)
    crawl(attempt, [wix_server.url + "/", news_server.url + "/"])
    crawldir.mark_crawl_finished(control, attempt.name)
    all_pages, _ = crawldir.read_crawl(attempt)
    # The pool's workers are still starting when the follower looks: its batches are not done.
    pages, extraction, _ = pipeline.follow_crawl(
        control, source_for="s", run_id="r", workers=2, stop=lambda: True
    )
    assert 0 < len(pages) < len(all_pages)
    assert [p.url for p in pages] == [p.url for p in all_pages if p.url in {q.url for q in pages}]
    assert set(extraction.fates) == set(range(len(pages)))  # every kept page has its fate
    alone = pipeline.extract_pages(pages, attempt, source_for="s", run_id="r", workers=1)
    assert extraction.fates == alone.fates
    assert _rows(extraction) == _rows(alone)
    for row in extraction.articles:
        assert pages[row["_page"]].url == row["url"] or pages[row["_page"]].final_url == row["url"]
