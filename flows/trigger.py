"""``newsetl trigger``: start a run of a served deployment now, through Prefect's REST API.

A trigger must never be lost to a busy server, nor create a run twice. Prefect's local
server keeps its state in SQLite, and under load it answers ``503`` (``database is locked``)
or drops a connection; so every request is retried, with backoff, until ``timeout_s``. The
run is created with an idempotency key (one per trigger, or the caller's ``--key``): when a
retry follows a request whose answer was lost after the server had created the run, the
server returns that run instead of creating a second one.

Plain HTTP (urllib): no Prefect import, so a trigger costs a fraction of a second.
"""

from __future__ import annotations

import http.client
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

from newsetl.status import FLOW_NAME

# Answers worth another try: the server is busy or restarting, or a proxy timed out.
TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
REQUEST_TIMEOUT_S = 10.0


class TriggerError(Exception):
    """The run could not be created; the message names the fix."""

    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage  # the request itself is wrong (not a server that is away)


@dataclass(frozen=True)
class Triggered:
    flow_run_id: str
    name: str
    created: bool  # False: a run with this idempotency key existed already
    attempts: int
    key: str


def api_url() -> str | None:
    """``PREFECT_API_URL``, else the server of a running ``newsetl serve``."""
    from flows.env import running_local_server

    return (os.environ.get("PREFECT_API_URL") or "").strip() or running_local_server()


def _request(url: str, method: str, body: Any | None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=REQUEST_TIMEOUT_S) as resp:
        raw = resp.read()
        return resp.status, (json.loads(raw) if raw else None)


def _with_retries(url: str, method: str, body: Any | None, deadline: float) -> tuple[int, Any, int]:
    """The answer to one request, retried on transient failures until ``deadline``;
    returns (status, JSON, attempts). A non-transient HTTP error is raised at once."""
    attempts, pause = 0, 0.25
    while True:
        attempts += 1
        try:
            status, doc = _request(url, method, body)
            return status, doc, attempts
        except urllib.error.HTTPError as exc:
            if exc.code not in TRANSIENT_STATUS:
                raise
            why = f"HTTP {exc.code}"
        except (
            urllib.error.URLError,
            http.client.HTTPException,
            TimeoutError,
            ConnectionError,
        ) as exc:
            why = str(getattr(exc, "reason", None) or exc)
        if time.monotonic() + pause > deadline:
            raise TriggerError(
                f"the Prefect API at {url.split('/api/')[0]}/api did not accept the request "
                f"after {attempts} attempts (last: {why}); check that `newsetl serve` is "
                "running (or that PREFECT_API_URL names a running server) and try again"
            )
        time.sleep(pause)
        pause = min(pause * 2, 4.0)


def _deployment_names(base: str, deadline: float) -> list[str]:
    try:
        _, docs, _ = _with_retries(f"{base}/deployments/filter", "POST", {}, deadline)
    except (TriggerError, urllib.error.HTTPError):
        return []
    return sorted(d.get("name", "?") for d in docs or [])


def trigger(
    deployment: str,
    *,
    parameters: dict[str, Any] | None = None,
    key: str | None = None,
    api: str | None = None,
    timeout_s: float = 60.0,
) -> Triggered:
    """Create a run of ``deployment`` (``NAME`` or ``FLOW/NAME``) and return it.

    Raises :class:`TriggerError` when no API answers within ``timeout_s`` or the
    deployment does not exist. Safe to repeat with the same ``key``: one run at most.
    """
    base = (api or api_url() or "").rstrip("/")
    if not base:
        raise TriggerError(
            "no Prefect server to trigger on: start `newsetl serve` (it serves the "
            "deployments of prefect.yaml), or set PREFECT_API_URL to a server that has them",
            usage=True,
        )
    flow, _, name = deployment.rpartition("/")
    flow = flow or FLOW_NAME
    key = key or f"newsetl-trigger-{uuid.uuid4()}"
    deadline = time.monotonic() + timeout_s
    quoted = "/".join(urllib.parse.quote(p, safe="") for p in (flow, name))
    try:
        _, dep, _ = _with_retries(f"{base}/deployments/name/{quoted}", "GET", None, deadline)
    except urllib.error.HTTPError as exc:
        if exc.code != 404:
            raise TriggerError(
                f"the Prefect API answered HTTP {exc.code} for {deployment}"
            ) from None
        known = _deployment_names(base, deadline)
        raise TriggerError(
            f"no deployment {flow}/{name} on {base}"
            + (f" (it has: {', '.join(known)})" if known else " (it has none)")
            + ": declare it in prefect.yaml and (re)start `newsetl serve`",
            usage=True,
        ) from None
    body = {"idempotency_key": key, "parameters": parameters or {}}
    try:
        status, run, attempts = _with_retries(
            f"{base}/deployments/{dep['id']}/create_flow_run", "POST", body, deadline
        )
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:300]
        raise TriggerError(
            f"the run was refused (HTTP {exc.code}): {detail}; check the parameters "
            "(-p NAME=VALUE, VALUE in JSON) against the deployment's",
            usage=exc.code in (400, 409, 422),
        ) from None
    return Triggered(
        flow_run_id=str(run["id"]),
        name=str(run.get("name")),
        created=status == 201,
        attempts=attempts,
        key=key,
    )


def parse_parameters(pairs: list[str]) -> dict[str, Any]:
    """``NAME=VALUE`` pairs; VALUE is JSON when it parses as JSON, else a string."""
    params: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise TriggerError(
                f"-p {pair!r}: write NAME=VALUE, e.g. -p max_pages=50 or "
                "-p 'start_urls=[\"https://example.com/\"]'",
                usage=True,
            )
        try:
            params[name] = json.loads(value)
        except ValueError:
            params[name] = value
    return params
