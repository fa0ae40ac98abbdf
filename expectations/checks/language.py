"""`wrong-language`: the text is not in the language its source declares.

Reason shapes, both `warning`:

* Whole text — the detected language of the text (py3langid, the offline langid.py model of Lui &
  Baldwin 2012 shipped inside the wheel; no download) differs from the declared one, and the declared
  one has a normalised probability of at most `1 - min_probability` (so a text split between two close
  languages, Indonesian and Malay, still counts as not English).
* Untranslated paragraph — in a text declared English, a paragraph of at least `min_paragraph_words`
  words that is detected as another language with that probability ("Le ministre a souligné…" left in
  an English release).

Why `warning`, not `error`: detection is statistical and weak on short or name-heavy text, and a
release in another language is not a broken text; the declared language is a source setting a person
should look at. Texts and paragraphs shorter than `min_words` / `min_paragraph_words` words are not
judged (a text in a script written without spaces counts by characters: six per word).

Speed: language identification is the most expensive step of the check set (≈0.4 ms per 600
characters), so it runs on at most `sample_chars` characters, and an English-declared text or paragraph
in which at least `english_share` of the words are common English function words is accepted without
running the model (English prose runs at 40–50 %; other languages written in Latin script below 10 %).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from functools import cache
from itertools import accumulate
from typing import Any

from pressroom.expectations.analysis import Analysis
from pressroom.expectations.checks.base import Check
from pressroom.expectations.findings import Finding, Severity
from pressroom.expectations.text import word_set

ENGLISH_FUNCTION_WORDS: frozenset[str] = word_set(
    """
    the of and to in a is that for on with as by was it at be this are from has have will an which or not
    his her their its we our he she they were been also said but who would more than said
    """
)
"""Words whose share tells English prose from everything else without a model."""


@cache
def _identifier() -> Any:
    """The py3langid model with normalised probabilities, loaded once per process (from its uncompressed
    copy: `expectations.language_model`)."""
    from pressroom.expectations.language_model import load_identifier

    return load_identifier()


MODEL_TEXTS_PER_WORKER = 32
"""Texts per forked worker from which `load_model_before_fork` loads the model in the parent. 16 of the
587 State Department releases (2.7 %) reach the model, so a worker with 32 of them needs it with
probability 1 - 0.973 ** 32 ≈ 0.58: with two workers, one load in the parent then costs less than the
expected loads in the workers (each ≈ 0.06 CPU-s from the uncompressed copy, 0.5 CPU-s without it)."""


def load_model_before_fork(texts: int, workers: int) -> None:
    """Load the language model in this process when `workers` processes about to be forked from it will
    check `texts` texts between them, so that they share its pages instead of each loading it; does
    nothing for fewer than `MODEL_TEXTS_PER_WORKER` texts per worker, or a single worker, where the model
    is likely never needed. Findings are the same either way (the model is the same)."""
    if workers > 1 and texts >= MODEL_TEXTS_PER_WORKER * workers:
        _identifier()


def detect_language(text: str) -> list[tuple[str, float]]:
    """The ISO 639-1 codes of the languages of `text` with their normalised probabilities, likeliest first."""
    return [(str(language), float(probability)) for language, probability in _identifier().rank(text)]


class WrongLanguage(Check):
    """Report a text, or a paragraph of an English text, detected in another language than `expected`."""

    id = "wrong-language"
    default_severity = "warning"
    applies_to_title = False
    whole_text = True

    def __init__(
        self,
        *,
        severity: Severity | None = None,
        expected: str = "en",
        min_probability: float = 0.9,
        min_words: int = 15,
        min_paragraph_words: int = 20,
        english_share: float = 0.15,
        sample_chars: int = 800,
    ) -> None:
        super().__init__(severity=severity)
        self.expected = expected.split("-")[0].split("_")[0].casefold()
        self.min_probability = min_probability
        self.min_words = min_words
        self.min_paragraph_words = min_paragraph_words
        self.english_share = english_share
        self.sample_chars = sample_chars

    def can_block(self) -> bool:
        return self.severity == "error"  # every finding has the check's severity

    def find_in(self, analysis: Analysis) -> list[Finding]:
        text, tokens = analysis.text, analysis.tokens
        if len(tokens) < self.min_words and len(text) < self.min_words * 6:
            return []
        common = _common_counts(analysis)
        whole = self._foreign(common, 0, len(tokens), text)
        if whole is not None:
            detected, probability = whole
            message = f"text is in {detected!r} (p={probability:.2f}), the source declares {self.expected!r}"
            return [self.finding(text, 0, len(text), message)]
        if self.expected != "en":
            return []
        findings: list[Finding] = []
        for (start, end), (first, stop) in zip(analysis.paragraphs, analysis.paragraph_tokens, strict=True):
            if stop - first < self.min_paragraph_words:
                continue
            found = self._foreign(common, first, stop, text[start:end])
            if found is not None:
                detected, probability = found
                message = f"paragraph is in {detected!r} (p={probability:.2f}), the source declares 'en'"
                findings.append(self.finding(text, start, end, message))
        return findings

    def _foreign(self, common: Sequence[int], first: int, stop: int, sample: str) -> tuple[str, float] | None:
        """The detected language and probability when tokens `[first, stop)` are not in `expected`.

        `common[i]` counts the English function words among the first `i` tokens.
        """
        if (
            self.expected == "en"
            and stop > first
            and common[stop] - common[first] >= self.english_share * (stop - first)
        ):
            return None
        ranking = detect_language(_sample(sample, self.sample_chars))
        expected = next((probability for language, probability in ranking if language == self.expected), 0.0)
        detected, probability = ranking[0]
        if detected == self.expected or expected > 1 - self.min_probability:
            return None
        return detected, probability


_VECTOR_TOKENS = 64
"""Texts of at least this many tokens count function words with numpy (through the word ids other checks
use too); shorter ones word by word, so that checking them never imports numpy."""


def _common_counts(analysis: Analysis) -> Sequence[int]:
    """`counts[i]`: how many of the first `i` tokens are in `ENGLISH_FUNCTION_WORDS`, as 8-byte integers (a
    list would hold a 32-byte int object per token of a long text)."""
    folded = analysis.tokens.folded
    if len(folded) < _VECTOR_TOKENS:
        return array("q", accumulate(map(ENGLISH_FUNCTION_WORDS.__contains__, folded), initial=0))
    import numpy as np

    ids, vocabulary = analysis.word_ids
    common = np.zeros(len(ids), dtype=bool)
    common[[vocabulary[word] for word in ENGLISH_FUNCTION_WORDS if word in vocabulary]] = True
    counts = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum(common[ids], out=counts[1:])
    return counts  # type: ignore[return-value]


def _sample(text: str, limit: int) -> str:
    """At most `limit` characters from the middle of `text`, where headers and bylines are rarest."""
    if len(text) <= limit:
        return text
    start = (len(text) - limit) // 2
    return text[start : start + limit]
