"""What crosses between a fanned-out run and its source jobs: job specs as flow-run parameters, and each
job's outcome as a JSON result; both must come back as they went (the jobs run in other processes)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pressroom.connectors.config import parse_config
from pressroom.connectors.model import Window
from pressroom.flows.chunks import Chunk, round_robin
from pressroom.flows.fanout import dispatch, outcome_from_record, outcome_record
from pressroom.flows.jobs import Job, chunk_window, nightly_window
from pressroom.flows.pipeline import SourceOutcome

SOURCE = parse_config({"sources": [{"id": "xa-mfa", "name": "MFA", "country": "XA", "kind": "feed",
                                    "url": "http://127.0.0.1:9/feed.xml"}]}).sources[0]
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


@settings(max_examples=40, deadline=None)
@given(status=st.sampled_from(["ok", "partial", "failed"]), error=st.none() | st.text(max_size=40),
       counts=st.dictionaries(st.sampled_from(["listed", "fetched", "new", "changed", "failed"]),
                              st.integers(0, 10**6)),
       since=st.none() | moments, length=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=4000)),
       windowed=st.booleans())
def test_an_outcome_survives_its_json_round_trip(
    status: str, error: str | None, counts: dict[str, int], since: datetime | None, length: timedelta,
    windowed: bool,
) -> None:
    until = (since or datetime(2026, 1, 1, tzinfo=UTC)) + length
    outcome = SourceOutcome(source_id="xa-mfa", status=status, error=error, counts=Counter(counts),
                            window=Window(since=since, until=until) if windowed else None)
    back = outcome_from_record(json.loads(json.dumps(outcome_record(outcome))))
    assert (back.source_id, back.status, back.error, back.counts, back.window) == (
        outcome.source_id, outcome.status, outcome.error, outcome.counts, outcome.window)


@given(start=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), days=st.integers(0, 400))
def test_a_job_survives_its_spec(start: date, days: int) -> None:
    chunk = Chunk(start, start + timedelta(days=days))
    for job in (Job(SOURCE, nightly_window), Job(SOURCE, chunk_window(chunk), chunk)):
        back = Job.from_spec(json.loads(json.dumps(job.spec())), SOURCE)
        assert (back.source, back.chunk, back.name) == (job.source, job.chunk, job.name)
        assert (back.window_for is nightly_window) == (job.chunk is None)


@given(sizes=st.lists(st.integers(0, 5), max_size=6))
def test_round_robin_takes_every_job_once_first_jobs_first(sizes: list[int]) -> None:
    jobs = {f"s{n}": [Job(SOURCE, chunk_window(Chunk(date(2026, 1, k + 1), date(2026, 1, k + 1))),
                          Chunk(date(2026, 1, k + 1), date(2026, 1, k + 1))) for k in range(size)]
            for n, size in enumerate(sizes)}
    ordered = round_robin(jobs)
    assert sorted(map(id, ordered)) == sorted(id(job) for group in jobs.values() for job in group)
    firsts = [group[0] for group in jobs.values() if group]
    assert [id(job) for job in ordered[:len(firsts)]] == [id(job) for job in firsts]


def test_jobs_per_run_below_one_is_refused_before_anything_runs() -> None:
    with pytest.raises(ValueError, match="jobs_per_run"):
        dispatch("source-jobs/source-jobs", None, None, {}, move_watermark=False, jobs_per_run=0)  # type: ignore[arg-type]
