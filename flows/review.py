"""Review and repair as plain functions, shared by `pressroom show`, `pressroom repair` and `pressroom review`.

Nothing here writes SQL: reads and the save are :mod:`warehouse.review`. The flow of a repair:

1. :func:`look` reads the release's current version and what the gate says of it, and runs the checks
   again on it *with suggestions* (the warehouse stores findings, not suggestions), with the same
   per-source checks the pipeline runs (boilerplate lines and near-duplicates from the source's
   neighbours), so the findings a person sees are those that hold the release.
2. :func:`repair` applies the chosen suggestions (those that do not overlap; the others wait for the
   next round), or :func:`edit` takes a person's text, and saves a new version naming the version that
   was read (:func:`warehouse.review.save_version`: a version check, one transaction).
3. :func:`check_and_publish` runs the same check and gate as `pressroom publish`
   (:func:`flows.maintenance.publish_now`): the new version is checked, and published only if it passes.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pressroom.connectors.config import Config
from pressroom.connectors.model import Release
from pressroom.expectations import check_release
from pressroom.expectations import engine as check_engine
from pressroom.expectations.checks.boilerplate import Boilerplate, recurring_lines
from pressroom.expectations.checks.near_duplicates import NearDuplicateRelease
from pressroom.expectations.findings import Finding
from pressroom.expectations.fixes import apply_suggestions, non_overlapping
from pressroom.flows.pipeline import NEAR_DUPLICATE_DAYS, new_run_id
from pressroom.flows.settings import Settings
from pressroom.warehouse import Warehouse
from pressroom.warehouse import review as store
from pressroom.warehouse.review import Applied, Current, Event, ReviewError, Saved


@dataclass(frozen=True, slots=True)
class Look:
    """A release as a reviewer sees it: its current version, its findings with suggestions, its history."""

    current: Current
    findings: tuple[Finding, ...]
    history: tuple[Event, ...]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]


def warehouse_of(settings: Settings) -> Warehouse:
    return Warehouse(settings.warehouse, lock_timeout=settings.lock_timeout)


def findings_of(warehouse: Warehouse, release: Release) -> list[Finding]:
    """The pipeline's checks on ``release`` (its per-source checks included), with suggestions."""
    anchor = release.published_at or datetime.now(UTC)
    window = timedelta(days=NEAR_DUPLICATE_DAYS)
    with warehouse.reader() as con:
        corpus = store.neighbours(con, source_id=release.source_id, since=anchor - window, until=anchor + window)
    checks = [c for c in check_engine.default_checks(release.language) if not isinstance(c, Boilerplate)]
    body_checks = [*checks, Boilerplate(known_lines=recurring_lines(text for _, text in corpus)),
                   NearDuplicateRelease(corpus).excluding(release.release_id)]
    return check_release(release.title, release.body_text, language=release.language, body_checks=body_checks)


def look(warehouse: Warehouse, release_id: str) -> Look:
    """Raises :class:`ReviewError` when there is no such release."""
    with warehouse.reader() as con:
        found = store.current(con, release_id)
        events = store.history(con, release_id) if found is not None else []
    if found is None:
        raise ReviewError(f"no release {release_id!r} in the warehouse")
    return Look(found, tuple(findings_of(warehouse, found.release)), tuple(events))


def text_of(release: Release, field: str) -> str:
    return release.title if field == "title" else release.body_text


def diff(before: Release, title: str, body: str) -> str:
    """A unified diff of title and body, what a review records and shows before saving."""
    lines: list[str] = []
    for name, old, new in (("title", before.title, title), ("body", before.body_text, body)):
        lines += difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                      fromfile=f"{name} (before)", tofile=f"{name} (after)", n=1)
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@dataclass(frozen=True, slots=True)
class Plan:
    """What applying suggestions would do: the texts, what is applied, and the chosen findings that
    have no suggestion (a person must edit them) or wait for another round (overlapping)."""

    title: str
    body: str
    applied: tuple[Finding, ...]
    needs_edit: tuple[Finding, ...]
    overlapping: tuple[Finding, ...]


def plan(release: Release, chosen: Iterable[Finding]) -> Plan:
    chosen = list(chosen)
    needs_edit = tuple(f for f in chosen if f.suggestion is None)
    texts = {"title": release.title, "body": release.body_text}
    applied: list[Finding] = []
    for field in ("body", "title"):
        picked = non_overlapping(f for f in chosen if f.field == field)
        applied += picked
        texts[field] = apply_suggestions(texts[field], (f.suggestion for f in picked if f.suggestion is not None))
    overlapping = tuple(f for f in chosen if f.suggestion is not None and f not in applied)
    return Plan(texts["title"], texts["body"], tuple(applied), needs_edit, overlapping)


def select(findings: Sequence[Finding], *, checks: Sequence[str] = (), every: bool = False,
           keys: Sequence[str] = ()) -> list[Finding]:
    """The error findings chosen by check id (``checks``), all of them (``every``), or by
    :func:`finding_key` (``keys``, what the web page posts). An unknown check id is a :class:`ReviewError`."""
    errors = [f for f in findings if f.severity == "error"]
    unknown = sorted(set(checks) - {f.check for f in errors})
    if unknown:
        listed = ", ".join(sorted({f.check for f in errors})) or "none"
        raise ReviewError(f"check {', '.join(unknown)} has no error on this release (its errors: {listed})")
    return [f for f in errors if every or f.check in checks or finding_key(f) in keys]


def finding_key(finding: Finding) -> str:
    """A stable name of a finding on one version: field, check and span."""
    return f"{finding.field}:{finding.check}:{finding.start}:{finding.end}"


def save(
    warehouse: Warehouse, current: Current, *, title: str, body: str, applied: Sequence[Finding], by: str,
    reason: str, now: datetime | None = None,
) -> Saved:
    """Save ``title``/``body`` as the new version edited from ``current`` (a repair when ``applied``
    names suggestions, else an edit). :class:`warehouse.review.ReviewConflict` when another version
    became current since ``current`` was read."""
    now = now or datetime.now(UTC)
    records = [Applied(f.check, f.field, f.suggestion.start, f.suggestion.end,
                       text_of(current.release, f.field)[f.suggestion.start:f.suggestion.end], f.suggestion.replacement)
               for f in applied if f.suggestion is not None]
    with warehouse.transaction() as con:
        return store.save_version(
            con, release_id=current.release.release_id, parent_hash=current.content_hash, title=title,
            body_text=body, kind="repair" if records else "edit", applied=records,
            diff=diff(current.release, title, body), by=by, reason=reason, now=now,
            run_id=f"review-{new_run_id(now)}",
        )


def check_and_publish(settings: Settings, config: Config | None = None,
                      source_ids: Sequence[str] | None = None) -> object:
    """The same check and gate as `pressroom publish`: drain the check queue (the new version is in it),
    publish what passes, bring the exports in line. ``config`` is read from ``settings.sources`` when not
    given (the review app reads it at each publish, so an edited sources file is taken as it is now)."""
    from pressroom.connectors.config import load_config
    from pressroom.flows.maintenance import publish_now

    return publish_now(settings, config if config is not None else load_config(settings.sources), source_ids)
