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


def test_each_partition_holds_exactly_its_source_days_rows_with_the_warehouse_types(
    make_warehouse: MakeWarehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Partitions are cut from one Arrow read per group; groups of 2 make the cut cross group borders.
    monkeypatch.setattr(exports, "EXPORT_GROUP", 2)
    warehouse = make_warehouse()
    items = [Release(release_id=f"{source}-{n:02d}", source_id=source, url=f"https://{source}.org/pr/{n}",
                     title=f"Release {n}", published_at=NOW - timedelta(hours=7 * n) if n != 5 else None,
                     body_text=f"Body {n} of {source}, long enough to publish. " * 3, language="en", extractor="x/1")
             for source in ("xa-mfa", "xb-mfa", "xc-mfa") for n in range(9)]
    with warehouse.transaction() as con:
        upsert_releases(con, items, run_id="run1", now=NOW)
        save_checks(con, [CheckResult(r.release_id, r.content_hash, "test", (), ()) for r in items],
                    run_id="run1", now=NOW)
        publish(con, run_id="run1", now=NOW, engine_version="test")
        result = export_published(con, tmp_path / "out")
        expected = con.execute(
            f"SELECT source_id, {exports._DAY} AS day, list(release_id ORDER BY release_id) FROM {exports.PUBLISHED}"
            " GROUP BY ALL ORDER BY ALL").fetchall()
        types = con.execute(f"DESCRIBE SELECT {exports.COLUMNS} FROM {exports.PUBLISHED}").fetchall()
        rows = con.execute(f"SELECT {exports.COLUMNS} FROM {exports.PUBLISHED} ORDER BY release_id").fetchall()
    assert result.partitions_written == len(expected) > 6
    reader = duckdb.connect()
    for source_id, day, ids in expected:
        part = tmp_path / "out" / f"source={source_id}" / f"date={day}" / "part-0.parquet"
        file = f"read_parquet('{part}', hive_partitioning = false)"
        assert [r[0] for r in reader.execute(f"SELECT release_id FROM {file}").fetchall()] == ids
        assert [t[:2] for t in reader.execute(f"DESCRIBE SELECT * FROM {file}").fetchall()] == [t[:2] for t in types]
    every = reader.execute(f"SELECT * FROM read_parquet('{tmp_path}/out/source=*/date=*/part-0.parquet',"
                           " hive_partitioning = false) ORDER BY release_id").fetchall()
    assert every == rows
    assert not list((tmp_path / "out").rglob("*.tmp"))
