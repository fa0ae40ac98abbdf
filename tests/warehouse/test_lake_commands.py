"""``--warehouse``/``PRESSROOM_WAREHOUSE`` take a DuckLake URL: the settings open a DuckLake warehouse
with its data under ``PRESSROOM_LAKE_DATA_PATH``; ``vacuum`` maintains it and ``doctor`` names the backend."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pressroom.connectors.model import Release
from pressroom.flows.housekeeping import doctor, vacuum
from pressroom.flows.settings import Settings
from pressroom.warehouse import SCHEMA_VERSION
from pressroom.warehouse.db import close_lake_sessions
from pressroom.warehouse.releases import upsert_releases
from tests.pgcluster import PgCluster

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture(params=["ducklake-postgres", "ducklake-file"])
def lake_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "ducklake-file":
        return f"ducklake:{tmp_path / 'catalog.ducklake'}"
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    template = request.getfixturevalue("migrated_postgres_catalog")
    return f"ducklake:postgres:{cluster.new_database(template=template)}"


def test_the_environment_names_a_lake_and_where_its_files_go(
    lake_url: str, lake_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRESSROOM_WAREHOUSE", lake_url)
    monkeypatch.setenv("PRESSROOM_LAKE_DATA_PATH", str(lake_data))
    settings = Settings.resolve(data_dir=tmp_path / "data")
    assert settings.lake and settings.lake_data_path == str(lake_data)
    items = [Release(release_id=f"r{n}", source_id="xa-mfa", url=f"https://x.org/{n}", title=f"T{n}",
                     published_at=NOW, body_text=f"Body {n}. " * 20, language="en", extractor="test/1")
             for n in range(6)]
    warehouse = settings.open_warehouse()
    for n in range(0, 6, 2):  # three small transactions: three small files to merge
        warehouse.write(lambda con, n=n: upsert_releases(con, items[n:n + 2], run_id="run", now=NOW))
    lines = doctor(settings, reach=lambda url, timeout: "reachable (test)")
    warehouse_lines = [d.detail for d in lines if d.area == "warehouse"]
    backend = "ducklake-file" if "postgres:" not in lake_url else "ducklake-postgres"
    assert f"{backend}, schema version {SCHEMA_VERSION} of {SCHEMA_VERSION}" in warehouse_lines[0]
    assert any(str(lake_data) in line for line in warehouse_lines)
    result = vacuum(settings, keep_versions=1, older_than_days=0)
    assert result.bytes_after > 0  # small inserts are kept in the catalog until vacuum writes them out
    with warehouse.reader() as con:
        assert con.execute("SELECT count(*), count(DISTINCT release_id) FROM releases").fetchone() == (6, 6)
    close_lake_sessions()
