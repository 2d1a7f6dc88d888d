"""Sources and schedules, declared once as deployments in ``prefect.yaml``.

A deployment whose entrypoint is the scrape flow and whose parameters name a ``source`` and
its ``start_urls`` is a source. ``newsetl run`` runs them once, ``newsetl serve`` on their
schedules, and ``prefect deploy`` ships the same file to a Prefect server. Everything is
validated on load, before any crawling starts, with errors that name the file, the field
and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from newsetl import urls
from newsetl.storage import check_partition_value

FLOW_ENTRYPOINT = "flows/etl.py:scrape"

# The scrape flow's parameters and their types.
PARAMETERS: dict[str, type | tuple[type, ...]] = {
    "start_urls": list,
    "source": str,
    "data_dir": str,
    "max_pages": int,
    "polite": bool,
    "include": list,
    "exclude": list,
    "allow_offsite": bool,
    "near_duplicate_threshold": (int, float),
    "incremental": bool,
    "on_overlap": str,
    "crawlers": int,
    "redis_url": str,
    "revisit_after": (str, int, float),
}
DEPLOYMENT_KEYS = {
    "name",
    "version",
    "tags",
    "description",
    "entrypoint",
    "parameters",
    "schedule",
    "schedules",
    "concurrency_limit",
    "work_pool",
    "pull",
    "build",
    "push",
    "enforce_parameter_schema",
    "paused",
    "triggers",
    "parameter_openapi_schema",
    "version_type",
}
SCHEDULE_KEYS = {"cron", "interval", "rrule", "timezone", "active", "anchor_date", "day_or"}


class ConfigError(ValueError):
    """An invalid configuration file; the message names the file, the field and the fix."""


@dataclass
class Schedule:
    cron: str | None = None
    interval: float | None = None
    timezone: str = "UTC"


@dataclass
class Source:
    """One declared deployment: its name, flow parameters, schedules and concurrency limit."""

    deployment: str
    parameters: dict[str, Any]
    schedules: list[Schedule] = field(default_factory=list)
    concurrency_limit: int | None = 1
    collision_strategy: str = "ENQUEUE"
    description: str | None = None

    @property
    def name(self) -> str:
        return self.parameters.get("source") or self.deployment

    @property
    def is_source(self) -> bool:
        """True when the deployment names URLs to scrape (not the ad hoc one)."""
        return bool(self.parameters.get("start_urls"))


def _fail(path: Path, where: str, problem: str, fix: str) -> ConfigError:
    return ConfigError(f"{path}: {where}: {problem}; {fix}")


_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: str | float, *, allow_zero: bool = False) -> float:
    """Seconds of a duration written ``90``, ``90s``, ``15m``, ``12h``, ``7d`` or ``2w``;
    ValueError naming the fix for anything else or for a duration that is not positive
    (``allow_zero``: or zero)."""
    text = str(value).strip().lower()
    unit = text[-1:] if text[-1:] in _DURATION_UNITS else "s"
    number = text[:-1] if text[-1:] in _DURATION_UNITS else text
    try:
        seconds = float(number) * _DURATION_UNITS[unit]
    except ValueError:
        seconds = float("nan")
    if (
        not (seconds > 0 or (allow_zero and seconds == 0))
        or seconds == float("inf")
        or isinstance(value, bool)
    ):
        raise ValueError(
            f"{value!r} is not a duration: write a positive number with s, m, h, d or w, "
            "e.g. 7d or 12h"
        )
    return seconds


def _check_cron(expr: str) -> None:
    from cronsim import CronSim, CronSimError

    try:
        CronSim(expr, datetime(2026, 1, 1))
    except CronSimError as exc:
        raise ValueError(str(exc)) from exc


def load_sources(path: str | Path) -> list[Source]:
    """Read and validate the deployments of a ``prefect.yaml``; raise ConfigError."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(
            f"{path}: no such file; create it (see README 'Schedules') or pass "
            "URLs to `newsetl scrape`"
        ) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}); fix the syntax") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping with a 'deployments' list")
    deployments = raw.get("deployments") or []
    if not isinstance(deployments, list):
        raise _fail(path, "deployments", "must be a list", "write one '- name: ...' entry each")
    sources: list[Source] = []
    seen: set[str] = set()
    for i, dep in enumerate(deployments):
        where = f"deployments[{i}]"
        if not isinstance(dep, dict):
            raise _fail(path, where, "must be a mapping", "give it name, entrypoint, parameters")
        name = dep.get("name")
        if not isinstance(name, str) or not name:
            raise _fail(path, f"{where}.name", "missing", "give every deployment a name")
        where = f"deployments[{i}] ({name})"
        unknown = set(dep) - DEPLOYMENT_KEYS
        if unknown:
            raise _fail(
                path,
                f"{where}.{sorted(unknown)[0]}",
                "unknown key",
                f"use one of {', '.join(sorted(DEPLOYMENT_KEYS))}",
            )
        if dep.get("entrypoint") != FLOW_ENTRYPOINT:
            continue  # another flow's deployment: not ours to validate
        if name in seen:
            raise _fail(path, where, "duplicate deployment name", "give each a unique name")
        seen.add(name)
        params = dep.get("parameters") or {}
        if not isinstance(params, dict):
            raise _fail(path, f"{where}.parameters", "must be a mapping", "write key: value pairs")
        for key, value in params.items():
            if key not in PARAMETERS:
                raise _fail(
                    path,
                    f"{where}.parameters.{key}",
                    "unknown parameter",
                    f"use one of {', '.join(PARAMETERS)}",
                )
            expected = PARAMETERS[key]
            if value is not None and (
                not isinstance(value, expected) or (isinstance(value, bool) and expected is int)
            ):
                tname = getattr(expected, "__name__", "number")
                raise _fail(
                    path,
                    f"{where}.parameters.{key}",
                    f"expected {tname}, got {type(value).__name__} {value!r}",
                    "correct its type",
                )
        for j, url in enumerate(params.get("start_urls") or []):
            try:
                urls.validate_start_url(url if isinstance(url, str) else repr(url))
            except ValueError as exc:
                raise _fail(
                    path, f"{where}.parameters.start_urls[{j}]", str(exc), "fix the URL"
                ) from exc
        if params.get("source") is not None:
            try:
                check_partition_value(params["source"])
            except ValueError as exc:
                raise _fail(path, f"{where}.parameters.source", str(exc), "rename it") from exc
        if params.get("max_pages") is not None and params["max_pages"] < 1:
            raise _fail(path, f"{where}.parameters.max_pages", "must be >= 1", "raise it")
        if params.get("revisit_after") is not None:
            try:
                parse_duration(params["revisit_after"])
            except ValueError as exc:
                raise _fail(path, f"{where}.parameters.revisit_after", str(exc), "fix it") from exc
        for key in ("include", "exclude"):
            import re

            for j, pattern in enumerate(params.get(key) or []):
                try:
                    re.compile(pattern)
                except (re.error, TypeError) as exc:
                    raise _fail(
                        path, f"{where}.parameters.{key}[{j}]", f"bad regex ({exc})", "fix it"
                    ) from exc
        schedules = _schedules(path, where, dep)
        limit, strategy = _concurrency(path, where, dep.get("concurrency_limit", 1))
        sources.append(
            Source(
                deployment=name,
                parameters=params,
                schedules=schedules,
                concurrency_limit=limit,
                collision_strategy=strategy,
                description=dep.get("description"),
            )
        )
    names = [s.name for s in sources if s.is_source]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise _fail(path, "deployments", f"source {sorted(dup)[0]!r} declared twice", "rename one")
    return sources


