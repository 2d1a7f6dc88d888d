"""What is in a data folder, and what Prefect ran: the numbers behind ``newsetl status``.

``dataset_status`` reads only the Parquet dataset (never Prefect), so it works offline and
on a copy of the data. Prefect's flow runs are read by ``flows.runs.prefect_runs`` and passed
to ``format_status`` (and the HTML report) as plain dicts.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from newsetl.models import is_error_reason, is_skip_reason
from newsetl.storage import TABLES, Dataset

log = logging.getLogger(__name__)

FLOW_NAME = "newsetl-scrape"
MAX_RUNS = 20


# -- the dataset ---------------------------------------------------------------------------
def iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _day(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%d")


def _columns(ds: Dataset, table: str, columns: list[str]) -> dict[str, list[Any]]:
    """Some columns of a table, partition columns included, as Python lists.

    One multi-threaded scan of all files (``Dataset.read`` reads file by file and cannot
    select a partition column together with file columns); when a damaged file makes the
    scan fail, files are read one by one and the damaged ones skipped with a warning.
    """
    if table not in TABLES:
        return {c: [] for c in columns}
    schema, partitions = TABLES[table]
    missing = [c for c in columns if c not in schema.names and c not in partitions]
    columns = [c for c in columns if c not in missing]
    files = ds.files(table)
    if not files:
        return {c: [] for c in columns + missing}
    base = ds.root / table
    part_schema = pa.schema([pa.field(p, pa.string()) for p in partitions])
    try:
        scan = pads.dataset(
            [str(f) for f in files],
            schema=pa.schema(list(schema) + list(part_schema)),
            format="parquet",
            partitioning=pads.partitioning(part_schema, flavor="hive"),
            partition_base_dir=str(base),
        )
        t = scan.to_table(columns=columns)
        found = {c: t.column(c).to_pylist() for c in columns}
        return found | {c: [None] * t.num_rows for c in missing}
    except (pa.ArrowException, OSError, ValueError) as exc:
        log.debug("one scan of %s failed (%s): reading file by file", table, exc)
    stored = [c for c in columns if c in schema.names]
    out: dict[str, list[Any]] = {c: [] for c in columns + missing}
    for path in files:
        try:
            in_file = set(pq.read_schema(path).names)
            t = pq.read_table(path, columns=[c for c in stored if c in in_file])
        except Exception as exc:  # noqa: BLE001 - any unreadable file is skipped alike
            log.warning("skipping unreadable file %s: %s", path, exc)
            continue
        keys = dict(
            part.partition("=")[::2] for part in path.relative_to(base).parts[:-1] if "=" in part
        )
        for c in columns + missing:
            if c in partitions:
                out[c].extend([keys.get(c)] * t.num_rows)
            elif c in t.column_names:
                out[c].extend(t.column(c).to_pylist())
            else:  # a column older files do not have
                out[c].extend([None] * t.num_rows)
    return out


def is_error(kind: str | None, reason: str | None) -> bool:
    """A failed page fetch: a page (not a sitemap/feed/robots.txt) with a non-skip reason.

    Same rule as the run summary (``pipeline.summarize``): skips such as robots.txt or the
    page budget are decisions, and a missing ``/sitemap.xml`` is a discovery failure.
    """
    return (kind or "page") == "page" and is_error_reason(reason)


def is_skip(kind: str | None, reason: str | None) -> bool:
    return (kind or "page") == "page" and is_skip_reason(reason)


def load_tables(data_dir: str | os.PathLike[str]) -> dict[str, dict[str, list[Any]]]:
    """The columns the status and the HTML report need, as Python lists (no article text)."""
    ds = Dataset(data_dir)
    article_cols = [
        "article_id",
        "url",
        "title",
        "authors",
        "published_at",
        "language",
        "fetched_at",
        "run_id",
        "source",
    ]
    revision_cols = ["revision", "fetched_at", "run_id", "source"]
    return {
        "articles": _columns(ds, "articles", [*article_cols, "revision"]),
        # Superseded texts of revised articles (older data folders have none).
        "revisions": _columns(ds, "revisions", revision_cols)
        if "revisions" in TABLES
        else {c: [] for c in revision_cols},
        "duplicates": _columns(
            ds, "duplicates", ["url", "kind", "title", "fetched_at", "run_id", "source"]
        ),
        "pages": _columns(
            ds,
            "pages",
            [
                "url",
                "final_url",
                "status",
                "fetched_at",
                "kind",
                "reason",
                "fate",
                "evidence",
                "run_id",
                "source",
                "date",
            ],
        ),
    }


def dataset_status(
    data_dir: str | os.PathLike[str], *, max_runs: int = MAX_RUNS, _tables: dict | None = None
) -> dict[str, Any]:
    """Counts per source, per day and per run, computed from the data folder alone.

    Returns a JSON-serialisable dict::

        data_dir, exists, generated_at,
        totals:  articles, revisions, duplicates, pages, pages_fetched, errors, skipped,
                 sources, runs
        sources: {name: {articles, revisions, duplicates, pages, pages_fetched, errors,
                         skipped, discovery_failures, errors_by_reason, last_fetch,
                         last_run_id, articles_without_published_at, not_articles,
                         rejected_presented, rejected_presented_examples}}
                 (not_articles: pages whose latest verdict is not an article;
                 rejected_presented: those the site presented as articles)
        by_fetch_day:     [{source, day, pages, pages_fetched, errors, articles_added,
                            articles_revised}]
                          (day the page was fetched, from ``pages``; articles by fetched_at)
        by_published_day: [{source, day, articles}]  (publication day, from ``articles``;
                          articles without a publication date are not listed here)
        runs:    the last ``max_runs`` runs seen in the data, newest first:
                 [{run_id, sources, first_fetched_at, last_fetched_at, pages, pages_fetched,
                   articles_added, articles_revised, duplicates, errors}]

    "articles" counts stored articles (one row each, latest text); "revisions" superseded
    texts kept in ``revisions/``. A run's "articles_added" are its first texts (revision 1),
    "articles_revised" its new texts of stored articles. "pages" counts every fetch record
    (skips included); "pages_fetched" those that got an HTTP response; "errors" failed page
    fetches (``reason`` not in ``SKIP_REASONS``; discovery fetches such as a missing
    ``/sitemap.xml`` are "discovery_failures").
    """
    root = Path(data_dir).expanduser().resolve()
    tables = _tables if _tables is not None else load_tables(root)
    art, dup, pag = tables["articles"], tables["duplicates"], tables["pages"]
    rev = tables.get("revisions") or {"revision": [], "fetched_at": [], "run_id": [], "source": []}

    def new_source() -> dict[str, Any]:
        return {
            "articles": 0,
            "revisions": 0,
            "duplicates": 0,
            "pages": 0,
            "pages_fetched": 0,
            "errors": 0,
            "skipped": 0,
            "discovery_failures": 0,
            "errors_by_reason": Counter(),
            "last_fetch": None,
            "last_run_id": None,
            "articles_without_published_at": 0,
            "not_articles": 0,
            "rejected_presented": 0,
            "rejected_presented_examples": [],
        }

    sources: dict[str, dict[str, Any]] = defaultdict(new_source)
    fetch_day: dict[tuple[str, str], Counter] = defaultdict(Counter)
    pub_day: Counter[tuple[str, str | None]] = Counter()

    def new_run() -> dict[str, Any]:
        return {
            "sources": set(),
            "first": None,
            "last": None,
            "pages": 0,
            "pages_fetched": 0,
            "articles_added": 0,
            "articles_revised": 0,
            "duplicates": 0,
            "errors": 0,
        }

    runs: dict[str, dict[str, Any]] = defaultdict(new_run)

    def seen(run_id: str | None, source: str, when: datetime | None) -> dict[str, Any] | None:
        s = sources[source]
        if when is not None and (s["last_fetch"] is None or when > s["last_fetch"]):
            s["last_fetch"] = when
            s["last_run_id"] = run_id
        if not run_id:
            return None
        r = runs[run_id]
        r["sources"].add(source)
        if when is not None:
            r["first"] = when if r["first"] is None else min(r["first"], when)
            r["last"] = when if r["last"] is None else max(r["last"], when)
        return r

    for src, status, when, kind, reason, run_id, date in zip(
        pag["source"],
        pag["status"],
        pag["fetched_at"],
        pag["kind"],
        pag["reason"],
        pag["run_id"],
        pag["date"],
        strict=True,
    ):
        src = src or "?"
        s = sources[src]
        day = date or _day(when) or "?"
        c = fetch_day[(src, day)]
        s["pages"] += 1
        c["pages"] += 1
        fetched = status is not None
        err = is_error(kind, reason)
        s["pages_fetched"] += fetched
        c["pages_fetched"] += fetched
        if err:
            s["errors"] += 1
            s["errors_by_reason"][reason] += 1
            c["errors"] += 1
        elif is_skip(kind, reason):
            s["skipped"] += 1
        elif reason:
            s["discovery_failures"] += 1
        r = seen(run_id, src, when)
        if r is not None:
            r["pages"] += 1
            r["pages_fetched"] += fetched
            r["errors"] += err

    # The latest verdict on each page: how many are not articles, and which of those the
    # site itself presented as articles (a feed, a sitemap, its markup).
    latest: dict[tuple[str, str], tuple[Any, str | None, str | None]] = {}
    for src, url, final, when, fate, evidence in zip(
        pag["source"],
        pag["url"],
        pag["final_url"],
        pag["fetched_at"],
        pag["fate"],
        pag.get("evidence") or [None] * len(pag["url"]),
        strict=True,
    ):
        if not fate or fate in ("unknown", "failed", "page") or when is None:
            continue
        if fate.startswith("not_fetched:"):
            continue
        key = (src or "?", final or url)  # a page is where its redirects ended
        old = latest.get(key)
        if old is None or old[0] <= when:
            latest[key] = (when, fate, evidence)
    stored_urls = set(art.get("url") or ())
    for (src, url), (_when, fate, evidence) in sorted(latest.items()):
        if not fate or not fate.startswith("not_article:") or url in stored_urls:
            continue  # an article after all (``newsetl reprocess`` recovered it)
        s = sources[src]
        s["not_articles"] += 1
        if evidence and json.loads(evidence).get("presented_as_article"):
            s["rejected_presented"] += 1
            if len(s["rejected_presented_examples"]) < 5:
                s["rejected_presented_examples"].append(url)

    def stored_text(src: str, when: datetime | None, run_id: str | None, revision: Any) -> None:
        # A run added an article (revision 1) or a new text of a stored one (revision > 1);
        # the row of a superseded text lives on in ``revisions`` with its run's id.
        key = "articles_revised" if (revision or 1) > 1 else "articles_added"
        fetch_day[(src, _day(when) or "?")][key] += 1
        r = seen(run_id, src, when)
        if r is not None:
            r[key] += 1

    for src, when, published, run_id, revision in zip(
        art["source"],
        art["fetched_at"],
        art["published_at"],
        art["run_id"],
        art.get("revision") or [None] * len(art["source"]),
        strict=True,
    ):
        src = src or "?"
        sources[src]["articles"] += 1
        if published is None:
            sources[src]["articles_without_published_at"] += 1
        else:
            pub_day[(src, _day(published))] += 1
        stored_text(src, when, run_id, revision)

    for src, when, run_id, revision in zip(
        rev["source"], rev["fetched_at"], rev["run_id"], rev["revision"], strict=True
    ):
        src = src or "?"
        sources[src]["revisions"] += 1
        stored_text(src, when, run_id, revision)

    for src, when, run_id in zip(dup["source"], dup["fetched_at"], dup["run_id"], strict=True):
        src = src or "?"
        sources[src]["duplicates"] += 1
        r = seen(run_id, src, when)
        if r is not None:
            r["duplicates"] += 1

    out_sources = {}
    for name in sorted(sources):
        s = sources[name]
        s["errors_by_reason"] = dict(sorted(s["errors_by_reason"].items()))
        s["last_fetch"] = iso_utc(s["last_fetch"])
        out_sources[name] = s

    by_fetch_day = [
        {
            "source": src,
            "day": day,
            "pages": c["pages"],
            "pages_fetched": c["pages_fetched"],
            "errors": c["errors"],
            "articles_added": c["articles_added"],
            "articles_revised": c["articles_revised"],
        }
        for (src, day), c in sorted(fetch_day.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]
    by_published_day = [
        {"source": src, "day": day, "articles": n}
        for (src, day), n in sorted(pub_day.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]
    epoch = datetime.min.replace(tzinfo=UTC)
    ordered = sorted(runs.items(), key=lambda kv: (kv[1]["last"] or epoch, kv[0]), reverse=True)[
        :max_runs
    ]
    out_runs = [
        {
            "run_id": run_id,
            "sources": sorted(r["sources"]),
            "first_fetched_at": iso_utc(r["first"]),
            "last_fetched_at": iso_utc(r["last"]),
            "pages": r["pages"],
            "pages_fetched": r["pages_fetched"],
            "articles_added": r["articles_added"],
            "articles_revised": r["articles_revised"],
            "duplicates": r["duplicates"],
            "errors": r["errors"],
        }
        for run_id, r in ordered
    ]
    totals = {
        key: sum(s[key] for s in out_sources.values())
        for key in (
            "articles",
            "revisions",
            "duplicates",
            "pages",
            "pages_fetched",
            "errors",
            "skipped",
        )
    }
    totals["sources"] = len(out_sources)
    totals["runs"] = len(runs)
    return {
        "data_dir": str(root),
        "exists": (root / "articles").is_dir() or (root / "pages").is_dir(),
        "generated_at": iso_utc(datetime.now(UTC)),
        "totals": totals,
        "sources": out_sources,
        "by_fetch_day": by_fetch_day,
        "by_published_day": by_published_day,
        "runs": out_runs,
    }


# -- terminal output -----------------------------------------------------------------------
def _table(headers: list[str], rows: list[list[Any]], right: set[int] | None = None) -> str:
    right = right or set()
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, v in enumerate(row):
            widths[i] = max(widths[i], len(v))

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(widths[i]) if i in right else v.ljust(widths[i]) for i, v in enumerate(values)
        ).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(row) for row in cells]
    return "\n".join(out)


def _short_time(iso: str | None) -> str:
    if not iso:
        return "-"
    return iso.replace("T", " ")[:19]


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def format_status(
    status: dict[str, Any], runs: list[dict[str, Any]] | None, runs_note: str | None = None
) -> str:
    """The status as plain-text tables for a terminal."""
    out = [f"data: {status.get('data_dir')}"]
    sources = status.get("sources") or {}
    if not sources:
        out.append(
            "no data yet: the folder has no articles or pages"
            + ("" if status.get("exists") else " (it does not exist)")
        )
    else:
        t = status.get("totals", {})
        out.append(
            f"{t.get('sources', 0)} source(s), {t.get('articles', 0)} articles"
            + (f" ({t['revisions']} older revisions)" if t.get("revisions") else "")
            + f", {t.get('duplicates', 0)} duplicates, {t.get('pages_fetched', 0)} pages fetched, "
            f"{t.get('errors', 0)} errors, {t.get('runs', 0)} run(s)"
        )
        out += ["", "Sources"]
        rows = []
        for name, s in sources.items():
            reasons = ", ".join(f"{k} {v}" for k, v in s["errors_by_reason"].items())
            rows.append(
                [
                    name,
                    s["articles"],
                    s["duplicates"],
                    s["pages_fetched"],
                    s["errors"],
                    _short_time(s["last_fetch"]),
                    reasons or "-",
                ]
            )
        out.append(
            _table(
                [
                    "source",
                    "articles",
                    "duplicates",
                    "pages fetched",
                    "errors",
                    "last fetch (UTC)",
                    "errors by reason",
                ],
                rows,
                right={1, 2, 3, 4},
            )
        )
        for name, s in sources.items():
            n = s.get("rejected_presented") or 0
            if n:
                out.append(
                    f"warning: {name}: {n} page(s) the site presented as articles (feed, "
                    "sitemap or markup) were judged not to be articles, e.g. "
                    + ", ".join(s["rejected_presented_examples"][:3])
                    + "; see data/pages (columns fate, evidence)"
                )
        days = status.get("by_fetch_day") or []
        if days:
            recent = sorted({d["day"] for d in days})[-7:]
            out += ["", "Fetches per day (fetch day, last 7 days with fetches)"]
            rows = [
                [d["day"], d["source"], d["pages_fetched"], d["articles_added"], d["errors"]]
                for d in days
                if d["day"] in recent
            ]
            out.append(
                _table(
                    ["fetch day", "source", "pages fetched", "articles added", "errors"],
                    rows,
                    right={2, 3, 4},
                )
            )
        data_runs = status.get("runs") or []
        if data_runs:
            out += ["", "Last runs in the data"]
            rows = [
                [
                    r["run_id"],
                    ", ".join(r["sources"]),
                    _short_time(r["first_fetched_at"]),
                    _short_time(r["last_fetched_at"]),
                    r["pages_fetched"],
                    r["articles_added"],
                    r.get("articles_revised", 0),
                    r["duplicates"],
                    r["errors"],
                ]
                for r in data_runs[:10]
            ]
            out.append(
                _table(
                    [
                        "run",
                        "sources",
                        "first fetch",
                        "last fetch",
                        "pages",
                        "articles",
                        "revised",
                        "dups",
                        "errors",
                    ],
                    rows,
                    right={4, 5, 6, 7, 8},
                )
            )
    out.append("")
    if runs is None:
        note = runs_note or "Prefect was not asked"
        out.append(f"Prefect runs: not available ({note})")
    elif not runs:
        out.append(f"Prefect runs: none of flow {FLOW_NAME!r} yet")
    else:
        out.append(f"Prefect runs (flow {FLOW_NAME!r}, newest first)")
        rows = [
            [
                r.get("name"),
                r.get("state"),
                _short_time(r.get("start_time")),
                _duration(r.get("duration_s")),
                r.get("source") or "-",
            ]
            for r in runs
        ]
        out.append(_table(["run", "state", "start (UTC)", "duration", "source"], rows, right={3}))
    return "\n".join(out) + "\n"
