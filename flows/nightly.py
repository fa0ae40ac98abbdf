"""Prefect flows: ``nightly`` and ``backfill``. Thin wiring over :mod:`flows.pipeline`.

Tasks work on batches, never one per release: per source (or backfill chunk) a ``source`` task, inside
it one ``batch`` task run per batch (discover → fetch → parse → load → check, so fetched bodies never
become task results), then ``check-queue`` (what an earlier, killed run loaded but did not check),
``validate``, ``publish``, ``health``, ``report``, ``alerts`` and ``artifacts`` once per run. The source
jobs run concurrently in this process (:mod:`flows.jobs`), or, given ``fan_out``, as flow runs of their
own on a work pool's workers (:mod:`flows.fanout`). Heavy arguments are passed with ``quote`` so Prefect
does not walk them.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import get_run_context
from prefect.task_runners import ThreadPoolTaskRunner

from pressroom.connectors.config import SourceConfig, load_config
from pressroom.flows import interrupts, pipeline, validation_process
from pressroom.flows.alerts import AlertSettings, Assessment, alert_settings, assess_run, deliver, report_link
from pressroom.flows.chunks import RANGED_KINDS, Chunk, month_chunks
from pressroom.flows.fanout import dispatch
from pressroom.flows.jobs import Job, chunk_window, nightly_window, q, run_jobs, source_outcomes
from pressroom.flows.pipeline import RunContext
from pressroom.flows.report import write_report
from pressroom.flows.settings import Settings
from pressroom.flows.validation_process import validate_health_run, validate_run
from pressroom.warehouse import Warehouse, store
from pressroom.warehouse.chunks import attempted_chunks, completed_chunks

log = logging.getLogger("pressroom.flows")

#: The flows' runner for their own tasks; a run's source jobs get one of their own (:func:`flows.jobs.run_jobs`).
SOURCE_RUNNER: Any = ThreadPoolTaskRunner(max_workers=4)


@task(name="validate", cache_policy=NO_CACHE, persist_result=False)
def validate_task(ctx: RunContext, sources: list[SourceConfig], settings: Settings, *, with_history: bool) -> None:
    """Great Expectations over what this run checked; record-level failures hold releases back. In a
    process of its own (flows/validation_process.py): this one never loads Great Expectations."""
    outcome = validate_run(ctx.warehouse, sources, run_id=ctx.run_id, now=ctx.started_at,
                           results_dir=settings.gx_results_dir, docs_dir=settings.gx_docs_dir,
                           with_history=with_history)
    logger = get_run_logger()
    for warning in outcome.warnings:
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
    fan_out: str | None = None,
    jobs_per_run: int = 1,
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
    validation_process.start()  # loads Great Expectations in its own process while the sources are fetched
    jobs = {source.id: jobs_for(ctx, source) for source in selected}
    if fan_out:
        done = dispatch(fan_out, ctx, settings, jobs, move_watermark=move_watermark, jobs_per_run=jobs_per_run)
    else:
        done = run_jobs(ctx, jobs, move_watermark=move_watermark)
    outcomes = source_outcomes(selected, done)
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
    fan_out: str | None = None,
    jobs_per_run: int = 1,
) -> RunSummary:
    """Every enabled source (or those named), each over ``[watermark - lag, now)``. With ``fan_out``
    (a deployment of ``source-jobs``) each source is a flow run of its own (``jobs_per_run`` per run)."""
    settings = _settings(data_dir, warehouse, sources_file, lock_timeout)
    return execute("nightly", settings, sources, lambda ctx, source: [Job(source, nightly_window)],
                   move_watermark=True, fan_out=fan_out, jobs_per_run=jobs_per_run)


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
    fan_out: str | None = None,
    jobs_per_run: int = 1,
) -> RunSummary:
    """The sources named, over the inclusive dates ``start``..``end`` in each source's timezone, in
    chunks (per month for kinds that can ask for a date range); chunks completed by an earlier backfill
    are skipped unless ``force``. Leaves the nightly watermark alone. With ``fan_out`` (a deployment of
    ``source-jobs``) each chunk is a flow run of its own (``jobs_per_run`` per run)."""
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    settings = _settings(data_dir, warehouse, sources_file, lock_timeout)

    def jobs_for(ctx: RunContext, source: SourceConfig) -> list[Job]:
        chunks = month_chunks(start, end) if source.kind in RANGED_KINDS else [Chunk(start, end)]
        attempted: set[Chunk] = set()
        if not force:
            with ctx.warehouse.transaction() as con:
                done = completed_chunks(con, source.id)
                attempted = attempted_chunks(con, source.id)
            skipped = [chunk for chunk in chunks if chunk in done]
            if skipped:
                get_run_logger().info("%s: %d chunk(s) already done, skipped (use force to redo them)",
                                      source.id, len(skipped))
            chunks = [chunk for chunk in chunks if chunk not in done]
        return [Job(source, chunk_window(chunk), chunk, resume=chunk in attempted) for chunk in chunks]

    return execute("backfill", settings, sources, jobs_for, move_watermark=False, fan_out=fan_out,
                   jobs_per_run=jobs_per_run)
