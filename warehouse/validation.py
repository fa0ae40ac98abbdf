"""What the Great Expectations stage reads and records (:mod:`flows.validation` runs the suites).

GX reads pandas: the releases a run checked and the nightly history come back as data frames (its SQL
data source loses every row with DuckDB). Record-level failures are merged into ``dq_runs``, so the
publish gate holds those releases; where the results and Data Docs are is recorded on the run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

_RELEASES = """
WITH errors AS (SELECT release_id, content_hash, list(DISTINCT check_id ORDER BY check_id) AS checks
                FROM dq_findings WHERE severity = 'error' GROUP BY ALL)
SELECT r.release_id, r.source_id, r.url, r.title, r.published_at,
       -- the expectations need only whether there is a body and its length, not the text itself
       CASE WHEN r.body_text IS NULL THEN NULL ELSE '' END AS body_text, length(r.body_text) AS body_chars,
       r.language, r.content_hash, coalesce(e.checks, []) AS error_checks
FROM releases r
JOIN dq_runs d ON d.release_id = r.release_id AND d.content_hash = r.content_hash
LEFT JOIN errors e ON e.release_id = r.release_id AND e.content_hash = r.content_hash
WHERE d.run_id = ?
"""
_HISTORY = """
SELECT s->>'source_id' AS source_id, r.run_id, CAST(s->>'new' AS INTEGER) AS new_releases
FROM runs r, unnest(CAST(r.sources AS JSON[])) AS t(s)
WHERE r.flow = 'nightly' AND r.status IN ('completed', 'partial') AND r.run_id <> ?
"""


def checked_releases(con: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    """The current versions ``run_id`` checked, with their error checks (bodies as ``''`` or null, and
    their length)."""
    return con.execute(_RELEASES, [run_id]).df()


def nightly_history(con: duckdb.DuckDBPyConnection, *, excluding: str) -> pd.DataFrame:
    """``source_id, run_id, new_releases`` of every finished nightly run but ``excluding``."""
    return con.execute(_HISTORY, [excluding]).df()


def hold_failed_records(con: duckdb.DuckDBPyConnection, failures: Mapping[str, Sequence[str]]) -> None:
    """Merge ``release_id → failed record expectations`` into the verdicts of the current versions."""
    if not failures:
        return
    failed = pa.table({
        "release_id": list(failures),
        "failures": pa.array([list(v) for v in failures.values()], pa.list_(pa.string())),
    })
    con.register("gx_failed", failed)
    try:
        con.execute("""
            UPDATE dq_runs SET passed = false,
                record_failures = list_sort(list_distinct(list_concat(coalesce(dq_runs.record_failures, []),
                                                                      g.failures)))
            FROM gx_failed g, releases r
            WHERE dq_runs.release_id = g.release_id AND r.release_id = g.release_id
              AND dq_runs.content_hash = r.content_hash""")
    finally:
        con.unregister("gx_failed")


def record_results(
    con: duckdb.DuckDBPyConnection, *, run_id: str, results: Path, docs: Path | None, warnings: Sequence[str]
) -> None:
    """Where the run's GX results and Data Docs are, and its batch-level warnings."""
    con.execute("UPDATE runs SET gx_results = ?, gx_docs = ?, gx_warnings = ? WHERE run_id = ?",
                [str(results), str(docs) if docs else None, list(warnings), run_id])


def record_health_results(
    con: duckdb.DuckDBPyConnection, *, run_id: str, results: Path, failures: Mapping[str, Sequence[str]]
) -> None:
    """Where the run's source-health GX results are, and each source's failed expectations."""
    con.execute("UPDATE runs SET health_gx_results = ?, health_gx_failures = ? WHERE run_id = ?",
                [str(results), json.dumps({k: list(v) for k, v in failures.items()}), run_id])
