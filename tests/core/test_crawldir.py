"""The crawl folder's owner: writer, tail reader, control files, merger, known file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from newsetl import crawldir
from newsetl.models import FetchedPage


def test_writer_then_readers_see_the_same_records(tmp_path: Path) -> None:
    writer = crawldir.CrawlWriter(tmp_path)
    writer.open(archive_info=None)
    assert not writer.archiving
    path = writer.write_body("http://h/a", b"<html>a</html>")
    assert path == crawldir.body_name("http://h/a") and path.startswith("bodies/")
    tail = crawldir.PagesTail(tmp_path)
    writer.write_record(FetchedPage(url="http://h/a", body_path=path).to_dict())
    assert [p.url for p in tail.read_pages(final=False)] == ["http://h/a"]
    writer.write_record(FetchedPage(url="http://h/b").to_dict())
    writer.close_pages()
    with open(tmp_path / crawldir.PAGES_FILE, "a", encoding="utf-8") as fh:
        fh.write('{"url": "http://h/c"')  # a killed writer's half line
    assert [p.url for p in tail.read_pages(final=False)] == ["http://h/b"]
    assert list(tail.read_pages(final=True)) == []  # damaged: skipped
    crawldir.write_stats(tmp_path, {"x": {1, 2}}, {"records": 2})
    pages, stats = crawldir.read_crawl(tmp_path)
    assert [p.url for p in pages] == ["http://h/a", "http://h/b"]
    assert stats["records"] == 2 and stats["scrapy"] == {"x": [1, 2]}
    assert (tmp_path / path).read_bytes() == b"<html>a</html>"
    crawldir.remove_end_mark(tmp_path)
    assert crawldir.read_crawl_stats(tmp_path) == {}


def test_control_files(tmp_path: Path) -> None:
    assert crawldir.read_control(tmp_path) == (None, None)
    attempt = crawldir.new_attempt(tmp_path)
    crawldir.mark_crawl_attempt(tmp_path, attempt.name)
    assert crawldir.read_control(tmp_path) == (attempt.name, None)
    crawldir.mark_crawl_finished(tmp_path, attempt.name)
    assert crawldir.read_control(tmp_path) == (attempt.name, {"dir": attempt.name})
    second = crawldir.new_attempt(tmp_path)  # a retry starts clean
    assert not attempt.exists() and second.exists()
    crawldir.mark_crawl_finished(tmp_path, error="boom")
    assert crawldir.read_control(tmp_path)[1] == {"error": "boom"}


def test_merge_crawls(tmp_path: Path) -> None:
    parts = [tmp_path / "crawler-0", tmp_path / "crawler-1"]
    for i, part in enumerate(parts):
        part.mkdir()
        rec = FetchedPage(url=f"http://h/{i}", body_path=f"bodies/{i}.html").to_dict()
        (part / crawldir.PAGES_FILE).write_text(json.dumps(rec) + "\n{broken\n")
        (part / crawldir.STATS_FILE).write_text(json.dumps({"records": 1, "finish_reason": "f"}))
        (part / crawldir.ARCHIVE_FILE).write_bytes(b"w%d" % i)
    crawldir.merge_crawls(parts, tmp_path)
    pages, stats = crawldir.read_crawl(tmp_path)
    assert [p.body_path for p in pages] == ["crawler-0/bodies/0.html", "crawler-1/bodies/1.html"]
    assert stats["records"] == 2 and stats["finish_reason"] == "f"
    assert len(stats["crawlers"]) == 2
    assert (tmp_path / crawldir.ARCHIVE_FILE).read_bytes() == b"w0w1"


def test_known_file_round_trip(tmp_path: Path) -> None:
    empty = pa.table({c: pa.array([], pa.string()) for c in ("url", "kind", "fate")})
    assert crawldir.write_known(empty, tmp_path / "k.jsonl") is None
    assert not (tmp_path / "k.jsonl").exists()
    table = pa.table(
        {
            "url": ["http://h/a", "http://h/list"],
            "final_url": [None, None],
            "kind": ["page", "page"],
            "fate": ["article", "not_article:listing_url"],
            "fetched_at": pa.array(
                [datetime(2026, 1, 2, tzinfo=UTC), None], pa.timestamp("us", tz="UTC")
            ),
        }
    )
    path = crawldir.write_known(table, tmp_path / "k.jsonl")
    assert path == str(tmp_path / "k.jsonl")
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("not json\n[1]\n")
    got = list(crawldir.iter_known(path))
    assert [g["url"] if g else None for g in got] == ["http://h/a", "http://h/list", None, None]
    assert got[0]["is_article"] is True
    assert got[0]["fetched_at"] == "2026-01-02T00:00:00+00:00"
    assert got[1] == {"url": "http://h/list", "is_article": False}
