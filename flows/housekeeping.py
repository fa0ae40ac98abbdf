"""Housekeeping: trimming old raw pages, and a doctor that looks at everything a run depends on."""

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
from pressroom.warehouse import SCHEMA_VERSION, Warehouse, WarehouseError
from pressroom.warehouse.db import check_version
from pressroom.warehouse.gate import QUEUE_SQL, violations
from pressroom.warehouse.store import releases_per_source


@dataclass(frozen=True, slots=True)
class VacuumResult:
    deleted_pages: int
    kept_pages: int
    bytes_before: int
    bytes_after: int


def vacuum(settings: Settings, *, keep_versions: int, older_than_days: float) -> VacuumResult:
    """Delete stored bodies beyond the newest ``keep_versions`` of each page when they are also older
    than ``older_than_days``; the newest body of every page is always kept (``reparse`` needs it).
    Then checkpoint, so DuckDB can reuse the space."""
    if keep_versions < 1:
        raise ValueError("--keep-versions must be at least 1: the newest body of a page is always kept")
    before = settings.warehouse.stat().st_size
    warehouse = Warehouse(settings.warehouse, lock_timeout=settings.lock_timeout)
    with warehouse.transaction() as con:
        deleted = con.execute(
            """
            DELETE FROM raw_pages WHERE (source_id, url, sha256) IN (
                SELECT source_id, url, sha256 FROM (
                    SELECT source_id, url, sha256, last_fetched_at,
                           row_number() OVER (PARTITION BY source_id, url ORDER BY last_fetched_at DESC) AS newest
                    FROM raw_pages)
                WHERE newest > $keep AND last_fetched_at < now() - to_seconds($age::DOUBLE))
            RETURNING 1
            """,
            {"keep": keep_versions, "age": older_than_days * 86400},
        ).fetchall()
        kept = con.execute("SELECT count(*) FROM raw_pages").fetchone()
    with warehouse.transaction() as con:
        con.execute("COMMIT")  # CHECKPOINT cannot run inside a transaction
        con.execute("FORCE CHECKPOINT")
        con.execute("BEGIN TRANSACTION")
    return VacuumResult(len(deleted), int(kept[0]) if kept else 0, before, settings.warehouse.stat().st_size)


@dataclass(frozen=True, slots=True)
class Finding:
    area: str
    status: str  # ok | warn | fail
    detail: str


def doctor(
    settings: Settings, *, timeout: float = 5.0, reach: Callable[[str, float], str] | None = None
) -> list[Finding]:
    """Look at configuration, warehouse, Prefect settings, disk and each source; never raises."""
    found: list[Finding] = []
    origin = {"option": "", "environment": " (PRESSROOM_SOURCES)", "default": " (bundled)",
              "data-dir": f" (remembered by data directory {settings.data_dir})"}[settings.sources_origin]
    config: Config | None = None
    try:
        config = load_config(settings.sources)
        enabled = [s for s in config.sources if s.enabled]
        found.append(Finding("configuration", "ok", f"{settings.sources}{origin}: {len(config.sources)} source(s), "
                                                     f"{len(enabled)} enabled"))
    except ConfigError as error:
        found.append(Finding("configuration", "fail", f"{error}{origin}"))
    found += [Finding("configuration", "warn", note) for note in sources_notes(settings)
              if settings.sources_origin != "data-dir"]
    reason = unwritable(settings.data_dir)
    found.append(Finding("data directory", "fail", f"{reason}: run, backfill, reparse, recheck, publish and report "
                                                   "cannot write there") if reason else
                 Finding("data directory", "ok", f"{settings.data_dir} is writable" if settings.data_dir.exists()
                         else f"{settings.data_dir} does not exist yet; the first run creates it"))
    if settings.warehouse.exists():
        try:
            warehouse = Warehouse(settings.warehouse, lock_timeout=min(settings.lock_timeout, 10))
            with warehouse.reader(migrate=False) as con:  # doctor reports; the next run migrates
                version = check_version(con)
                known = releases_per_source(con)
                status = "ok" if version == SCHEMA_VERSION else "warn"
                note = "" if version == SCHEMA_VERSION else " (the next run migrates it)"
                found.append(Finding("warehouse", status, f"{settings.warehouse}: schema version {version} of "
                                                         f"{SCHEMA_VERSION}{note}"))
                absent = _absent(known, config) if config is not None else None
                if absent:
                    found.append(Finding("warehouse", "warn", absent))
                if version == SCHEMA_VERSION:  # the gate's SQL is written for the current schema
                    found.append(_gate_finding(con))
        except WarehouseError as error:
            found.append(Finding("warehouse", "fail", str(error)))
    else:
        found.append(Finding("warehouse", "ok", f"{settings.warehouse} does not exist yet; the first run creates it"))
    home = os.environ.get("PREFECT_HOME") or f"{settings.prefect_home} (default)"
    api = os.environ.get("PREFECT_API_URL") or "embedded ephemeral server"
    analytics = os.environ.get("PREFECT_SERVER_ANALYTICS_ENABLED", "false (set by pressroom)")
    found.append(Finding("prefect", "ok", f"PREFECT_HOME={home}; API: {api}; analytics: {analytics}"))
    target = settings.data_dir if settings.data_dir.exists() else Path.cwd()
    free = shutil.disk_usage(target).free
    found.append(Finding("disk", "ok" if free > 2 * 1024**3 else "warn", f"{free / 1024**3:.1f} GiB free at {target}"))
    if config is not None:
        check = reach or _reach
        for source in config.sources:
            parts = urlsplit(source.url)
            result = check(f"{parts.scheme}://{parts.netloc}/robots.txt", timeout)
            status = "ok" if result.startswith("reachable") else "warn"
            found.append(Finding(f"source {source.id}", status, f"{parts.netloc}: {result}"))
    return found


def _gate_finding(con: duckdb.DuckDBPyConnection) -> Finding:
    """The gate's invariant (:mod:`warehouse.gate`) on the warehouse as it is: a violation is a failure;
    versions waiting for the current engine's check are a note (any run drains them)."""
    broken = violations(con)
    if broken:
        shown = "; ".join(map(str, broken[:5])) + (f"; … {len(broken) - 5} more" if len(broken) > 5 else "")
        return Finding("publish gate", "fail", f"{len(broken)} violation(s) of the gate's invariant: {shown}")
    queued = con.execute(f"SELECT count(*) FROM ({QUEUE_SQL})", {"engine": engine.ENGINE_VERSION}).fetchone()
    waiting = int(queued[0]) if queued else 0
    if waiting:
        return Finding("publish gate", "warn", f"holds; {waiting} version(s) wait for a check by engine "
                                               f"{engine.ENGINE_VERSION} (the next run of any kind checks them)")
    return Finding("publish gate", "ok", "holds: every published version was checked and passes; nothing queued")


def unconfigured_sources(settings: Settings, config: Config) -> str | None:
    """One line naming the sources the warehouse holds that ``config`` does not configure (their
    releases are invisible to ``publish`` and the rest), or ``None`` when there are none."""
    with Warehouse(settings.warehouse, lock_timeout=settings.lock_timeout).reader() as con:
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
