"""The fetch-fate vocabulary: one Enum, every reason the crawl can write classified."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from newsetl.models import SKIP_REASONS, FetchFate, is_error_reason, is_skip_reason
from newsetl.status import is_error, is_skip
from tests.conftest import ROOT

# Where fetch reasons are written: the spider and its helpers, and the discovery parsers
# (not discover/classify.py: its reasons say why a page is not an article).
EMITTERS = sorted((ROOT / "spiders").glob("*.py")) + [
    ROOT / "newsetl" / "discover" / "documents.py",
    ROOT / "newsetl" / "discover" / "links.py",
]


def test_every_fate_is_exactly_one_of_error_skip_discovery():
    for fate in FetchFate:
        classes = [fate.is_error, fate.is_skip, fate.is_discovery]
        assert classes.count(True) == 1, fate


@pytest.mark.parametrize("fate", list(FetchFate), ids=lambda f: f.value)
def test_page_fates_agree_between_spider_summary_and_status(fate):
    reason = FetchFate.http(404) if fate is FetchFate.HTTP else fate.value
    if fate.is_discovery:  # written for sitemaps and feeds only: neither error nor skip
        assert not is_error("sitemap", reason) and not is_skip("feed", reason)
        return
    assert is_error_reason(reason) == fate.is_error
    assert is_skip_reason(reason) == fate.is_skip == (reason in SKIP_REASONS)
    assert is_error("page", reason) == fate.is_error
    assert is_skip("page", reason) == fate.is_skip


def test_written_form_is_unchanged():
    # the strings stored in pages.jsonl and the fetch log since the first release
    assert FetchFate.http(503) == "http_503"
    assert FetchFate.of("http_503") is FetchFate.HTTP
    assert FetchFate.of("max_pages") is FetchFate.MAX_PAGES
    assert FetchFate.of("no_such_reason") is None
    assert f"not_fetched:{FetchFate.MAX_PAGES}" == "not_fetched:max_pages"
    assert not is_error_reason(None) and not is_skip_reason("")


def _reason_values(tree: ast.AST) -> list[tuple[int, ast.expr]]:
    """Expressions a reason is set from: ``x.reason = ...``, ``reason = ...``,
    ``problem = ...``, ``reason=...`` keywords, ``_skip(url, <reason>, ...)`` and what
    ``reason_for`` returns."""
    found: list[tuple[int, ast.expr]] = []
    names = {"reason", "problem", "leftover"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if (isinstance(target, ast.Attribute) and target.attr in names) or (
                    isinstance(target, ast.Name) and target.id in names
                ):
                    found.append((node.lineno, node.value))
        elif isinstance(node, ast.keyword) and node.arg == "reason":
            found.append((node.value.lineno, node.value))
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "_skip" and len(node.args) > 1:
                found.append((node.lineno, node.args[1]))
        elif isinstance(node, ast.FunctionDef) and node.name == "reason_for":
            for ret in ast.walk(node):
                if isinstance(ret, ast.Return) and ret.value is not None:
                    found.append((ret.lineno, ret.value))
    return found


_CODE = re.compile(r"[a-z0-9_]*\Z")  # reason codes are identifiers; messages have spaces


def _literal_leaves(expr: ast.expr) -> list[ast.expr]:
    """Reason-code literals (plain or f-strings) an expression can evaluate to."""
    if isinstance(expr, ast.IfExp):
        return _literal_leaves(expr.body) + _literal_leaves(expr.orelse)
    if isinstance(expr, ast.BoolOp):
        return [leaf for v in expr.values for leaf in _literal_leaves(v)]
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [expr] if _CODE.match(expr.value) else []
    if isinstance(expr, ast.JoinedStr):
        parts = [v.value for v in expr.values if isinstance(v, ast.Constant)]
        return [expr] if all(_CODE.match(str(p)) for p in parts) else []
    return []


def test_the_crawl_writes_reasons_only_from_the_enum():
    """A reason the spider, its middlewares or the discovery parsers set must come from
    FetchFate: a new reason written as a bare string would escape the classification."""
    assert EMITTERS, "no emitter sources found"
    bare = []
    for path in EMITTERS:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for lineno, value in _reason_values(tree):
            for leaf in _literal_leaves(value):
                bare.append(f"{Path(path).relative_to(ROOT)}:{lineno}: {ast.unparse(leaf)}")
    assert not bare, "reasons written as strings, not FetchFate members:\n" + "\n".join(bare)


def test_the_scan_catches_a_bare_reason():
    tree = ast.parse(
        "def f(rec, exc):\n"
        "    rec.reason = 'brand_new'\n"
        "    self._skip(url, f'x_{exc}', info)\n"
        "def reason_for(exc):\n"
        "    return 'other'\n"
    )
    leaves = [leaf for _, v in _reason_values(tree) for leaf in _literal_leaves(v)]
    assert len(leaves) == 3
