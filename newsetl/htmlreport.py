"""A self-contained HTML report on a data folder: ``newsetl report``.

One file, no external assets and no JavaScript: inline CSS and charts drawn here as inline
SVG. Every piece of text that comes from the data (titles, URLs, reasons, source names) is
escaped, and a Content-Security-Policy forbids scripts, so a hostile page title cannot run
code in the reader's browser.
"""

from __future__ import annotations

import html
import math
import os
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newsetl.status import dataset_status, is_error, is_skip, load_tables

DAYS_SHOWN = 60
MAX_EXAMPLES = 3
RECENT_ARTICLES = 15
PALETTE = [
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
]
KIND_COLORS = {"same_url": "#4e79a7", "exact_text": "#f28e2b", "near_duplicate": "#59a14f"}
OTHER_COLOR = "#bab0ac"

CSS = """
:root { --fg:#1f2328; --muted:#656d76; --line:#d0d7de; --bg:#fff; --soft:#f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--fg); background: var(--bg); margin: 0; padding: 24px 32px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 32px 0 8px; padding-bottom: 4px;
     border-bottom: 1px solid var(--line); }
p.meta, .muted, .note { color: var(--muted); }
.note { font-size: 13px; margin: 4px 0 8px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0 8px; }
.card { background: var(--soft); border: 1px solid var(--line); border-radius: 6px;
        padding: 8px 14px; min-width: 120px; }
.card b { display: block; font-size: 20px; }
.card span { color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left;
         vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.url { max-width: 520px; overflow-wrap: anywhere; }
td.title { max-width: 420px; overflow-wrap: anywhere; }
svg.chart { display: block; max-width: 100%; height: auto; margin: 4px 0; }
svg text { font: 11px system-ui, sans-serif; fill: #444; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; margin: 2px 0 6px; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px;
            border-radius: 2px; vertical-align: -1px; }
.empty { background: var(--soft); border: 1px dashed var(--line); padding: 16px;
         border-radius: 6px; color: var(--muted); }
code { font-size: 12px; }
"""


def esc(value: Any) -> str:
    """Text from the data, safe inside HTML text and attribute values."""
    return html.escape("" if value is None else str(value), quote=True)


def _link(url: str | None) -> str:
    """A link for an http(s) URL (escaped); anything else is shown as text only."""
    if not url:
        return ""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        scheme = ""
    if scheme in ("http", "https"):
        return f'<a href="{esc(url)}" rel="noopener noreferrer nofollow">{esc(url)}</a>'
    return esc(url)


def _fmt_n(n: float) -> str:
    return f"{int(n):,}" if float(n).is_integer() else f"{n:,.1f}"


