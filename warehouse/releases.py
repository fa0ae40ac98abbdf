"""Idempotent upsert of releases, check results and the publish gate.

- :func:`upsert_releases` merges a batch on ``release_id``: new ids are inserted, a changed
  ``content_hash`` moves the old text to ``release_versions`` and bumps ``version``, an unchanged
  release only has ``last_seen_at`` moved. Loading the same batch twice changes no count. A release
  whose current version a person made (``release_reviews``) is compared by the ministry's version
  underneath it: the same ministry text again leaves the review current, a changed one supersedes it.
  On DuckLake (no keys), a batch with new releases updates ``write_guards`` so that two processes
  inserting the same release at once conflict at commit and the loser runs again (``Warehouse.write``).
- :func:`save_checks` replaces the findings of the releases it is given.
- :func:`publish` copies into ``published_releases`` every release whose current version passed and
  is not already published as it is. A new version that fails leaves the published version in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import duckdb
import pyarrow as pa

from pressroom.connectors.model import Release
from pressroom.warehouse.store import UTC_TS, CheckResult

#: The ministry's version under a release's current version ``r``: its own hash, or, when a review made
#: it, the upstream hash that review recorded. What a fetched text is compared with.
UPSTREAM_HASH = ("coalesce((SELECT v.upstream_hash FROM release_reviews v"
                 " WHERE v.release_id = r.release_id AND v.version = r.version), r.content_hash)")


@dataclass(frozen=True, slots=True)
class UpsertResult:
    new: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: tuple[str, ...]


def upsert_releases(
    con: duckdb.DuckDBPyConnection, releases: Sequence[Release], *, run_id: str, now: datetime
) -> UpsertResult:
    if not releases:
        return UpsertResult((), (), ())
    batch = list({release.release_id: release for release in releases}.values())
    table = pa.table({
        "release_id": [r.release_id for r in batch],
        "source_id": [r.source_id for r in batch],
        "url": [r.url for r in batch],
        "title": [r.title for r in batch],
        "published_at": pa.array([r.published_at for r in batch], UTC_TS),
        "body_text": [r.body_text for r in batch],
        "language": [r.language for r in batch],
        "content_hash": [r.content_hash for r in batch],
        "byline": pa.array([r.byline for r in batch], pa.string()),
        "extractor": [r.extractor for r in batch],
    })
    con.register("incoming_releases", table)
    try:
        rows = con.execute(
            f"""
            SELECT i.release_id,
                   CASE WHEN r.release_id IS NULL THEN 'new'
                        WHEN {UPSTREAM_HASH} <> i.content_hash THEN 'changed'
                        ELSE 'unchanged' END
            FROM incoming_releases i LEFT JOIN releases r USING (release_id)
            """
        ).fetchall()
        status = dict(rows)
        if "new" in status.values():  # see migration 0011: concurrent inserts of one release conflict
            con.execute("UPDATE write_guards SET writes = writes + 1 WHERE name = 'releases'")
        changed = [rid for rid, state in status.items() if state == "changed"]
        if changed:
            con.execute(
                """
                INSERT INTO release_versions
                SELECT release_id, version, url, title, published_at, body_text, content_hash,
                       first_seen_at, $now, run_id
                FROM releases WHERE release_id IN (SELECT unnest($ids::VARCHAR[]))
                """,
                {"now": now, "ids": changed},
            )
            con.execute(
                """
                UPDATE releases SET url = i.url, title = i.title, published_at = i.published_at,
                    body_text = i.body_text, language = i.language, content_hash = i.content_hash,
                    byline = i.byline, extractor = i.extractor, last_seen_at = $now, run_id = $run_id,
                    version = releases.version + 1
                FROM incoming_releases i
                WHERE releases.release_id = i.release_id AND releases.release_id IN (SELECT unnest($ids::VARCHAR[]))
                """,
                {"now": now, "run_id": run_id, "ids": changed},
            )
        con.execute(
            """
            UPDATE releases SET last_seen_at = $now
            WHERE releases.release_id IN (SELECT unnest($ids::VARCHAR[])) AND releases.run_id <> $run_id
            """,
            {"now": now, "run_id": run_id, "ids": [rid for rid, state in status.items() if state == "unchanged"]},
        )
        con.execute(
            """
            INSERT INTO releases (release_id, source_id, url, title, published_at, body_text, language,
                                  content_hash, first_seen_at, last_seen_at, run_id, version, byline, extractor)
            SELECT i.release_id, i.source_id, i.url, i.title, i.published_at, i.body_text, i.language,
                   i.content_hash, $now, $now, $run_id, 1, i.byline, i.extractor
            FROM incoming_releases i ANTI JOIN releases r USING (release_id)
            """,
            {"now": now, "run_id": run_id},
        )
    finally:
        con.unregister("incoming_releases")
    return UpsertResult(
        new=tuple(rid for rid, state in status.items() if state == "new"),
        changed=tuple(changed),
        unchanged=tuple(rid for rid, state in status.items() if state == "unchanged"),
    )


def save_checks(
    con: duckdb.DuckDBPyConnection, results: Sequence[CheckResult], *, run_id: str, now: datetime
) -> None:
    if not results:
        return
    ids = [result.release_id for result in results]
    # Findings belong to a version: checking one version (a held newer one, or a published older one)
    # must not drop the findings of another, or the gate would see that version as clean.
    con.execute(
        """DELETE FROM dq_findings f USING
           (SELECT unnest($ids::VARCHAR[]) AS release_id, unnest($hashes::VARCHAR[]) AS content_hash) v
           WHERE f.release_id = v.release_id AND f.content_hash = v.content_hash""",
        {"ids": ids, "hashes": [r.content_hash for r in results]},
    )
    findings = [(result, finding) for result in results for finding in result.findings]
    if findings:
        table = pa.table({
            "release_id": [r.release_id for r, _ in findings],
            "check_id": [f.check for _, f in findings],
            "severity": [f.severity for _, f in findings],
            "field": [f.field for _, f in findings],
            "span_start": pa.array([f.start for _, f in findings], pa.int32()),
            "span_end": pa.array([f.end for _, f in findings], pa.int32()),
            "excerpt": [f.excerpt for _, f in findings],
            "message": [f.message for _, f in findings],
            "content_hash": [r.content_hash for r, _ in findings],
        })
        con.register("incoming_findings", table)
        try:
            con.execute(
                "INSERT INTO dq_findings SELECT release_id, check_id, severity, field, span_start, span_end,"
                " excerpt, message, $run_id, content_hash FROM incoming_findings",
                {"run_id": run_id},
            )
        finally:
            con.unregister("incoming_findings")
    verdicts = pa.table({
        "release_id": ids,
        "content_hash": [r.content_hash for r in results],
        "engine_version": [r.engine_version for r in results],
        "errors": pa.array([sum(f.severity == "error" for f in r.findings) for r in results], pa.int32()),
        "warnings": pa.array([sum(f.severity == "warning" for f in r.findings) for r in results], pa.int32()),
        "infos": pa.array([sum(f.severity == "info" for f in r.findings) for r in results], pa.int32()),
        "record_failures": pa.array([list(r.record_failures) for r in results], pa.list_(pa.string())),
        "passed": [r.passed for r in results],
    })
    con.register("incoming_verdicts", verdicts)
    try:
        con.execute(
            """
            MERGE INTO dq_runs d USING incoming_verdicts i
                ON d.release_id = i.release_id AND d.content_hash = i.content_hash
            WHEN MATCHED THEN UPDATE SET
                engine_version = i.engine_version, checked_at = $now,
                run_id = $run_id, errors = i.errors, warnings = i.warnings,
                infos = i.infos, record_failures = i.record_failures, passed = i.passed
            WHEN NOT MATCHED THEN INSERT VALUES (i.release_id, i.content_hash, i.engine_version, $now, $run_id,
                i.errors, i.warnings, i.infos, i.record_failures, i.passed)
            """,
            {"now": now, "run_id": run_id},
        )
    finally:
        con.unregister("incoming_verdicts")
    retract(con, run_id=run_id, now=now, release_ids=ids)


@dataclass(frozen=True, slots=True)
class PublishResult:
    """``release_id → source_id`` of what this call published, and of everything held after it."""

    published: dict[str, str]
    held: dict[str, str]

    def counts(self, source_id: str) -> tuple[int, int]:
        published = sum(1 for sid in self.published.values() if sid == source_id)
        return published, sum(1 for sid in self.held.values() if sid == source_id)


def gate_query(scope: str, *, engine: bool = False) -> str:
    """Every checked current version in ``scope`` with ``publishable`` (no blocking finding or failed
    record check left without an active waiver) and ``waived_checks`` (the waivers it relies on).

    With ``engine``, only versions checked by engine ``$engine`` count as checked: what the publish step
    judges. Without it, the latest verdict of each version counts, whatever engine gave it: what a person
    is shown (``held``, the report) and may waive."""
    by_engine = "AND d.engine_version = $engine" if engine else ""
    return f"""
    WITH current AS (
        -- ids and hashes only: a CTE used twice is materialised, and bodies must not be
        SELECT r.release_id, r.content_hash, d.record_failures
        FROM releases r JOIN dq_runs d ON d.release_id = r.release_id AND d.content_hash = r.content_hash {by_engine}
        WHERE {scope}
    ),
    {_JUDGED.format(versions="current")}
    SELECT r.*, c.record_failures, coalesce(v.all_waived, true) AS publishable, v.waived_checks, v.open_checks
    FROM current c JOIN releases r ON r.release_id = c.release_id LEFT JOIN verdict v ON v.release_id = c.release_id
    """


#: Blocking items of the versions in CTE ``{versions}`` (``release_id, content_hash, record_failures``),
#: each judged against the active waivers, and a verdict per release.
_JUDGED = """
    blocking AS (
        SELECT f.release_id, f.check_id, c.content_hash
        FROM dq_findings f JOIN {versions} c ON c.release_id = f.release_id AND c.content_hash = f.content_hash
        WHERE f.severity = 'error'
        UNION
        SELECT release_id, unnest(record_failures) AS check_id, content_hash FROM {versions}
    ),
    judged AS (
        SELECT b.release_id, b.check_id,
               EXISTS (SELECT 1 FROM waivers w WHERE w.release_id = b.release_id AND w.check_id = b.check_id
                       AND w.content_hash = b.content_hash AND w.withdrawn_at IS NULL) AS waived
        FROM blocking b
    ),
    verdict AS (
        SELECT release_id,
               bool_and(waived) AS all_waived,
               list(check_id ORDER BY check_id) FILTER (WHERE waived) AS waived_checks,
               list(check_id ORDER BY check_id) FILTER (WHERE NOT waived) AS open_checks
        FROM judged GROUP BY release_id
    )
