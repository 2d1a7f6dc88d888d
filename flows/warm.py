"""Warm executors: scheduled runs of ``newsetl serve`` start in a process that is ready.

Prefect's runner starts every flow run in a newly spawned interpreter. Before such a run
does any work it imports Prefect, pyarrow and the pipeline again (about 1.3 s of CPU),
makes its first API client, and starts the Scrapy child cold. For an hourly run of a site
that has not changed, that start-up is most of the run.

A warm executor is a spawned process that has done all of that before the run is due:
it imports the flow, warms the modules the stages load lazily, and keeps a crawler child
started and waiting for its job (``flows.etl.prestart_crawler``). It runs flow runs one at
a time, through Prefect's own engine (``run_flow``), and is reused for the next run.

Each run still has a process of its own while it runs: the runner's cancellation kills
the executor that runs it, and an executor that dies mid-run makes the run Crashed, as a
spawned process would. An executor retires (exits, and a fresh one takes its place) after
``MAX_RUNS`` runs or when its resident memory passes ``MAX_RSS_MB`` (not counting the
near-duplicate index it keeps for the next run: ``newsetl.dedupe.keep_indexes``), so a
process that lives for months does not carry what a large run left behind.

Flow-run heartbeats are off in executors unless the user set
``PREFECT_FLOWS_HEARTBEAT_FREQUENCY`` (``flows.env.heartbeats_off``): Prefect 3.9's engine
waits up to 1 s at the end of every run for its heartbeat thread to wake, and the runner
already marks a run Crashed when its executor dies.

``WarmRunner`` is Prefect's ``Runner`` with one change: runs of newsetl's scrape flow are
started by a ``WarmStarter`` instead of a new interpreter. With a Prefect version whose
runner lacks the hook it uses, it says so and runs as Prefect's own runner.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any


def _logger() -> logging.Logger:
    from prefect.logging import get_logger

    return get_logger("runner.warm")  # shown with the runner's own lines


MAX_RUNS = int(os.environ.get("NEWSETL_EXECUTOR_MAX_RUNS", "50"))
MAX_RSS_MB = int(os.environ.get("NEWSETL_EXECUTOR_MAX_RSS_MB", "1024"))
READY_TIMEOUT_S = 120
# One-shot variables of Prefect's control channel: a warm executor does not use it (the
# runner then falls back to cancelling by killing the process, which is the executor).
_ONE_SHOT_ENV = ("PREFECT__CONTROL_PORT", "PREFECT__CONTROL_TOKEN")


# -- the executor process ------------------------------------------------------------------
def _rss_mb() -> float:
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _warm_up() -> Any:
    """Import what a run needs and start a crawler child; return the flow."""
    from flows.env import prepare_prefect_env

    prepare_prefect_env()
    import pyarrow.parquet  # noqa: F401
    from prefect.flow_engine import run_flow  # noqa: F401

    from flows import etl
    from newsetl import dedupe, extraction, report  # noqa: F401

    dedupe.keep_indexes()  # each dataset's near-duplicate index stays loaded between runs
    etl.prestart_crawler()
    return etl


def _run_one(etl: Any, flow_run: Any, run_env: dict[str, str | None]) -> int:
    """Run one flow run with Prefect's engine; return the exit code a process would have."""
    from prefect.engine import handle_engine_signals
    from prefect.flow_engine import run_flow

    from flows.env import heartbeats_off

    for key, value in run_env.items():
        if key in _ONE_SHOT_ENV:
            continue
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    # The runner calls the hooks itself, as for the processes it spawns.
    os.environ["PREFECT__ENABLE_CANCELLATION_AND_CRASHED_HOOKS"] = "false"
    try:
        with heartbeats_off():
            with handle_engine_signals(flow_run.id):
                run_flow(etl.scrape, flow_run=flow_run)
    except SystemExit as exc:  # handle_engine_signals ends a process this way
        return exc.code if isinstance(exc.code, int) else 1
    except Exception:  # noqa: BLE001 - a failed flow: the engine has reported its state
        return 0
    return 0


def executor_main(conn: Connection, env: dict[str, str]) -> None:
    """Body of an executor process: warm up, then run what the parent sends, in order."""
    os.environ.update(env)
    # Ctrl-C in a terminal reaches the whole process group: serve stops the executors itself
    # (and the runner cancels a run in progress), so an executor does not act on it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        etl = _warm_up()
    except BaseException as exc:  # noqa: BLE001 - tell the parent why, then go
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        raise
    gc.collect()
    conn.send(("ready", os.getpid()))
    runs = 0
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return  # the parent went away
        if not msg or msg[0] != "run":
            return
        _, flow_run, run_env = msg
        code = _run_one(etl, flow_run, run_env)
        runs += 1
        # A run that ended the way a process would have died leaves nothing to trust.
        # The near-duplicate indexes kept for the next run are there on purpose (loading
        # one of a million articles again costs seconds): they do not count.
        from newsetl.dedupe import kept_nbytes

        retire = runs >= MAX_RUNS or _rss_mb() - kept_nbytes() / 2**20 > MAX_RSS_MB or code != 0
        if not retire:
            etl.prestart_crawler()  # for the next run
        conn.send(("done", code, retire, round(_rss_mb())))
        if retire:
            etl.discard_spare()
            return
        # Collect what the run left behind now, while idle: left to itself, the collector
        # walked it during the next run (0.1 s into the first warm run after a large one).
        gc.collect()


