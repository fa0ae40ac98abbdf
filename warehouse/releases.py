"""Idempotent upsert of releases, check results and the publish gate.

- :func:`upsert_releases` merges a batch on ``release_id``: new ids are inserted, a changed
  ``content_hash`` moves the old text to ``release_versions`` and bumps ``version``, an unchanged
  release only has ``last_seen_at`` moved. Loading the same batch twice changes no count.
- :func:`save_checks` replaces the findings of the releases it is given.
- :func:`publish` copies into ``published_releases`` every release whose current version passed and
  is not already published as it is. A new version that fails leaves the published version in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from connectors.model import Release
from warehouse.store import UTC_TS, CheckResult


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
            """
            SELECT i.release_id,
                   CASE WHEN r.release_id IS NULL THEN 'new'
                        WHEN r.content_hash <> i.content_hash THEN 'changed'
                        ELSE 'unchanged' END
            FROM incoming_releases i LEFT JOIN releases r USING (release_id)
            """
        ).fetchall()
        status = dict(rows)
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
                WHERE releases.release_id = i.release_id AND releases.content_hash <> i.content_hash
                """,
                {"now": now, "run_id": run_id},
            )
        con.execute(
            """
            UPDATE releases SET last_seen_at = $now FROM incoming_releases i
            WHERE releases.release_id = i.release_id AND releases.content_hash = i.content_hash
              AND releases.run_id <> $run_id
            """,
            {"now": now, "run_id": run_id},
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
    con.execute("DELETE FROM dq_findings WHERE release_id IN (SELECT unnest(?::VARCHAR[]))", [ids])
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
            INSERT INTO dq_runs
            SELECT release_id, content_hash, engine_version, $now, $run_id, errors, warnings, infos,
                   record_failures, passed
            FROM incoming_verdicts
            ON CONFLICT (release_id, content_hash) DO UPDATE SET
                engine_version = excluded.engine_version, checked_at = excluded.checked_at,
                run_id = excluded.run_id, errors = excluded.errors, warnings = excluded.warnings,
                infos = excluded.infos, record_failures = excluded.record_failures, passed = excluded.passed
            """,
            {"now": now, "run_id": run_id},
        )
    finally:
        con.unregister("incoming_verdicts")


@dataclass(frozen=True, slots=True)
class PublishResult:
    """``release_id → source_id`` of what this call published, and of everything held after it."""

    published: dict[str, str]
    held: dict[str, str]

    def counts(self, source_id: str) -> tuple[int, int]:
        published = sum(1 for sid in self.published.values() if sid == source_id)
        return published, sum(1 for sid in self.held.values() if sid == source_id)


_CURRENT_VERDICT = """
    SELECT r.*, d.passed
    FROM releases r JOIN dq_runs d ON d.release_id = r.release_id AND d.content_hash = r.content_hash
"""


def publish(
    con: duckdb.DuckDBPyConnection, *, run_id: str, now: datetime, source_ids: Sequence[str] | None = None
) -> PublishResult:
    """Publish every passing release not yet published as it is; return what was published now and
    what is held (current version failed) among ``source_ids`` (all sources when ``None``)."""
    scope = "($sources IS NULL OR r.source_id IN (SELECT unnest($sources::VARCHAR[])))"
    params = {"sources": list(source_ids) if source_ids is not None else None}
    published = con.execute(
        f"""
        INSERT INTO published_releases
        SELECT r.release_id, r.source_id, r.url, r.title, r.published_at, r.body_text, r.language,
               r.content_hash, r.version, $run_id, $now
        FROM ({_CURRENT_VERDICT}) r
        LEFT JOIN published_releases p ON p.release_id = r.release_id
        WHERE r.passed AND (p.release_id IS NULL OR p.content_hash <> r.content_hash) AND {scope}
        ON CONFLICT (release_id) DO UPDATE SET
            url = excluded.url, title = excluded.title, published_at = excluded.published_at,
            body_text = excluded.body_text, language = excluded.language,
            content_hash = excluded.content_hash, version = excluded.version,
            published_run_id = excluded.published_run_id, published_at_utc = excluded.published_at_utc
        RETURNING release_id, source_id
        """,
        {**params, "run_id": run_id, "now": now},
    ).fetchall()
    held = con.execute(
        f"SELECT r.release_id, r.source_id FROM ({_CURRENT_VERDICT}) r WHERE NOT r.passed AND {scope} ORDER BY 1",
        params,
    ).fetchall()
    return PublishResult(dict(published), dict(held))
