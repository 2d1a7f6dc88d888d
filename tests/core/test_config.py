"""Sources declared in prefect.yaml: loading and validation with errors that name the fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newsetl.config import ConfigError, load_sources, parse_duration, select_sources

ROOT = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "prefect.yaml"
    path.write_text(body)
    return path


GOOD = """
deployments:
  - name: blog-hourly
    entrypoint: flows/etl.py:scrape
    parameters:
      source: blog
      start_urls: ["https://blog.example.com/"]
      max_pages: 50
    schedules:
      - cron: "5 * * * *"
        timezone: Europe/Paris
    concurrency_limit: {limit: 1, collision_strategy: CANCEL_NEW}
  - name: adhoc
    entrypoint: flows/etl.py:scrape
    parameters: {max_pages: 10}
  - name: someone-elses
    entrypoint: other.py:flow
    parameters: {anything: goes}
"""


def test_project_prefect_yaml_is_valid(tmp_path):
    shipped = load_sources(ROOT / "prefect.yaml")
    # The shipped file scrapes nothing a new user did not choose: only the ad hoc deployment.
    assert [s.deployment for s in shipped] == ["adhoc"] and not shipped[0].is_source
    # Its commented example source, once uncommented as the comment says, is valid.
    text, out, inside = (ROOT / "prefect.yaml").read_text(), [], False
    for line in text.splitlines():
        if line.strip() in ("# BEGIN example source", "# END example source"):
            inside = line.strip().startswith("# BEGIN")
            continue
        out.append(line.replace("  # ", "  ", 1) if inside else line)
    sources = load_sources(_write(tmp_path, "\n".join(out)))
    names = {s.deployment for s in sources}
    assert {"example-news-hourly", "adhoc"} <= names
    scheduled = [s for s in sources if s.schedules]
    assert scheduled and all(s.schedules[0].timezone for s in scheduled)
    assert any(not s.is_source for s in sources)  # the ad hoc deployment takes URLs at run time


def test_good_file(tmp_path):
    sources = load_sources(_write(tmp_path, GOOD))
    assert [s.deployment for s in sources] == ["blog-hourly", "adhoc"]
    blog = sources[0]
    assert blog.name == "blog"
    assert blog.schedules[0].cron == "5 * * * *"
    assert blog.schedules[0].timezone == "Europe/Paris"
    assert (blog.concurrency_limit, blog.collision_strategy) == (1, "CANCEL_NEW")
    assert [s.name for s in select_sources(sources, [])] == ["blog"]
    assert [s.name for s in select_sources(sources, ["blog-hourly"])] == ["blog"]
    with pytest.raises(ConfigError, match="no source named 'nope'.*configured: blog"):
        select_sources(sources, ["nope"])


@pytest.mark.parametrize(
    ("edit", "field", "fix"),
    [
        ("max_pages: 50", "parameters.max_pages", "expected int"),
        ("max_pages: 50", "parameters.max_pages", "correct its type"),
        ('cron: "5 * * * *"', "schedules[0].cron", "five fields"),
        ("timezone: Europe/Paris", "schedules[0].timezone", "IANA"),
        ("source: blog", "parameters.source", "invalid name"),
        ('start_urls: ["https://blog.example.com/"]', "start_urls[0]", "http"),
        ("max_pages: 50", "parameters.max_page", "unknown parameter"),
    ],
)
def test_bad_fields_are_named(tmp_path, edit, field, fix):
    replacements = {
        "parameters.max_pages": "max_pages: fifty",
        "schedules[0].cron": 'cron: "61 * * * *"',
        "schedules[0].timezone": "timezone: Mars/Olympus",
        "parameters.source": "source: ../../etc",
        "start_urls[0]": 'start_urls: ["ftp://blog.example.com/"]',
        "parameters.max_page": "max_page: 50",
    }
    body = GOOD.replace(edit, replacements[field])
    path = _write(tmp_path, body)
    with pytest.raises(ConfigError) as err:
        load_sources(path)
    msg = str(err.value)
    assert str(path) in msg
    assert field in msg
    assert fix in msg


def test_unknown_deployment_key_and_missing_file(tmp_path):
    path = _write(
        tmp_path, GOOD.replace("    entrypoint: flows/etl.py:scrape\n", "    entrypont: x\n", 1)
    )
    with pytest.raises(
        ConfigError, match=r"deployments\[0\] \(blog-hourly\)\.entrypont: unknown key"
    ):
        load_sources(path)
    with pytest.raises(ConfigError, match="no such file"):
        load_sources(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_sources(_write(tmp_path, "deployments: [\n"))


def test_missing_file_points_to_a_readme_section_that_exists(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_sources(tmp_path / "missing.yaml")
    section = re.search(r"README '([^']+)'", str(err.value))
    assert section, str(err.value)
    headings = [
        line.lstrip("#").strip()
        for line in (ROOT / "README.md").read_text().splitlines()
        if line.startswith("#")
    ]
    assert section.group(1) in headings


def test_schedule_singular_takes_one_mapping(tmp_path):
    one = GOOD.replace(
        '    schedules:\n      - cron: "5 * * * *"\n        timezone: Europe/Paris\n',
        '    schedule:\n      cron: "5 * * * *"\n      timezone: Europe/Paris\n',
    )
    assert one != GOOD
    sources = load_sources(_write(tmp_path, one))
    assert sources[0].schedules[0].cron == "5 * * * *"  # Prefect 3 still accepts the key
    typo = GOOD.replace("    schedules:\n", "    schedule:\n")
    with pytest.raises(ConfigError) as err:
        load_sources(_write(tmp_path, typo))
    msg = str(err.value)
    assert "deployments[0] (blog-hourly).schedule:" in msg and "'schedules:' (plural)" in msg
    both = GOOD.replace("    schedules:\n", "    schedule: {cron: '1 * * * *'}\n    schedules:\n")
    with pytest.raises(ConfigError, match="beside 'schedules'"):
        load_sources(_write(tmp_path, both))


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("90s", 90), ("15m", 900), ("12h", 43200), ("7d", 604800), ("2w", 1209600)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "7x", "-1d", "0", "d", "inf", "nan"])
def test_bad_durations_name_the_fix(bad, tmp_path):
    with pytest.raises(ValueError, match="e.g. 7d or 12h"):
        parse_duration(bad)
    body = GOOD.replace("max_pages: 50", f"max_pages: 50\n      revisit_after: '{bad}'")
    with pytest.raises(ConfigError, match=r"parameters\.revisit_after"):
        load_sources(_write(tmp_path, body))
