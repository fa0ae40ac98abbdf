"""A DuckDB file is handed from one transaction to the next waiting thread of the process, and closed
when nobody in the process waits: concurrent writers open it far less often than once per transaction,
every transaction still lands, and once they are done another process may open the file at once."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from pressroom.warehouse import Warehouse
from pressroom.warehouse import db as warehouse_db


def count_opens(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    opened = [0]
    connect = warehouse._connect

    def counting(*, read_only: bool) -> duckdb.DuckDBPyConnection:
        opened[0] += 1
        return connect(read_only=read_only)

    monkeypatch.setattr(warehouse, "_connect", counting)
    return opened


def other_process_can_write(path: Path) -> bool:
    code = ("import duckdb, sys; con = duckdb.connect(sys.argv[1]); "
            "con.execute('CREATE TABLE IF NOT EXISTS probe (x INTEGER)'); con.close()")
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, timeout=60).returncode == 0


def test_threads_waiting_share_one_opening_and_the_file_is_free_after(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "w.duckdb"
    warehouse = Warehouse(path)
    warehouse.ensure_schema()
    with warehouse.transaction() as con:
        con.execute("CREATE TABLE tally (thread INTEGER, n INTEGER)")
    opened = count_opens(warehouse, monkeypatch)
    threads, each = 8, 25
    start = threading.Barrier(threads)

    def write(thread: int) -> None:
        start.wait()
        for n in range(each):
            with warehouse.transaction() as con:
                con.execute("INSERT INTO tally VALUES (?, ?)", [thread, n])

    workers = [threading.Thread(target=write, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert opened[0] < threads * each / 4, opened[0]  # handed on rather than opened per transaction
    assert other_process_can_write(path)  # nothing left open
    with warehouse.reader(migrate=False) as con:
        rows = con.execute("SELECT thread, count(*), count(DISTINCT n) FROM tally GROUP BY ALL ORDER BY 1").fetchall()
    assert rows == [(t, each, each) for t in range(threads)]


def test_a_failed_transaction_is_rolled_back_and_its_connection_not_handed_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = Warehouse(tmp_path / "w.duckdb")
    with warehouse.transaction() as con:
        con.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)")
    handed: list[bool] = []
    give_back = warehouse._give_back

    def spy(con: duckdb.DuckDBPyConnection, *, healthy: bool) -> None:
        handed.append(healthy)
        give_back(con, healthy=healthy)

    monkeypatch.setattr(warehouse, "_give_back", spy)
    with pytest.raises(duckdb.ConstraintException), warehouse.transaction() as con:
        con.execute("INSERT INTO t VALUES (1), (1)")
    assert handed == [False]
    with warehouse.transaction() as con:
        assert con.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_handing_on_stops_after_its_time_so_other_processes_get_a_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(warehouse_db, "HANDOFF_SECONDS", 0.0)
    warehouse = Warehouse(tmp_path / "w.duckdb")
    warehouse.ensure_schema()
    opened = count_opens(warehouse, monkeypatch)
    threads = 4
    start = threading.Barrier(threads)

    def write() -> None:
        start.wait()
        for _ in range(5):
            with warehouse.transaction() as con:
                con.execute("SELECT 1")

    workers = [threading.Thread(target=write) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert opened[0] == threads * 5
