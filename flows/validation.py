"""The Great Expectations stage: validate the releases a run checked, and hold those that fail.

Runs once per run after every source's checks and before publishing. The releases are read from DuckDB
into pandas (GX's SQL data source loses every row with DuckDB), validated per source by
:func:`expectations.gx.validate_releases`, and record-level failures are merged into ``dq_runs`` so the
publish gate holds them. Batch-level results (volume, share of releases with errors) are warnings.

After the run's source health is computed, :func:`validate_health_run` checks those figures with the
health suite (``expectations.gx.health``): warnings only, recorded on the run for the report.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from pressroom.connectors.config import SourceConfig
from pressroom.expectations.gx import GxOutcome, SourceRules, validate_releases
from pressroom.warehouse import Warehouse
from pressroom.warehouse.health import STATUSES, HealthRules, SourceHealth

if TYPE_CHECKING:
    from pressroom.expectations.gx.health import HealthGxOutcome

RELEASES_SQL = """
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
HISTORY_SQL = """
SELECT s->>'source_id' AS source_id, r.run_id, CAST(s->>'new' AS INTEGER) AS new_releases
FROM runs r, unnest(CAST(r.sources AS JSON[])) AS t(s)
WHERE r.flow = 'nightly' AND r.status IN ('completed', 'partial') AND r.run_id <> ?
"""


def rules_for(source: SourceConfig) -> SourceRules:
    return SourceRules(source.id, hosts=source.hosts, languages=frozenset({source.language}))


def validate_run(
    warehouse: Warehouse,
    sources: Sequence[SourceConfig],
    *,
    run_id: str,
    now: datetime,
    results_dir: Path,
    docs_dir: Path,
    with_history: bool,
) -> GxOutcome:
    """Validate what ``run_id`` checked; merge record-level failures into ``dq_runs``; record where the
    results are on the run."""
    with warehouse.transaction() as con:
        releases = con.execute(RELEASES_SQL, [run_id]).df()
        history = (con.execute(HISTORY_SQL, [run_id]).df() if with_history
                   else pd.DataFrame({"source_id": [], "run_id": [], "new_releases": []}))
    outcome = validate_releases(releases, rules={s.id: rules_for(s) for s in sources}, history=history,
                                run_id=run_id, results_dir=results_dir, docs_dir=docs_dir, now=now)
    failed = pa.table({
        "release_id": list(outcome.record_failures),
        "failures": pa.array([list(v) for v in outcome.record_failures.values()], pa.list_(pa.string())),
    })
    with warehouse.transaction() as con:
        if outcome.record_failures:
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
        con.execute("UPDATE runs SET gx_results = ?, gx_docs = ?, gx_warnings = ? WHERE run_id = ?",
                    [str(outcome.results_path), str(outcome.docs_index) if outcome.docs_index else None,
                     list(outcome.batch_warnings), run_id])
    return outcome


def validate_health_run(
    warehouse: Warehouse,
    health: Sequence[SourceHealth],
    *,
    run_id: str,
    now: datetime,
    results_dir: Path,
    docs_dir: Path,
    rules: HealthRules | None = None,
) -> HealthGxOutcome:
    """Check this run's source-health rows with Great Expectations, with the thresholds the health
    judgement used; record the results file and each source's failed expectations on the run."""
    from pressroom.expectations.gx.health import HealthBounds, validate_health

    rules = rules or HealthRules()
    bounds = HealthBounds(statuses=STATUSES, min_pages_fetched=rules.min_pages_fetched,
                          degraded_extraction_share=rules.degraded_extraction_share,
                          min_releases_for_held=rules.min_releases_for_held,
                          degraded_held_share=rules.degraded_held_share)
    outcome = validate_health([h.figures() for h in health], bounds=bounds, run_id=run_id, results_dir=results_dir,
                              docs_dir=docs_dir, now=now)
    with warehouse.transaction() as con:
        con.execute("UPDATE runs SET health_gx_results = ?, health_gx_failures = ? WHERE run_id = ?",
                    [str(outcome.results_path), json.dumps({k: list(v) for k, v in outcome.failures.items()}),
                     run_id])
    return outcome
