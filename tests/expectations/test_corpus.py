"""The founding example and the false-alarm budget on real, professionally edited releases."""

from __future__ import annotations

import pytest

from pressroom.expectations import check_release, check_text, has_errors


def test_seed_example_has_exactly_its_four_defects(seed_text: str) -> None:
    findings = check_text(seed_text)
    errors = [(f.check, f.excerpt) for f in findings if f.severity == "error"]
    assert errors == [
        ("garbled-fragment", "Foreign Affairs) said."),
        ("duplicated-phrase", "comprehensive"),
        ("unbalanced-punctuation", "‘Naya Pakistan‘"),
        ("garbled-fragment", "of the Middle."),
    ]
    assert not [f for f in findings if f.severity == "warning"]
    for finding in findings:
        assert seed_text[finding.start : finding.end] == finding.excerpt
    assert seed_text.index("Foreign Affairs) said.") == findings[0].start
    assert seed_text.index("broad-based and comprehensive") + len("broad-based and ") == findings[2].start
    assert seed_text.index("of the Middle.") == findings[-1].start


def test_seed_stray_bracket_is_one_defect_not_two(seed_text: str) -> None:
    bracket = [f for f in check_text(seed_text) if f.excerpt == ")"]
    assert [(f.check, f.severity) for f in bracket] == [("unbalanced-punctuation", "info")]


@pytest.mark.slow
def test_state_department_releases_stay_under_the_false_alarm_budget(
    state_dept_releases: list[dict[str, str]],
) -> None:
    """At most 1 % of 587 edited releases may carry an error. Measured: 1 release, 2021 "…the United
    States. strongly supports…" (guid ?page_id=254206), a genuine stray full stop in the source."""
    assert len(state_dept_releases) == 587
    flagged = [r["guid"] for r in state_dept_releases if has_errors(check_release(r["title"], r["text"]))]
    assert len(flagged) <= 5, flagged
    assert flagged == ["https://www.state.gov/?page_id=254206"]
