"""`truncated-text`: a body that stops before its end (a cut feed excerpt, a failed "load more").

Reason shapes, all on the last words (at most five) of the last sentence:

* Ellipsis ending — the text ends on "…", "...", "[…]" or "(...)", possibly inside closing quotes or brackets: the
  source shows a teaser and the full text was never fetched. * Mid-sentence ending — the last line is prose (at least
  `min_prose_words` words, or a sentence ending before the last one, with a lower-case word among them) and ends on a
  lower-case word, a colon or a dash, with no closing punctuation; or any line of two words or more ends on a comma or
  semicolon: "…the two sides agreed to expand cooperation in", "…including the negotia". * Dangling ending — whatever
  the line's length, the text ends on an article, conjunction, possessive or preposition without punctuation ("…will
  travel to the").

Severity `error`: a release that stops mid-sentence is not publishable, and the three shapes are
unambiguous. Lines that legitimately end without punctuation are left alone: a URL or e-mail address
("…visit www.state.gov"), a signature or heading in capitals ("Office of the Spokesperson", "No
Department Press Briefing"), end marks ("###", "– 30 –"), a list item opened by a bullet or number, a
"Key: value" line, a word ending in a digit or a symbol ("expectations ↑"). Measured on 587 edited US
State Department releases, none of which is reported.
"""

from __future__ import annotations

import re

from pressroom.expectations.analysis import Analysis
from pressroom.expectations.checks.base import Check
from pressroom.expectations.checks.fragments import DANGLING_WORDS
from pressroom.expectations.findings import Finding, Severity
from pressroom.expectations.text import Tokens, url_spans, word_set

STRANDABLE_PREPOSITIONS: frozenset[str] = word_set(
    "of to in on at by for with from into about over after before between through without against across under"
)
"""Prepositions that may end a sentence before its full stop ("agreed to.") but never a text with no
punctuation at all."""

_ELLIPSIS_RE = re.compile(r"(?:\.\.\.|…|\[\s*(?:…|\.\.\.)\s*\]|\(\s*(?:…|\.\.\.)\s*\))[\"”’')\]»]*\s*$")
_BULLET_RE = re.compile(r"\s*(?:[•·▪◦*\-–—]|\(?\d{1,3}[.)]|\(?[a-zA-Z][.)])\s")
_KEY_VALUE_RE = re.compile(r"^[^:]{1,40}:\s\S")
_SOFT_ENDINGS = ",;:-–—"
_SENTENCE_END_RE = re.compile(r"[a-z][.!?][\"”’)]?\s+[A-Z“\"]")


class TruncatedText(Check):
    """Report a text that ends on an ellipsis or in the middle of a sentence (see the module docstring)."""

    id = "truncated-text"
    default_severity = "error"
    applies_to_title = False

    def __init__(self, *, severity: Severity | None = None, min_prose_words: int = 6) -> None:
        super().__init__(severity=severity)
        self.min_prose_words = min_prose_words

    def find_in(self, analysis: Analysis) -> list[Finding]:
        text = analysis.text
        body = text.rstrip()
        if not body:
            return []
        line_start = max(body.rfind("\n"), body.rfind("\r")) + 1
        line = body[line_start:]
        tokens = analysis.tokens
        if not tokens:
            return []
        last = len(tokens) - 1
        while last > 0 and tokens.starts[last] >= len(body):
            last -= 1
        start = max(tokens.starts[max(last - 4, 0)], analysis.sentences[-1].start)
        if _ELLIPSIS_RE.search(line):
            return [self.finding(text, start, len(body), "text ends on an ellipsis: the rest is missing")]
        reason = self._mid_sentence(tokens, body, line, last)
        if reason is None:
            return []
        return [self.finding(text, start, len(body), reason)]

    def _mid_sentence(self, tokens: Tokens, body: str, line: str, last: int) -> str | None:
        """Why the text reads as cut in the middle of a sentence, or None."""
        ending = body[-1]
        word = tokens.word(last)
        ends_on_word = tokens.ends[last] == len(body)
        dangling = tokens.folded[last] in DANGLING_WORDS or tokens.folded[last] in STRANDABLE_PREPOSITIONS
        if ends_on_word and dangling and word != "A" and line.count(" ") >= 2:
            return f'text stops on "{word}" in the middle of a sentence'
        if ending in ",;" and len(line.split()) >= 2:
            return f'text stops on "{ending}" in the middle of a sentence'
        if _BULLET_RE.match(line) or (_KEY_VALUE_RE.match(line.strip()) and ending not in _SOFT_ENDINGS):
            return None
        if any(end >= len(line) for _, end in url_spans(line)) or "@" in word:
            return None
        words = line.split()
        earlier_sentence = _SENTENCE_END_RE.search(line) is not None
        if (len(words) < self.min_prose_words and not earlier_sentence) or not any(w[:1].islower() for w in words):
            return None
        if ending in _SOFT_ENDINGS:
            return f'text stops on "{ending}" in the middle of a sentence'
        if ends_on_word and word[-1:].isalpha() and word[:1].islower():
            return f'text stops after "{word}" with no closing punctuation'
        return None
