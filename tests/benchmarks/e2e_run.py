"""One measured pressroom run of the end-to-end benchmark, in its own process.

``python -m tests.benchmarks.e2e_run --profile OUT.json flows -- <pressroom CLI arguments>`` runs the
real CLI (``pressroom.flows.cli``: Prefect flows and tasks, ephemeral Prefect server) under the stage
profiler. ``... direct --data-dir D --sources S --from DAY --to DAY`` does the same backfill through
the same pipeline functions called directly, without Prefect (the flows-vs-direct ratio is Prefect's
overhead). Either writes ``{"exit": code, "stages": {...}, "wall_s": ...}`` to ``OUT.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from tests.benchmarks.stage_profile import StageProfiler


def run_flows(argv: list[str]) -> int:
    from pressroom.flows.cli import main

    sys.argv = ["pressroom", *argv]
    try:
        main()
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 2)
    return 0


def run_direct(data_dir: Path, sources_file: Path, start: date, end: date) -> int:
    """``execute("backfill", …)`` of flows/nightly.py, minus Prefect: the same pipeline calls in the same
    order, a thread per source and the chunks in round robin, as the flow's task runner runs them."""
    from pressroom.connectors.config import load_config
    from pressroom.connectors.http import PoliteSession
    from pressroom.expectations import workers as check_workers
    from pressroom.flows import pipeline, validation_process
    from pressroom.flows.alerts import alert_settings, assess_run, deliver
    from pressroom.flows.chunks import RANGED_KINDS, Chunk, merge, month_chunks, round_robin
    from pressroom.flows.report import write_report
    from pressroom.flows.settings import Settings
    from pressroom.flows.validation_process import validate_health_run, validate_run
    from pressroom.warehouse import store
    from pressroom.warehouse.chunks import attempted_chunks, completed_chunks, record_chunk

    settings = Settings.resolve(data_dir=data_dir, sources=sources_file)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    config = load_config(settings.sources)
    selected = config.select(None)
    started = datetime.now(UTC)
    run_id = pipeline.new_run_id(started)
    warehouse = settings.open_warehouse()
    warehouse.ensure_schema()
    with warehouse.transaction() as con:
        store.start_run(con, run_id=run_id, flow="backfill", started_at=started, prefect_flow_run_id=None)
    ctx = pipeline.RunContext(run_id=run_id, flow="backfill", started_at=started, config=config, warehouse=warehouse)
    validation_process.start()

    def job(source: Any, chunk: Chunk, session: PoliteSession, resume: bool) -> pipeline.SourceOutcome:
        window = pipeline.backfill_window(source, chunk.start, chunk.end)
        outcome = pipeline.run_source(ctx, source, window, session=session, move_watermark=False, skip_loaded=resume)
        with warehouse.transaction() as con:
            record_chunk(con, chunk, source_id=outcome.source_id, status=outcome.status, counts=outcome.counts,
                         run_id=run_id, now=datetime.now(UTC))
        return outcome

    wanted: dict[str, list[tuple[Any, Chunk, bool]]] = {}
    for source in selected:
        chunks = month_chunks(start, end) if source.kind in RANGED_KINDS else [Chunk(start, end)]
        with warehouse.transaction() as con:
            done, attempted = completed_chunks(con, source.id), attempted_chunks(con, source.id)
        wanted[source.id] = [(source, c, c in attempted) for c in chunks if c not in done]
    # As flows/jobs.run_jobs: a thread per source, every source's first chunk first (round robin).
    futures: dict[str, list[Any]] = {source.id: [] for source in selected}
    with (PoliteSession(config.http.settings()) as session,
          ThreadPoolExecutor(max_workers=max(1, len(selected))) as pool):
        for source, chunk, resume in round_robin(wanted):
            futures[source.id].append(pool.submit(job, source, chunk, session, resume))
        outcomes = [merge([f.result() for f in fs]) if fs else pipeline.skipped_source(s)
                    for s, fs in zip(selected, futures.values(), strict=True)]
    pipeline.drain_queue(ctx)
    check_workers.close_shared()
    validate_run(warehouse, selected, run_id=run_id, now=started, results_dir=settings.gx_results_dir,
                 docs_dir=settings.gx_docs_dir, with_history=False)
    published = pipeline.publish_run(ctx, [o.source_id for o in outcomes], export_root=settings.exports_dir)
    for outcome in outcomes:
        outcome.counts["published"], outcome.counts["held"] = published.counts(outcome.source_id)
    totals: dict[str, int] = {}
    for outcome in outcomes:
        for name, value in outcome.counts.items():
            totals[name] = totals.get(name, 0) + int(value)
    status = "completed" if all(o.status == "ok" for o in outcomes) else "partial"
    with warehouse.transaction() as con:
        store.finish_run(con, run_id=run_id, status=status, finished_at=datetime.now(UTC), totals=totals,
                         sources=[o.as_dict() for o in outcomes], window=(None, None))
    alerting = alert_settings(config)
    assessment = assess_run(warehouse, run_id=run_id, source_ids=[o.source_id for o in outcomes],
                            now=datetime.now(UTC), settings=alerting)
    if assessment.health:
        validate_health_run(warehouse, assessment.health, run_id=run_id, now=datetime.now(UTC),
                            results_dir=settings.gx_results_dir, docs_dir=settings.gx_docs_dir)
    report = write_report(warehouse, settings.reports_dir, run_id=run_id)
    with warehouse.transaction() as con:
        store.record_report_path(con, run_id=run_id, report_path=str(report))
    deliver(warehouse, assessment.alerts, alerting, report_url=None, now=datetime.now(UTC))
    validation_process.stop()
    return 0 if status == "completed" else 3


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", type=Path, required=True)
    parser.add_argument("mode", choices=("flows", "direct"))
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    rest = [a for a in args.rest if a != "--"]
    with StageProfiler() as profiler:
        if args.mode == "flows":
            code = run_flows(rest)
        else:
            direct = argparse.ArgumentParser()
            for name in ("--data-dir", "--sources", "--from", "--to"):
                direct.add_argument(name, required=True)
            ns = direct.parse_args(rest)
            code = run_direct(Path(ns.data_dir), Path(ns.sources), date.fromisoformat(getattr(ns, "from")),
                              date.fromisoformat(ns.to))
    args.profile.write_text(json.dumps({"exit": code, "stages": profiler.seconds(), "cpu": profiler.cpu_seconds(),
                                        "orchestration": profiler.hotspots(),
                                        "wall_s": round(profiler.wall, 2)}), encoding="utf-8")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
