"""Backfill chunks (``backfill_chunks``): which month of which source a backfill completed, so a rerun
skips it (see :mod:`flows.chunks` for how a window is cut)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import duckdb


@dataclass(frozen=True, slots=True)
class Chunk:
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def completed_chunks(con: duckdb.DuckDBPyConnection, source_id: str) -> set[Chunk]:
    rows = con.execute(
        "SELECT chunk_start, chunk_end FROM backfill_chunks WHERE source_id = ? AND status = 'ok'", [source_id]
    ).fetchall()
    return {Chunk(row[0], row[1]) for row in rows}


def attempted_chunks(con: duckdb.DuckDBPyConnection, source_id: str) -> set[Chunk]:
    """Chunks an earlier backfill ran without completing (some page failed)."""
    rows = con.execute(
        "SELECT chunk_start, chunk_end FROM backfill_chunks WHERE source_id = ? AND status <> 'ok'", [source_id]
    ).fetchall()
    return {Chunk(row[0], row[1]) for row in rows}


def record_chunk(
    con: duckdb.DuckDBPyConnection,
    chunk: Chunk,
    *,
    source_id: str,
    status: str,
    counts: Mapping[str, int],
    run_id: str,
    now: datetime,
) -> None:
    """How a chunk ended; a chunk run again replaces its row."""
    con.execute(
        """INSERT INTO backfill_chunks VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (source_id, chunk_start, chunk_end) DO UPDATE SET status = excluded.status,
               run_id = excluded.run_id, finished_at = excluded.finished_at, counts = excluded.counts""",
        [source_id, chunk.start, chunk.end, status, run_id, now, json.dumps(dict(counts))],
    )
