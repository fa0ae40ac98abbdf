"""Review and repair: versions of a release made by a person, with their provenance (``release_reviews``).

A reviewed version is an ordinary version of the release: :func:`save_version` moves the current version
to ``release_versions`` (as a changed upstream text does) and makes the person's text current, with a
new ``content_hash`` and ``version``, in the caller's transaction. It is then in the check queue
(:data:`warehouse.gate.QUEUE_SQL`) like any loaded version, so it is checked and gated by the next
check and publish; the ministry's text stays in ``release_versions`` (and ``raw_pages``), never changed.

Contracts:

- **Version check.** A save names the version it edited (``parent_hash``); when the release's current
  version is another one by then (a second reviewer saved first, or a run loaded a new ministry text),
  :class:`ReviewConflict` is raised and nothing is written.
- **Upstream.** Each review records the ministry's version underneath it (``upstream_hash``). A run that
  fetches that same ministry text again leaves the review current; a changed ministry text becomes
  current and is judged afresh, and the review is shown as *stale* (:attr:`Current.stale_review`).
- **All or nothing.** Everything a save writes is written in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import duckdb

from pressroom.connectors.model import Release
from pressroom.expectations.findings import Finding
from pressroom.warehouse.releases import gate_query


class ReviewError(ValueError):
    """A review that cannot be recorded: unknown release, no reason, nothing changed."""


class ReviewConflict(ReviewError):
    """The release's current version is not the one the reviewer edited: nothing was written."""

    def __init__(self, release_id: str, edited: str, current: str, current_version: int) -> None:
        super().__init__(
            f"release {release_id} changed since it was read: you edited version {edited[:12]}, the current"
            f" version is {current[:12]} (version {current_version}); nothing was saved, look at it again"
        )
        self.current_hash = current
        self.current_version = current_version


@dataclass(frozen=True, slots=True)
class StaleReview:
    """The latest review of a release, superseded by a newer ministry text."""

    version: int
    reviewed_by: str
    reviewed_at: datetime
    reason: str
    superseded_by: int


@dataclass(frozen=True, slots=True)
class Current:
    """A release's current version, how it was made and what the gate says of it."""

    release: Release
    content_hash: str
    version: int
    origin: str  # source | review
    upstream_hash: str
    checked: bool
    publishable: bool
    open_checks: tuple[str, ...]
    waived_checks: tuple[str, ...]
    published_hash: str | None
    stale_review: StaleReview | None


_CURRENT = f"""
    SELECT r.release_id, r.source_id, r.url, r.title, r.published_at, r.body_text, r.language, r.extractor,
           r.byline, r.content_hash, r.version, v.upstream_hash,
           g.release_id IS NOT NULL AS checked, coalesce(g.publishable, false), g.open_checks, g.waived_checks,
           p.content_hash AS published_hash
    FROM releases r
    LEFT JOIN release_reviews v ON v.release_id = r.release_id AND v.version = r.version
    LEFT JOIN ({gate_query("r.release_id = $id")}) g ON g.release_id = r.release_id
    LEFT JOIN published_releases p ON p.release_id = r.release_id
    WHERE r.release_id = $id
"""


def current(con: duckdb.DuckDBPyConnection, release_id: str) -> Current | None:
    """The current version of ``release_id``, or None when there is no such release."""
    row = con.execute(_CURRENT, {"id": release_id}).fetchone()
    if row is None:
        return None
    release = Release(release_id=row[0], source_id=row[1], url=row[2], title=row[3] or "", published_at=row[4],
                      body_text=row[5] or "", language=row[6] or "en", extractor=row[7] or "", byline=row[8])
    stale = None
    if row[11] is None:
        last = con.execute(
            """SELECT version, reviewed_by, reviewed_at, reason FROM release_reviews WHERE release_id = ?
               ORDER BY version DESC LIMIT 1""", [release_id]).fetchone()
        if last is not None:
            stale = StaleReview(last[0], last[1], last[2], last[3], superseded_by=row[10])
    return Current(
        release=release, content_hash=row[9], version=row[10], origin="source" if row[11] is None else "review",
        upstream_hash=row[11] or row[9], checked=bool(row[12]), publishable=bool(row[13]),
        open_checks=tuple(row[14] or ()), waived_checks=tuple(row[15] or ()), published_hash=row[16],
        stale_review=stale,
    )


def stored_findings(con: duckdb.DuckDBPyConnection, release_id: str, content_hash: str) -> list[Finding]:
    """The findings the warehouse holds for one version (what the gate judged), in text order."""
    rows = con.execute(
        """SELECT check_id, severity, span_start, span_end, excerpt, message, field FROM dq_findings
           WHERE release_id = ? AND content_hash = ? ORDER BY field, span_start, span_end, check_id""",
        [release_id, content_hash],
    ).fetchall()
    return [Finding(row[0], row[1], row[2], row[3], row[4] or "", row[5] or "", row[6]) for row in rows]


