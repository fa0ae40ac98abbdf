"""`gopher-repetition`: the Gopher repetition statistics of a document, reported as `info` metrics.

Rae et al. 2021, "Scaling Language Models: Methods, Analysis & Insights from Training Gopher"
(arXiv:2112.11446), Table A1, removes a web document when any of these exceeds its threshold (the
same values as datatrove's `GopherRepetitionFilter`, which cites the table):

    duplicate line fraction                 0.30    top 2-gram character fraction      0.20
    duplicate paragraph fraction            0.30    top 3-gram character fraction      0.18
    duplicate line character fraction       0.20    top 4-gram character fraction      0.16
    duplicate paragraph character fraction  0.20    duplicate 5-gram character fraction 0.15
                                                    duplicate 6..10-gram char fractions 0.14, 0.13, 0.12, 0.11, 0.10

`document_metrics(text)` computes all thirteen; `GopherRepetition.find` returns one `info` finding per metric above
its threshold, on the start of the text (capped at `MAX_SPAN`), whose message carries the value and the threshold, for
texts of at least `min_words` words (50, Gopher's own minimum document length: on a few sentences every fraction is
large). They never block publishing: the thresholds were set for web crawl, where long documents dilute repetition,
and press releases are short and formulaic.

Definitions follow datatrove: lines split on runs of "\\n", paragraphs on two or more (after CRLF and
CR become "\\n"); a fraction of
characters is over `len(text)`; a top n-gram's characters are its length with single spaces times its
count; duplicate n-gram characters are counted walking left to right, skipping `n` words after a
duplicate. Two deliberate differences: words are our case-folded tokens (`expectations.text.tokenize`,
punctuation excluded) rather than spaCy's, and an n-gram counts as already seen when it occurs at any
earlier position, including inside a skipped run. n-grams are compared through 64-bit polynomial hashes
(numpy) and the walk goes run by run, so the metrics cost a few vector operations per n rather than a
Python object per n-gram. An n-gram longer than five can only repeat where its first five words do, so
from n = 6 on only those positions are compared, and once no n-gram repeats no longer one can.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from pressroom.expectations.analysis import Analysis
from pressroom.expectations.checks.base import Check
from pressroom.expectations.findings import Finding, Severity

if TYPE_CHECKING:
    import numpy as np

GOPHER_THRESHOLDS: dict[str, float] = {
    "dup_line_frac": 0.30,
    "dup_para_frac": 0.30,
    "dup_line_char_frac": 0.20,
    "dup_para_char_frac": 0.20,
    "top_2_gram_char_frac": 0.20,
    "top_3_gram_char_frac": 0.18,
    "top_4_gram_char_frac": 0.16,
    "dup_5_gram_char_frac": 0.15,
    "dup_6_gram_char_frac": 0.14,
    "dup_7_gram_char_frac": 0.13,
    "dup_8_gram_char_frac": 0.12,
    "dup_9_gram_char_frac": 0.11,
    "dup_10_gram_char_frac": 0.10,
}
"""Rae et al. 2021, Table A1: a document is removed when a metric exceeds its value."""

_MULTIPLIER = 0x9E3779B97F4A7C15
"""The odd constant of the polynomial hash (as a numpy uint64 when used; numpy is imported only by a
text long enough to be measured, so a command checking short texts never loads it)."""
_PARAGRAPH_RE = re.compile(r"\n\n+")


def document_metrics(text: str, analysis: Analysis | None = None) -> dict[str, float]:
    """The thirteen Gopher repetition metrics of `text` (keys of `GOPHER_THRESHOLDS`), each in [0, 1];
    `analysis`, when given, is that of `text`, whose tokens and word ids are used."""
    if analysis is None:
        analysis = Analysis(text)
    metrics = dict.fromkeys(GOPHER_THRESHOLDS, 0.0)
    size = len(text)
    if not text.strip():
        return metrics
    flat = text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text
    paragraphs = _PARAGRAPH_RE.split(flat.strip())
    count, chars = _duplicates(paragraphs)
    metrics["dup_para_frac"] = count / len(paragraphs)
    metrics["dup_para_char_frac"] = chars / size
    lines = list(filter(None, flat.split("\n"))) or [flat]
    count, chars = _duplicates(lines)
    metrics["dup_line_frac"] = count / len(lines)
    metrics["dup_line_char_frac"] = chars / size
    words = analysis.tokens.folded
    if len(words) < 2:
        return metrics
    import numpy as np

    multiplier = np.uint64(_MULTIPLIER)
    word_ids, vocabulary = analysis.word_ids
    offsets = _offsets(word_ids, vocabulary)
    ids = word_ids.astype(np.uint64)
    hashes = ids * multiplier
    candidates = np.arange(len(words))
    for n in range(2, min(len(words), 10) + 1):
        hashes = hashes[:-1] * multiplier + ids[n - 1 :]
        if n <= 4:
            top, position = _most_frequent(hashes)
            chars = int(offsets[position + n] - offsets[position]) + n - 1
            metrics[f"top_{n}_gram_char_frac"] = top * chars / size
            continue
        candidates = candidates[candidates < len(hashes)]
        repeated = _repeated(hashes[candidates])
        if repeated is None:
            break
        later, more_than_once = repeated
        metrics[f"dup_{n}_gram_char_frac"] = _duplicate_gram_chars(candidates[later], offsets, n) / size
        candidates = candidates[more_than_once]
    return metrics


def _offsets(word_ids: np.ndarray, vocabulary: dict[str, int]) -> np.ndarray:
    """`offsets[i]`: the length of the first `i` words, from the length of each distinct word (one Python
    step a distinct word, not one a word)."""
    import numpy as np

    lengths = np.zeros(len(word_ids), dtype=np.int64)
    lengths[np.fromiter(vocabulary.values(), dtype=np.int64, count=len(vocabulary))] = np.fromiter(
        map(len, vocabulary), dtype=np.int64, count=len(vocabulary)
    )
    offsets = np.zeros(len(word_ids) + 1, dtype=np.int64)
    np.cumsum(lengths[word_ids], out=offsets[1:])
    return offsets


def _duplicates(items: list[str]) -> tuple[int, int]:
    """How many of `items` repeat an earlier one, and their total length."""
    counts = Counter(items)
    if len(counts) == len(items):
        return 0, 0
    repeated = [(item, count - 1) for item, count in counts.items() if count > 1]
    return sum(extra for _, extra in repeated), sum(len(item) * extra for item, extra in repeated)


def _runs(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first index and the length of each run of equal values in the sorted, non-empty `ordered`.

    Built from plain array methods: on release-sized arrays numpy's per-call overhead (`np.unique`,
    `np.diff`) costs more than the work."""
    import numpy as np

    breaks = (ordered[1:] != ordered[:-1]).nonzero()[0]
    bounds = np.empty(len(breaks) + 2, dtype=np.intp)
    bounds[0] = 0
    bounds[1:-1] = breaks + 1
    bounds[-1] = len(ordered)
    return bounds[:-1], bounds[1:] - bounds[:-1]


