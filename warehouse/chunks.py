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
        """MERGE INTO backfill_chunks c
           USING (SELECT ? AS source_id, ? AS chunk_start, ? AS chunk_end, ? AS status, ? AS run_id,
                         ? AS finished_at, ?::JSON AS counts) i
           ON c.source_id = i.source_id AND c.chunk_start = i.chunk_start AND c.chunk_end = i.chunk_end
           WHEN MATCHED THEN UPDATE SET status = i.status, run_id = i.run_id, finished_at = i.finished_at,
               counts = i.counts
           WHEN NOT MATCHED THEN INSERT BY NAME""",
        [source_id, chunk.start, chunk.end, status, run_id, now, json.dumps(dict(counts))],
    )
