"""Record-level expectations a release must meet before it can be published.

The rules are one table, :data:`RECORD_RULES`, enforced twice: per release inside the pipeline by
:func:`record_failures` (each failed rule gives its stable reason code), and over a source's whole batch
by the Great Expectations suite, whose record-level expectations ``gx/suites.py`` builds from the same
table: each :class:`Test` of a rule becomes one GX expectation of that test's name.

Where the two differ, GX is the stricter: its ``http-url`` expectation also requires one of the source's
hosts (this module does not know them), and it measures a body's length as stored where
:func:`record_failures` ignores surrounding whitespace (stored bodies carry none). The GX suite adds
rules of its own that need the source's settings or the whole batch (duplicate ids, body too long,
dated before the source's first year, unexpected language).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

from pressroom.connectors.model import Release

#: A release dated more than this far in the future is wrong (time zones account for a few hours).
FUTURE_TOLERANCE = timedelta(days=1)
#: Bodies shorter than this many characters are not a release (a stub or an extraction failure).
MIN_BODY_CHARS = 80

TestKind = Literal["not-null", "not-blank", "http-url", "not-after-now", "min-chars"]


@dataclass(frozen=True, slots=True)
class Test:
    """One test of a column's value: ``name`` is the GX expectation it becomes, ``description`` what the
    expectation says (formatted with ``min_body_chars``, ``latest``, ``hosts``)."""

    name: str
    kind: TestKind
    description: str


@dataclass(frozen=True, slots=True)
class RecordRule:
    """A rule on one column of a release: it fails when any of its tests fails; ``name`` is the reason
    code stored in ``dq_runs.record_failures``."""

    name: str
    column: Literal["title", "url", "published_at", "body_text"]
    tests: tuple[Test, ...]


RECORD_RULES = (
    RecordRule("title-missing", "title", (
        Test("title-missing", "not-null", "Every release has a title."),
        Test("title-blank", "not-blank", "No title is blank."),
    )),
    RecordRule("url-invalid", "url", (
        Test("url-missing", "not-null", "Every release has a url."),
        Test("url-off-host", "http-url", "URLs are http(s) on {hosts}."),
    )),
    RecordRule("published-at-missing", "published_at", (
        Test("published-at-missing", "not-null", "Every release has a published_at."),
    )),
    RecordRule("published-at-in-future", "published_at", (
        Test("published-at-in-future", "not-after-now",
             "No release is dated after {latest:%Y-%m-%d %H:%M} UTC (the run's time plus a day)."),
    )),
    RecordRule("body-too-short", "body_text", (
        Test("body-missing", "not-null", "Every release has a body_text."),
        Test("body-too-short", "min-chars", "Bodies have at least {min_body_chars} characters."),
    )),
)


def passes(kind: TestKind, value: object, *, now: datetime) -> bool:
    """Whether one value passes a test of ``kind`` (what GX checks of a batch, checked of one release)."""
    if kind == "not-null":
        return value is not None
    if kind == "not-blank":
        return not isinstance(value, str) or bool(value.strip())
    if kind == "http-url":
        return isinstance(value, str) and urlsplit(value).scheme in ("http", "https")
    if kind == "not-after-now":
        return not isinstance(value, datetime) or value <= now + FUTURE_TOLERANCE
    return not isinstance(value, str) or len(value.strip()) >= MIN_BODY_CHARS


def record_failures(release: Release, *, now: datetime | None = None) -> tuple[str, ...]:
    """The reason codes of the :data:`RECORD_RULES` ``release`` fails, in the table's order."""
    now = now or datetime.now(UTC)
    return tuple(
        rule.name for rule in RECORD_RULES
        if not all(passes(test.kind, getattr(release, rule.column), now=now) for test in rule.tests)
    )
