"""Several processes write one DuckLake catalog in PostgreSQL at once (real subprocesses).

Two loading different sources both succeed, whatever DuckLake's commit conflicts (retried by
``Warehouse.write``). Two loading the same source — different texts of the same releases — never
duplicate a release: every release_id is once in ``releases``, and its versions (``release_versions``
and the current one) are exactly 1 and 2, whichever process won each race."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pressroom.warehouse import Warehouse
from pressroom.warehouse.db import close_lake_sessions
from tests.pgcluster import PgCluster

REPO = Path(__file__).resolve().parents[2]
COUNT, BATCH = 24, 4


def _load_at_once(url: str, data: Path, gate: Path, writers: list[tuple[str, str]]) -> list[dict[str, int]]:
    procs = [subprocess.Popen(
        [sys.executable, "-m", "tests.warehouse.lake_writer", url, str(data), source, str(COUNT), str(BATCH),
         edition, str(gate)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for source, edition in writers]
    try:
        deadline = time.monotonic() + 120
        while len(list(gate.parent.glob(f"{gate.name}.ready-*"))) < len(writers) and time.monotonic() < deadline:
            if any(p.poll() is not None for p in procs):
                break
            time.sleep(0.05)
        gate.touch()
        outcomes = [p.communicate(timeout=300) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, (_, err) in zip(procs, outcomes, strict=True):
        assert p.returncode == 0, err[-3000:]
    return [json.loads(out.strip().splitlines()[-1]) for out, _ in outcomes]


@pytest.fixture
def catalog(pg_cluster: PgCluster, migrated_postgres_catalog: str) -> str:
    return f"ducklake:postgres:{pg_cluster.new_database(template=migrated_postgres_catalog)}"


@pytest.mark.slow
def test_two_sources_load_at_once_and_both_succeed(catalog: str, lake_data: Path, tmp_path: Path) -> None:
    _load_at_once(catalog, lake_data, tmp_path / "go", [("xa-mfa", "a"), ("xb-mea", "a")])
    with Warehouse(catalog, lake_data_path=str(lake_data)).reader() as con:
        rows = con.execute("SELECT source_id, count(*), count(DISTINCT release_id), max(version) FROM releases"
                           " GROUP BY 1 ORDER BY 1").fetchall()
        states = con.execute("SELECT source_id, last_status FROM source_state ORDER BY 1").fetchall()
    close_lake_sessions()
    assert rows == [("xa-mfa", COUNT, COUNT, 1), ("xb-mea", COUNT, COUNT, 1)]
    assert states == [("xa-mfa", "ok"), ("xb-mea", "ok")]


@pytest.mark.slow
def test_one_source_loaded_twice_at_once_never_duplicates_a_release(
    catalog: str, lake_data: Path, tmp_path: Path
) -> None:
    _load_at_once(catalog, lake_data, tmp_path / "go", [("xa-mfa", "a"), ("xa-mfa", "b")])
    with Warehouse(catalog, lake_data_path=str(lake_data)).reader() as con:
        ids = con.execute("SELECT count(*), count(DISTINCT release_id) FROM releases").fetchone()
        versions = con.execute(
            "SELECT release_id, list(version ORDER BY version) FROM ("
            " SELECT release_id, version FROM releases UNION ALL SELECT release_id, version FROM release_versions)"
            " GROUP BY 1").fetchall()
        guards = con.execute("SELECT count(*) FROM write_guards").fetchone()
    close_lake_sessions()
    assert ids == (COUNT, COUNT)
    assert sorted(versions) == sorted((f"xa-mfa-{n}", [1, 2]) for n in range(COUNT))
    assert guards == (1,)
