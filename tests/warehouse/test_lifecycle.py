"""Gone pages are counted once per run (however many backfill chunks retry them), retired at
``retire_after``, and a loaded release whose page is gone in two runs is withdrawn, never deleted."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from pressroom.connectors.model import Release
from pressroom.connectors.normalise import release_id
from pressroom.warehouse import lifecycle, store
from pressroom.warehouse.releases import upsert_releases
from pressroom.warehouse.store import FailureRecord
from tests.warehouse.conftest import MakeWarehouse

NOW = datetime(2026, 3, 1, tzinfo=UTC)
URL = "https://mfa.example/press/1"


def fail(con: duckdb.DuckDBPyConnection, run_id: str, reason: str, url: str = URL) -> lifecycle.Settled:
    failure = FailureRecord("xa", url, reason, 1, "page", reason)
    lifecycle.count_gone(con, source_id="xa", failures=[(url, reason)], resolved=[], run_id=run_id)
    store.record_failures(con, [failure], run_id=run_id, now=NOW)
    lifecycle.count_new_gone(con, source_id="xa", urls=[url], run_id=run_id)
    return lifecycle.settle(con, source_id="xa", release_ids={url: release_id("xa", url)},
                            retire_after=3, now=NOW)


def gone_runs(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute("SELECT url, gone_runs, retired_at IS NOT NULL FROM fetch_failures ORDER BY url").fetchall()


def test_gone_counted_once_per_run_then_retired(make_warehouse: MakeWarehouse) -> None:
    warehouse = make_warehouse()
    with warehouse.transaction() as con:
        fail(con, "run1", "http-404")
        fail(con, "run1", "http-404")  # a second backfill chunk of the same run
        assert gone_runs(con) == [(URL, 1, False)]
        fail(con, "run2", "http-500")  # not gone: the count starts again
        assert gone_runs(con) == [(URL, 0, False)]
        for run in ("run3", "run4"):
            assert fail(con, run, "http-410").retired == ()
        settled = fail(con, "run5", "http-404")
        assert settled.retired == (URL,) and gone_runs(con) == [(URL, 3, True)]
        assert store.open_failures(con, "xa") == []  # retired: no longer retried
        lifecycle.count_gone(con, source_id="xa", failures=[], resolved=[URL], run_id="run6")
        assert gone_runs(con) == [(URL, 0, False)]


def test_release_gone_in_two_runs_is_withdrawn_and_kept(make_warehouse: MakeWarehouse) -> None:
    warehouse = make_warehouse()
    release = Release(release_id=release_id("xa", URL), source_id="xa", url=URL, title="T",
                      published_at=NOW, body_text="Body.", language="en", extractor="x")
    with warehouse.transaction() as con:
        upsert_releases(con, [release], run_id="run1", now=NOW)
        assert fail(con, "run2", "http-404").withdrawn == ()
        settled = fail(con, "run3", "http-404")
        assert settled.withdrawn == (release.release_id,) and settled.retired == (URL,)
        rows = con.execute("SELECT withdrawn_at IS NOT NULL, withdrawn_reason, body_text FROM releases").fetchall()
        assert rows == [(True, "http-404 in 2 runs", "Body.")]
