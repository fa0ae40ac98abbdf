"""The reads flows/ asks the warehouse for instead of writing SQL: each against a model of what it
should return, over generated warehouses."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pressroom.connectors.model import Release
from pressroom.warehouse import Warehouse, gate, store
from pressroom.warehouse.releases import publish, recent_texts, save_checks, upsert_releases
from pressroom.warehouse.store import CheckResult, FailureRecord
from tests.warehouse.conftest import MakeWarehouse

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def release(n: int, *, source: str = "xa-mfa", day: int = 0, body: str = "A body.") -> Release:
    return Release(release_id=f"r{n}", source_id=source, url=f"https://x.org/pr/{n}", title=f"Release {n}",
                   published_at=NOW + timedelta(days=day), body_text=f"{body} {n}", language="en",
                   extractor="html/1")


def passed(item: Release, engine: str) -> CheckResult:
    return CheckResult(item.release_id, item.content_hash, engine, (), ())


@settings(max_examples=25, deadline=None)
@given(
    days=st.lists(st.integers(0, 60), min_size=0, max_size=12, unique=True),
    sources=st.data(),
    since=st.integers(-5, 65),
    width=st.integers(0, 70),
    limit=st.integers(1, 12),
)
def test_recent_texts_are_the_newest_of_the_source_in_the_half_open_window(
    days: list[int], sources: st.DataObject, since: int, width: int, limit: int
) -> None:
    items = [release(n, source=sources.draw(st.sampled_from(["xa-mfa", "xb-mea"])), day=day)
             for n, day in enumerate(days)]
    start, end = NOW + timedelta(days=since), NOW + timedelta(days=since + width)
    with tempfile.TemporaryDirectory() as root:
        warehouse = Warehouse(Path(root) / "w.duckdb")
        with warehouse.transaction() as con:
            upsert_releases(con, items, run_id="run", now=NOW)
            got = recent_texts(con, source_id="xa-mfa", since=start, until=end, limit=limit)
    wanted = sorted((r for r in items if r.source_id == "xa-mfa" and r.published_at is not None
                     and start <= r.published_at < end), key=lambda r: r.published_at or NOW, reverse=True)
    assert got == [(r.release_id, r.body_text) for r in wanted[:limit]]


@settings(max_examples=20, deadline=None)
@given(
    count=st.integers(1, 8),
    edited=st.sets(st.integers(0, 7)),
    rechecked=st.sets(st.integers(0, 7)),
)
def test_the_queue_and_the_versions_read_back(count: int, edited: set[int], rechecked: set[int]) -> None:
    """Publish every release, edit some (a new current version; the published one stays), check some of
    the new versions: the queue is exactly the versions no verdict of the engine covers, and every
    version reads back as a release hashing to the hash it is kept under."""
    first = [release(n) for n in range(count)]
    second = [replace(r, body_text=r.body_text + " Edited.") for n, r in enumerate(first) if n in edited]
    checked = [r for r in second if int(r.release_id[1:]) in rechecked]
    with tempfile.TemporaryDirectory() as root:
        warehouse = Warehouse(Path(root) / "w.duckdb")
        with warehouse.transaction() as con:
            upsert_releases(con, first, run_id="run1", now=NOW)
            save_checks(con, [passed(r, "e1") for r in first], run_id="run1", now=NOW)
            publish(con, run_id="run1", now=NOW, engine_version="e1")
            upsert_releases(con, second, run_id="run2", now=NOW)
            save_checks(con, [passed(r, "e1") for r in checked], run_id="run2", now=NOW)
            queue = gate.queued(con, engine_version="e1")
            size = gate.queue_size(con, engine_version="e1")
            everything = gate.versions_of(con, None)
            none_of_other = gate.versions_of(con, ["xb-mea"])
            versions = gate.load_versions(con, everything)
    current = {r.release_id: r for r in first} | {r.release_id: r for r in second}
    all_keys = {(r.release_id, r.content_hash) for r in [*first, *second]}
    assert queue == sorted((r.release_id, r.content_hash) for r in second if r not in checked)
    assert size == len(queue)
    assert set(everything) == all_keys and none_of_other == []
    assert sorted((v.release.release_id, v.content_hash) for v in versions) == sorted(all_keys)
    for version in versions:
        assert version.release.content_hash == version.content_hash
        if version.content_hash == current[version.release.release_id].content_hash:
            assert version.release == current[version.release.release_id]


def test_source_overview_counts_each_source(make_warehouse: MakeWarehouse) -> None:
    warehouse = make_warehouse()
    items = [release(1), release(2), release(3, source="xb-mea")]
    with warehouse.transaction() as con:
        upsert_releases(con, items, run_id="run", now=NOW)
        save_checks(con, [passed(r, "e1") for r in items[:1]], run_id="run", now=NOW)
        publish(con, run_id="run", now=NOW, engine_version="e1")
        store.record_failures(con, [FailureRecord("xa-mfa", "https://x.org/gone", "http-500", 1)], run_id="run",
                              now=NOW)
        for source_id, status in (("xa-mfa", "partial"), ("xb-mea", "ok")):
            store.save_state(con, source_id=source_id, run_id="run", run_at=NOW, status=status, watermark=NOW)
        overview = store.source_overview(con)
    assert overview == {
        "xa-mfa": store.SourceOverview(NOW, "partial", NOW, releases=2, published=1, open_failures=1),
        "xb-mea": store.SourceOverview(NOW, "ok", NOW, releases=1, published=0, open_failures=0),
    }
