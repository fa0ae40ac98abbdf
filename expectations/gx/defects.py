"""A GX expectation over our own text checks, so their verdicts show up in GX results and Data Docs.

`ExpectColumnValuesToHaveNoTextDefects` reads a precomputed column, `error_checks`: per release, the
sorted ids of the checks that raised an `error` finding, joined by commas (`""` when there is none,
null when the release was not checked, which GX then leaves out like any null). It does not run
`expectations.check_text` itself, deliberately:

- the pipeline has already run the checks and stored their findings (`dq_findings`); running them again
  would give a second, possibly different answer (another engine version, another language choice);
- they cost about 5 ms a release (the State Department corpus: 587 releases of 5,300 characters in 2.8 s),
  so 10,000 releases would take ~50 s, against a budget of 10 s for the whole validation;
- GX copies unexpected *values* into results and Data Docs: check ids are short and say what is wrong,
  where whole bodies would bloat both and say nothing.

`error_checks_column` turns whatever the caller has (a DuckDB `list(check_id)`, tuples, or nothing at
all, in which case the checks are run here, slowly) into that column.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    column_condition_partial,
)

from pressroom.expectations.engine import INTERNAL_ERROR, check_release, default_checks

ERROR_CHECKS = "error_checks"
"""Name of the precomputed column the defect expectations read."""

SEPARATOR = ","


def known_checks() -> tuple[str, ...]:
    """Ids of the standard checks plus `internal-error`, in a stable order: one expectation each."""
    return (*sorted(check.id for check in default_checks()), INTERNAL_ERROR)


def join_checks(checks: Iterable[str]) -> str:
    """The `error_checks` cell for these check ids: sorted, distinct, comma-joined."""
    return SEPARATOR.join(sorted(set(checks)))


def error_checks_column(releases: pd.DataFrame) -> pd.Series:
    """The `error_checks` column for `releases`, as strings (null stays null).

    Taken from `releases["error_checks"]` when present, where a cell may be a string, any iterable of
    check ids (a DuckDB list arrives as a numpy array) or null. Without that column the text checks are
    run here with `check_release` on `title`, `body_text` and `language` (about 5 ms a release).
    """
    if ERROR_CHECKS in releases.columns:
        cells = [_cell(value) for value in releases[ERROR_CHECKS]]
    else:
        cells = [
            join_checks(
                finding.check
                for finding in check_release(_text(title), _text(body), language=_text(language) or "en")
                if finding.severity == "error"
            )
            for title, body, language in zip(
                releases["title"], releases["body_text"], releases["language"], strict=True
            )
        ]
    return pd.Series(cells, index=releases.index, dtype="object", name=ERROR_CHECKS)


def _cell(value: object) -> str | None:
    if isinstance(value, str):
        return join_checks(part.strip() for part in value.split(SEPARATOR) if part.strip())
    if isinstance(value, Iterable):
        return join_checks(str(part) for part in value)
    if value is None or pd.isna(value):
        return None
    raise TypeError(f"error_checks cells are strings or lists of check ids, not {type(value).__name__}")


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


class ColumnValuesNoTextDefects(ColumnMapMetricProvider):
    """Condition metric: a cell passes when it names none of `checks` (any check when `checks` is None)."""

    condition_metric_name = "column_values.no_text_defects"
    condition_value_keys = ("checks",)

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, checks: list[str] | None = None, **kwargs: Any) -> pd.Series:
        cells = column.astype("object")
        if checks is None:
            return cells.map(lambda cell: not cell)
        wanted = frozenset(checks)
        return cells.map(lambda cell: wanted.isdisjoint(cell.split(SEPARATOR)) if cell else True)


class ExpectColumnValuesToHaveNoTextDefects(ColumnMapExpectation):
    """Expect no release to have an `error` finding from `checks` (default: from any check).

    The column holds the precomputed `error_checks` cells described in this module's docstring. With
    `mostly`, it becomes a bound on the share of releases with such findings: `mostly=0.8` allows 20 %.
    """

    checks: list[str] | None = None

    map_metric = "column_values.no_text_defects"
    success_keys = ("checks", "mostly")
    args_keys = ("column", "checks")

    library_metadata: ClassVar[dict[str, Any]] = {
        "maturity": "experimental",
        "tags": ["pressroom", "text quality"],
        "contributors": ["pressroom"],
        "requirements": [],
        "has_full_test_suite": False,
        "manually_reviewed_code": True,
    }
