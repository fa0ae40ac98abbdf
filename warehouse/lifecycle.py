"""What becomes of pages that are not (or no longer) releases: skips, retired failures, withdrawn releases.

- A *skip* is a link a run saw and deliberately did not load (``connectors.model.SKIP_REASONS``:
  robots-disallowed, off-host, an attachment that is not a release, a scanned PDF). It is kept in
  ``skipped_pages`` with its reason, is never retried and never makes a run partial.
- A page that keeps answering 404/410 is counted in ``fetch_failures.gone_runs`` (runs in a row); at
  ``retire_after`` runs the failure is *retired* (``retired_at``): kept and shown in the report, no
  longer retried, no longer a reason for exit 3.
- A release whose page answered 404/410 in :data:`WITHDRAWN_AFTER` runs is *withdrawn*
  (``releases.withdrawn_at``, with the reason); its failure is retired at once. Nothing is deleted:
  the release stays, published or not, and exports and reports mark it.

Every function takes a connection inside the caller's transaction and works on a whole batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from pressroom.connectors.model import Release

GONE_REASONS = ("http-404", "http-410")
#: Runs in a row a release's page must answer 404/410 before the release is marked withdrawn (issue 15).
WITHDRAWN_AFTER = 2


@dataclass(frozen=True, slots=True)
class SkipRecord:
    source_id: str
    url: str
    reason: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Settled:
    """Of one batch's failed URLs, those retired (now or before: no longer a reason for exit 3), and the
    releases withdrawn by the batch."""

    retired: tuple[str, ...] = ()
    withdrawn: tuple[str, ...] = ()


def record_skips(con: duckdb.DuckDBPyConnection, skips: Sequence[SkipRecord], *, run_id: str, now: datetime) -> None:
    """Upsert on ``(source_id, url)``; the latest reason wins."""
    unique = list({(s.source_id, s.url): s for s in skips}.values())
    if not unique:
        return
    table = pa.table({
        "source_id": [s.source_id for s in unique],
        "url": [s.url for s in unique],
        "reason": [s.reason for s in unique],
        "detail": [s.detail[:1000] for s in unique],
    })
    con.register("incoming_skips", table)
    try:
        con.execute(
            """
            MERGE INTO skipped_pages s USING incoming_skips i ON s.source_id = i.source_id AND s.url = i.url
            WHEN MATCHED THEN UPDATE SET
                reason = i.reason, detail = i.detail, last_seen_at = $now, last_run_id = $run_id
            WHEN NOT MATCHED THEN INSERT VALUES (i.source_id, i.url, i.reason, i.detail, $now, $now, $run_id)
            """,
            {"now": now, "run_id": run_id},
        )
    finally:
        con.unregister("incoming_skips")


def save_release_details(con: duckdb.DuckDBPyConnection, releases: Sequence[Release]) -> None:
    """``format`` and ``attachments`` of the releases just upserted (not part of the content hash)."""
    batch = list({r.release_id: r for r in releases}.values())
    if not batch:
        return
    table = pa.table({
        "release_id": [r.release_id for r in batch],
        "format": [r.format for r in batch],
        "attachments": pa.array([list(r.attachments) for r in batch], pa.list_(pa.string())),
    })
    con.register("incoming_details", table)
    try:
        con.execute(
            "UPDATE releases SET format = i.format, attachments = i.attachments FROM incoming_details i"
            " WHERE releases.release_id = i.release_id"
            " AND (releases.format IS DISTINCT FROM i.format OR releases.attachments IS DISTINCT FROM i.attachments)"
        )
    finally:
        con.unregister("incoming_details")


def count_gone(
    con: duckdb.DuckDBPyConnection, *, source_id: str, failures: Sequence[tuple[str, str]], resolved: Iterable[str],
    run_id: str,
) -> None:
    """Call *before* this batch's failures are recorded. ``failures`` are ``(url, reason)``: one more gone
    run for each URL that answered 404/410 — once per run, however many backfill chunks retried it —
    and the count back to 0 (the failure no longer retired) for other reasons and for URLs that loaded.
    A retired page that is listed and fetched again and is still gone stays retired. Rows this batch
    creates are counted by :func:`count_new_gone` after the failures are recorded."""
    resolved = list(resolved)
    if failures:
        table = pa.table({"url": [url for url, _ in failures], "reason": [reason for _, reason in failures]})
        con.register("incoming_gone", table)
        try:
            con.execute(
                f"""UPDATE fetch_failures f
                    SET gone_runs = CASE WHEN i.reason NOT IN {GONE_REASONS} THEN 0
                                         WHEN f.last_run_id = $run_id AND f.resolved_at IS NULL THEN f.gone_runs
                                         WHEN f.reason IN {GONE_REASONS} AND f.resolved_at IS NULL
                                             THEN coalesce(f.gone_runs, 0) + 1
                                         ELSE 1 END,
                        retired_at = CASE WHEN i.reason IN {GONE_REASONS} THEN f.retired_at END
                    FROM incoming_gone i
                    WHERE f.source_id = $source_id AND f.url = i.url""",
                {"run_id": run_id, "source_id": source_id},
            )
        finally:
            con.unregister("incoming_gone")
    if resolved:
        con.execute(
            "UPDATE fetch_failures SET gone_runs = 0, retired_at = NULL"
            " WHERE source_id = ? AND url IN (SELECT unnest(?::VARCHAR[]))",
            [source_id, resolved],
        )


def count_new_gone(con: duckdb.DuckDBPyConnection, *, source_id: str, urls: Iterable[str], run_id: str) -> None:
    """After the failures are recorded: a failure first seen in this run that answered 404/410 is gone once."""
    urls = list(urls)
    if urls:
        con.execute(
            f"UPDATE fetch_failures SET gone_runs = 1 WHERE source_id = ? AND last_run_id = ?"
            f" AND coalesce(gone_runs, 0) = 0 AND reason IN {GONE_REASONS} AND url IN (SELECT unnest(?::VARCHAR[]))",
            [source_id, run_id, urls],
        )


def settle(
    con: duckdb.DuckDBPyConnection, *, source_id: str, release_ids: dict[str, str], retire_after: int, now: datetime
) -> Settled:
    """Withdraw releases whose page is gone for :data:`WITHDRAWN_AFTER` runs (their failure retired with
    them), then retire the failures gone for ``retire_after`` runs. ``release_ids`` maps each failed URL
    to the release id it would have (a release is matched by its stored URL or that id)."""
    urls = list(release_ids)
    withdrawn: list[str] = []
    if urls:
        gone = con.execute(
            "SELECT url, reason, gone_runs FROM fetch_failures WHERE source_id = ? AND resolved_at IS NULL"
            " AND retired_at IS NULL AND gone_runs >= ? AND url IN (SELECT unnest(?::VARCHAR[]))",
            [source_id, WITHDRAWN_AFTER, urls],
        ).fetchall()
        for url, reason, runs in gone:
            which = "source_id = ? AND withdrawn_at IS NULL AND (url = ? OR release_id = ?)"
            rows = con.execute(f"SELECT release_id FROM releases WHERE {which}",
                               [source_id, url, release_ids[url]]).fetchall()
            if rows:
                con.execute(f"UPDATE releases SET withdrawn_at = ?, withdrawn_reason = ? WHERE {which}",
                            [now, f"{reason} in {runs} runs", source_id, url, release_ids[url]])
                withdrawn.extend(row[0] for row in rows)
                con.execute(
                    "UPDATE fetch_failures SET retired_at = ?, detail = ? WHERE source_id = ? AND url = ?",
                    [now, f"release withdrawn: {reason} in {runs} runs", source_id, url],
                )
    con.execute(
        "UPDATE fetch_failures SET retired_at = ? WHERE source_id = ? AND resolved_at IS NULL"
        " AND retired_at IS NULL AND gone_runs >= ?",
        [now, source_id, retire_after],
    )
    retired = con.execute(
        "SELECT url FROM fetch_failures WHERE source_id = ? AND retired_at IS NOT NULL"
        " AND url IN (SELECT unnest(?::VARCHAR[])) ORDER BY url",
        [source_id, urls],
    ).fetchall() if urls else []
    return Settled(retired=tuple(row[0] for row in retired), withdrawn=tuple(withdrawn))


def releases_in_window(
    con: duckdb.DuckDBPyConnection, *, source_id: str, since: datetime, until: datetime
) -> list[str]:
    """URLs of the source's releases dated in ``[since, until)`` that are not withdrawn."""
    rows = con.execute(
        "SELECT url FROM releases WHERE source_id = ? AND published_at >= ? AND published_at < ?"
        " AND withdrawn_at IS NULL ORDER BY url",
        [source_id, since, until],
    ).fetchall()
    return [row[0] for row in rows]
