"""`garbled-fragment`: a sentence broken by a stray full stop, or a stray copy of a sentence's tail.

Two reason shapes, each reported on the fragment itself:

* Lower-case continuation — "…peace and security. of the Middle.": within one line, a full stop that is
  not an abbreviation, initial or enumerator is followed by a sentence starting with a lower-case word.
  Not a defect when that word is a brand or mixed-case word ("eVisa", "iPhone", "e-Gov", "mRNA"), a
  name particle ("von der Leyen", "al-Assad"), a URL, domain or e-mail address, or a list marker
  ("b) …"), or when the full stop ends a list marker ("1. the first…", "Steps: 1. the first…"). A new line
  or paragraph is never read as a stray full stop: list items and headings often start lower-case.
* Stray tail — "…the Ministry of Foreign Affairs said. Foreign Affairs) said.": a short sentence (at most
  `max_tail_words` words, at least `min_tail_words`) on the same line whose words equal the last words of
  the sentence before it, where that tail was cut from the middle of a clause (only a space precedes
  it). "Okay, thank you. Thank you." in a transcript is spared because a comma precedes the tail; an
  exact copy of the whole previous sentence is left to a repeated-sentence check.

In a transcript (see `expectations.text.is_transcript`) both shapes are usually the transcriber
punctuating speech ("…building on our partnership. and looking for ways…") or a speaker restarting
("Humeyra Pamuk. Humeyra Pamuk."), so findings there are capped at `transcript_severity` (default
`warning`): shown, not blocking.

Thresholds are ours, tuned on the seed example and on 587 edited US State Department releases.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

from expectations.checks.base import Check
from expectations.findings import Finding, Severity, milder
from expectations.text import Sentence, Tokens, is_enumerator, is_transcript, sentences, tokenize, word_set

NAME_PARTICLES: frozenset[str] = word_set(
    """
    von van der den de del della di da dos das du le la al el bin ibn ben ter ten zu
    """
)
"""Lower-case particles that legitimately open a sentence as part of a name ("von der Leyen said")."""


class GarbledFragment(Check):
    """Report a lower-case fragment after a stray full stop, or a stray repeated sentence tail."""

    id = "garbled-fragment"
    default_severity = "error"
    languages = frozenset({"en"})

    def __init__(
        self,
        *,
        severity: Severity | None = None,
        min_tail_words: int = 2,
        max_tail_words: int = 6,
        transcript_severity: Severity = "warning",
    ) -> None:
        super().__init__(severity=severity)
        self.min_tail_words = min_tail_words
        self.max_tail_words = max_tail_words
        self.transcript_severity = transcript_severity

    def find(self, text: str) -> list[Finding]:
        tokens = tokenize(text)
        parts = sentences(text)
        findings: list[Finding] = []
        for previous, sentence in pairwise(parts):
            if sentence.separator in ("start", "line"):
                continue
            excerpt = text[sentence.start : sentence.end]
            if sentence.separator == "full-stop" and _lower_case_start(tokens, previous, sentence):
                message = f'fragment "{_short(excerpt)}" starts in lower case after a full stop'
                findings.append(self.finding(text, sentence.start, sentence.end, message))
            elif self._stray_tail(tokens, previous, sentence):
                message = f'fragment "{_short(excerpt)}" repeats the end of the sentence before it'
                findings.append(self.finding(text, sentence.start, sentence.end, message))
        if findings and is_transcript(text):
            cap = self.transcript_severity
            return [replace(f, severity=milder(f.severity, cap)) for f in findings]
        return findings

    def _stray_tail(self, tokens: Tokens, previous: Sentence, sentence: Sentence) -> bool:
        size = sentence.stop - sentence.first
        if not self.min_tail_words <= size <= self.max_tail_words:
            return False
        cut = previous.stop - size
        if cut <= previous.first:
            return False
        tail = tokens.folded[cut : previous.stop]
        if tail != tokens.folded[sentence.first : sentence.stop]:
            return False
        if not any(character.isalpha() for word in tail for character in word):
            return False
        return tokens.spaced[cut]


def _lower_case_start(tokens: Tokens, previous: Sentence, sentence: Sentence) -> bool:
    """Whether `sentence` opens with an ordinary lower-case word (see the module docstring)."""
    if sentence.first >= sentence.stop or tokens.starts[sentence.first] != sentence.start:
        return False
    word = tokens.word(sentence.first)
    if not word[0].islower() or _is_special_word(word):
        return False
    if tokens.text.startswith(("http://", "https://"), sentence.start):
        return False
    after = tokens.text[tokens.ends[sentence.first] : tokens.ends[sentence.first] + 1]
    if is_enumerator(word) and after in (")", "."):
        return False
    return not _ends_with_list_marker(tokens, previous)


def _ends_with_list_marker(tokens: Tokens, sentence: Sentence) -> bool:
    """Whether `sentence` ends in a list marker such as "1." that opens it or follows ":", ";" or ","."""
    last = sentence.stop - 1
    if last < sentence.first or tokens.ends[last] != sentence.end - 1 or not is_enumerator(tokens.word(last)):
        return False
    return last == sentence.first or any(mark in tokens.gap(last) for mark in ":;,")


def _is_special_word(word: str) -> bool:
    """Brand, mixed-case, name-particle, URL-like or dotted words may start a sentence in lower case."""
    if any(character.isupper() for character in word[1:]):
        return True
    if "." in word or "@" in word:
        return True
    head, _, rest = word.partition("-")
    return word.casefold() in NAME_PARTICLES or (bool(rest) and (len(head) == 1 or head in NAME_PARTICLES))


def _short(excerpt: str, limit: int = 60) -> str:
    return excerpt if len(excerpt) <= limit else excerpt[: limit - 1] + "…"
