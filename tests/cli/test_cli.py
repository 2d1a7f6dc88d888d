"""The ``newsetl`` command line as a user runs it: real child processes, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT, newsetl_cmd

COMMANDS = ["scrape", "run", "serve", "extract", "demo", "status", "report", "reprocess"]
PARAGRAPHS = [
    "The river rose two metres overnight and the old stone bridge was closed before dawn.",
    "Engineers from the county arrived at eight to inspect the piers for cracks and scour.",
    "Shopkeepers on the east bank said trade fell by half while the detour was in place.",
    "The council meeting on Thursday voted to fund a temporary footbridge for the winter.",
    "Residents who remember the flood of 1998 said this year's water came up much faster.",
    "A final report on the bridge's condition is expected from the engineers next month.",
]


def _run(args: list[str], env: dict[str, str] | None = None, timeout: float = 120, **kw):
    return subprocess.run(
        newsetl_cmd(*args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or {**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=kw.pop("cwd", ROOT),
        **kw,
    )


def test_help_for_every_command():
    top = _run(["--help"])
    assert top.returncode == 0
    for cmd in COMMANDS:
        assert cmd in top.stdout
        sub = _run([cmd, "--help"])
        assert sub.returncode == 0, sub.stderr
        assert "usage: newsetl " + cmd in sub.stdout


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/", "file:///etc/passwd", "javascript:alert(1)", "data:text/html,hi"],
)
def test_scrape_refuses_non_http_urls(url, tmp_path):
    res = _run(["scrape", url, "--data-dir", str(tmp_path / "d")])
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "http" in lines[0] and "Traceback" not in res.stderr
    assert not (tmp_path / "d").exists()


def test_scrape_without_url_and_unwritable_data_dir(tmp_path):
    res = _run(["scrape"])
    assert res.returncode == 2
    assert "no URL given" in res.stderr
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    res = _run(["scrape", "https://example.com/", "--data-dir", str(blocker / "data")])
    assert res.returncode == 2
    assert "--data-dir" in res.stderr and "not writable" in res.stderr
    assert "Traceback" not in res.stderr


def test_run_without_configured_sources_names_the_fix(tmp_path):
    cfg = tmp_path / "prefect.yaml"
    cfg.write_text(
        "deployments:\n  - name: adhoc\n    entrypoint: flows/etl.py:scrape\n"
        "    parameters: {max_pages: 5}\n"
    )
    res = _run(["run", "--config", str(cfg)])
    assert res.returncode == 2
    assert "no sources configured" in res.stderr and "newsetl scrape" in res.stderr


def test_run_with_a_bad_config_names_file_and_field(tmp_path):
    cfg = tmp_path / "prefect.yaml"
    cfg.write_text(
        "deployments:\n  - name: s\n    entrypoint: flows/etl.py:scrape\n"
        "    parameters: {source: s, start_urls: ['https://e.com/']}\n"
        "    schedules: [{cron: 'every hour'}]\n"
    )
    res = _run(["run", "--config", str(cfg)])
    assert res.returncode == 2
    assert str(cfg) in res.stderr and "schedules[0].cron" in res.stderr


def test_extract_jsonl_many_files_one_process(tmp_path):
    pages = []
    for i in range(200):
        p = tmp_path / f"p{i}.html"
        body = "".join(f"<p>{para} (Post {i}.)</p>" for para in PARAGRAPHS)
        p.write_text(
            f"<html lang='en'><head><title>Post {i} | Blog</title>"
            f"<meta property='article:published_time' content='2024-03-0{1 + i % 9}T10:00:00+02:00'>"
            "</head><body><nav><a href='/'>Home</a> <a href='/about'>About</a></nav>"
            f"<article><h1>Post {i}</h1>{body}</article><footer>© Blog</footer></body></html>"
        )
        pages.append(str(p))
    res = _run(["extract", "--jsonl", *pages])
    assert res.returncode == 0, res.stderr
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert [r["path"] for r in rows] == pages
    first = rows[0]
    assert set(first) >= {"path", "url", "title", "authors", "published_at", "language", "text"}
    assert first["title"] == "Post 0"
    # the page's own offset is kept: the same instant, written as the publisher wrote it
    assert first["published_at"] == "2024-03-01T10:00:00+02:00"
    assert first["published_utc_offset_min"] == 120
    assert first["paywalled"] is None
    assert "Home" not in first["text"] and "© Blog" not in first["text"]
    assert first["text"].count("\n\n") == 5


def test_extract_reports_every_failed_input_and_exits_1(tmp_path):
    """A batch: every input is tried, each failure named (missing, binary, not
    decompressible), the good pages printed, and the exit status says some failed."""
    good = tmp_path / "good.html"
    good.write_text("<html><body><p>" + "word " * 80 + "</p></body></html>")
    binary = tmp_path / "photo.html"
    binary.write_bytes(bytes(range(256)) * 8)
    broken = tmp_path / "cut.html.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00trailing")
    res = _run(
        ["extract", "--jsonl", str(tmp_path / "nope.html"), str(binary), str(good), str(broken)]
    )
    assert res.returncode == 1
    assert f"cannot read {tmp_path / 'nope.html'}" in res.stderr
    assert f"{binary} is a binary file, not HTML" in res.stderr
    assert f"cannot decompress {broken}" in res.stderr
    assert "3 of 4 input(s) failed" in res.stderr
    assert [json.loads(line)["path"] for line in res.stdout.splitlines()] == [str(good)]
    assert "Traceback" not in res.stderr


def test_extract_jobs_keep_input_order_and_report_failures(tmp_path):
    """--jobs 2: files go to worker processes, yet the records come out in input order,
    each failure (interleaved with good pages) is named, the others are extracted, and the
    output is the same as with --jobs 1."""
    inputs = []
    for i in range(30):
        if i % 7 == 3:
            inputs.append(str(tmp_path / f"missing-{i}.html"))
            continue
        p = tmp_path / f"story-{i:02d}.html"
        words = " ".join(f"w{(i * 31 + k) % 97}" for k in range(60 + 13 * i))
        p.write_text(
            f"<html lang='en'><head><title>Story {i} | Daily</title></head><body>"
            f"<article><h1>Story {i}</h1><p>{PARAGRAPHS[i % 6]} {words}</p>"
            f"<p>{PARAGRAPHS[(i + 1) % 6]}</p></article></body></html>"
        )
        inputs.append(str(p))
    listing = "".join(f"{path}\thttps://daily.example/{n}\n" for n, path in enumerate(inputs))
    two = _run(["extract", "--jsonl", "--jobs", "2", "--files-from", "-"], input=listing)
    one = _run(["extract", "--jsonl", "--jobs", "1", "--files-from", "-"], input=listing)
    missing = [x for x in inputs if "missing" in x]
    assert two.returncode == 1 and one.returncode == 1
    assert f"{len(missing)} of {len(inputs)} input(s) failed" in two.stderr
    for path in missing:
        assert f"cannot read {path}" in two.stderr
    rows = [json.loads(line) for line in two.stdout.splitlines()]
    assert [r["path"] for r in rows] == [x for x in inputs if x not in missing]
    assert [r["title"] for r in rows[:3]] == ["Story 0", "Story 1", "Story 2"]
    assert two.stdout == one.stdout
    bad = _run(["extract", "--jobs", "0", inputs[0]])
    assert bad.returncode == 2 and "--jobs 0" in bad.stderr


def test_extract_formats_and_files_from(tmp_path):
    """--format text|json|csv|markdown, and --files-from - with PATH<TAB>URL lines."""
    import csv as csv_mod
    import io

    page = tmp_path / "a.html"
    body = "".join(f"<p>{para}</p>" for para in PARAGRAPHS)
    page.write_text(
        "<html lang='en'><head><title>Ferry news | Harbour</title></head><body>"
        f"<article><h1>Ferry news</h1>{body}</article></body></html>"
    )
    listing = f"# a comment line\n{page}\thttps://harbour.example/2024/ferry-news\n\n"
    res = _run(["extract", "--format", "json", "--files-from", "-"], input=listing)
    assert res.returncode == 0, res.stderr
    (rec,) = json.loads(res.stdout)
    assert rec["url"] == "https://harbour.example/2024/ferry-news" and rec["title"] == "Ferry news"
    text = _run(["extract", str(page)])  # the default: the text alone, as trafilatura prints
    assert text.returncode == 0 and text.stdout.strip() == rec["text"]
    rows = list(
        csv_mod.DictReader(io.StringIO(_run(["extract", "--format", "csv", str(page)]).stdout))
    )
    assert len(rows) == 1 and rows[0]["title"] == "Ferry news" and rows[0]["text"] == rec["text"]
    md = _run(["extract", "--format", "markdown", str(page)]).stdout
    assert md.startswith("# Ferry news\n") and rec["text"].split("\n\n")[0] in md
    missing = _run(["extract", "--files-from", str(tmp_path / "nope.txt")])
    assert missing.returncode == 2 and "--files-from" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_extract_url_fetches_politely(tmp_path):
    """``newsetl extract URL``: one polite fetch (robots.txt read first, newsetl's
    User-Agent); a page robots.txt forbids is not fetched; a 404 is an error."""
    from newsetl.demo.server import Resource, Site, SiteServer

    body = "".join(f"<p>{para}</p>" for para in PARAGRAPHS)

    def build(site: Site, base: str) -> dict[str, Resource]:
        return {
            "/robots.txt": Resource(
                "User-agent: *\nDisallow: /private/\n", content_type="text/plain"
            ),
            "/2024/05/ferry-news": Resource(
                f"<html lang='en'><head><title>Ferry news</title></head><body><article>"
                f"<h1>Ferry news</h1>{body}</article></body></html>"
            ),
            "/private/draft": Resource(f"<html><body><p>{body}</p></body></html>"),
        }

    with SiteServer(Site("one", build=build)) as srv:
        ok = _run(["extract", "--format", "jsonl", srv.url + "/2024/05/ferry-news"])
        private = _run(["extract", srv.url + "/private/draft"])
        gone = _run(["extract", srv.url + "/nope"])
        agents = {r.headers.get("User-Agent") for r in srv.requests}
        paths = [r.path for r in srv.requests]
    assert ok.returncode == 0, ok.stderr
    rec = json.loads(ok.stdout)
    assert rec["title"] == "Ferry news" and rec["url"].endswith("/2024/05/ferry-news")
    assert rec["text"].startswith(PARAGRAPHS[0][:40])
    assert private.returncode == 1 and "robots.txt" in private.stderr
    assert "/private/draft" not in paths
    assert gone.returncode == 1 and "answered 404" in gone.stderr
    assert paths.count("/robots.txt") == 3
    assert all(a and a.startswith("newsetl/") for a in agents), agents


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, read, released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_scrape_cli_end_to_end(cli_env, wix_server, error_server, tmp_path):
    data = tmp_path / "data"
    refused = f"http://127.0.0.1:{_closed_port()}/"
    res = _run(
        [
            "scrape",
            wix_server.url + "/",
            error_server.url + "/",
            refused,
            "--data-dir",
            str(data),
            "--no-delay",
            "--max-pages",
            "60",
        ],
        env=cli_env,
        timeout=240,
    )
    # Some start URLs worked: exit 0, and the one that led nowhere is named with a fix.
    assert res.returncode == 0, res.stderr[-3000:]
    assert "new articles" in res.stdout
    assert f"start URL failed: {refused} (connection_error): nothing answers" in res.stdout
    assert res.stdout.count("start URL failed") == 1, res.stdout
    articles = pd.read_parquet(data / "articles")
    assert len(articles) >= 6
    sources = set(articles["source"].astype(str))
    assert len(sources) == 2  # one per site, named after host and port
    pages = pd.read_parquet(data / "pages")
    reasons = set(pages["reason"].dropna())
    assert {"http_404", "http_500"} <= reasons
    # The crawl's progress reached the terminal.
    assert "crawl:" in res.stderr
    run_id = res.stdout.split("run ", 1)[1].split(":", 1)[0]
    assert (Path(cli_env["NEWSETL_HOME"]) / "work").is_dir()
    assert not (Path(cli_env["NEWSETL_HOME"]) / "work" / run_id).exists()  # scratch removed


def test_module_entry_point_matches_console_script():
    exe = Path(sys.executable).with_name("newsetl")
    assert exe.exists(), "the console script is installed by `make setup`"
    res = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and res.stdout.startswith("newsetl ")


@pytest.mark.slow
def test_run_configured_source(cli_env, wix_server, tmp_path):
    data = tmp_path / "data"
    cfg = tmp_path / "prefect.yaml"
    cfg.write_text(
        f"""
