"""The session's PostgreSQL (tests/pgcluster.py): each test gets its own, empty database."""

from __future__ import annotations

from tests.pgcluster import PgCluster


def test_each_database_is_new_and_separate(pg_cluster: PgCluster) -> None:
    first, second = pg_cluster.new_database(), pg_cluster.new_database()
    assert first != second
    name = first.split()[0].removeprefix("dbname=")
    pg_cluster.sql("CREATE TABLE marker (x int); INSERT INTO marker VALUES (1)", dbname=name)
    assert pg_cluster.sql("SELECT count(*) FROM marker", dbname=name).strip() == "1"
    other = second.split()[0].removeprefix("dbname=")
    assert pg_cluster.sql("SELECT count(*) FROM pg_tables WHERE tablename = 'marker'", dbname=other).strip() == "0"
