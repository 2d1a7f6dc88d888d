"""A Prefect server, a process work pool and two process workers: what each step costs.

    python benchmarks/workpool.py [--defaults] [--repeat N] [--keep DIR]

Runs the scenario of ``tests/flows/test_workpool.py`` (server on 127.0.0.1 with its own
PREFECT_HOME, ``work-pool create``, ``prefect --no-prompt deploy --all`` of three sources
with ``concurrency_limit: 1 / ENQUEUE``, two ``prefect worker start`` children, two runs of
each source) against the demo sites, and prints the figures: server start, pool create and
deploy seconds, trigger -> Pending (a worker picked the run up) -> Running (the flow-run
process started) seconds, per-run wall time, RSS of a worker and of a flow-run process.

By default the Prefect delays are shortened as in the test (workers poll every 2 s; a run
held back by its deployment's limit is retried after 2 s). ``--defaults`` keeps Prefect's
own (10 s and 30 s), which is what a deployment gets unless it sets them.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsetl.demo.server import SiteServer  # noqa: E402
from newsetl.demo.sites import news_site, wix_blog  # noqa: E402
from tests.flows.test_workpool import run_figures, run_scenario  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--defaults", action="store_true", help="Prefect's own polling delays")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--keep", type=Path, help="keep the logs and data under this folder")
    args = ap.parse_args()
    results = []
    for i in range(args.repeat):
        with (
            tempfile.TemporaryDirectory(prefix="newsetl-bench-workpool-") as scratch,
            SiteServer(wix_blog()) as wix,
            SiteServer(news_site()) as news,
        ):
            tmp = (args.keep / f"run-{i}") if args.keep else Path(scratch)
            tmp.mkdir(parents=True, exist_ok=True)
            result = run_scenario(tmp, wix.url, news.url, fast=not args.defaults)
            states = {r["name"]: r["state"]["name"] for r in result["runs"]}
            figures = {k: round(v, 2) for k, v in result["timings"].items()}
            figures |= run_figures(result)
            figures["states"] = sorted(set(states.values()))
            figures["runs_per_worker"] = {
                w: sum(r["labels"].get("prefect.worker.name") == w for r in result["runs"])
                for w in ("worker-a", "worker-b")
            }
            results.append(figures)
            print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