# -- the parent's side ---------------------------------------------------------------------
class ExecutorDied(RuntimeError):
    pass


class WarmExecutor:
    """A spawned executor process and the pipe to it (used by one run at a time)."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        env = {k: v for k, v in os.environ.items() if k not in _ONE_SHOT_ENV}
        self.process = ctx.Process(
            target=executor_main, args=(child, env), name="newsetl-executor", daemon=False
        )
        self.process.start()
        child.close()
        self.ready = False
        self.retired = False
        self.runs = 0

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.is_alive() and not self.retired

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        if self.ready:
            return
        if not self._conn.poll(timeout_s):
            self.kill()
            raise ExecutorDied(f"executor {self.pid} not ready within {timeout_s:.0f} s")
        try:
            msg = self._conn.recv()
        except (EOFError, OSError):
            self.process.join(5)
            raise ExecutorDied(
                f"executor {self.pid} exited during start-up (code {self.process.exitcode})"
            ) from None
        if msg[0] != "ready":
            self.kill()
            raise ExecutorDied(f"executor {self.pid} could not start: {msg[1]}")
        self.ready = True

    def run(self, flow_run: Any, run_env: dict[str, str | None]) -> None:
        self._conn.send(("run", flow_run, run_env))

    def wait_done(self) -> int:
        """Block until the current run ends; its exit code (negative: killed by a signal)."""
        try:
            msg = self._conn.recv()
        except (EOFError, OSError):
            self.process.join(10)
            self.retired = True
            code = self.process.exitcode
            return 1 if code is None or code == 0 else code
        _, code, retire, _rss = msg
        self.runs += 1
        if retire:
            self.retired = True
            self.process.join(30)
        return code

    def stop(self) -> None:
        self.retired = True
        try:
            self._conn.send(("stop",))
        except (OSError, ValueError):
            pass
        self.process.join(10)
        if self.process.is_alive():
            self.kill()

    def kill(self) -> None:
        self.retired = True
        if self.process.is_alive():
            self.process.kill()
        self.process.join(10)


class WarmPool:
    """Keeps one executor warm and idle; hands it to the next run and warms another."""

    def __init__(self, spares: int = 1) -> None:
        self.spares = spares
        self._idle: list[WarmExecutor] = []
        self._lock = threading.Lock()
        self._closed = False

    def _spawn_spares(self) -> None:
        with self._lock:
            self._idle = [e for e in self._idle if e.alive()]
            missing = 0 if self._closed else self.spares - len(self._idle)
            for _ in range(missing):
                self._idle.append(WarmExecutor())

    def warm(self) -> None:
        """Start the spare executors now (they warm up in the background)."""
        self._spawn_spares()

    def acquire(self) -> WarmExecutor:
        """A ready executor for one run (blocks while a new one starts, if none is idle)."""
        with self._lock:
            self._idle = [e for e in self._idle if e.alive()]
            executor = self._idle.pop(0) if self._idle else None
        if executor is None:
            executor = WarmExecutor()
        executor.wait_ready()
        return executor

    def release(self, executor: WarmExecutor) -> None:
        with self._lock:
            keep = executor.alive() and not self._closed and len(self._idle) < self.spares
            if keep:
                self._idle.append(executor)
        if not keep:
            if executor.alive():
                executor.stop()
        self._spawn_spares()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for executor in idle:
            executor.stop()


class _RunView:
    """What the runner's process handle sees of one run in a reused executor."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self.returncode: int | None = None


class WarmStarter:
    """A Prefect runner starter that runs the flow run in a warm executor."""

    def __init__(self, pool: WarmPool, name_of: Callable[[Any], str | None]) -> None:
        self.pool = pool
        self.name_of = name_of
        self.active: dict[str, str | None] = {}  # flow run id -> deployment, while it runs

    async def start(self, flow_run: Any, task_status: Any = None) -> None:
        import anyio
        from prefect.runner._process_manager import ProcessHandle

        executor = await anyio.to_thread.run_sync(self.pool.acquire)
        view = _RunView(executor.pid)
        run_env: dict[str, str | None] = {
            "PREFECT__FLOW_RUN_ID": str(flow_run.id),
        }
        deployment = self.name_of(flow_run)
        if deployment:
            run_env["PREFECT__DEPLOYMENT_NAME"] = deployment
        try:
            executor.run(flow_run, run_env)
        except (OSError, ValueError) as exc:
            executor.kill()
            raise ExecutorDied(f"executor {executor.pid} is gone: {exc}") from exc
        self.active[str(flow_run.id)] = deployment
        if task_status is not None:
            task_status.started(ProcessHandle(view))
        _logger().info(
            "flow run %s runs in warm executor %s (run %d of it)",
            flow_run.id,
            executor.pid,
            executor.runs + 1,
        )
        try:
            view.returncode = await anyio.to_thread.run_sync(executor.wait_done)
        finally:
            self.active.pop(str(flow_run.id), None)
            if view.returncode is None:
                view.returncode = 1
            if view.returncode != 0:
                _logger().warning(
                    "warm executor %s ended flow run %s with code %s",
                    executor.pid,
                    flow_run.id,
                    view.returncode,
                )
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self.pool.release, executor)


