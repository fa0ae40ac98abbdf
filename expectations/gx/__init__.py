"""The Great Expectations layer of the publish gate: one call validates a run's releases.

`validate_releases` validates the releases of one run as two batches whatever the number of sources (all
the releases; one row per source), against suites defined in code (`suites.py`) with the committed file
context (`great_expectations.yml`, `context.py`), and says which releases fail which record-level
expectation. Everything it writes goes under the directories
the caller passes; GX is imported only when it is called (importing GX takes ~4 s).

Layout of `results_dir` after a run:

- `<run_id>.json`: this run's outcome, the per-source figures the batch expectations judged
  (`source_batches`) and both GX validation results, under `results.releases` and
  `results.source_batches` (`GxOutcome.results_path`);
- `gx/`: GX's stores (suites, validation definitions, validation results) that Data Docs are built from.

`docs_dir` (optional) receives the Data Docs site, readable offline (`docs.py`).

Importing this package sets the `great_expectations` logger to WARNING unless a level was set for it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pressroom.expectations.records import MIN_BODY_CHARS

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["GxOutcome", "SourceRules", "validate_releases"]

_GX_LOGGER = logging.getLogger("great_expectations")
if _GX_LOGGER.level == logging.NOTSET:
    # GX logs INFO lines while importing and validating; an application that set a level keeps it.
    _GX_LOGGER.setLevel(logging.WARNING)


@dataclass(frozen=True, slots=True)
class SourceRules:
    """What a source's releases must satisfy.

    `hosts` are the netlocs (host, or host:port) a release URL may have, compared case-insensitively.
    `min_body_chars` defaults to `records.MIN_BODY_CHARS`; `max_body_chars` catches a page whose whole
    site furniture was taken for the body. `max_error_share` bounds the share of a run's checked
    releases with an `error` finding before the batch is flagged (a warning: it holds nothing).
    """

    source_id: str
    hosts: frozenset[str]
    languages: frozenset[str]
    first_year: int = 1990
    min_body_chars: int = MIN_BODY_CHARS
    max_body_chars: int = 200_000
    max_error_share: float = 0.25

    def __post_init__(self) -> None:
        if not self.hosts or not self.languages:
            raise ValueError(f"source {self.source_id}: hosts and languages must not be empty")
        if not 0 <= self.min_body_chars <= self.max_body_chars:
            raise ValueError(f"source {self.source_id}: need 0 <= min_body_chars <= max_body_chars")
        if not 0 <= self.max_error_share <= 1:
            raise ValueError(f"source {self.source_id}: max_error_share is a share between 0 and 1")


@dataclass(frozen=True, slots=True)
class GxOutcome:
    """The verdicts of one run.

    `success` is true when no release failed a record-level expectation. `record_failures` maps each
    failing release_id to the names of the record-level expectations it failed (`suites.py` lists
    them); a release absent from it passed them all. Text-defect expectations mirror findings already
    stored in `dq_findings` and are not repeated here. `batch_warnings` has one line per failed
    batch-level expectation and source; they never hold a release. `statistics` sums GX's counts over both
    batches:
    `evaluated`, `successful`, `unsuccessful` expectations.
    """

    success: bool
    record_failures: dict[str, tuple[str, ...]]
    batch_warnings: tuple[str, ...]
    results_path: Path
    docs_index: Path | None
    statistics: dict[str, int]


def validate_releases(
    releases: pd.DataFrame,
    *,
    rules: Mapping[str, SourceRules],
    history: pd.DataFrame,
    run_id: str,
    results_dir: Path,
    docs_dir: Path | None,
    now: datetime,
) -> GxOutcome:
    """Validate one run's releases and store the results; see `GxOutcome` for what comes back.

    `releases` has the columns of the `releases` table (`release_id`, `source_id`, `url`, `title`,
    `published_at` as tz-aware UTC, `body_text`, `language`, ...) plus `error_checks`: per release the
    ids of the checks with an `error` finding (a list, or a comma-joined string; empty when none). Without
    `error_checks` the text checks are run here, at ~5 ms a release. Every source in `rules` is
    validated, including one with no release this run (its volume may be unusual); a release of a source
    missing from `rules` is a ValueError. `history` has `source_id`, `run_id`, `new_releases` for earlier
    comparable runs (rows of this `run_id` are ignored). `now` (tz-aware) is the run's clock: the
    future-date bound and the results' timestamp. `run_id` names files, so it is limited to
    `[A-Za-z0-9._-]`. With `docs_dir` None no Data Docs are built.
    """
    from pressroom.expectations.gx.run import validate

    return validate(
        releases, rules=rules, history=history, run_id=run_id, results_dir=results_dir, docs_dir=docs_dir, now=now
    )
