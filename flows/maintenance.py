"""Runs over what is already in the warehouse, with no network: reparse, recheck, publish.

- :func:`reparse` rebuilds releases from ``raw_pages`` with the current extractors (after a parser fix),
  checks what changed, and publishes.
- :func:`recheck` runs the current checks again on releases checked by an older engine version.
- :func:`publish_now` re-evaluates held releases (after a waiver) and exports.

Each records a row in ``runs`` (flow ``reparse`` / ``recheck`` / ``publish``), and each drains the check
queue before it publishes (:func:`flows.pipeline.drain_queue`), like every run. None of them opens an
HTTP session: parsing a stored page is pure. (Tending the installation without recording a run —
``vacuum``, ``doctor`` — is :mod:`flows.housekeeping`.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pressroom.connectors.config import Config, SourceConfig
from pressroom.connectors.failures import Skip
from pressroom.connectors.model import ParseFailure, Release
from pressroom.connectors.registry import parser_for
from pressroom.flows import interrupts, pipeline
from pressroom.flows.pipeline import FetchedBatch, RunContext
from pressroom.flows.settings import Settings
from pressroom.flows.validation_process import validate_run
from pressroom.warehouse import store
from pressroom.warehouse.lifecycle import SkipRecord
from pressroom.warehouse.releases import PublishResult
from pressroom.warehouse.store import FailureRecord

CHUNK = 200


@dataclass(frozen=True)
class MaintenanceResult:
    run_id: str
    flow: str
    counts: dict[str, int]
    published: PublishResult


def _named(config: Config, source_ids: Sequence[str] | None) -> list[SourceConfig]:
    """The sources named, or every configured source (enabled or not: what is stored stays theirs)."""
    return config.select(list(source_ids)) if source_ids else list(config.sources)


def _context(settings: Settings, flow: str, config: Config) -> RunContext:
    started = datetime.now(UTC)
    ctx = RunContext(run_id=pipeline.new_run_id(started), flow=flow, started_at=started, config=config,
                     warehouse=settings.open_warehouse())
    with ctx.warehouse.transaction() as con:
        store.start_run(con, run_id=ctx.run_id, flow=flow, started_at=started)
    return ctx


def _finish(
    ctx: RunContext, counts: Counter[str], source_ids: Sequence[str], settings: Settings, *, validate: bool = True
) -> MaintenanceResult:
    drained = pipeline.drain_queue(ctx)
    counts["checked"] += drained
    if validate or drained:  # Great Expectations over what this run checked again, as after a nightly run
        validate_run(ctx.warehouse, [ctx.config.source(sid) for sid in source_ids], run_id=ctx.run_id,
                     now=ctx.started_at, results_dir=settings.gx_results_dir, docs_dir=settings.gx_docs_dir,
                     with_history=False)
    interrupts.check()
    published = pipeline.publish_run(ctx, source_ids, export_root=settings.exports_dir)
    counts["published"] = len(published.published)
    counts["held"] = len(published.held)
    with ctx.warehouse.transaction() as con:
        store.finish_run(con, run_id=ctx.run_id, status="completed", finished_at=datetime.now(UTC),
                         totals=dict(counts), sources=[])
    return MaintenanceResult(ctx.run_id, ctx.flow, {k: int(v) for k, v in counts.items()}, published)


def reparse(settings: Settings, config: Config, source_ids: Sequence[str] | None = None) -> MaintenanceResult:
    """Parse every stored page again; releases whose text changed become new versions."""
    sources = {s.id: s for s in _named(config, source_ids)}
    parsers = {source_id: parser_for(source) for source_id, source in sources.items()}
    counts: Counter[str] = Counter()
    ctx = _context(settings, "reparse", config)
    with ctx.warehouse.transaction() as con:
        keys = [key for source_id in sources for key in store.raw_page_urls(con, source_id=source_id)]
    for start in range(0, len(keys), CHUNK):
        interrupts.check()
        with ctx.warehouse.transaction() as con:
            pages = store.load_raw_pages(con, keys[start : start + CHUNK])
        releases: list[Release] = []
        failures: list[FailureRecord] = []
        skips: list[SkipRecord] = []
        for page in pages:
            parsed = parsers[page.source_id](page)
            if isinstance(parsed, ParseFailure) and isinstance(parsed.reason, Skip):  # as a nightly run does
                skips.append(SkipRecord(page.source_id, page.url, parsed.reason, parsed.detail))
            elif isinstance(parsed, ParseFailure):
                failures.append(FailureRecord(page.source_id, page.url, parsed.reason, 1, "parse", parsed.detail))
            else:
                releases.append(parsed)
        counts["listed"] += len(pages)
        for source_id in {p.source_id for p in pages}:
            batch = FetchedBatch(pages=[], releases=[r for r in releases if r.source_id == source_id],
                                 failures=[f for f in failures if f.source_id == source_id],
                                 skips=[s for s in skips if s.source_id == source_id])
            result = pipeline.load(ctx, batch, source_id=source_id)
            counts["new"] += len(result.new)
            counts["changed"] += len(result.changed)
            counts["unchanged"] += len(result.unchanged)
            counts["failed"] += len(batch.failures)
            pipeline.check(ctx, batch.releases, ids=(*result.new, *result.changed))
    return _finish(ctx, counts, list(sources), settings)


def recheck(
    settings: Settings, config: Config, source_ids: Sequence[str] | None = None, *, every: bool = False
) -> MaintenanceResult:
    """Check again the versions last checked by another engine version, or never checked (or all, with
    ``every``), across all sources: the gate holds for every source whichever are named; ``source_ids``
    names the sources that are published and validated."""
    selected = [s.id for s in _named(config, source_ids)]
    ctx = _context(settings, "recheck", config)
    counts: Counter[str] = Counter(checked=pipeline.drain_queue(ctx, every=every, source_ids=selected))
    return _finish(ctx, counts, selected, settings)


def publish_now(settings: Settings, config: Config, source_ids: Sequence[str] | None = None) -> MaintenanceResult:
    selected = [s.id for s in _named(config, source_ids)]
    ctx = _context(settings, "publish", config)
    return _finish(ctx, Counter(), selected, settings, validate=False)
