"""The expectation suite of one source, defined in code from its rules, its history and the run's clock.

Every expectation carries `meta = {"name": <reason code>, "level": <level>}`:

- `record`: a release that fails it is held; its name is the reason stored in `dq_runs.record_failures`.
- `text`: one per text check, mirroring the `error` findings the pipeline already stored (they hold the
  release through `dq_findings`, not through these); here for their counts and examples in GX.
- `batch`: a property of the source's whole batch; GX severity `warning`: reported, never blocks.

Volume bounds (`usual_range`): once a source has `MIN_HISTORY_RUNS` earlier runs, a run is unusual when
it brings fewer than half the 10th percentile or more than twice the 90th percentile (plus `VOLUME_SLACK`,
so a quiet source with 0–2 releases a night does not warn at 5) of the new releases of its last
`HISTORY_RUNS` runs. The caller passes the history of comparable runs (nightly ones, not backfills).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import great_expectations.expectations as gxe
from great_expectations import ExpectationSuite
from great_expectations.expectations.expectation import Expectation
from great_expectations.expectations.metadata_types import FailureSeverity

from pressroom.expectations.gx.defects import ERROR_CHECKS, ExpectColumnValuesToHaveNoTextDefects, known_checks
from pressroom.expectations.records import FUTURE_TOLERANCE, RECORD_RULES, TestKind

if TYPE_CHECKING:
    from pressroom.expectations.gx import SourceRules

Level = Literal["record", "text", "batch"]

MIN_HISTORY_RUNS = 5
HISTORY_RUNS = 30
VOLUME_SLACK = 5
BODY_CHARS = "body_chars"
"""Derived column (length of `body_text` in code points) the body bounds are checked on, so results
and Data Docs show lengths rather than whole bodies."""
SUITE_PREFIX = "pressroom-"
"""No dot: GX splits suite names on dots into folders, and its Data Docs pages then link their own
styles one folder too high."""


def suite_name(source_id: str) -> str:
    return f"{SUITE_PREFIX}{source_id}"


def usual_range(counts: Sequence[int]) -> tuple[int, int] | None:
    """Bounds on a run's new releases given earlier runs' counts (oldest first), or None when too few."""
    recent = sorted(counts[-HISTORY_RUNS:])
    if len(recent) < MIN_HISTORY_RUNS:
        return None
    low = math.floor(_quantile(recent, 0.1) / 2)
    high = math.ceil(_quantile(recent, 0.9) * 2) + VOLUME_SLACK
    return low, high


def _quantile(ordered: Sequence[int], q: float) -> float:
    position = q * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def host_pattern(hosts: frozenset[str]) -> str:
    """Regex for an http(s) URL whose netloc is exactly one of `hosts` (case-insensitive)."""
    choices = "|".join(re.escape(host) for host in sorted(hosts))
    return rf"(?i)^https?://(?:{choices})(?:[/?#]|$)"


def build_suite(rules: SourceRules, *, volume: tuple[int, int] | None, now: datetime) -> ExpectationSuite:
    """The suite for one source's batch: record, text and batch expectations (see the module docstring)."""
    expectations = [*record_expectations(rules, now=now), *text_expectations(), *batch_expectations(rules, volume)]
    # Given to the constructor: `add_expectation` on a suite already stored would save it once per call.
    return ExpectationSuite(name=suite_name(rules.source_id), expectations=expectations,
                            meta={"source_id": rules.source_id})


def record_expectations(rules: SourceRules, *, now: datetime) -> list[Expectation]:
    """The record-level expectations: one per test of each rule of `records.RECORD_RULES` (so the
    pipeline's per-release rules and this suite are one table), then those only GX checks."""
    earliest = datetime(rules.first_year, 1, 1, tzinfo=UTC)
    latest = now.astimezone(UTC) + FUTURE_TOLERANCE
    hosts = ", ".join(sorted(rules.hosts))
    built: dict[TestKind, Callable[[str], Expectation]] = {
        "not-null": lambda column: gxe.ExpectColumnValuesToNotBeNull(column=column),
        "not-blank": lambda column: gxe.ExpectColumnValuesToNotMatchRegex(column=column, regex=r"^\s*$"),
        "http-url": lambda column: gxe.ExpectColumnValuesToMatchRegex(column=column, regex=host_pattern(rules.hosts)),
        "not-after-now": lambda column: gxe.ExpectColumnValuesToBeBetween(column=column, max_value=latest),
        "min-chars": lambda _: gxe.ExpectColumnValuesToBeBetween(column=BODY_CHARS, min_value=rules.min_body_chars),
    }
    shared = [
        _tag(built[test.kind](rule.column), test.name,
             test.description.format(min_body_chars=rules.min_body_chars, latest=latest, hosts=hosts))
        for rule in RECORD_RULES for test in rule.tests
    ]
    return [
        _tag(gxe.ExpectColumnValuesToBeUnique(column="release_id"), "release-id-duplicated",
             "Every release_id appears once in the batch."),
        *shared,
        _tag(gxe.ExpectColumnValuesToBeBetween(column=BODY_CHARS, max_value=rules.max_body_chars), "body-too-long",
             f"Bodies have at most {rules.max_body_chars} characters."),
        _tag(gxe.ExpectColumnValuesToBeBetween(column="published_at", min_value=earliest), "published-at-too-early",
             f"No release is dated before {rules.first_year}, the source's first year."),
        _tag(gxe.ExpectColumnValuesToBeInSet(column="language", value_set=sorted(rules.languages)),
             "language-unexpected", f"Languages are among {', '.join(sorted(rules.languages))}."),
    ]


def text_expectations() -> list[Expectation]:
    return [
        _tag(ExpectColumnValuesToHaveNoTextDefects(column=ERROR_CHECKS, checks=[check]), check,
             f"No release has an error finding from the {check} check.", level="text")
        for check in known_checks()
    ]


def batch_expectations(rules: SourceRules, volume: tuple[int, int] | None) -> list[Expectation]:
    share = rules.max_error_share
    expectations: list[Expectation] = [
        _tag(ExpectColumnValuesToHaveNoTextDefects(column=ERROR_CHECKS, mostly=round(1 - share, 6)), "error-share",
             f"At most {share:.0%} of the checked releases have an error finding.", level="batch"),
    ]
    if volume is not None:
        low, high = volume
        expectations.append(
            _tag(gxe.ExpectTableRowCountToBeBetween(min_value=low, max_value=high), "volume",
                 f"Between {low} and {high} releases, the source's usual range.", level="batch")
        )
    return expectations


def _tag(expectation: Expectation, name: str, description: str, *, level: Level = "record") -> Expectation:
    expectation.meta = {"name": name, "level": level}
    expectation.description = description
    expectation.severity = FailureSeverity.WARNING if level == "batch" else FailureSeverity.CRITICAL
    return expectation
