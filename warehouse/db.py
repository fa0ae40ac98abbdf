"""Opening the warehouse: one writer at a time, a bounded wait for the file lock, migrations on open.

DuckDB lets one process write a database file (and a writer keeps readers of other processes out).
pressroom therefore holds the file only for short transactions — one batch at a time — and a second
process waiting for it retries for at most ``lock_timeout`` seconds, logging once who holds it.
Within one process, :class:`Warehouse` serialises writers with a lock, so flows can load from
several threads. Opening and closing the file costs ten times a small transaction (closing writes the
WAL into the file), so a transaction that ends while another thread of the process waits for the lock
hands it the open file; the file is closed when nobody in the process waits, or after
:data:`HANDOFF_SECONDS` of handing on, so another process gets its turn.

DuckDB's own memory is capped by ``memory_limit`` (default :data:`DEFAULT_MEMORY_LIMIT`, or
``PRESSROOM_DUCKDB_MEMORY_LIMIT``): DuckDB's default is 80 % of the machine's RAM, and under it the
buffer pool keeps every block a run-wide statement touched, so a process's size would follow the
warehouse's. Past the cap DuckDB evicts cached blocks and spills to a temporary directory next to the
warehouse file instead.

Two more settings keep DuckDB's share of the process small (:data:`ENGINE_SETTINGS`): one thread, since a
run's statements are small transactions interleaved with Python work bound by one core, and DuckDB's
threads each keep allocator caches; and a 16 MiB ``allocator_flush_threshold``, so DuckDB's allocator
gives back what a statement freed instead of keeping up to 128 MiB of it (measured on the 2,000-release
``bench-e2e`` backfill, issue #17: buffer-managed memory stays under 20 MiB, the run's peak RSS fell
by ~25 MiB, and the warehouse ends the same).

The location is a DuckDB file, or a DuckLake catalog (``ducklake:postgres:…`` or ``ducklake:FILE``, see
:mod:`warehouse.lake`). On DuckLake, several processes write at once; a transaction that conflicts with
a concurrent one at commit is :class:`WarehouseConflict`, and :meth:`Warehouse.write` runs it again a
bounded number of times.
"""

from __future__ import annotations

import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TypeVar

import duckdb

from pressroom.warehouse import lake
from pressroom.warehouse.runs import interrupt_orphans

log = logging.getLogger("pressroom.warehouse")
_MIGRATION = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LOCKED = ("Could not set lock", "Conflicting lock")


class WarehouseError(RuntimeError):
    """The warehouse cannot be used as it is (schema newer than this code, unreadable file)."""


class WarehouseBusy(WarehouseError):
    """Another process held the warehouse for longer than the wait allowed."""


class WarehouseConflict(WarehouseError):
    """DuckLake refused a commit: a concurrent transaction changed the same table (nothing was written;
    running the transaction again can succeed)."""


#: how often :meth:`Warehouse.write` runs a transaction that conflicted (DuckLake), with a random
#: exponential wait between runs of at most :data:`CONFLICT_WAIT_MAX` seconds
CONFLICT_ATTEMPTS = 12
#: The longest a DuckDB file stays open while it is handed from one waiting thread to the next.
HANDOFF_SECONDS = 2.0
CONFLICT_WAIT_MAX = 2.0


def conflict_wait(attempt: int) -> float:
    """Seconds to wait before running a conflicted transaction again: random ("full jitter") below an
    exponential ceiling of 50 ms × 2^attempt, capped, so writers that collided do not collide again."""
    return random.uniform(0, min(CONFLICT_WAIT_MAX, 0.05 * 2 ** attempt))


def migrations() -> list[tuple[int, str, str]]:
    """``(version, name, sql)`` of every bundled migration, in order."""
    folder = resources.files("pressroom.warehouse").joinpath("migrations")
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


#: DuckDB settings of every connection besides ``memory_limit`` (see the module docstring).
ENGINE_SETTINGS: dict[str, str | int] = {"threads": 1, "allocator_flush_threshold": "16MB"}


