"""Where newsetl keeps its state, and the environment Prefect needs before it is imported."""

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


def prepare_prefect_env() -> None:
    """Point Prefect at the project's state folder; call before ``import prefect``.

    A user's own ``PREFECT_HOME`` or ``PREFECT_API_URL`` is left alone. Analytics are
    switched off: there is no internet here, and the telemetry thread only adds noise.
    """
    home = state_dir()
    os.environ.setdefault("PREFECT_HOME", str(home / "prefect"))
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "60")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_BATCH_INTERVAL", "0.3")
    if "PREFECT_API_URL" not in os.environ:
        url = running_local_server()
        if url:
            os.environ["PREFECT_API_URL"] = url


def server_file() -> Path:
    return state_dir() / "prefect-server.json"


def running_local_server() -> str | None:
    """The API URL of a local Prefect server started by ``newsetl serve``, if it answers."""
    import json
    import urllib.request

    path = server_file()
    try:
        url = json.loads(path.read_text())["api_url"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/health", timeout=1.0) as resp:
            if resp.status == 200:
                return url
    except OSError:
        return None
    return None
