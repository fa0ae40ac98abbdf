"""The engine API other packages are written against."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from pressroom import expectations
from pressroom.expectations import ENGINE_VERSION, Check, Finding, check_release, check_text, has_errors
from pressroom.expectations.checks import DuplicatedPhrase, GarbledFragment, UnbalancedPunctuation
from pressroom.expectations.engine import default_checks, title_checks


class Exploding(Check):
    id = "exploding"
    default_severity = "warning"

    def find(self, text: str) -> list[Finding]:
        raise RuntimeError("boom")


class Fixed(Check):
    """Returns the findings it was given, to exercise the engine's ordering and overlap rules."""

    id = "fixed"
    default_severity = "error"

    def __init__(self, spans: list[tuple[str, str, int, int]]) -> None:
        super().__init__()
        self.spans = spans

    def find(self, text: str) -> list[Finding]:
        return [Finding(check, severity, s, e, text[s:e], "m") for check, severity, s, e in self.spans]  # type: ignore[arg-type]


def test_public_names_are_re_exported() -> None:
    assert set(expectations.__all__) >= {
        "Finding",
        "Severity",
        "Check",
        "check_text",
        "check_release",
        "has_errors",
        "ENGINE_VERSION",
    }
    assert isinstance(ENGINE_VERSION, str) and ENGINE_VERSION


def test_finding_is_a_frozen_slotted_record() -> None:
    finding = Finding("duplicated-phrase", "error", 0, 2, "to", "m")
    assert finding.field == "body"
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.start = 1  # type: ignore[misc]
    assert not hasattr(finding, "__dict__")


def test_default_checks_are_fresh_instances_with_stable_ids() -> None:
    checks = default_checks()
    assert [(c.id, c.severity) for c in checks] == [
        ("duplicated-phrase", "error"),
        ("garbled-fragment", "error"),
        ("unbalanced-punctuation", "error"),
        ("repeated-sentence", "error"),
        ("mojibake", "error"),
        ("markup-remnant", "error"),
        ("boilerplate", "error"),
        ("truncated-text", "error"),
        ("too-short", "error"),
        ("wrong-language", "warning"),
        ("gopher-repetition", "info"),
    ]
    assert checks[0] is not default_checks()[0]
    assert [c.id for c in title_checks()][-3:] == ["empty-title", "all-caps-title", "truncated-title"]


def test_check_rejects_unknown_thresholds_and_takes_a_severity() -> None:
    with pytest.raises(TypeError, match="no threshold named colour"):
        UnbalancedPunctuation(colour="red")
    assert GarbledFragment(severity="info").severity == "info"


def test_findings_are_sorted_and_exact_duplicate_spans_removed() -> None:
    spans = [("b", "warning", 5, 9), ("a", "info", 0, 3), ("a", "error", 5, 9), ("c", "info", 0, 1)]
    findings = check_text("0123456789", checks=[Fixed(spans)])
    assert [(f.check, f.severity, f.start, f.end) for f in findings] == [
        ("c", "info", 0, 1),
        ("a", "info", 0, 3),
        ("a", "error", 5, 9),
    ]


def test_error_inside_another_checks_error_is_downgraded_to_info() -> None:
    spans = [("outer", "error", 2, 9), ("inner", "error", 4, 5), ("apart", "error", 8, 10)]
    findings = check_text("0123456789", checks=[Fixed(spans)])
    assert [(f.check, f.severity) for f in findings] == [("outer", "error"), ("inner", "info"), ("apart", "error")]


def test_a_failing_check_is_logged_and_blocks_publishing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="pressroom.expectations.engine"):
        findings = check_text("text", checks=[Exploding()])
    assert [(f.check, f.severity, f.start, f.end) for f in findings] == [("internal-error", "error", 0, 0)]
    assert "exploding" in caplog.text
    assert has_errors(findings)


def test_checks_for_other_languages_are_skipped() -> None:
    text = "We want to to help (now."
    assert {f.check for f in check_text(text)} == {"duplicated-phrase", "unbalanced-punctuation", "too-short"}
    assert {f.check for f in check_text(text, language="fr")} == {"unbalanced-punctuation", "too-short"}


def test_field_is_set_on_every_finding() -> None:
    findings = check_text("to to", field="title", checks=[DuplicatedPhrase()])
    assert [f.field for f in findings] == ["title"]


def test_check_release_checks_body_and_title() -> None:
    findings = check_release("Secretary Blinken’s Call With With Minister", "The talks (in Rome ended.")
    findings = [f for f in findings if f.check != "too-short"]
    assert [(f.field, f.check, f.excerpt) for f in findings] == [
        ("body", "unbalanced-punctuation", "("),
        ("title", "duplicated-phrase", "With"),
    ]


def test_has_errors() -> None:
    assert not has_errors([])
    assert not has_errors([Finding("x", "warning", 0, 0, "", "m"), Finding("x", "info", 0, 0, "", "m")])
    assert has_errors(iter([Finding("x", "error", 0, 0, "", "m")]))
