"""The layers of the product: the core (``newsetl/`` apart from the command line) imports
neither Scrapy nor Prefect, nor the layers built on it (``spiders/``, ``flows/``)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "newsetl"
# The command line (newsetl/cli/) is the one part of the package that starts flows and crawlers.
COMMAND_LINE = CORE / "cli"
FORBIDDEN = ("scrapy", "prefect", "twisted", "spiders", "flows")


def _core_modules() -> list[Path]:
    return sorted(p for p in CORE.rglob("*.py") if COMMAND_LINE not in p.parents)


def _imported(path: Path) -> set[str]:
    """Every module an import statement in the file names, at any depth (lazy ones too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(str(node.args[0].value))
    return names


def test_core_sources_import_neither_scrapy_nor_prefect():
    offenders = {
        str(p.relative_to(ROOT)): sorted(n for n in _imported(p) if n.split(".")[0] in FORBIDDEN)
        for p in _core_modules()
    }
    offenders = {k: v for k, v in offenders.items() if v}
    assert offenders == {}, f"the core must not import these: {offenders}"


def test_scan_sees_a_lazy_import(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text("def f():\n    from prefect import flow\n    import scrapy.http\n")
    assert {"prefect", "scrapy.http"} <= _imported(sample)


def test_importing_every_core_module_loads_neither():
    modules = [
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in _core_modules()
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(' '.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "", f"importing the core loaded: {out.stdout.strip()}"
