"""The README's "Load the data" snippets run as written against a real scraped dataset."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def _snippets() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Load the data", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_readme_has_pandas_duckdb_polars_snippets():
    joined = "\n".join(_snippets())
    for lib in ("pandas", "duckdb", "polars"):
        assert f"import {lib}" in joined


@pytest.mark.parametrize("index", range(4))
def test_readme_snippet_runs(index, scraped, tmp_path):
    code = _snippets()[index]
    os.symlink(scraped["data"], tmp_path / "data")
    res = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr
    assert "127.0.0.1-" in res.stdout  # the sources appear in what the snippet prints
