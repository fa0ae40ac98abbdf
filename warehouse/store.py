"""Reads and writes of the pipeline, each a set-based statement over a batch (never row by row).

All functions take an open connection inside a transaction (see :meth:`Warehouse.transaction`), so a
batch lands whole or not at all, and the watermark moves in the same transaction as the load.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from pressroom.connectors.model import RawPage
from pressroom.expectations.findings import Finding
from pressroom.warehouse.runs import this_process

UTC_TS = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True, slots=True)
class FailureRecord:
    source_id: str
    url: str
    reason: str
    attempts: int
    kind: str = "page"  # listing | page | parse
    detail: str = ""
    listed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CheckResult:
    release_id: str
    content_hash: str
    engine_version: str
    findings: tuple[Finding, ...]
    record_failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.record_failures and not any(f.severity == "error" for f in self.findings)


@dataclass(frozen=True, slots=True)
class SourceState:
    source_id: str
    watermark: datetime | None
    last_run_id: str | None
    last_run_at: datetime | None
    last_status: str | None


# --- runs -------------------------------------------------------------------------------------------

def start_run(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    flow: str,
    started_at: datetime,
    window: tuple[datetime | None, datetime | None] = (None, None),
    prefect_flow_run_id: str | None = None,
) -> None:
    """A ``running`` row owned by this process (see :mod:`warehouse.runs`)."""
    owner = this_process()
    con.execute(
        "INSERT INTO runs (run_id, flow, status, started_at, window_since, window_until, prefect_flow_run_id,"
        " owner_host, owner_pid, owner_started) VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)",
        [run_id, flow, started_at, window[0], window[1], prefect_flow_run_id, owner.host, owner.pid, owner.started],
    )


RUN_COUNTS = ("listed", "fetched", "new", "changed", "unchanged", "failed", "published", "held")


def finish_run(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    status: str,
    finished_at: datetime,
    totals: dict[str, int],
    sources: list[dict[str, object]],
    window: tuple[datetime | None, datetime | None] = (None, None),
    report_path: str | None = None,
) -> None:
    assignments = ", ".join(f"{name} = ?" for name in RUN_COUNTS)
    con.execute(
        "UPDATE runs SET status = ?, finished_at = ?, sources = ?, report_path = ?, window_since = ?,"
        f" window_until = ?, {assignments} WHERE run_id = ?",
        [status, finished_at, json.dumps(sources, default=str), report_path, window[0], window[1],
         *(int(totals.get(name, 0)) for name in RUN_COUNTS), run_id],
    )


def record_report_path(con: duckdb.DuckDBPyConnection, *, run_id: str, report_path: str) -> None:
    """Where the run's report page was written (once the report exists, after ``finish_run``)."""
    con.execute("UPDATE runs SET report_path = ? WHERE run_id = ?", [report_path, run_id])


# --- source state -----------------------------------------------------------------------------------

def get_state(con: duckdb.DuckDBPyConnection, source_id: str) -> SourceState | None:
    row = con.execute(
        "SELECT source_id, watermark, last_run_id, last_run_at, last_status FROM source_state"
        " WHERE source_id = ?",
        [source_id],
    ).fetchone()
    return SourceState(*row) if row else None


def save_state(
    con: duckdb.DuckDBPyConnection,
    *,
    source_id: str,
    run_id: str,
    run_at: datetime,
    status: str,
    watermark: datetime | None,
    error: str | None = None,
) -> None:
    """Record a source's run; ``watermark=None`` leaves the stored watermark as it is."""
    con.execute(
        """
        MERGE INTO source_state s
        USING (SELECT $source_id AS source_id, $watermark::TIMESTAMPTZ AS watermark, $run_id AS last_run_id,
                      $run_at::TIMESTAMPTZ AS last_run_at, $status AS last_status,
                      CASE WHEN $status = 'ok' THEN $run_at::TIMESTAMPTZ END AS last_success_at,
                      $error::VARCHAR AS last_error) i
        ON s.source_id = i.source_id
        WHEN MATCHED THEN UPDATE SET
            watermark = coalesce(i.watermark, s.watermark),
            last_run_id = i.last_run_id,
            last_run_at = i.last_run_at,
            last_status = i.last_status,
            last_success_at = coalesce(i.last_success_at, s.last_success_at),
            last_error = i.last_error
        WHEN NOT MATCHED THEN INSERT (source_id, watermark, last_run_id, last_run_at, last_status,
                                      last_success_at, last_error)
            VALUES (i.source_id, i.watermark, i.last_run_id, i.last_run_at, i.last_status,
                    i.last_success_at, i.last_error)
        """,
        {"source_id": source_id, "watermark": watermark, "run_id": run_id, "run_at": run_at,
         "status": status, "error": error},
    )


