"""The Python API: ``newsetl.extract``, ``newsetl.scrape``, ``newsetl.read_table``."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime

import pytest

import newsetl
from tests.conftest import ROOT

PAGE = (
    '<!DOCTYPE html><html lang="de"><head><title>Fähre fällt wieder aus | Hafenblatt</title>'
    '<meta property="og:site_name" content="Hafenblatt">'
    '<meta property="og:image" content="/img/faehre.jpg">'
    '<meta property="article:tag" content="Hafen"><meta name="keywords" content="Fähre, Rat">'
    '<meta property="article:published_time" content="2024-05-02T09:30:00+02:00">'
    '<meta property="article:modified_time" content="2024-05-02T11:00:00+02:00">'
    '<meta name="description" content="Der Anleger bleibt zu."></head><body>'
    "<article><h1>Fähre fällt wieder aus</h1><p>Von Anna Muster</p>"
    + "<p>"
    + "Der Rat hat am Donnerstag erneut über den Anleger beraten und keine Lösung gefunden. " * 8
    + "</p></article></body></html>"
)


def test_extract_returns_a_frozen_article() -> None:
    art = newsetl.extract(PAGE, url="https://hafen.example/2024/05/faehre-faellt-aus")
    assert isinstance(art, newsetl.Article)
    assert art.title == "Fähre fällt wieder aus"
    assert art.language == "de"
    assert art.published_at == datetime(2024, 5, 2, 7, 30, tzinfo=UTC)
    assert art.published_at.utcoffset().total_seconds() == 7200  # the publisher's offset
    assert art.published_utc_offset_min == 120
    assert art.paywalled is None  # the page says neither free nor walled
    walled = PAGE.replace(
        "</head>", '<meta property="article:content_tier" content="locked"></head>'
    )
    assert newsetl.extract(walled).paywalled is True
    assert art.modified_at == datetime(2024, 5, 2, 9, 0, tzinfo=UTC)
    assert art.image == "https://hafen.example/img/faehre.jpg"
    assert art.tags == ("Hafen", "Fähre", "Rat")
    assert art.site_name == "Hafenblatt" and art.description == "Der Anleger bleibt zu."
    assert "Anleger beraten" in art.text and art.word_count == len(art.text.split())
    with pytest.raises(dataclasses.FrozenInstanceError):
        art.title = "x"  # type: ignore[misc]
    # bytes in the page's own encoding give the same article
    assert newsetl.extract(PAGE.encode("utf-8"), url=art.url) == art


def test_extract_names_a_wrong_argument() -> None:
    with pytest.raises(TypeError, match="str or bytes"):
        newsetl.extract(None)  # type: ignore[arg-type]


def test_extract_stays_callable_after_the_extractor_module_loads() -> None:
    import newsetl.extraction  # noqa: F401 - the package behind it

    assert callable(newsetl.extract)


def test_import_is_light() -> None:
    """``import newsetl`` and ``newsetl.extract`` import neither Scrapy, Prefect nor pandas."""
    code = (
        "import sys, time; t = time.perf_counter(); import newsetl; "
        "t = time.perf_counter() - t; newsetl.extract('<p>hi</p>'); "
        "print(t, [m for m in ('scrapy', 'prefect', 'pandas') if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    seconds, heavy = out.stdout.split(maxsplit=1)
    assert heavy.strip() == "[]"
    print(f"import newsetl: {float(seconds) * 1000:.1f} ms")


@pytest.mark.slow
def test_scrape_and_read_back_from_a_script(cli_env, wix_server, news_server, tmp_path) -> None:
    """A user's script: scrape two sites, read the articles back, filter them."""
    script = textwrap.dedent(
        f"""
        import json, newsetl
        summary = newsetl.scrape(
            [{wix_server.url + "/"!r}, {news_server.url + "/"!r}],
            data_dir={str(tmp_path / "data")!r}, no_delay=True, max_pages=100,
        )
        df = newsetl.read_table("articles", data_dir={str(tmp_path / "data")!r})
        one = sorted(df["source"].unique())[0]
        only = newsetl.read_table(
            "articles", data_dir={str(tmp_path / "data")!r}, columns=["url", "title"],
            filters={{"source": one}},
        )
        try:
            newsetl.scrape(["ftp://nope"], data_dir={str(tmp_path / "data")!r})
        except ValueError as exc:
            bad = str(exc)
        print(json.dumps({{
            "new": summary.articles_new, "pages": summary.pages_fetched, "rows": len(df),
            "sources": sorted(df["source"].unique()), "one": one,
            "only_rows": len(only), "only_cols": list(only.columns),
            "expected_only": int((df["source"] == one).sum()), "bad": bad,
            "text": str(summary).splitlines()[0],
        }}))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["new"] == got["rows"] == 10  # the two fixture sites hold 10 articles
    assert got["pages"] > got["rows"]
    assert len(got["sources"]) == 2
    assert got["only_rows"] == got["expected_only"] > 0
    assert got["only_cols"] == ["url", "title"]
    assert "ftp://nope" in got["bad"] and "http" in got["bad"]
    assert got["text"].startswith("run ") and "10 new articles" in got["text"]


def test_read_table_names_a_wrong_table(tmp_path) -> None:
    with pytest.raises(ValueError, match="unknown table 'article'"):
        newsetl.read_table("article", data_dir=str(tmp_path))
