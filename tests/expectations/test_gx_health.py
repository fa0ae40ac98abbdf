"""The GX source-health suite: each expectation rejects exactly the sources whose figures break it, with
the thresholds the health judgement uses; results are stored and added to the Data Docs.

One validation is shared by the module (GX takes ~4 s to import, then ~1 s a run).
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pressroom.expectations.gx.health import HealthBounds, HealthGxOutcome, validate_health
from pressroom.expectations.health_rules import STATUSES, HealthRules
from pressroom.warehouse import health as warehouse_health

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def row(source_id: str, **changes: Any) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "source_id": source_id, "run_id": "r1", "status": "ok", "reasons": "", "source_status": "ok",
        "freshness": "fresh", "days_since_newest": 1.5, "typical_gap_days": 1.0, "stale_after_days": 7.0,
        "volume": "normal", "listed": 4, "new_releases": 2, "typical_listed": 4.0, "typical_new": 2.0,
        "history_runs": 5, "fetched": 4, "parse_failed": 0, "fetch_failed": 0, "extraction_failure_share": 0.0,
        "parse_reasons": None, "releases": 40, "held": 2, "held_share": 0.05,
    }
    figures.update(changes)
    return figures


#: source -> (its figures, the health expectations it must fail: exactly these)
ROWS: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "healthy": (row("healthy"), ()),
    "stale": (row("stale", status="stale", freshness="stale", days_since_newest=9.2), ("health-fresh",)),
    "quiet-listing": (row("quiet-listing", status="degraded", volume="zero", listed=0), ("health-volume",)),
    # A backfill cannot judge volume: nothing listed is not a failure then.
    "backfill-empty": (row("backfill-empty", volume="unknown", listed=0), ()),
    # A source that has never listed anything is not expected to.
    "never-listed": (row("never-listed", volume="normal", listed=0, typical_listed=0.0), ()),
    "redesigned": (row("redesigned", status="broken", fetched=10, parse_failed=6, extraction_failure_share=0.6),
                   ("health-extraction",)),
    "at-threshold": (row("at-threshold", fetched=10, parse_failed=1, extraction_failure_share=0.1),
                     ("health-extraction",)),
    # One page that failed to parse is too few to judge extraction (as in compute_health).
    "one-page": (row("one-page", fetched=1, parse_failed=1, extraction_failure_share=1.0), ()),
    "held-half": (row("held-half", status="degraded", releases=10, held=5, held_share=0.5), ("health-held-share",)),
    "few-releases": (row("few-releases", releases=3, held=3, held_share=1.0), ()),
    "failed": (row("failed", status="broken", source_status="failed"), ("health-source-ran",)),
    "no-rhythm": (row("no-rhythm", status="unknown", freshness="unknown", days_since_newest=40.0,
                      stale_after_days=None, typical_gap_days=None), ()),
    "new-source": (row("new-source", status="unknown", days_since_newest=None, stale_after_days=None, volume="unknown",
                       listed=None, typical_listed=None, fetched=None, extraction_failure_share=None, releases=0,
                       held=0, held_share=None), ()),
    "garbled": (row("garbled", status="fine", releases=2, held=3, held_share=1.5),
                ("health-status-known", "health-held-within-releases", "health-held-share-valid")),
}


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory) -> tuple[HealthGxOutcome, Path]:
    root = tmp_path_factory.mktemp("gx-health")
    outcome = validate_health([figures for figures, _ in ROWS.values()], bounds=HealthBounds(), run_id="r1",
                              results_dir=root / "results", docs_dir=root / "docs", now=NOW)
    return outcome, root


def test_each_source_fails_exactly_the_expectations_its_figures_break(
    validated: tuple[HealthGxOutcome, Path],
) -> None:
    outcome, _ = validated
    expected = {source_id: failed for source_id, (_, failed) in ROWS.items() if failed}
    assert {k: tuple(sorted(v)) for k, v in outcome.failures.items()} == {
        k: tuple(sorted(v)) for k, v in expected.items()}
    assert not outcome.success
    assert outcome.statistics["evaluated"] == 10 and outcome.statistics["unsuccessful"] == 8
    assert "stale: source health: health-fresh failed (Each source's newest release is no older than its own " \
           "stale limit (three of its typical gaps, at least a week).)" in outcome.warnings
    assert len(outcome.warnings) == sum(len(failed) for _, failed in ROWS.values())


def test_results_are_stored_and_in_the_data_docs(validated: tuple[HealthGxOutcome, Path]) -> None:
    outcome, root = validated
    assert outcome.results_path == root / "results" / "r1-health.json"
    document = json.loads(outcome.results_path.read_text(encoding="utf-8"))
    assert document["failures"]["stale"] == ["health-fresh"] and document["success"] is False
    assert {r["expectation_config"]["meta"]["level"] for r in document["result"]["results"]} == {"health"}
    assert outcome.docs_index == root / "docs" / "index.html"
    pages = [p.name for p in (root / "docs").rglob("*.html")]
    assert "pressroom-source-health.html" in pages
    assert any(p.endswith("pressroom-source_health.html") for p in pages)


def test_all_healthy_passes_and_no_rows_is_not_an_error(tmp_path: Path) -> None:
    outcome = validate_health([row("a"), row("b")], bounds=HealthBounds(), run_id="r2", results_dir=tmp_path,
                              docs_dir=None, now=NOW)
    assert outcome.success and outcome.failures == {} and outcome.warnings == ()
    empty = validate_health([], bounds=HealthBounds(), run_id="r3", results_dir=tmp_path, docs_dir=None, now=NOW)
    assert empty.success and empty.docs_index is None


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="lack the column"):
        validate_health([{"source_id": "a"}], bounds=HealthBounds(), run_id="r4", results_dir=tmp_path,
                        docs_dir=None, now=NOW)
    with pytest.raises(ValueError, match="run_id"):
        validate_health([row("a")], bounds=HealthBounds(), run_id="../x", results_dir=tmp_path, docs_dir=None,
                        now=NOW)
    with pytest.raises(ValueError, match="timezone"):
        validate_health([row("a")], bounds=HealthBounds(), run_id="r5", results_dir=tmp_path, docs_dir=None,
                        now=datetime(2026, 3, 1))


@given(rules=st.builds(HealthRules, min_pages_fetched=st.integers(0, 50), min_releases_for_held=st.integers(0, 50),
                       degraded_extraction_share=st.floats(0, 1), degraded_held_share=st.floats(0, 1)))
def test_bounds_are_the_health_rules(rules: HealthRules) -> None:
    """GX judges with the thresholds of the health judgement: the defaults are one definition, and
    `from_rules` carries any other set over field by field."""
    bounds = HealthBounds.from_rules(rules)
    assert {f.name for f in fields(HealthBounds)} - {"statuses"} <= {f.name for f in fields(HealthRules)}
    assert all(getattr(bounds, f.name) == getattr(rules, f.name) for f in fields(HealthBounds) if f.name != "statuses")
    assert HealthBounds() == HealthBounds.from_rules(HealthRules()) and HealthBounds().statuses == STATUSES
    assert warehouse_health.HealthRules is HealthRules and warehouse_health.STATUSES is STATUSES