def default_memory_limit() -> str:
    """``PRESSROOM_DUCKDB_MEMORY_LIMIT`` (a DuckDB size such as ``512MB`` or ``2GB``), else the default."""
    return os.environ.get("PRESSROOM_DUCKDB_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT


class Warehouse:
    """A warehouse — a DuckDB file or a DuckLake catalog; connections are opened per transaction, never
    held across a run (a DuckLake catalog in PostgreSQL stays attached for the process)."""

    def __init__(
        self,
        path: Path | str,
        *,
        lock_timeout: float = 120.0,
        on_wait: Callable[[str], None] | None = None,
        memory_limit: str | None = None,
        lake_data_path: str | None = None,
    ) -> None:
        self.location = str(path)
        self.lake = (lake.LakeLocation(self.location, lake_data_path or os.environ.get("PRESSROOM_LAKE_DATA_PATH"))
                     if lake.is_lake(path) else None)
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self.on_wait = on_wait
        self.memory_limit = memory_limit or default_memory_limit()
        self._lock = threading.RLock()
        self._migrated = False
        #: Threads waiting for ``_lock``, and the open DuckDB file handed to the next of them (see the module).
        self._waiting = 0
        self._count_lock = threading.Lock()
        self._handed: duckdb.DuckDBPyConnection | None = None
        self._opened_at = 0.0

    @property
    def backend(self) -> str:
        """``duckdb-file``, ``ducklake-file`` or ``ducklake-postgres``."""
        return self.lake.backend if self.lake else "duckdb-file"

    @property
    def shown(self) -> str:
        """The location for messages (a PostgreSQL password left out)."""
        return self.lake.shown if self.lake else str(self.path)

    def exists(self) -> bool:
        """Whether there is a warehouse to read (a catalog in PostgreSQL is assumed to be there: asking
        would mean connecting)."""
        if self.lake is None:
            return self.path.exists()
        metadata = self.lake.metadata_file
        return metadata is None or metadata.exists()

    def _connect(self, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        if self.lake is not None:
            return self._connect_lake()
        deadline = time.monotonic() + self.lock_timeout
        told = False
        while True:
            replays_wal = Path(f"{self.path}.wal").exists()  # before connecting, which replays it
            try:
                con = duckdb.connect(str(self.path), read_only=read_only,
                                     config={"memory_limit": self.memory_limit, **ENGINE_SETTINGS})
            except duckdb.IOException as error:
                message = str(error)
                if not any(marker in message for marker in _LOCKED):
                    raise WarehouseError(_cannot_open(self.path, message)) from None
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
                continue
            try:
                problem = _first_open_truncation(con, self.path, replays_wal=replays_wal)
            except BaseException:
                con.close()
                raise
            if problem:
                con.close()
                raise WarehouseError(problem)
            return con

    def _connect_lake(self) -> duckdb.DuckDBPyConnection:
        """A connection of this process's DuckDB with the catalog attached. A catalog in PostgreSQL stays
        attached (attaching costs round trips); a ``ducklake:FILE`` catalog is attached per transaction,
        as a DuckDB file is opened, so other processes get their turn."""
        location = self.lake
        assert location is not None
        if location.metadata_file is not None:
            return self._wait_for_file(lambda: lake.attach(location, memory_limit=self.memory_limit))
        try:
            con = lake.attach(location, memory_limit=self.memory_limit)
        except duckdb.Error as error:
            raise WarehouseError(f"cannot open DuckLake catalog {self.shown}: "
                                 f"{str(error).splitlines()[0]}") from None
        with _attached_lock:
            _attached.add(location)
        return con

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """This warehouse's lock, counting the threads that wait for it."""
        with self._count_lock:
            self._waiting += 1
        try:
            self._lock.acquire()
        finally:
            with self._count_lock:
                self._waiting -= 1
        try:
            yield
        finally:
            self._lock.release()

    def _take(self, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        """The file handed on by the transaction before (read-write: a reader may use it too), else a new
        connection."""
        con, self._handed = self._handed, None
        if con is not None:
            return con
        con = self._connect(read_only=read_only)
        self._opened_at = time.monotonic()
        return con

    def _give_back(self, con: duckdb.DuckDBPyConnection, *, healthy: bool) -> None:
        """Hand ``con`` to a thread of this process waiting for the lock, else close it (see the module).
        A DuckDB file only: a DuckLake catalog is attached as it is, and a failed transaction's
        connection is never handed on."""
        with self._count_lock:
            waiting = self._waiting
        if (healthy and waiting and self.lake is None and self._handed is None
                and time.monotonic() - self._opened_at < HANDOFF_SECONDS):
            self._handed = con
            return
        self._release(con)

    def _release(self, con: duckdb.DuckDBPyConnection) -> None:
        con.close()
        if self.lake is not None and self.lake.metadata_file is not None:
            lake.detach(self.lake)

    def _wait_for_file(self, attach: Callable[[], duckdb.DuckDBPyConnection]) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                return attach()
            except duckdb.Error as error:
                message = str(error)
                if not any(marker in message for marker in _LOCKED):
                    raise WarehouseError(f"cannot open DuckLake catalog {self.shown}: "
                                         f"{message.splitlines()[0] if message else 'unknown error'}") from None
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(f"DuckLake catalog {self.shown} is attached by another process; gave up "
                                        f"after {self.lock_timeout:g} s (a ducklake:FILE catalog takes one process "
                                        "at a time; use ducklake:postgres: for several)") from None
                time.sleep(0.2)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write connection inside one transaction: committed on success, rolled back on error. On
        DuckLake, a commit refused for a concurrent change is :class:`WarehouseConflict` (see :meth:`write`)."""
        with self._locked():
            if self.lake is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            con = self._take(read_only=False)
            done = False
            try:
                if not self._migrated:
                    migrate(con, on_lake=self.lake is not None)
                    self._migrated = True
                    _interrupt_orphans_once(self.location, con)
                con.execute("BEGIN TRANSACTION")
                try:
                    yield con
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                try:
                    con.execute("COMMIT")
                except duckdb.TransactionException as error:
                    if lake.is_conflict(error):
                        raise WarehouseConflict(f"{self.shown}: {str(error).splitlines()[-1]}") from error
                    raise
                done = True
            finally:
                self._give_back(con, healthy=done)

    @contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write connection to the migrated warehouse without an enclosing transaction: each statement
        commits on its own (for statements that cannot run in a transaction, and for tests)."""
        self.ensure_schema()
        with self._locked():
            con = self._take(read_only=False)
            try:
                yield con
            finally:
                self._release(con)

    def write(self, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """``work(con)`` inside :meth:`transaction`; run again (up to :data:`CONFLICT_ATTEMPTS` times, after
        a short random wait) when DuckLake refused the commit for a concurrent change to the same table.
        ``work`` must read what it needs inside the transaction: a second run sees the other's commit."""
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                with self.transaction() as con:
                    return work(con)
            except WarehouseConflict:
                if attempt == CONFLICT_ATTEMPTS:
                    raise
                log.info("warehouse %s: commit conflicted with a concurrent one; running it again (%d/%d)",
                         self.shown, attempt + 1, CONFLICT_ATTEMPTS)
                time.sleep(conflict_wait(attempt))
        raise AssertionError("unreachable")

    @contextmanager
    def reader(self, *, migrate: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection (waits for a writer of another process like writers do). A warehouse of
        an older schema version is migrated first (queries are written for the current one); where it
        cannot be written, that is a :class:`WarehouseError`. ``migrate=False`` reads it as it is."""
        if not self.exists():
            raise WarehouseError(f"no warehouse at {self.shown}: run `pressroom run` or `pressroom demo` first")
        with self._locked():
            con = self._take(read_only=True)
            try:
                if check_version(con) < SCHEMA_VERSION and migrate:
                    self._release(con)
                    self._migrate_for_reading()
                    con = self._connect(read_only=True)
                yield con
            finally:
                self._release(con)

    def _migrate_for_reading(self) -> None:
        if self.lake is None and not (os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK | os.X_OK)):
            raise WarehouseError(f"warehouse {self.path} has an older schema than this pressroom's "
                                 f"({SCHEMA_VERSION}) and cannot be migrated where it is (not writable); "
                                 "copy it somewhere writable, or use the pressroom that wrote it")
        self.ensure_schema()

    def checkpoint(self, *, older_than_days: float = 90.0) -> None:
        """Write the WAL into the file and let DuckDB reuse freed space (after deleting much). On DuckLake:
        merge small files, expire snapshots older than ``older_than_days`` and delete unread files."""
        if self.lake is not None:
            with self.transaction() as con:
                con.execute("COMMIT")  # DuckLake's maintenance functions commit on their own
                lake.maintain(con, catalog=lake.alias(self.lake), older_than_days=older_than_days)
                con.execute("BEGIN TRANSACTION")
            return
        with self.transaction() as con:
            con.execute("COMMIT")  # CHECKPOINT cannot run inside a transaction
            con.execute("FORCE CHECKPOINT")
            con.execute("BEGIN TRANSACTION")

    def stored_bytes(self) -> int:
        """The warehouse's size on disk: the DuckDB file, or the Parquet files DuckLake's current snapshot
        reads (the catalog's own tables are not counted)."""
        if self.lake is None:
            return self.path.stat().st_size if self.path.exists() else 0
        with self.reader(migrate=False) as con:
            return lake.stored_bytes(con, catalog=lake.alias(self.lake))

    def ensure_schema(self) -> int:
        """Create or migrate the warehouse now; return the schema version."""
        with self.transaction() as con:
            row = con.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(row[0]) if row and row[0] is not None else 0


T = TypeVar("T")
_attached: set[lake.LakeLocation] = set()
_attached_lock = threading.Lock()



def close_lake_sessions() -> None:
    """Detach every DuckLake catalog this process attached (their PostgreSQL connections close)."""
    with _attached_lock:
        for location in _attached:
            lake.detach(location)
        _attached.clear()


_HEADERS = 3 * 4096  # a DuckDB file starts with three 4 KiB headers; its blocks follow


def truncation(con: duckdb.DuckDBPyConnection, path: Path) -> str | None:
    """Why the file of ``con`` was cut off (an interrupted copy, a full disk), or ``None``: DuckDB's
    header counts the blocks the file holds, so a file shorter than ``3 × 4 KiB + blocks × block size``
    lost its end. DuckDB itself only notices when a query reaches a missing block.

    The size comes from stat(2), never from opening the file: closing any descriptor of a file drops
    every POSIX lock this process holds on it, DuckDB's own included."""
    # used blocks, not total: free blocks at the end may have been cut off the file by DuckDB itself
    row = con.execute("SELECT block_size, used_blocks FROM pragma_database_size()").fetchone()
    if not row or row[0] is None or row[1] is None:
        return None
    block_size, blocks = int(row[0]), int(row[1])
    needed = _HEADERS + blocks * block_size
    size = path.stat().st_size
    if size < needed:
        return (f"warehouse {path} is truncated: {size:,} bytes where its header counts {blocks} blocks "
                f"({needed:,} bytes); restore a complete copy")
    return None


_intact: set[Path] = set()
_intact_lock = threading.Lock()


def _first_open_truncation(con: duckdb.DuckDBPyConnection, path: Path, *, replays_wal: bool) -> str | None:
    """:func:`truncation` on the first connection of this process to ``path`` only. Then DuckDB has
    just read the header from disk, and the file lock is held, so no other process is halfway
    through a checkpoint; later, other connections of this process share the database and may hold
    blocks not yet written (optimistic writes of a large insert, a checkpoint in another thread). Nor
    is it judged when a write-ahead log was left behind (a killed process): replaying it counts blocks
    that are in memory only."""
    key = path.resolve()
    with _intact_lock:
        if key in _intact:
            return None
        if replays_wal:
            _intact.add(key)
            return None
        problem = truncation(con, path)
        if problem is None:
            _intact.add(key)
        return problem


def _cannot_open(path: Path, message: str) -> str:
    if "not a valid DuckDB database file" in message:
        return f"warehouse {path} is not a DuckDB database file; pass --warehouse with pressroom's own file"
    if "Could not read enough bytes" in message:
        size = path.stat().st_size if path.exists() else 0
        return f"warehouse {path} is truncated: {size:,} bytes, too short for DuckDB to read; restore a complete copy"
    return f"cannot open warehouse {path}: {message.splitlines()[0] if message else 'unknown error'}"


def foreign_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Tables and views of a database without ``schema_migrations``: the file belongs to another
    application (empty for a new, empty database)."""
    names = [row[0] for row in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "UNION ALL SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT internal "
        "ORDER BY 1").fetchall()]
    return [] if "schema_migrations" in names else names


def _foreign(con: duckdb.DuckDBPyConnection, path: str) -> str | None:
    names = foreign_tables(con)
    if not names:
        return None
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return (f"{path} is a DuckDB database of another application (tables {shown}; no schema_migrations): "
            "pressroom will not write into it; pass --warehouse with pressroom's own file")


def migrate(con: duckdb.DuckDBPyConnection, *, on_lake: bool = False) -> None:
    """Apply every migration not yet recorded in ``schema_migrations``, each in its own transaction.
    A database holding other tables but no ``schema_migrations`` is refused, never written into.
    On DuckLake (``on_lake``) the migrations run without their PRIMARY KEY/UNIQUE clauses; two processes
    migrating one catalog at once conflict, and the loser starts again from what the winner applied."""
    problem = _foreign(con, _database_file(con))
    if problem:
        raise WarehouseError(problem)
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            _migrate(con, on_lake=on_lake)
            return
        except duckdb.TransactionException as error:
            if not (on_lake and lake.is_conflict(error)) or attempt == CONFLICT_ATTEMPTS - 1:
                raise
            time.sleep(conflict_wait(attempt + 1))


def _migrate(con: duckdb.DuckDBPyConnection, *, on_lake: bool) -> None:
    key = "" if on_lake else " PRIMARY KEY"
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        f" version INTEGER{key}, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
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
            if con.execute("SELECT count(*) FROM schema_migrations WHERE version = ?", [version]).fetchone() != (0,):
                con.execute("ROLLBACK")  # applied meanwhile by another process (DuckLake)
                continue
            con.execute(lake.strip_constraints(sql) if on_lake else sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, name])
        except duckdb.Error:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        log.info("warehouse migrated to version %04d_%s", version, name)


_orphans_checked: set[str] = set()
_orphans_lock = threading.Lock()


def _interrupt_orphans_once(location: str, con: duckdb.DuckDBPyConnection) -> None:
    """The first time this process writes ``location``: runs left ``running`` by a process that is gone
    (killed, or the machine lost power) are recorded as ``interrupted``."""
    key = location if lake.is_lake(location) else str(Path(location).resolve())
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
        problem = _foreign(con, _database_file(con))
        raise WarehouseError(problem or "the warehouse has no schema yet: run `pressroom run` first") from None
    version = int(row[0]) if row and row[0] is not None else 0
    if version > SCHEMA_VERSION:
        raise WarehouseError(f"warehouse schema version {version} is newer than this pressroom ({SCHEMA_VERSION})")
    return version


def _database_file(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return f"warehouse {row[0]}" if row and row[0] else "the warehouse"
