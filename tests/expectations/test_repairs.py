"""Suggested repairs, one family at a time: the repaired text, and where no repair may be suggested."""

from __future__ import annotations

import pytest

from pressroom.expectations import check_text
from pressroom.expectations.findings import Finding, Suggestion
from pressroom.expectations.fixes import apply_suggestions, attach_suggestions, diff_line, fix_text
from pressroom.expectations.repairs import propose

LEAD = "The Foreign Minister opened the annual trade forum in the capital on Thursday morning."
TAIL = "Delegations from eleven countries attended the opening session and the evening reception."


def repaired(defective: str, check: str) -> str | None:
    """The text after applying the suggestion of the (single) `check` finding, or None without one."""
    text = f"{LEAD} {defective}\n\n{TAIL}"
    [finding] = [f for f in check_text(text) if f.check == check and f.severity != "info"]
    if finding.suggestion is None:
        return None
    fixed = finding.suggestion.apply(text)
    assert fixed.startswith(LEAD + " ") and fixed.endswith("\n\n" + TAIL)
    return fixed[len(LEAD) + 1 : -len(TAIL) - 2]


@pytest.mark.parametrize(
    ("defective", "expected"),
    [
        ("She thanked the the hosts for their welcome.", "She thanked the hosts for their welcome."),
        ("Talks covered the supply of the supply of grain.", "Talks covered the supply of grain."),
        (
            "Ministers discussed tariffs on steel, discussed tariffs on steel, and fisheries.",
            "Ministers discussed tariffs on steel, and fisheries.",
        ),
        (
            "The envoy welcomed the trade delegation. the trade delegation from the northern provinces.",
            "The envoy welcomed the trade delegation from the northern provinces.",
        ),
        (
            "They backed a stable, secure and stable border region.",
            "They backed a stable and secure border region.",
        ),
        (
            "Flights link Lima, Quito, Bogota, Quito and Caracas every week.",
            "Flights link Lima, Quito, Bogota and Caracas every week.",
        ),
    ],
)
def test_duplicated_phrase(defective: str, expected: str) -> None:
    assert repaired(defective, "duplicated-phrase") == expected


def test_garbled_fragment_rejoins_a_sentence_cut_by_a_stray_full_stop() -> None:
    defective = "The two ministers reviewed progress on. the joint water commission and its budget."
    expected = "The two ministers reviewed progress on the joint water commission and its budget."
    assert repaired(defective, "garbled-fragment") == expected


def test_garbled_fragment_drops_a_stray_copy_of_the_tail() -> None:
    defective = "The forum was organised by the national Chamber of Commerce. Chamber of Commerce."
    assert repaired(defective, "garbled-fragment") == "The forum was organised by the national Chamber of Commerce."


def test_garbled_fragment_leaves_a_displaced_modifier_to_a_person() -> None:
    """Rejoining "…Eastern peace and security. of the Middle." would publish a wrong sentence."""
    defective = "The crisis threatens Western stability and growth. of the Balkans."
    assert repaired(defective, "garbled-fragment") is None


def test_unbalanced_quote_gets_its_closing_mark() -> None:
    assert repaired("He called it a “turning point“ for the region.", "unbalanced-punctuation") == (
        "He called it a “turning point” for the region."
    )
    assert repaired("The plan, ‘Green Corridor‘, was approved.", "unbalanced-punctuation") == (
        "The plan, ‘Green Corridor’, was approved."
    )


def test_stray_bracket_needs_a_person() -> None:
    assert repaired("The accord was signed by both sides) in Oslo last week.", "unbalanced-punctuation") is None


def test_mojibake_is_repaired_by_ftfy_and_lost_bytes_are_not_guessed() -> None:
    assert repaired("The ministerâ€™s visit ended on a positive note.", "mojibake") == (
        "The minister’s visit ended on a positive note."
    )
    assert repaired("The envoy visited SÃ£o Paulo and Recife.", "mojibake") == "The envoy visited São Paulo and Recife."
    assert repaired("The envoy visited Bras\ufffdlia last week.", "mojibake") is None


@pytest.mark.parametrize(
    ("defective", "expected"),
    [
        ("The talks <strong>ended</strong> early.", None),
        ("The summit closed with a <br> joint statement.", "The summit closed with a joint statement."),
        ("Trade with AT&amp;T partners grew.", "Trade with AT&T partners grew."),
        ("The minister&rsquo;s remarks were welcomed.", "The minister’s remarks were welcomed."),
        ("Both sides <!-- teaser --> agreed to meet again.", "Both sides agreed to meet again."),
    ],
)
def test_markup_remnant(defective: str, expected: str | None) -> None:
    text = f"{LEAD} {defective}\n\n{TAIL}"
    findings = [f for f in check_text(text) if f.check == "markup-remnant"]
    fixed = fix_text(text, check_text).text
    if expected is None:
        assert "<" not in fixed and "ended early" in fixed
    else:
        assert fixed == f"{LEAD} {expected}\n\n{TAIL}"
    assert findings and all(f.suggestion is not None for f in findings)


