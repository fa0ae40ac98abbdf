"""The GX layer fed the way the flow will feed it: frames read from the warehouse schema with DuckDB.

`RELEASES_SQL` and `HISTORY_SQL` are the reference queries for the caller: `error_checks` is NULL for a
release version never checked, `[]` for one checked without error findings.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from pressroom.expectations.gx import SourceRules, validate_releases
from pressroom.warehouse.db import migrate

RELEASES_SQL = """
WITH errors AS (
    SELECT release_id, content_hash, list(DISTINCT check_id ORDER BY check_id) AS checks
    FROM dq_findings WHERE severity = 'error' GROUP BY ALL
)
SELECT r.release_id, r.source_id, r.url, r.title, r.published_at, r.body_text, r.language, r.content_hash,
       CASE WHEN d.release_id IS NULL THEN NULL ELSE coalesce(e.checks, []) END AS error_checks
FROM releases r
LEFT JOIN dq_runs d ON d.release_id = r.release_id AND d.content_hash = r.content_hash
LEFT JOIN errors e ON e.release_id = r.release_id AND e.content_hash = r.content_hash
WHERE r.run_id = ?
ORDER BY r.release_id
"""

HISTORY_SQL = """
SELECT s->>'source_id' AS source_id, r.run_id, CAST(s->>'new' AS INTEGER) AS new_releases
FROM runs r, unnest(CAST(r.sources AS JSON[])) AS t(s)
WHERE r.flow = 'nightly' AND r.status IN ('completed', 'partial') AND r.run_id <> ?
ORDER BY r.run_id
"""

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BODY = "The Minister met the Ambassador in the capital on Monday to discuss trade and energy. " * 2


def test_frames_read_from_duckdb_validate(tmp_path: Path) -> None:
    con = duckdb.connect()
    migrate(con)
    con.executemany(
        "INSERT INTO releases (release_id, source_id, url, title, published_at, body_text, language, content_hash,"
        " first_seen_at, last_seen_at, run_id) VALUES (?, 'alpha', ?, ?, ?, ?, 'en', ?, ?, ?, 'run-2')",
        [[f"r{i}", f"https://www.alpha.example.gov/p/{i}", f"Title {i}", NOW - timedelta(hours=i), BODY, f"h{i}",
          NOW, NOW] for i in range(5)],
    )
    con.execute("UPDATE releases SET published_at = ? WHERE release_id = 'r4'", [NOW + timedelta(days=3)])
    for i in range(4):
        con.execute("INSERT INTO dq_runs VALUES (?, ?, '2', ?, 'run-2', 0, 0, 0, [], true)", [f"r{i}", f"h{i}", NOW])
    con.execute(
        "INSERT INTO dq_findings VALUES ('r0', 'duplicated-phrase', 'error', 'body', 0, 2, 'x', 'm', 'run-2', 'h0'),"
        " ('r0', 'wrong-language', 'warning', 'body', 0, 2, 'x', 'm', 'run-2', 'h0'),"
        " ('r1', 'unbalanced-punctuation', 'error', 'body', 0, 1, '(', 'm', 'run-2', 'h1')"
    )
    con.executemany(
        "INSERT INTO runs (run_id, flow, status, started_at, sources) VALUES (?, ?, 'completed', ?, ?)",
        [[f"run-1{i}", "nightly", NOW, json.dumps([{"source_id": "alpha", "new": 1}])] for i in range(5)]
        + [["run-backfill", "backfill", NOW, json.dumps([{"source_id": "alpha", "new": 500}])]],
    )
    releases = con.execute(RELEASES_SQL, ["run-2"]).df()
    history = con.execute(HISTORY_SQL, ["run-2"]).df()

    outcome = validate_releases(
        releases, rules={"alpha": SourceRules("alpha", frozenset({"www.alpha.example.gov"}), frozenset({"en"}))},
        history=history, run_id="run-2", results_dir=tmp_path, docs_dir=None, now=NOW,
    )

    assert outcome.record_failures == {"r4": ("published-at-in-future",)}
    assert outcome.batch_warnings == (
        "alpha: 2 of 4 checked releases (50 %) have error findings; at most 25% expected",
    )
    stored = json.loads(outcome.results_path.read_text(encoding="utf-8"))
    volume = [r for r in stored["results"]["source_batches"]["results"]
              if r["expectation_config"]["meta"]["name"] == "volume"]
    assert [r["success"] for r in volume] == [True, True]
    assert stored["source_batches"] == [{
        "source_id": "alpha", "releases": 5, "checked": 4, "with_errors": 2, "clean_share": 0.5,
        "min_clean_share": 0.75, "volume_low": 0, "volume_high": 7}]
