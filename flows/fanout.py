"""Each source job as a flow run of its own, so the workers of a work pool share one run's sources.

Given ``fan_out`` (the name of a deployment of :func:`source_jobs`, ``source-jobs/source-jobs`` in
``infra/prefect.yaml``), ``nightly`` and ``backfill`` create one flow run of it per source job — per
source, and per chunk of a long backfill — wait for them all, then check the queue, validate, publish,
report and alert once, as without it. ``jobs_per_run`` puts several jobs into one flow run: each flow
run is a Python process on a worker (a few seconds of CPU to start), which hundreds of small sources
would spend more on than on fetching.

The jobs load into the run's ``run_id``, in whatever process runs them, and each returns its outcome
as a JSON result (``persist_result``): the parent reads it from Prefect's result storage, by default a
directory under ``PREFECT_HOME`` that every process on one machine shares; workers on several machines
need a shared result storage (``PREFECT_RESULTS_DEFAULT_STORAGE_BLOCK``) and a shared warehouse.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from prefect import flow, get_run_logger
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment

from pressroom.connectors.config import load_config
from pressroom.connectors.model import Window
from pressroom.flows import pipeline
from pressroom.flows.chunks import round_robin
from pressroom.flows.jobs import Job, run_jobs
from pressroom.flows.pipeline import RunContext, SourceOutcome
from pressroom.flows.settings import Settings

__all__ = ["DEPLOYMENT", "dispatch", "outcome_from_record", "outcome_record", "source_jobs"]

#: the deployment of :func:`source_jobs` in infra/prefect.yaml
DEPLOYMENT = "source-jobs/source-jobs"
POLL_SECONDS = 1.0


def outcome_record(outcome: SourceOutcome) -> dict[str, Any]:
    """A job's outcome as JSON (:func:`outcome_from_record` reads it back)."""
    window = outcome.window
    return {
        "source_id": outcome.source_id, "status": outcome.status, "error": outcome.error,
        "counts": {name: int(value) for name, value in outcome.counts.items()},
        "since": window.since.isoformat() if window and window.since else None,
        "until": window.until.isoformat() if window else None,
    }


def outcome_from_record(record: dict[str, Any]) -> SourceOutcome:
    until = record.get("until")
    since = record.get("since")
    window = Window(since=datetime.fromisoformat(since) if since else None,
                    until=datetime.fromisoformat(until)) if until else None
    return SourceOutcome(source_id=record["source_id"], status=record["status"], window=window,
                         counts=Counter(record.get("counts") or {}), error=record.get("error"))


@flow(name="source-jobs", persist_result=True, result_serializer="json", log_prints=False)
def source_jobs(
    run_id: str,
    run_flow: str,
    started_at: datetime,
    jobs: list[dict[str, str]],
    move_watermark: bool,  # noqa: FBT001 — a deployment parameter, passed by name
    data_dir: str,
    warehouse: str,
    sources_file: str,
    lock_timeout: float,
) -> list[dict[str, Any]]:
    """Source jobs of the ``nightly`` or ``backfill`` run ``run_id`` (each ``{"source": id}``, or with
    ``start``/``end`` dates for a backfill chunk), loaded into that run; returns their outcomes."""
    settings = Settings.resolve(data_dir=Path(data_dir), warehouse=Path(warehouse), sources=Path(sources_file),
                                lock_timeout=lock_timeout)
    config = load_config(settings.sources)
    ctx = RunContext(run_id=run_id, flow=run_flow, started_at=started_at, config=config,
                     warehouse=settings.open_warehouse())
    grouped: dict[str, list[Job]] = {}
    for spec in jobs:
        grouped.setdefault(spec["source"], []).append(Job.from_spec(spec, config.source(spec["source"])))
    done = run_jobs(ctx, grouped, move_watermark=move_watermark)
    return [outcome_record(outcome) for outcomes in done.values() for outcome in outcomes]


def dispatch(
    deployment: str,
    ctx: RunContext,
    settings: Settings,
    jobs: dict[str, list[Job]],
    *,
    move_watermark: bool,
    jobs_per_run: int = 1,
) -> dict[str, list[SourceOutcome]]:
    """Run ``jobs`` as flow runs of ``deployment``, ``jobs_per_run`` jobs each, and wait for them all;
    a flow run that does not complete counts as a failure of each source it had."""
    if jobs_per_run < 1:
        raise ValueError(f"jobs_per_run must be >= 1, got {jobs_per_run}")
    ordered = round_robin(jobs)
    common = {"run_id": ctx.run_id, "run_flow": ctx.flow, "started_at": ctx.started_at.isoformat(),
              "move_watermark": move_watermark, "data_dir": str(settings.data_dir.resolve()),
              "warehouse": _warehouse_name(settings), "sources_file": str(settings.sources.resolve()),
              "lock_timeout": settings.lock_timeout}
    logger = get_run_logger()
    runs: dict[Any, list[Job]] = {}
    for first in range(0, len(ordered), jobs_per_run):
        group = ordered[first:first + jobs_per_run]
        name = group[0].name + (f" +{len(group) - 1}" if len(group) > 1 else "")
        created = cast(FlowRun, run_deployment(deployment, parameters={**common, "jobs": [job.spec() for job in group]},
                                               flow_run_name=f"{ctx.run_id} {name}", timeout=0))
        runs[created.id] = group
    logger.info("%d source job(s) in %d flow run(s) of %s", len(ordered), len(runs), deployment)
    finished = _wait(list(runs))
    done: dict[str, list[SourceOutcome]] = {source_id: [] for source_id in jobs}
    for run_id, group in runs.items():
        flow_run = finished[run_id]
        state = flow_run.state
        records: Any = state.result(raise_on_failure=False) if state is not None and state.is_completed() else None
        if isinstance(records, list):
            for record in records:
                done[record["source_id"]].append(outcome_from_record(record))
            continue
        why = f"flow run {flow_run.name} ended {state.name if state else 'without a state'}"
        logger.error("%s: %s", why, ", ".join(job.name for job in group))
        for source in {job.source.id: job.source for job in group}.values():
            done[source.id].append(pipeline.failed_source(ctx, source, None, RuntimeError(why)))
    return done


def _warehouse_name(settings: Settings) -> str:
    warehouse = settings.warehouse
    return str(warehouse.resolve()) if hasattr(warehouse, "resolve") and ":" not in str(warehouse) else str(warehouse)


def _wait(ids: list[Any]) -> dict[Any, Any]:
    """The flow runs ``ids`` once all are in a final state."""
    page = 200  # the server's largest page
    with get_client(sync_client=True) as client:
        while True:
            runs = [run for first in range(0, len(ids), page)
                    for run in client.read_flow_runs(
                        flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids[first:first + page])), limit=page)]
            if len(runs) == len(ids) and all(run.state is not None and run.state.is_final() for run in runs):
                return {run.id: run for run in runs}
            time.sleep(POLL_SECONDS)
