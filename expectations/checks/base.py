"""The base class every text check derives from.

A check is a small pure object: a stable `id` (the reason code stored with each finding), a default
severity, thresholds given as keyword arguments to the constructor, and `find(text)`, which returns spans.
It keeps no state between calls, so one instance may be shared by threads and runs.

The engine calls `find_in(analysis)` instead, with the one `expectations.analysis.Analysis` of the text
that all checks share (tokens, sentences, paragraphs… computed once). A check implements whichever of
the two it needs: one that reads only the raw text implements `find`; one built on the shared parts
implements `find_in`, and `find(text)` then analyses the text for it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pressroom.expectations.analysis import Analysis
from pressroom.expectations.findings import Finding, Severity

MAX_SPAN = 200
"""Longest span a finding may cover, in code points; longer defects are reported by their first 200."""


class Check:
    """A text-quality check.

    Subclasses set `id` and `default_severity`, declare their thresholds as keyword-only constructor
    parameters (calling `super().__init__(severity=severity)`), and implement `find` or `find_in`
    (the module docstring says which; defining neither is a `TypeError` when the class is made).

    Contract of `find(text)` and of `find_in(analysis)`: pure; never raises on any `str` (including
    lone surrogates, NUL, CRLF); every finding lies inside the text and carries
    `excerpt == text[start:end]`; `find(text) == find_in(Analysis(text))`.

    `whole_text` marks checks whose findings are about the text as a whole (its length, language,
    metrics, a near-duplicate): their span only shows where to look, so the engine never treats another
    finding inside it as the same defect.

    `languages` limits a check to texts in those ISO 639-1 languages (None: any language), because word
    lists such as abbreviations or legitimate reduplications are language-specific. `applies_to_title`
    says whether `check_release` also runs the check on the title.
    """

    id: ClassVar[str]
    default_severity: ClassVar[Severity]
    languages: ClassVar[frozenset[str] | None] = None
    applies_to_title: ClassVar[bool] = True
    whole_text: ClassVar[bool] = False

    def __init__(self, *, severity: Severity | None = None, **thresholds: Any) -> None:
        if thresholds:
            names = ", ".join(sorted(thresholds))
            raise TypeError(f"{type(self).__name__} has no threshold named {names}")
        self.severity: Severity = severity if severity is not None else self.default_severity

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.find is Check.find and cls.find_in is Check.find_in:
            raise TypeError(f"{cls.__name__} must implement find(text) or find_in(analysis)")

    def find(self, text: str) -> list[Finding]:
        """Return the defects in `text`, each as a span (see the class docstring for the contract)."""
        return self.find_in(Analysis(text))

    def find_in(self, analysis: Analysis) -> list[Finding]:
        """`find(analysis.text)`, reading the parts of the text that the checks share from `analysis`."""
        return self.find(analysis.text)

    def can_block(self) -> bool:
        """Whether a finding of this check may have severity `error`. The engine's proof of a suggestion
        looks only at errors, so its rechecks skip checks that cannot block (metrics, say)."""
        return True

    def supports(self, language: str) -> bool:
        """Whether this check is meaningful for texts in `language` (an ISO 639-1 code)."""
        return self.languages is None or language.casefold() in self.languages

    def finding(
        self,
        text: str,
        start: int,
        end: int,
        message: str,
        *,
        severity: Severity | None = None,
    ) -> Finding:
        """Build a finding on `text[start:end]`, clamped into the text and capped at `MAX_SPAN`."""
        start = min(max(start, 0), len(text))
        end = min(max(end, start), len(text), start + MAX_SPAN)
        return Finding(
            check=self.id,
            severity=severity if severity is not None else self.severity,
            start=start,
            end=end,
            excerpt=text[start:end],
            message=message,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(severity={self.severity!r})"
