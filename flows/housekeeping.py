"""Tending the installation, without recording a run: trimming old raw pages (``vacuum``), a doctor that
looks at everything a run depends on, and the warning about sources the warehouse holds but the sources
file does not configure. (Runs over what is stored — reparse, recheck, publish — are :mod:`flows.maintenance`.)"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import requests

from pressroom.connectors.config import Config, ConfigError, load_config
from pressroom.expectations import engine
from pressroom.flows.settings import Settings, sources_notes, unwritable
from pressroom.warehouse import SCHEMA_VERSION, WarehouseError
from pressroom.warehouse.db import check_version
from pressroom.warehouse.gate import queue_size, violations
from pressroom.warehouse.store import releases_per_source, trim_raw_pages


@dataclass(frozen=True, slots=True)
class VacuumResult:
    deleted_pages: int
    kept_pages: int
    bytes_before: int
    bytes_after: int


def vacuum(settings: Settings, *, keep_versions: int, older_than_days: float) -> VacuumResult:
    """Delete stored bodies beyond the newest ``keep_versions`` of each page when they are also older
    than ``older_than_days``; the newest body of every page is always kept (``reparse`` needs it).
    Then checkpoint, so DuckDB can reuse the space; on DuckLake, merge small Parquet files, expire
    snapshots older than ``older_than_days`` and delete the files no snapshot reads."""
    warehouse = settings.open_warehouse()
    before = warehouse.stored_bytes()
    with warehouse.transaction() as con:
        trimmed = trim_raw_pages(con, keep_versions=keep_versions, older_than_days=older_than_days)
    warehouse.checkpoint(older_than_days=older_than_days)
    return VacuumResult(trimmed.deleted_pages, trimmed.kept_pages, before, warehouse.stored_bytes())


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """One line of ``pressroom doctor``: what it looked at, how that is, and why."""

    area: str
    status: str  # ok | warn | fail
    detail: str


def doctor(
    settings: Settings, *, timeout: float = 5.0, reach: Callable[[str, float], str] | None = None
) -> list[Diagnosis]:
    """Look at configuration, warehouse, Prefect settings, disk and each source; never raises."""
    found: list[Diagnosis] = []
    origin = {"option": "", "environment": " (PRESSROOM_SOURCES)", "default": " (bundled)",
              "data-dir": f" (remembered by data directory {settings.data_dir})"}[settings.sources_origin]
    config: Config | None = None
    try:
        config = load_config(settings.sources)
        enabled = [s for s in config.sources if s.enabled]
        found.append(Diagnosis("configuration", "ok", f"{settings.sources}{origin}: {len(config.sources)} source(s), "
                                                     f"{len(enabled)} enabled"))
    except ConfigError as error:
        found.append(Diagnosis("configuration", "fail", f"{error}{origin}"))
    found += [Diagnosis("configuration", "warn", note) for note in sources_notes(settings)
              if settings.sources_origin != "data-dir"]
    reason = unwritable(settings.data_dir)
    found.append(Diagnosis("data directory", "fail", f"{reason}: run, backfill, reparse, recheck, publish and report "
                                                   "cannot write there") if reason else
                 Diagnosis("data directory", "ok", f"{settings.data_dir} is writable" if settings.data_dir.exists()
                         else f"{settings.data_dir} does not exist yet; the first run creates it"))
    if settings.warehouse_exists():
        try:
            warehouse = settings.open_warehouse(lock_timeout=min(settings.lock_timeout, 10))
            with warehouse.reader(migrate=False) as con:  # doctor reports; the next run migrates
                version = check_version(con)
                known = releases_per_source(con)
                status = "ok" if version == SCHEMA_VERSION else "warn"
                note = "" if version == SCHEMA_VERSION else " (the next run migrates it)"
                found.append(Diagnosis("warehouse", status, f"{warehouse.shown}: {warehouse.backend}, schema "
                                                         f"version {version} of {SCHEMA_VERSION}{note}"))
                if warehouse.lake is not None:
                    data_path = warehouse.lake.data_path or "(the one the catalog stored)"
                    found.append(Diagnosis("warehouse", "ok", f"DuckLake data path: {data_path}"))
                absent = _absent(known, config) if config is not None else None
                if absent:
                    found.append(Diagnosis("warehouse", "warn", absent))
                if version == SCHEMA_VERSION:  # the gate's SQL is written for the current schema
                    found.append(_gate_finding(con))
        except WarehouseError as error:
            found.append(Diagnosis("warehouse", "fail", str(error)))
    else:
        found.append(Diagnosis("warehouse", "ok", f"{settings.warehouse} does not exist yet; the first run creates it"))
    home = os.environ.get("PREFECT_HOME") or f"{settings.prefect_home} (default)"
    api = os.environ.get("PREFECT_API_URL") or "embedded ephemeral server"
    analytics = os.environ.get("PREFECT_SERVER_ANALYTICS_ENABLED", "false (set by pressroom)")
    found.append(Diagnosis("prefect", "ok", f"PREFECT_HOME={home}; API: {api}; analytics: {analytics}"))
    target = settings.data_dir if settings.data_dir.exists() else Path.cwd()
    free = shutil.disk_usage(target).free
    found.append(Diagnosis("disk", "ok" if free > 2 * 1024**3 else "warn",
                           f"{free / 1024**3:.1f} GiB free at {target}"))
    if config is not None:
        check = reach or _reach
        for source in config.sources:
            parts = urlsplit(source.url)
            result = check(f"{parts.scheme}://{parts.netloc}/robots.txt", timeout)
            status = "ok" if result.startswith("reachable") else "warn"
            found.append(Diagnosis(f"source {source.id}", status, f"{parts.netloc}: {result}"))
    return found


def _gate_finding(con: duckdb.DuckDBPyConnection) -> Diagnosis:
    """The gate's invariant (:mod:`warehouse.gate`) on the warehouse as it is: a violation is a failure;
    versions waiting for the current engine's check are a note (any run drains them)."""
    broken = violations(con)
    if broken:
        shown = "; ".join(map(str, broken[:5])) + (f"; … {len(broken) - 5} more" if len(broken) > 5 else "")
        return Diagnosis("publish gate", "fail", f"{len(broken)} violation(s) of the gate's invariant: {shown}")
    waiting = queue_size(con, engine_version=engine.ENGINE_VERSION)
    if waiting:
        return Diagnosis("publish gate", "warn", f"holds; {waiting} version(s) wait for a check by engine "
                                               f"{engine.ENGINE_VERSION} (the next run of any kind checks them)")
    return Diagnosis("publish gate", "ok", "holds: every published version was checked and passes; nothing queued")


def unconfigured_sources(settings: Settings, config: Config) -> str | None:
    """One line naming the sources the warehouse holds that ``config`` does not configure (their
    releases are invisible to ``publish`` and the rest), or ``None`` when there are none."""
    with settings.open_warehouse().reader() as con:
        known = releases_per_source(con)
    return _absent(known, config)


def _absent(known: dict[str, int], config: Config) -> str | None:
    configured = {source.id for source in config.sources}
    absent = {source_id: count for source_id, count in known.items() if source_id not in configured}
    if not absent:
        return None
    listed = ", ".join(f"{source_id} ({count} releases)" for source_id, count in absent.items())
    return (f"the warehouse holds sources that {config.path} does not configure: {listed}; "
            "pass --sources with the file they came from")


def _reach(url: str, timeout: float) -> str:
    try:
        response = requests.get(url, timeout=timeout, headers={"User-Agent": "pressroom-doctor"}, stream=True)
        response.close()
    except requests.RequestException as error:
        return f"unreachable ({type(error).__name__}; offline?)"
    return f"reachable (HTTP {response.status_code})"
