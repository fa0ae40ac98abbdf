"""Upserts, versions, check results and the publish gate, straight against a DuckDB file."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pressroom.connectors.model import Release
from pressroom.expectations.findings import Finding
from pressroom.warehouse import SCHEMA_VERSION, Warehouse, WarehouseError
from pressroom.warehouse import releases as releases_module
from pressroom.warehouse.releases import publish, save_checks, upsert_releases
from pressroom.warehouse.store import CheckResult
from tests.warehouse.conftest import MakeWarehouse

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def release(n: int, body: str = "A clean body of a press release that is long enough to be one. " * 2) -> Release:
    return Release(release_id=f"r{n}", source_id="xa-mfa", url=f"https://x.org/pr/{n}", title=f"Release {n}",
                   published_at=NOW, body_text=body, language="en", extractor="html/1")


def verdict(item: Release, *, error: bool = False) -> CheckResult:
    findings = (Finding("duplicated-phrase", "error", 0, 1, "A", "doubled"),) if error else ()
    return CheckResult(item.release_id, item.content_hash, "test", findings, ())


@pytest.fixture()
def warehouse(make_warehouse: MakeWarehouse) -> Warehouse:
    return make_warehouse()


def test_migrations_recorded(warehouse: Warehouse) -> None:
    assert warehouse.ensure_schema() == SCHEMA_VERSION
    assert warehouse.ensure_schema() == SCHEMA_VERSION
    with warehouse.reader() as con:
        assert con.execute("SELECT count(*) FROM schema_migrations").fetchone() == (SCHEMA_VERSION,)


def test_reader_refuses_missing_file(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="no warehouse"), Warehouse(tmp_path / "none.duckdb").reader():
        pass


def test_upsert_is_idempotent_and_versions_changes(warehouse: Warehouse) -> None:
    batch = [release(1), release(2), release(2)]
    with warehouse.transaction() as con:
        first = upsert_releases(con, batch, run_id="run1", now=NOW)
    assert sorted(first.new) == ["r1", "r2"] and not first.changed
    with warehouse.transaction() as con:
        again = upsert_releases(con, batch, run_id="run2", now=NOW)
    assert sorted(again.unchanged) == ["r1", "r2"] and not again.new
    edited = replace(release(1), body_text="An edited body of the release, long enough to count as one. " * 2)
    with warehouse.transaction() as con:
        third = upsert_releases(con, [edited], run_id="run3", now=NOW)
        assert third.changed == ("r1",)
        assert con.execute("SELECT version, run_id FROM releases WHERE release_id = 'r1'").fetchone() == (2, "run3")
        old = con.execute("SELECT version, body_text FROM release_versions").fetchall()
        assert old == [(1, release(1).body_text)]


def test_a_failed_transaction_leaves_nothing(warehouse: Warehouse) -> None:
    warehouse.ensure_schema()
    with pytest.raises(RuntimeError), warehouse.transaction() as con:
        upsert_releases(con, [release(1)], run_id="run1", now=NOW)
        raise RuntimeError("crash between load and commit")
    with warehouse.reader() as con:
        assert con.execute("SELECT count(*) FROM releases").fetchone() == (0,)


def test_publish_gate(warehouse: Warehouse) -> None:
    good, bad = release(1), release(2)
    with warehouse.transaction() as con:
        upsert_releases(con, [good, bad], run_id="run1", now=NOW)
        save_checks(con, [verdict(good), verdict(bad, error=True)], run_id="run1", now=NOW)
        result = publish(con, run_id="run1", now=NOW, engine_version="test")
    assert result.published == {"r1": "xa-mfa"} and result.held == {"r2": "xa-mfa"}
    with warehouse.transaction() as con:
        # publishing again is a no-op
        assert publish(con, run_id="run2", now=NOW, engine_version="test").published == {}
        # A new version of a published release that fails: the published version stays.
        broken = replace(good, body_text="A new version of the release that fails its checks badly. " * 2)
        upsert_releases(con, [broken], run_id="run3", now=NOW)
        save_checks(con, [verdict(broken, error=True)], run_id="run3", now=NOW)
        result = publish(con, run_id="run3", now=NOW, engine_version="test")
        assert result.published == {} and set(result.held) == {"r1", "r2"}
        row = con.execute("SELECT content_hash, published_run_id FROM published_releases").fetchall()
        assert row == [(good.content_hash, "run1")]
        findings = con.execute(
            "SELECT release_id, check_id, span_start, span_end FROM dq_findings ORDER BY 1"
        ).fetchall()
        assert findings == [("r1", "duplicated-phrase", 0, 1), ("r2", "duplicated-phrase", 0, 1)]


def test_publishing_in_slices_publishes_the_same(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    items = [release(n) for n in range(5)]
    with warehouse.transaction() as con:
        upsert_releases(con, items, run_id="run1", now=NOW)
        save_checks(con, [verdict(r, error=r.release_id == "r3") for r in items], run_id="run1", now=NOW)
    monkeypatch.setattr(releases_module, "PUBLISH_SLICE", 2)
    with warehouse.transaction() as con:
        result = publish(con, run_id="run1", now=NOW, engine_version="test")
        rows = con.execute(
            "SELECT release_id, body_text, published_run_id FROM published_releases ORDER BY 1").fetchall()
    assert result.published == {f"r{n}": "xa-mfa" for n in (0, 1, 2, 4)} and result.held == {"r3": "xa-mfa"}
    assert rows == [(r.release_id, r.body_text, "run1") for r in items if r.release_id != "r3"]


def test_duckdb_memory_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Warehouse(tmp_path / "a.duckdb").transaction() as con:
        assert con.execute("SELECT current_setting('memory_limit')").fetchone() == ("244.1 MiB",)
    monkeypatch.setenv("PRESSROOM_DUCKDB_MEMORY_LIMIT", "1GB")
    with Warehouse(tmp_path / "b.duckdb").transaction() as con:
        assert con.execute("SELECT current_setting('memory_limit')").fetchone() == ("953.6 MiB",)
    with Warehouse(tmp_path / "c.duckdb", memory_limit="100MB").transaction() as con:
        assert con.execute("SELECT current_setting('memory_limit')").fetchone() == ("95.3 MiB",)


def test_duckdb_runs_one_thread_and_returns_freed_memory(tmp_path: Path) -> None:
    with Warehouse(tmp_path / "a.duckdb").transaction() as con:
        assert con.execute("SELECT current_setting('threads'), current_setting('allocator_flush_threshold')"
                           ).fetchone() == (1, "15.2 MiB")
