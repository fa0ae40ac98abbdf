"""Great Expectations over source health: the figures each run computes per source, checked by a suite.

`warehouse.health.compute_health` judges every source after a run (freshness, volume, extraction, held
share) and `flows.alerts` turns those judgements into alerts. This suite checks the same figures a
second way, from the numbers rather than the labels, so the judgement is visible and auditable in GX
results and Data Docs next to the releases' suites: one batch per run, one row per source, and
`source_id` as the unexpected index, so a failed expectation names the sources that failed it.

Every expectation is a warning (`meta.level = "health"`): source health never holds a release. The
bounds come from the caller (`HealthBounds`, built from `warehouse.health.HealthRules` by the flow), so
GX and the alerts judge with the same thresholds:

- `health-fresh`: `days_since_newest <= stale_after_days` (sources whose rhythm is unknown are skipped);
- `health-volume`: at least one entry listed where the volume could be judged and the source usually
  lists at least one;
- `health-extraction`: under `degraded_extraction_share` of fetched pages failed to parse (with at
  least `min_pages_fetched` pages);
- `health-held-share`: under `degraded_held_share` of the releases held (with at least
  `min_releases_for_held` releases);
- `health-source-ran`: the source did not fail as a whole;
- well-formed figures: one row per source, a known status, shares within 0–1, held ≤ releases.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path

import great_expectations.expectations as gxe
import pandas as pd
from great_expectations import ExpectationSuite, ValidationDefinition
from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.expectations.expectation import Expectation
from great_expectations.expectations.metadata_types import FailureSeverity
from great_expectations.expectations.row_conditions import Column

from pressroom.expectations.gx.context import HEALTH_ASSET, batch_definition, open_context
from pressroom.expectations.gx.run import (
    RUN_ID_RE,
    build_docs,
    identifier,
    meta,
    raised,
    statistics_of,
    stored,
    write_json,
)
from pressroom.expectations.health_rules import STATUSES, HealthRules

SUITE = "pressroom-source-health"
LEVEL = "health"
INDEX = "source_id"
REQUIRED_COLUMNS = ("source_id", "status", "source_status", "days_since_newest", "stale_after_days", "volume",
                    "listed", "typical_listed", "fetched", "extraction_failure_share", "releases", "held",
                    "held_share")

log = logging.getLogger(__name__)


_DEFAULT = HealthRules()


@dataclass(frozen=True, slots=True)
class HealthBounds:
    """The thresholds the suite checks against: by default those of `HealthRules` (`from_rules` takes
    them from another set of rules, so GX and the alerts judge alike)."""

    statuses: tuple[str, ...] = STATUSES
    min_pages_fetched: int = _DEFAULT.min_pages_fetched
    degraded_extraction_share: float = _DEFAULT.degraded_extraction_share
    min_releases_for_held: int = _DEFAULT.min_releases_for_held
    degraded_held_share: float = _DEFAULT.degraded_held_share

    @classmethod
    def from_rules(cls, rules: HealthRules) -> HealthBounds:
        """The bounds of `rules`: each field of this class taken from the rule of the same name."""
        return cls(**{f.name: getattr(rules, f.name) for f in fields(cls) if f.name != "statuses"})


@dataclass(frozen=True, slots=True)
class HealthGxOutcome:
    """What the health suite found: `failures` maps a source to the names of the expectations it
    failed (absent: passed them all); `warnings` has one line per (source, failed expectation)."""

    success: bool
    failures: dict[str, tuple[str, ...]]
    warnings: tuple[str, ...]
    results_path: Path
    docs_index: Path | None
    statistics: dict[str, int]


def build_health_suite(bounds: HealthBounds) -> ExpectationSuite:
    expectations = [
        _tag(gxe.ExpectColumnValuesToBeUnique(column="source_id"), "health-one-row-per-source",
             "Each source has one health row in the run."),
        _tag(gxe.ExpectColumnValuesToBeInSet(column="status", value_set=list(bounds.statuses)),
             "health-status-known", f"Statuses are among {', '.join(bounds.statuses)}."),
        _tag(gxe.ExpectColumnValuesToNotBeInSet(column="source_status", value_set=["failed"]), "health-source-ran",
             "No source failed as a whole in the run."),
        _tag(gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="stale_after_days", column_B="days_since_newest",
                                                         or_equal=True, ignore_row_if="either_value_is_missing"),
             "health-fresh", "Each source's newest release is no older than its own stale limit "
                             "(three of its typical gaps, at least a week)."),
        _tag(gxe.ExpectColumnValuesToBeBetween(column="listed", min_value=1,
                                               row_condition=(Column("volume") != "unknown")
                                               & (Column("typical_listed") >= 1)),
             "health-volume", "A source whose listing usually shows entries listed at least one."),
        _tag(gxe.ExpectColumnValuesToBeBetween(column="extraction_failure_share", min_value=0,
                                               max_value=bounds.degraded_extraction_share, strict_max=True,
                                               row_condition=Column("fetched") >= bounds.min_pages_fetched),
             "health-extraction", f"Under {bounds.degraded_extraction_share:.0%} of the fetched pages failed to "
                                  f"parse (sources with at least {bounds.min_pages_fetched} pages fetched)."),
        _tag(gxe.ExpectColumnValuesToBeBetween(column="held_share", min_value=0,
                                               max_value=bounds.degraded_held_share, strict_max=True,
                                               row_condition=Column("releases") >= bounds.min_releases_for_held),
             "health-held-share", f"Under {bounds.degraded_held_share:.0%} of a source's releases are held "
                                  f"(sources with at least {bounds.min_releases_for_held} releases)."),
        _tag(gxe.ExpectColumnValuesToBeBetween(column="extraction_failure_share", min_value=0, max_value=1),
             "health-extraction-share-valid", "Extraction failure shares lie between 0 and 1."),
        _tag(gxe.ExpectColumnValuesToBeBetween(column="held_share", min_value=0, max_value=1),
             "health-held-share-valid", "Held shares lie between 0 and 1."),
        _tag(gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="releases", column_B="held", or_equal=True,
                                                         ignore_row_if="either_value_is_missing"),
             "health-held-within-releases", "No source has more releases held than it has releases."),
    ]
    return ExpectationSuite(name=SUITE, expectations=expectations, meta={"level": LEVEL})


def validate_health(
    figures: Sequence[dict[str, object]],
    *,
    bounds: HealthBounds,
    run_id: str,
    results_dir: Path,
    docs_dir: Path | None,
    now: datetime,
) -> HealthGxOutcome:
    """Validate one run's source-health rows (`SourceHealth.figures()` dicts) with the health suite;
    store the result as `<results_dir>/<run_id>-health.json` and in GX's stores under
    `results_dir/gx`, and add it to the Data Docs in `docs_dir` (when given)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not RUN_ID_RE.fullmatch(run_id):
        raise ValueError(f"run_id {run_id!r} may only contain letters, digits, '.', '_' and '-'")
    frame = pd.DataFrame(list(figures), columns=None if figures else list(REQUIRED_COLUMNS))
    missing = [column for column in REQUIRED_COLUMNS if column not in frame.columns]
    if missing:
        raise ValueError(f"health figures lack the column(s) {', '.join(missing)}")
    numeric = [c for c in REQUIRED_COLUMNS if c not in ("source_id", "status", "source_status", "volume")]
    frame[numeric] = frame[numeric].apply(pd.to_numeric, errors="coerce").astype("float64")
    started = time.perf_counter()
    store_dir = results_dir / "gx"
    context = open_context(store_dir, docs_dir if docs_dir is not None else store_dir / "docs")
    suite = build_health_suite(bounds)
    definition = context.validation_definitions.add_or_update(
        ValidationDefinition(name=SUITE, data=batch_definition(context, HEALTH_ASSET), suite=suite)
    )
    run = RunIdentifier(run_name=run_id, run_time=now)
    result = definition.run(batch_parameters={"dataframe": frame}, run_id=run, result_format={
        "result_format": "COMPLETE", "unexpected_index_column_names": [INDEX], "partial_unexpected_count": 20,
        "return_unexpected_index_query": False,
    })
    failures = _failures(result, frame)
    descriptions = {expectation.meta["name"]: expectation.description for expectation in suite.expectations
                    if expectation.meta}
    warnings = tuple(f"{source_id}: source health: {name} failed ({descriptions.get(name, '')})"
                     for source_id, names in failures.items() for name in names)
    statistics = statistics_of([result])
    key = identifier(result, run, HEALTH_ASSET)
    results_path = write_json(results_dir / f"{run_id}-health.json", {
        "run_id": run_id, "validated_at": now.isoformat(), "success": not failures, "statistics": statistics,
        "failures": {source_id: list(names) for source_id, names in failures.items()},
        "warnings": list(warnings), "result": stored(context, key, result),
    })
    docs_index = build_docs(context, docs_dir, [key]) if docs_dir is not None else None
    log.info("GX validated the health of %d sources in %.2f s", len(frame), time.perf_counter() - started)
    return HealthGxOutcome(success=not failures, failures=failures, warnings=warnings, results_path=results_path,
                           docs_index=docs_index, statistics=statistics)


def _failures(result: ExpectationSuiteValidationResult, frame: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    failed: dict[str, list[str]] = {}
    for expectation in result.results:
        if expectation.success:
            continue
        name, _ = meta(expectation)
        if raised(expectation):
            log.error("GX could not evaluate %s over source health: %s", name, expectation.exception_info)
            ids = frame[INDEX].dropna().tolist()
        else:
            ids = [row.get(INDEX) for row in expectation.result.get("unexpected_index_list") or []]
        for source_id in dict.fromkeys(str(i) for i in ids if i is not None):
            failed.setdefault(source_id, [])
            if name not in failed[source_id]:
                failed[source_id].append(name)
    return {source_id: tuple(names) for source_id, names in sorted(failed.items())}


def _tag(expectation: Expectation, name: str, description: str) -> Expectation:
    expectation.meta = {"name": name, "level": LEVEL}
    expectation.description = description
    expectation.severity = FailureSeverity.WARNING
    return expectation
