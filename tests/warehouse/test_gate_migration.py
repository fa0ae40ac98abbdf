"""Migration 0007: versions hashed in a source's zone get the one, zone-free hash everywhere, and the
gate's invariant holds afterwards on a warehouse that the old `recheck` had broken."""

from __future__ import annotations

import hashlib
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from pressroom.connectors.model import Release
from pressroom.warehouse import Warehouse
from pressroom.warehouse.db import migrations
from pressroom.warehouse.gate import violations

KARACHI = timezone(timedelta(hours=5))


def old_hash(release: Release) -> str:
    """The content hash before 0007: the date as read, in whatever zone it was read."""
    stamp = release.published_at.isoformat() if release.published_at else ""
    return hashlib.sha256("\x1f".join((release.title, stamp, release.body_text)).encode("utf-8")).hexdigest()


def warehouse_at_version_6(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
                    " applied_at TIMESTAMPTZ NOT NULL)")
        for version, name, sql in migrations():
            if version <= 6:
                con.execute(sql)
                con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, name])


def release(n: int, *, zone: timezone = KARACHI, micro: int = 0, body: str = "Text.") -> Release:
    published = datetime(2026, 11, 3, 10, 0, n, micro, tzinfo=zone)
    return Release(release_id=f"r{n}", source_id="xk", url=f"https://example.org/{n}", title=f"Title {n}",
                   published_at=published, body_text=body, language="en", extractor="t")


def insert_loaded(con: duckdb.DuckDBPyConnection, item: Release, content_hash: str) -> None:
    con.execute(
        "INSERT INTO releases (release_id, source_id, url, title, published_at, body_text, language, content_hash,"
        " first_seen_at, last_seen_at, run_id, version) VALUES (?, 'xk', ?, ?, ?, ?, 'en', ?, now(), now(), 'r', 1)",
        [item.release_id, item.url, item.title, item.published_at, item.body_text, content_hash],
    )


@settings(max_examples=15, deadline=None)
@given(
    offset=st.integers(-14 * 60, 14 * 60),
    micro=st.one_of(st.just(0), st.integers(0, 999_999)),
    body=st.text(max_size=40),
    seconds=st.integers(0, 59),
)
def test_the_migration_computes_the_hash_python_computes(offset: int, micro: int, body: str, seconds: int) -> None:
    path = Path(tempfile.mkdtemp()) / "w.duckdb"
    warehouse_at_version_6(path)
    item = release(seconds, zone=timezone(timedelta(minutes=offset)), micro=micro, body=body)
    with duckdb.connect(str(path)) as con:
        insert_loaded(con, item, old_hash(item))
    Warehouse(path).ensure_schema()
    with duckdb.connect(str(path)) as con:
        assert con.execute("SELECT content_hash FROM releases").fetchone() == (item.content_hash,)
    # The hash no longer depends on the zone the date was read in.
    assert item.content_hash == Release(**{**_fields(item), "published_at": item.published_at.astimezone(UTC)}
                                        ).content_hash


def _fields(item: Release) -> dict[str, object]:
    return {name: getattr(item, name) for name in Release.__slots__}  # type: ignore[attr-defined]


def test_a_warehouse_broken_by_the_old_recheck_is_mended(tmp_path: Path) -> None:
    """What the old code left: findings of the current version stored under the UTC hash (so the gate saw
    none), the release published with its error, and a waiver on the zone hash. After 0007 the findings,
    verdicts, waivers and publications are keyed alike, and the next publish retracts the leak."""
    path = tmp_path / "w.duckdb"
    warehouse_at_version_6(path)
    held, waived = release(1), release(2)
    with duckdb.connect(str(path)) as con:
        for item in (held, waived):
            zone_hash, utc_hash = old_hash(item), item.content_hash
            assert zone_hash != utc_hash
            insert_loaded(con, item, zone_hash)
            # the load-time check, then the old recheck's (stored under the UTC hash, findings moved to it)
            con.execute("INSERT INTO dq_runs VALUES (?, ?, '3', now(), 'r1', 1, 0, 0, [], false)",
                        [item.release_id, zone_hash])
            con.execute("INSERT INTO dq_runs VALUES (?, ?, '3', now(), 'r2', 1, 0, 0, [], false)",
                        [item.release_id, utc_hash])
            con.execute("INSERT INTO dq_findings VALUES (?, 'duplicated-phrase', 'error', 'body', 0, 4, 'Text',"
                        " 'm', 'r2', ?)", [item.release_id, utc_hash])
            con.execute("INSERT INTO published_releases VALUES (?, 'xk', ?, ?, ?, ?, 'en', ?, 1, 'r2', now(), [])",
                        [item.release_id, item.url, item.title, item.published_at, item.body_text, zone_hash])
        con.execute("INSERT INTO waivers VALUES (?, 'duplicated-phrase', ?, 'in the original', 'desk', now())",
                    [waived.release_id, old_hash(waived)])
    Warehouse(path).ensure_schema()
    with duckdb.connect(str(path)) as con:
        for table in ("releases", "published_releases", "dq_runs", "dq_findings", "waivers"):
            hashes = {row[0] for row in con.execute(f"SELECT DISTINCT content_hash FROM {table}").fetchall()}
            assert hashes <= {held.content_hash, waived.content_hash}, table
        assert con.execute("SELECT count(*) FROM dq_runs").fetchone() == (2,)
        assert con.execute("SELECT waived_by, withdrawn_at FROM waivers").fetchall() == [("desk", None)]
        found = violations(con)
        assert [(v.rule, v.release_id) for v in found] == [("published-with-unwaived-blocker", "r1")]
        from pressroom.warehouse.releases import publish

        con.execute("BEGIN")
        result = publish(con, run_id="r3", now=datetime.now(UTC), engine_version="3")
        con.execute("COMMIT")
        assert result.published == {} and result.held == {"r1": "xk"}
        assert violations(con) == []
        assert con.execute("SELECT release_id, reason, detail FROM retractions").fetchall() == [
            ("r1", "blocked", "duplicated-phrase")
        ]
        assert con.execute("SELECT release_id FROM published_releases").fetchall() == [("r2",)]
