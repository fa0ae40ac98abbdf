"""Run owners: a ``running`` run whose process is gone is marked ``interrupted`` by the next process that
opens the warehouse for writing; a live owner (a concurrent run), another host's run and a reused pid
are told apart."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from pressroom.warehouse import Warehouse, db, store
from pressroom.warehouse.runs import (
    Owner,
    interrupt_mine,
    interrupt_orphans,
    process_started,
    record_owner,
    shown_status,
    this_process,
)

NOW = datetime(2026, 12, 1, tzinfo=UTC)
linux_only = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture()
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """Another live process of this host: the owner of a concurrent run."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield child
    finally:
        child.kill()
        child.wait()


def add_run(con: duckdb.DuckDBPyConnection, run_id: str, owner: Owner | None) -> None:
    store.start_run(con, run_id=run_id, flow="nightly", started_at=NOW)
    if owner is None:
        con.execute("UPDATE runs SET owner_host = NULL, owner_pid = NULL, owner_started = NULL WHERE run_id = ?",
                    [run_id])
    else:
        record_owner(con, run_id, owner)


def statuses(path: Path) -> dict[str, str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return dict(con.execute("SELECT run_id, status FROM runs").fetchall())


@linux_only
def test_start_time_tells_a_reused_pid_apart() -> None:
    me = this_process()
    assert me.pid == os.getpid() and me.started == process_started(os.getpid())
    assert me.started is not None and process_started(dead_pid()) is None


@linux_only
def test_only_runs_whose_owner_is_gone_are_interrupted(tmp_path: Path, sleeper: subprocess.Popen[bytes]) -> None:
    here = this_process()
    alive = Owner(here.host, sleeper.pid, process_started(sleeper.pid))
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        db.migrate(con)
        add_run(con, "mine", here)
        add_run(con, "concurrent", alive)
        add_run(con, "killed", Owner(here.host, dead_pid(), "boot:1"))
        add_run(con, "reused-pid", Owner(here.host, sleeper.pid, "an-older-process:42"))
        add_run(con, "other-host", Owner(here.host + "-elsewhere", dead_pid(), "boot:1"))
        add_run(con, "before-owners", None)
        add_run(con, "done", Owner(here.host, dead_pid(), "boot:1"))
        con.execute("UPDATE runs SET status = 'completed' WHERE run_id = 'done'")
        assert sorted(interrupt_orphans(con, now=NOW)) == ["before-owners", "killed", "reused-pid"]
        assert con.execute("SELECT count(*) FROM runs WHERE status = 'interrupted' AND finished_at = ?",
                           [NOW]).fetchone() == (3,)
        assert interrupt_orphans(con, now=NOW) == []
        assert interrupt_mine(con, now=NOW) == ["mine"]
    assert statuses(path) == {"mine": "interrupted", "concurrent": "running", "killed": "interrupted",
                              "reused-pid": "interrupted", "other-host": "running",
                              "before-owners": "interrupted", "done": "completed"}


@linux_only
def test_the_first_write_of_a_process_interrupts_orphans_once(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    here = this_process()
    with Warehouse(path).transaction() as con:  # this process's first write: nothing to do yet
        add_run(con, "killed", Owner(here.host, dead_pid(), "boot:1"))
    with Warehouse(path).transaction() as con:  # a later write of the same process: not again
        con.execute("SELECT 1")
    assert statuses(path) == {"killed": "running"}
    db._orphans_checked.clear()  # as if a new process opened it
    Warehouse(path).ensure_schema()
    assert statuses(path) == {"killed": "interrupted"}


@linux_only
def test_a_reader_shows_a_run_whose_owner_is_gone_as_interrupted() -> None:
    here = this_process()
    def run(status: str, pid: int | None, started: str | None = "boot:1") -> dict[str, object]:
        return {"status": status, "owner_host": here.host, "owner_pid": pid, "owner_started": started}

    assert shown_status(run("running", dead_pid())) == "interrupted"
    assert shown_status(run("running", here.pid, here.started)) == "running"
    assert shown_status(run("running", None, None)) == "running"  # no owner recorded: cannot tell
    assert shown_status(run("completed", dead_pid())) == "completed"
