"""Exports of what is published: partitions and the run file, written a slice at a time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pressroom.connectors.model import Release
from pressroom.warehouse import Warehouse, exports
from pressroom.warehouse.exports import export_published
from pressroom.warehouse.releases import publish, save_checks, upsert_releases
from pressroom.warehouse.store import CheckResult
from tests.warehouse.conftest import MakeWarehouse

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def release(n: int) -> Release:
    return Release(release_id=f"r{n:02d}", source_id="xa-mfa", url=f"https://x.org/pr/{n}", title=f"Release {n}",
                   published_at=NOW - timedelta(hours=9 * n), body_text=f"Body of release {n}, long enough. " * 3,
                   language="en", extractor="html/1")


@pytest.fixture()
def warehouse(make_warehouse: MakeWarehouse) -> Warehouse:
    warehouse = make_warehouse()
    items = [release(n) for n in range(7)]
    with warehouse.transaction() as con:
        upsert_releases(con, items, run_id="run1", now=NOW)
        save_checks(con, [CheckResult(r.release_id, r.content_hash, "test", (), ()) for r in items],
                    run_id="run1", now=NOW)
        publish(con, run_id="run1", now=NOW, engine_version="test")
    return warehouse


def test_run_file_written_in_slices_matches_one_query(
    warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "RUN_FILE_SLICE", 2)
    with warehouse.transaction() as con:
        result = export_published(con, tmp_path / "out", run_id="run1")
        cursor = con.execute(f"SELECT {exports.COLUMNS} FROM {exports.PUBLISHED} ORDER BY release_id")
        names = [column[0] for column in cursor.description]
        expected = [json.loads(json.dumps(dict(zip(names, row, strict=True)), default=str, ensure_ascii=False))
                    for row in cursor.fetchall()]
    assert result.run_file == tmp_path / "out" / "runs" / "run1.jsonl"
    lines = result.run_file.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == expected and len(lines) == 7
    assert not list(result.run_file.parent.glob(".*.tmp"))
    parquet = duckdb.connect().execute(
        f"SELECT count(*) FROM read_parquet('{tmp_path}/out/source=*/date=*/part-0.parquet')").fetchone()
    assert parquet == (7,)


def test_a_run_that_published_nothing_writes_no_run_file(warehouse: Warehouse, tmp_path: Path) -> None:
    with warehouse.transaction() as con:
        result = export_published(con, tmp_path / "out", run_id="run2")
    assert result.run_file is None and not (tmp_path / "out" / "runs").exists()