def _nice_ticks(top: float, count: int = 4) -> list[float]:
    """Round axis ticks from 0 up to at least ``top``."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    if step < 1:
        step = 1
    ticks = [0.0]
    while ticks[-1] < top:
        ticks.append(ticks[-1] + step)
    return ticks


def _legend(items: list[tuple[str, str]]) -> str:
    spans = "".join(f'<span><i style="background:{c}"></i>{esc(name)}</span>' for name, c in items)
    return f'<div class="legend">{spans}</div>'


def _colors(names: list[str]) -> dict[str, str]:
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}


# -- charts ----------------------------------------------------------------------------
def stacked_columns(
    days: list[str],
    series: dict[str, dict[str, int]],
    colors: dict[str, str],
    *,
    label: str,
    unit: str,
    width: int = 1000,
    height: int = 260,
) -> str:
    """A stacked column chart: one column per day, one colour per series (source)."""
    left, right, top, bottom = 44, 10, 10, 36
    pw, ph = width - left - right, height - top - bottom
    totals = [sum(series[s].get(d, 0) for s in series) for d in days]
    ticks = _nice_ticks(max(totals, default=0))
    ymax = ticks[-1]
    n = max(len(days), 1)
    slot = pw / n
    bar = max(min(slot * 0.8, 40), 1)
    parts = [
        f'<svg class="chart" role="img" aria-label="{esc(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">',
        f"<title>{esc(label)}</title>",
    ]
    for t in ticks:
        y = top + ph - t / ymax * ph
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#e5e7eb"/><text x="{left - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end">{_fmt_n(t)}</text>'
        )
    every = max(1, math.ceil(len(days) / 12))
    for i, d in enumerate(days):
        x = left + i * slot + (slot - bar) / 2
        y = top + ph
        for name, per_day in series.items():
            v = per_day.get(d, 0)
            if not v:
                continue
            h = v / ymax * ph
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colors[name]}"><title>{esc(d)} · {esc(name)}: {v} {esc(unit)}'
                f"</title></rect>"
            )
        if i % every == 0:
            parts.append(
                f'<text x="{left + i * slot + slot / 2:.1f}" y="{top + ph + 16}" '
                f'text-anchor="middle">{esc(d[5:] if len(d) == 10 else d)}</text>'
            )
    if days and len(days[0]) == 10:  # the year, once, under the first day
        parts.append(f'<text x="{left}" y="{height - 4}">{esc(days[0][:4])}</text>')
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + ph}" y2="{top + ph}" stroke="#999"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def stacked_bars(
    rows: list[tuple[str, dict[str, int]]],
    colors: dict[str, str],
    *,
    label: str,
    unit: str,
    width: int = 1000,
) -> str:
    """Horizontal stacked bars: one bar per row label, segments by key."""
    left, right, row_h, top = 190, 60, 24, 6
    height = top * 2 + row_h * max(len(rows), 1)
    pw = width - left - right
    vmax = max((sum(seg.values()) for _, seg in rows), default=0) or 1
    parts = [
        f'<svg class="chart" role="img" aria-label="{esc(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">',
        f"<title>{esc(label)}</title>",
    ]
    for i, (name, segs) in enumerate(rows):
        y = top + i * row_h
        shown = name if len(name) <= 28 else name[:27] + "…"
        parts.append(
            f'<text x="{left - 8}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end">'
            f"{esc(shown)}<title>{esc(name)}</title></text>"
        )
        x = float(left)
        for key, v in segs.items():
            if not v:
                continue
            w = v / vmax * pw
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row_h - 6}" '
                f'fill="{colors.get(key, OTHER_COLOR)}"><title>{esc(name)} · {esc(key)}: {v} '
                f"{esc(unit)}</title></rect>"
            )
            x += w
        parts.append(
            f'<text x="{x + 6:.1f}" y="{y + row_h / 2 + 4:.1f}">{_fmt_n(sum(segs.values()))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def share_bar(share: float | None, width: int = 120) -> str:
    """A small inline bar for a 0..1 share, with the percentage next to it."""
    if share is None:
        return '<span class="muted">-</span>'
    color = "#59a14f" if share >= 0.9 else "#edc948" if share >= 0.5 else "#e15759"
    w = round(share * width, 1)
    return (
        f'<svg class="share" xmlns="http://www.w3.org/2000/svg" width="{width}" height="12" '
        f'viewBox="0 0 {width} 12" role="img" aria-label="{share:.0%}">'
        f'<rect width="{width}" height="12" rx="2" fill="#eef0f2"/>'
        f'<rect width="{w}" height="12" rx="2" fill="{color}"/></svg> {share:.0%}'
    )


# -- sections --------------------------------------------------------------------------
def _day_window(days_present: list[str], limit: int = DAYS_SHOWN) -> list[str]:
    """Every calendar day of the last ``limit`` days ending at the latest day present."""
    if not days_present:
        return []
    first = date.fromisoformat(min(days_present))
    last = date.fromisoformat(max(days_present))
    start = max(first, last - timedelta(days=limit - 1))
    return [(start + timedelta(days=i)).isoformat() for i in range((last - start).days + 1)]


def _table_html(
    headers: list[str],
    rows: list[list[str]],
    numeric: set[int] | None = None,
    classes: dict[int, str] | None = None,
) -> str:
    """Rows are already-escaped HTML cells; ``numeric`` columns are right-aligned."""
    cls = {i: "n" for i in numeric or set()} | (classes or {})

    def cell(tag: str, i: int, content: str) -> str:
        attr = f' class="{cls[i]}"' if i in cls else ""
        return f"<{tag}{attr}>{content}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section_published(status: dict[str, Any], colors: dict[str, str]) -> str:
    rows = status["by_published_day"]
    out = ['<h2 id="articles-per-day">Articles per source per day (publication day)</h2>']
    no_date = {s: v["articles_without_published_at"] for s, v in status["sources"].items()}
    if not rows:
        out.append('<p class="empty">No article has a publication date yet.</p>')
    else:
        window = _day_window([r["day"] for r in rows])
        series: dict[str, dict[str, int]] = defaultdict(dict)
        shown = older = 0
        for r in rows:
            if r["day"] in window:
                series[r["source"]][r["day"]] = r["articles"]
                shown += r["articles"]
            else:
                older += r["articles"]
        names = [s for s in colors if s in series]
        out.append(
            f'<p class="note">{len(window)} day(s) from {esc(window[0])} to {esc(window[-1])}'
            f" (the last {DAYS_SHOWN} days present in the data, or all); {shown} article(s)"
            f" shown, {older} published earlier.</p>"
        )
        out.append(_legend([(n, colors[n]) for n in names]))
        out.append(
            stacked_columns(
                window,
                {n: series[n] for n in names},
                colors,
                label="Articles per source per publication day",
                unit="articles",
            )
        )
    missing = sum(no_date.values())
    if missing:
        detail = ", ".join(f"{esc(s)} {n}" for s, n in no_date.items() if n)
        out.append(f'<p class="note">Without a publication date: {missing} ({detail}).</p>')
    return "".join(out)


def _section_fetches(status: dict[str, Any], colors: dict[str, str]) -> str:
    rows = status["by_fetch_day"]
    out = ['<h2 id="fetches-per-day">Pages fetched per day (fetch day)</h2>']
    if not rows:
        out.append('<p class="empty">No fetch recorded yet.</p>')
        return "".join(out)
    window = _day_window([r["day"] for r in rows if r["day"] != "?"])
    series: dict[str, dict[str, int]] = defaultdict(dict)
    for r in rows:
        if r["day"] in window:
            series[r["source"]][r["day"]] = r["pages_fetched"]
    names = [s for s in colors if s in series]
    out.append(_legend([(n, colors[n]) for n in names]))
    out.append(
        stacked_columns(
            window,
            {n: series[n] for n in names},
            colors,
            label="Pages fetched per source per fetch day",
            unit="pages fetched",
            height=200,
        )
    )
    return "".join(out)


def _section_duplicates(tables: dict[str, Any]) -> str:
    dup = tables["duplicates"]
    out = ['<h2 id="duplicates">Duplicates per source and kind</h2>']
    if not dup["source"]:
        out.append('<p class="empty">No duplicate recorded.</p>')
        return "".join(out)
    per: dict[str, Counter] = defaultdict(Counter)
    for src, kind in zip(dup["source"], dup["kind"], strict=True):
        per[src or "?"][kind or "unknown"] += 1
    kinds = [k for k in KIND_COLORS if any(k in c for c in per.values())]
    kinds += sorted({k for c in per.values() for k in c} - set(kinds))
    colors = {k: KIND_COLORS.get(k, OTHER_COLOR) for k in kinds}
    out.append(_legend([(k, colors[k]) for k in kinds]))
    rows = [(s, {k: per[s].get(k, 0) for k in kinds}) for s in sorted(per)]
    out.append(stacked_bars(rows, colors, label="Duplicates per source and kind", unit="dups"))
    table_rows = [
        [esc(s), *(_fmt_n(per[s].get(k, 0)) for k in kinds), _fmt_n(sum(per[s].values()))]
        for s in sorted(per)
    ]
    out.append(
        _table_html(
            ["source", *(esc(k) for k in kinds), "total"],
            table_rows,
            numeric=set(range(1, len(kinds) + 2)),
        )
    )
    return "".join(out)


def _section_errors(tables: dict[str, Any], colors: dict[str, str]) -> str:
    pag = tables["pages"]
    out = ['<h2 id="errors">Errors by reason</h2>']
    errors: dict[str, Counter] = defaultdict(Counter)
    skipped: Counter = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    for url, src, kind, reason in zip(
        pag["url"], pag["source"], pag["kind"], pag["reason"], strict=True
    ):
        if is_error(kind, reason):
            errors[reason][src or "?"] += 1
            if len(examples[reason]) < MAX_EXAMPLES and url not in examples[reason]:
                examples[reason].append(url)
        elif is_skip(kind, reason):
            skipped[reason] += 1
    if not errors:
        out.append('<p class="empty">No failed page fetch.</p>')
    else:
        order = sorted(errors, key=lambda r: (-sum(errors[r].values()), r))
        present = {s for c in errors.values() for s in c}
        sources = [s for s in colors if s in present] + sorted(present - set(colors))
        colors = {s: colors.get(s, OTHER_COLOR) for s in sources}
        out.append(_legend([(s, colors[s]) for s in sources]))
        rows = [(r, {s: errors[r].get(s, 0) for s in sources}) for r in order]
        out.append(stacked_bars(rows, colors, label="Failed page fetches by reason", unit="pages"))
        table_rows = []
        for r in order:
            by_src = ", ".join(f"{esc(s)} {n}" for s, n in sorted(errors[r].items()))
            ex = "<br>".join(_link(u) for u in examples[r])
            table_rows.append(
                [f"<code>{esc(r)}</code>", _fmt_n(sum(errors[r].values())), by_src, ex]
            )
        out.append(
            _table_html(["reason", "pages", "by source", "examples"], table_rows, {1}, {3: "url"})
        )
    if skipped:
        detail = ", ".join(f"{esc(k)} {n}" for k, n in sorted(skipped.items()))
        out.append(f'<p class="note">Skipped (not errors): {detail}.</p>')
    return "".join(out)


def _section_coverage(tables: dict[str, Any]) -> str:
    art = tables["articles"]
    out = ['<h2 id="coverage">Extraction field coverage</h2>']
    if not art["source"]:
        out.append('<p class="empty">No article yet.</p>')
        return "".join(out)
    counts: dict[str, Counter] = defaultdict(Counter)
    for src, pub, authors, lang, title in zip(
        art["source"],
        art["published_at"],
        art["authors"],
        art["language"],
        art["title"],
        strict=True,
    ):
        for key in (src or "?", "\0all"):
            c = counts[key]
            c["n"] += 1
            c["published_at"] += pub is not None
            c["authors"] += bool(authors and any(a for a in authors))
            c["language"] += bool(lang)
            c["title"] += bool(title and title.strip())
    fields = ["published_at", "authors", "language", "title"]
    rows = []
    for key in [*sorted(k for k in counts if k != "\0all"), "\0all"]:
        c = counts[key]
        name = "<b>all sources</b>" if key == "\0all" else esc(key)
        rows.append([name, _fmt_n(c["n"]), *(share_bar(c[f] / c["n"]) for f in fields)])
    out.append(
        '<p class="note">Share of stored articles with a publication date, at least one author,'
        " a language and a title.</p>"
    )
    out.append(
        _table_html(
            ["source", "articles", "published_at", "≥1 author", "language", "title"], rows, {1}
        )
    )
    return "".join(out)


def _section_recent(tables: dict[str, Any]) -> str:
    art = tables["articles"]
    out = ['<h2 id="recent">Most recently fetched articles</h2>']
    if not art["source"]:
        out.append('<p class="empty">No article yet.</p>')
        return "".join(out)
    epoch = datetime.min.replace(tzinfo=UTC)
    items = sorted(
        zip(
            art["fetched_at"],
            art["source"],
            art["title"],
            art["url"],
            art["published_at"],
            strict=True,
        ),
        key=lambda t: (t[0] or epoch, t[3] or ""),
        reverse=True,
    )[:RECENT_ARTICLES]
    rows = [
        [
            esc(_when(pub, day=True)),
            esc(src),
            esc(title) or "<i>(no title)</i>",
            _link(url),
        ]
        for _, src, title, url, pub in items
    ]
    out.append(
        _table_html(["published", "source", "title", "url"], rows, classes={2: "title", 3: "url"})
    )
    return "".join(out)


def _when(value: datetime | str | None, day: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value.replace("T", " ").replace("Z", "")[: 10 if day else 19]
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d" if day else "%Y-%m-%d %H:%M:%S")


def _section_runs(status: dict[str, Any], prefect: list[dict[str, Any]] | None) -> str:
    out = ['<h2 id="runs">Last runs</h2>']
    runs = status["runs"]
    if not runs:
        out.append('<p class="empty">No run recorded in the data.</p>')
    else:
        out.append('<p class="note">From the <code>run_id</code> columns of the data.</p>')
        rows = [
            [
                f"<code>{esc(r['run_id'])}</code>",
                esc(", ".join(r["sources"])),
                esc(_when(r["first_fetched_at"])),
                esc(_when(r["last_fetched_at"])),
                _fmt_n(r["pages_fetched"]),
                _fmt_n(r["articles_added"]),
                _fmt_n(r.get("articles_revised", 0)),
                _fmt_n(r["duplicates"]),
                _fmt_n(r["errors"]),
            ]
            for r in runs
        ]
        out.append(
            _table_html(
                [
                    "run",
                    "sources",
                    "first fetch (UTC)",
                    "last fetch (UTC)",
                    "pages fetched",
                    "articles added",
                    "revised",
                    "duplicates",
                    "errors",
                ],
                rows,
                {4, 5, 6, 7, 8},
            )
        )
    if prefect:
        out.append("<h3>Prefect flow runs</h3>")
        rows = [
            [
                esc(r.get("name")),
                esc(r.get("state")),
                esc(_when(r.get("start_time"))),
                esc("-" if r.get("duration_s") is None else f"{r['duration_s']:.0f} s"),
                esc(r.get("source") or "-"),
            ]
            for r in prefect
        ]
        out.append(_table_html(["run", "state", "start (UTC)", "duration", "source"], rows, {3}))
    return "".join(out)


def _sources_table(status: dict[str, Any]) -> str:
    rows = [
        [
            esc(name),
            _fmt_n(s["articles"]),
            _fmt_n(s.get("revisions", 0)),
            _fmt_n(s["duplicates"]),
            _fmt_n(s["pages_fetched"]),
            _fmt_n(s["errors"]),
            esc(_when(s["last_fetch"])),
        ]
        for name, s in status["sources"].items()
    ]
    return _table_html(
        [
            "source",
            "articles",
            "older revisions",
            "duplicates",
            "pages fetched",
            "errors",
            "last fetch (UTC)",
        ],
        rows,
        {1, 2, 3, 4, 5},
    )


def render_report(
    data_dir: str | os.PathLike[str], prefect_runs: list[dict[str, Any]] | None = None
) -> str:
    """The report as one HTML string."""
    root = Path(data_dir).expanduser().resolve()
    tables = load_tables(root)
    status = dataset_status(root, _tables=tables)
    t = status["totals"]
    head = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>newsetl report — {esc(root.name)}</title><style>{CSS}</style></head><body>"
    )
    body = [
        "<h1>newsetl report</h1>",
        f'<p class="meta">Data folder <code>{esc(root)}</code> · generated '
        f"{esc(_when(status['generated_at']))} UTC</p>",
    ]
    if not status["sources"]:
        why = "is empty" if status["exists"] else "does not exist"
        body.append(
            f'<p class="empty" id="no-data">No data: the data folder {why}. '
            "Run <code>newsetl scrape</code> or <code>newsetl run</code> first.</p>"
        )
    else:
        cards = [
            ("sources", t["sources"]),
            ("articles", t["articles"]),
            ("duplicates", t["duplicates"]),
            ("pages fetched", t["pages_fetched"]),
            ("errors", t["errors"]),
            ("runs", t["runs"]),
        ]
        body.append(
            '<div class="cards">'
            + "".join(
                f'<div class="card"><b>{_fmt_n(v)}</b><span>{k}</span></div>' for k, v in cards
            )
            + "</div>"
        )
        body.append(_sources_table(status))
        colors = _colors(list(status["sources"]))
        body += [
            _section_published(status, colors),
            _section_fetches(status, colors),
            _section_duplicates(tables),
            _section_errors(tables, colors),
            _section_coverage(tables),
            _section_recent(tables),
        ]
    body.append(_section_runs(status, prefect_runs))
    return head + "".join(body) + "</body></html>\n"


def write_report(
    data_dir: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    prefect_runs: list[dict[str, Any]] | None = None,
) -> Path:
    """Write the HTML report for ``data_dir`` to ``out_path``; return its absolute path.

    Works on an empty or missing data folder (the page says so). ``prefect_runs`` (from
    ``flows.runs.prefect_runs``) adds Prefect's flow runs to the runs section.
    """
    out = Path(out_path).expanduser().resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    text = render_report(data_dir, prefect_runs)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    return out
