"""Checks that only make sense on a release's title; `check_release` runs them with `field="title"`.

* `empty-title` — the title is empty or only whitespace and punctuation: `error` (nothing to list the
  release under; the extractor's title selector failed).
* `all-caps-title` — the title has no lower-case letter, at least `min_words` words and one word of at
  least five letters (so "U.S.-EU G7" is not shouting): `warning`, a house-style problem an editor fixes
  in seconds, not a broken text. "DEPARTMENT PRESS BRIEFING – June 17, 2021" has lower-case letters.
* `truncated-title` — the title ends on an ellipsis or on an article, conjunction, possessive, "of"
  or another preposition that is never stranded ("Secretary Blinken’s Call with the…", "Joint
  Statement on the", "Visit of the Minister of"; "What We Stand For" is a title): `warning`, because feeds
  shorten titles on purpose and the body may still be whole.

Measured on the 587 US State Department titles: none is reported.
"""

from __future__ import annotations

import re

from pressroom.expectations.analysis import Analysis
from pressroom.expectations.checks.base import Check
from pressroom.expectations.checks.fragments import DANGLING_WORDS
from pressroom.expectations.findings import Finding, Severity

_ELLIPSIS_END_RE = re.compile(r"(?:\.\.\.|…)\W*$")


class EmptyTitle(Check):
    """Report a title without a single word."""

    id = "empty-title"
    default_severity = "error"

    def find_in(self, analysis: Analysis) -> list[Finding]:
        text = analysis.text
        if analysis.tokens:
            return []
        return [self.finding(text, 0, len(text), "title is empty")]


class AllCapsTitle(Check):
    """Report a title written wholly in capitals (see the module docstring)."""

    id = "all-caps-title"
    default_severity = "warning"

    def __init__(self, *, severity: Severity | None = None, min_words: int = 3) -> None:
        super().__init__(severity=severity)
        self.min_words = min_words

    def find_in(self, analysis: Analysis) -> list[Finding]:
        text, tokens = analysis.text, analysis.tokens
        words = [tokens.word(index) for index in range(len(tokens)) if any(c.isalpha() for c in tokens.folded[index])]
        if len(words) < self.min_words or any(character.islower() for character in text):
            return []
        if not any(character.isupper() for character in text) or max(len(word) for word in words) < 5:
            return []
        return [self.finding(text, tokens.starts[0], tokens.ends[-1], "title is written in capitals")]


class TruncatedTitle(Check):
    """Report a title cut off on an ellipsis or a word that cannot end it (see the module docstring)."""

    id = "truncated-title"
    default_severity = "warning"

    def find_in(self, analysis: Analysis) -> list[Finding]:
        text, tokens = analysis.text, analysis.tokens
        if not tokens:
            return []
        last = len(tokens) - 1
        start = tokens.starts[max(last - 3, 0)]
        end = len(text.rstrip())
        if _ELLIPSIS_END_RE.search(text):
            return [self.finding(text, start, end, "title ends on an ellipsis")]
        word = tokens.folded[last]
        at_end = len(tokens) > 1 and text[tokens.ends[last] :].strip() == "" and tokens.word(last) != "A"
        if at_end and (word in DANGLING_WORDS or word == "of"):
            return [self.finding(text, start, end, f'title stops on "{tokens.word(last)}"')]
        return []
