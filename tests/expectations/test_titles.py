"""Title-only checks, and `check_release` applying them with field="title"."""

from __future__ import annotations

import pytest

from pressroom.expectations import check_release
from pressroom.expectations.checks import AllCapsTitle, EmptyTitle, TruncatedTitle

BODY = (
    "The Foreign Minister received the Ambassador of Chile on Monday to discuss trade, climate cooperation "
    "and preparations for the regional summit. Both sides agreed to hold consultations in Santiago later "
    "this year and to expand student exchanges between their universities."
)


def test_empty_title() -> None:
    assert [(f.check, f.severity) for f in EmptyTitle().find("  ")] == [("empty-title", "error")]
    assert EmptyTitle().find("Statement") == []


def test_all_caps_title() -> None:
    [finding] = AllCapsTitle().find("SECRETARY BLINKEN’S CALL WITH FOREIGN MINISTER")
    assert (finding.severity, finding.start) == ("warning", 0)
    for clean in ["DEPARTMENT PRESS BRIEFING – June 17, 2021", "U.S.-EU G7 NATO", "Joint Statement"]:
        assert AllCapsTitle().find(clean) == []


@pytest.mark.parametrize(
    "title", ["Secretary Blinken’s Call with the…", "Joint Statement on the", "Visit of the Minister of"]
)
def test_truncated_title(title: str) -> None:
    [finding] = TruncatedTitle().find(title)
    assert finding.severity == "warning"


@pytest.mark.parametrize("title", ["Secretary Blinken’s Call with Foreign Minister Son", "Plan A", "What We Stand For"])
def test_truncated_title_look_alikes(title: str) -> None:
    assert TruncatedTitle().find(title) == []


def test_check_release_runs_title_checks_on_the_title_only() -> None:
    findings = check_release("JOINT STATEMENT ON THE TALKS IN ROME", BODY)
    assert [(f.field, f.check) for f in findings if f.severity != "info"] == [("title", "all-caps-title")]
    assert [f.check for f in check_release("", BODY) if f.field == "title"] == ["empty-title"]