def test_script_line_is_removed_with_its_line_break() -> None:
    text = f"{LEAD}\n\nvar _gaq = _gaq || [];\n\n{TAIL}"
    assert fix_text(text, check_text).text == f"{LEAD}\n\n{TAIL}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Print this page\n\n{LEAD}\n\n{TAIL}", f"{LEAD}\n\n{TAIL}"),
        (f"{LEAD}\n\nShare on Facebook\n\n{TAIL}", f"{LEAD}\n\n{TAIL}"),
        (f"{LEAD}\n\n{TAIL}\n\nBack to top\n", f"{LEAD}\n\n{TAIL}\n"),
        (f"{LEAD} Continue reading\n\n{TAIL}", f"{LEAD}\n\n{TAIL}"),
        (f"{LEAD}\r\n\r\nAccept all cookies\r\n\r\n{TAIL}", f"{LEAD}\r\n\r\n{TAIL}"),
    ],
)
def test_boilerplate_line_is_removed(text: str, expected: str) -> None:
    [finding] = [f for f in check_text(text) if f.check == "boilerplate"]
    assert finding.suggestion is not None
    assert finding.suggestion.apply(text) == expected


def test_repeated_sentence_and_paragraph_drop_the_later_copy() -> None:
    sentence = "The ministers agreed to open a new consulate in the port city next spring."
    text = f"{LEAD} {sentence}\n\n{TAIL} {sentence}"
    assert fix_text(text, check_text).text == f"{LEAD} {sentence}\n\n{TAIL}"
    text = f"{LEAD} {sentence}\n\n{TAIL}\n\n{LEAD} {sentence}\n\nThe forum closes on Sunday."
    assert fix_text(text, check_text).text == f"{LEAD} {sentence}\n\n{TAIL}\n\nThe forum closes on Sunday."


def test_lost_text_gets_no_suggestion() -> None:
    cut = f"{LEAD}\n\nThe two delegations agreed to expand cooperation in the"
    dangling = f"{LEAD} The ministers will meet again before the.\n\n{TAIL}"
    for text in (cut, dangling):
        errors = [f for f in check_text(text) if f.severity == "error"]
        assert errors and all(f.suggestion is None for f in errors)


def test_warnings_and_info_are_never_repaired() -> None:
    text = f"{LEAD} The delegates flew to Costa Rica. Costa Rica hosts the regional office.\n\n{TAIL}"
    findings = check_text(text)
    assert all(f.suggestion is None for f in findings if f.severity != "error")
    name = Finding("duplicated-phrase", "info", 0, 4, "Abdu", "m")
    assert propose("Abdu Abdu spoke.", name) is None


def test_a_proposal_that_does_not_remove_its_finding_is_dropped() -> None:
    """Repairs are proven by checking again, so a rule out of step with detection cannot suggest."""
    text = "alpha beta beta gamma"
    finding = Finding("duplicated-phrase", "error", 11, 15, "beta", "m")
    def stubborn(_: str) -> list[Finding]:
        return [Finding("duplicated-phrase", "error", 6, 10, "beta", "m")]

    def gone(_: str) -> list[Finding]:
        return []

    def new_error(_: str) -> list[Finding]:
        return [Finding("mojibake", "error", 0, 5, "alpha", "m")]

    assert attach_suggestions(text, [finding], stubborn)[0].suggestion is None
    assert attach_suggestions(text, [finding], gone)[0].suggestion == Suggestion(10, 15, "")
    assert attach_suggestions(text, [finding], new_error)[0].suggestion is None


def test_apply_suggestions_refuses_overlaps_and_diff_line_is_one_line() -> None:
    text = "one two\nthree"
    assert apply_suggestions(text, [Suggestion(4, 8, ""), Suggestion(0, 3, "1")]) == "1 three"
    with pytest.raises(ValueError, match="overlaps"):
        apply_suggestions(text, [Suggestion(0, 5, ""), Suggestion(4, 6, "")])
    assert diff_line(text, Suggestion(3, 8, " ")) == "one[- two⏎-]{+ +}three"


def test_seed_example_three_repairs_and_one_edit(seed_text: str) -> None:
    result = fix_text(seed_text, check_text)
    assert sorted(repair.finding.check for repair in result.repairs) == [
        "duplicated-phrase",
        "garbled-fragment",
        "unbalanced-punctuation",
    ]
    assert "comprehensive and broad-based political solution" in result.text
    assert "Foreign Affairs said.\n\n" in result.text and "‘Naya Pakistan’" in result.text
    [left] = [f for f in result.remaining if f.severity == "error"]
    assert (left.check, left.excerpt, left.suggestion) == ("garbled-fragment", "of the Middle.", None)
    assert result.converged and [f for f in check_text(result.text) if f.severity != "info"] == [left]
