"""What Prefect ran: the last flow runs of ``newsetl-scrape``, read from a running API.

``prefect_runs`` gives up quickly (returning None, with the reason in
``last_prefect_reason``) when no API answers: it never starts a temporary server. The rows are
plain dicts, so ``newsetl.status`` and ``newsetl.htmlreport`` show them without Prefect.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from typing import Any

from newsetl.status import FLOW_NAME, MAX_RUNS, iso_utc

log = logging.getLogger(__name__)

# How long the Prefect API may take to answer /health before we give up on it.
PREFECT_PROBE_TIMEOUT_S = 2.0
PREFECT_REQUEST_TIMEOUT_S = 5.0

# Why the last ``prefect_runs`` call returned None (shown by ``format_status``).
last_prefect_reason: str | None = None


# -- -------------------------------------------------------------------------------
def _no_runs(reason: str) -> None:
    global last_prefect_reason
    last_prefect_reason = reason
    log.info("Prefect runs not shown: %s", reason)


def _api_answers(api_url: str) -> str | None:
    """None when the API's /health answers quickly, else why not."""
    import urllib.error
    import urllib.request

    url = api_url.rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(url, timeout=PREFECT_PROBE_TIMEOUT_S) as resp:
            if resp.status == 200:
                return None
            return f"{url} answered HTTP {resp.status}"
    except urllib.error.HTTPError as exc:
        return f"{url} answered HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return f"no Prefect API at {api_url} ({getattr(exc, 'reason', None) or exc})"


def prefect_runs(limit: int = MAX_RUNS) -> list[dict[str, Any]] | None:
    """The last ``limit`` runs of the ``newsetl-scrape`` flow, newest first, or None.

    Runs scheduled for the future (``newsetl serve`` creates them ahead) are left out.

    Each run: ``name, state, start_time, end_time, duration_s, source, run_id`` (times ISO
    8601 UTC; ``source`` is the run's ``source`` parameter, else its start URLs).

    Returns None (never raises) when no Prefect API can be asked quickly: only an API named
    by ``PREFECT_API_URL`` (or a local server started by ``newsetl serve``, which
    ``prepare_prefect_env`` finds, or the temporary server an ad hoc command kept) is
    asked, so no temporary server is ever started. The reason is left in
    ``flows.runs.last_prefect_reason``.
    """
    global last_prefect_reason
    last_prefect_reason = None
    try:
        from flows.env import prepare_prefect_env

        # Finds the server of ``newsetl serve``; never starts one.
        prepare_prefect_env()
    except OSError as exc:
        log.debug("could not prepare the Prefect environment: %s", exc)
    api_url = os.environ.get("PREFECT_API_URL", "").strip()
    if not api_url:
        # A temporary server an ad hoc command kept for the next one (flows/keptserver.py).
        from flows.keptserver import attach

        api_url = attach() or ""
        if api_url:
            os.environ["PREFECT_API_URL"] = api_url
    if not api_url:
        _no_runs(
            "PREFECT_API_URL is not set and no `newsetl serve` server is running "
            "(set PREFECT_API_URL to see Prefect's flow runs)"
        )
        return None
    why = _api_answers(api_url)
    if why:
        _no_runs(why)
        return None
    try:
        return _read_runs(api_url, limit)
    except Exception as exc:  # noqa: BLE001 - a status command must not fail on Prefect
        _no_runs(f"could not read flow runs from {api_url}: {type(exc).__name__}: {exc}")
        return None


def _read_runs(api_url: str, limit: int) -> list[dict[str, Any]]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterExpectedStartTime,
    )
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.settings import (
        PREFECT_API_REQUEST_TIMEOUT,
        PREFECT_API_URL,
        PREFECT_CLIENT_MAX_RETRIES,
        temporary_settings,
    )

    updates = {
        PREFECT_API_URL: api_url,
        PREFECT_API_REQUEST_TIMEOUT: PREFECT_REQUEST_TIMEOUT_S,
        PREFECT_CLIENT_MAX_RETRIES: 0,
    }
    with temporary_settings(updates=updates), get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[FLOW_NAME])),
            # Runs a schedule created for later are not "last runs"; late ones still show.
            flow_run_filter=FlowRunFilter(
                expected_start_time=FlowRunFilterExpectedStartTime(before_=datetime.now(UTC))
            ),
            sort=FlowRunSort.EXPECTED_START_TIME_DESC,
            limit=limit,
        )
    return [_run_row(r) for r in runs]


def _run_row(run: Any) -> dict[str, Any]:
    params = run.parameters or {}
    source = params.get("source")
    if not source:
        start = params.get("start_urls") or []
        source = ", ".join(str(u) for u in start) if start else None
    state = run.state
    start = run.start_time or run.expected_start_time
    duration = None
    if run.total_run_time is not None and run.start_time is not None:
        duration = run.total_run_time.total_seconds()
    elif run.start_time is not None and run.end_time is not None:
        duration = (run.end_time - run.start_time).total_seconds()
    return {
        "name": run.name,
        "state": (state.name if state is not None else None) or str(run.state_type or "?"),
        "state_type": str(getattr(run.state_type, "value", run.state_type) or "") or None,
        "start_time": iso_utc(start),
        "end_time": iso_utc(run.end_time),
        "duration_s": None if duration is None else round(duration, 1),
        "source": source,
        "flow_run_id": str(run.id),
    }
