"""The publish gate as an invariant the warehouse can assert.

At every commit point (after any transaction of any command, including one killed half-way):

1. Every published release version (``published_releases``: release id + content hash) is a version
   that was loaded (the current one in ``releases`` or one kept in ``release_versions``), has a check
   verdict (``dq_runs``) for exactly that content hash, and has no blocking item left unwaived: no
   ``error`` finding of that version and no failed record expectation without an active waiver.
2. Every verdict of a current or published version agrees with its findings: ``dq_runs.errors`` is
   the number of ``error`` findings stored for that version, so the gate cannot pass a version whose
   findings were lost.
3. Every version a review made (``release_reviews``) is kept, and so are the version it was made from
   and the ministry's version underneath it: a review never loses the ministry's text.

After a run of any kind has finished (the queue drained), and with ``engine_version`` given:

4. Nothing is queued: every current version and every published version was checked by that engine.

A loaded version with no verdict by the current engine is *queued* (:data:`QUEUE_SQL`); every run
checks the queue before it publishes, so a version loaded by a run that was killed before its check is
checked and gated by the next run of any kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import duckdb

from pressroom.connectors.model import Release

#: Blocking items of every checked version: error findings and failed record expectations, each with
#: whether an active waiver covers it.
BLOCKING_SQL = """
    SELECT d.release_id, d.content_hash, b.check_id,
           EXISTS (SELECT 1 FROM waivers w
                   WHERE w.release_id = d.release_id AND w.check_id = b.check_id
                     AND w.content_hash = d.content_hash {active}) AS waived
    FROM dq_runs d,
         LATERAL (SELECT f.check_id FROM dq_findings f
                  WHERE f.release_id = d.release_id AND f.content_hash = d.content_hash
                    AND f.severity = 'error'
                  UNION
                  SELECT unnest(d.record_failures)) b(check_id)
"""

#: One row per violation of rules 1 and 2: ``(rule, release_id, content_hash, detail)``.
INVARIANT_SQL = """
    WITH blocking AS ({blocking}),
    loaded AS (
        SELECT release_id, content_hash FROM releases
        UNION SELECT release_id, content_hash FROM release_versions
    )
    SELECT 'published-version-not-loaded', p.release_id, p.content_hash, ''
    FROM published_releases p ANTI JOIN loaded l USING (release_id, content_hash)
    UNION ALL
    SELECT 'published-unchecked', p.release_id, p.content_hash, ''
    FROM published_releases p ANTI JOIN dq_runs d USING (release_id, content_hash)
    UNION ALL
    SELECT 'published-with-unwaived-blocker', p.release_id, p.content_hash, b.check_id
    FROM published_releases p JOIN blocking b USING (release_id, content_hash)
    WHERE NOT b.waived
    UNION ALL
    SELECT 'verdict-disagrees-with-findings', release_id, content_hash,
           errors::VARCHAR || ' errors recorded, ' || stored::VARCHAR || ' stored'
    FROM (
        SELECT d.release_id, d.content_hash, any_value(d.errors) AS errors, count(f.check_id) AS stored
        FROM dq_runs d SEMI JOIN (SELECT release_id, content_hash FROM releases
                                  UNION SELECT release_id, content_hash FROM published_releases) v
               USING (release_id, content_hash)
        LEFT JOIN dq_findings f
          ON f.release_id = d.release_id AND f.content_hash = d.content_hash AND f.severity = 'error'
        GROUP BY d.release_id, d.content_hash
    ) WHERE errors <> stored
"""

#: One row per violation of rule 3: ``(rule, release_id, content_hash, detail)``.
REVIEW_INVARIANT_SQL = """
    WITH loaded AS (
        SELECT release_id, content_hash FROM releases
        UNION SELECT release_id, content_hash FROM release_versions
    )
    SELECT 'reviewed-version-not-kept', v.release_id, v.content_hash, 'version ' || v.version::VARCHAR
    FROM release_reviews v ANTI JOIN loaded l USING (release_id, content_hash)
    UNION ALL
    SELECT 'review-parent-not-kept', v.release_id, v.parent_hash, 'parent of version ' || v.version::VARCHAR
    FROM release_reviews v ANTI JOIN loaded l ON l.release_id = v.release_id AND l.content_hash = v.parent_hash
    UNION ALL
    SELECT 'ministry-text-not-kept', v.release_id, v.upstream_hash, 'under version ' || v.version::VARCHAR
    FROM release_reviews v ANTI JOIN loaded l ON l.release_id = v.release_id AND l.content_hash = v.upstream_hash
