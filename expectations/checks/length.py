"""`too-short`: a body too short to be a press release (an extraction failure, a stub, a teaser).

Reason shapes, on the whole text (capped at `MAX_SPAN` like every finding):

* Fewer than `min_error_words` words (default 10) with a letter in them: `error`. Nothing a reader
  can use is left — typically only a heading, a byline or "Read the statement here" survived.
* Fewer than `min_words` words (default 30): `warning`. Short statements exist (a travel notice, a
  condolence), so shortness alone is a reason to look, not proof of a defect.

Thresholds: Gopher's quality filter drops web documents under 50 words (Rae et al. 2021, §A.1.1), but
edited releases are shorter than web pages: the shortest of the 587 US State Department releases has 34
words, the 1st percentile 45. The warning floor sits below that; the error floor is a sentence. Numbers
do not count as words; a run of more than 20 letters without spaces (Chinese, Japanese, Thai) counts
one word per two characters.
"""

from __future__ import annotations

from pressroom.expectations.analysis import Analysis
from pressroom.expectations.checks.base import Check
from pressroom.expectations.findings import Finding, Severity, milder


class TooShort(Check):
    """Report a body with fewer words than a release needs (see the module docstring)."""

    id = "too-short"
    default_severity = "error"
    applies_to_title = False
    whole_text = True

    def __init__(self, *, severity: Severity | None = None, min_error_words: int = 10, min_words: int = 30) -> None:
        super().__init__(severity=severity)
        self.min_error_words = min_error_words
        self.min_words = min_words

    def find_in(self, analysis: Analysis) -> list[Finding]:
        text, tokens = analysis.text, analysis.tokens
        if len(tokens) >= self.min_words:
            return []
        count = sum(1 if len(word) <= 20 else len(word) // 2 for word in tokens.folded if not word.isdigit())
        if count >= self.min_words:
            return []
        start, end = (tokens.starts[0], tokens.ends[-1]) if tokens else (0, len(text))
        if count < self.min_error_words:
            return [
                self.finding(
                    text, start, end, f"body has {count} words; a release needs at least {self.min_error_words}"
                )
            ]
        message = f"body has only {count} words (fewer than {self.min_words})"
        return [self.finding(text, start, end, message, severity=milder(self.severity, "warning"))]
