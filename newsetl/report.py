"""Human-readable run reports: the markdown artifact and the terminal summary."""

from __future__ import annotations

from typing import Any

MAX_LISTED_ARTICLES = 50


def _cell(text: Any) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def summary_markdown(summary: dict[str, Any]) -> str:
    """The run summary as a markdown page: counts, errors by reason, articles added."""
    lines = [
        f"# newsetl run `{summary.get('run_id', '?')}`",
        "",
        f"Sources: {', '.join(summary.get('sources', [])) or '-'}",
        "",
        "| count | value |",
        "|---|---:|",
    ]
    for key in (
        "pages_fetched",
        "html_pages",
        "articles_new",
        "articles_revised",
        "duplicates",
        "unchanged",
        "skipped_known",
        "errors",
    ):
        lines.append(f"| {key.replace('_', ' ')} | {summary.get(key, 0)} |")
    memory = summary.get("page_memory") or {}
    if memory:
        left = sum((memory.get("left_alone") or {}).values())
        lines.append(f"| pages left alone (page memory) | {left} |")
        lines.append(f"| unchanged, not parsed (page memory) | {memory.get('unchanged', 0)} |")
    examples = summary.get("error_examples") or {}
    for heading, key in (
        ("Errors by reason", "errors_by_reason"),
        ("Skipped", "skipped_by_reason"),
    ):
        counts = summary.get(key) or {}
        if counts:
            lines += ["", f"## {heading}", "", "| reason | pages | examples |", "|---|---:|---|"]
            for reason, n in counts.items():
                ex = ", ".join(_cell(u) for u in examples.get(reason, []))
                lines.append(f"| {_cell(reason)} | {n} | {ex} |")
    failed = summary.get("start_failures") or []
    if failed:
        lines += ["", "## Start URLs that failed", "", "| URL | reason | fix |", "|---|---|---|"]
        lines += [
            f"| {_cell(f['url'])} | {_cell(f['reason'])} | {_cell(f['fix'])} |" for f in failed
        ]
    not_articles = summary.get("not_articles_by_reason") or {}
    if not_articles:
        lines += ["", "## Not articles", "", "| reason | pages |", "|---|---:|"]
        lines += [f"| {_cell(r)} | {n} |" for r, n in not_articles.items()]
        n = summary.get("rejected_presented") or 0
        if n:
            lines += [
                "",
                f"**{n} page(s) that the site presented as articles** (feed, sitemap or "
                "markup) were judged not to be articles; their evidence is in `data/pages` "
                "(columns `fate`, `evidence`). Examples:",
                "",
            ]
            lines += [f"- {_cell(u)}" for u in summary.get("rejected_presented_examples") or []]
    added = summary.get("articles_added") or []
    if added:
        lines += ["", "## Articles added", "", "| title | url |", "|---|---|"]
        for art in added[:MAX_LISTED_ARTICLES]:
            lines.append(f"| {_cell(art.get('title'))} | {_cell(art.get('url'))} |")
        if len(added) > MAX_LISTED_ARTICLES:
            lines.append(f"| … and {len(added) - MAX_LISTED_ARTICLES} more | |")
    updated = summary.get("articles_updated") or []
    if updated:
        lines += ["", "## Articles revised", "", "| title | url | revision |", "|---|---|---:|"]
        for art in updated[:MAX_LISTED_ARTICLES]:
            lines.append(
                f"| {_cell(art.get('title'))} | {_cell(art.get('url'))} | {art.get('revision')} |"
            )
    return "\n".join(lines) + "\n"


def summary_text(summary: dict[str, Any]) -> str:
    """A few lines for the terminal."""

    def fmt(key: str) -> str:
        return ", ".join(f"{k} {v}" for k, v in (summary.get(key) or {}).items()) or "none"

    return (
        f"run {summary.get('run_id')}: {summary.get('pages_fetched', 0)} pages fetched, "
        f"{summary.get('articles_new', 0)} new articles, "
        f"{summary.get('articles_revised', 0)} revised, {summary.get('duplicates', 0)} "
        f"duplicates, {summary.get('unchanged', 0)} unchanged, "
        f"{summary.get('skipped_known', 0)} known articles not downloaded again\n"
        f"errors: {fmt('errors_by_reason')}\n"
        f"skipped: {fmt('skipped_by_reason')}\n"
        f"not articles: {fmt('not_articles_by_reason')}\n"
        + memory_line(summary)
        + rejected_line(summary)
        + budget_line(summary)
        + start_failures_text(summary)
        + f"data: {summary.get('data_dir')}"
    )


def memory_line(summary: dict[str, Any]) -> str:
    """What the page memory spared the run, when it spared anything."""
    memory = summary.get("page_memory") or {}
    left = memory.get("left_alone") or {}
    unchanged = memory.get("unchanged") or 0
    if not left and not unchanged:
        return ""
    why = ", ".join(f"{reason} {n}" for reason, n in left.items()) or "none"
    return (
        f"page memory: {sum(left.values())} page(s) not asked this run ({why}), "
        f"{unchanged} unchanged since the last visit and not parsed\n"
    )


def budget_line(summary: dict[str, Any]) -> str:
    """How many pages the page budget left out, when it did."""
    left = (summary.get("skipped_by_reason") or {}).get("max_pages") or 0
    if not left:
        return ""
    return (
        f"page budget spent: {left} page(s) found and not fetched (fate not_fetched:max_pages "
        "in data/pages); raise --max-pages, or let the next run go on\n"
    )


def start_failures_text(summary: dict[str, Any]) -> str:
    """One line per start URL that led nowhere, with the fix."""
    return "".join(
        f"start URL failed: {f['url']} ({f['reason']}): {f['fix']}\n"
        for f in summary.get("start_failures") or []
    )


def nothing_fetched(summary: dict[str, Any]) -> str | None:
    """Why a run could do nothing (no start URL worked, or nothing was fetched), or None."""
    failed = summary.get("start_failures") or []
    total = summary.get("start_urls_total") or 0
    if total and len(failed) >= total:
        return "no start URL could be fetched"
    if not summary.get("pages_fetched") and not summary.get("skipped_known"):
        return "nothing was fetched"
    return None


def rejected_line(summary: dict[str, Any]) -> str:
    """A warning line when pages the site presented as articles were rejected."""
    n = summary.get("rejected_presented") or 0
    if not n:
        return ""
    examples = summary.get("rejected_presented_examples") or []
    shown = ", ".join(examples[:3]) + (" ..." if n > 3 else "")
    return (
        f"warning: {n} page(s) the site presented as articles (feed, sitemap or markup) "
        f"were judged not to be articles: {shown}; their evidence is in data/pages "
        "(columns fate, evidence)\n"
    )
