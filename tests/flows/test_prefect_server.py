"""Proof with a real Prefect server: ``prefect server start`` (SQLite under tmp) as a subprocess, then

1. ``python -m pressroom.flows.serve`` serving both deployments, and a backfill triggered through the Prefect
   client (``run_deployment``) against the demo mirror;
2. ``infra/prefect.yaml`` deployed with ``prefect deploy`` to a ``process`` work pool, a worker, and
   the manual backfill command documented in infra/README.md.

Everything that talks to this server runs in a subprocess whose environment alone names it
(``PREFECT_API_URL``), so the session's ``prefect_test_harness`` (the ``prefect_server`` fixture) and
this server never see each other. Plain HTTP (``requests``) checks health and reads deployments.
Every subprocess is killed in a ``finally``, with its whole process group. Each wait is bounded (90 s
for the server's health, 180 s per flow run). On an idle machine the module takes about 75 s: server
start ~15 s, served backfill ~25 s, deploy + worker + documented command ~25 s.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import requests

from pressroom.infra.demo.server import DemoMirror
from tests.flows.helpers import rows

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PREFECT = str(Path(sys.executable).parent / "prefect")
STARTUP_TIMEOUT = 90.0
RUN_TIMEOUT = 180


@dataclass(frozen=True)
class Server:
    api: str
    env: dict[str, str]
    logs: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, SIGKILL whatever is left of it after 15 s."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@contextmanager
def _background(args: Sequence[str], *, env: dict[str, str], log: Path, cwd: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(list(args), env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            yield process
        finally:
            _stop(process)


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]) if path.exists() else ""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("prefect-real-server")
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PREFECT_", "PRESSROOM_"))}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1",
               PREFECT_UI_ENABLED="false", PREFECT_LOGGING_LEVEL="INFO",
               PREFECT_WORKER_QUERY_SECONDS="1")  # a fanned-out run's source jobs are picked up at once
    logs = home / "server.log"
    with _background([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                     env=env, log=logs, cwd=home) as process:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            assert process.poll() is None, f"prefect server exited:\n{_tail(logs)}"
            with suppress(requests.RequestException):
                if requests.get(f"{api}/health", timeout=2).ok:
                    break
            assert time.monotonic() < deadline, f"no /api/health after {STARTUP_TIMEOUT:g} s:\n{_tail(logs)}"
            time.sleep(0.3)
        yield Server(api=api, env={**env, "PREFECT_API_URL": api}, logs=home)


def _expected(mirror: DemoMirror, site: str, start: date, end: date) -> int:
    return sum(1 for release in mirror.site(site).releases if start <= release.date <= end)


TRIGGER = textwrap.dedent("""
    import asyncio, json, sys, time
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    async def wait_for(names, seconds):
        deadline = time.monotonic() + seconds
        async with get_client() as client:
            found = {}
            for name in names:
                while True:
                    try:
                        found[name] = await client.read_deployment_by_name(name)
                        break
                    except Exception:
                        if time.monotonic() > deadline:
                            raise
                        await asyncio.sleep(0.3)
            return found

    found = asyncio.run(wait_for(["nightly/nightly", "backfill/backfill"], 60))
    schedule = found["nightly/nightly"].schedules[0].schedule
    run = run_deployment("backfill/backfill", parameters=json.loads(sys.argv[1]), timeout=int(sys.argv[2]),
                         poll_interval=1)
    print(json.dumps({"state": run.state.type.value, "name": run.state.name, "id": str(run.id),
                      "cron": schedule.cron, "timezone": schedule.timezone}))
