"""`validate_releases` itself: one GX validation per source, verdicts read back, results and docs written.

Per-release verdicts come from GX's `COMPLETE` result format with `release_id` as the unexpected index
column: each failed record-level expectation lists the release_ids it rejected. An expectation GX could
not evaluate (it raised) fails closed: every release of that source is held under its name, and the
error is logged.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pandas as pd
from great_expectations import ValidationDefinition
from great_expectations.core.expectation_validation_result import (
    ExpectationSuiteValidationResult,
    ExpectationValidationResult,
)
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context import FileDataContext
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)
from great_expectations.exceptions import InvalidKeyError

from pressroom.expectations.gx import GxOutcome, SourceRules
from pressroom.expectations.gx.context import ASSET, DATASOURCE, DOCS_SITE, batch_definition, open_context
from pressroom.expectations.gx.defects import ERROR_CHECKS, error_checks_column
from pressroom.expectations.gx.docs import install_vendor, localise
from pressroom.expectations.gx.suites import BODY_CHARS, build_suite, usual_range

RESULT_FORMAT: dict[str, Any] = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": ["release_id"],
    "partial_unexpected_count": 20,
    "return_unexpected_index_query": False,
}
REQUIRED_COLUMNS = ("release_id", "source_id", "url", "title", "published_at", "body_text", "language")
RUN_ID_RE = re.compile(r"[A-Za-z0-9._-]+")

log = logging.getLogger(__name__)


def validate(
    releases: pd.DataFrame,
    *,
    rules: Mapping[str, SourceRules],
    history: pd.DataFrame,
    run_id: str,
    results_dir: Path,
    docs_dir: Path | None,
    now: datetime,
) -> GxOutcome:
    """See `expectations.gx.validate_releases`."""
    frame = _prepare(releases, rules, run_id=run_id, now=now)
    store_dir = results_dir / "gx"
    started = time.perf_counter()
    context = open_context(store_dir, docs_dir if docs_dir is not None else store_dir / "docs")
    data = batch_definition(context)
    run = RunIdentifier(run_name=run_id, run_time=now)
    results: dict[str, ExpectationSuiteValidationResult] = {}
    for source_id in sorted(rules):
        suite = build_suite(rules[source_id], volume=usual_range(_counts(history, source_id, run_id)), now=now)
        # Stores the suite too (GX's add_or_update of a validation definition always saves its suite).
        definition = context.validation_definitions.add_or_update(
            ValidationDefinition(name=suite.name, data=data, suite=suite)
        )
        batch = frame[frame["source_id"] == source_id]
        results[source_id] = definition.run(batch_parameters={"dataframe": batch}, result_format=RESULT_FORMAT,
                                            run_id=run)
    failures = _record_failures(results, frame)
    warnings = tuple(line for source_id, result in results.items() for line in _batch_warnings(source_id, result))
    statistics = statistics_of(results.values())
    identifiers = {source_id: identifier(result, run) for source_id, result in results.items()}
    documents = {source_id: stored(context, identifiers[source_id], result) for source_id, result in results.items()}
    results_path = _write_results(results_dir / f"{run_id}.json", run_id, now, failures, warnings, statistics,
                                  documents)
    docs_index = build_docs(context, docs_dir, list(identifiers.values())) if docs_dir is not None else None
    log.info("GX validated %d releases of %d sources in %.2f s", len(frame), len(results),
             time.perf_counter() - started)
    return GxOutcome(
        success=not failures,
        record_failures=failures,
        batch_warnings=warnings,
        results_path=results_path,
        docs_index=docs_index,
        statistics=statistics,
    )


def _prepare(releases: pd.DataFrame, rules: Mapping[str, SourceRules], *, run_id: str, now: datetime) -> pd.DataFrame:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not RUN_ID_RE.fullmatch(run_id):
        raise ValueError(f"run_id {run_id!r} may only contain letters, digits, '.', '_' and '-'")
    missing = [column for column in REQUIRED_COLUMNS if column not in releases.columns]
    if missing:
        raise ValueError(f"releases lack the column(s) {', '.join(missing)}")
    unknown = sorted(set(releases["source_id"].dropna()) - set(rules))
    if unknown:
        raise ValueError(f"no SourceRules for source(s) {', '.join(map(str, unknown))}")
    for source_id, rule in rules.items():
        if source_id != rule.source_id:
            raise ValueError(f"rules[{source_id!r}] is for source {rule.source_id!r}")
    published = releases["published_at"]
    if not isinstance(published.dtype, pd.DatetimeTZDtype):
        if len(published.dropna()):
            raise ValueError(f"published_at must be timezone-aware datetimes, not {published.dtype}")
        published = pd.to_datetime(published, utc=True)
    return releases.assign(**{
        "published_at": published,
        # A caller may pass the length precomputed (and a stand-in body) so a large run's bodies are
        # not read into memory just to be measured.
        BODY_CHARS: (releases[BODY_CHARS] if BODY_CHARS in releases
                     else releases["body_text"].astype("string").str.len()),
        ERROR_CHECKS: error_checks_column(releases),
    })


def _counts(history: pd.DataFrame, source_id: str, run_id: str) -> list[int]:
    if history.empty:
        return []
    rows = history[(history["source_id"] == source_id) & (history["run_id"] != run_id)].sort_values("run_id")
    return [int(count) for count in rows["new_releases"]]


def meta(result: ExpectationValidationResult) -> tuple[str, str]:
    config = result.expectation_config
    meta = (config.meta if config is not None else None) or {}
    return str(meta.get("name", "unnamed")), str(meta.get("level", "record"))


def raised(result: ExpectationValidationResult) -> bool:
    info = result.exception_info or {}
    if "raised_exception" in info:
        return bool(info["raised_exception"])
    return any(isinstance(value, Mapping) and value.get("raised_exception") for value in info.values())


def _record_failures(
    results: Mapping[str, ExpectationSuiteValidationResult], frame: pd.DataFrame
) -> dict[str, tuple[str, ...]]:
    failed: defaultdict[str, list[str]] = defaultdict(list)
    for source_id, suite_result in results.items():
        for result in suite_result.results:
            name, level = meta(result)
            if level != "record" or result.success:
                continue
            if raised(result):
                log.error("GX could not evaluate %s for %s; holding all its releases: %s", name, source_id,
                          result.exception_info)
                ids = frame.loc[frame["source_id"] == source_id, "release_id"].dropna().tolist()
            else:
                ids = [row.get("release_id") for row in result.result.get("unexpected_index_list") or []]
            for release_id in dict.fromkeys(str(i) for i in ids if i is not None):
                if name not in failed[release_id]:
                    failed[release_id].append(name)
    return {release_id: tuple(names) for release_id, names in sorted(failed.items())}


def _batch_warnings(source_id: str, suite_result: ExpectationSuiteValidationResult) -> list[str]:
    lines = []
    for result in suite_result.results:
        name, level = meta(result)
        if level != "batch" or result.success:
            continue
        config = result.expectation_config
        kwargs = config.kwargs if config else {}
        outcome = result.result or {}
        if raised(result):
            lines.append(f"{source_id}: {name} could not be evaluated")
        elif name == "volume":
            lines.append(f"{source_id}: {outcome.get('observed_value')} releases in this run, outside the usual "
                         f"{kwargs.get('min_value')}–{kwargs.get('max_value')}")
        elif name == "error-share":
            checked = int(outcome.get("element_count", 0)) - int(outcome.get("missing_count", 0))
            allowed = 1 - float(kwargs.get("mostly", 1.0))
            lines.append(f"{source_id}: {outcome.get('unexpected_count')} of {checked} checked releases "
                         f"({float(outcome.get('unexpected_percent') or 0):.0f} %) have error findings; "
                         f"at most {allowed:.0%} expected")
        else:
            lines.append(f"{source_id}: {name} failed ({config.description if config else ''})")
    return lines


def statistics_of(results: Any) -> dict[str, int]:
    totals = {"evaluated": 0, "successful": 0, "unsuccessful": 0}
    for result in results:
        for key in totals:
            totals[key] += int(result.statistics.get(f"{key}_expectations", 0))
    return totals


def identifier(
    result: ExpectationSuiteValidationResult, run: RunIdentifier, asset: str = ASSET
) -> ValidationResultIdentifier:
    """Key of `result` in the validation results store; the batch of a dataframe asset is named
    `<datasource>-<asset>`."""
    return ValidationResultIdentifier(ExpectationSuiteIdentifier(name=result.suite_name), run, f"{DATASOURCE}-{asset}")


def stored(
    context: FileDataContext, identifier: ValidationResultIdentifier, result: ExpectationSuiteValidationResult
) -> dict[str, Any]:
    """The result as GX stored it: reading its JSON back is ~30 times faster than serialising it again."""
    try:
        raw = context.validation_results_store.store_backend.get(identifier.to_tuple())
    except InvalidKeyError:
        log.warning("GX stored no result under %s; serialising it again", identifier)
        return dict(result.to_json_dict())
    return dict(json.loads(raw))


def _write_results(
    path: Path,
    run_id: str,
    now: datetime,
    failures: Mapping[str, tuple[str, ...]],
    warnings: tuple[str, ...],
    statistics: Mapping[str, int],
    results: Mapping[str, dict[str, Any]],
) -> Path:
    document = {
        "run_id": run_id,
        "validated_at": now.isoformat(),
        "success": not failures,
        "statistics": dict(statistics),
        "record_failures": {release_id: list(names) for release_id, names in failures.items()},
        "batch_warnings": list(warnings),
        "results": dict(results),
    }
    return write_json(path, document)


def write_json(path: Path, document: Mapping[str, Any]) -> Path:
    """Write `document` to `path` atomically (a partial file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(document, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(partial, path)
    return path


def build_docs(context: FileDataContext, docs_dir: Path, validations: list[ValidationResultIdentifier]) -> Path:
    resources: list[Any] = [*(key.expectation_suite_identifier for key in validations), *validations]
    context.build_data_docs(site_names=[DOCS_SITE], resource_identifiers=resources)
    pages = [docs_dir / "index.html"]
    for resource in resources:
        for site in context.get_docs_sites_urls(resource_identifier=resource, site_name=DOCS_SITE):
            url = site.get("site_url")
            if url and url.startswith("file://"):
                pages.append(Path(unquote(urlsplit(url).path)))
    install_vendor(docs_dir)
    localise(docs_dir, [page for page in pages if page.is_file()])
    return docs_dir / "index.html"