"""

#: Published versions the gate no longer lets through, among ``$ids`` (all when NULL): one without a
#: verdict, one that is not a loaded version, or one with a blocking item left without an active waiver.
_RETRACTABLE = f"""
    WITH published AS (
        SELECT p.release_id, p.content_hash, d.record_failures, d.release_id IS NOT NULL AS checked,
               EXISTS (SELECT 1 FROM releases r WHERE r.release_id = p.release_id AND r.content_hash = p.content_hash)
               OR EXISTS (SELECT 1 FROM release_versions r WHERE r.release_id = p.release_id
                          AND r.content_hash = p.content_hash) AS loaded
        FROM published_releases p
        LEFT JOIN dq_runs d ON d.release_id = p.release_id AND d.content_hash = p.content_hash
        WHERE $ids IS NULL OR p.release_id IN (SELECT unnest($ids::VARCHAR[]))
    ),
    {_JUDGED.format(versions="published")}
    SELECT p.release_id, p.source_id, p.content_hash, p.version,
           CASE WHEN NOT x.checked THEN 'unchecked' WHEN NOT x.loaded THEN 'not-loaded' ELSE 'blocked' END AS reason,
           array_to_string(v.open_checks, ', ') AS detail, p.published_run_id
    FROM published x JOIN published_releases p USING (release_id)
    LEFT JOIN verdict v ON v.release_id = x.release_id
    WHERE NOT x.checked OR NOT x.loaded OR NOT coalesce(v.all_waived, true)
