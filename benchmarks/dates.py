"""Publication dates on the metadata dev set: newsetl's own date finder beside htmldate and
dateparser, each with its cost, scored by the dev set's own scorer.

    python benchmarks/dates.py [--devset ../shared/metadata-devset] [--ids a,b]

Variants, each over every page (in this process, one after the other):

- ``newsetl``: what ``extract_article`` does (own candidates, htmldate when they give none);
- ``own only``: the own candidates, never htmldate;
- ``htmldate only``: ``htmldate.find_date(page, url, original_date=True,
  extensive_search=True)`` on the page as served;
- ``own, lines by dateparser``: the own candidates with the visible lines (bylines, the
  date line by the headline, date elements) read by ``dateparser.search.search_dates``
  in the page's language instead of newsetl's patterns.

Prints the same-day rate per source, the empty count and the date work's CPU time per
page (extraction of the rest of the page not counted). Exit 2 when the dev set is absent.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DEVSET = ROOT.parent / "shared" / "metadata-devset"

from newsetl.extraction import core, published  # noqa: E402
from newsetl.extraction.encoding import decode_html  # noqa: E402


class Clock:
    """CPU time spent inside wrapped functions."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.process_time() - start

        return timed


@contextmanager
def patched(obj: Any, name: str, value: Any) -> Iterator[None]:
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


def _dateparser_lines() -> Callable[[str, bool | None], tuple[datetime | None, bool]]:
    from dateparser.search import search_dates

    settings = {"REQUIRE_PARTS": ["day", "month", "year"], "PREFER_DATES_FROM": "past"}

    def line_date(text: str, dayfirst: bool | None) -> tuple[datetime | None, bool]:
        langs = published._page_languages[:2]
        try:
            found = search_dates(text, languages=langs, settings=settings)
        except Exception:  # noqa: BLE001 - dateparser raises assorted errors on garbage
            return None, False
        return (found[0][1], False) if found else (None, False)

    return line_date


def _telling_language(day_first: Callable[[str | None], Any]) -> Callable[[str | None], Any]:
    """``day_first`` that also tells dateparser (through htmldate's hook) the page language."""

    def wrapped(language: str | None) -> Any:
        lang = (language or "").split("-")[0].lower()
        published._page_languages[:] = [lang, "en"] if lang and lang != "en" else ["en"]
        return day_first(language)

    return wrapped


def run(pages: list[tuple[str, bytes, str]], variant: str) -> tuple[list[dict], float]:
    """Predictions of one variant and the date work's CPU ms per page."""
    clock = Clock()
    preds: list[dict] = []
    if variant == "htmldate only":
        find = published._htmldate()
        for page_id, raw, url in pages:
            start = time.process_time()
            try:
                day = find(decode_html(raw), url=url, original_date=True, extensive_search=True)
            except Exception:  # noqa: BLE001 - count a failure as no date
                day = None
            clock.seconds += time.process_time() - start
            preds.append({"id": page_id, "published_at": day})
        return preds, 1000 * clock.seconds / max(len(pages), 1)
    with (
        patched(core, "find_published", clock.wrap(published.find_published)),
        patched(
            core,
            "date_by_htmldate",
            (lambda *a: None) if variant != "newsetl" else clock.wrap(published.date_by_htmldate),
        ),
    ):
        line_date = published.line_date
        if variant.endswith("dateparser"):
            line_date = _dateparser_lines()
        with patched(published, "day_first", _telling_language(published.day_first)):
            with patched(published, "line_date", line_date):
                for page_id, raw, url in pages:
                    ex = core.extract_article(raw, url)
                    when = ex.published_local().isoformat() if ex.published_at else None
                    preds.append({"id": page_id, "published_at": when})
    return preds, 1000 * clock.seconds / max(len(pages), 1)


def score(devset: Path, preds: list[dict]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "preds.jsonl"
        path.write_text("".join(json.dumps(p) + "\n" for p in preds), encoding="utf-8")
        out = Path(tmp) / "m.json"
        cmd = [sys.executable, str(devset / "score.py"), str(path), "--json", str(out)]
        subprocess.run(cmd, check=True, capture_output=True, text=True)
        return json.loads(out.read_text())["metrics"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--devset", type=Path, default=DEFAULT_DEVSET)
    ap.add_argument("--ids", help="only these page ids (comma-separated)")
    ap.add_argument("--variants", help="comma-separated subset of the variants")
    args = ap.parse_args(argv)
    if not (args.devset / "truth.json").is_file():
        print(f"no metadata dev set at {args.devset}: pass --devset PATH", file=sys.stderr)
        return 2
    truth = json.loads((args.devset / "truth.json").read_text(encoding="utf-8"))
    wanted = set(args.ids.split(",")) if args.ids else None
    pages = [
        (pid, gzip.decompress((args.devset / "html" / f"{pid}.html.gz").read_bytes()), t["url"])
        for pid, t in sorted(truth.items())
        if wanted is None or pid in wanted
    ]
    variants = ["newsetl", "own only", "htmldate only", "own, lines by dateparser"]
    if args.variants:
        variants = [v for v in variants if v in args.variants.split(",")]
    print(f"{len(pages)} pages of {args.devset}\n")
    print("| variant | blog/institutional same day | news same day | empty | date work ms/page |")
    print("|---|---|---|---|---|")
    for variant in variants:
        preds, ms = run(pages, variant)
        metrics = score(args.devset, preds)
        blog, news = metrics.get("htmldate", {}), metrics.get("fundus", {})
        empty = sum(m.get("date_empty", 0) for m in (blog, news))
        cells = [
            f"{100 * m['date_day']:.1f}%" if m.get("date_day") is not None else "-"
            for m in (blog, news)
        ]
        print(f"| {variant} | {cells[0]} | {cells[1]} | {empty} | {ms:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
