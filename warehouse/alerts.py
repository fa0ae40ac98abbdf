"""Alert episodes (``alerts``): one row per source and condition from the run that opened it until the
run that cleared it, with what was delivered. :mod:`flows.alerts` decides what opens and clears."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa


@dataclass(frozen=True, slots=True)
class Episode:
    """An open episode of one condition on one source."""

    opened_run_id: str
    what_changed: str
    baseline: float | None
    delivered: bool  # its opening alert was accepted by some channel


def open_episodes(con: duckdb.DuckDBPyConnection, source_ids: Sequence[str]) -> dict[tuple[str, str], Episode]:
    """``(source_id, condition) → episode`` of every episode not cleared yet of ``source_ids``."""
    rows = con.execute(
        "SELECT source_id, condition, opened_run_id, what_changed, baseline, last_sent_at IS NOT NULL FROM alerts"
        " WHERE cleared_at IS NULL AND source_id IN (SELECT unnest(?::VARCHAR[]))", [list(source_ids)],
    ).fetchall()
    return {(row[0], row[1]): Episode(row[2], row[3], row[4], bool(row[5])) for row in rows}


def open_episode(
    con: duckdb.DuckDBPyConnection, *, source_id: str, condition: str, run_id: str, now: datetime,
    what_changed: str, baseline: float | None,
) -> None:
    con.execute(
        "INSERT INTO alerts (source_id, condition, opened_at, opened_run_id, what_changed, baseline)"
        " VALUES (?, ?, ?, ?, ?, ?)", [source_id, condition, now, run_id, what_changed, baseline])


def clear_episode(
    con: duckdb.DuckDBPyConnection, *, source_id: str, condition: str, opened_run_id: str, run_id: str,
    now: datetime,
) -> None:
    con.execute("UPDATE alerts SET cleared_at = ?, cleared_run_id = ? WHERE source_id = ? AND condition = ?"
                " AND opened_run_id = ?", [now, run_id, source_id, condition, opened_run_id])


@dataclass(frozen=True, slots=True)
class Delivery:
    """The outcome of sending one alert of one episode over every channel."""

    source_id: str
    condition: str
    opened_run_id: str
    state: str  # opened | cleared
    delivered: bool  # some channel accepted it
    error: str | None  # the failed channels' details, if any


def record_deliveries(con: duckdb.DuckDBPyConnection, deliveries: Sequence[Delivery], *, now: datetime) -> None:
    """Mark each episode delivered when its alert was; count attempts, keep the last error."""
    if not deliveries:
        return
    table = pa.table({
        "source_id": [d.source_id for d in deliveries], "condition": [d.condition for d in deliveries],
        "opened_run_id": [d.opened_run_id for d in deliveries], "state": [d.state for d in deliveries],
        "delivered": [d.delivered for d in deliveries], "error": pa.array([d.error for d in deliveries], pa.string()),
    })
    con.register("incoming_deliveries", table)
    try:
        con.execute(
            """UPDATE alerts SET
                   last_sent_at = CASE WHEN d.state = 'opened' AND d.delivered THEN $now ELSE alerts.last_sent_at END,
                   cleared_sent_at = CASE WHEN d.state = 'cleared' AND d.delivered THEN $now
                                          ELSE alerts.cleared_sent_at END,
                   send_attempts = alerts.send_attempts + 1, last_error = d.error
               FROM incoming_deliveries d
               WHERE alerts.source_id = d.source_id AND alerts.condition = d.condition
                 AND alerts.opened_run_id = d.opened_run_id""",
            {"now": now},
        )
    finally:
        con.unregister("incoming_deliveries")
