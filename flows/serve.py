"""``newsetl serve``: the schedules of prefect.yaml, on a local Prefect server it starts itself.

Prefect's ephemeral mode (no server) never fires scheduled runs, so unless the user points
``PREFECT_API_URL`` at a server, this starts ``prefect server start`` on 127.0.0.1 (SQLite
under the state folder), serves the deployments with ``serve()``, and stops the server when
it stops. While it runs, other newsetl commands reuse the server instead of starting their
own temporary one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from flows.env import api_healthy, free_port, prepare_prefect_env, server_file, stop_process
from newsetl.config import Source
from newsetl.settings import state_dir

SERVER_READY_TIMEOUT_S = 90


def start_local_server(port: int = 0) -> tuple[subprocess.Popen[bytes], str]:
    """Start a Prefect server on 127.0.0.1; return the process and its API URL once ready."""
    port = port or free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)
    log_path = state_dir() / "prefect-server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:  # the server writes to its own copy of the descriptor
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "prefect",
                "server",
                "start",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-ui",
                "--analytics-off",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + SERVER_READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"the local Prefect server exited with code {proc.returncode}; see {log_path}"
            )
        if api_healthy(api_url):
            return proc, api_url
        time.sleep(0.25)
    proc.terminate()
    raise RuntimeError(f"the local Prefect server did not answer within 90 s; see {log_path}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    stop_process(proc, 15)


def build_deployments(sources: list[Source], data_dir: str | None = None) -> list[Any]:
    """One Prefect deployment per declared source, with its schedules and concurrency limit."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.schedules import Cron, Interval

    from flows.etl import scrape

    deployments = []
    for src in sources:
        params = dict(src.parameters)
        if data_dir:
            params["data_dir"] = data_dir
        if params.get("data_dir"):
            params["data_dir"] = str(Path(params["data_dir"]).expanduser().resolve())
        # Prefect's limit holds runs back on a server; the flow's own source lock also
        # covers runs started elsewhere (newsetl run, scrape --source) on the same data.
        params.setdefault(
            "on_overlap", "skip" if src.collision_strategy == "CANCEL_NEW" else "queue"
        )
        schedules = [
            Cron(s.cron, timezone=s.timezone)
            if s.cron
            else Interval(float(s.interval or 3600), timezone=s.timezone)
            for s in src.schedules
        ]
        limit = None
        if src.concurrency_limit:
            limit = ConcurrencyLimitConfig(
                limit=src.concurrency_limit,
                collision_strategy=ConcurrencyLimitStrategy(src.collision_strategy),
            )
        deployments.append(
            scrape.to_deployment(
                name=src.deployment,
                schedules=schedules or None,
                parameters=params,
                concurrency_limit=limit,
                description=src.description,
                tags=["newsetl", f"source:{src.name}"],
            )
        )
    return deployments


def trigger_lines(deployments: list[Any]) -> list[str]:
    """A command per deployment that starts a run of it now (``newsetl trigger``), as it can
    be pasted into a shell: the API URL of this server and the ``newsetl`` of this
    environment included."""
    import shlex

    exe = Path(sys.executable).with_name("newsetl")
    newsetl = str(exe) if exe.exists() else "newsetl"
    api = os.environ.get("PREFECT_API_URL", "")
    lines = []
    for d in deployments:
        line = f"PREFECT_API_URL={api} {newsetl} trigger {shlex.quote(d.name)}"
        if not (d.parameters or {}).get("start_urls"):
            line += " -p " + shlex.quote('start_urls=["https://example.com/"]')
        lines.append(line)
    return lines


def run_runner(deployments: list[Any], *, quiet: bool = False, grace_s: float = 30.0) -> None:
    """Prefect's runner for the deployments, until Ctrl-C or SIGTERM.

    Runs start in warm executors (``flows.warm``) unless ``NEWSETL_WARM_EXECUTORS=0``:
    then each starts in a new interpreter, as under ``prefect.serve``.
    """
    import asyncio

    warm = os.environ.get("NEWSETL_WARM_EXECUTORS", "1") != "0"
    if warm:
        from flows.warm import warm_runner_class

        runner = warm_runner_class()(pause_on_shutdown=True, grace_s=grace_s)
    else:
        from prefect.runner import Runner

        runner = Runner(pause_on_shutdown=True)
    for deployment in deployments:
        deployment.work_pool_name = None  # served deployments need no work pool
        runner.add_deployment(deployment)
    if not quiet:
        names = ", ".join(f"{d.flow_name}/{d.name}" for d in deployments)
        how = "in warm executors" if warm else "in new processes"
        print(f"serving {names}; runs start {how}. Stop with Ctrl-C.", flush=True)
        for line in trigger_lines(deployments):
            print(f"  trigger: {line}", flush=True)

    # Ctrl-C stops the runner as SIGTERM does (the runner installs that handler itself).
    # Left to asyncio, the first Ctrl-C only cancelled a task the runner absorbed, and
    # serve went on; a second Ctrl-C during the stop exits at once.
    def _interrupt(signum: int, frame: Any) -> None:  # noqa: ARG001
        runner.handle_sigterm()

    signal.signal(signal.SIGINT, _interrupt)
    asyncio.run(runner.start())


def serve_sources(
    sources: list[Source],
    *,
    config_path: Path,
    data_dir: str | None = None,
    quiet: bool = False,
    port: int = 0,
    grace_s: float = 30.0,
) -> int:
    """Serve the deployments until SIGINT/SIGTERM; return an exit code. On the first
    signal, runs under way get ``grace_s`` seconds to finish before they are cancelled."""
    if quiet:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    own_server = None
    user_api = os.environ.get("PREFECT_API_URL")
    prepare_prefect_env()  # may pick up a local server that is already running
    if not os.environ.get("PREFECT_API_URL"):
        t0 = time.monotonic()
        own_server, api_url = start_local_server(port)
        os.environ["PREFECT_API_URL"] = api_url
        server_file().write_text(json.dumps({"api_url": api_url, "pid": own_server.pid}))
        print(f"local Prefect server ready at {api_url} in {time.monotonic() - t0:.1f} s")
    elif user_api:
        print(f"using the Prefect server at {user_api}")

    def _stop(signum: int, frame: Any) -> None:  # noqa: ARG001
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        deployments = build_deployments(sources, data_dir)
        print(f"serving {len(deployments)} deployment(s) from {config_path}", flush=True)
        run_runner(deployments, quiet=quiet, grace_s=grace_s)
    except KeyboardInterrupt:
        print("newsetl serve: stopping", flush=True)
    finally:
        if own_server is not None:
            stop_server(own_server)
            try:
                server_file().unlink()
            except FileNotFoundError:
                pass
    return 0
