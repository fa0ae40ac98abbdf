"""What the static report (``flows/report.py``) shows, read from the warehouse as typed rows.

Every query here only reads; the report opens the warehouse with :meth:`Warehouse.reader`. Rows hold
the values as stored (scraped strings unescaped: escaping is the template's job). Timestamps are
timezone-aware; counts are ``int``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, TypeVar

import duckdb

from pressroom.warehouse.health import SourceHealth, latest_health
from pressroom.warehouse.releases import gate_query
from pressroom.warehouse.runs import shown_status

T = TypeVar("T")

#: Runs listed on the index page, newest first.
RUN_LIMIT = 500
#: Rows shown per lifecycle section (skipped, retired, withdrawn); the warehouse keeps them all.
LIFECYCLE_LIMIT = 200


@dataclass(frozen=True, slots=True)
class RunRow:
    """One row of ``runs`` as the report shows it: ``status`` as a reader should see it
    (:func:`shown_status`), ``sources`` and ``health_gx_failures`` decoded from their JSON."""

    run_id: str
    flow: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    listed: int | None
    fetched: int | None
    new: int | None
    changed: int | None
    failed: int | None
    published: int | None
    held: int | None
    sources: list[dict[str, Any]]
    gx_results: str | None
    gx_docs: str | None
    gx_warnings: list[str]
    health_gx_results: str | None
    health_gx_failures: dict[str, list[str]] | None


@dataclass(frozen=True, slots=True)
class HeldRelease:
    """The current version of a release the gate holds, with the checks that hold it."""

    release_id: str
    source_id: str
    title: str | None
    url: str | None
    published_at: datetime | None
    body_text: str | None
    open_checks: list[str]
    first_seen_at: datetime
    last_seen_at: datetime
    version: int


@dataclass(frozen=True, slots=True)
class FindingRow:
    """One finding on the current version of a release (``span_start``/``span_end`` index ``field``)."""

    release_id: str
    check_id: str
    severity: str
    field: str
    span_start: int
    span_end: int
    excerpt: str | None
    message: str | None


@dataclass(frozen=True, slots=True)
class OpenFailure:
    source_id: str
    url: str
    reason: str
    attempts: int
    kind: str
    detail: str | None
    last_failed_at: datetime | None


@dataclass(frozen=True, slots=True)
class CheckCount:
    """How many findings a check made on the current versions of the run's sources, on how many releases."""

    check_id: str
    severity: str
    n: int
    releases: int


@dataclass(frozen=True, slots=True)
class SkippedPage:
    source_id: str
    url: str
    reason: str
    detail: str | None


@dataclass(frozen=True, slots=True)
class RetiredFailure:
    source_id: str
    url: str
    reason: str
    gone_runs: int | None
    retired_at: datetime
    detail: str | None


@dataclass(frozen=True, slots=True)
class WithdrawnRelease:
    source_id: str
    url: str
    title: str | None
    withdrawn_at: datetime
    withdrawn_reason: str | None


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """Pages that are not (or no longer) releases: skipped by the run, retired failures, withdrawn releases."""

    skipped: list[SkippedPage]
    retired: list[RetiredFailure]
    withdrawn: list[WithdrawnRelease]


def _rows(con: duckdb.DuckDBPyConnection, row: type[T], sql: str, params: Sequence[Any] = ()) -> list[T]:
    """``sql`` (selecting exactly ``row``'s fields, in order) as a list of ``row``."""
    return [row(*values) for values in con.execute(sql, list(params)).fetchall()]


def recent_runs(con: duckdb.DuckDBPyConnection, *, limit: int = RUN_LIMIT) -> list[RunRow]:
    """The latest ``limit`` runs, newest first."""
    cursor = con.execute("SELECT * FROM runs ORDER BY started_at DESC LIMIT ?", [limit])
    names = [column[0] for column in cursor.description]
    wanted = {f.name for f in fields(RunRow)}
    runs = []
    for values in cursor.fetchall():
        row: dict[str, Any] = dict(zip(names, values, strict=True))
        row["status"] = shown_status(row)
        row["sources"] = json.loads(row["sources"]) if row["sources"] else []
        row["gx_warnings"] = list(row.get("gx_warnings") or [])
        failures = row.get("health_gx_failures")
        row["health_gx_failures"] = json.loads(failures) if failures else None
        # Columns a migration added later are None in a warehouse read as it is (``migrate=False``).
        known: dict[str, Any] = {name: row.get(name) for name in wanted}
        runs.append(RunRow(**known))
    return runs


