"""`validate_releases` itself: two GX validations per run (the releases, one row per source), verdicts
read back, results and docs written.

Per-release verdicts come from GX's `COMPLETE` result format with `release_id` as the unexpected index
column: each failed record-level expectation lists the release_ids it rejected. A record-level
expectation GX could not evaluate (it raised) fails closed: every release of the run is held under its
name, and the error is logged. Batch warnings name their sources the same way, with `source_id` as the
index of the one-row-per-source batch.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pandas as pd
from great_expectations import ExpectationSuite, ValidationDefinition
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
from pressroom.expectations.gx.context import (
    ASSET,
    BATCHES_ASSET,
    DATASOURCE,
    DOCS_SITE,
    batch_definition,
    open_context,
)
from pressroom.expectations.gx.defects import ERROR_CHECKS, error_checks_column
from pressroom.expectations.gx.docs import install_vendor, localise
from pressroom.expectations.gx.suites import (
    BODY_CHARS,
    CLEAN_SHARE,
    EARLIEST,
    MAX_CHARS,
    MIN_CHARS,
    MIN_CLEAN_SHARE,
    RELEASES,
    SOURCE_HOST,
    SOURCE_LANGUAGE,
    VOLUME_HIGH,
    VOLUME_LOW,
    build_batches_suite,
    build_releases_suite,
    pair,
    url_host,
    usual_range,
)

RESULT_FORMAT: dict[str, Any] = {
    "result_format": "COMPLETE",
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
    batches = source_batches(frame, rules, history, run_id)
    store_dir = results_dir / "gx"
    started = time.perf_counter()
    context = open_context(store_dir, docs_dir if docs_dir is not None else store_dir / "docs")
    run = RunIdentifier(run_name=run_id, run_time=now)
    suite = build_releases_suite(rules, now=now)
    results = {
        ASSET: _run(context, ASSET, suite, frame, "release_id", run),
        BATCHES_ASSET: _run(context, BATCHES_ASSET, build_batches_suite(), batches, "source_id", run),
    }
    order = [str(expectation.meta["name"]) for expectation in suite.expectations if expectation.meta]
    failures = _record_failures(results[ASSET], frame, order=order)
    warnings = _batch_warnings(results[BATCHES_ASSET], batches)
    statistics = statistics_of(results.values())
    identifiers = {asset: identifier(result, run, asset) for asset, result in results.items()}
    documents = {asset: stored(context, identifiers[asset], result) for asset, result in results.items()}
    results_path = _write_results(results_dir / f"{run_id}.json", run_id, now, failures, warnings, statistics,
                                  documents, batches)
    docs_index = build_docs(context, docs_dir, list(identifiers.values())) if docs_dir is not None else None
    log.info("GX validated %d releases of %d sources in %.2f s", len(frame), len(batches),
             time.perf_counter() - started)
    return GxOutcome(
        success=not failures,
        record_failures=failures,
        batch_warnings=warnings,
        results_path=results_path,
        docs_index=docs_index,
        statistics=statistics,
    )


def _run(context: FileDataContext, asset: str, suite: ExpectationSuite, frame: pd.DataFrame, index: str,
         run: RunIdentifier) -> ExpectationSuiteValidationResult:
    # Stores the suite too (GX's add_or_update of a validation definition always saves its suite).
    definition = context.validation_definitions.add_or_update(
        ValidationDefinition(name=suite.name, data=batch_definition(context, asset), suite=suite)
    )
    return definition.run(batch_parameters={"dataframe": frame}, run_id=run,
                          result_format={**RESULT_FORMAT, "unexpected_index_column_names": [index]})


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
    source = releases["source_id"]
    return releases.assign(**{
        "published_at": published,
        # A caller may pass the length precomputed (and a stand-in body) so a large run's bodies are
        # not read into memory just to be measured.
        BODY_CHARS: (releases[BODY_CHARS] if BODY_CHARS in releases
                     else releases["body_text"].astype("string").str.len()),
        ERROR_CHECKS: error_checks_column(releases),
        SOURCE_HOST: pd.Series([pair(s, url_host(url)) for s, url in zip(source, releases["url"], strict=True)],
                               index=releases.index, dtype="object"),
        SOURCE_LANGUAGE: pd.Series([pair(s, lang) for s, lang in zip(source, releases["language"], strict=True)],
                                   index=releases.index, dtype="object"),
        MIN_CHARS: source.map({s: r.min_body_chars for s, r in rules.items()}).astype("Int64"),
        MAX_CHARS: source.map({s: r.max_body_chars for s, r in rules.items()}).astype("Int64"),
        EARLIEST: pd.to_datetime(source.map({s: datetime(r.first_year, 1, 1, tzinfo=UTC) for s, r in rules.items()}),
                                 utc=True),
    })


def source_batches(frame: pd.DataFrame, rules: Mapping[str, SourceRules], history: pd.DataFrame,
                   run_id: str) -> pd.DataFrame:
    """One row per source of `rules`, with or without releases this run: the columns `batch_expectations`
    reads. `clean_share` is null when nothing was checked, the volume bounds when history is too short."""
    rows = []
    for source_id in sorted(rules):
        cells = frame.loc[frame["source_id"] == source_id, ERROR_CHECKS]
        checked = int(cells.notna().sum())
        with_errors = int((cells.dropna() != "").sum())
        usual = usual_range(_counts(history, source_id, run_id))
        rows.append({
            "source_id": source_id, RELEASES: len(cells), "checked": checked, "with_errors": with_errors,
            CLEAN_SHARE: (checked - with_errors) / checked if checked else None,
            MIN_CLEAN_SHARE: round(1 - rules[source_id].max_error_share, 6),
            VOLUME_LOW: usual[0] if usual else None, VOLUME_HIGH: usual[1] if usual else None,
        })
    batches = pd.DataFrame(rows, columns=["source_id", RELEASES, "checked", "with_errors", CLEAN_SHARE,
                                          MIN_CLEAN_SHARE, VOLUME_LOW, VOLUME_HIGH])
    batches[[VOLUME_LOW, VOLUME_HIGH]] = batches[[VOLUME_LOW, VOLUME_HIGH]].astype("Int64")
    batches[CLEAN_SHARE] = batches[CLEAN_SHARE].astype("float64")
    return batches


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
    suite_result: ExpectationSuiteValidationResult, frame: pd.DataFrame, *, order: list[str]
) -> dict[str, tuple[str, ...]]:
    """Per failing release, the names of the record expectations it failed, in the suite's order (GX
    returns results in an order of its own)."""
    rank = {name: position for position, name in enumerate(order)}
    failed: defaultdict[str, list[str]] = defaultdict(list)
    for result in suite_result.results:
        name, level = meta(result)
        if level != "record" or result.success:
            continue
        if raised(result):
            log.error("GX could not evaluate %s; holding every release of the run: %s", name, result.exception_info)
            ids = frame["release_id"].dropna().tolist()
        else:
            ids = [row.get("release_id") for row in result.result.get("unexpected_index_list") or []]
        for release_id in dict.fromkeys(str(i) for i in ids if i is not None):
            if name not in failed[release_id]:
                failed[release_id].append(name)
    return {release_id: tuple(sorted(names, key=lambda name: rank.get(name, len(rank))))
            for release_id, names in sorted(failed.items())}


def _batch_warnings(suite_result: ExpectationSuiteValidationResult, batches: pd.DataFrame) -> tuple[str, ...]:
    """One line per source and failed batch expectation, by source, then in the suite's order."""
    failed: defaultdict[str, list[str]] = defaultdict(list)
    for result in suite_result.results:
        name, level = meta(result)
        if level != "batch" or result.success:
            continue
        if raised(result):
            log.error("GX could not evaluate %s over the sources' batches: %s", name, result.exception_info)
            ids = batches["source_id"].tolist()
        else:
            ids = [row.get("source_id") for row in result.result.get("unexpected_index_list") or []]
        for source_id in ids:
            line = _warning(name, batches.loc[batches["source_id"] == source_id].iloc[0], failed_to_run=raised(result))
            if line not in failed[str(source_id)]:
                failed[str(source_id)].append(line)
    return tuple(line for source_id in sorted(failed) for line in failed[source_id])


def _warning(name: str, row: pd.Series, *, failed_to_run: bool) -> str:
    source_id = row["source_id"]
    if failed_to_run:
        return f"{source_id}: {name} could not be evaluated"
    if name == "volume":
        return (f"{source_id}: {row[RELEASES]} releases in this run, outside the usual "
                f"{row[VOLUME_LOW]}–{row[VOLUME_HIGH]}")
    if name == "error-share":
        return (f"{source_id}: {row['with_errors']} of {row['checked']} checked releases "
                f"({100 * row['with_errors'] / row['checked']:.0f} %) have error findings; "
                f"at most {1 - row[MIN_CLEAN_SHARE]:.0%} expected")
    return f"{source_id}: {name} failed"


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
    batches: pd.DataFrame,
) -> Path:
    document = {
        "run_id": run_id,
        "validated_at": now.isoformat(),
        "success": not failures,
        "statistics": dict(statistics),
        "record_failures": {release_id: list(names) for release_id, names in failures.items()},
        "batch_warnings": list(warnings),
        # The per-source figures the batch expectations judged (the bounds are data, not GX kwargs).
        "source_batches": batches.astype(object).where(batches.notna(), None).to_dict("records"),
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
