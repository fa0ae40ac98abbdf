"""Opening the warehouse: one writer at a time, a bounded wait for the file lock, migrations on open.

DuckDB lets one process write a database file (and a writer keeps readers of other processes out).
pressroom therefore holds the file only for short transactions — one batch at a time — and a second
process waiting for it retries for at most ``lock_timeout`` seconds, logging once who holds it.
Within one process, :class:`Warehouse` serialises writers with a lock, so flows can load from
several threads.

DuckDB's own memory is capped by ``memory_limit`` (default :data:`DEFAULT_MEMORY_LIMIT`, or
``PRESSROOM_DUCKDB_MEMORY_LIMIT``): DuckDB's default is 80 % of the machine's RAM, and under it the
buffer pool keeps every block a run-wide statement touched, so a process's size would follow the
warehouse's. Past the cap DuckDB evicts cached blocks and spills to a temporary directory next to the
warehouse file instead.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import duckdb

from warehouse.runs import interrupt_orphans

log = logging.getLogger("pressroom.warehouse")
_MIGRATION = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LOCKED = ("Could not set lock", "Conflicting lock")


class WarehouseError(RuntimeError):
    """The warehouse cannot be used as it is (schema newer than this code, unreadable file)."""


class WarehouseBusy(WarehouseError):
    """Another process held the warehouse for longer than the wait allowed."""


def migrations() -> list[tuple[int, str, str]]:
    """``(version, name, sql)`` of every bundled migration, in order."""
    folder = resources.files("warehouse").joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION.match(entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [version for version, _, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise WarehouseError(f"migrations are not numbered 0001… without gaps: {versions}")
    return found


SCHEMA_VERSION = len(migrations())

#: DuckDB's memory cap unless ``PRESSROOM_DUCKDB_MEMORY_LIMIT`` or the caller says otherwise: a batch,
#: the publish slices and the run-wide queries of a 10,000-release backfill fit well inside it.
DEFAULT_MEMORY_LIMIT = "256MB"


def default_memory_limit() -> str:
    """``PRESSROOM_DUCKDB_MEMORY_LIMIT`` (a DuckDB size such as ``512MB`` or ``2GB``), else the default."""
    return os.environ.get("PRESSROOM_DUCKDB_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT


class Warehouse:
    """A DuckDB warehouse file; connections are opened per transaction, never held across a run."""

    def __init__(
        self,
        path: Path,
        *,
        lock_timeout: float = 120.0,
        on_wait: Callable[[str], None] | None = None,
        memory_limit: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self.on_wait = on_wait
        self.memory_limit = memory_limit or default_memory_limit()
        self._lock = threading.RLock()
        self._migrated = False

    def _connect(self, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_timeout
        told = False
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only,
                                      config={"memory_limit": self.memory_limit})
            except duckdb.IOException as error:
                message = str(error)
                if not any(marker in message for marker in _LOCKED):
                    raise WarehouseError(f"cannot open warehouse {self.path}: {message}") from None
                holder = re.search(r"held in (.+?)(?:\. See|$)", message)
                who = holder.group(1) if holder else "another process"
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"warehouse {self.path} is locked by {who}; gave up after {self.lock_timeout:g} s "
                        "(nothing was written by this batch; the next run fetches it again)"
                    ) from None
                if not told:
                    note = f"warehouse {self.path} is locked by {who}; waiting up to {self.lock_timeout:g} s"
                    log.warning(note)
                    if self.on_wait:
                        self.on_wait(note)
                    told = True
                time.sleep(0.2)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write connection inside one transaction: committed on success, rolled back on error."""
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = self._connect(read_only=False)
            try:
                if not self._migrated:
                    migrate(con)
                    self._migrated = True
                    _interrupt_orphans_once(self.path, con)
                con.execute("BEGIN TRANSACTION")
                try:
                    yield con
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
            finally:
                con.close()

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection (waits for a writer of another process like writers do)."""
        if not self.path.exists():
            raise WarehouseError(f"no warehouse at {self.path}: run `pressroom run` or `pressroom demo` first")
        with self._lock:
            con = self._connect(read_only=True)
            try:
                check_version(con)
                yield con
            finally:
                con.close()

    def ensure_schema(self) -> int:
        """Create or migrate the warehouse now; return the schema version."""
        with self.transaction() as con:
            row = con.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(row[0]) if row and row[0] is not None else 0


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Apply every migration not yet recorded in ``schema_migrations``, each in its own transaction."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
    applied = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    newest = max(applied, default=0)
    if newest > SCHEMA_VERSION:
        raise WarehouseError(
            f"warehouse schema version {newest} is newer than this pressroom ({SCHEMA_VERSION}); upgrade pressroom"
        )
    for version, name, sql in migrations():
        if version in applied:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, name])
        except duckdb.Error:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        log.info("warehouse migrated to version %04d_%s", version, name)


_orphans_checked: set[Path] = set()
_orphans_lock = threading.Lock()


def _interrupt_orphans_once(path: Path, con: duckdb.DuckDBPyConnection) -> None:
    """The first time this process writes ``path``: runs left ``running`` by a process that is gone
    (killed, or the machine lost power) are recorded as ``interrupted``."""
    key = path.resolve()
    with _orphans_lock:
        if key in _orphans_checked:
            return
        _orphans_checked.add(key)
    con.execute("BEGIN TRANSACTION")
    try:
        gone = interrupt_orphans(con, now=datetime.now(UTC))
    except duckdb.Error:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    for run_id in gone:
        log.warning("run %s was left running by a process that is gone; recorded as interrupted", run_id)


def check_version(con: duckdb.DuckDBPyConnection) -> int:
    try:
        row = con.execute("SELECT max(version) FROM schema_migrations").fetchone()
    except duckdb.CatalogException:
        raise WarehouseError("the warehouse has no schema yet: run `pressroom run` first") from None
    version = int(row[0]) if row and row[0] is not None else 0
    if version > SCHEMA_VERSION:
        raise WarehouseError(f"warehouse schema version {version} is newer than this pressroom ({SCHEMA_VERSION})")
    return version