""")


def test_served_deployments_run_a_backfill_to_completed(server: Server, tmp_path: Path) -> None:
    start, end = date(2026, 9, 1), date(2026, 9, 30)
    with DemoMirror() as mirror:
        sources = mirror.write_sources(tmp_path / "sources.toml")
        params = {"sources": ["xa-mfa"], "start": start.isoformat(), "end": end.isoformat(),
                  "data_dir": str(tmp_path / "data"), "warehouse": str(tmp_path / "data" / "w.duckdb"),
                  "sources_file": str(sources)}
        serve_log = tmp_path / "serve.log"
        with _background([sys.executable, "-m", "pressroom.flows.serve", "--timezone", "Asia/Karachi"],
                         env=server.env, log=serve_log, cwd=REPO):
            trigger = subprocess.run([sys.executable, "-c", TRIGGER, json.dumps(params), str(RUN_TIMEOUT)],
                                     env=server.env, cwd=tmp_path, capture_output=True, text=True,
                                     timeout=RUN_TIMEOUT + 60, check=False)
        assert trigger.returncode == 0, f"{trigger.stderr[-3000:]}\n--- serve ---\n{_tail(serve_log)}"
        outcome = json.loads(trigger.stdout.strip().splitlines()[-1])
        expected = _expected(mirror, "valdoria", start, end)
    assert outcome["state"] == "COMPLETED", f"{outcome}\n{_tail(serve_log)}"
    assert (outcome["cron"], outcome["timezone"]) == ("0 2 * * *", "Asia/Karachi")
    warehouse = tmp_path / "data" / "w.duckdb"
    assert expected >= 3
    assert rows(warehouse, "SELECT source_id, count(*) FROM releases GROUP BY 1") == [("xa-mfa", expected)]
    assert rows(warehouse, "SELECT flow, status, prefect_flow_run_id FROM runs") == [
        ("backfill", "completed", outcome["id"])]


def test_prefect_yaml_on_a_process_pool_runs_the_documented_backfill(server: Server, tmp_path: Path) -> None:
    created = requests.post(f"{server.api}/work_pools/", json={"name": "pressroom", "type": "process"}, timeout=10)
    assert created.status_code in (201, 409), created.text
    deploy = subprocess.run([PREFECT, "--no-prompt", "deploy", "--all", "--prefect-file", "infra/prefect.yaml"],
                            env=server.env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert deploy.returncode == 0, deploy.stdout[-3000:] + deploy.stderr[-3000:]
    nightly = requests.get(f"{server.api}/deployments/name/nightly/nightly", timeout=10).json()
    backfill = requests.get(f"{server.api}/deployments/name/backfill/backfill", timeout=10).json()
    assert [(s["schedule"]["cron"], s["schedule"]["timezone"]) for s in nightly["schedules"]] == [
        ("0 2 * * *", "UTC")]
    assert nightly["work_pool_name"] == backfill["work_pool_name"] == "pressroom"
    assert nightly["entrypoint"] == "flows/nightly.py:nightly" and backfill["entrypoint"] == "flows/nightly.py:backfill"
    assert backfill["schedules"] == []
    assert {"sources", "start", "end"} <= set(backfill["parameter_openapi_schema"]["required"])
    assert backfill["pull_steps"] == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(REPO)}}]

    start, end = date(2026, 9, 1), date(2026, 10, 31)
    with DemoMirror() as mirror:
        sources = mirror.write_sources(tmp_path / "sources.toml")
        worker_log = tmp_path / "worker.log"
        with _background([PREFECT, "worker", "start", "--pool", "pressroom", "--type", "process"],
                         env=server.env, log=worker_log, cwd=tmp_path):
            # The command infra/README.md documents, plus where this test keeps its data.
            run = subprocess.run(
                [PREFECT, "deployment", "run", "backfill/backfill", "--param", 'sources=["xb-mea"]',
                 "--param", f"start={start}", "--param", f"end={end}",
                 "--param", f"data_dir={tmp_path / 'data'}", "--param", f"sources_file={sources}",
                 "--watch", "--watch-timeout", str(RUN_TIMEOUT)],
                env=server.env, cwd=tmp_path, capture_output=True, text=True, timeout=RUN_TIMEOUT + 60, check=False)
        assert run.returncode == 0, f"{run.stdout[-3000:]}{run.stderr[-2000:]}\n--- worker ---\n{_tail(worker_log)}"
        assert "Flow run finished successfully in 'Completed'" in run.stdout
        expected = _expected(mirror, "norland", start, end)
    warehouse = tmp_path / "data" / "pressroom.duckdb"
    assert expected >= 3
    assert rows(warehouse, "SELECT source_id, count(*) FROM releases GROUP BY 1") == [("xb-mea", expected)]
    assert rows(warehouse, "SELECT flow, status FROM runs") == [("backfill", "completed")]
    # The source's one chunk (an html source is not cut per month) ran as a flow run of its own.
    jobs = requests.post(f"{server.api}/flow_runs/filter", timeout=10,
                         json={"deployments": {"name": {"any_": ["source-jobs"]}}}).json()
    assert [(run["state_type"], run["parameters"]["jobs"]) for run in jobs] == [
        ("COMPLETED", [{"source": "xb-mea", "start": str(start), "end": str(end)}])]


def test_deployments_are_built_with_an_explicit_timezone_and_checked_first() -> None:
    from pressroom.flows.serve import build_deployments, serve_deployments

    nightly, backfill = build_deployments(cron="30 1 * * *", timezone="Europe/Berlin",
                                          defaults={"data_dir": "/srv/pressroom", "warehouse": None})
    assert (nightly.name, backfill.name) == ("nightly", "backfill")
    # by module, so that a runner loads them from an installed wheel as well as from a checkout
    assert (nightly.entrypoint, backfill.entrypoint) == ("pressroom.flows.nightly.nightly",
                                                         "pressroom.flows.nightly.backfill")
    (schedule,) = nightly.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("30 1 * * *", "Europe/Berlin")
    assert backfill.schedules == []
    assert nightly.parameters == backfill.parameters == {"data_dir": "/srv/pressroom"}
    assert {"sources", "start", "end"} <= set(backfill._parameter_openapi_schema.required)
    for kwargs, message in [({"timezone": "Mars/Olympus"}, "IANA"), ({"cron": "0 2 * *"}, "5 fields"),
                            ({"cron": "0 25 * * *"}, "not valid"), ({"limit": 0}, "limit")]:
        with pytest.raises(ValueError, match=message):
            serve_deployments(**kwargs)
    with pytest.raises(ValueError, match="unknown default"):
        build_deployments(defaults={"sources": ["x"]})