def state_source_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every source with a watermark row (the sources a run without per-source counts covers)."""
    return [row[0] for row in con.execute("SELECT source_id FROM source_state").fetchall()]


def held_releases(con: duckdb.DuckDBPyConnection, source_ids: Sequence[str]) -> list[HeldRelease]:
    """The releases of ``source_ids`` whose current version the gate holds, by source, newest first."""
    scope = gate_query("r.source_id IN (SELECT unnest(?::VARCHAR[]))")
    held = _rows(con, HeldRelease, f"""
        SELECT g.release_id, g.source_id, g.title, g.url, g.published_at, g.body_text, g.open_checks,
               g.first_seen_at, g.last_seen_at, g.version
        FROM ({scope}) g
        WHERE NOT g.publishable ORDER BY g.source_id, g.published_at DESC NULLS LAST""", [list(source_ids)])
    return [replace(release, open_checks=list(release.open_checks or [])) for release in held]


def current_findings(con: duckdb.DuckDBPyConnection, release_ids: Sequence[str]) -> list[FindingRow]:
    """The findings on the current versions of ``release_ids``, by release, field and offset."""
    return _rows(con, FindingRow, """
        SELECT f.release_id, f.check_id, f.severity, f.field, f.span_start, f.span_end, f.excerpt, f.message
        FROM dq_findings f JOIN releases r USING (release_id, content_hash)
        WHERE f.release_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY f.release_id, f.field, f.span_start""",
        [list(release_ids)])


def open_failures(con: duckdb.DuckDBPyConnection, source_ids: Sequence[str]) -> list[OpenFailure]:
    """Fetch failures of ``source_ids`` neither resolved nor retired, by source and URL."""
    return _rows(con, OpenFailure, """
        SELECT source_id, url, reason, attempts, kind, detail, last_failed_at FROM fetch_failures
        WHERE resolved_at IS NULL AND retired_at IS NULL AND source_id IN (SELECT unnest(?::VARCHAR[]))
        ORDER BY source_id, url""", [list(source_ids)])


def check_counts(con: duckdb.DuckDBPyConnection, source_ids: Sequence[str]) -> list[CheckCount]:
    """Findings per check and severity on the current versions of ``source_ids``'s releases, most first."""
    return _rows(con, CheckCount, """
        SELECT check_id, severity, count(*) AS n, count(DISTINCT release_id) AS releases
        FROM dq_findings f JOIN releases r USING (release_id, content_hash)
        WHERE r.source_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY ALL ORDER BY severity, n DESC""",
        [list(source_ids)])


def lifecycle(
    con: duckdb.DuckDBPyConnection, *, run_id: str, source_ids: Sequence[str], limit: int = LIFECYCLE_LIMIT
) -> Lifecycle:
    """What run ``run_id`` skipped, and the retired failures and withdrawn releases of ``source_ids``
    (most recent first), at most ``limit`` of each."""
    ids = list(source_ids)
    return Lifecycle(
        skipped=_rows(con, SkippedPage, """
            SELECT source_id, url, reason, detail FROM skipped_pages WHERE last_run_id = ?
            ORDER BY source_id, reason, url LIMIT ?""", [run_id, limit]),
        retired=_rows(con, RetiredFailure, """
            SELECT source_id, url, reason, gone_runs, retired_at, detail FROM fetch_failures
            WHERE retired_at IS NOT NULL AND resolved_at IS NULL AND source_id IN (SELECT unnest(?::VARCHAR[]))
            ORDER BY retired_at DESC, url LIMIT ?""", [ids, limit]),
        withdrawn=_rows(con, WithdrawnRelease, """
            SELECT source_id, url, title, withdrawn_at, withdrawn_reason FROM releases
            WHERE withdrawn_at IS NOT NULL AND source_id IN (SELECT unnest(?::VARCHAR[]))
            ORDER BY withdrawn_at DESC, url LIMIT ?""", [ids, limit]),
    )


def current_health(con: duckdb.DuckDBPyConnection) -> list[SourceHealth]:
    """The latest saved health of every source that has one, by source id."""
    known = [row[0] for row in con.execute("SELECT DISTINCT source_id FROM source_health ORDER BY 1").fetchall()]
    return sorted(latest_health(con, known).values(), key=lambda health: health.source_id)
