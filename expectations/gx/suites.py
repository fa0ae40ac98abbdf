"""The two expectation suites of a run, defined in code from the sources' rules, their history and the clock.

A run is validated as two batches, however many sources it has (GX spends ~0.3 s building the metrics of
a suite run, so one batch per source cost a minute at 200 sources):

- `pressroom-releases`, over every release of the run, one row each. What differs between sources
  (allowed hosts and languages, body bounds, first year) travels as columns of the row (`RULE_COLUMNS`,
  filled in by `run._prepare`) and is checked with column-pair expectations, so one suite serves all.
- `pressroom-source-batches`, over one row per source (`run.source_batches`): the properties of a
  source's whole batch, its volume and its share of releases with an error finding.

Every expectation carries `meta = {"name": <reason code>, "level": <level>}`:

- `record`: a release that fails it is held; its name is the reason stored in `dq_runs.record_failures`.
- `text`: one per text check, mirroring the `error` findings the pipeline already stored (they hold the
  release through `dq_findings`, not through these); here for their counts and examples in GX.
- `batch`: a property of a source's whole batch; GX severity `warning`: reported, never blocks.

Volume bounds (`usual_range`): once a source has `MIN_HISTORY_RUNS` earlier runs, a run is unusual when
it brings fewer than half the 10th percentile or more than twice the 90th percentile (plus `VOLUME_SLACK`,
so a quiet source with 0–2 releases a night does not warn at 5) of the new releases of its last
`HISTORY_RUNS` runs. The caller passes the history of comparable runs (nightly ones, not backfills).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
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
RELEASES, CLEAN_SHARE, MIN_CLEAN_SHARE = "releases", "clean_share", "min_clean_share"
VOLUME_LOW, VOLUME_HIGH = "volume_low", "volume_high"
"""Columns of `run.source_batches`: the source's releases in the run, the share of its checked releases
without an error finding and the least share allowed (1 - `max_error_share`), its usual volume range."""
RELEASES_SUITE = "pressroom-releases"
BATCHES_SUITE = "pressroom-source-batches"
"""Suite names have no dot: GX splits them on dots into folders, and its Data Docs pages then link their
own styles one folder too high."""
SOURCE_HOST, SOURCE_LANGUAGE = "source_host", "source_language"
MIN_CHARS, MAX_CHARS, EARLIEST = "min_body_chars", "max_body_chars", "earliest_published_at"
RULE_COLUMNS = (SOURCE_HOST, SOURCE_LANGUAGE, MIN_CHARS, MAX_CHARS, EARLIEST)
"""Derived per-release columns: `source_host` and `source_language` pair the source with the URL's host
(`url_host`) and the language (`pair`), to be found among the source's allowed pairs; the others are the
bounds of the release's source."""
_URL_HOST = re.compile(r"(?i)^https?://([^/?#]*)(?:[/?#]|$)")


def pair(source_id: object, value: object) -> str | None:
    """`"<source_id> <value>"`, or None when either is missing (the not-null rules catch those). Source ids
    and hosts have no spaces, so a pair names one source and one value."""
    if not isinstance(source_id, str) or not isinstance(value, str):
        return None
    return f"{source_id} {value}"


def url_host(url: object) -> str | None:
    """The netloc (host, or host:port) of an http(s) URL, lower-cased; `""` for any other string (never a
    source's host), None for a missing URL (left to `url-missing`)."""
    if url is None or not isinstance(url, str):
        return None
    found = _URL_HOST.match(url)
    return found.group(1).lower() if found else ""


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


def build_releases_suite(rules: Mapping[str, SourceRules], *, now: datetime) -> ExpectationSuite:
    """The suite over all the run's releases: record and text expectations (see the module docstring)."""
    # Given to the constructor: `add_expectation` on a suite already stored would save it once per call.
    return ExpectationSuite(name=RELEASES_SUITE, expectations=[*record_expectations(rules, now=now),
                                                               *text_expectations()])


def build_batches_suite() -> ExpectationSuite:
    """The suite over one row per source (`run.source_batches`): its volume and its error share."""
    return ExpectationSuite(name=BATCHES_SUITE, expectations=batch_expectations())


