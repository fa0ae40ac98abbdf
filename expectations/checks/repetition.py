"""`duplicated-phrase`: a word or phrase written twice in a row, or an item repeated within a list.

Two reason shapes, both reported on the second (redundant) copy:

* Immediate repetition — "to to", "the illicit supply of the illicit supply of": a run of 1 to
  `max_phrase_words` words followed at once by the same words (case-insensitive), with only spaces at the
  junction and inside both copies. A comma, full stop, dash or line break at the
  junction ("Never again, never again"; "Blinken. Blinken said"; a heading repeated by its paragraph)
  makes it deliberate or at least not this defect. Word pairs that English doubles on purpose ("had
  had", "that that", "Bora Bora") are in `allowed_doubles`; a capitalised non-function word doubled
  ("Abdullah Abdullah") is usually a name and is reported at `info` only.
  In a transcript (see `expectations.text.is_transcript`) repetition is what was said, so findings are
  capped at `transcript_severity` (default `info`).
* Restart across a sentence boundary — "…a statement by the Ministry said. the Ministry said the talks…":
  the last `min_restart_words`..`max_phrase_words` words of a sentence open the next sentence on the same
  line, each copy without punctuation inside. It is an `error` when the second copy starts in lower case
  (the writer or the machine translation restarted the clause and the full stop is stray) or when the
  earlier sentence is nothing but the phrase ("The two sides agreed. The two sides agreed to meet…").
  A next sentence that is only the phrase is left to `garbled-fragment` (a stray tail) or to
  `repeated-sentence`, so "Thank you. Thank you." stays quiet here.
  When the second copy is capitalised and the earlier sentence is longer, English also does this on
  purpose (anadiplosis: "…refugees in Costa Rica. Costa Rica also hosts…", measured on the State
  Department releases), so only phrases of at least `min_capitalised_restart_words` words are reported,
  as a `warning`. A repeat at the start of both sentences ("It is not in the interests of Israelis. It is
  not in the interests of Palestinians.") is parallelism, never this defect.
* List repetition — "a comprehensive, broad-based and comprehensive solution": in a comma-separated
  series closed by "and"/"or", the words right after the conjunction repeat the end of an earlier item.
  A list needs at least one comma before the conjunction, so "again and again", "more and more" and
  "step by step" are not lists; items after the first are at most `max_item_words` words long.

Thresholds are ours, tuned on the seed example (tests/fixtures/text/) and on 587 edited US State
Department releases, where the check must stay silent. Work per token is bounded by the thresholds, so
the check is linear in text length.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import numpy as np

from expectations.checks.base import Check
from expectations.findings import Finding, Severity, milder
from expectations.text import Sentence, Tokens, is_transcript, restart_size, sentences, tokenize, word_ids, word_set

DEFAULT_ALLOWED_DOUBLES: frozenset[str] = word_set(
    """
    had that is in do does did bora walla pago sing baden bye ha cha chop knock tut yada blah
    """
)
"""Words English doubles on purpose ("had had", "that that") or in names ("Bora Bora")."""

FUNCTION_WORDS: frozenset[str] = word_set(
    """
    a an the and or but nor of to in on at by for with from as into onto upon about over under after before
    than then so if is are was were be been being it its this that these those he she they we you i me him her
    them us our your their his my not no
    """
)
"""Words that never make a repeated phrase meaningful on their own and are not names when capitalised."""

DETERMINERS: frozenset[str] = word_set(
    """
    a an the this that these those our their its his her my your any each every some another such
    """
)
"""Words that may open a list's first item: "a comprehensive, broad-based and comprehensive solution"."""

_CONJUNCTIONS = frozenset({"and", "or"})


