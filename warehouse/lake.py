"""The warehouse on DuckLake: a catalog in PostgreSQL (several machines) or in a DuckDB file (one machine),
its data in Parquet files under ``PRESSROOM_LAKE_DATA_PATH`` (a directory, or an object-store prefix).

A warehouse location is either a DuckDB file (the default) or a DuckLake URL:

- ``ducklake:postgres:dbname=… host=… user=…`` — metadata in PostgreSQL; many processes on many machines
  read and write at once. DuckLake resolves concurrent appends itself; two transactions that both
  delete from (or update) one table conflict at commit, and :meth:`Warehouse.write` runs the loser again.
- ``ducklake:FILE`` — metadata in a DuckDB file, which one process at a time can attach.

The ``ducklake`` and ``postgres`` extensions come from the Python packages ``duckdb-extension-ducklake``
and ``duckdb-extension-postgres`` (wheels built for one DuckDB version, which pyproject pins); they are
loaded by path and DuckDB's auto-install and auto-load are switched off, so nothing is downloaded at
run time. DuckLake supports no PRIMARY KEY or UNIQUE constraint: the migrations' keys are dropped there,
and the keys are kept by the writers (``MERGE INTO`` on the key; tests check that no key repeats).
"""

from __future__ import annotations

import atexit
import hashlib
import os
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

import duckdb

PREFIX = "ducklake:"
#: the prefix of the names DuckLake catalogs are attached under (see :func:`alias`)
CATALOG = "pressroom_lake"
#: where ``PRESSROOM_LAKE_DATA_PATH`` defaults to, under the data directory
DEFAULT_DATA_DIR = "lake"

_CONFLICT = re.compile(r"conflict|Failed to commit DuckLake transaction", re.IGNORECASE)


def is_lake(location: str | os.PathLike[str]) -> bool:
    return str(location).startswith(PREFIX)


@dataclass(frozen=True, slots=True)
class LakeLocation:
    """A ``ducklake:`` URL and where its Parquet files go (``None``: the catalog's stored data path)."""

    url: str
    data_path: str | None = None

    @property
    def backend(self) -> str:
        return "ducklake-postgres" if self.url.startswith(f"{PREFIX}postgres:") else "ducklake-file"

    @property
    def metadata_file(self) -> Path | None:
        """The DuckDB file holding a ``ducklake:FILE`` catalog (``None`` for PostgreSQL)."""
        return None if self.backend == "ducklake-postgres" else Path(self.url.removeprefix(PREFIX))

    @property
    def shown(self) -> str:
        """The URL without a ``password=…`` (for messages and ``doctor``)."""
        return re.sub(r"password=\S+", "password=…", self.url)


def strip_constraints(sql: str) -> str:
    """A migration's SQL for DuckLake: without PRIMARY KEY/UNIQUE clauses, which DuckLake refuses."""
    sql = re.sub(r",(?P<comments>(?:[ \t]*--[^\n]*)?)\s*(?:PRIMARY KEY|UNIQUE)\s*\([^)]*\)", r"\g<comments>",
                 sql, flags=re.IGNORECASE)
    return re.sub(r"\s+(?:PRIMARY KEY|UNIQUE)(?=\s*[,\n)])", "", sql, flags=re.IGNORECASE)


def is_conflict(error: BaseException) -> bool:
    """Whether ``error`` is DuckLake refusing a commit because a concurrent transaction changed the same
    table (running the transaction again can succeed)."""
    return isinstance(error, duckdb.TransactionException) and bool(_CONFLICT.search(str(error)))


_extensions_lock = threading.Lock()
_extension_dir: Path | None = None


def extension_files() -> dict[str, Path]:
    """``{name: path}`` of the ``ducklake`` and ``postgres_scanner`` extensions the installed wheels hold.

    DuckDB names an extension's entry point after its file name: the postgres wheel's file is
    ``postgres.duckdb_extension`` while its entry point is ``postgres_scanner_…``, so it is linked
    under that name into a private directory of this process."""
    global _extension_dir
    found: dict[str, Path] = {}
    for package, name in (("duckdb_extension_ducklake", "ducklake"), ("duckdb_extension_postgres", "postgres")):
        try:
            module = import_module(package)
        except ImportError:
            raise LakeError(f"DuckLake needs the Python package {package.replace('_', '-')} "
                            f"(for duckdb {duckdb.__version__}); reinstall pressroom") from None
        folder = Path(module.__file__ or "").parent / "extensions" / f"v{duckdb.__version__}"
        path = folder / f"{name}.duckdb_extension"
        if not path.exists():
            built = sorted(p.name for p in folder.parent.glob("v*"))
            raise LakeError(f"{package} holds no extension for duckdb {duckdb.__version__} (it has {built}); "
                            "install the versions pyproject pins")
        found[name] = path
    with _extensions_lock:
        if _extension_dir is None:
            _extension_dir = Path(tempfile.mkdtemp(prefix="pressroom-duckdb-ext-"))
            atexit.register(shutil.rmtree, _extension_dir, ignore_errors=True)
        link = _extension_dir / "postgres_scanner.duckdb_extension"
        if not link.exists():
            link.symlink_to(found["postgres"])
    return {"ducklake": found["ducklake"], "postgres_scanner": link}


