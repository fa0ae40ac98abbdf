"""Source jobs: one source over one window (a nightly window or one backfill chunk), run as ``source``
task runs on a thread per source, in this process or in a flow run of their own (:mod:`flows.fanout`).

Threads mostly wait for their host's interval; the shared :class:`~connectors.http.PoliteSession`
lets up to ``[http] max_hosts_in_parallel`` requests be in flight at once, each host at its own
interval, and the warehouse serialises the writes. In a deployment's run each job also holds its hosts'
Prefect global concurrency limits (:mod:`flows.hosts`), so the intervals hold across workers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar, cast

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from pressroom.connectors.config import SourceConfig
from pressroom.connectors.http import PoliteSession
from pressroom.connectors.model import Window
from pressroom.flows import pipeline
from pressroom.flows.chunks import Chunk, merge, round_robin
from pressroom.flows.hosts import host_slots, shared_hosts
from pressroom.flows.pipeline import RunContext, SourceOutcome, Stages
from pressroom.warehouse import WarehouseBusy, store
from pressroom.warehouse.chunks import record_chunk

T = TypeVar("T")


def q(value: T) -> T:
    """Pass ``value`` to a task as it is: Prefect neither walks, hashes nor copies a quoted argument."""
    return cast(T, quote(value))


batch_task = task(name="batch", cache_policy=NO_CACHE, persist_result=False)(pipeline.process_batch)


def _stages() -> Stages:
    """The batch stage as a task; arguments are quoted so Prefect neither hashes nor walks them."""

    def batch(ctx: RunContext, source: SourceConfig, cursor: pipeline.Discovery) -> pipeline.BatchResult | None:
        return batch_task(q(ctx), q(source), q(cursor))

    return Stages(batch=batch)


WindowFor = Callable[[RunContext, SourceConfig], Window]


def nightly_window(ctx: RunContext, source: SourceConfig) -> Window:
    """``[watermark - lag, run start)``."""
    with ctx.warehouse.transaction() as con:
        state = store.get_state(con, source.id)
    return pipeline.nightly_window(state, until=ctx.started_at, lag=timedelta(days=ctx.config.pipeline.lag_days))


def chunk_window(chunk: Chunk) -> WindowFor:
    def window_for(ctx: RunContext, source: SourceConfig) -> Window:
        return pipeline.backfill_window(source, chunk.start, chunk.end)

    return window_for


@dataclass(frozen=True)
class Job:
    """One source over one window: a whole nightly window, or one backfill chunk."""

    source: SourceConfig
    window_for: WindowFor
    chunk: Chunk | None = None
    #: A backfill chunk an earlier backfill left incomplete: pages it loaded are not fetched again.
    resume: bool = False

    @property
    def name(self) -> str:
        return self.source.id if self.chunk is None else f"{self.source.id} {self.chunk.label}"

    def spec(self) -> dict[str, str]:
        """The job as flow-run parameters (:meth:`from_spec` reads them back)."""
        if self.chunk is None:
            return {"source": self.source.id}
        spec = {"source": self.source.id, "start": self.chunk.start.isoformat(), "end": self.chunk.end.isoformat()}
        if self.resume:
            spec["resume"] = "1"
        return spec

    @classmethod
    def from_spec(cls, spec: dict[str, str], source: SourceConfig) -> Job:
        if "start" not in spec:
            return cls(source, nightly_window)
        chunk = Chunk(date.fromisoformat(spec["start"]), date.fromisoformat(spec["end"]))
        return cls(source, chunk_window(chunk), chunk, resume=spec.get("resume") == "1")


@task(name="source", cache_policy=NO_CACHE, persist_result=False, task_run_name="source-{label}")
def source_task(
    ctx: RunContext, job: Job, session: PoliteSession, *, label: str, move_watermark: bool, shared: bool = False
) -> SourceOutcome:
    window = None
    try:
        window = job.window_for(ctx, job.source)
        with host_slots(session, job.source.hosts, shared=shared):
            outcome = pipeline.run_source(ctx, job.source, window, session=session, move_watermark=move_watermark,
                                          stages=_stages(), skip_loaded=job.resume)
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


def run_jobs(ctx: RunContext, jobs: dict[str, list[Job]], *, move_watermark: bool) -> dict[str, list[SourceOutcome]]:
    """Run ``jobs`` (per source id) here, a thread per source, and return their outcomes per source."""
    settings = ctx.config.http.settings()
    shared = shared_hosts()
    futures: dict[str, list[Any]] = {source_id: [] for source_id in jobs}
    # One thread per source: a thread mostly sleeps on its host's interval, and how many requests are in
    # flight at once is the session's max_hosts_in_parallel, not a thread count.
    runner: ThreadPoolTaskRunner[Any] = ThreadPoolTaskRunner(max_workers=max(1, len(jobs)))
    with PoliteSession(settings) as session, runner:
        for job in round_robin(jobs):
            parameters = {"ctx": q(ctx), "job": q(job), "session": q(session), "label": job.name,
                          "move_watermark": move_watermark, "shared": shared}
            futures[job.source.id].append(runner.submit(source_task, parameters))
        return {source_id: [future.result() for future in done] for source_id, done in futures.items()}


def source_outcomes(selected: Sequence[SourceConfig], done: dict[str, list[SourceOutcome]]) -> list[SourceOutcome]:
    """One outcome per selected source: its jobs' merged, or a skip when it had none."""
    return [merge(done[source.id]) if done.get(source.id) else pipeline.skipped_source(source) for source in selected]