# --- raw pages and failures -------------------------------------------------------------------------

def save_raw_pages(con: duckdb.DuckDBPyConnection, pages: Sequence[RawPage], *, run_id: str) -> None:
    """Keep every distinct body; a body fetched again only moves ``last_fetched_at``."""
    if not pages:
        return
    unique = {(p.source_id, p.url, p.sha256): p for p in pages}
    table = pa.table({
        "source_id": [p.source_id for p in unique.values()],
        "url": [p.url for p in unique.values()],
        "sha256": [key[2] for key in unique],
        "final_url": [p.final_url for p in unique.values()],
        "status": pa.array([p.status for p in unique.values()], pa.int32()),
        "content_type": [p.content_type for p in unique.values()],
        "encoding": [p.encoding for p in unique.values()],
        "headers": [json.dumps(dict(p.headers)) for p in unique.values()],
        "body_gzip": pa.array([gzip.compress(p.content, 6) for p in unique.values()], pa.binary()),
        "size_bytes": pa.array([len(p.content) for p in unique.values()], pa.int64()),
        "listed_title": pa.array([p.listed_title for p in unique.values()], pa.string()),
        "listed_at": pa.array([p.listed_at for p in unique.values()], UTC_TS),
        "fetched_at": pa.array([p.fetched_at for p in unique.values()], UTC_TS),
    })
    con.register("incoming_pages", table)
    try:
        con.execute(
            """
            MERGE INTO raw_pages p USING incoming_pages i
                ON p.source_id = i.source_id AND p.url = i.url AND p.sha256 = i.sha256
            WHEN MATCHED THEN UPDATE SET last_fetched_at = i.fetched_at
            WHEN NOT MATCHED THEN INSERT VALUES (
                i.source_id, i.url, i.sha256, i.final_url, i.status, i.content_type, i.encoding, i.headers::JSON,
                i.body_gzip, i.size_bytes, i.listed_title, i.listed_at, i.fetched_at, i.fetched_at, $run_id)
            """,
            {"run_id": run_id},
        )
    finally:
        con.unregister("incoming_pages")


def raw_page_urls(con: duckdb.DuckDBPyConnection, *, source_id: str | None = None) -> list[tuple[str, str]]:
    """``(source_id, url)`` of every page with a stored 200 body, for re-parsing without the network."""
    return [
        (row[0], row[1])
        for row in con.execute(
            "SELECT DISTINCT source_id, url FROM raw_pages WHERE status = 200"
            " AND ($source_id IS NULL OR source_id = $source_id) ORDER BY 1, 2",
            {"source_id": source_id},
        ).fetchall()
    ]