deployments:
  - name: wix-hourly
    entrypoint: flows/etl.py:scrape
    parameters:
      source: wix-blog
      start_urls: ["{wix_server.url}/"]
      data_dir: "{data}"
      max_pages: 40
      polite: false
    schedules: [{{cron: "0 * * * *", timezone: Asia/Almaty}}]
"""
    )
    res = _run(["run", "wix-blog", "--config", str(cfg)], env=cli_env, timeout=240)
    assert res.returncode == 0, res.stderr[-3000:]
    arts = pd.read_parquet(data / "articles")
    assert set(arts["source"].astype(str)) == {"wix-blog"}
    assert len(arts) == 6
    res = _run(["run", "nope", "--config", str(cfg)], env=cli_env)
    assert res.returncode == 2 and "no source named 'nope'" in res.stderr


@pytest.mark.slow
def test_demo_command(cli_env, tmp_path):
    res = _run(
        ["demo", "--data-dir", str(tmp_path / "data"), "--port", "0"],
        env=cli_env,
        timeout=240,
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert "10 new articles, 0 revised, 1 duplicates" in res.stdout
    load_line = res.stdout.strip().splitlines()[-1].strip()
    assert load_line.startswith(".venv/bin/python -c ")
    code = load_line.split(" -c ", 1)[1].strip().strip('"')
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert loaded.returncode == 0, loaded.stderr
    assert "Government resigns" in loaded.stdout or "Kazakhstan" in loaded.stdout


@pytest.mark.slow
def test_two_runs_at_once_store_each_article_once(cli_env, wix_server, news_server, tmp_path):
    data = tmp_path / "data"
    args = ["scrape", wix_server.url + "/", news_server.url + "/", "--data-dir", str(data)]
    args += ["--no-delay", "-q"]
    procs = [
        subprocess.Popen(
            newsetl_cmd(*args),
            env=cli_env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outs]
    arts = pd.read_parquet(data / "articles")
    assert arts["article_id"].is_unique
    assert len(arts) == 10  # 6 blog posts + 5 news posts - 1 republished copy
    dups = pd.read_parquet(data / "duplicates")
    assert len(dups) == 1  # the copy, recorded once by whichever run stored second


@pytest.mark.slow  # not serial: the queued run waits on a lock this test holds, however busy
def test_runs_of_one_source_never_overlap(cli_env, wix_server, tmp_path):
    import threading
    import time

    from newsetl.storage import Dataset

    data = tmp_path / "data"
    args = ["scrape", wix_server.url + "/blog-feed.xml", "--source", "blog"]
    args += ["--data-dir", str(data), "--no-delay"]

    def start(*extra):
        return subprocess.Popen(
            newsetl_cmd(*args, *extra),
            env=cli_env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    ds = Dataset(data)
    ds.ensure_writable()
    held = threading.Event()
    release = threading.Event()

    def previous_run() -> None:  # holds the source's run lock, as a running run does
        with ds.source_lock("blog", wait=False) as state:
            assert state == "free"
            held.set()
            release.wait(timeout=240)

    holder = threading.Thread(target=previous_run)
    holder.start()
    assert held.wait(10)
    try:
        out_skip = start("--on-overlap", "skip").communicate(timeout=120)
        queued = start()  # the default: queue
        time.sleep(8)
        assert queued.poll() is None, "a queued run waits for the previous one"
    finally:
        release.set()
        holder.join()
    out_queued = queued.communicate(timeout=180)
    assert "skipped: the previous run of source blog is still running" in out_skip[0]
    assert queued.returncode == 0, out_queued[1][-2000:]
    assert "queued: this run waited for the previous run of source blog" in out_queued[1]
    assert "6 new articles" in out_queued[0]
    assert len(pd.read_parquet(data / "articles")) == 6


def _processes_with_env(marker: str) -> list[int]:
    """Pids of live processes whose environment contains ``marker``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if marker.encode() in (proc / "environ").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


