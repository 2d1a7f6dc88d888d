"""The crawl benchmark (benchmarks/crawl.py) runs end to end on a tiny site."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"


def _sitegen():
    sys.path.insert(0, str(BENCH))
    try:
        import sitegen
    finally:
        sys.path.remove(str(BENCH))
    return sitegen


def test_generated_site_is_deterministic_and_varied() -> None:
    sitegen = _sitegen()
    a = sitegen.NewsSiteGenerator(30, seed=5).build("http://127.0.0.1:1")
    b = sitegen.NewsSiteGenerator(30, seed=5).build("http://127.0.0.1:1")
    assert {p: r.body for p, r in a.items()} == {p: r.body for p, r in b.items()}
    gen = sitegen.NewsSiteGenerator(30, seed=5)
    assert len(gen.article_paths) == 30
    texts = [" ".join(t for _, t in art.paragraphs) for art in gen.articles]
    shingles = [{tuple(t.split()[i : i + 3]) for i in range(len(t.split()) - 2)} for t in texts]
    worst = max(len(x & y) / len(x | y) for i, x in enumerate(shingles) for y in shingles[i + 1 :])
    assert worst < 0.05  # no near-duplicates
    sizes = [len(a[p].body) for p in gen.article_paths]
    assert 80_000 < sum(sizes) / len(sizes) < 130_000
    assert b"Sitemap: http://127.0.0.1:1/sitemap_index.xml" in a["/robots.txt"].body
    assert a["/feed/"].body.count(b"<item>") == 30
    # Besides the articles: home, 12 categories with 20 sections each, 60 topics, 40
    # authors and the service pages, every one served; the footer's dead links are not.
    others = gen.non_article_paths
    assert not others & gen.article_paths and others <= a.keys()
    assert len(gen.section_paths) == 240 and len(others) == 2 + 12 + 240 + 60 + 40 + 14
    assert len(gen.dead_paths) == 20 and not set(gen.dead_paths) & a.keys()
    sizes = [len(a[p].body) for p in sorted(others)]
    assert 80_000 < min(sizes) and max(sizes) < 130_000
    posts = b"".join(a[p].body for p in ("/post-sitemap1.xml", "/page-sitemap.xml"))
    assert all(f"<loc>http://127.0.0.1:1{p}</loc>".encode() in posts for p in gen.article_paths)


def _bench(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    """benchmarks/crawl.py on a 30-article site: its output and its --json figures."""
    out = tmp_path / "figures.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "crawl.py"), "--articles", "30", *args, "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc, json.loads(out.read_text())


@pytest.mark.slow
def test_benchmark_script_smoke(prefect_api: str, tmp_path: Path) -> None:
    proc, figures = _bench(tmp_path, "--mode", "server", "--prefect-api", prefect_api)
    assert "articles/s" in proc.stdout and "peak RSS MB" in proc.stdout
    rows = {(r["system"], r["run"]): r for r in figures["rows"]}
    cold = rows[("newsetl (server up)", "run 1 (cold)")]
    warm = rows[("newsetl (server up)", "run 2 (warm)")]
    assert cold["articles"] == 30 and cold["article_downloads"] == 30
    assert warm["articles"] == 30 and warm["new"] == 0 and warm["article_downloads"] == 0
    assert 0 < cold["peak_rss_mb"] < 4096 and cold["cpu_util"] > 0
    assert 0 < warm["flow_s"] < warm["wall_s"]
    assert rows[("trafilatura seq.", "run 1")]["articles"] == 30
    assert rows[("trafilatura seq.", "run 2 (again)")]["article_downloads"] == 30
    assert {t["target"] for t in figures["targets"]} >= {"newsetl peak RSS < 1 GB"}


@pytest.mark.slow
def test_benchmark_scheduled_smoke(prefect_api: str, tmp_path: Path) -> None:
    """--mode scheduled: `newsetl serve` (on the session's Prefect server) runs the flow."""
    proc, figures = _bench(
        tmp_path,
        "--mode",
        "scheduled",
        "--warm-runs",
        "2",
        "--skip-baseline",
        "--prefect-api",
        prefect_api,
    )
    assert "trigger->done s" in proc.stdout
    system = "newsetl (scheduled: serve)"
    rows = {r["run"]: r for r in figures["rows"] if r["system"] == system}
    assert set(rows) == {"run 1 (cold)", "run 2 (warm)", "run 3 (warm)"}
    cold = rows["run 1 (cold)"]
    assert cold["new"] == 30 and cold["articles"] == 30 and cold["article_downloads"] == 30
    for row in rows.values():
        assert row["flow_s"] > 0 and row["wall_s"] == row["flow_s"]
        assert row["trigger_s"] >= row["flow_s"]
        assert 0 < row["peak_rss_mb"] < 4096
    for label in ("run 2 (warm)", "run 3 (warm)"):
        assert rows[label]["article_downloads"] == 0 and rows[label]["new"] == 0
    targets = {t["target"] for t in figures["targets"]}
    assert f"{system} run 2 >= 10x faster than run 1, 0 article downloads" in targets
    assert "newsetl peak RSS < 1 GB" in targets


def test_the_speed_table_checks_each_target_on_the_figures_of_one_run() -> None:
    """benchmarks/speed.py's table: the ratios and verdicts come from the rows given."""
    sys.path.insert(0, str(BENCH))
    try:
        import speed
    finally:
        sys.path.remove(str(BENCH))

    def row(system, run, wall, aps=0.0, downloads=0, first=None, rss=300.0):
        return {
            "system": system,
            "run": run,
            "wall_s": wall,
            "articles_per_s": aps,
            "article_downloads": downloads,
            "first_request_s": first,
            "peak_rss_mb": rss,
        }

    rows = [
        row("trafilatura seq.", "run 1", 10.0, aps=100.0, rss=100),
        row("newsetl (embedded)", "run 1 (cold)", 8.0, aps=160.0, downloads=1000, first=1.2),
        row("newsetl (embedded)", "run 2 (warm)", 2.0, first=0.7),
        row("newsetl (embedded)", "run 2 (warm, no kept server)", 5.0, first=1.7),
        row("newsetl (scheduled: serve)", "run 1 (cold)", 6.0, downloads=1000),
        row("newsetl (scheduled: serve)", "run 2 (warm)", 0.5),
        row("newsetl (scheduled: serve)", "run 3 (warm)", 0.7, downloads=1),
    ]
    got = {t: (m, ok) for t, m, ok in speed.crawl_targets({"rows": rows})}
    first_run = next(v for k, v in got.items() if k.startswith("scrape run 1"))
    assert first_run[1] is True and first_run[0].startswith("1.60x")
    assert got["first request within 1.5 s of the command's start"][1] is False  # 1.7 s
    second = next(v for k, v in got.items() if k.startswith("scrape run 2"))
    assert second[1] is False and second[0].startswith("4.0x")  # 8 s -> 2 s
    serve = next(v for k, v in got.items() if k.startswith("serve: warm runs"))
    assert serve[1] is False  # 8.6x at worst, and one article downloaded
    assert got["newsetl peak RSS < 1 GB"] == ("300 MB", True)

    index = {"articles": 1000, "adhoc": [{"index_s": 2.5}], "warm": [{"index_s": 9.0}] * 1}
    index["warm"] += [{"index_s": 0.4}, {"index_s": 1.2}, {"index_s": 9.0}]
    verdicts = [ok for _, _, ok in speed.index_targets(index)]
    assert verdicts == [True, False]
