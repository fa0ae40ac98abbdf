"""The whole nightly pipeline on a DuckLake catalog in PostgreSQL (the demo mirror's real local HTTP
servers): the run loads, checks, gates, publishes, exports, reports and judges health as on a file, and
a second run changes no count but ``runs``."""

from __future__ import annotations

from pathlib import Path

import pytest

from pressroom.infra.demo.server import DemoMirror
from pressroom.warehouse import Warehouse
from pressroom.warehouse.db import close_lake_sessions
from tests.flows.helpers import cli
from tests.flows.test_pipeline_e2e import expected_held
from tests.pgcluster import PgCluster

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_server")]

TABLES = ("releases", "release_versions", "raw_pages", "dq_runs", "dq_findings", "published_releases",
          "source_state", "source_health", "fetch_failures", "skipped_pages", "write_guards")


def _counts(warehouse: Warehouse) -> dict[str, int]:
    with warehouse.reader() as con:
        return {table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}  # type: ignore[index]


def test_nightly_twice_on_ducklake_postgres(
    pg_cluster: PgCluster, migrated_postgres_catalog: str, lake_data: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = f"ducklake:postgres:{pg_cluster.new_database(template=migrated_postgres_catalog)}"
    monkeypatch.setenv("PRESSROOM_LAKE_DATA_PATH", str(lake_data))
    warehouse = Warehouse(url, lake_data_path=str(lake_data))
    with DemoMirror() as mirror:
        sources = mirror.write_sources(tmp_path / "sources.toml")
        args = ("--data-dir", str(tmp_path / "data"), "--warehouse", url, "--sources", str(sources), "run")
        code, output = cli(*args)
        assert code == 0, output
        first = _counts(warehouse)
        total = sum(len(site.releases) for site in mirror.sites.values())
        assert first["releases"] == total >= 30
        with warehouse.reader() as con:
            held = {row[0] for row in con.execute("SELECT release_id FROM dq_runs WHERE NOT passed").fetchall()}
            ids = con.execute("SELECT count(DISTINCT release_id) FROM releases").fetchone()
        assert held == expected_held(mirror) and ids == (total,)
        assert first["published_releases"] == total - len(held)
        assert list((tmp_path / "data" / "published").glob("source=*/date=*/part-0.parquet"))
        assert "report: " in output

        code, output = cli(*args)
        assert code == 0, output
        assert _counts(warehouse) == first
        assert "new=0" in output and "published=0" in output
    close_lake_sessions()
