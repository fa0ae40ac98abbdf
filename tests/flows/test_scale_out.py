"""Issue 16's acceptance, for real: a PostgreSQL cluster (tests/pgcluster.py) holding a Prefect server's
database and a DuckLake catalog; ``prefect server start`` on it; ``infra/prefect.yaml`` deployed to a
``process`` pool; two ``prefect worker`` processes; and a ``backfill`` deployment run over four local
sources, one per connector kind (wordpress, feed, html, govuk), fanned out into ``source-jobs`` flow
runs that the two workers share — the WordPress source's two months in two different runs, so two
processes want its host at once.

Afterwards the DuckLake warehouse must equal what one ``pressroom backfill`` process loads into a
DuckDB file from the same sites (release ids and versions, findings, the published set), and no site
may have seen two requests less than ``min_interval`` apart, by its own clock.

Cost: the Prefect server, four flow-run processes on the workers and one backfill in this process:
77 s on the 2-core machine at load ~5 (plus the session's Postgres and Prefect harness, shared with
other tests); 5–7 minutes at load ~30.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import requests

from pressroom.warehouse import Warehouse
from tests.connectors.wpserver import WordpressMirror, sources_toml
from tests.flows.helpers import cli
from tests.flows.test_prefect_server import PREFECT, REPO, STARTUP_TIMEOUT, _background, _free_port, _tail
from tests.hostfarm import HostFarm, source_entry
from tests.pgcluster import PgCluster

pytestmark = pytest.mark.slow

START, END = date(2026, 5, 1), date(2026, 6, 30)
INTERVAL = 0.25
# Gaps are judged by arrival at the server. The client spaces a request from the end of the previous
# one, which the server stamped earlier still, so no slack is needed for network delays.
KINDS = ("feed", "html", "govuk")
SOURCES = ["us-state", "x-feed", "x-html", "x-govuk"]
COMPARED = {
    "releases": "SELECT release_id, source_id, version, content_hash FROM releases ORDER BY ALL",
    "versions": "SELECT release_id, version, content_hash FROM release_versions ORDER BY ALL",
    "findings": "SELECT release_id, check_id, severity, field, span_start, span_end FROM dq_findings ORDER BY ALL",
    "published": "SELECT release_id, source_id, version, content_hash FROM published_releases ORDER BY ALL",
}


class TimedWordpress(WordpressMirror):
    """The WordPress mirror, stamping when each request arrived."""

    def __init__(self, count: int, **kwargs: object) -> None:
        super().__init__(count, **kwargs)  # type: ignore[arg-type]
        self.arrivals: list[float] = []
        self._arrivals_lock = threading.Lock()

    def answer(self, path: str) -> tuple[int, dict[str, str], bytes]:
        with self._arrivals_lock:
            self.arrivals.append(time.monotonic())
        return super().answer(path)

    def shortest_gap(self) -> float:
        with self._arrivals_lock:
            times = sorted(self.arrivals)
        return min((b - a for a, b in itertools.pairwise(times)), default=float("inf"))


def _snapshot(warehouse: Warehouse) -> dict[str, list[tuple[object, ...]]]:
    with warehouse.reader() as con:
        return {name: con.execute(sql).fetchall() for name, sql in COMPARED.items()}


def _dbname(dsn: str) -> str:
    return dict(part.split("=", 1) for part in dsn.split())["dbname"]


def test_two_workers_backfill_four_sources_into_ducklake_as_one_process_would(
    pg_cluster: PgCluster, prefect_server: None, tmp_path: Path
) -> None:
    prefect_db, lake_dsn = pg_cluster.new_database(), pg_cluster.new_database()
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PREFECT_", "PRESSROOM_"))}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1",
               PREFECT_UI_ENABLED="false", PREFECT_LOGGING_LEVEL="INFO", PREFECT_WORKER_QUERY_SECONDS="1",
               PREFECT_API_URL=api)
    server_env = {**env, "PREFECT_API_DATABASE_CONNECTION_URL":
                  f"postgresql+asyncpg://postgres@127.0.0.1:{pg_cluster.port}/{_dbname(prefect_db)}"}
    lake = f"ducklake:postgres:{lake_dsn}"
    worker_env = {**env, "PRESSROOM_WAREHOUSE": lake, "PRESSROOM_LAKE_DATA_PATH": str(tmp_path / "lake-files"),
                  "PRESSROOM_DATA_DIR": str(tmp_path / "lake-data")}
    with (_background([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)], env=server_env,
                      log=tmp_path / "server.log", cwd=tmp_path) as server,
          HostFarm(len(KINDS), 12) as farm,
          TimedWordpress(40, newest=datetime(2026, 6, 30, 18, 0), step=timedelta(days=1)) as wordpress):
        entries = [source_entry(kind, f"x-{kind}", netloc, min_interval=INTERVAL)
                   for kind, netloc in zip(KINDS, farm.netlocs, strict=True)]
        sources = tmp_path / "sources.toml"
        sources.write_text(sources_toml(wordpress, min_interval=INTERVAL) + "\n".join(entries), encoding="utf-8")
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            assert server.poll() is None, _tail(tmp_path / "server.log")
            try:
                if requests.get(f"{api}/health", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, _tail(tmp_path / "server.log")
            time.sleep(0.3)
        created = requests.post(f"{api}/work_pools/", json={"name": "pressroom", "type": "process"}, timeout=10)
        assert created.status_code in (201, 409), created.text
        deploy = subprocess.run([PREFECT, "--no-prompt", "deploy", "--all", "--prefect-file", "infra/prefect.yaml"],
                                env=env, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
        assert deploy.returncode == 0, deploy.stdout[-3000:] + deploy.stderr[-3000:]
        with (_background([PREFECT, "worker", "start", "--pool", "pressroom", "--name", "w1"], env=worker_env,
                          log=tmp_path / "worker-1.log", cwd=tmp_path),
              _background([PREFECT, "worker", "start", "--pool", "pressroom", "--name", "w2"], env=worker_env,
                          log=tmp_path / "worker-2.log", cwd=tmp_path)):
            run = subprocess.run(
                [PREFECT, "deployment", "run", "backfill/backfill", "--param", f"sources={json.dumps(SOURCES)}",
                 "--param", f"start={START}", "--param", f"end={END}", "--param", f"sources_file={sources}",
                 "--param", "jobs_per_run=2", "--watch", "--watch-interval", "1", "--watch-timeout", "400"],
                env=env, cwd=tmp_path, capture_output=True, text=True, timeout=460, check=False)
            logs = "\n".join(_tail(tmp_path / f"worker-{n}.log", 60) for n in (1, 2))
            assert run.returncode == 0, f"{run.stdout[-3000:]}{run.stderr[-2000:]}\n--- workers ---\n{logs}"
        jobs = requests.post(f"{api}/flow_runs/filter", timeout=10,
                             json={"deployments": {"name": {"any_": ["source-jobs"]}}}).json()
        gaps = {**farm.shortest_gaps(), wordpress.base_url: wordpress.shortest_gap()}
        fanned = _snapshot(Warehouse(lake))

        code, output = cli("--data-dir", str(tmp_path / "single"), "--sources", str(sources), "backfill",
                           *itertools.chain.from_iterable(("--source", s) for s in SOURCES),
                           "--from", START.isoformat(), "--to", END.isoformat())
        assert code == 0, output
    single = _snapshot(Warehouse(tmp_path / "single" / "pressroom.duckdb"))

    assert len(single["releases"]) == 40 + len(KINDS) * 12
    assert {name: len(rows) for name, rows in fanned.items()} == {name: len(rows) for name, rows in single.items()}
    assert fanned == single
    assert min(gaps.values()) >= INTERVAL, gaps
    # Six jobs (WordPress and GOV.UK are cut per month), two per run, round robin: the WordPress
    # source's May and June are in different runs, each a process of its own.
    specs = sorted(sorted((spec["source"], spec["start"]) for spec in job["parameters"]["jobs"]) for job in jobs)
    assert specs == [[("us-state", "2026-05-01"), ("x-feed", "2026-05-01")],
                     [("us-state", "2026-06-01"), ("x-govuk", "2026-06-01")],
                     [("x-govuk", "2026-05-01"), ("x-html", "2026-05-01")]]
    assert {job["state_type"] for job in jobs} == {"COMPLETED"}
    assert len({job["infrastructure_pid"] for job in jobs}) == 3