def _schedules(path: Path, where: str, dep: dict[str, Any]) -> list[Schedule]:
    single = dep.get("schedule")
    if single is not None and dep.get("schedules") is not None:
        raise _fail(path, f"{where}.schedule", "given beside 'schedules'", "move it into the list")
    if isinstance(single, list):
        raise _fail(
            path,
            f"{where}.schedule",
            "'schedule' takes one mapping, not a list",
            "write 'schedules:' (plural) for a list of '- cron: ...' entries",
        )
    if single is not None and not isinstance(single, dict):
        raise _fail(
            path,
            f"{where}.schedule",
            "must be a mapping",
            "write cron: (or interval:) and timezone:",
        )
    items = dep.get("schedules") or ([single] if single else [])
    if not isinstance(items, list):
        raise _fail(path, f"{where}.schedules", "must be a list", "write '- cron: ...' entries")
    out = []
    for k, item in enumerate(items):
        w = f"{where}.schedules[{k}]"
        if not isinstance(item, dict):
            raise _fail(path, w, "must be a mapping", "write cron: and timezone:")
        unknown = set(item) - SCHEDULE_KEYS
        if unknown:
            raise _fail(
                path, f"{w}.{sorted(unknown)[0]}", "unknown key", "use cron, interval, timezone"
            )
        tz = item.get("timezone") or "UTC"
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise _fail(
                path, f"{w}.timezone", f"unknown time zone {tz!r}", "use an IANA name"
            ) from exc
        cron, interval = item.get("cron"), item.get("interval")
        if (cron is None) == (interval is None):
            raise _fail(path, w, "needs exactly one of cron or interval", "set one")
        if cron is not None:
            try:
                _check_cron(str(cron))
            except ValueError as exc:
                raise _fail(
                    path,
                    f"{w}.cron",
                    f"bad cron expression {cron!r} ({exc})",
                    "use five fields, e.g. '0 * * * *'",
                ) from exc
        if interval is not None and (
            isinstance(interval, bool) or not isinstance(interval, (int, float)) or interval <= 0
        ):
            raise _fail(path, f"{w}.interval", "must be a positive number of seconds", "fix it")
        out.append(Schedule(cron=cron, interval=interval, timezone=tz))
    return out


def _concurrency(path: Path, where: str, value: Any) -> tuple[int | None, str]:
    if value is None:
        return None, "ENQUEUE"
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value, "ENQUEUE"
    if isinstance(value, dict):
        limit = value.get("limit")
        strategy = str(value.get("collision_strategy", "ENQUEUE")).upper()
        if isinstance(limit, int) and limit >= 1 and strategy in {"ENQUEUE", "CANCEL_NEW"}:
            return limit, strategy
    raise _fail(
        path,
        f"{where}.concurrency_limit",
        f"invalid value {value!r}",
        "use a positive integer or {limit: 1, collision_strategy: ENQUEUE|CANCEL_NEW}",
    )


def select_sources(sources: list[Source], names: list[str]) -> list[Source]:
    """The configured sources named (by source or deployment name), or all of them."""
    usable = [s for s in sources if s.is_source]
    if not names:
        return usable
    out = []
    for n in names:
        match = [s for s in usable if n in (s.name, s.deployment)]
        if not match:
            known = ", ".join(s.name for s in usable) or "none"
            raise ConfigError(f"no source named {n!r} (configured: {known})")
        out.extend(match)
    return out