def neighbours(
    con: duckdb.DuckDBPyConnection, *, source_id: str, since: datetime, until: datetime, limit: int = 2000
) -> list[tuple[str, str]]:
    """``(release_id, body_text)`` of the source's releases published in ``[since, until)``, newest first:
    the corpus of the checks that need a release's neighbours (boilerplate, near-duplicates)."""
    rows = con.execute(
        "SELECT release_id, body_text FROM releases WHERE source_id = ? AND published_at >= ?"
        " AND published_at < ? ORDER BY published_at DESC LIMIT ?",
        [source_id, since, until, limit],
    ).fetchall()
    return [(row[0], row[1] or "") for row in rows]


@dataclass(frozen=True, slots=True)
class Applied:
    """One suggestion a review applied, in the parent version's offsets."""

    check: str
    field: str
    start: int
    end: int
    excerpt: str
    replacement: str


@dataclass(frozen=True, slots=True)
class Saved:
    release_id: str
    version: int
    content_hash: str
    parent_version: int
    parent_hash: str


def save_version(
    con: duckdb.DuckDBPyConnection,
    *,
    release_id: str,
    parent_hash: str,
    title: str,
    body_text: str,
    kind: str,
    applied: Sequence[Applied],
    diff: str,
    by: str,
    reason: str,
    now: datetime,
    run_id: str,
) -> Saved:
    """Make ``title``/``body_text`` the current version of ``release_id``, edited from ``parent_hash``,
    recording who, when, why and what (module docstring). Raises :class:`ReviewConflict` when the current
    version is not ``parent_hash``, :class:`ReviewError` for an unknown release, an empty reason or who,
    or a text that changes nothing."""
    if kind not in ("repair", "edit"):
        raise ReviewError(f"unknown kind of review {kind!r}")
    if not reason.strip():
        raise ReviewError("a review needs a reason (--reason)")
    if not by.strip():
        raise ReviewError("a review needs the reviewer's name (--by)")
    found = current(con, release_id)
    if found is None:
        raise ReviewError(f"no release {release_id!r} in the warehouse")
    if found.content_hash != parent_hash:
        raise ReviewConflict(release_id, parent_hash, found.content_hash, found.version)
    edited = replace(found.release, title=title, body_text=body_text)
    new_hash = edited.content_hash
    if new_hash == found.content_hash:
        raise ReviewError(f"the text of release {release_id} is unchanged: nothing to save")
    version = found.version + 1
    con.execute(
        """INSERT INTO release_versions
           SELECT release_id, version, url, title, published_at, body_text, content_hash, first_seen_at, $now, run_id
           FROM releases WHERE release_id = $id""",
        {"now": now, "id": release_id},
    )
    # the rows the UPDATE changes, read first in the same transaction (DuckLake has no RETURNING)
    updated = con.execute("SELECT release_id FROM releases WHERE release_id = $id AND content_hash = $parent",
                          {"id": release_id, "parent": parent_hash}).fetchall()
    con.execute(
        """UPDATE releases SET title = $title, body_text = $body, content_hash = $hash, version = $version,
               run_id = $run_id
           WHERE release_id = $id AND content_hash = $parent""",
        {"title": title, "body": body_text, "hash": new_hash, "version": version, "run_id": run_id,
         "id": release_id, "parent": parent_hash},
    )
    if len(updated) != 1:  # unreachable within one transaction; kept as the version check of record
        raise ReviewConflict(release_id, parent_hash, found.content_hash, found.version)
    con.execute(
        """INSERT INTO release_reviews (release_id, version, content_hash, parent_version, parent_hash, upstream_hash,
               origin, kind, applied, diff, reviewed_by, reviewed_at, reason, run_id)
           VALUES (?, ?, ?, ?, ?, ?, 'review', ?, ?, ?, ?, ?, ?, ?)""",
        [release_id, version, new_hash, found.version, parent_hash, found.upstream_hash, kind,
         json.dumps([_applied_dict(a) for a in applied], ensure_ascii=False),
         diff, by.strip(), now, reason.strip(), run_id],
    )
    return Saved(release_id, version, new_hash, found.version, parent_hash)


def _applied_dict(applied: Applied) -> dict[str, Any]:
    return {"check": applied.check, "field": applied.field, "start": applied.start, "end": applied.end,
            "excerpt": applied.excerpt, "replacement": applied.replacement}


@dataclass(frozen=True, slots=True)
class Event:
    """One line of a release's history: a version, a review, a check verdict, a waiver, a publication."""

    at: datetime | None
    kind: str  # version | review | waiver | unwaiver | published | retracted
    version: int | None
    content_hash: str | None
    who: str
    detail: str
    extra: dict[str, Any] = field(default_factory=dict)