@pytest.mark.slow
def test_a_run_that_could_do_nothing_exits_3(cli_env, tmp_path):
    """No start URL answered: a refused connection, and a site whose root answers 404 with
    no sitemap behind it. Exit 3, each failure named with its fix, not retried."""
    from newsetl.demo.server import Resource, Site, SiteServer

    def build(site: Site, base: str) -> dict[str, Resource]:
        return {"/robots.txt": Resource("User-agent: *\nAllow: /\n", content_type="text/plain")}

    refused = f"http://127.0.0.1:{_closed_port()}/"
    with SiteServer(Site("gone", build=build)) as srv:
        res = _run(
            ["scrape", refused, srv.url + "/", "--data-dir", str(tmp_path / "d"), "--no-delay"],
            env=cli_env,
            timeout=120,
        )
        root_hits = srv.count("/")
        url = srv.url
    assert res.returncode == 3, res.stdout + res.stderr[-2000:]
    assert f"start URL failed: {refused} (connection_error)" in res.stdout
    assert f"start URL failed: {url}/ (http_404): the server answered 404" in res.stdout
    assert "newsetl: no start URL could be fetched" in res.stderr
    assert "Traceback" not in res.stderr
    assert root_hits == 1  # a 404 is not retried
    pages = pd.read_parquet(tmp_path / "d" / "pages")  # the failures are recorded
    refused_rows = pages[pages["url"] == refused]
    assert list(refused_rows["reason"]) == ["connection_error"]


