"""Where things live, from CLI options, environment variables and defaults (in that order).

| setting    | option        | environment          | default                     |
|------------|---------------|----------------------|-----------------------------|
| data dir   | --data-dir    | PRESSROOM_DATA_DIR   | ./data                      |
| warehouse  | --warehouse   | PRESSROOM_WAREHOUSE  | <data dir>/pressroom.duckdb |
| sources    | --sources     | PRESSROOM_SOURCES    | bundled connectors/sources.toml |
| lock wait  | --lock-timeout| PRESSROOM_LOCK_TIMEOUT | 120 seconds               |
| DuckDB memory | –          | PRESSROOM_DUCKDB_MEMORY_LIMIT | 256MB (read by :class:`warehouse.Warehouse`) |
| lake data  | –             | PRESSROOM_LAKE_DATA_PATH | <data dir>/lake (a DuckLake warehouse's Parquet files) |

The warehouse is a DuckDB file, or a DuckLake catalog: ``ducklake:postgres:dbname=… host=… user=…`` or
``ducklake:FILE`` (see :mod:`warehouse.lake`); ``warehouse`` then holds that URL as it was given.

A data directory remembers the sources file it was written with (``<data dir>/sources-file.json``,
see :func:`remember_sources`): with neither ``--sources`` nor ``PRESSROOM_SOURCES``, that file is used
rather than the bundled one, so ``pressroom publish --data-dir data/demo`` acts on the demo's sources.
The memory is a file beside the data rather than a warehouse table because it must be read before the
warehouse is opened (which can wait on another process's lock), for a warehouse that does not exist yet
or is broken, and a data directory copied elsewhere keeps it (a path inside the directory is stored
relative to it).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pressroom.warehouse import Warehouse

SOURCES_MEMORY = "sources-file.json"


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    warehouse: Path
    sources: Path
    lock_timeout: float = 120.0
    #: where ``sources`` came from: ``option``, ``environment``, ``data-dir`` (remembered) or ``default``
    sources_origin: str = "default"
    #: the sources file the data directory remembers, if any (it may differ from ``sources``)
    remembered_sources: Path | None = None

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def gx_results_dir(self) -> Path:
        return self.data_dir / "gx"

    @property
    def gx_docs_dir(self) -> Path:
        return self.reports_dir / "gx-docs"

    @property
    def exports_dir(self) -> Path:
        return self.data_dir / "published"

    @property
    def prefect_home(self) -> Path:
        return self.data_dir / "prefect"

    @property
    def lake(self) -> bool:
        """Whether the warehouse is a DuckLake catalog rather than a DuckDB file."""
        return str(self.warehouse).startswith("ducklake:")

    @property
    def lake_data_path(self) -> str:
        """Where a DuckLake warehouse keeps its Parquet files (a directory or an object-store prefix)."""
        return os.environ.get("PRESSROOM_LAKE_DATA_PATH") or str(self.data_dir / "lake")

    def warehouse_exists(self) -> bool:
        """Whether there is a warehouse to read (a DuckLake catalog in PostgreSQL is taken to exist)."""
        return self.open_warehouse().exists() if self.lake else self.warehouse.exists()

    def open_warehouse(self, *, lock_timeout: float | None = None) -> Warehouse:
        """The warehouse these settings name (connections open per transaction), waiting up to
        ``lock_timeout`` (default: the setting) for another process's lock."""
        from pressroom.warehouse import Warehouse  # on use: `check` never opens one and starts fast

        return Warehouse(self.warehouse, lock_timeout=self.lock_timeout if lock_timeout is None else lock_timeout,
                         lake_data_path=self.lake_data_path if self.lake else None)

    @classmethod
    def resolve(
        cls,
        *,
        data_dir: Path | None = None,
        warehouse: Path | None = None,
        sources: Path | None = None,
        lock_timeout: float | None = None,
    ) -> Settings:
        data = data_dir or Path(os.environ.get("PRESSROOM_DATA_DIR") or "data")
        env_warehouse = os.environ.get("PRESSROOM_WAREHOUSE")
        env_sources = os.environ.get("PRESSROOM_SOURCES")
        env_timeout = os.environ.get("PRESSROOM_LOCK_TIMEOUT")
        remembered = remembered_sources(data)
        if sources is not None:  # typer passes PRESSROOM_SOURCES as the option's value
            origin = "environment" if env_sources and Path(env_sources) == sources else "option"
        elif env_sources:
            sources, origin = Path(env_sources), "environment"
        elif remembered is not None:
            sources, origin = remembered, "data-dir"
        else:
            sources, origin = _bundled_sources(), "default"
        return cls(
            data_dir=data,
            warehouse=warehouse or (Path(env_warehouse) if env_warehouse else data / "pressroom.duckdb"),
            sources=sources,
            lock_timeout=lock_timeout if lock_timeout is not None else float(env_timeout or 120.0),
            sources_origin=origin,
            remembered_sources=remembered,
        )


