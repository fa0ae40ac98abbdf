"""The Great Expectations stage: validate the releases a run checked, and hold those that fail.

Runs once per run after every source's checks and before publishing. The releases are read from DuckDB
into pandas (GX's SQL data source loses every row with DuckDB), validated per source by
:func:`expectations.gx.validate_releases`, and record-level failures are merged into ``dq_runs`` so the
publish gate holds them. Batch-level results (volume, share of releases with errors) are warnings.

After the run's source health is computed, :func:`validate_health_run` checks those figures with the
health suite (``expectations.gx.health``): warnings only, recorded on the run for the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from pressroom.expectations.gx import GxOutcome, SourceRules, validate_releases
from pressroom.warehouse import Warehouse, validation
from pressroom.warehouse.health import HealthRules

if TYPE_CHECKING:
    from pressroom.expectations.gx.health import HealthGxOutcome


def validate_run(
    warehouse: Warehouse,
    rules: Mapping[str, SourceRules],
    *,
    run_id: str,
    now: datetime,
    results_dir: Path,
    docs_dir: Path,
    with_history: bool,
) -> GxOutcome:
    """Validate what ``run_id`` checked against each source's ``rules``; merge record-level failures into
    ``dq_runs``; record where the results are on the run."""
    with warehouse.transaction() as con:
        releases = validation.checked_releases(con, run_id)
        history = (validation.nightly_history(con, excluding=run_id) if with_history
                   else pd.DataFrame({"source_id": [], "run_id": [], "new_releases": []}))
    outcome = validate_releases(releases, rules=rules, history=history,
                                run_id=run_id, results_dir=results_dir, docs_dir=docs_dir, now=now)
    with warehouse.transaction() as con:
        validation.hold_failed_records(con, outcome.record_failures)
        validation.record_results(con, run_id=run_id, results=outcome.results_path, docs=outcome.docs_index,
                                  warnings=outcome.batch_warnings)
    return outcome


def validate_health_run(
    warehouse: Warehouse,
    figures: Sequence[Mapping[str, Any]],
    *,
    run_id: str,
    now: datetime,
    results_dir: Path,
    docs_dir: Path,
    rules: HealthRules | None = None,
) -> HealthGxOutcome:
    """Check this run's source-health rows (their ``SourceHealth.figures()``) with Great Expectations,
    with the thresholds the health judgement used; record the results file and each source's failed
    expectations on the run."""
    from pressroom.expectations.gx.health import HealthBounds, validate_health

    rules = rules or HealthRules()
    bounds = HealthBounds.from_rules(rules)  # one definition of the thresholds (expectations/health_rules.py)
    outcome = validate_health([dict(f) for f in figures], bounds=bounds, run_id=run_id, results_dir=results_dir,
                              docs_dir=docs_dir, now=now)
    with warehouse.transaction() as con:
        validation.record_health_results(con, run_id=run_id, results=outcome.results_path,
                                         failures=outcome.failures)
    return outcome