def test_scrape_with_no_server_starts_and_stops_its_own(wix_server, tmp_path):
    """No PREFECT_API_URL and no `newsetl serve`: the command boots a temporary Prefect
    server itself, the run is recorded in it, and nothing is left running afterwards."""
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PREFECT_HOME")}
    env.update(NEWSETL_HOME=str(home), PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        newsetl_cmd(
            "scrape", wix_server.url + "/", "--data-dir", str(tmp_path / "d"), "--no-delay"
        ),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(pd.read_parquet(tmp_path / "d" / "articles")) == 6  # the Wix-like blog's posts
    assert "Starting temporary server" not in proc.stderr  # not Prefect's own, late start
    assert "View at" not in proc.stderr  # no link to a server that is gone once we are
    assert (home / "prefect" / "prefect.db").exists()  # the run went to a real server
    assert _processes_with_env(f"NEWSETL_HOME={home}") == []


def test_temporary_servers_start_one_at_a_time(tmp_path, monkeypatch):
    """Two commands that start their temporary Prefect servers at once on one Prefect
    home both migrate its database, and one failed ("index ... already exists", 1 start in
    9 with three at once). The start is taken under a lock until the server answers."""
    import fcntl

    from flows.env import EmbeddedServer

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    monkeypatch.setenv("NEWSETL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    lock_path = tmp_path / "prefect" / "prefect-start.lock"

    def held_elsewhere() -> bool:
        with open(lock_path, "a+b") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            return False

    server = EmbeddedServer()
    try:
        assert held_elsewhere()  # starting: another command would wait here
        server.wait_ready()
        assert not held_elsewhere()  # answering: the next command may start its own
    finally:
        server.stop()
        monkeypatch.delenv("PREFECT_API_URL", raising=False)


def test_every_input_checked_before_work_starts(tmp_path):
    """Bad input is refused with exit 2 and one line naming the fix, before anything runs."""
    data = tmp_path / "data"
    for option in ("--include", "--exclude"):
        res = _run(["scrape", "http://127.0.0.1:9/", "--data-dir", str(data), option, "("])
        assert res.returncode == 2, res.stderr
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and option in lines[0] and "backslash" in lines[0], res.stderr
    res = _run(["scrape", "http://127.0.0.1:9/", "--data-dir", str(data), "--revisit-after", "7x"])
    assert res.returncode == 2 and "--revisit-after" in res.stderr and "7d" in res.stderr
    assert not data.exists()  # refused before the data folder was even created

    # reprocess of a source the dataset does not hold names the ones it does.
    for sub in ("articles/source=blog", "pages/source=news"):
        (data / sub).mkdir(parents=True)
    res = _run(["reprocess", "--data-dir", str(data), "--source", "nosuch"])
    assert res.returncode == 2
    assert "no such source" in res.stderr and "known: blog, news" in res.stderr
    assert "Traceback" not in res.stderr

    # report: no dataset, and an --out that cannot be written.
    res = _run(["report", "--data-dir", str(tmp_path / "nope")])
    assert res.returncode == 2 and "no dataset" in res.stderr and "--data-dir" in res.stderr
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    res = _run(["report", "--data-dir", str(data), "--out", str(blocker / "r.html")])
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "--out" in lines[0] and "folder you can write" in lines[0]


def test_run_with_the_shipped_config_scrapes_nothing_it_was_not_told(tmp_path):
    res = _run(["run", "--data-dir", str(tmp_path / "d")])
    assert res.returncode == 2
    assert "no sources configured" in res.stderr and "newsetl scrape" in res.stderr


@pytest.mark.slow
def test_revisit_after_asks_known_articles_again(cli_env, wix_server, tmp_path):
    """`--revisit-after` reaches the crawler: a second run one second later asks for every
    stored post again, conditionally, and the unchanged site answers 304s (no body)."""
    import time

    data = tmp_path / "d"
    args = ["scrape", wix_server.url + "/", "--data-dir", str(data), "--no-delay", "-q"]
    first = _run(args, env=cli_env)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "6 new articles" in first.stdout
    time.sleep(1.2)
    wix_server.clear_log()
    again = _run([*args, "--revisit-after", "1s"], env=cli_env)
    assert again.returncode == 0, again.stderr[-2000:]
    posts = [r for r in wix_server.requests if r.path.startswith("/post/")]
    assert len(posts) == 6 and all(r.status == 304 for r in posts), posts
    assert all(r.headers.get("If-None-Match") for r in posts)
    assert "not_modified 6" in again.stdout and "0 known articles not downloaded" in again.stdout