def history(con: duckdb.DuckDBPyConnection, release_id: str) -> list[Event]:
    """Every version of the release (the ministry's and the reviews'), every decision on it (waivers and
    their withdrawals, publications and retractions), oldest first."""
    events: list[Event] = []
    versions = con.execute(
        """SELECT x.version, x.content_hash, x.first_seen_at, x.run_id, v.kind, v.reviewed_by, v.reviewed_at,
                  v.reason, v.parent_version, v.applied, v.diff, d.passed, d.errors
           FROM (SELECT release_id, version, content_hash, first_seen_at, run_id FROM releases WHERE release_id = $id
                 UNION ALL
                 SELECT release_id, version, content_hash, first_seen_at, run_id FROM release_versions
                 WHERE release_id = $id) x
           LEFT JOIN release_reviews v ON v.release_id = x.release_id AND v.version = x.version
           LEFT JOIN dq_runs d ON d.release_id = x.release_id AND d.content_hash = x.content_hash
           ORDER BY x.version""",
        {"id": release_id},
    ).fetchall()
    for (version, content_hash, first_seen, run_id, kind, by, at, reason, parent, applied, diff, passed,
         errors) in versions:
        verdict = "not checked yet" if passed is None else ("passed" if passed else f"{errors} error(s)")
        if kind is None:
            events.append(Event(first_seen, "version", version, content_hash, "ministry",
                                f"ministry text (run {run_id}); {verdict}"))
        else:
            checks = sorted({a["check"] for a in json.loads(applied or "[]")})
            what = f"applied {', '.join(checks)}" if checks else "edited by hand"
            events.append(Event(at, "review", version, content_hash, by,
                                f"{kind} of version {parent}: {what}; reason: {reason}; {verdict}",
                                {"diff": diff, "applied": json.loads(applied or "[]")}))
    for check_id, content_hash, reason, by, at, w_at, w_by, w_reason in con.execute(
        """SELECT check_id, content_hash, reason, waived_by, waived_at, withdrawn_at, withdrawn_by, withdrawn_reason
           FROM waivers WHERE release_id = ? ORDER BY waived_at""", [release_id]).fetchall():
        events.append(Event(at, "waiver", None, content_hash, by, f"waived {check_id}: {reason}"))
        if w_at is not None:
            events.append(Event(w_at, "unwaiver", None, content_hash, w_by or "",
                                f"withdrew the waiver of {check_id}: {w_reason}"))
    for content_hash, version, reason, detail, at in con.execute(
        "SELECT content_hash, version, reason, detail, retracted_at FROM retractions WHERE release_id = ?",
        [release_id]).fetchall():
        events.append(Event(at, "retracted", version, content_hash, "gate",
                            f"retracted ({reason}{': ' + detail if detail else ''})"))
    published = con.execute(
        "SELECT version, content_hash, published_at_utc, published_run_id FROM published_releases WHERE release_id = ?",
        [release_id]).fetchone()
    if published is not None:
        events.append(Event(published[2], "published", published[0], published[1], "gate",
                            f"version {published[0]} published (run {published[3]})"))
    return sorted(events, key=lambda e: (e.at is None, e.at or datetime.min, e.version or 0))


@dataclass(frozen=True, slots=True)
class QueueItem:
    release_id: str
    source_id: str
    title: str
    published_at: datetime | None
    open_checks: tuple[str, ...]
    version: int
    reviewed: bool


@dataclass(frozen=True, slots=True)
class Queue:
    """Held releases matching the filters, and counts of all held releases by source and by check
    (with the other filters applied), for the filter menus."""

    items: list[QueueItem]
    by_source: dict[str, int]
    by_check: dict[str, int]
    total_held: int


def queue(
    con: duckdb.DuckDBPyConnection,
    *,
    source_id: str | None = None,
    check_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Queue:
    """Releases whose current version is held, with their blocking checks, filtered by source, blocking
    check and publication date (``[since, until)``), newest first."""
    rows = con.execute(
        f"""SELECT g.release_id, g.source_id, g.title, g.published_at, g.open_checks, g.version,
                   EXISTS (SELECT 1 FROM release_reviews v WHERE v.release_id = g.release_id AND v.version = g.version)
            FROM ({gate_query("true")}) g WHERE NOT g.publishable
            ORDER BY g.published_at DESC NULLS LAST, g.release_id""",
    ).fetchall()
    items = [QueueItem(r[0], r[1], r[2] or "", r[3], tuple(r[4] or ()), r[5], bool(r[6])) for r in rows]

    def dated(item: QueueItem) -> bool:
        if since is None and until is None:
            return True
        if item.published_at is None:
            return False
        return (since is None or item.published_at >= since) and (until is None or item.published_at < until)

    by_source: dict[str, int] = {}
    by_check: dict[str, int] = {}
    for item in items:
        if not dated(item):
            continue
        if check_id is None or check_id in item.open_checks:
            by_source[item.source_id] = by_source.get(item.source_id, 0) + 1
        if source_id is None or item.source_id == source_id:
            for check in item.open_checks:
                by_check[check] = by_check.get(check, 0) + 1
    chosen = [i for i in items if dated(i) and (source_id is None or i.source_id == source_id)
              and (check_id is None or check_id in i.open_checks)]
    return Queue(chosen, dict(sorted(by_source.items())), dict(sorted(by_check.items())), len(items))
