"""A file at the warehouse path that is not a whole pressroom warehouse is refused with one line, and
left exactly as it was: not DuckDB at all, a truncated copy, another application's DuckDB database."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from pressroom.warehouse import SCHEMA_VERSION, Warehouse, WarehouseError
from pressroom.warehouse.db import migrations


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("real") / "pressroom.duckdb"
    Warehouse(path).ensure_schema()
    with Warehouse(path).transaction() as con:  # a little data, so the file has several blocks
        con.execute("INSERT INTO source_state (source_id) SELECT 's' || i FROM range(2000) t(i)")
    return path.read_bytes()


def _open_both_ways(path: Path) -> list[str]:
    messages = []
    for use in (lambda w: w.ensure_schema(), lambda w: w.reader().__enter__()):
        with pytest.raises(WarehouseError) as raised:
            use(Warehouse(path, lock_timeout=1))
        messages.append(str(raised.value))
    return messages


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_file_that_is_not_duckdb(tmp_path: Path) -> None:
    path = tmp_path / "pressroom.duckdb"
    path.write_text("id,amount\n1,2.5\n" * 100, encoding="utf-8")
    before = _digest(path)
    for message in _open_both_ways(path):
        assert message == f"warehouse {path} is not a DuckDB database file; pass --warehouse with pressroom's own file"
    assert _digest(path) == before


def _used_bytes(real: bytes, folder: Path) -> int:
    """Bytes a whole copy needs: the headers and the blocks in use. DuckDB 1.5 leaves free blocks at the
    end of the file (2.0 cut them off), and a copy without those lost nothing."""
    whole = folder / "whole.duckdb"
    whole.write_bytes(real)
    with duckdb.connect(str(whole), read_only=True) as con:
        block_size, used = con.execute("SELECT block_size, used_blocks FROM pragma_database_size()").fetchone()
    return 3 * 4096 + used * block_size


@pytest.mark.parametrize("keep", [0.5, "one byte short", "headers", 100])
def test_a_truncated_copy(tmp_path: Path, real: bytes, keep: float | str) -> None:
    size = (3 * 4096 if keep == "headers" else _used_bytes(real, tmp_path) - 1 if keep == "one byte short"
            else int(len(real) * keep) if isinstance(keep, float) else int(keep))
    path = tmp_path / "pressroom.duckdb"
    path.write_bytes(real[:size])
    for message in _open_both_ways(path):
        assert message.startswith(f"warehouse {path} is truncated: {size:,} bytes")
        assert message.endswith("restore a complete copy") and "\n" not in message
    assert path.stat().st_size == size


def test_a_truncated_copy_cut_on_a_block_boundary(tmp_path: Path, real: bytes) -> None:
    block = 262144
    assert (len(real) - 3 * 4096) % block == 0 and len(real) > 3 * 4096 + block, "DuckDB's layout changed"
    path = tmp_path / "pressroom.duckdb"
    path.write_bytes(real[: _used_bytes(real, tmp_path) - block])
    assert all("is truncated" in message for message in _open_both_ways(path))


def test_a_whole_copy_opens(tmp_path: Path, real: bytes) -> None:
    path = tmp_path / "pressroom.duckdb"
    path.write_bytes(real)
    assert Warehouse(path).ensure_schema() == SCHEMA_VERSION


def test_another_applications_duckdb_file_is_never_written(tmp_path: Path) -> None:
    path = tmp_path / "pressroom.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE invoices (id INTEGER, amount DOUBLE)")
        con.execute("CREATE VIEW totals AS SELECT sum(amount) AS total FROM invoices")
    before = _digest(path)
    for message in _open_both_ways(path):
        assert message == (f"warehouse {path} is a DuckDB database of another application (tables invoices, totals; "
                           "no schema_migrations): pressroom will not write into it; pass --warehouse with "
                           "pressroom's own file")
    assert _digest(path) == before
    with duckdb.connect(str(path), read_only=True) as con:
        assert [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()] == ["invoices"]


def test_an_empty_duckdb_file_becomes_a_warehouse(tmp_path: Path) -> None:
    path = tmp_path / "pressroom.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(WarehouseError, match="no schema yet"):
        Warehouse(path).reader().__enter__()
    assert Warehouse(path).ensure_schema() == SCHEMA_VERSION


def test_a_reader_migrates_an_older_warehouse(tmp_path: Path) -> None:
    path = tmp_path / "pressroom.duckdb"
    with duckdb.connect(str(path)) as con:  # as written by the pressroom before the newest migration
        con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
                    "applied_at TIMESTAMPTZ NOT NULL)")
        for version, name, sql in migrations()[:-1]:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, name])
    with Warehouse(path).reader(migrate=False) as con:
        assert con.execute("SELECT max(version) FROM schema_migrations").fetchone() == (SCHEMA_VERSION - 1,)
    with Warehouse(path).reader() as con:
        assert con.execute("SELECT max(version) FROM schema_migrations").fetchone() == (SCHEMA_VERSION,)
