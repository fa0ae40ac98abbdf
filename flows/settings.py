"""Where things live, from CLI options, environment variables and defaults (in that order).

| setting    | option        | environment          | default                     |
|------------|---------------|----------------------|-----------------------------|
| data dir   | --data-dir    | PRESSROOM_DATA_DIR   | ./data                      |
| warehouse  | --warehouse   | PRESSROOM_WAREHOUSE  | <data dir>/pressroom.duckdb |
| sources    | --sources     | PRESSROOM_SOURCES    | bundled connectors/sources.toml |
| lock wait  | --lock-timeout| PRESSROOM_LOCK_TIMEOUT | 120 seconds               |
| DuckDB memory | –          | PRESSROOM_DUCKDB_MEMORY_LIMIT | 256MB (read by :class:`warehouse.Warehouse`) |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    warehouse: Path
    sources: Path
    lock_timeout: float = 120.0

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
        return cls(
            data_dir=data,
            warehouse=warehouse or (Path(env_warehouse) if env_warehouse else data / "pressroom.duckdb"),
            sources=sources or (Path(env_sources) if env_sources else _bundled_sources()),
            lock_timeout=lock_timeout if lock_timeout is not None else float(env_timeout or 120.0),
        )


def configure_prefect(settings: Settings) -> None:
    """Embedded defaults for Prefect, set before it is imported: telemetry off, its home under the
    data directory unless the user chose one, a generous start-up time for the ephemeral server."""
    os.environ.setdefault("PREFECT_HOME", str(settings.prefect_home.resolve()))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def _bundled_sources() -> Path:
    """`connectors.config.default_sources_path()`, without importing `connectors.config` (pydantic,
    requests, bs4: most of a second), so commands that never read the sources, such as `check`, start fast."""
    return Path(str(resources.files("connectors").joinpath("sources.toml")))
