"""Another process holding the warehouse: a clear message and a bounded wait, never a corrupt file."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pressroom.infra.demo.server import DemoMirror
from pressroom.warehouse import Warehouse
from tests.flows.helpers import cli, rows, table_counts

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_server")]

HOLDER = textwrap.dedent("""
    import sys, time, duckdb
    path, hold, cycles, gap = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    for cycle in range(cycles):
        con = duckdb.connect(path)
        con.execute("SELECT count(*) FROM runs").fetchall()
        if cycle == 0:
            print("holding", flush=True)
        time.sleep(hold)
        con.close()
        time.sleep(gap)
""")


@contextmanager
def holder(path: Path, *, hold: float, cycles: int = 1, gap: float = 0.0) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(hold), str(cycles), str(gap)],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "holding"
        yield process
    finally:
        process.kill()
        process.wait(timeout=10)


def test_lock_held_too_long_exits_4_with_a_clear_message(tmp_path: Path) -> None:
    warehouse = tmp_path / "data" / "pressroom.duckdb"
    Warehouse(warehouse).ensure_schema()
    before = table_counts(warehouse)
    with DemoMirror() as mirror:
        sources = mirror.write_sources(tmp_path / "sources.toml")
        with holder(warehouse, hold=120):
            code, output = cli("--data-dir", str(warehouse.parent), "--sources", str(sources),
                               "--lock-timeout", "1.5", "run")
    assert code == 4, output
    assert "is locked by" in output and "gave up after 1.5 s" in output
    assert table_counts(warehouse) == before  # nothing half-written, file opens fine


def test_runs_wait_for_a_busy_warehouse_and_lose_nothing(tmp_path: Path) -> None:
    warehouse = tmp_path / "data" / "pressroom.duckdb"
    Warehouse(warehouse).ensure_schema()
    with DemoMirror() as mirror:
        sources = mirror.write_sources(tmp_path / "sources.toml")
        # Another writer takes the file again and again while the run loads its batches.
        with holder(warehouse, hold=0.4, cycles=40, gap=0.15):
            code, output = cli("--data-dir", str(warehouse.parent), "--sources", str(sources),
                               "--lock-timeout", "30", "run")
        assert code == 0, output
        total = sum(len(site.releases) for site in mirror.sites.values())
    assert rows(warehouse, "SELECT count(*) FROM releases") == [(total,)]
    assert rows(warehouse, "SELECT status FROM runs") == [("completed",)]
