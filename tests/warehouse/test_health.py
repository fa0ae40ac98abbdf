"""Source health judged from a warehouse built with the warehouse's own load functions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from pressroom.connectors.model import Release
from pressroom.expectations.findings import Finding
from pressroom.warehouse.health import _SCHEMA, HealthRules, SourceHealth, compute_health, latest_health, save_health
from pressroom.warehouse.releases import publish, save_checks, upsert_releases
from pressroom.warehouse.store import CheckResult, FailureRecord, finish_run, record_failures, start_run
from tests.warehouse.conftest import MakeWarehouse

NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
BODY = "A clean body of a press release that is long enough to count as one for the gate. " * 2


def release(source: str, n: int, published: datetime) -> Release:
    return Release(release_id=f"{source}-{n}", source_id=source, url=f"https://{source}.example/pr/{n}",
                   title=f"Release {n}", published_at=published, body_text=BODY, language="en", extractor="t/1")


def load(con: duckdb.DuckDBPyConnection, releases: list[Release], *, run_id: str,
         held: frozenset[str] | set[str] = frozenset()) -> None:
    upsert_releases(con, releases, run_id=run_id, now=NOW)
    finding = (Finding("duplicated-phrase", "error", 0, 1, "A", "doubled"),)
    save_checks(con, [CheckResult(r.release_id, r.content_hash, "t", finding if r.release_id in held else (), ())
                      for r in releases], run_id=run_id, now=NOW)
    publish(con, run_id=run_id, now=NOW, engine_version="t")


def run(con: duckdb.DuckDBPyConnection, run_id: str, started: datetime, *, flow: str = "nightly",
        **per_source: dict[str, object]) -> None:
    """A finished run whose ``runs.sources`` JSON holds the counts given per source."""
    start_run(con, run_id=run_id, flow=flow, started_at=started)
    entries = [{"source_id": sid, "status": "ok", "until": started.isoformat(), "listed": 0, "new": 0,
                "fetched": 0, "failed": 0, "parse_failed": 0, **counts} for sid, counts in per_source.items()]
    finish_run(con, run_id=run_id, status="completed", finished_at=started + timedelta(minutes=1),
               totals={}, sources=entries)


def daily(source: str, days: int, *, newest: datetime, start: int = 0) -> list[Release]:
    return [release(source, start + i, newest - timedelta(days=i)) for i in range(days)]


#: the health SQL is read-only and one SQL on every backend: on DuckLake, one reading test and the one
#: that writes source_health (tests/warehouse/conftest.py deselects the others there)
LAKE_SAMPLE = {"test_a_source_publishing_on_its_rhythm_is_ok", "test_save_replaces_and_latest_skips_the_current_run"}


@pytest.fixture()
def con(make_warehouse: MakeWarehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    with make_warehouse().connection() as connection:
        yield connection


def history(con: duckdb.DuckDBPyConnection, source: str, runs: int = 3, listed: int = 3, prefix: str = "h") -> None:
    for n in range(runs):
        run(con, f"{prefix}{n}", NOW - timedelta(days=runs - n), **{source: {"listed": listed, "new": 1, "fetched": 1}})


def health(con: duckdb.DuckDBPyConnection, run_id: str, *sources: str, now: datetime = NOW) -> list[SourceHealth]:
    return compute_health(con, run_id=run_id, now=now, source_ids=list(sources))


def test_schema_matches_the_record() -> None:
    assert _SCHEMA.names == [f.name for f in fields(SourceHealth)]


def test_a_source_publishing_on_its_rhythm_is_ok(con: duckdb.DuckDBPyConnection) -> None:
    load(con, daily("a", 20, newest=NOW - timedelta(hours=10)), run_id="h0")
    history(con, "a")
    run(con, "now", NOW, a={"listed": 2, "new": 1, "fetched": 2})
    (h,) = health(con, "now", "a")
    assert (h.status, h.freshness, h.volume, h.reasons) == ("ok", "fresh", "normal", "")
    assert h.typical_gap_days == 1 and h.stale_after_days == 7 and h.history_runs == 3
    assert h.typical_listed == 3 and h.releases == 20 and h.held == 0 and h.held_share == 0
    assert h.extraction_failure_share == 0 and h.days_since_newest == pytest.approx(10 / 24)


def test_stale_against_its_own_rhythm(con: duckdb.DuckDBPyConnection) -> None:
    # A daily source silent for 9 days is stale (> 7); a weekly one silent for 15 days is not (< 21).
    load(con, daily("daily", 30, newest=NOW - timedelta(days=9)), run_id="h0")
    weekly = [release("weekly", i, NOW - timedelta(days=15 + 7 * i)) for i in range(10)]
    load(con, weekly, run_id="h0")
    run(con, "now", NOW, daily={}, weekly={})
    by_id = {h.source_id: h for h in health(con, "now", "daily", "weekly")}
    assert by_id["daily"].status == "stale" and by_id["daily"].freshness == "stale"
    assert "newest release is 9.0 days old" in by_id["daily"].reasons and "stale after 7 days" in by_id["daily"].reasons
    assert by_id["weekly"].freshness == "fresh" and by_id["weekly"].stale_after_days == 21
    assert by_id["weekly"].typical_gap_days == 7


def test_several_releases_a_day_count_as_one_publication_day(con: duckdb.DuckDBPyConnection) -> None:
    same_days = [release("a", i, NOW - timedelta(days=2 * (i // 4), minutes=i)) for i in range(16)]
    load(con, same_days, run_id="h0")
    run(con, "now", NOW, a={})
    (h,) = health(con, "now", "a")
    assert h.typical_gap_days == 2


def test_future_dates_are_ignored_for_freshness(con: duckdb.DuckDBPyConnection) -> None:
    load(con, [*daily("a", 10, newest=NOW - timedelta(days=12)), release("a", 99, NOW + timedelta(days=300))],
         run_id="h0")
    run(con, "now", NOW, a={})
    (h,) = health(con, "now", "a")
    assert h.freshness == "stale" and h.newest_published_at == NOW - timedelta(days=12)


def test_an_empty_listing_where_there_usually_are_entries_is_zero_volume(con: duckdb.DuckDBPyConnection) -> None:
    load(con, daily("a", 10, newest=NOW - timedelta(days=1)), run_id="h0")
    history(con, "a", listed=4)
    run(con, "now", NOW, a={"listed": 0})
    (h,) = health(con, "now", "a")
    assert (h.status, h.volume, h.listed, h.typical_listed) == ("degraded", "zero", 0, 4)
    assert "no entries" in h.reasons


def test_a_quiet_source_listing_nothing_is_normal(con: duckdb.DuckDBPyConnection) -> None:
    load(con, daily("a", 10, newest=NOW - timedelta(days=1)), run_id="h0")
    history(con, "a", listed=0)
    run(con, "now", NOW, a={"listed": 0})
    (h,) = health(con, "now", "a")
    assert (h.status, h.volume) == ("ok", "normal")


def test_volume_needs_history_and_a_nightly_run(con: duckdb.DuckDBPyConnection) -> None:
    load(con, daily("a", 10, newest=NOW - timedelta(days=1)), run_id="h0")
    history(con, "a", runs=2)
    run(con, "now", NOW, a={"listed": 0})
    assert health(con, "now", "a")[0].volume == "unknown"
    history(con, "a", runs=3, prefix="more")
    run(con, "bf", NOW + timedelta(minutes=5), flow="backfill", a={"listed": 0})
    assert health(con, "bf", "a")[0].volume == "unknown"


def test_pages_that_stop_parsing_mean_a_redesign(con: duckdb.DuckDBPyConnection) -> None:
    load(con, daily("a", 10, newest=NOW - timedelta(days=1)), run_id="h0")
    run(con, "now", NOW, a={"status": "partial", "listed": 4, "fetched": 4, "failed": 3, "parse_failed": 3})
    failures = [FailureRecord("a", f"https://a.example/pr/x{i}", "no-body" if i else "empty-body", 1, "parse")
                for i in range(3)]
    record_failures(con, failures, run_id="now", now=NOW)
    (h,) = health(con, "now", "a")
    assert h.status == "broken" and h.extraction_failure_share == 0.75
    assert h.parse_reasons == "no-body×2, empty-body×1"
    assert "3 of 4 fetched page(s) did not parse (no-body×2, empty-body×1)" in h.reasons
    assert h.fetch_failed == 0


def test_some_parse_failures_degrade(con: duckdb.DuckDBPyConnection) -> None:
    load(con, daily("a", 10, newest=NOW - timedelta(days=1)), run_id="h0")
    run(con, "now", NOW, a={"status": "partial", "listed": 5, "fetched": 5, "failed": 1, "parse_failed": 1})
    (h,) = health(con, "now", "a")
    assert h.status == "degraded" and h.extraction_failure_share == 0.2


def test_a_failed_source_is_broken(con: duckdb.DuckDBPyConnection) -> None:
    load(con, daily("a", 10, newest=NOW - timedelta(days=1)), run_id="h0")
    history(con, "a")
    run(con, "now", NOW, a={"status": "failed", "failed": 1})
    (h,) = health(con, "now", "a")
    assert (h.status, h.source_status, h.volume) == ("broken", "failed", "unknown")
    assert "failed in this run" in h.reasons


def test_held_share(con: duckdb.DuckDBPyConnection) -> None:
    items = daily("a", 6, newest=NOW - timedelta(days=1))
    load(con, items, run_id="h0", held={items[0].release_id, items[1].release_id, items[2].release_id})
    run(con, "now", NOW, a={})
    (h,) = health(con, "now", "a")
    assert (h.held, h.releases, h.held_share, h.status) == (3, 6, 0.5, "degraded")
    assert "3 of 6 releases are held" in h.reasons


def test_a_source_without_data_is_unknown(con: duckdb.DuckDBPyConnection) -> None:
    run(con, "now", NOW, a={})
    (h,) = health(con, "now", "a")
    assert (h.status, h.freshness, h.volume, h.releases, h.held_share) == ("unknown", "unknown", "unknown", 0, None)


def test_save_replaces_and_latest_skips_the_current_run(con: duckdb.DuckDBPyConnection) -> None:
    load(con, daily("a", 10, newest=NOW - timedelta(days=1)), run_id="h0")
    run(con, "r1", NOW - timedelta(days=1), a={})
    run(con, "r2", NOW, a={})
    save_health(con, compute_health(con, run_id="r1", now=NOW - timedelta(days=1), source_ids=["a"]))
    second = compute_health(con, run_id="r2", now=NOW, source_ids=["a"])
    save_health(con, second)
    save_health(con, second)
    # The same judgement in r2: r1's row moved to r2 with the new figures (a rerun adds no row).
    assert con.execute("SELECT run_id FROM source_health ORDER BY computed_at").fetchall() == [("r2",)]
    assert latest_health(con, ["a"])["a"] == second[0]
    assert latest_health(con, ["a"], exclude_run="r2") == {}
    changed = replace(second[0], run_id="r3", computed_at=NOW + timedelta(days=9), status="stale", freshness="stale",
                      reasons="a: stale")
    save_health(con, [changed])
    assert con.execute("SELECT run_id, status FROM source_health ORDER BY computed_at").fetchall() == [
        ("r2", "unknown" if second[0].status == "unknown" else second[0].status), ("r3", "stale")
    ]
    assert latest_health(con, ["a"], exclude_run="r3")["a"].run_id == "r2"
    assert second[0].figures()["computed_at"] == NOW.isoformat()


def test_thresholds_are_parameters(con: duckdb.DuckDBPyConnection) -> None:
    load(con, daily("a", 10, newest=NOW - timedelta(days=3)), run_id="h0")
    run(con, "now", NOW, a={})
    assert health(con, "now", "a")[0].freshness == "fresh"
    rules = HealthRules(stale_gap_multiple=1, stale_min_days=2)
    strict = compute_health(con, run_id="now", now=NOW, source_ids=["a"], rules=rules)
    assert strict[0].freshness == "stale"


def test_unknown_run_and_naive_now_are_errors(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ValueError, match="no run"):
        compute_health(con, run_id="nope", now=NOW, source_ids=["a"])
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_health(con, run_id="nope", now=NOW.replace(tzinfo=None), source_ids=["a"])


def test_runs_without_a_parse_failed_count_fall_back_to_the_failures_table(con: duckdb.DuckDBPyConnection) -> None:
    load(con, daily("a", 10, newest=NOW - timedelta(days=1)), run_id="h0")
    run(con, "now", NOW, a={"status": "partial", "listed": 2, "fetched": 2, "failed": 2, "parse_failed": None})
    record_failures(con, [FailureRecord("a", f"https://a.example/x{i}", "no-body", 1, "parse") for i in range(2)],
                    run_id="now", now=NOW)
    (h,) = health(con, "now", "a")
    assert (h.parse_failed, h.extraction_failure_share, h.status) == (2, 1.0, "broken")


def test_a_source_the_run_skipped_is_judged_on_what_is_stored_only(con: duckdb.DuckDBPyConnection) -> None:
    load(con, daily("a", 10, newest=NOW - timedelta(days=1)), run_id="h0")
    history(con, "a")
    run(con, "bf", NOW, flow="backfill", a={"until": None})
    (h,) = health(con, "bf", "a")
    assert (h.source_status, h.volume, h.status) == ("skipped", "unknown", "ok")