def make_resolver(
    pool: WarmPool,
    default: Callable[[Any], Any],
    is_ours: Callable[[Any], bool],
    name_of: Callable[[Any], str | None],
) -> Callable[[Any], Any]:
    """A starter resolver: warm executors for newsetl's flow, Prefect's starter otherwise."""
    starter = WarmStarter(pool, name_of)

    def resolve(flow_run: Any) -> Any:
        return starter if is_ours(flow_run) else default(flow_run)

    resolve.starter = starter  # type: ignore[attr-defined]
    return resolve


def _runs(active: dict[str, str | None]) -> str:
    names = ", ".join(f"{name or 'run'} ({run_id[:8]})" for run_id, name in active.items())
    return f"{len(active)} run(s): {names}"


def _say(text: str) -> None:
    print(f"newsetl serve: {text}", flush=True)


def warm_runner_class() -> type:
    """Prefect's Runner, with newsetl's scrape runs started in warm executors."""
    from prefect.runner import Runner

    from flows.etl import scrape

    class WarmRunner(Runner):
        def __init__(
            self,
            *args: Any,
            pool: WarmPool | None = None,
            grace_s: float = 0.0,
            **kwargs: Any,
        ) -> None:
            super().__init__(*args, **kwargs)
            self.warm_pool = pool or WarmPool()
            self.warm_deployments: set[Any] = set()
            self.grace_s = grace_s
            self.starter: WarmStarter | None = None
            self.draining = False

        def handle_sigterm(self, *args: Any, **kwargs: Any) -> None:
            """First SIGTERM (or Ctrl-C): take no new run, let the running ones finish
            within the grace period, then stop (cancelling what still runs). A second
            one, or no grace, stops at once, as Prefect's runner does."""
            running = dict(self.starter.active) if self.starter is not None else {}
            if self.draining or not running or self.grace_s <= 0 or self._loop is None:
                if running and not self.draining:
                    _say(f"stopping: cancelling {_runs(running)}")
                return super().handle_sigterm(*args, **kwargs)
            self.draining = True
            poller = getattr(self, "_scheduled_run_poller", None)
            if poller is not None:
                poller.stopping = True  # no new run is picked up
            _say(
                f"stopping: waiting up to {self.grace_s:g} s for {_runs(running)} to finish "
                "(send the signal again to cancel now)"
            )
            self.execute_in_background(self._drain_then_stop)

        async def _drain_then_stop(self) -> None:
            import anyio

            deadline = time.monotonic() + self.grace_s
            active = self.starter.active if self.starter is not None else {}
            while active and time.monotonic() < deadline:
                await anyio.sleep(0.2)
            if active:
                _say(f"grace period over: cancelling {_runs(active)}")
                # As a user's cancel does: the run goes Cancelling, the runner stops its
                # executor and records it Cancelled.
                from prefect.states import Cancelling

                for run_id in list(active):
                    try:
                        await self._client.set_flow_run_state(
                            run_id, Cancelling(message="newsetl serve is stopping"), force=True
                        )
                    except Exception as exc:  # noqa: BLE001 - astop below kills it anyway
                        _logger().warning("could not cancel flow run %s: %s", run_id, exc)
                # Prefect's runner gives a cancelled process 30 s to end before killing it.
                deadline = time.monotonic() + 40
                while active and time.monotonic() < deadline:
                    await anyio.sleep(0.2)
            else:
                _say("the running run(s) finished: stopping")
            if self.started:
                await self.astop()

        async def aadd_deployment(self, deployment: Any) -> Any:
            deployment_id = await super().aadd_deployment(deployment)
            if deployment.flow_name == scrape.name:
                self.warm_deployments.add(deployment_id)
            return deployment_id

        async def __aenter__(self) -> Any:
            result = await super().__aenter__()
            poller = getattr(self, "_scheduled_run_poller", None)
            registry = getattr(self, "_deployment_registry", None)
            default = getattr(poller, "_resolve_starter", None)
            if poller is None or registry is None or default is None:
                print(
                    "newsetl serve: this Prefect version's runner has no starter hook; "
                    "runs start in new processes (slower start, same results)",
                    file=sys.stderr,
                    flush=True,
                )
                return result

            def is_ours(flow_run: Any) -> bool:
                return flow_run.deployment_id in self.warm_deployments

            def name_of(flow_run: Any) -> str | None:
                return registry.get_deployment_name(flow_run.deployment_id)

            poller._resolve_starter = make_resolver(self.warm_pool, default, is_ours, name_of)
            self.starter = poller._resolve_starter.starter  # type: ignore[attr-defined]
            self.warm_pool.warm()
            return result

        async def __aexit__(self, *exc_info: Any) -> None:
            try:
                await super().__aexit__(*exc_info)
            finally:
                self.warm_pool.close()

    return WarmRunner
