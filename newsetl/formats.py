"""Output formats of ``newsetl extract``: one record per page, written as JSON, JSON lines,
CSV, Markdown or plain text."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, TextIO

FORMATS = ("text", "json", "jsonl", "csv", "markdown")
CSV_COLUMNS = (
    "path",
    "url",
    "title",
    "authors",
    "published_at",
    "published_utc_offset_min",
    "modified_at",
    "language",
    "site_name",
    "description",
    "image",
    "tags",
    "paywalled",
    "word_count",
    "text",
)


def write_records(records: Iterable[dict[str, Any]], fmt: str, out: TextIO) -> int:
    """Write ``records`` to ``out`` in ``fmt``; return how many were written. Records
    stream out one by one (all but ``json``, which is one array)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    n = 0
    writer = None
    if fmt == "json":
        out.write("[")
    for rec in records:
        if fmt == "jsonl":
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        elif fmt == "json":
            out.write(("," if n else "") + "\n" + json.dumps(rec, ensure_ascii=False, indent=2))
        elif fmt == "csv":
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
                writer.writeheader()
            row = dict(rec)
            row["authors"] = "; ".join(rec.get("authors") or [])
            row["tags"] = "; ".join(rec.get("tags") or [])
            writer.writerow(row)
        elif fmt == "markdown":
            out.write(("\n---\n\n" if n else "") + markdown(rec))
        else:
            out.write(("\n" if n else "") + (rec.get("text") or "") + "\n")
        n += 1
        out.flush()
    if fmt == "json":
        out.write("\n]\n" if n else "]\n")
    return n


def markdown(rec: dict[str, Any]) -> str:
    """One article as Markdown: its title as a heading, a line of metadata, the text."""
    lines = [f"# {rec.get('title') or '(no title)'}", ""]
    meta = [
        ", ".join(rec.get("authors") or []),
        rec.get("published_at") or "",
        rec.get("language") or "",
        rec.get("url") or "",
    ]
    meta = [m for m in meta if m]
    if meta:
        lines += ["*" + " · ".join(meta) + "*", ""]
    lines.append(rec.get("text") or "")
    return "\n".join(lines).rstrip() + "\n"
