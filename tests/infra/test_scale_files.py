"""infra/prefect.yaml, infra/stack.sh and infra/docker-compose.yml describe one stack and stay in step:
the deployments the fan-out names exist and load, both ways of starting the stack make the same
databases and point the workers at a DuckLake warehouse in Postgres, and stack.sh is valid shell that
refuses an unknown command. (The stack itself runs in tests/flows/test_scale_out.py.)"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((INFRA / name).read_text(encoding="utf-8"))
    return loaded


def test_the_fan_out_names_a_deployment_of_the_source_jobs_flow() -> None:
    from pressroom.flows.fanout import DEPLOYMENT, source_jobs

    deployments = {d["name"]: d for d in _load("prefect.yaml")["deployments"]}
    assert set(deployments) == {"nightly", "backfill", "source-jobs"}
    flow_name, deployment_name = DEPLOYMENT.split("/")
    assert (flow_name, deployment_name) == (source_jobs.name, "source-jobs")
    assert deployments["source-jobs"]["entrypoint"] == "flows/fanout.py:source_jobs"
    for name in ("nightly", "backfill"):
        assert deployments[name]["parameters"] == {"fan_out": DEPLOYMENT, "jobs_per_run": 1}
    assert "concurrency_limit" not in deployments["source-jobs"]  # a run's jobs run side by side
    pools = {d["work_pool"]["name"] for d in deployments.values()}
    assert pools == {"pressroom"}


def test_stack_sh_and_docker_compose_make_the_same_stack() -> None:
    stack = (INFRA / "stack.sh").read_text(encoding="utf-8")
    compose = _load("docker-compose.yml")
    init = (INFRA / "postgres-init.sql").read_text(encoding="utf-8")
    assert re.findall(r"^CREATE DATABASE (\w+);", init, flags=re.MULTILINE) == ["lake"]
    assert "for db in prefect lake; do" in stack
    environment = compose["x-pressroom"]["environment"]
    assert environment["PRESSROOM_WAREHOUSE"].startswith("ducklake:postgres:dbname=lake ")
    assert 'WAREHOUSE="ducklake:postgres:dbname=lake ' in stack
    assert "PRESSROOM_LAKE_DATA_PATH" in environment and "PRESSROOM_LAKE_DATA_PATH=" in stack
    assert compose["services"]["worker"]["deploy"]["replicas"] == 2
    assert re.search(r"PRESSROOM_STACK_WORKERS:-2\b", stack)
    server = compose["services"]["prefect-server"]["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"]
    assert server.startswith("postgresql+asyncpg://")
    assert 'PREFECT_API_DATABASE_CONNECTION_URL="postgresql+asyncpg://' in stack
    assert "--prefect-file infra/prefect.yaml" in stack
    assert "--prefect-file infra/prefect.yaml" in compose["services"]["deploy"]["command"]


def test_stack_sh_is_valid_shell_and_refuses_an_unknown_command(tmp_path: Path) -> None:
    assert subprocess.run(["bash", "-n", str(INFRA / "stack.sh")], check=False).returncode == 0
    done = subprocess.run([str(INFRA / "stack.sh"), "sideways"], capture_output=True, text=True, check=False,
                          env={"PATH": "/usr/bin:/bin", "PRESSROOM_STACK_DIR": str(tmp_path / "stack")})
    assert done.returncode == 2 and "usage:" in done.stderr
