"""`repeated-sentence`: a sentence or a whole paragraph that appears twice in the body.

Two reason shapes, both reported on the later copy, whose message gives the offset of the first:

* Repeated paragraph — a paragraph of at least `min_words` words whose words (case-insensitive,
  punctuation ignored) equal those of an earlier paragraph: a block pasted twice, or a page whose
  extraction picked the same element up twice. Reported once, on the whole later paragraph (capped at
  `MAX_SPAN` like every finding), and its sentences are not reported again.
* Repeated sentence — a sentence of at least `min_words` words whose words equal those of an earlier
  sentence anywhere in the body.

* Echo paragraph — a paragraph whose words are exactly those of the last sentence of the paragraph
  right before it (at least `min_echo_words`, default 2, words; the paragraph before has more): the
  sentence was written again as its own paragraph ("…later this year.\n\nTalks ended in Geneva." after
  "… Talks ended in Geneva."). When the sentence splitter did not cut where the copy starts (a heading
  or a list line without a full stop before it), the paragraph's words ending the one before is enough
  from `min_echo_tail_words` (default 4) words on. This shape is positional, so it needs none of the length, capitals or
  link exceptions below: no edited text ends a paragraph on a sentence and opens the next with nothing
  else but it. In a transcript, an echo opening with a speaker label is another speaker saying the same
  words ("Thank you." — "MR PRICE: Thank you."), which is speech and capped like short repeats.
  Boundary, from the 587 State Department releases and the GOV.UK items: no echo paragraph at all.

`min_words` (default 6, from issue 4) keeps the formulae that speakers and editors repeat on purpose
("Thank you very much.", "We will not waver.") out. Lists such as public schedules repeat their own
formula lines ("(MEDIA DETERMINED BY THE WHITE HOUSE)", "Please click here for more information.",
"…live streamed on https://…"), so a repeat is not reported when it is written in capitals, carries a
URL or a pointer to one ("click here", "for more information"), or is a paragraph on its own shorter
than `min_paragraph_words` (default 10). A heading (the first line, without a full stop) restated by
the lead sentence is not a repeat. Transcripts are speech, where "Thank you very much." and "Can you
hear me?" recur: speaker labels ("MS PORTER:\xa0") are not counted as words, and repeats of fewer than
`min_transcript_words` (default 12) words are capped at `transcript_severity` (default `info`); a
longer answer printed twice stays an error.

Measured on 587 edited US State Department releases: with these exceptions, the only repeats left are
transcript courtesies.
Linear: one dictionary lookup per sentence and per paragraph.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import lru_cache
from itertools import pairwise

from pressroom.expectations.analysis import Analysis
from pressroom.expectations.checks.base import Check
from pressroom.expectations.findings import Finding, Severity, capped
from pressroom.expectations.text import Tokens, speaker_label_end

_TERMINATORS = frozenset(".!?…\"”’')]»")
_LINK_RE = re.compile(r"://|\bwww\.|\bclick here\b|\bfor (?:more|further) information\b", re.IGNORECASE)


class RepeatedSentence(Check):
    """Report a sentence or paragraph that repeats an earlier one (see the module docstring)."""

    id = "repeated-sentence"
    default_severity = "error"
    applies_to_title = False

    def __init__(
        self,
        *,
        severity: Severity | None = None,
        min_words: int = 6,
        min_paragraph_words: int = 10,
        transcript_severity: Severity = "info",
        min_transcript_words: int = 12,
        min_echo_words: int = 2,
        min_echo_tail_words: int = 4,
    ) -> None:
        super().__init__(severity=severity)
        self.min_words = min_words
        self.min_paragraph_words = min_paragraph_words
        self.transcript_severity = transcript_severity
        self.min_transcript_words = min_transcript_words
        self.min_echo_words = min_echo_words
        self.min_echo_tail_words = min_echo_tail_words

    def find_in(self, analysis: Analysis) -> list[Finding]:
        text, tokens = analysis.text, analysis.tokens
        transcript = analysis.is_transcript
        echo_speech: set[int] = set()
        echoes = self._echoes(analysis, echo_speech, transcript=transcript)
        echoes = capped(echoes, self.transcript_severity, starts=echo_speech)
        if len(tokens) < 2 * self.min_words:
            return echoes
        speech: set[int] = set()
        findings: list[Finding] = []
        skipped: list[tuple[int, int]] = []
        seen: dict[tuple[str, ...], int] = {}
        folded = tokens.folded
        for (start, end), (first_token, stop_token) in zip(analysis.paragraphs, analysis.paragraph_tokens, strict=True):
            words = folded[first_token:stop_token]
            if len(words) < self.min_paragraph_words:
                skipped.append((start, end))
                continue
            first = seen.setdefault(words, start)
            if first != start and _is_prose(text[start:end]):
                findings.append(self.finding(text, start, end, f"paragraph repeats the one at offset {first}"))
                label = bisect_left(tokens.starts, speaker_label_end(text, start)) - first_token
                if len(words) - label < self.min_transcript_words:
                    speech.add(start)
                skipped.append((start, end))
        skipped.sort()
        seen_sentences: dict[tuple[str, ...], int] = {}
        parts = analysis.sentences
        for number, sentence in enumerate(parts):
            if sentence.stop - sentence.first < self.min_words:
                continue
            first_word = sentence.first
            if transcript:
                first_word = bisect_left(tokens.starts, speaker_label_end(text, sentence.start), sentence.first)
                if sentence.stop - first_word < self.min_words:
                    continue
            words = tokens.folded[first_word : sentence.stop]
            if number == 0 and text[sentence.end - 1] not in _TERMINATORS:
                continue  # a heading: the lead sentence may restate it
            first = seen_sentences.setdefault(words, sentence.start)
            if first == sentence.start:
                continue
            index = bisect_right(skipped, (sentence.start, len(text))) - 1
            if index >= 0 and skipped[index][0] <= sentence.start < skipped[index][1]:
                continue  # inside a paragraph already reported (or too short): cheaper than the prose test
            if not _is_prose(text[sentence.start : sentence.end]):
                continue
            message = f"sentence repeats the one at offset {first}"
            findings.append(self.finding(text, sentence.start, sentence.end, message))
            if sentence.stop - first_word < self.min_transcript_words:
                speech.add(sentence.start)
        if speech and transcript:
            findings = capped(findings, self.transcript_severity, starts=speech)
        return echoes + findings


    def _echoes(self, analysis: Analysis, speech: set[int], *, transcript: bool) -> list[Finding]:
        """Echo paragraphs (module docstring); echoes that are another speaker's turn go into `speech`."""
        text, tokens = analysis.text, analysis.tokens
        spans = analysis.paragraphs
        if len(spans) < 2:
            return []
        parts = analysis.sentences
        ends = [sentence.end for sentence in parts]
        folded = tokens.folded
        findings: list[Finding] = []
        for ((_, previous_end), (start, end)), ((previous_first, previous_stop), (first_token, stop_token)) in zip(
            pairwise(spans), pairwise(analysis.paragraph_tokens), strict=True
        ):
            label = speaker_label_end(text, start) if transcript else start
            words = folded[first_token:stop_token] if label == start else _words(tokens, label, end)
            size = len(words)
            before = folded[previous_first:previous_stop]
            if size < self.min_echo_words or len(before) <= size or before[-size:] != words:
                continue
            index = bisect_left(ends, previous_end)
            whole = index < len(parts) and ends[index] == previous_end and words == _words(
                tokens, parts[index].start, parts[index].end
            )
            if not whole and size < self.min_echo_tail_words:
                continue
            first = tokens.starts[previous_stop - size]
            message = f"paragraph repeats the words that end the one before (offset {first})"
            findings.append(self.finding(text, start, end, message))
            if label != start:
                speech.add(start)
        return findings


