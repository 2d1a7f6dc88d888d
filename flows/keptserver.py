"""A temporary Prefect server that stays up a while after its command, for the next one.

Booting Prefect's server takes 3-4 s of the two cores, longer than an ad hoc run over an
unchanged site takes to do its work; a second ``newsetl scrape`` a minute after the first
would spend most of its time waiting for it. So, as build tools keep a daemon (Gradle,
Bazel), the temporary server that a command starts is kept for
``NEWSETL_PREFECT_LINGER`` (a duration, default ``10m``) after the last command that used
it, and the next command within that time uses it at once. ``NEWSETL_PREFECT_LINGER=0``
stops the server with its command, as Prefect's own temporary server does.

How it knows it is idle: every command that uses the server holds a shared ``flock`` on
the lease file for its whole life (the kernel drops it when the process ends, however it
ends) and touches the file as it starts and ends. The server's watchdog tries for an
exclusive lock every few seconds: it gets one only when no command holds the server, and
then, once the lease is older than the linger time, it removes the info file and shuts
down (keeping the exclusive lock until it is gone, so that no command attaches meanwhile;
a command that cannot take its shared lock starts a new server).

The server is a process of its own session with its output in ``prefect-temporary.log``
(state folder): Ctrl-C in the terminal, and the end of the command, do not reach it, and
no pipe of the command's is held open by it. It is only used by a command of the same
Python and the same ``PREFECT_HOME``. It records in Prefect's database in the state
folder as the per-command server does; ``newsetl status`` shows it.

Run as ``python -m flows.keptserver --port PORT --linger SECONDS``.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from newsetl.settings import state_dir

LINGER_ENV = "NEWSETL_PREFECT_LINGER"
DEFAULT_LINGER = "10m"


def linger_s() -> float:
    """Seconds a temporary server stays up after its last command; 0: it does not."""
    from newsetl.config import parse_duration

    raw = os.environ.get(LINGER_ENV, DEFAULT_LINGER)
    try:
        return parse_duration(raw, allow_zero=True)
    except ValueError as exc:
        raise ValueError(f"{LINGER_ENV}: {exc} (or 0: stop it with the command)") from exc


def info_file() -> Path:
    return state_dir() / "prefect-temporary.json"


def lease_file() -> Path:
    return state_dir() / "prefect-temporary.lease"


def log_file() -> Path:
    return state_dir() / "prefect-temporary.log"


def read_info() -> dict[str, Any] | None:
    try:
        info = json.loads(info_file().read_text())
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and "api_url" in info else None


def _prefect_home() -> str:
    return os.environ.get("PREFECT_HOME") or str(state_dir() / "prefect")


# -- the command's side -------------------------------------------------------------------

_lease: IO[bytes] | None = None


def _open_lease() -> IO[bytes]:
    path = lease_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    return open(path, "a+b")  # noqa: SIM115 - held for the life of the command


def _touch() -> None:
    with contextlib.suppress(OSError):
        os.utime(lease_file())


def take_lease() -> bool:
    """Hold the shared lease for this process (idempotent). False when a server is
    shutting down at this moment (it holds the exclusive lock)."""
    global _lease
    if _lease is not None:
        return True
    fh = _open_lease()
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        return False
    _lease = fh
    _touch()
    import atexit

    atexit.register(_touch)  # the idle time counts from the end of the last command
    return True


def attach() -> str | None:
    """The API URL of a kept server that answers and that this process may use, with the
    lease taken; None when there is none."""
    from flows.env import api_healthy

    info = read_info()
    if (
        info is None
        or info.get("python") != sys.executable
        or info.get("prefect_home") != _prefect_home()
    ):
        return None
    if not take_lease():
        return None
    url = str(info["api_url"])
    return url if api_healthy(url) else None


def spawn(port: int, linger: float) -> Any:
    """Start a kept server on ``port`` (the caller holds the lease already)."""
    import subprocess

    env = {
        **os.environ,
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",
        "PREFECT__SERVER_FINAL": "1",
        "PREFECT_HOME": _prefect_home(),
    }
    env.pop("PREFECT_API_URL", None)
    log = open(log_file(), "ab")  # noqa: SIM115 - handed to the child
    try:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flows.keptserver",
                "--port",
                str(port),
                "--linger",
                str(linger),
            ],
            env=env,
            cwd=str(Path(__file__).resolve().parents[1]),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # not the terminal's: Ctrl-C and hang-ups pass it by
            close_fds=True,
        )
    finally:
        log.close()


# -- the server's side --------------------------------------------------------------------


def _watch(server: Any, port: int, linger: float, check_s: float) -> None:
    """Write the info file once the server answers; shut it down once idle."""
    info = {
        "api_url": f"http://127.0.0.1:{port}/api",
        "pid": os.getpid(),
        "python": sys.executable,
        "prefect_home": _prefect_home(),
        "linger_s": linger,
        "started": time.time(),
    }
    while not server.started and not server.should_exit:
        time.sleep(0.02)
    tmp = info_file().with_suffix(".tmp")
    tmp.write_text(json.dumps(info))
    os.replace(tmp, info_file())
    fh = _open_lease()
    while not server.should_exit:
        time.sleep(check_s)
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a command is using it
        try:
            idle = time.time() - os.stat(lease_file()).st_mtime
        except OSError:
            idle = linger
        if idle >= linger:
            # Gone from the info file first: a command that reads it now finds no server.
            if (read_info() or {}).get("pid") == os.getpid():
                with contextlib.suppress(OSError):
                    info_file().unlink()
            print(f"newsetl: idle for {idle:.0f} s: stopping", flush=True)
            server.should_exit = True
            return  # the exclusive lock is held until the process is gone
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.keptserver")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--linger", type=float, required=True)
    args = parser.parse_args(argv)
    import uvicorn

    config = uvicorn.Config(
        "prefect.server.api.server:create_app",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        log_level="error",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    check_s = max(0.2, min(5.0, args.linger / 4))
    threading.Thread(
        target=_watch, args=(server, args.port, args.linger, check_s), daemon=True
    ).start()
    server.run()
    if (read_info() or {}).get("pid") == os.getpid():  # stopped by a signal
        with contextlib.suppress(OSError):
            info_file().unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