def _most_frequent(values: np.ndarray) -> tuple[int, int]:
    """The highest count of a value in the non-empty `values` and the first index of a value with that count."""
    import numpy as np

    ordered = np.sort(values)
    starts, counts = _runs(ordered)
    top = int(counts.max())
    if top == 1:
        return 1, 0
    tops = ordered[starts[counts == top]]
    if len(tops) == 1:
        return top, int((values == tops[0]).argmax())
    index = np.searchsorted(tops, values)
    np.minimum(index, len(tops) - 1, out=index)
    return top, int((tops[index] == values).argmax())


_STABLE_SORT_FROM = 1 << 16
"""`_repeated` orders arrays of at least this many values with numpy's stable sort (timsort for 64-bit
values), which uses the runs of a long repetitive text (a release pasted over and over: the 20 MB bench
file) and there takes about two thirds of the time of the default introsort; on release-sized arrays
the default is faster. The masks depend only on which values are equal, not on the order of equal
ones, so either sort gives the same."""


def _repeated(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """None when `values` are all distinct; otherwise two masks over them: the values that repeat an
    earlier one, and the values that occur more than once."""
    import numpy as np

    order = values.argsort(kind="stable" if len(values) >= _STABLE_SORT_FROM else None)
    starts, counts = _runs(values[order])
    if len(starts) == len(values):
        return None
    later = np.ones(len(values), dtype=bool)
    later[np.minimum.reduceat(order, starts)] = False
    more_than_once = np.empty(len(values), dtype=bool)
    more_than_once[order] = np.repeat(counts > 1, counts)
    return later, more_than_once


def _duplicate_gram_chars(positions: np.ndarray, offsets: np.ndarray, n: int) -> int:
    """Characters (without spaces) of the n-grams at `positions` (ascending: those that repeat an earlier
    one), walking left to right and skipping `n` words after each; `offsets[i]` is the length of the
    first `i` words.

    Works on runs of consecutive positions: in a run the walk takes every n-th position, and the words
    those n-grams cover are contiguous, so each run costs O(1) Python steps.
    """
    if not len(positions):
        return 0
    import numpy as np

    breaks = ((positions[1:] - positions[:-1]) != 1).nonzero()[0]
    firsts = positions[np.concatenate(([0], breaks + 1))].tolist()
    stops = (positions[np.concatenate((breaks, [len(positions) - 1]))] + 1).tolist()
    total = 0
    resume = 0
    for run_start, run_stop in zip(firsts, stops, strict=True):
        start = max(run_start, resume)
        if start >= run_stop:
            continue
        last = start + (run_stop - 1 - start) // n * n
        total += int(offsets[last + n] - offsets[start])
        resume = last + n
    return total


class GopherRepetition(Check):
    """Report, as `info`, each Gopher repetition metric above its Table A1 threshold."""

    id = "gopher-repetition"
    default_severity = "info"
    applies_to_title = False
    whole_text = True

    def __init__(
        self, *, severity: Severity | None = None, thresholds: dict[str, float] | None = None, min_words: int = 50
    ) -> None:
        super().__init__(severity=severity)
        self.thresholds = dict(GOPHER_THRESHOLDS if thresholds is None else thresholds)
        self.min_words = min_words

    def can_block(self) -> bool:
        return self.severity == "error"  # every finding has the check's severity

    def find_in(self, analysis: Analysis) -> list[Finding]:
        text = analysis.text
        if len(analysis.tokens) < self.min_words:
            return []
        metrics = document_metrics(text, analysis)
        return [
            self.finding(text, 0, len(text), f"{name} = {metrics[name]:.3f} > {limit:.2f} (Gopher, Rae et al. 2021)")
            for name, limit in self.thresholds.items()
            if metrics.get(name, 0.0) > limit
        ]
