"""Benchmark (make bench): politeness at scale. 200 local hosts (one port each, tests/hostfarm.py) × 20
releases, ``min_interval = 0.5``: each host needs robots.txt, its feed and 20 pages, 22 request starts
0.5 s apart, so no polite crawl can take less than the *bound* of 20 × 0.5 = 10 s, however many hosts
run at once. Four sources at a time (before issue 16) would take 50 rounds of it.

1. one process: ``pressroom run`` (the CLI, in a subprocess) over all 200 sources;
2. two workers: the README's scale-out stack, a real ``prefect server`` on PostgreSQL (the session's
   throwaway cluster, tests/pgcluster.py), ``infra/prefect.yaml`` deployed to a process pool, two
   ``prefect worker`` processes writing a DuckLake warehouse whose catalog is in the same PostgreSQL, and
   a ``nightly`` deployment run fanned out into ``source-jobs`` runs of ``JOBS_PER_RUN`` sources each
   (a flow run is a Python process: a few seconds of CPU to start, so one per source would cost the
   2-core machine more than the fetching).

Each is timed from start to the run's end (server and workers already up; the one process's Prefect home
warmed by an empty flow, as on a second night), once with
``min_interval = 0`` (the baseline: the pipeline's own work on 4,000 releases, no politeness waits) and
once with 0.5, in the same run. Reported: the polite run as a ratio to the bound, and the time
politeness adds (polite − baseline) as a ratio to the bound. Asserted: every release loaded, no host
seeing two requests less than ``min_interval`` apart (by the servers' clocks), and the time
politeness adds within 3× the bound — four at a time would add ~50×. The absolute ratio is printed,
not asserted: on a shared 2-core machine the pipeline's own CPU per release, not politeness, decides
it. Writes tests/benchmarks/results/hosts.json.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb
import pytest
import requests

from pressroom.warehouse import Warehouse
from tests.flows.test_prefect_server import PREFECT, REPO, _background, _free_port, _tail
from tests.hostfarm import HostFarm, feed_sources_toml
from tests.pgcluster import PgCluster

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "hosts.json"
PRESSROOM = Path(sys.executable).with_name("pressroom")
HOSTS, RELEASES, MIN_INTERVAL = 200, 20, 0.5
BOUND = RELEASES * MIN_INTERVAL
JOBS_PER_RUN = 100
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


def _check_politeness(farm: HostFarm, interval: float) -> float:
    gaps = farm.shortest_gaps()
    with farm.lock:
        extra = Counter(path for hits in farm.log.values() for _, path in hits)
    assert len(gaps) == HOSTS and farm.total_requests() == HOSTS * (RELEASES + 2), (
        len(gaps), farm.total_requests(), [(path, n) for path, n in extra.items() if n != HOSTS][:10])
    shortest = min(gaps.values())
    assert shortest >= interval, sorted(gaps.items(), key=lambda item: item[1])[:5]
    return shortest


def warm_prefect_home(home: Path) -> None:
    """Run one empty flow with ``home``: its ephemeral server's database is created and migrated (~15 s on a
    fresh home) before the timed runs, as it is for a user's second night. The two-worker shape times from
    a server already up too."""
    code = "from prefect import flow\n\n@flow\ndef warm() -> None:\n    pass\n\nwarm()\n"
    done = subprocess.run([sys.executable, "-c", code], env=_env(home), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]


def one_process(work: Path, interval: float, home: Path) -> dict[str, float]:
    work.mkdir(parents=True, exist_ok=True)
    with HostFarm(HOSTS, RELEASES) as farm:
        sources = feed_sources_toml(farm, work / "sources.toml", min_interval=interval)
        command = [str(PRESSROOM), "--data-dir", str(work / "data"), "--sources", str(sources), "run"]
        began = time.monotonic()
        done = subprocess.run(command, env=_env(home), capture_output=True, text=True, check=False)
        wall = time.monotonic() - began
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        shortest = _check_politeness(farm, interval)
    assert _loaded(work / "data" / "pressroom.duckdb") == HOSTS * RELEASES
    return {"wall_s": round(wall, 1), "shortest_gap_s": round(shortest, 3)}


def two_workers(work: Path, interval: float, pg_cluster: PgCluster) -> dict[str, float]:
    """The scale-out stack of the README: a Prefect server on PostgreSQL, two workers, the warehouse on
    DuckLake with its catalog in the same PostgreSQL (a DuckDB file takes one process at a time)."""
    work.mkdir(parents=True, exist_ok=True)
    env = _env(work / "prefect")
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env["PREFECT_API_URL"] = api
    prefect_db, lake_dsn = pg_cluster.new_database(), pg_cluster.new_database()
    server_env = {**env, "PREFECT_API_DATABASE_CONNECTION_URL":
                  f"postgresql+asyncpg://postgres@127.0.0.1:{pg_cluster.port}/{_dbname(prefect_db)}"}
    lake = f"ducklake:postgres:{lake_dsn}"
    worker_env = {**env, "PRESSROOM_WAREHOUSE": lake, "PRESSROOM_LAKE_DATA_PATH": str(work / "lake-files")}
    with _background([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)], env=server_env,
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
              _background([PREFECT, "worker", "start", "--pool", "pressroom", "--type", "process"], env=worker_env,
                          log=work / "worker-1.log", cwd=work),
              _background([PREFECT, "worker", "start", "--pool", "pressroom", "--type", "process"], env=worker_env,
                          log=work / "worker-2.log", cwd=work)):
            sources = feed_sources_toml(farm, work / "sources.toml", min_interval=interval)
            time.sleep(3)  # both workers polling
            began = time.monotonic()
            run = subprocess.run(
                [PREFECT, "deployment", "run", "nightly/nightly", "--param", f"data_dir={work / 'data'}",
                 "--param", f"sources_file={sources}", "--param", f"jobs_per_run={JOBS_PER_RUN}",
                 "--watch", "--watch-interval", "1", "--watch-timeout", "900"],
                env=env, cwd=work, capture_output=True, text=True, timeout=1000, check=False)
            wall = time.monotonic() - began
            assert run.returncode == 0, run.stdout[-3000:] + _tail(work / "worker-1.log") + _tail(work / "worker-2.log")
            shortest = _check_politeness(farm, interval)
    with Warehouse(lake).reader() as con:
        (loaded,) = con.execute("SELECT count(*) FROM releases").fetchone() or (0,)
    assert loaded == HOSTS * RELEASES
    return {"wall_s": round(wall, 1), "shortest_gap_s": round(shortest, 3), "flow_runs": 1 + HOSTS // JOBS_PER_RUN}


def _dbname(dsn: str) -> str:
    return dict(part.split("=", 1) for part in dsn.split())["dbname"]


@pytest.mark.parametrize("shape", ["one-process", "two-workers"])
def test_200_hosts_politeness_costs_within_three_times_its_bound(shape: str, tmp_path: Path,
                                                                 request: pytest.FixtureRequest) -> None:
    if shape == "one-process":
        home = tmp_path / "prefect-home"
        warm_prefect_home(home)
        baseline = one_process(tmp_path / "baseline", 0.0, home)
        polite = one_process(tmp_path / "polite", MIN_INTERVAL, home)
    else:
        pg_cluster = request.getfixturevalue("pg_cluster")
        baseline = two_workers(tmp_path / "baseline", 0.0, pg_cluster)
        polite = two_workers(tmp_path / "polite", MIN_INTERVAL, pg_cluster)
    added = polite["wall_s"] - baseline["wall_s"]
    figures = {"baseline_wall_s": baseline["wall_s"], "polite_wall_s": polite["wall_s"],
               "polite_ratio_to_bound": round(polite["wall_s"] / BOUND, 2),
               "added_by_politeness_s": round(added, 1), "added_ratio_to_bound": round(added / BOUND, 2),
               "shortest_gap_s": polite["shortest_gap_s"], "load_average": round(os.getloadavg()[0], 1)}
    print(f"\n{shape}: {HOSTS} hosts × {RELEASES} releases: baseline (no interval) {baseline['wall_s']} s; at "
          f"{MIN_INTERVAL} s {polite['wall_s']} s = {figures['polite_ratio_to_bound']}× the {BOUND:g} s bound; "
          f"politeness adds {figures['added_by_politeness_s']} s = {figures['added_ratio_to_bound']}× the bound "
          f"(four at a time: ~{HOSTS / 4:g}×); shortest gap at one host {polite['shortest_gap_s']} s; "
          f"load average {figures['load_average']}")
    results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    results.update({"machine": platform.machine(), "python": platform.python_version(), "cpus": os.cpu_count(),
                    "hosts": HOSTS, "releases": RELEASES, "min_interval": MIN_INTERVAL, "bound_s": BOUND,
                    shape: figures})
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    assert added <= LIMIT * BOUND
