"""The publish gate end to end: held releases are not exported, waivers publish them, publishing is
atomic and idempotent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from pressroom.expectations import ENGINE_VERSION
from pressroom.warehouse import Warehouse
from pressroom.warehouse import releases as gate
from tests.flows.conftest import DemoRun
from tests.flows.helpers import cli, rows, table_counts

pytestmark = [pytest.mark.slow]


def exported_ids(data_dir: Path) -> set[str]:
    files = sorted((data_dir / "published").glob("source=*/date=*/part-0.parquet"))
    with duckdb.connect() as con:
        found = con.execute("SELECT release_id FROM read_parquet(?)", [[str(f) for f in files]]).fetchall()
    return {row[0] for row in found}


def held_ids(run: DemoRun) -> dict[str, list[str]]:
    code, output = cli(*run.args(), "held", "--json")
    assert code == 0, output
    return {item["release_id"]: item["checks"] for item in map(json.loads, output.splitlines())}


def test_held_releases_are_not_exported(demo_copy: DemoRun) -> None:
    held = held_ids(demo_copy)
    assert len(held) == 8
    published = {row[0] for row in rows(demo_copy.warehouse, "SELECT release_id FROM published_releases")}
    assert exported_ids(demo_copy.data_dir) == published
    assert not published & set(held)
    jsonl = list((demo_copy.data_dir / "published" / "runs").glob("*.jsonl"))
    assert len(jsonl) == 1 and len(jsonl[0].read_text(encoding="utf-8").splitlines()) == len(published)


def test_waiver_publishes_with_the_waiver_recorded(demo_copy: DemoRun) -> None:
    held = held_ids(demo_copy)
    release_id, checks = next((rid, c) for rid, c in held.items() if len(c) == 1)
    code, output = cli(*demo_copy.args(), "waive", release_id, "--check", "not-a-check", "--reason", "x")
    assert code == 2 and "does not block" in output
    code, output = cli(*demo_copy.args(), "waive", release_id, "--check", checks[0],
                       "--reason", "The repetition is in the ministry's original.", "--by", "desk-editor")
    assert code == 0, output
    assert release_id not in held_ids(demo_copy)  # no longer blocked …
    published = "SELECT count(*) FROM published_releases WHERE release_id = ?"
    assert rows(demo_copy.warehouse, published, release_id) == [(0,)]  # … but only `publish` publishes
    before = table_counts(demo_copy.warehouse)
    code, output = cli(*demo_copy.args(), "publish")
    assert code == 0 and "published 1 release(s); 7 held" in output
    assert release_id not in held_ids(demo_copy)
    assert release_id in exported_ids(demo_copy.data_dir)
    waiver = rows(demo_copy.warehouse, "SELECT check_id, reason, waived_by FROM waivers")
    assert waiver == [(checks[0], "The repetition is in the ministry's original.", "desk-editor")]
    recorded = rows(demo_copy.warehouse, "SELECT waived_checks FROM published_releases WHERE release_id = ?",
                    release_id)
    assert recorded == [(checks,)]
    after = table_counts(demo_copy.warehouse)
    assert after["published_releases"] == before["published_releases"] + 1

    # Publishing again changes nothing and writes no export file.
    stamps = {p: p.stat().st_mtime_ns for p in (demo_copy.data_dir / "published").rglob("*")}
    code, output = cli(*demo_copy.args(), "publish")
    assert code == 0 and "published 0 release(s); 7 held" in output
    assert {p: p.stat().st_mtime_ns for p in (demo_copy.data_dir / "published").rglob("*")} == stamps
    assert rows(demo_copy.warehouse, "SELECT count(*) FROM published_releases") == [
        (after["published_releases"],)
    ]


def test_crash_between_stage_and_publish_leaves_nothing_half_published(demo_copy: DemoRun) -> None:
    held = held_ids(demo_copy)
    warehouse = Warehouse(demo_copy.warehouse)
    with warehouse.transaction() as con:
        for release_id, checks in held.items():
            for check in checks:
                gate.waive(con, release_id=release_id, check_id=check, reason="test", by="t", now=datetime.now(UTC))
    before = rows(demo_copy.warehouse, "SELECT * FROM published_releases ORDER BY release_id")

    class Crash(RuntimeError):
        pass

    with pytest.raises(Crash), warehouse.transaction() as con:
        gate.publish(_CrashAfterInsert(con, Crash), run_id="crash", now=datetime.now(UTC),  # type: ignore[arg-type]
                     engine_version=ENGINE_VERSION)
    assert rows(demo_copy.warehouse, "SELECT * FROM published_releases ORDER BY release_id") == before
    code, output = cli(*demo_copy.args(), "publish")
    assert code == 0 and "published 8 release(s); 0 held" in output


class _CrashAfterInsert:
    """A connection that dies right after the publishing MERGE has run, before the transaction ends."""

    def __init__(self, con: duckdb.DuckDBPyConnection, error: type[Exception]) -> None:
        self._con = con
        self._error = error

    def execute(self, sql: str, *args: object) -> duckdb.DuckDBPyConnection:
        result = self._con.execute(sql, *args)
        if "MERGE INTO published_releases" in sql:
            assert result.fetchall()  # rows were staged inside the transaction …
            raise self._error("power cut")  # … and the process dies before commit
        return result


def test_waivers_are_history_and_unwaive_retracts(demo_copy: DemoRun, monkeypatch: pytest.MonkeyPatch) -> None:
    held = held_ids(demo_copy)
    release_id, checks = next((rid, c) for rid, c in held.items() if len(c) == 1)
    for reason, by in (("first look", "ann"), ("second look", "bob")):
        code, output = cli(*demo_copy.args(), "waive", release_id, "--check", checks[0], "--reason", reason,
                           "--by", by)
        assert code == 0, output
    history = "SELECT reason, waived_by, withdrawn_by, withdrawn_reason FROM waivers ORDER BY waived_at"
    assert rows(demo_copy.warehouse, history) == [("first look", "ann", None, None),
                                                  ("second look", "bob", None, None)]
    code, output = cli(*demo_copy.args(), "publish")
    assert code == 0 and "published 1 release(s); 7 held" in output
    assert release_id in exported_ids(demo_copy.data_dir)

    code, output = cli(*demo_copy.args(), "unwaive", release_id, "--check", checks[0], "--reason", "",
                       "--by", "cy")
    assert code == 2 and "needs a reason" in output
    code, output = cli(*demo_copy.args(), "unwaive", release_id, "--check", checks[0],
                       "--reason", "the ministry corrected it", "--by", "cy")
    assert code == 0 and "withdrew 2 waiver(s)" in output and "retracted" in output, output
    # The publication that relied on the waivers is gone at once; both waivers stay, withdrawn.
    assert rows(demo_copy.warehouse, "SELECT count(*) FROM published_releases WHERE release_id = ?",
                release_id) == [(0,)]
    assert rows(demo_copy.warehouse, history) == [("first look", "ann", "cy", "the ministry corrected it"),
                                                  ("second look", "bob", "cy", "the ministry corrected it")]
    assert rows(demo_copy.warehouse, "SELECT release_id, reason FROM retractions") == [(release_id, "blocked")]
    assert release_id in held_ids(demo_copy)
    code, output = cli(*demo_copy.args(), "unwaive", release_id, "--check", checks[0], "--reason", "again")
    assert code == 2 and "no active waiver" in output
    code, output = cli(*demo_copy.args(), "publish")  # the exports follow
    assert code == 0 and "published 0 release(s); 8 held" in output
    assert release_id not in exported_ids(demo_copy.data_dir)

    # No --by and no user in the environment: recorded as 'unknown', and the output says so.
    for variable in ("USER", "USERNAME", "LOGNAME"):
        monkeypatch.delenv(variable, raising=False)
    code, output = cli(*demo_copy.args(), "waive", release_id, "--check", checks[0], "--reason", "third look")
    assert code == 0 and "recorded as 'unknown'" in output, output
    code, output = cli(*demo_copy.args(), "doctor", "--timeout", "0.1")
    assert "publish gate" in output and "holds" in output, output
