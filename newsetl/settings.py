"""Where newsetl keeps its state and reads its configuration (no Prefect here: flows/env.py)."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path | None:
    """The source checkout this package runs from, or None for an installed wheel."""
    root = PACKAGE_DIR.parent
    return root if (root / "pyproject.toml").is_file() and (root / "flows").is_dir() else None


def state_dir() -> Path:
    """Absolute folder for Prefect's database, crawl work folders and the local server file.

    ``NEWSETL_HOME`` wins; else ``.state/`` in the source checkout; else
    ``~/.local/state/newsetl``. Always absolute, whatever the current directory.
    """
    env = os.environ.get("NEWSETL_HOME")
    if env:
        return Path(env).expanduser().resolve()
    root = project_root()
    if root is not None:
        return root / ".state"
    return Path.home() / ".local" / "state" / "newsetl"


def default_config_path() -> Path:
    """The ``prefect.yaml`` that declares sources and schedules."""
    env = os.environ.get("NEWSETL_CONFIG")
    if env:
        return Path(env).expanduser().resolve()
    root = project_root()
    return (root if root is not None else Path.cwd()) / "prefect.yaml"


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity on Linux), for sizing worker pools."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
