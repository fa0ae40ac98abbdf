"""Who owns a ``running`` run, and what happens to runs whose owner is gone.

A run row records its owner: the host name, the process id and that process's start (on Linux the boot
id and the start time in clock ticks since boot, from ``/proc``; elsewhere ``None``). A process that
opens the warehouse for writing first marks ``interrupted`` every ``running`` run of the same host
whose owner is gone: no process with that pid, or one that started at another time (a reused pid), or
a different boot. Runs owned by another host are left alone: this process cannot see that host's
processes, so a run there may well be alive. Runs recorded before owners were (no ``owner_host``) are
marked too: they were started by a pressroom that cannot open a warehouse of this schema any more.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import duckdb

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


@dataclass(frozen=True, slots=True)
class Owner:
    host: str
    pid: int
    started: str | None  # '<boot id>:<start ticks>' on Linux; None where /proc is not available


def process_started(pid: int) -> str | None:
    """``'<boot id>:<start ticks>'`` of process ``pid``, or ``None`` when it cannot be read (no such
    process, or no ``/proc``)."""
    try:
        boot = _BOOT_ID.read_text(encoding="ascii").strip()
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # Field 22 (starttime) counts from the end of the command name, which may itself hold spaces or ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    return f"{boot}:{fields[19]}"


@cache
def this_process() -> Owner:
    """The owner to record for runs started by this process."""
    return Owner(host=socket.gethostname(), pid=os.getpid(), started=process_started(os.getpid()))


os.register_at_fork(after_in_child=this_process.cache_clear)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by another user
        return True
    return True


def owner_gone(owner: Owner, *, here: Owner) -> bool:
    """Whether ``owner`` (of a run on ``here.host``) is certainly no longer running."""
    if owner.host != here.host:
        return False
    if owner.pid == here.pid and owner.started == here.started:
        return False
    if not _alive(owner.pid):
        return True
    if owner.started is None:  # recorded where /proc was not available: an alive pid is trusted
        return False
    return process_started(owner.pid) != owner.started


def shown_status(run: dict[str, object], *, here: Owner | None = None) -> str:
    """A run's status as a reader (who may not write) should show it: ``running`` whose owner is gone
    reads ``interrupted`` before a writer records it so."""
    status = str(run["status"])
    host, pid, started = run.get("owner_host"), run.get("owner_pid"), run.get("owner_started")
    if status != "running" or not isinstance(host, str) or not isinstance(pid, int):
        return status
    gone = owner_gone(Owner(host, pid, started if isinstance(started, str) else None), here=here or this_process())
    return "interrupted" if gone else status


def record_owner(con: duckdb.DuckDBPyConnection, run_id: str, owner: Owner | None = None) -> None:
    """Stamp ``run_id`` with its owner (default: this process)."""
    who = owner or this_process()
    con.execute("UPDATE runs SET owner_host = ?, owner_pid = ?, owner_started = ? WHERE run_id = ?",
                [who.host, who.pid, who.started, run_id])


def interrupt_orphans(con: duckdb.DuckDBPyConnection, *, now: datetime, here: Owner | None = None) -> list[str]:
    """Mark ``interrupted`` (finished now) every ``running`` run whose owner is gone; return their ids."""
    me = here or this_process()
    rows = con.execute(
        "SELECT run_id, owner_host, owner_pid, owner_started FROM runs WHERE status = 'running' ORDER BY run_id"
    ).fetchall()
    gone = [run_id for run_id, host, pid, started in rows
            if host is None or owner_gone(Owner(host, int(pid), started), here=me)]
    _mark(con, gone, now=now)
    return gone


def interrupt_mine(con: duckdb.DuckDBPyConnection, *, now: datetime, here: Owner | None = None) -> list[str]:
    """Mark ``interrupted`` every ``running`` run of this process (a signal stopped it); return their ids."""
    me = here or this_process()
    rows = con.execute(
        "SELECT run_id FROM runs WHERE status = 'running' AND owner_host = ? AND owner_pid = ?"
        " AND owner_started IS NOT DISTINCT FROM ? ORDER BY run_id",
        [me.host, me.pid, me.started],
    ).fetchall()
    mine = [row[0] for row in rows]
    _mark(con, mine, now=now)
    return mine


def _mark(con: duckdb.DuckDBPyConnection, run_ids: list[str], *, now: datetime) -> None:
    if run_ids:
        con.execute("UPDATE runs SET status = 'interrupted', finished_at = ? WHERE status = 'running'"
                    " AND run_id IN (SELECT unnest(?::VARCHAR[]))", [now, run_ids])