def load_raw_pages(con: duckdb.DuckDBPyConnection, keys: Sequence[tuple[str, str]]) -> list[RawPage]:
    """The newest stored body of each ``(source_id, url)``."""
    if not keys:
        return []
    table = pa.table({"source_id": [k[0] for k in keys], "url": [k[1] for k in keys]})
    con.register("wanted_pages", table)
    try:
        rows = con.execute(
            """
            SELECT p.source_id, p.url, p.final_url, p.status, p.content_type, p.encoding, p.body_gzip,
                   p.last_fetched_at, p.headers, p.listed_title, p.listed_at
            FROM raw_pages p SEMI JOIN wanted_pages w ON w.source_id = p.source_id AND w.url = p.url
            WHERE p.status = 200
            QUALIFY row_number() OVER (PARTITION BY p.source_id, p.url ORDER BY p.last_fetched_at DESC) = 1
            ORDER BY p.source_id, p.url
            """
        ).fetchall()
    finally:
        con.unregister("wanted_pages")
    return [
        RawPage(
            source_id=row[0], url=row[1], final_url=row[2], status=row[3], content_type=row[4] or "",
            encoding=row[5] or "utf-8", content=gzip.decompress(row[6]), fetched_at=row[7],
            headers=json.loads(row[8]) if row[8] else {}, listed_title=row[9], listed_at=row[10],
        )
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class TrimResult:
    deleted_pages: int
    kept_pages: int


def trim_raw_pages(con: duckdb.DuckDBPyConnection, *, keep_versions: int, older_than_days: float) -> TrimResult:
    """Delete stored bodies beyond the newest ``keep_versions`` of each page when they are also older
    than ``older_than_days``; the newest body of every page is always kept (``reparse`` needs it)."""
    if keep_versions < 1:
        raise ValueError("--keep-versions must be at least 1: the newest body of a page is always kept")
    old = """
        SELECT source_id, url, sha256 FROM (
            SELECT source_id, url, sha256, last_fetched_at,
                   row_number() OVER (PARTITION BY source_id, url ORDER BY last_fetched_at DESC) AS newest
            FROM raw_pages)
        WHERE newest > $keep AND last_fetched_at < now() - to_seconds($age::DOUBLE)"""
    params = {"keep": keep_versions, "age": older_than_days * 86400}
    counted = con.execute(f"SELECT count(*) FROM ({old})", params).fetchone()  # DuckLake has no RETURNING
    con.execute(f"DELETE FROM raw_pages WHERE (source_id, url, sha256) IN ({old})", params)
    kept = con.execute("SELECT count(*) FROM raw_pages").fetchone()
    return TrimResult(int(counted[0]) if counted else 0, int(kept[0]) if kept else 0)


def record_failures(
    con: duckdb.DuckDBPyConnection, failures: Sequence[FailureRecord], *, run_id: str, now: datetime
) -> None:
    """Upsert on ``(source_id, url)``: attempts accumulate, and a failure seen again reopens."""
    unique = list({(f.source_id, f.url): f for f in failures}.values())
    if not unique:
        return
    table = pa.table({
        "source_id": [f.source_id for f in unique],
        "url": [f.url for f in unique],
        "reason": [f.reason for f in unique],
        "attempts": pa.array([f.attempts for f in unique], pa.int32()),
        "kind": [f.kind for f in unique],
        "detail": [f.detail[:1000] for f in unique],
    })
    con.register("incoming_failures", table)
    try:
        con.execute(
            """
            MERGE INTO fetch_failures f USING incoming_failures i ON f.source_id = i.source_id AND f.url = i.url
            WHEN MATCHED THEN UPDATE SET
                reason = i.reason,
                attempts = f.attempts + i.attempts,
                first_failed_at = CASE WHEN f.resolved_at IS NULL THEN f.first_failed_at ELSE $now END,
                last_failed_at = $now,
                resolved_at = NULL,
                kind = i.kind,
                detail = i.detail,
                last_run_id = $run_id
            WHEN NOT MATCHED THEN INSERT (source_id, url, reason, attempts, first_failed_at, last_failed_at,
                                          resolved_at, kind, detail, last_run_id)
                VALUES (i.source_id, i.url, i.reason, i.attempts, $now, $now, NULL, i.kind, i.detail, $run_id)
            """,
            {"now": now, "run_id": run_id},
        )
    finally:
        con.unregister("incoming_failures")


def resolve_failures(
    con: duckdb.DuckDBPyConnection, *, source_id: str, urls: Iterable[str], now: datetime
) -> int:
    urls = list(urls)
    if not urls:
        return 0
    which = "source_id = ? AND resolved_at IS NULL AND url IN (SELECT unnest(?::VARCHAR[]))"
    rows = con.execute(f"SELECT count(*) FROM fetch_failures WHERE {which}", [source_id, urls]).fetchone()
    con.execute(f"UPDATE fetch_failures SET resolved_at = ? WHERE {which}", [now, source_id, urls])
    return int(rows[0]) if rows else 0


def open_failures(con: duckdb.DuckDBPyConnection, source_id: str, *, kind: str = "page") -> list[str]:
    rows = con.execute(
        "SELECT url FROM fetch_failures WHERE source_id = ? AND kind = ? AND resolved_at IS NULL"
        " AND retired_at IS NULL ORDER BY url",
        [source_id, kind],
    ).fetchall()
    return [row[0] for row in rows]


def releases_per_source(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Every source the warehouse knows (from ``releases`` or ``source_state``) and its release count."""
    rows = con.execute("""
        SELECT source_id, count(r.release_id) FROM (
            SELECT source_id FROM releases UNION SELECT source_id FROM source_state) s
        LEFT JOIN releases r USING (source_id) GROUP BY 1 ORDER BY 1""").fetchall()
    return {str(source_id): int(count) for source_id, count in rows}


@dataclass(frozen=True, slots=True)
class SourceOverview:
    """One source's state and counts as ``pressroom sources`` shows them."""

    last_run_at: datetime | None
    last_status: str | None
    watermark: datetime | None
    releases: int
    published: int
    open_failures: int


def source_overview(con: duckdb.DuckDBPyConnection) -> dict[str, SourceOverview]:
    """Every source with a ``source_state`` row: its last run, watermark and counts."""
    rows = con.execute("""
        SELECT s.source_id, s.last_run_at, s.last_status, s.watermark,
               (SELECT count(*) FROM releases r WHERE r.source_id = s.source_id),
               (SELECT count(*) FROM published_releases p WHERE p.source_id = s.source_id),
               (SELECT count(*) FROM fetch_failures f WHERE f.source_id = s.source_id
                    AND f.resolved_at IS NULL)
        FROM source_state s""").fetchall()
    return {row[0]: SourceOverview(*row[1:]) for row in rows}