_LINK_WORDS = ("://", "www.", "click here", "information")
"""Lower-case text every `_LINK_RE` match contains once lower-cased, unless the text has one of
`_FOLDS_TO_ASCII`, the characters that `re.IGNORECASE` matches with an ASCII letter ("ı" with "i", the
Kelvin sign with "k")."""
_FOLDS_TO_ASCII = ("\u0130", "\u0131", "\u017f", "\u212a")


@lru_cache(maxsize=256)
def _is_prose(excerpt: str) -> bool:
    """Not written in capitals and free of URLs and link text: formula lines of lists are not prose.

    Asked only of a sentence or paragraph that repeats an earlier one, so the same excerpts come again
    and again in a text pasted many times over; cached (a few hundred excerpts, so bounded memory)."""
    if not any(character.islower() for character in excerpt):
        return False
    lowered = excerpt.lower()
    if not any(word in lowered for word in _LINK_WORDS) and not any(odd in excerpt for odd in _FOLDS_TO_ASCII):
        return True
    return _LINK_RE.search(excerpt) is None


def _words(tokens: Tokens, start: int, end: int) -> tuple[str, ...]:
    """The case-folded words lying inside `[start, end)`."""
    return tokens.folded[bisect_left(tokens.starts, start) : bisect_right(tokens.ends, end)]