def _same_file(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def remembered_sources(data_dir: Path) -> Path | None:
    """The sources file ``data_dir`` was last written with, or ``None`` when it remembers none.
    A memory file that cannot be read as one is a :class:`connectors.config.ConfigError`: guessing
    would act on the wrong sources."""
    memory = data_dir / SOURCES_MEMORY
    try:
        record = json.loads(memory.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):  # a data directory that is a file is reported where used
        return None
    except (OSError, ValueError) as error:
        raise _config_error(f"{memory}: cannot read which sources file this data directory uses ({error}); "
                            "delete it or pass --sources") from None
    if isinstance(record, dict) and record.get("bundled") is True:
        return _bundled_sources()
    value = record.get("sources") if isinstance(record, dict) else None
    if not isinstance(value, str) or not value:
        raise _config_error(f"{memory}: no 'sources' path in it; delete it or pass --sources")
    path = Path(value)
    return path if path.is_absolute() else data_dir / path


def _config_error(message: str) -> Exception:
    from pressroom.connectors.config import ConfigError  # only on this error path: see _bundled_sources

    return ConfigError(message)


def remember_sources(settings: Settings, *, command: str) -> bool:
    """Make the data directory remember ``settings.sources`` (called by commands that write, once their
    input is validated); return whether the memory changed. Written under a temporary name and renamed."""
    if settings.remembered_sources is not None and _same_file(settings.remembered_sources, settings.sources):
        return False
    bundled = _same_file(settings.sources, _bundled_sources())
    target = settings.sources.resolve()
    try:
        stored = str(target.relative_to(settings.data_dir.resolve()))
    except ValueError:
        stored = str(target)
    record = {"sources": stored, "bundled": bundled, "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
              "command": command}
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    temporary = settings.data_dir / f".{SOURCES_MEMORY}.tmp"
    temporary.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    temporary.replace(settings.data_dir / SOURCES_MEMORY)
    return True


def sources_notes(settings: Settings) -> list[str]:
    """One line each on which sources file is used when it is not simply the default: remembered by
    the data directory, or given while the data directory remembers another."""
    remembered = settings.remembered_sources
    if settings.sources_origin == "data-dir" and not _same_file(settings.sources, _bundled_sources()):
        return [f"sources file {settings.sources} (remembered by data directory {settings.data_dir}; "
                "--sources chooses another)"]
    if settings.sources_origin in ("option", "environment") and remembered is not None \
            and not _same_file(remembered, settings.sources):
        given = "--sources" if settings.sources_origin == "option" else "PRESSROOM_SOURCES"
        return [f"data directory {settings.data_dir} was used with sources file {remembered}; "
                f"using {settings.sources} as given by {given}"]
    return []


def unwritable(directory: Path) -> str | None:
    """Why files cannot be created in ``directory`` (made on first use if missing), or ``None``.
    Asks the kernel with access(2), which refuses a read-only mount or an immutable directory even
    to root (whom permission bits do not stop, and rightly so)."""
    existing = directory
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a directory"
    if os.access(existing, os.W_OK | os.X_OK):
        return None
    try:
        read_only = bool(os.statvfs(existing).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    return f"{existing} is on a read-only file system" if read_only else f"{existing} is not writable"


def unwritable_file(path: Path) -> str | None:
    """Why ``path`` (a file, created if missing, with DuckDB's ``.wal`` beside it) cannot be written."""
    if path.exists() and not os.access(path, os.W_OK):
        return unwritable(path.parent) or f"{path} is read-only"
    return unwritable(path.parent)


def configure_prefect(settings: Settings) -> None:
    """Embedded defaults for Prefect, set before it is imported: telemetry off, its home under the
    data directory unless the user chose one, a generous start-up time for the ephemeral server."""
    os.environ.setdefault("PREFECT_HOME", str(settings.prefect_home.resolve()))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def _bundled_sources() -> Path:
    """`connectors.config._bundled_sources()`, without importing `connectors.config` (pydantic,
    requests, bs4: most of a second), so commands that never read the sources, such as `check`, start fast."""
    return Path(str(resources.files("pressroom.connectors").joinpath("sources.toml")))
