"""Properties of suggested repairs on any input: inside the text, applicable, and `--fix` reaches a fixed point."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from pressroom.expectations import check_release, check_text
from pressroom.expectations.fixes import apply_suggestions, fix_text, non_overlapping
from tests.expectations.test_properties import TEXTS

WORDS = st.sampled_from(
    [
        "the", "talks", "trade", "open", "and", "or", "minister", "said", "Foreign", "Affairs", "peace",
        "security", "of", "region", "stable", "a", "comprehensive", "broad-based", "Pakistan", "Chile",
    ]
)  # fmt: skip
JOINS = st.sampled_from(
    [" ", " ", " ", ", ", ". ", " and ", ") ", "\n", "\n\n", " “", "“ ", " ‘", "‘ ", " <p>", " &amp;"]
)
PROSE = st.lists(st.tuples(WORDS, JOINS), min_size=1, max_size=40).map(
    lambda pairs: "".join(word + join for word, join in pairs).strip() + "."
)
"""Short texts from a small vocabulary, so that repeats, restarts, fragments and lists, which the repair rules
act on, are frequent."""
INPUTS = st.one_of(TEXTS, PROSE)


@settings(max_examples=150, deadline=None, database=None)
@given(text=INPUTS)
def test_suggestions_lie_inside_the_text_and_apply(text: str) -> None:
    findings = check_text(text)
    for finding in findings:
        if finding.suggestion is not None:
            assert 0 <= finding.suggestion.start <= finding.suggestion.end <= len(text), finding
            assert finding.severity == "error"
            finding.suggestion.apply(text)
    apply_suggestions(text, [f.suggestion for f in non_overlapping(findings) if f.suggestion is not None])


@settings(max_examples=100, deadline=None, database=None)
@given(text=INPUTS)
def test_suggestions_change_no_finding(text: str) -> None:
    plain = check_text(text, suggest=False)
    assert [dataclasses.replace(f, suggestion=None) for f in check_text(text)] == plain


@settings(max_examples=100, deadline=None, database=None)
@given(title=INPUTS, body=INPUTS)
def test_release_suggestions_lie_in_their_field(title: str, body: str) -> None:
    for finding in check_release(title, body):
        field_text = body if finding.field == "body" else title
        if finding.suggestion is not None:
            assert finding.suggestion.end <= len(field_text)


@settings(max_examples=150, deadline=None, database=None)
@given(text=INPUTS)
def test_fixed_text_has_no_finding_left_with_a_suggestion(text: str) -> None:
    result = fix_text(text, check_text)
    assert result.converged
    assert not [f for f in check_text(result.text) if f.suggestion is not None]
    if any(f.suggestion is not None for f in check_text(text)):
        assert result.repairs
    else:
        assert result.text == text and not result.repairs
