"""The environment Prefect needs, set in one place before Prefect is imported.

Prefect reads its settings from the environment when it is first imported, so everything
that points it at newsetl's state folder, or at a Prefect API server (a running
``newsetl serve``, or a temporary one started for one command), lives here and runs first:
``flows/__init__.py`` calls :func:`prepare_prefect_env`, so importing any flow sets it up.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from newsetl.settings import state_dir


def prepare_prefect_env() -> None:
    """Point Prefect at the project's state folder; call before ``import prefect``.

    A user's own ``PREFECT_HOME`` or ``PREFECT_API_URL`` is left alone. Analytics are
    switched off: there is no internet here, and the telemetry thread only adds noise.
    """
    home = state_dir()
    os.environ.setdefault("PREFECT_HOME", str(home / "prefect"))
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")  # the client's telemetry: 0.5 s at import
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "60")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_BATCH_INTERVAL", "0.3")
    if "PREFECT_API_URL" not in os.environ:
        url = running_local_server()
        if url:
            os.environ["PREFECT_API_URL"] = url


def server_file() -> Path:
    return state_dir() / "prefect-server.json"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on at the moment."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def api_healthy(api_url: str) -> bool:
    """Whether the Prefect API at ``api_url`` answers its health check."""
    import urllib.request

    try:
        with urllib.request.urlopen(api_url.rstrip("/") + "/health", timeout=1.0) as resp:
            return resp.status == 200
    except OSError:
        return False


def stop_process(proc: Any, timeout_s: float) -> None:
    """SIGTERM, then SIGKILL after ``timeout_s``; always reaped."""
    import subprocess

    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def running_local_server() -> str | None:
    """The API URL of a local Prefect server started by ``newsetl serve``, if it answers."""
    import json

    path = server_file()
    try:
        url = json.loads(path.read_text())["api_url"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return url if api_healthy(url) else None


class EmbeddedServer:
    """A temporary Prefect API server for one command, started before Prefect is imported.

    Prefect starts the same server by itself when no API URL is set, but only once the
    first flow is called, and its client then imports the whole server package too (about
    2.5 s of CPU it never uses). Started here, at the top of the command, the server boots
    on the other core while this process imports Prefect and the flow, and the flow finds
    it ready. The server is stopped when the command exits.
    """

    def __init__(self) -> None:
        import subprocess
        import sys

        from newsetl import interrupt

        self.port = free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        env = {
            **os.environ,
            "PREFECT_UI_ENABLED": "0",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
        }
        env.pop("PREFECT_API_URL", None)
        # Two commands starting their servers at once on one Prefect database both run its
        # migrations, and one of them fails on "database is locked": the start (until the
        # server answers) is taken one command at a time.
        self._startup_lock = _startup_lock()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "prefect.server.api.server:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "error",
                "--lifespan",
                "on",
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            # Out of the terminal's process group (Ctrl-C must not take the server away
            # while the interrupted run records how it ended), and gone with this process.
            preexec_fn=_die_with_parent_fn(),
            **interrupt.own_group_kwargs(),
        )
        interrupt.register_child(self.proc)
        os.environ["PREFECT_API_URL"] = self.api_url
        # It serves no UI and is gone when the command ends: no "View at" link to it.
        os.environ.setdefault("PREFECT_UI_URL", "")
        import atexit

        atexit.register(self.stop)

    def wait_ready(self, timeout_s: float | None = None) -> None:
        """Block until the server answers /health; RuntimeError naming the fix if it never does."""
        if timeout_s is None:
            timeout_s = float(
                os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", 60)
            )
        try:
            self._wait(timeout_s)
        finally:
            self._release_startup()

    def _release_startup(self) -> None:
        lock, self._startup_lock = self._startup_lock, None
        if lock is not None:
            lock.close()  # closing the file releases its flock

    def _wait(self, timeout_s: float) -> None:
        import time

        from newsetl import interrupt

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if interrupt.requested():
                return  # Ctrl-C while the server starts: the command stops without a run
            if self.proc is None:  # a kept server, answering when it was attached
                return
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"the temporary Prefect server exited with code {self.proc.returncode}; "
                    "run `newsetl serve` (or set PREFECT_API_URL to a running Prefect server) "
                    "and try again"
                )
            if api_healthy(self.api_url):
                return
            time.sleep(0.05)
        raise RuntimeError(
            f"the temporary Prefect server did not answer within {timeout_s:.0f} s; raise "
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS or start one with `newsetl serve`"
        )

    def stop(self) -> None:
        self._release_startup()
        stop_process(self.proc, 5)


class KeptServer(EmbeddedServer):
    """A temporary server that outlives the command for the next ones (``flows.keptserver``):
    the one a previous command left, when it answers; else a new one, started now."""

    def __init__(self, linger_s: float) -> None:  # noqa: D107 - not EmbeddedServer's start
        import time

        from flows import keptserver
        from newsetl import interrupt

        self.proc = None
        self._startup_lock = None
        url = keptserver.attach()
        if url is None:
            # One command at a time starts a server; the one waiting may then find it.
            self._startup_lock = _startup_lock()
            url = keptserver.attach()
        if url is not None:
            self._release_startup()
        else:
            deadline = time.monotonic() + 10
            # A server that is shutting down holds the lease file until it is gone.
            while not keptserver.take_lease() and time.monotonic() < deadline:
                time.sleep(0.05)
            self.port = free_port()
            url = f"http://127.0.0.1:{self.port}/api"
            self.proc = keptserver.spawn(self.port, linger_s)
            interrupt.keep_running(self.proc.pid)  # not killed by a forced stop either
        self.api_url = url
        os.environ["PREFECT_API_URL"] = self.api_url
        os.environ.setdefault("PREFECT_UI_URL", "")
        import atexit

        atexit.register(self._release_startup)

    def _wait(self, timeout_s: float) -> None:
        from flows import keptserver

        # Normally held since before the start; taken now if a dying server held it then.
        keptserver.take_lease()
        super()._wait(timeout_s)
        keptserver.take_lease()

    def stop(self) -> None:
        """The server stays up; only the start lock is let go."""
        self._release_startup()


def _die_with_parent_fn() -> Any:
    """A function for ``preexec_fn``: the child gets SIGTERM when its parent dies, even by
    SIGKILL (Linux's PR_SET_PDEATHSIG); None elsewhere. Resolved before the fork, so the
    child only makes the call."""
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(1, 15, 0, 0, 0)  # PR_SET_PDEATHSIG = 1, SIGTERM = 15


def _startup_lock() -> Any:
    """An exclusive lock on ``prefect-start.lock`` in the Prefect home (whose database the
    servers share), held by an open file; None when the folder cannot hold one."""
    import fcntl

    try:
        folder = Path(os.environ.get("PREFECT_HOME") or state_dir() / "prefect")
        folder.mkdir(parents=True, exist_ok=True)
        fh = open(folder / "prefect-start.lock", "a+b")  # noqa: SIM115 - held until released
    except OSError:
        return None
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
    except OSError:
        fh.close()
        return None
    return fh


_embedded: EmbeddedServer | None = None


def start_embedded_server() -> EmbeddedServer | None:
    """Start a temporary Prefect server for this process unless an API URL is known.

    Call after ``prepare_prefect_env`` (which picks up a running ``newsetl serve``) and
    before Prefect is imported. The server is kept for the next commands for
    ``NEWSETL_PREFECT_LINGER`` (``flows.keptserver``; 0: stopped with this command).
    ``NEWSETL_EMBEDDED_SERVER=prefect`` leaves the start to Prefect itself, as it does
    when a flow is called from Python.
    """
    global _embedded
    if _embedded is not None:
        return _embedded
    if os.environ.get("PREFECT_API_URL") or os.environ.get("NEWSETL_EMBEDDED_SERVER") == "prefect":
        return None
    from flows.keptserver import linger_s

    linger = linger_s()
    _embedded = KeptServer(linger) if linger > 0 else EmbeddedServer()
    return _embedded


@contextlib.contextmanager
def heartbeats_off() -> Iterator[None]:
    """Flow runs started within the block send no heartbeats, unless the user set
    ``PREFECT_FLOWS_HEARTBEAT_FREQUENCY`` (environment or Prefect profile).

    Prefect 3.9's engine waits up to 1 s at the end of every sync flow run for its
    heartbeat thread to wake from its one-second sleeps. Used where the process that runs
    the flow is the one a crash would end anyway: serve's warm executors (whose runner
    marks a run Crashed when its executor dies) and an ad hoc ``newsetl scrape`` (which
    marks its run Cancelled on a forced stop, and whose user sees it end).
    """
    from prefect.context import SettingsContext, get_settings_context
    from prefect.settings import Settings

    settings = Settings()
    if "heartbeat_frequency" in settings.flows.model_fields_set:  # the user's choice
        yield
        return
    settings = settings.copy_with_update(updates={"flows.heartbeat_frequency": None})
    with SettingsContext(profile=get_settings_context().profile, settings=settings):
        yield
