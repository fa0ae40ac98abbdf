"""The record every text check returns: one defect, located by code-point offsets.

A `Finding` is born here and travels unchanged to the warehouse (`dq_findings`) and the reports, so its
fields are the contract other packages are written against. Offsets count Python code points (not UTF-16
units, not bytes) into the field text exactly as stored, so an emoji counts as one and CRLF as two.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass, replace
from typing import Literal

Severity = Literal["error", "warning", "info"]
"""`error` blocks publishing, `warning` is shown to a person, `info` is only counted as a metric."""

SEVERITY_RANK: dict[Severity, int] = {"info": 0, "warning": 1, "error": 2}
"""Order used when two findings compete for the same span: a higher rank wins."""


def milder(first: Severity, second: Severity) -> Severity:
    """The less severe of two severities."""
    return first if SEVERITY_RANK[first] <= SEVERITY_RANK[second] else second



@dataclass(frozen=True, slots=True)
class Suggestion:
    """A proposed repair: replace `text[start:end]` with `replacement`, in the same field text as its finding.

    Offsets are code points, like a finding's. A deletion has `replacement == ""`; an insertion has
    `start == end`. Invariant (kept by `expectations.repairs.attach_suggestions`): `0 <= start <= end <=
    len(text)`, and applying it to `text` removes its finding when the text is checked again.
    """

    start: int
    end: int
    replacement: str

    def apply(self, text: str) -> str:
        """`text` with this repair made."""
        return text[: self.start] + self.replacement + text[self.end :]


@dataclass(frozen=True, slots=True)
class Finding:
    """One defect in one field of a release.

    Invariants (checked by the property tests, relied on by the report's highlighter):
    `0 <= start <= end <= len(text)` and `excerpt == text[start:end]`, where `text` is the field the
    finding was raised on. Spans are capped at `MAX_SPAN` code points by `Check.finding`.
    """

    check: str
    severity: Severity
    start: int
    end: int
    excerpt: str
    message: str
    field: str = "body"
    suggestion: Suggestion | None = None
    """A mechanical repair of this defect, or None when a person has to edit the text (see
    `expectations.repairs`). Set by the engine after the checks ran, never by a check."""


def capped(
    findings: Iterable[Finding], cap: Severity, *, starts: Container[int] | None = None, others: Severity | None = None
) -> list[Finding]:
    """``findings`` with severities capped (made no more severe than a cap): at ``cap`` for those starting at
    one of ``starts`` (all of them when ``starts`` is None), at ``others`` for the rest (None: left as they
    are). How the checks soften what is speech in a transcript."""
    out = []
    for finding in findings:
        limit = cap if starts is None or finding.start in starts else others
        out.append(finding if limit is None else replace(finding, severity=milder(finding.severity, limit)))
    return out
