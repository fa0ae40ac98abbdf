"""Property: texts made only of words, commas, conjunctions and full stops (the raw material of comma series)
never make a check raise, and so never give an `internal-error` finding in the engine."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pressroom.expectations import Check, check_text
from pressroom.expectations.engine import INTERNAL_ERROR, default_checks, title_checks

_CHECKS = {check.id: check for check in [*default_checks(), *title_checks()]}
_WORDS = ["X", "Y", "peace", "the", "in", "and", "or"]
"""Few words, so that items repeat often; "the" and "in" reach the determiner and clause-end branches."""
SEGMENTS = st.one_of(
    st.sampled_from(["and", "or", "And"]), st.lists(st.sampled_from(_WORDS), min_size=1, max_size=4).map(" ".join)
)
SENTENCES = st.lists(SEGMENTS, min_size=1, max_size=8).map(", ".join)
SERIES = st.lists(SENTENCES, min_size=1, max_size=3).map(". ".join)
"""Sentences of comma series whose segments may be a lone conjunction (", or,"), the shape that once raised."""
LOOSE = st.lists(st.sampled_from([*_WORDS, ",", ".", "\n"]), min_size=1, max_size=40).map(" ".join).map(
    lambda text: text.replace(" ,", ",").replace(" .", ".")
)
TEXTS = st.one_of(SERIES, LOOSE)


@pytest.mark.parametrize("check", _CHECKS.values(), ids=lambda check: check.id)
@settings(max_examples=300, deadline=None, database=None)
@given(text=TEXTS)
def test_no_check_raises_on_comma_series(check: Check, text: str) -> None:
    check.find(text)


@settings(max_examples=300, deadline=None, database=None)
@given(text=TEXTS)
def test_engine_gives_no_internal_error_on_comma_series(text: str) -> None:
    assert [finding for finding in check_text(text) if finding.check == INTERNAL_ERROR] == []
