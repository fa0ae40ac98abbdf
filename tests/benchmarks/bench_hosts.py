"""Benchmark (make bench): politeness at scale. 200 local hosts (one port each, tests/hostfarm.py) × 20
releases, ``min_interval = 0.5``: each host needs robots.txt, its feed and 20 pages, 22 request starts
0.5 s apart, so no polite crawl can take less than the *bound* of 20 × 0.5 = 10 s, however many hosts
run at once. Four sources at a time (before issue 16) would take 50 rounds of it.

1. one process: ``pressroom run`` (the CLI, in a subprocess) over all 200 sources;
2. two workers: a real ``prefect server``, ``infra/prefect.yaml`` deployed to a process pool, two
   ``prefect worker`` processes, and a ``nightly`` deployment run fanned out into ``source-jobs`` runs
   of ``JOBS_PER_RUN`` sources each (a flow run is a Python process: a few seconds of CPU to start,
   so one per source would cost the 2-core machine more than the fetching).

Each is timed from start to the run's end (server and workers already up) and reported as a ratio to
the bound; both must finish within 3× of it, every release must be loaded, and no host may see two
requests less than ``min_interval`` apart (by the servers' clocks, less 50 ms of arrival jitter).
Writes tests/benchmarks/results/hosts.json.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import requests

from tests.flows.test_prefect_server import PREFECT, REPO, _background, _free_port, _tail
from tests.hostfarm import HostFarm, feed_sources_toml

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "hosts.json"
PRESSROOM = Path(sys.executable).with_name("pressroom")
HOSTS, RELEASES, MIN_INTERVAL = 200, 20, 0.5
BOUND = RELEASES * MIN_INTERVAL
JOBS_PER_RUN = 100
SLACK = 0.05
LIMIT = 3.0


def _env(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PREFECT_", "PRESSROOM_"))}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1",
               PREFECT_UI_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING", PREFECT_WORKER_QUERY_SECONDS="1",
               PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="90")
    return env


def _loaded(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (count,) = con.execute("SELECT count(*) FROM releases").fetchone() or (0,)
    return int(count)


def _check_politeness(farm: HostFarm) -> float:
    gaps = farm.shortest_gaps()
    assert len(gaps) == HOSTS and farm.total_requests() == HOSTS * (RELEASES + 2)
    shortest = min(gaps.values())
    assert shortest >= MIN_INTERVAL - SLACK, sorted(gaps.items(), key=lambda item: item[1])[:5]
    return shortest


def one_process(work: Path) -> dict[str, float]:
    with HostFarm(HOSTS, RELEASES) as farm:
        sources = feed_sources_toml(farm, work / "sources.toml", min_interval=MIN_INTERVAL)
        command = [str(PRESSROOM), "--data-dir", str(work / "data"), "--sources", str(sources), "run"]
        began = time.monotonic()
        done = subprocess.run(command, env=_env(work / "prefect"), capture_output=True, text=True, check=False)
        wall = time.monotonic() - began
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        shortest = _check_politeness(farm)
    assert _loaded(work / "data" / "pressroom.duckdb") == HOSTS * RELEASES
    return {"wall_s": round(wall, 1), "ratio_to_bound": round(wall / BOUND, 2), "shortest_gap_s": round(shortest, 3)}


def two_workers(work: Path) -> dict[str, float]:
    env = _env(work / "prefect")
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env["PREFECT_API_URL"] = api
    with _background([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)], env=env,
                     log=work / "server.log", cwd=work):
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{api}/health", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, _tail(work / "server.log")
            time.sleep(0.5)
        requests.post(f"{api}/work_pools/", json={"name": "pressroom", "type": "process"}, timeout=10)
        deploy = subprocess.run([PREFECT, "--no-prompt", "deploy", "--all", "--prefect-file", "infra/prefect.yaml"],
                                env=env, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
        assert deploy.returncode == 0, deploy.stdout[-3000:] + deploy.stderr[-3000:]
        with (HostFarm(HOSTS, RELEASES) as farm,
              _background([PREFECT, "worker", "start", "--pool", "pressroom", "--type", "process"], env=env,
                          log=work / "worker-1.log", cwd=work),
              _background([PREFECT, "worker", "start", "--pool", "pressroom", "--type", "process"], env=env,
                          log=work / "worker-2.log", cwd=work)):
            sources = feed_sources_toml(farm, work / "sources.toml", min_interval=MIN_INTERVAL)
            time.sleep(3)  # both workers polling
            began = time.monotonic()
            run = subprocess.run(
                [PREFECT, "deployment", "run", "nightly/nightly", "--param", f"data_dir={work / 'data'}",
                 "--param", f"sources_file={sources}", "--param", f"jobs_per_run={JOBS_PER_RUN}",
                 "--watch", "--watch-interval", "1", "--watch-timeout", "600"],
                env=env, cwd=work, capture_output=True, text=True, timeout=700, check=False)
            wall = time.monotonic() - began
            assert run.returncode == 0, run.stdout[-3000:] + _tail(work / "worker-1.log") + _tail(work / "worker-2.log")
            shortest = _check_politeness(farm)
    assert _loaded(work / "data" / "pressroom.duckdb") == HOSTS * RELEASES
    return {"wall_s": round(wall, 1), "ratio_to_bound": round(wall / BOUND, 2), "shortest_gap_s": round(shortest, 3),
            "flow_runs": 1 + HOSTS // JOBS_PER_RUN}


@pytest.mark.parametrize("shape", ["one-process", "two-workers"])
def test_200_hosts_finish_within_three_times_the_politeness_bound(shape: str, tmp_path: Path) -> None:
    figures = one_process(tmp_path) if shape == "one-process" else two_workers(tmp_path)
    print(f"\n{shape}: {HOSTS} hosts × {RELEASES} releases at {MIN_INTERVAL} s: {figures['wall_s']} s, "
          f"{figures['ratio_to_bound']}× the {BOUND:g} s bound (four at a time: ~{HOSTS / 4:g}×); "
          f"shortest gap between two requests to one host {figures['shortest_gap_s']} s")
    results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    results.update({"machine": platform.machine(), "python": platform.python_version(), "cpus": os.cpu_count(),
                    "hosts": HOSTS, "releases": RELEASES, "min_interval": MIN_INTERVAL, "bound_s": BOUND,
                    shape: figures})
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    assert figures["ratio_to_bound"] <= LIMIT
