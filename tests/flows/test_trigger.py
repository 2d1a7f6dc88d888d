"""`newsetl trigger`: a run is created once, whatever the server does to the requests.

A real Prefect API (the session's test server) and, between it and the trigger, a real HTTP
proxy on 127.0.0.1 that answers 503 as a locked SQLite database does, and that forwards a
request but drops its answer (the run is created; the client does not know it).
"""

from __future__ import annotations

import http.server
import json
import subprocess
import threading
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from flows.trigger import TriggerError, parse_parameters, trigger
from tests.conftest import ROOT, newsetl_cmd

FLOW = "newsetl-trigger-test"  # not the product's flow: other tests count its runs


def _api(base: str, method: str, path: str, body=None):
    req = urllib.request.Request(
        f"{base}/{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"null")


@pytest.fixture(scope="module")
def deployment(prefect_api):
    flow = _api(prefect_api, "POST", "flows/", {"name": FLOW})
    name = f"dep-{uuid.uuid4().hex[:8]}"
    dep = _api(prefect_api, "POST", "deployments/", {"name": name, "flow_id": flow["id"]})
    return {"api": prefect_api, "name": name, "id": dep["id"]}


def _runs_of(dep) -> list[dict]:
    return _api(
        dep["api"],
        "POST",
        "flow_runs/filter",
        {"flow_runs": {"deployment_id": {"any_": [dep["id"]]}}, "limit": 200},
    )


class FaultyProxy:
    """Forwards to the API; the first ``refuse`` create_flow_run POSTs get 503, the next
    ``drop`` are forwarded and their answers thrown away (the connection closes)."""

    def __init__(self, upstream: str, refuse: int, drop: int) -> None:
        self.upstream, self.refuse, self.drop = upstream, refuse, drop
        self.seen: list[str] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # noqa: ANN002
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                creating = self.path.endswith("/create_flow_run")
                if creating and proxy.refuse > 0:
                    proxy.refuse -= 1
                    proxy.seen.append("503")
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                tail = self.path.split("/api", 1)[1]
                req = urllib.request.Request(
                    proxy.upstream + tail,
                    data=body,
                    method=self.command,
                    headers={"Content-Type": "application/json"},
                )
                try:
                    with urllib.request.urlopen(req, timeout=30) as resp:
                        status, payload = resp.status, resp.read()
                except urllib.error.HTTPError as exc:
                    status, payload = exc.code, exc.read()
                if creating and proxy.drop > 0:
                    proxy.drop -= 1
                    proxy.seen.append(f"dropped {status}")
                    self.close_connection = True
                    self.connection.close()  # the run exists; the answer never arrives
                    return
                proxy.seen.append(str(status))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_the_same_key_twice_is_one_run(deployment):
    key = f"nightly-{uuid.uuid4().hex[:6]}"
    first = trigger(f"{FLOW}/{deployment['name']}", key=key, api=deployment["api"])
    again = trigger(f"{FLOW}/{deployment['name']}", key=key, api=deployment["api"])
    assert first.created and not again.created
    assert again.flow_run_id == first.flow_run_id
    mine = [r for r in _runs_of(deployment) if r["idempotency_key"] == key]
    assert [r["id"] for r in mine] == [first.flow_run_id]


def test_busy_answers_and_a_lost_answer_are_retried_without_a_second_run(deployment):
    proxy = FaultyProxy(deployment["api"], refuse=2, drop=1)
    try:
        before = len(_runs_of(deployment))
        run = trigger(
            f"{FLOW}/{deployment['name']}",
            api=proxy.url,
            parameters={"max_pages": 5},
            timeout_s=30,
        )
    finally:
        proxy.close()
    # 503, 503, created-but-answer-lost, then the server's "exists already" (200).
    assert proxy.seen == ["200", "503", "503", "dropped 201", "200"], proxy.seen
    assert run.attempts == 4 and not run.created
    runs = _runs_of(deployment)
    assert len(runs) == before + 1
    made = next(r for r in runs if r["id"] == run.flow_run_id)
    assert made["idempotency_key"] == run.key and made["parameters"]["max_pages"] == 5


def test_a_burst_of_triggers_from_the_command_line_creates_every_run(deployment, cli_env):
    before = {r["id"] for r in _runs_of(deployment)}

    def one(i: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            newsetl_cmd("trigger", f"{FLOW}/{deployment['name']}", "-p", f"max_pages={i}"),
            env=cli_env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    with ThreadPoolExecutor(8) as pool:
        done = list(pool.map(one, range(1, 9)))
    assert all(p.returncode == 0 for p in done), [p.stderr for p in done]
    assert all(p.stdout.startswith("created flow run ") for p in done)
    new = [r for r in _runs_of(deployment) if r["id"] not in before]
    assert sorted(r["parameters"]["max_pages"] for r in new) == list(range(1, 9))


def test_unknown_deployment_names_the_known_ones(deployment, cli_env):
    out = subprocess.run(
        newsetl_cmd("trigger", f"{FLOW}/no-such-thing", "--timeout", "10s"),
        env=cli_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert f"no deployment {FLOW}/no-such-thing" in out.stderr
    assert deployment["name"] in out.stderr and "prefect.yaml" in out.stderr


def test_no_server_is_exit_1_with_the_fix(cli_env):
    env = dict(cli_env, PREFECT_API_URL="http://127.0.0.1:9/api")
    out = subprocess.run(
        newsetl_cmd("trigger", "anything", "--timeout", "1s"),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1
    assert "did not accept the request" in out.stderr and "newsetl serve" in out.stderr


def test_parameters_are_json_or_strings():
    assert parse_parameters(
        ["max_pages=5", "source=blog", 'start_urls=["https://a.example/"]']
    ) == {
        "max_pages": 5,
        "source": "blog",
        "start_urls": ["https://a.example/"],
    }
    with pytest.raises(TriggerError, match="NAME=VALUE"):
        parse_parameters(["max_pages"])
