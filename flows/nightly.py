"""Prefect flows: ``nightly`` and ``backfill``. Thin wiring over :mod:`flows.pipeline`.

Tasks work on batches, never one per release: per source (or backfill chunk) a ``source`` task, inside
it one ``batch`` task run per batch (discover → fetch → parse → load → check, so fetched bodies never
become task results), then ``check-queue`` (what an earlier, killed run loaded but did not check),
``validate``, ``publish``, ``health``, ``report``, ``alerts`` and ``artifacts`` once per run. Sources
run concurrently on a thread pool; the warehouse serialises their writes. Heavy arguments are passed with
``quote`` so Prefect does not walk them.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import get_run_context
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from pressroom.connectors.config import SourceConfig, load_config
from pressroom.connectors.http import PoliteSession
from pressroom.connectors.model import Window
from pressroom.flows import interrupts, pipeline
from pressroom.flows.alerts import AlertSettings, Assessment, alert_settings, assess_run, deliver, report_link
from pressroom.flows.chunks import RANGED_KINDS, Chunk, merge, month_chunks
from pressroom.flows.pipeline import RunContext, SourceOutcome, Stages
from pressroom.flows.report import write_report
from pressroom.flows.settings import Settings
from pressroom.flows.validation import validate_health_run, validate_run
from pressroom.warehouse import Warehouse, WarehouseBusy, store
from pressroom.warehouse.chunks import completed_chunks, record_chunk

log = logging.getLogger("pressroom.flows")
T = TypeVar("T")


def _stage(name: str) -> Any:
    return task(name=name, cache_policy=NO_CACHE, persist_result=False)


batch_task = _stage("batch")(pipeline.process_batch)


def q(value: T) -> T:
    """Pass ``value`` to a task as it is: Prefect neither walks, hashes nor copies a quoted argument."""
    return cast(T, quote(value))


def _stages() -> Stages:
    """The batch stage as a task; arguments are quoted so Prefect neither hashes nor walks them."""

    def batch(ctx: RunContext, source: SourceConfig, cursor: pipeline.Discovery) -> pipeline.BatchResult | None:
        return batch_task(q(ctx), q(source), q(cursor))

    return Stages(batch=batch)


#: Sources run concurrently, four at a time; their writes are serialised by the warehouse.
SOURCE_RUNNER: Any = ThreadPoolTaskRunner(max_workers=4)

WindowFor = Callable[[RunContext, SourceConfig], Window]


@dataclass(frozen=True)
class Job:
    """One source over one window: a whole nightly window, or one backfill chunk."""

    source: SourceConfig
    window_for: WindowFor
    chunk: Chunk | None = None

    @property
    def name(self) -> str:
        return self.source.id if self.chunk is None else f"{self.source.id} {self.chunk.label}"


@task(name="source", cache_policy=NO_CACHE, persist_result=False, task_run_name="source-{label}")
def source_task(
    ctx: RunContext, job: Job, session: PoliteSession, *, label: str, move_watermark: bool
) -> SourceOutcome:
    window = None
    try:
        window = job.window_for(ctx, job.source)
        outcome = pipeline.run_source(ctx, job.source, window, session=session, move_watermark=move_watermark,
                                      stages=_stages())
    except WarehouseBusy:
        raise
    except Exception as error:  # noqa: BLE001 — per-source isolation: record it, the other sources go on
        get_run_logger().exception("%s failed", label)
        outcome = pipeline.failed_source(ctx, job.source, window, error)
    if job.chunk is not None:
        chunk, now = job.chunk, datetime.now(UTC)
        ctx.warehouse.write(lambda con: record_chunk(con, chunk, source_id=outcome.source_id, status=outcome.status,
                                                     counts=outcome.counts, run_id=ctx.run_id, now=now))
    return outcome


@task(name="validate", cache_policy=NO_CACHE, persist_result=False)
def validate_task(ctx: RunContext, sources: list[SourceConfig], settings: Settings, *, with_history: bool) -> None:
    """Great Expectations over what this run checked; record-level failures hold releases back."""
    outcome = validate_run(ctx.warehouse, sources, run_id=ctx.run_id, now=ctx.started_at,
                           results_dir=settings.gx_results_dir, docs_dir=settings.gx_docs_dir,
                           with_history=with_history)
    logger = get_run_logger()
    for warning in outcome.batch_warnings:
        logger.warning("data quality: %s", warning)
    logger.info("great expectations: %s", outcome.statistics)


@task(name="check-queue", cache_policy=NO_CACHE, persist_result=False)
def queue_task(ctx: RunContext) -> int:
    """Check what is queued across all sources (loaded by a killed run, or checked by an older engine)
    before anything is published: the gate judges only versions the current engine checked."""
    return pipeline.drain_queue(ctx)


@task(name="publish", cache_policy=NO_CACHE, persist_result=False)
def publish_task(ctx: RunContext, source_ids: list[str], export_root: Path) -> pipeline.PublishResult:
    return pipeline.publish_run(ctx, source_ids, export_root=export_root)


@task(name="health", cache_policy=NO_CACHE, persist_result=False)
def health_task(warehouse: Warehouse, run_id: str, source_ids: list[str], settings: AlertSettings,
                paths: Settings) -> Assessment:
    """Source health of this run's sources, saved and checked by the GX health suite; alert episodes
    opened or cleared (nothing sent yet)."""
    now = datetime.now(UTC)
    assessment = assess_run(warehouse, run_id=run_id, source_ids=source_ids, now=now, settings=settings)
    if assessment.health:
        create_table_artifact(key="pressroom-source-health", table=[h.figures() for h in assessment.health],
                              description=f"pressroom source health after run {run_id}")
        outcome = validate_health_run(warehouse, assessment.health, run_id=run_id, now=now,
                                      results_dir=paths.gx_results_dir, docs_dir=paths.gx_docs_dir)
        logger = get_run_logger()
        for warning in outcome.warnings:
            logger.warning("data quality: %s", warning)
        logger.info("great expectations (source health): %s", outcome.statistics)
    return assessment


@task(name="alerts", cache_policy=NO_CACHE, persist_result=False)
def alerts_task(warehouse: Warehouse, assessment: Assessment, settings: AlertSettings, run_id: str,
                report_path: str) -> int:
    """Send the alerts of ``assessment``; return how many deliveries succeeded. Never raises for a receiver."""
    link = report_link(settings, run_id=run_id, report_path=report_path)
    results = deliver(warehouse, assessment.alerts, settings, report_url=link, now=datetime.now(UTC))
    return sum(result.ok for result in results)


@task(name="report", cache_policy=NO_CACHE, persist_result=False)
def report_task(warehouse: Warehouse, reports_dir: Path, run_id: str) -> Path:
    return write_report(warehouse, reports_dir, run_id=run_id)


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    flow: str
    status: str  # completed | partial | failed
    totals: dict[str, int]
    sources: list[dict[str, object]]
    report_path: str | None

    @property
    def exit_code(self) -> int:
        return 0 if self.status == "completed" else 3


JobsFor = Callable[[RunContext, SourceConfig], list[Job]]


def execute(
    flow_name: str,
    settings: Settings,
    source_ids: list[str] | None,
    jobs_for: JobsFor,
    *,
    move_watermark: bool,
) -> RunSummary:
    config = load_config(settings.sources)
    alerting = alert_settings(config)
    selected = config.select(source_ids)
    started = datetime.now(UTC)
    run_id = pipeline.new_run_id(started)
    warehouse = settings.open_warehouse()
    try:
        prefect_id = str(get_run_context().flow_run.id)  # type: ignore[union-attr]
    except (RuntimeError, AttributeError):
        prefect_id = None
    # Warehouse.write: on DuckLake, a commit that conflicted with another process's runs again
    warehouse.write(lambda con: store.start_run(con, run_id=run_id, flow=flow_name, started_at=started,
                                                prefect_flow_run_id=prefect_id))
    ctx = RunContext(run_id=run_id, flow=flow_name, started_at=started, config=config, warehouse=warehouse)
    with PoliteSession(config.http.settings()) as session:  # fetching only: the stages after it are offline
        jobs = {source.id: jobs_for(ctx, source) for source in selected}
        futures = {
            source_id: [source_task.submit(q(ctx), q(job), q(session), label=job.name, move_watermark=move_watermark)
                        for job in source_jobs]
            for source_id, source_jobs in jobs.items()
        }
        outcomes: list[SourceOutcome] = []
        for source, source_futures in zip(selected, futures.values(), strict=True):
            done = [future.result() for future in source_futures]
            outcomes.append(merge(done) if done else pipeline.skipped_source(source))
    interrupts.check()
    queue_task(q(ctx))
    validate_task(q(ctx), q(selected), q(settings), with_history=flow_name == "nightly")
    interrupts.check()
    published = publish_task(q(ctx), [o.source_id for o in outcomes], q(settings.exports_dir))
    with warehouse.transaction() as con:
        totals_by_source = store.releases_per_source(con)
    for outcome in outcomes:
        outcome.counts["published"], outcome.counts["held"] = published.counts(outcome.source_id)
        outcome.total = int(totals_by_source.get(outcome.source_id, 0))
    totals: Counter[str] = Counter()
    for outcome in outcomes:
        totals.update(outcome.counts)
    status = "completed" if all(o.status == "ok" for o in outcomes) else "partial"
    if outcomes and all(o.status == "failed" for o in outcomes):
        status = "failed"
    sources = [o.as_dict() for o in outcomes]
    windows = [o.window for o in outcomes if o.window is not None]
    span = (
        None if not windows or any(w.since is None for w in windows) else min(w.since for w in windows if w.since),
        max((w.until for w in windows), default=None),
    )
    finished = datetime.now(UTC)
    warehouse.write(lambda con: store.finish_run(con, run_id=run_id, status=status, finished_at=finished,
                                                 totals=dict(totals), sources=sources, window=span))
    assessment = health_task(q(warehouse), run_id, [o.source_id for o in outcomes], q(alerting), q(settings))
    report = report_task(q(warehouse), q(settings.reports_dir), run_id)
    warehouse.write(lambda con: store.record_report_path(con, run_id=run_id, report_path=str(report)))
    alerts_task(q(warehouse), q(assessment), q(alerting), run_id, str(report.resolve()))
    summary = RunSummary(run_id=run_id, flow=flow_name, status=status,
                         totals={name: int(totals.get(name, 0)) for name in store.RUN_COUNTS},
                         sources=sources, report_path=str(report.resolve()))
    artifacts_task(q(summary))
    return summary


@task(name="artifacts", cache_policy=NO_CACHE, persist_result=False)
def artifacts_task(summary: RunSummary) -> None:
    """A markdown summary and one table per source, with stable keys so the Prefect UI keeps history."""
    columns = ("status", *store.RUN_COUNTS)
    lines = [
        f"# pressroom {summary.flow} run `{summary.run_id}`: **{summary.status}**", "",
        "| source | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|",
    ]
    for source in summary.sources:
        lines.append(f"| {source['source_id']} | " + " | ".join(str(source.get(c, "")) for c in columns) + " |")
        create_table_artifact(
            key=f"pressroom-source-{source['source_id']}",
            table=[{"run_id": summary.run_id, **{c: source.get(c) for c in (*columns, "error")}}],
            description=f"pressroom {summary.flow} run {summary.run_id}, source {source['source_id']}",
        )
    lines += ["", f"Report: `{summary.report_path}`"]
    create_markdown_artifact(key="pressroom-run-summary", markdown="\n".join(lines),
                             description=f"pressroom {summary.flow} run {summary.run_id}")


def _settings(
    data_dir: str | None, warehouse: str | None, sources_file: str | None, lock_timeout: float | None
) -> Settings:
    return Settings.resolve(
        data_dir=Path(data_dir) if data_dir else None,
        warehouse=Path(warehouse) if warehouse else None,
        sources=Path(sources_file) if sources_file else None,
        lock_timeout=lock_timeout,
    )


@flow(name="nightly", task_runner=SOURCE_RUNNER, log_prints=False)
def nightly(
    sources: list[str] | None = None,
    data_dir: str | None = None,
    warehouse: str | None = None,
    sources_file: str | None = None,
    lock_timeout: float | None = None,
) -> RunSummary:
    """Every enabled source (or those named), each over ``[watermark - lag, now)``."""
    settings = _settings(data_dir, warehouse, sources_file, lock_timeout)

    def window_for(ctx: RunContext, source: SourceConfig) -> Window:
        with ctx.warehouse.transaction() as con:
            state = store.get_state(con, source.id)
        return pipeline.nightly_window(state, until=ctx.started_at,
                                       lag=timedelta(days=ctx.config.pipeline.lag_days))

    return execute("nightly", settings, sources, lambda ctx, source: [Job(source, window_for)],
                   move_watermark=True)


@flow(name="backfill", task_runner=SOURCE_RUNNER, log_prints=False)
def backfill(
    sources: list[str],
    start: date,
    end: date,
    data_dir: str | None = None,
    warehouse: str | None = None,
    sources_file: str | None = None,
    lock_timeout: float | None = None,
    force: bool = False,  # noqa: FBT001, FBT002 — a deployment parameter, passed by name
) -> RunSummary:
    """The sources named, over the inclusive dates ``start``..``end`` in each source's timezone, in
    chunks (per month for kinds that can ask for a date range); chunks completed by an earlier backfill
    are skipped unless ``force``. Leaves the nightly watermark alone."""
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    settings = _settings(data_dir, warehouse, sources_file, lock_timeout)

    def jobs_for(ctx: RunContext, source: SourceConfig) -> list[Job]:
        chunks = month_chunks(start, end) if source.kind in RANGED_KINDS else [Chunk(start, end)]
        if not force:
            with ctx.warehouse.transaction() as con:
                done = completed_chunks(con, source.id)
            skipped = [chunk for chunk in chunks if chunk in done]
            if skipped:
                get_run_logger().info("%s: %d chunk(s) already done, skipped (use force to redo them)",
                                      source.id, len(skipped))
            chunks = [chunk for chunk in chunks if chunk not in done]
        return [Job(source, _chunk_window(chunk), chunk) for chunk in chunks]

    return execute("backfill", settings, sources, jobs_for, move_watermark=False)


def _chunk_window(chunk: Chunk) -> WindowFor:
    def window_for(ctx: RunContext, source: SourceConfig) -> Window:
        return pipeline.backfill_window(source, chunk.start, chunk.end)

    return window_for
