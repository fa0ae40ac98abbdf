"""The warehouse tests run on every backend through one fixture, ``make_warehouse``.

- ``duckdb-file``: a DuckDB file (the default installation).
- ``ducklake-postgres``: a DuckLake catalog in the session's PostgreSQL (tests/pgcluster.py), each
  warehouse a new database copied from one migrated once per session (migrating a catalog in
  PostgreSQL takes seconds: every DDL statement is a round trip).
- ``ducklake-file``: a DuckLake catalog in a DuckDB file, copied from one migrated once per session.

A catalog remembers its data path, so the copies share one data directory per session (Parquet file
names are UUIDs: warehouses never read each other's files).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pressroom.warehouse import Warehouse
from pressroom.warehouse.db import close_lake_sessions
from tests.pgcluster import PgCluster

#: the backends ``make_warehouse`` runs on: ``PRESSROOM_TEST_BACKENDS`` (comma-separated), by default the
#: DuckDB file and DuckLake on PostgreSQL; ``ducklake-file`` shares DuckLake's SQL with the latter and adds
#: ~1 min to ``make test``, so it runs on request (test_lake_commands.py covers it always)
ALL_BACKENDS = ("duckdb-file", "ducklake-postgres", "ducklake-file")
BACKENDS = tuple(name for name in (os.environ.get("PRESSROOM_TEST_BACKENDS") or "duckdb-file,ducklake-postgres")
                 .split(",") if name in ALL_BACKENDS)

MakeWarehouse = Callable[..., Warehouse]


@pytest.fixture(scope="session")
def lake_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lake-data")


@pytest.fixture(scope="session")
def migrated_postgres_catalog(pg_cluster: PgCluster, lake_data: Path) -> str:
    """A database holding a migrated, empty DuckLake catalog, to copy with ``CREATE DATABASE … TEMPLATE``."""
    name = "pressroom_migrated"
    pg_cluster.sql(f'CREATE DATABASE "{name}" TEMPLATE "pressroom_template"')
    Warehouse(f"ducklake:postgres:{pg_cluster.dsn(name)}", lake_data_path=str(lake_data)).ensure_schema()
    close_lake_sessions()  # a template database must have no connections
    return name


@pytest.fixture(scope="session")
def migrated_file_catalog(tmp_path_factory: pytest.TempPathFactory, lake_data: Path) -> Path:
    path = tmp_path_factory.mktemp("lake-file") / "migrated.ducklake"
    Warehouse(f"ducklake:{path}", lake_data_path=str(lake_data)).ensure_schema()
    return path


@pytest.fixture(params=BACKENDS)
def make_warehouse(request: pytest.FixtureRequest, tmp_path: Path, lake_data: Path) -> Iterator[MakeWarehouse]:
    """``make_warehouse(**options)``: a new, empty (migrated) warehouse of the backend under test."""
    backend: str = request.param

    def make(**options: Any) -> Warehouse:
        folder = Path(tempfile.mkdtemp(dir=tmp_path))
        if backend == "duckdb-file":
            return Warehouse(folder / "w.duckdb", **options)
        if backend == "ducklake-file":
            path = folder / "w.ducklake"
            shutil.copyfile(request.getfixturevalue("migrated_file_catalog"), path)
            return Warehouse(f"ducklake:{path}", lake_data_path=str(lake_data), **options)
        cluster: PgCluster = request.getfixturevalue("pg_cluster")
        dsn = cluster.new_database(template=request.getfixturevalue("migrated_postgres_catalog"))
        return Warehouse(f"ducklake:postgres:{dsn}", lake_data_path=str(lake_data), **options)

    yield make
    close_lake_sessions()


@pytest.fixture
def backend(make_warehouse: MakeWarehouse, request: pytest.FixtureRequest) -> str:
    """The backend ``make_warehouse`` makes (for the few assertions that differ)."""
    return str(request.node.callspec.params["make_warehouse"])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A module may name the tests (``LAKE_SAMPLE``) that run on the DuckLake backends; its others run on
    the DuckDB file only (``make test``'s time budget: each DuckLake test costs round trips to PostgreSQL)."""
    dropped = []
    for item in items:
        sample = getattr(getattr(item, "module", None), "LAKE_SAMPLE", None)
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("make_warehouse") if callspec else None
        on_lake = backend not in (None, "duckdb-file")
        if sample is not None and on_lake and getattr(item, "originalname", "") not in sample:
            dropped.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]