def record_expectations(rules: Mapping[str, SourceRules], *, now: datetime) -> list[Expectation]:
    """The record-level expectations: one per test of each rule of `records.RECORD_RULES` (so the
    pipeline's per-release rules and this suite are one table), then those only GX checks. A bound that
    differs between sources is compared with the row's own column of `RULE_COLUMNS`."""
    latest = now.astimezone(UTC) + FUTURE_TOLERANCE
    hosts = sorted(f"{source_id} {host.lower()}" for source_id, rule in rules.items() for host in rule.hosts)
    languages = sorted(f"{source_id} {language}" for source_id, rule in rules.items() for language in rule.languages)
    minimum = _per_source({source_id: rule.min_body_chars for source_id, rule in rules.items()})
    built: dict[TestKind, Callable[[str], Expectation]] = {
        "not-null": lambda column: gxe.ExpectColumnValuesToNotBeNull(column=column),
        "not-blank": lambda column: gxe.ExpectColumnValuesToNotMatchRegex(column=column, regex=r"^\s*$"),
        "http-url": lambda _: gxe.ExpectColumnValuesToBeInSet(column=SOURCE_HOST, value_set=hosts),
        "not-after-now": lambda column: gxe.ExpectColumnValuesToBeBetween(column=column, max_value=latest),
        "min-chars": lambda _: _at_least(BODY_CHARS, MIN_CHARS),
    }
    shared = [
        _tag(built[test.kind](rule.column), test.name,
             test.description.format(min_body_chars=minimum, latest=latest, hosts="the source's hosts"))
        for rule in RECORD_RULES for test in rule.tests
    ]
    maximum = _per_source({source_id: rule.max_body_chars for source_id, rule in rules.items()})
    first_year = _per_source({source_id: rule.first_year for source_id, rule in rules.items()})
    return [
        _tag(gxe.ExpectColumnValuesToBeUnique(column="release_id"), "release-id-duplicated",
             "Every release_id appears once in the run."),
        *shared,
        _tag(_at_least(MAX_CHARS, BODY_CHARS), "body-too-long", f"Bodies have at most {maximum} characters."),
        _tag(_at_least("published_at", EARLIEST), "published-at-too-early",
             f"No release is dated before its source's first year ({first_year})."),
        _tag(gxe.ExpectColumnValuesToBeInSet(column=SOURCE_LANGUAGE, value_set=languages), "language-unexpected",
             "Languages are among the source's configured languages."),
    ]


def text_expectations() -> list[Expectation]:
    return [
        _tag(ExpectColumnValuesToHaveNoTextDefects(column=ERROR_CHECKS, checks=[check]), check,
             f"No release has an error finding from the {check} check.", level="text")
        for check in known_checks()
    ]


def batch_expectations() -> list[Expectation]:
    """Over `run.source_batches`: a source whose bounds are null (no history, nothing checked) is skipped."""
    return [
        _tag(_at_least(CLEAN_SHARE, MIN_CLEAN_SHARE), "error-share",
             "At most the source's max_error_share of its checked releases have an error finding.", level="batch"),
        _tag(_at_least(RELEASES, VOLUME_LOW), "volume",
             "At least half the 10th percentile of the source's recent runs' new releases.", level="batch"),
        _tag(_at_least(VOLUME_HIGH, RELEASES), "volume",
             f"At most twice the 90th percentile of the source's recent runs' new releases, plus {VOLUME_SLACK}.",
             level="batch"),
    ]


def _at_least(column: str, bound: str) -> Expectation:
    """`column >= bound` row by row; a row missing either is left out (the not-null rules catch those)."""
    return gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A=column, column_B=bound, or_equal=True,
                                                       ignore_row_if="either_value_is_missing")


def _per_source(values: Mapping[str, object]) -> str:
    """One value for the description when every source has it, else its range."""
    distinct = sorted(set(values.values()), key=str)
    if len(distinct) <= 1:
        return str(distinct[0]) if distinct else "(no source)"
    return f"{distinct[0]}–{distinct[-1]} by source"


def _tag(expectation: Expectation, name: str, description: str, *, level: Level = "record") -> Expectation:
    expectation.meta = {"name": name, "level": level}
    expectation.description = description
    expectation.severity = FailureSeverity.WARNING if level == "batch" else FailureSeverity.CRITICAL
    return expectation
