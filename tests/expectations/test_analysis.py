"""The one `Analysis` per text that every check reads (issue 14), and the shortcuts built on it.

* The parts of an `Analysis` are those of the plain functions of `expectations.text`.
* Sharing one `Analysis` between all checks gives each the findings it gives alone on a fresh one (no
  check changes what it reads), on generated texts and on the labelled corpus.
* A check defines `find` or `find_in`; a class with neither is refused when it is made.
* A check that says it cannot block (`Check.can_block`) never reports an `error`, so the suggestion
  proof, which rechecks only checks that can block, proves exactly what a recheck with every check
  proves.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pressroom.expectations import Check, Finding, check_text
from pressroom.expectations import text as text_module
from pressroom.expectations.analysis import Analysis
from pressroom.expectations.checks import GopherRepetition, NearDuplicateRelease, WrongLanguage
from pressroom.expectations.engine import _find, default_checks, title_checks
from pressroom.expectations.fixes import attach_suggestions

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus" / "corpus.jsonl"
PIECES = [
    "the", "The", "of", "peace", "and", "to", "a", "security", "U.S.", "Dr.", "1.", "said", "QUESTION:",
    "(", ")", "“", "”", "’s", "in in", "Read more", "&amp;", "Ã©", "Le ministre a souligné",
]
GAPS = [" ", " ", " ", ", ", ". ", "\n", "\n\n", " \n", "\r\n", "? "]


@st.composite
def texts(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(st.sampled_from(PIECES), max_size=60))
    gaps = draw(st.lists(st.sampled_from(GAPS), min_size=len(pieces), max_size=len(pieces)))
    return "".join(gap + piece for gap, piece in zip(gaps, pieces, strict=True))


def _corpus() -> list[str]:
    return [json.loads(line)["text"] for line in CORPUS.read_text(encoding="utf-8").splitlines()]


@settings(max_examples=150, deadline=None)
@given(texts())
def test_the_parts_of_an_analysis_are_those_of_the_text_functions(text: str) -> None:
    analysis = Analysis(text)
    assert analysis.tokens == text_module.tokenize(text)
    assert analysis.sentences == text_module.sentences(text)
    assert analysis.paragraphs == text_module.paragraphs(text)
    assert analysis.is_transcript == text_module.is_transcript(text)
    assert analysis.wrapped_joins == text_module.wrapped_joins(text)
    assert analysis.url_spans == text_module.url_spans(text)
    ids, vocabulary = analysis.word_ids
    assert ids.tolist() == [vocabulary[word] for word in analysis.tokens.folded]


def _alone_and_shared(text: str) -> None:
    checks = [*default_checks(), *title_checks()]
    shared = Analysis(text)
    for check in checks:
        assert check.find_in(shared) == check.find(text), check.id
    assert _find(Analysis(text), "en", checks, "body") == _find(Analysis(text), "en", list(reversed(checks)), "body")


@settings(max_examples=60, deadline=None)
@given(texts())
def test_checks_sharing_one_analysis_find_what_each_finds_alone(text: str) -> None:
    _alone_and_shared(text)


def test_checks_sharing_one_analysis_find_what_each_finds_alone_on_the_corpus() -> None:
    for text in _corpus()[:40]:
        _alone_and_shared(text)


def test_a_check_must_define_find_or_find_in() -> None:
    with pytest.raises(TypeError, match="find"):

        class Nothing(Check):  # pragma: no cover - refused while the class is made
            id = "nothing"
            default_severity = "error"

    class OnText(Check):
        id = "on-text"
        default_severity = "error"

        def find(self, text: str) -> list[Finding]:
            return [self.finding(text, 0, len(text), "whole")] if text else []

    assert OnText().find_in(Analysis("abc")) == OnText().find("abc")


@settings(max_examples=100, deadline=None)
@given(texts())
def test_a_check_that_cannot_block_reports_no_error(text: str) -> None:
    quiet = [check for check in default_checks("fr") if not check.can_block()]
    assert {check.id for check in quiet} == {"gopher-repetition", "wrong-language"}
    for check in quiet:
        assert all(finding.severity != "error" for finding in check.find(text)), check.id
    assert GopherRepetition(severity="error").can_block() and WrongLanguage(severity="error").can_block()


def test_the_proof_with_blocking_checks_only_proves_what_a_full_recheck_proves(seed_text: str) -> None:
    checks = default_checks()
    proven = 0
    for text in [seed_text, *_corpus()]:
        found = check_text(text, checks=checks)
        bare = check_text(text, checks=checks, suggest=False)
        if any(finding.severity == "error" for finding in bare):
            full = attach_suggestions(text, bare, lambda repaired: _find(Analysis(repaired), "en", checks, "body"))
            assert found == full
            proven += sum(finding.suggestion is not None for finding in found)
    assert proven >= 4


def test_the_near_duplicate_check_reads_the_shared_tokens_as_its_own() -> None:
    texts = _corpus()[:12]
    index = NearDuplicateRelease([(str(number), text) for number, text in enumerate(texts)])
    found = 0
    for number, text in enumerate(texts):
        view = index.excluding(str(number))
        assert view.find_in(Analysis(text)) == view.find(text)
        found += len(index.find_in(Analysis(text)))
    assert found >= len(texts)  # each text is at least its own near-duplicate when not excluded


@pytest.mark.parametrize(("threshold", "num_perm"), [(0.8, 128), (0.5, 64), (0.95, 256)])
def test_the_near_duplicate_index_has_the_bands_datasketch_would_pick(threshold: float, num_perm: int) -> None:
    from datasketch import MinHashLSH

    own = MinHashLSH(threshold=threshold, num_perm=num_perm)
    for _ in range(2):  # the second index reuses the bands found for the first
        index = NearDuplicateRelease([("1", "one two three four five six seven")], threshold=threshold,
                                     num_perm=num_perm)
        assert (index._index.b, index._index.r) == (own.b, own.r)