"""


def retract(
    con: duckdb.DuckDBPyConnection, *, run_id: str, now: datetime, release_ids: Sequence[str] | None = None
) -> dict[str, str]:
    """Take out of ``published_releases`` every published version (among ``release_ids``, all when
    ``None``) that the gate no longer lets through — a new check found an error in it, or the waiver it
    relied on was withdrawn — recording each in ``retractions``; return ``release_id → source_id``.

    Called in the same transaction as whatever changed the verdict, so no commit leaves a failing
    version published. The exports follow at the next publish."""
    rows = con.execute(_RETRACTABLE, {"ids": list(release_ids) if release_ids is not None else None}).fetchall()
    if not rows:
        return {}
    con.executemany(
        "INSERT INTO retractions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [[*row[:5], row[5] or None, row[6], run_id, now] for row in rows],
    )
    con.execute("DELETE FROM published_releases WHERE release_id IN (SELECT unnest(?::VARCHAR[]))",
                [[row[0] for row in rows]])
    return {row[0]: row[1] for row in rows}


#: Releases copied into ``published_releases`` per statement: DuckDB holds what one INSERT … ON CONFLICT
#: stages (bodies included) outside its spillable buffer pool, so a backfill publishes in slices this size.
PUBLISH_SLICE = 500


def publish(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    now: datetime,
    engine_version: str,
    source_ids: Sequence[str] | None = None,
) -> PublishResult:
    """Publish every release whose current version engine ``engine_version`` checked and that passes,
    if not yet published as it is, in the caller's transaction; first retract, across all sources, any
    published version the gate no longer lets through. Return what was published now and what is held
    after it among ``source_ids`` (all when ``None``). A release whose new version is held keeps its
    published version (while that version passes); a version not checked by ``engine_version`` yet is
    neither published nor held: it is in the check queue (:data:`warehouse.gate.QUEUE_SQL`).

    The gate is judged once, on ids and hashes only; the bodies are then copied ``PUBLISH_SLICE``
    releases at a time, so the memory a publish needs does not grow with how many it publishes."""
    retract(con, run_id=run_id, now=now)
    scope = "($sources IS NULL OR r.source_id IN (SELECT unnest($sources::VARCHAR[])))"
    params = {"sources": list(source_ids) if source_ids is not None else None}
    ready = con.execute(
        f"""
        SELECT g.release_id, g.waived_checks
        FROM ({gate_query(scope, engine=True)}) g
        LEFT JOIN published_releases p ON p.release_id = g.release_id
        WHERE g.publishable AND (p.release_id IS NULL OR p.content_hash <> g.content_hash)
        ORDER BY g.release_id
        """,
        {**params, "engine": engine_version},
    ).fetchall()
    published: dict[str, str] = {}
    for start in range(0, len(ready), PUBLISH_SLICE):
        chunk = ready[start:start + PUBLISH_SLICE]
        ids = [row[0] for row in chunk]
        con.execute(
            """
            MERGE INTO published_releases p
            USING (SELECT r.release_id, r.source_id, r.url, r.title, r.published_at, r.body_text, r.language,
                          r.content_hash, r.version, s.waived_checks
                   FROM releases r
                   JOIN (SELECT unnest($ids::VARCHAR[]) AS release_id,
                                unnest($waived::VARCHAR[][]) AS waived_checks) s
                     ON s.release_id = r.release_id) i
            ON p.release_id = i.release_id
            WHEN MATCHED THEN UPDATE SET
                url = i.url, title = i.title, published_at = i.published_at,
                body_text = i.body_text, language = i.language,
                content_hash = i.content_hash, version = i.version,
                published_run_id = $run_id, published_at_utc = $now, waived_checks = i.waived_checks
            WHEN NOT MATCHED THEN INSERT VALUES (i.release_id, i.source_id, i.url, i.title, i.published_at,
                i.body_text, i.language, i.content_hash, i.version, $run_id, $now, i.waived_checks)
            """,
            {"ids": ids, "waived": [row[1] for row in chunk], "run_id": run_id, "now": now},
        )
        published.update(con.execute(  # what the MERGE wrote (DuckLake has no RETURNING)
            "SELECT release_id, source_id FROM releases WHERE release_id IN (SELECT unnest($ids::VARCHAR[]))",
            {"ids": ids}).fetchall())
    held = con.execute(
        f"SELECT release_id, source_id FROM ({gate_query(scope)}) WHERE NOT publishable ORDER BY 1", params
    ).fetchall()
    return PublishResult(published, dict(held))


@dataclass(frozen=True, slots=True)
class HeldRelease:
    release_id: str
    source_id: str
    title: str
    url: str
    published_at: datetime | None
    open_checks: tuple[str, ...]


def held_releases(con: duckdb.DuckDBPyConnection, *, source_id: str | None = None) -> list[HeldRelease]:
    """Releases whose current version is held, with the checks still blocking them."""
    rows = con.execute(
        f"""SELECT release_id, source_id, title, url, published_at, open_checks
            FROM ({gate_query("($source IS NULL OR r.source_id = $source)")}) WHERE NOT publishable
            ORDER BY source_id, published_at DESC NULLS LAST, release_id""",
        {"source": source_id},
    ).fetchall()
    return [HeldRelease(r[0], r[1], r[2] or "", r[3], r[4], tuple(r[5] or ())) for r in rows]


class WaiverError(ValueError):
    """A waiver that cannot be recorded (unknown release, or a check that does not block it)."""


def waive(
    con: duckdb.DuckDBPyConnection, *, release_id: str, check_id: str, reason: str, by: str, now: datetime
) -> str:
    """Record that ``by`` waives ``check_id`` on the current version of ``release_id``; return that
    version's content hash. The release is published by the next publish. Waivers are history: a
    second waiver of the same check is a row of its own, and the first is kept as it was."""
    if not reason.strip():
        raise WaiverError("a waiver needs a reason (--reason)")
    row = con.execute(
        f"SELECT content_hash, publishable, open_checks, waived_checks FROM ({gate_query('r.release_id = $id')})",
        {"id": release_id},
    ).fetchone()
    if row is None:
        known = con.execute("SELECT count(*) FROM releases WHERE release_id = ?", [release_id]).fetchone()
        if known and known[0]:
            raise WaiverError(f"release {release_id} has not been checked yet: run `pressroom run` first")
        raise WaiverError(f"no release {release_id!r} in the warehouse")
    content_hash, _, open_checks, waived_checks = row
    blocking = sorted({*(open_checks or ()), *(waived_checks or ())})
    if check_id not in blocking:
        listed = ", ".join(blocking) or "none: it is not held"
        raise WaiverError(f"check {check_id!r} does not block release {release_id} (blocking checks: {listed})")
    con.execute(
        """INSERT INTO waivers (release_id, check_id, content_hash, reason, waived_by, waived_at, waiver_id)
           VALUES (?, ?, ?, ?, ?, ?, uuid()::VARCHAR)""",
        [release_id, check_id, content_hash, reason.strip(), by, now],
    )
    return str(content_hash)


@dataclass(frozen=True, slots=True)
class Unwaived:
    """What withdrawing a waiver did: how many active waivers it withdrew, and whether the release's
    published version relied on them and was retracted."""

    withdrawn: int
    retracted: bool


def unwaive(
    con: duckdb.DuckDBPyConnection, *, release_id: str, check_id: str, reason: str, by: str, now: datetime,
    run_id: str,
) -> Unwaived:
    """Withdraw every active waiver of ``check_id`` on any version of ``release_id`` (who, when and why
    are filled in; the waiver row stays), and in the same transaction retract the published version if
    it relied on one."""
    if not reason.strip():
        raise WaiverError("withdrawing a waiver needs a reason (--reason)")
    which = "release_id = $id AND check_id = $check AND withdrawn_at IS NULL"
    withdrawn = con.execute(f"SELECT waiver_id FROM waivers WHERE {which}",
                            {"id": release_id, "check": check_id}).fetchall()
    con.execute(f"UPDATE waivers SET withdrawn_at = $now, withdrawn_by = $by, withdrawn_reason = $reason WHERE {which}",
                {"now": now, "by": by, "reason": reason.strip(), "id": release_id, "check": check_id})
    if not withdrawn:
        active = con.execute(
            "SELECT DISTINCT check_id FROM waivers WHERE release_id = ? AND withdrawn_at IS NULL ORDER BY 1",
            [release_id],
        ).fetchall()
        listed = ", ".join(row[0] for row in active) or "none"
        raise WaiverError(f"no active waiver of {check_id!r} on release {release_id} (active waivers: {listed})")
    retracted = retract(con, run_id=run_id, now=now, release_ids=[release_id])
    return Unwaived(len(withdrawn), release_id in retracted)


class ReleaseText(NamedTuple):
    release_id: str
    body_text: str


def recent_texts(
    con: duckdb.DuckDBPyConnection, *, source_id: str, since: datetime, until: datetime, limit: int = 2000
) -> list[ReleaseText]:
    """Bodies of ``source_id``'s releases published in ``[since, until)``, newest first, at most ``limit``
    (the neighbours the boilerplate and near-duplicate checks compare a batch with)."""
    rows = con.execute(
        "SELECT release_id, body_text FROM releases WHERE source_id = ? AND published_at >= ?"
        " AND published_at < ? ORDER BY published_at DESC LIMIT ?",
        [source_id, since, until, limit],
    ).fetchall()
    return [ReleaseText(row[0], row[1] or "") for row in rows]