class LakeError(RuntimeError):
    """The DuckLake catalog cannot be opened (missing extension package, unreachable PostgreSQL)."""


_engine: duckdb.DuckDBPyConnection | None = None
_engine_lock = threading.Lock()


def engine(*, memory_limit: str) -> duckdb.DuckDBPyConnection:
    """This process's one in-memory DuckDB with the extensions loaded (loading them takes a second or
    more, so it is done once); catalogs are attached to it under :func:`alias`. The first caller's
    ``memory_limit`` holds for the process."""
    global _engine
    with _engine_lock:
        if _engine is None:
            con = duckdb.connect(":memory:", config={
                "memory_limit": memory_limit,
                # past the cap, spill to the system's temporary directory (an in-memory DuckDB would
                # otherwise spill into ./.tmp of wherever pressroom was started)
                "temp_directory": str(Path(tempfile.gettempdir()) / f"pressroom-duckdb-{os.getpid()}"),
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
            })
            files = extension_files()
            con.execute(f"LOAD '{_sql(str(files['ducklake']))}'")
            con.execute(f"LOAD '{_sql(str(files['postgres_scanner']))}'")
            _engine = con
        return _engine


def alias(location: LakeLocation) -> str:
    """The name ``location`` is attached under (one per URL and data path, so several catalogs can be
    attached in one process)."""
    digest = hashlib.sha256(f"{location.url}\0{location.data_path}".encode()).hexdigest()[:16]
    return f"{CATALOG}_{digest}"


def attach(location: LakeLocation, *, memory_limit: str) -> duckdb.DuckDBPyConnection:
    """A new connection (cursor) of the :func:`engine` with ``location`` attached and in use."""
    con = engine(memory_limit=memory_limit).cursor()
    try:
        name = alias(location)
        attached = con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = ?", [name]).fetchone()
        if attached == (0,):
            options = ""
            if location.data_path:
                if "://" not in location.data_path:
                    Path(location.data_path).mkdir(parents=True, exist_ok=True)
                options = f" (DATA_PATH '{_sql(location.data_path)}')"
            metadata = location.metadata_file
            if metadata is not None:
                metadata.parent.mkdir(parents=True, exist_ok=True)
            con.execute(f"ATTACH IF NOT EXISTS '{_sql(location.url)}' AS {name}{options}")
        con.execute(f"USE {name}")
    except BaseException:
        con.close()
        raise
    return con


def detach(location: LakeLocation) -> None:
    """Detach ``location`` from the :func:`engine` (closing its PostgreSQL connections, releasing the lock
    of a ``ducklake:FILE`` catalog)."""
    if _engine is None:
        return
    con = _engine.cursor()
    try:
        con.execute(f"DETACH DATABASE IF EXISTS {alias(location)}")
    finally:
        con.close()


def _sql(text: str) -> str:
    return text.replace("'", "''")


@dataclass(frozen=True, slots=True)
class LakeMaintenance:
    merged: int
    expired_snapshots: int
    deleted_files: int


def maintain(con: duckdb.DuckDBPyConnection, *, catalog: str, older_than_days: float) -> LakeMaintenance:
    """What ``vacuum`` means on DuckLake: write rows kept in the catalog (DuckLake inlines small inserts)
    to Parquet, merge small adjacent Parquet files, expire snapshots older than
    ``older_than_days`` (time travel to them ends) and delete the files no snapshot reads any more.
    Runs outside a transaction (each call commits on its own)."""
    con.execute(f"CALL ducklake_flush_inlined_data('{catalog}')").fetchall()
    merged = con.execute(f"CALL ducklake_merge_adjacent_files('{catalog}')").fetchall()
    expired = con.execute(
        f"CALL ducklake_expire_snapshots('{catalog}', older_than => now() - to_days(CAST(? AS INTEGER)))",
        [max(0, int(older_than_days))],
    ).fetchall()
    deleted = con.execute(f"CALL ducklake_cleanup_old_files('{catalog}', cleanup_all => true)").fetchall()
    return LakeMaintenance(len(merged), len(expired), len(deleted))


def stored_bytes(con: duckdb.DuckDBPyConnection, *, catalog: str) -> int:
    """Bytes of the Parquet data and delete files the current snapshot reads."""
    row = con.execute(
        f"SELECT coalesce(sum(file_size_bytes + delete_file_size_bytes), 0) FROM ducklake_table_info('{catalog}')"
    ).fetchone()
    return int(row[0]) if row else 0
