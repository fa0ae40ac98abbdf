"""Reviewed versions and their provenance, straight against a DuckDB file (warehouse/review.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pressroom.connectors.model import Release
from pressroom.expectations.findings import Finding
from pressroom.warehouse import Warehouse
from pressroom.warehouse import review as review_module
from pressroom.warehouse.exports import export_published
from pressroom.warehouse.gate import violations
from pressroom.warehouse.releases import publish, save_checks, upsert_releases
from pressroom.warehouse.review import Applied, ReviewConflict, ReviewError, current, history, queue, save_version
from pressroom.warehouse.store import CheckResult
from tests.warehouse.conftest import MakeWarehouse

NOW = datetime(2026, 11, 1, tzinfo=UTC)
BROKEN = "The Ministry calls for calm calm in the region. It urges all parties to talk. " * 2
FIXED = BROKEN.replace("calm calm", "calm")


def ministry(body: str = BROKEN) -> Release:
    return Release(release_id="r1", source_id="xa-mfa", url="https://x.org/pr/1", title="Statement",
                   published_at=NOW, body_text=body, language="en", extractor="html/1")


def verdict(release_id: str, content_hash: str, *, error: bool) -> CheckResult:
    findings = (Finding("duplicated-phrase", "error", 29, 34, "calm", "doubled"),) if error else ()
    return CheckResult(release_id, content_hash, "test", findings, ())


@pytest.fixture()
def warehouse(make_warehouse: MakeWarehouse) -> Warehouse:
    warehouse = make_warehouse()
    with warehouse.transaction() as con:
        upsert_releases(con, [ministry()], run_id="run1", now=NOW)
        save_checks(con, [verdict("r1", ministry().content_hash, error=True)], run_id="run1", now=NOW)
        assert publish(con, run_id="run1", now=NOW, engine_version="test").held == {"r1": "xa-mfa"}
    return warehouse


def save(con: duckdb.DuckDBPyConnection, parent: str, body: str = FIXED, **extra: object) -> review_module.Saved:
    params: dict[str, object] = {
        "release_id": "r1", "parent_hash": parent, "title": "Statement", "body_text": body, "kind": "repair",
        "applied": [Applied("duplicated-phrase", "body", 28, 33, " calm", "")], "diff": "-calm calm\n+calm\n",
        "by": "ana", "reason": "doubled word", "now": NOW + timedelta(hours=1), "run_id": "review-1",
    }
    params.update(extra)
    return save_version(con, **params)  # type: ignore[arg-type]


def test_a_review_is_a_new_version_and_the_ministry_text_is_kept(warehouse: Warehouse) -> None:
    parent = ministry().content_hash
    with warehouse.transaction() as con:
        saved = save(con, parent)
    assert (saved.version, saved.parent_version, saved.parent_hash) == (2, 1, parent)
    assert saved.content_hash == ministry(FIXED).content_hash
    with warehouse.reader() as con:
        now = current(con, "r1")
        assert now is not None and now.origin == "review" and now.upstream_hash == parent and not now.checked
        assert con.execute("SELECT version, body_text FROM release_versions").fetchall() == [(1, BROKEN)]
        row = con.execute("SELECT parent_version, upstream_hash, kind, reviewed_by, reason, applied::VARCHAR"
                          " FROM release_reviews").fetchone()
        assert row[:5] == (1, parent, "repair", "ana", "doubled word") and '"check": "duplicated-phrase"' in row[5]
        assert [e.kind for e in history(con, "r1")] == ["version", "review"]
        assert violations(con) == []


def test_the_reviewed_version_goes_through_the_same_gate_and_is_exported_as_repaired(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    with warehouse.transaction() as con:
        saved = save(con, ministry().content_hash)
        # Not checked yet: the gate publishes nothing of it.
        assert publish(con, run_id="p1", now=NOW, engine_version="test").published == {}
        save_checks(con, [verdict("r1", saved.content_hash, error=False)], run_id="p2", now=NOW)
        assert publish(con, run_id="p2", now=NOW, engine_version="test").published == {"r1": "xa-mfa"}
        export_published(con, tmp_path / "out", run_id="p2")
        assert violations(con, engine_version="test") == []
    exported = duckdb.sql(f"SELECT body_text, version, repaired, parent_version, parent_hash FROM read_parquet("
                          f"'{tmp_path}/out/source=*/date=*/part-0.parquet')").fetchall()
    assert exported == [(FIXED, 2, True, 1, ministry().content_hash)]


def test_a_second_save_of_the_same_version_is_a_conflict_and_writes_nothing(warehouse: Warehouse) -> None:
    parent = ministry().content_hash
    with warehouse.transaction() as con:
        save(con, parent)
    with pytest.raises(ReviewConflict, match="changed since it was read") as raised, warehouse.transaction() as con:
        save(con, parent, body=BROKEN.replace("calm calm", "peace"), by="bo")
    assert raised.value.current_version == 2
    with warehouse.reader() as con:
        assert con.execute("SELECT count(*) FROM release_reviews").fetchone() == (1,)
        assert con.execute("SELECT body_text FROM releases").fetchone() == (FIXED,)


@pytest.mark.parametrize("fail_at", ["INSERT INTO release_versions", "UPDATE releases", "INSERT INTO release_reviews"])
def test_a_crash_half_way_through_a_save_leaves_no_half_version(
    warehouse: Warehouse, fail_at: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Crash(BaseException):
        pass

    class Dying:
        """A connection that dies on the statement named by ``fail_at``, as a kill there would."""

        def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
            self.con = con

        def execute(self, sql: str, *args: object) -> object:
            if fail_at in sql:
                raise Crash
            return self.con.execute(sql, *args)

    before = _tables(warehouse)
    with pytest.raises(Crash), warehouse.transaction() as con:
        save(Dying(con), ministry().content_hash)  # type: ignore[arg-type]
    assert _tables(warehouse) == before


def _tables(warehouse: Warehouse) -> dict[str, list[tuple[object, ...]]]:
    with warehouse.reader() as con:
        return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
                for t in ("releases", "release_versions", "release_reviews", "dq_runs", "published_releases")}


def test_bad_saves_are_refused(warehouse: Warehouse) -> None:
    parent = ministry().content_hash
    with warehouse.transaction() as con:
        with pytest.raises(ReviewError, match="reason"):
            save(con, parent, reason="  ")
        with pytest.raises(ReviewError, match="name"):
            save(con, parent, by="")
        with pytest.raises(ReviewError, match="unchanged"):
            save(con, parent, body=BROKEN)
        with pytest.raises(ReviewError, match="no release"):
            save(con, parent, release_id="nope")


def test_the_same_ministry_text_again_keeps_the_review_and_a_changed_one_makes_it_stale(warehouse: Warehouse) -> None:
    with warehouse.transaction() as con:
        saved = save(con, ministry().content_hash)
    with warehouse.transaction() as con:  # the next run fetches the same ministry page
        again = upsert_releases(con, [ministry()], run_id="run2", now=NOW + timedelta(days=1))
    assert again.unchanged == ("r1",)
    with warehouse.reader() as con:
        now = current(con, "r1")
        assert now is not None and now.content_hash == saved.content_hash and now.stale_review is None
    upstream = ministry(BROKEN.replace("It urges", "It calls on"))
    with warehouse.transaction() as con:  # the ministry edits its page
        changed = upsert_releases(con, [upstream], run_id="run3", now=NOW + timedelta(days=2))
    assert changed.changed == ("r1",)
    with warehouse.reader() as con:
        now = current(con, "r1")
        assert now is not None and now.content_hash == upstream.content_hash and now.origin == "source"
        assert now.version == 3 and not now.checked  # judged afresh
        assert now.stale_review is not None and now.stale_review.version == 2 and now.stale_review.superseded_by == 3
        kept = con.execute("SELECT version, body_text FROM release_versions ORDER BY version").fetchall()
        assert kept == [(1, BROKEN), (2, FIXED)]
        assert violations(con) == []


def test_queue_filters_and_counts(warehouse: Warehouse) -> None:
    other = replace(ministry(), release_id="r2", source_id="xb-mea", url="https://y.org/2")
    with warehouse.transaction() as con:
        upsert_releases(con, [other], run_id="run2", now=NOW)
        save_checks(con, [verdict("r2", other.content_hash, error=True)], run_id="run2", now=NOW)
    with warehouse.reader() as con:
        everything = queue(con)
        assert [i.release_id for i in everything.items] == ["r1", "r2"]
        assert everything.by_source == {"xa-mfa": 1, "xb-mea": 1}
        assert everything.by_check == {"duplicated-phrase": 2}
        one = queue(con, source_id="xb-mea")
        assert [i.release_id for i in one.items] == ["r2"] and one.by_source == {"xa-mfa": 1, "xb-mea": 1}
        assert queue(con, check_id="mojibake").items == []
        assert queue(con, since=NOW + timedelta(days=1)).items == []
        assert len(queue(con, since=NOW, until=NOW + timedelta(days=1)).items) == 2