"""

#: Loaded versions that still need a check by engine ``$engine``: the current version of every release
#: and every published version (which may be an older one, kept while a newer version is held).
QUEUE_SQL = """
    SELECT release_id, content_hash FROM (
        SELECT release_id, content_hash FROM releases
        UNION SELECT release_id, content_hash FROM published_releases
    ) v
    WHERE NOT EXISTS (SELECT 1 FROM dq_runs d WHERE d.release_id = v.release_id
                      AND d.content_hash = v.content_hash AND d.engine_version = $engine)
"""


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    release_id: str
    content_hash: str
    detail: str

    def __str__(self) -> str:
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.rule}: {self.release_id} version {self.content_hash[:12]}{detail}"


def _has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = ? AND column_name = ?", [table, column]
    ).fetchone()
    return bool(row and row[0])


def _has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]).fetchone()
    return bool(row and row[0])


def blocking_sql(con: duckdb.DuckDBPyConnection) -> str:
    active = "AND w.withdrawn_at IS NULL" if _has_column(con, "waivers", "withdrawn_at") else ""
    return BLOCKING_SQL.format(active=active)


def violations(con: duckdb.DuckDBPyConnection, *, engine_version: str | None = None) -> list[Violation]:
    """Every violation of the gate's invariant (rules 1–3; rule 4 too when ``engine_version`` is given),
    in a stable order. An empty list means the gate holds."""
    found = [
        Violation(*row)
        for row in con.execute(INVARIANT_SQL.format(blocking=blocking_sql(con))).fetchall()
    ]
    if _has_table(con, "release_reviews"):
        found += [Violation(*row) for row in con.execute(REVIEW_INVARIANT_SQL).fetchall()]
    if engine_version is not None:
        found += [
            Violation("queued-after-run", row[0], row[1], f"not checked by engine {engine_version}")
            for row in con.execute(QUEUE_SQL, {"engine": engine_version}).fetchall()
        ]
    return sorted(found, key=lambda v: (v.rule, v.release_id, v.content_hash, v.detail))


class VersionKey(NamedTuple):
    """One version of a release: its id and the hash of its content."""

    release_id: str
    content_hash: str


def queued(con: duckdb.DuckDBPyConnection, *, engine_version: str) -> list[VersionKey]:
    """The versions :data:`QUEUE_SQL` holds for ``engine_version``, in order."""
    rows = con.execute(f"{QUEUE_SQL} ORDER BY 1, 2", {"engine": engine_version}).fetchall()
    return [VersionKey(*row) for row in rows]


def queue_size(con: duckdb.DuckDBPyConnection, *, engine_version: str) -> int:
    row = con.execute(f"SELECT count(*) FROM ({QUEUE_SQL})", {"engine": engine_version}).fetchone()
    return int(row[0]) if row else 0


def versions_of(con: duckdb.DuckDBPyConnection, source_ids: Sequence[str] | None) -> list[VersionKey]:
    """The current and the published version of every release of ``source_ids`` (all sources when
    ``None``), checked or not: what ``recheck --all`` checks again."""
    rows = con.execute(
        """SELECT release_id, content_hash FROM releases WHERE $all OR source_id IN (SELECT unnest($ids))
           UNION SELECT release_id, content_hash FROM published_releases
           WHERE $all OR source_id IN (SELECT unnest($ids))""",
        {"all": source_ids is None, "ids": list(source_ids or [])},
    ).fetchall()
    return [VersionKey(*row) for row in rows]


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """A version read back to be checked: the release as stored and the hash its verdict is kept under."""

    release: Release
    content_hash: str


_VERSIONS = """
    WITH wanted AS (SELECT unnest($ids::VARCHAR[]) AS release_id, unnest($hashes::VARCHAR[]) AS content_hash)
    SELECT r.release_id, r.source_id, r.url, r.title, r.published_at, r.body_text, r.language, r.extractor,
           r.byline, r.content_hash
    FROM releases r SEMI JOIN wanted USING (release_id, content_hash)
    UNION ALL
    SELECT p.release_id, p.source_id, p.url, p.title, p.published_at, p.body_text, p.language, '', NULL,
           p.content_hash
    FROM published_releases p SEMI JOIN wanted USING (release_id, content_hash)
    ANTI JOIN releases r USING (release_id, content_hash)
"""


def load_versions(con: duckdb.DuckDBPyConnection, keys: Sequence[VersionKey]) -> list[StoredVersion]:
    """The versions named by ``keys``: the current one from ``releases``, an older published one from
    ``published_releases``. A release may come twice (its current and its published version)."""
    rows = con.execute(_VERSIONS, {"ids": [k[0] for k in keys], "hashes": [k[1] for k in keys]}).fetchall()
    return [
        StoredVersion(Release(release_id=row[0], source_id=row[1], url=row[2], title=row[3] or "",
                              published_at=row[4], body_text=row[5] or "", language=row[6] or "en",
                              extractor=row[7] or "", byline=row[8]), row[9])
        for row in rows
    ]
