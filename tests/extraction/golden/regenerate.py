"""Rewrite the golden pages' expected JSON from the current extractor.

Each golden page is ``NAME.html.gz`` (the page as served) with ``NAME.json`` (what the
extractor must give for it, checked by ``test_golden_page`` in ``tests/extraction``).
This script refreshes the fields the extractor computes (title, authors, published_at,
language, and og_type, jsonld_types, canonical_url and paragraphs where the file has
them) and keeps what a person wrote: the page's url and the snippet lists
(``must_contain``, ``must_not_contain``, ``count_once``). A snippet the new output
breaks is printed: fix the extractor or edit the snippet by hand, then review the diff.

    python tests/extraction/golden/regenerate.py            # rewrite changed files
    python tests/extraction/golden/regenerate.py --check    # write nothing; exit 1 on change
    python tests/extraction/golden/regenerate.py ghost_post # only these pages
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).resolve().parent
sys.path.insert(0, str(GOLDEN.parents[2]))  # the repository, when run as a script

from newsetl.extraction import extract_article  # noqa: E402

ALWAYS = ("title", "authors", "published_at", "language")
WHERE_PRESENT = ("og_type", "jsonld_types", "canonical_url", "paragraphs")


def expected_for(name: str, old: dict[str, Any]) -> dict[str, Any]:
    """The expected JSON of one page: ``old`` with the computed fields taken afresh."""
    html = gzip.decompress((GOLDEN / f"{name}.html.gz").read_bytes())
    result = extract_article(html, old["url"])
    computed = {
        "title": result.title,
        "authors": list(result.authors),
        "published_at": result.published_at.isoformat() if result.published_at else None,
        "language": result.language,
        "og_type": result.og_type,
        "jsonld_types": list(result.jsonld_types),
        "canonical_url": result.canonical_url,
        "paragraphs": result.text.split("\n\n"),
    }
    new = dict(old)  # keeps the key order and the hand-written fields
    for key in ALWAYS + tuple(k for k in WHERE_PRESENT if k in old):
        new[key] = computed[key]
    return new


def broken_snippets(name: str, expected: dict[str, Any]) -> list[str]:
    """The hand-written snippet checks that the extractor's text no longer passes."""
    html = gzip.decompress((GOLDEN / f"{name}.html.gz").read_bytes())
    text = extract_article(html, expected["url"]).text
    broken = [f"must_contain {s!r}" for s in expected.get("must_contain", []) if s not in text]
    broken += [f"must_not_contain {s!r}" for s in expected.get("must_not_contain", []) if s in text]
    broken += [f"count_once {s!r}" for s in expected.get("count_once", []) if text.count(s) != 1]
    return broken


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="pages to regenerate (default: all)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 on change")
    args = parser.parse_args(argv)
    names = args.names or sorted(p.name.removesuffix(".html.gz") for p in GOLDEN.glob("*.html.gz"))
    changed = problems = 0
    for name in names:
        path = GOLDEN / f"{name}.json"
        if not (GOLDEN / f"{name}.html.gz").exists() or not path.exists():
            print(f"{name}: needs {name}.html.gz and {name}.json (with at least its url)")
            problems += 1
            continue
        old_text = path.read_text(encoding="utf-8")
        new = expected_for(name, json.loads(old_text))
        new_text = json.dumps(new, indent=1, ensure_ascii=False)
        for line in broken_snippets(name, new):
            print(f"{name}: the text breaks {line}")
            problems += 1
        if new_text != old_text:
            changed += 1
            print(f"{name}: {'differs' if args.check else 'rewritten'}")
            if not args.check:
                path.write_text(new_text, encoding="utf-8")
    print(f"{len(names)} pages, {changed} {'differ' if args.check else 'rewritten'}")
    return 1 if problems or (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