class DuplicatedPhrase(Check):
    """Report a phrase repeated back to back, or an item repeated within an "A, B and A" list."""

    id = "duplicated-phrase"
    default_severity = "error"
    languages = frozenset({"en"})

    def __init__(
        self,
        *,
        severity: Severity | None = None,
        max_phrase_words: int = 8,
        max_item_words: int = 4,
        max_list_items: int = 8,
        allowed_doubles: frozenset[str] = DEFAULT_ALLOWED_DOUBLES,
        transcript_severity: Severity = "info",
        min_restart_words: int = 2,
        min_capitalised_restart_words: int = 3,
    ) -> None:
        super().__init__(severity=severity)
        self.max_phrase_words = max_phrase_words
        self.max_item_words = max_item_words
        self.max_list_items = max_list_items
        self.allowed_doubles = frozenset(word.casefold() for word in allowed_doubles)
        self.transcript_severity = transcript_severity
        self.min_restart_words = min_restart_words
        self.min_capitalised_restart_words = min_capitalised_restart_words

    def find(self, text: str) -> list[Finding]:
        tokens = tokenize(text)
        findings = self._immediate(tokens) + self._in_lists(tokens) + self._restarts(tokens, sentences(text))
        if findings and is_transcript(text):
            cap = self.transcript_severity
            return [replace(f, severity=milder(f.severity, cap)) for f in findings]
        return findings

    def _immediate(self, tokens: Tokens) -> list[Finding]:
        text = tokens.text
        ids = word_ids(text)[0]
        spaced = np.fromiter(tokens.spaced, dtype=bool, count=len(tokens))
        length = len(ids)
        shortest: dict[int, int] = {}
        for size in range(min(self.max_phrase_words, length // 2), 0, -1):
            same = ids[:-size] == ids[size:]
            width = length - 2 * size + 1
            starts = same[:width] & same[size - 1 :] & spaced[size : size + width]
            shortest.update(dict.fromkeys(np.flatnonzero(starts).tolist(), size))
        findings: list[Finding] = []
        resume = 0
        for first in sorted(shortest):
            if first < resume:
                continue
            size = self._repeat_size(tokens, first, shortest[first])
            if not size:
                continue
            second = first + size
            last = second + size
            while _copies_match(tokens, last - size, last, size):
                last += size
            phrase = text[tokens.starts[first] : tokens.ends[second - 1]]
            severity: Severity | None = None
            if size == 1 and _looks_like_name(tokens, first):
                severity = "info"
            message = f'"{phrase}" written twice in a row'
            findings.append(
                self.finding(text, tokens.starts[second], tokens.ends[last - 1], message, severity=severity)
            )
            resume = last
        return findings

    def _restarts(self, tokens: Tokens, parts: tuple[Sentence, ...]) -> list[Finding]:
        """Phrases that end one sentence and open the next on the same line (see the module docstring)."""
        findings: list[Finding] = []
        for previous, sentence in pairwise(parts):
            if sentence.separator in ("start", "line"):
                continue
            size = restart_size(tokens, previous, sentence, self.max_phrase_words)
            if size < self.min_restart_words or size == sentence.stop - sentence.first:
                continue
            words = tokens.folded[sentence.first : sentence.first + size]
            if all(word in FUNCTION_WORDS for word in words):
                continue
            start, end = tokens.starts[sentence.first], tokens.ends[sentence.first + size - 1]
            severity: Severity | None = None
            if not tokens.word(sentence.first)[:1].islower() and size < previous.stop - previous.first:
                if size < self.min_capitalised_restart_words:
                    continue
                severity = milder(self.severity, "warning")
            message = f'"{tokens.text[start:end]}" repeats the end of the sentence before it'
            findings.append(self.finding(tokens.text, start, end, message, severity=severity))
        return findings

    def _repeat_size(self, tokens: Tokens, first: int, smallest: int) -> int:
        """Length of the shortest phrase from `first` that is repeated straight after it, or 0.

        `smallest` is the least size whose first words match, so shorter sizes need no test.
        """
        for size in range(smallest, self.max_phrase_words + 1):
            if not _copies_match(tokens, first, first + size, size):
                continue
            words = tokens.folded[first : first + size]
            if not any(_has_letter(word) for word in words):
                continue
            if size == 1 and (words[0] in self.allowed_doubles or (len(words[0]) == 1 and tokens.word(first) != "a")):
                continue
            return size
        return 0

    def _in_lists(self, tokens: Tokens) -> list[Finding]:
        findings: list[Finding] = []
        last = len(tokens) - 1
        ids, vocabulary = word_ids(tokens.text)
        wanted = [vocabulary[word] for word in _CONJUNCTIONS if word in vocabulary]
        reach = self.max_item_words + 1
        conjunctions = np.zeros(len(ids), dtype=bool)
        for word_id in wanted:
            conjunctions |= ids == word_id
        for index in np.flatnonzero(conjunctions).tolist():
            if not 0 < index < last or not tokens.spaced[index + 1]:
                continue
            if tokens.text.find(",", tokens.ends[index - reach] if index > reach else 0, tokens.starts[index]) < 0:
                continue  # no comma close enough before the conjunction: a single item, not a list
            items = self._items_before(tokens, index)
            if len(items) < 2:
                continue
            size = self._repeated_item_size(tokens, items, index + 1)
            if size:
                start, end = tokens.starts[index + 1], tokens.ends[index + size]
                message = f'"{tokens.text[start:end]}" repeated within a list'
                findings.append(self.finding(tokens.text, start, end, message))
        return findings

    def _items_before(self, tokens: Tokens, conjunction: int) -> list[tuple[int, int]]:
        """Token ranges of the comma-separated items before a conjunction, nearest first.

        Every item but the earliest has at most `max_item_words` words; the earliest is the (possibly
        longer) clause the list grows out of, of which only the last `max_item_words` words are kept.
        """
        items: list[tuple[int, int]] = []
        if not (tokens.spaced[conjunction] or _is_comma(tokens.gap(conjunction))):
            return items
        stop = conjunction
        while stop > 0 and len(items) < self.max_list_items:
            start = stop - 1
            while start > 0 and stop - start < self.max_item_words and tokens.spaced[start]:
                start -= 1
            items.append((start, stop))
            if start == 0 or not _is_comma(tokens.gap(start)):
                break
            stop = start
        return items

    def _repeated_item_size(self, tokens: Tokens, items: list[tuple[int, int]], first: int) -> int:
        """Number of words after the conjunction that repeat an earlier item of the list, or 0.

        The item right before the conjunction is never compared ("more and more", "the President and
        President Putin"). A middle item must be repeated whole; the earliest item only by its end, and
        only when a determiner precedes that end ("a comprehensive, broad-based and comprehensive"), so
        a noun heading a longer phrase ("LE staff, family members, employees and staff") is not an item.
        """
        folded = tokens.folded
        if any(folded[start] in _CONJUNCTIONS for start, _ in items):
            return 0
        head_start, head_stop = items[-1]
        best = 0
        for size in range(1, self.max_item_words + 1):
            stop = first + size
            if stop > len(tokens) or (size > 1 and not tokens.spaced[stop - 1]):
                break
            words = folded[first:stop]
            if all(word in FUNCTION_WORDS or not _has_letter(word) for word in words):
                continue
            middle = any(folded[start:end] == words for start, end in items[1:-1])
            cut = head_stop - size
            head = cut > head_start and folded[cut - 1] in DETERMINERS and folded[cut:head_stop] == words
            if middle or head:
                best = size
        return best


def _copies_match(tokens: Tokens, first: int, second: int, size: int) -> bool:
    """Whether the `size` words from `second` repeat those from `first` and follow them directly.

    The junction and the inside of both copies must be plain spaces on one line.
    """
    if second + size > len(tokens) or not tokens.spaced[second]:
        return False
    if tokens.folded[first : first + size] != tokens.folded[second : second + size]:
        return False
    inside = [*range(first + 1, first + size), *range(second + 1, second + size)]
    return all(tokens.spaced[index] for index in inside)


def _is_comma(gap: str) -> bool:
    return "\n" not in gap and "".join(gap.split()) == ","


def _has_letter(word: str) -> bool:
    return any(character.isalpha() for character in word)


def _looks_like_name(tokens: Tokens, first: int) -> bool:
    """A doubled capitalised content word ("Abdullah Abdullah") is more often a name than a slip."""
    return (
        tokens.word(first)[:1].isupper()
        and tokens.word(first + 1)[:1].isupper()
        and tokens.folded[first] not in FUNCTION_WORDS
    )
