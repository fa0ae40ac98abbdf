"""`unbalanced-punctuation`: brackets or quotation marks that do not pair.

Reason shapes and their severities:

* A closing bracket with no opening one ("Foreign Affairs) said.") or an opening bracket still open at
  the end of its paragraph: `error`. List markers ("a) …", "1) …", "iv) …") and emoticons (":)", ";-(")
  are not brackets. Brackets pair within a paragraph; a wrongly nested pair ("(a [b) c]") is an error on
  the bracket left open.
* A quotation closed with an opening mark ("‘Naya Pakistan‘", "“peace“"): `error`, on the whole
  quotation. Whether a mark opens or closes is read from its position (space before it: opens; a word
  before and a space or punctuation after: closes), so straight quotes work too.
* A second opening double quote inside a paragraph while one is open, or a closing double quote with
  nothing open: `error`. Double quotes pair across paragraphs, following the newspaper convention: a
  quotation running over several paragraphs re-opens at each paragraph without closing, and closes once
  at its end. A double quote that is never closed by the end of the text, or one left open when a later
  paragraph opens a new one mid-paragraph, is a `warning` (a cut text or a lost mark, not provably wrong).
* Apostrophes are not quotes: ’ or ‘ between letters ("Pakistan’s"), before digits ("’90s"), or after a
  plural ("the ministers’ views") close nothing unless a single quotation is open; an opening single
  quote left unclosed at the end of a paragraph is a `warning` (it may be a misused apostrophe, "‘til"),
  except an ʿayn in a transliterated Arabic name ("Jami’ ‘Ali", "al-‘Umari").
* Straight single quotes follow the same rule as ‘ ’, read from position alone: "'" after a space or an
  opening mark and before a letter opens a quotation ("called it a 'historic step"), "'" after a word
  and before a space or punctuation closes one, and "'" between letters or before a digit is an
  apostrophe ("don't", "'90s"). A closing-looking "'" with nothing open is a plural possessive ("the
  ministers' views"), never a finding. An opening "'" is an elision, not a quotation, before "tis",
  "twas", "til", "em", "cause", "bout", "round", "n" (`_ELISIONS`). An opening straight quote left open at
  the end of its paragraph is a `warning`, like "‘". Boundary, measured on the 587 State Department
  releases and the GOV.UK items: none of them opens a straight single quote it does not close.
* Right-to-left paragraphs (more Arabic or Hebrew letters than Latin ones): writers often type the
  brackets in the order they see them, so the paragraph's brackets are read mirrored when its first
  bracket is a closing one ("مسیح) حضرت عیسیٰ(" in the GOV.UK Urdu item, a balanced pair on screen).

Straight double quotes after a digit (5'10") are inch marks when no quotation is open. Marks inside URLs
are ignored. Guillemets and CJK corner quotes are not checked yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pressroom.expectations.analysis import Analysis
from pressroom.expectations.checks.base import Check
from pressroom.expectations.findings import Finding
from pressroom.expectations.text import is_enumerator

BRACKETS = {"(": ")", "[": "]", "{": "}", "（": "）", "【": "】"}
OPENER_OF = {closer: opener for opener, closer in BRACKETS.items()}
DOUBLE_QUOTES = '"“”„'
_MARK_RE = re.compile(r"[()\[\]{}（）【】\"“”„‘’'](?!(?<=[^\W_][‘’'])[^\W_])")
r"""Brackets and quote marks, less a single quote between two letters or digits ("Pakistan’s", "don't"):
`_single_quote` passes over such an apostrophe, so the regex skips it and most releases call it for
few marks. `[^\W_]` is exactly `str.isalnum` for one character, and a paragraph neither starts nor
ends next to a letter or digit (its span is whitespace-trimmed), so its bounds need no test."""
_ELISIONS = frozenset({"tis", "twas", "til", "em", "cause", "bout", "round", "n"})
_MIRRORED = str.maketrans("()[]{}", ")(][}{")
_RTL_RE = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_BRACKET_RE = re.compile(r"[()\[\]{}]")
_LATIN_RE = re.compile(r"[A-Za-z\u00c0-\u024f]")
_EMOTICON_RE = re.compile(r"(?:[:;=][\-^']?[()\[\]{}]|[()][\-^']?[:;=])(?!\w)")
_EMOTICON_CANDIDATE_RE = re.compile(r"[:;=()][\-^']?[()\[\]{}:;=](?!\w)")
"""A superset of `_EMOTICON_RE` that starts with one character class, which `re` scans for quickly."""
_OPENING_CONTEXT = "([{—–-/‘“„"
_CLOSING_CONTEXT = ".,;:!?)]}—–-/…’”'\""


@dataclass(frozen=True, slots=True)
class _OpenQuote:
    """The double quote currently open: where it is, in which paragraph, and which mark opened it."""

    position: int
    paragraph: int
    glyph: str


class UnbalancedPunctuation(Check):
    """Report brackets and quotation marks that do not pair (see the module docstring)."""

    id = "unbalanced-punctuation"
    default_severity = "error"

    def find_in(self, analysis: Analysis) -> list[Finding]:
        text = analysis.text
        emoticons = [
            m.span()
            for m in _EMOTICON_CANDIDATE_RE.finditer(text)
            if _EMOTICON_RE.match(text, m.start()) and not text[m.start() - 1 : m.start()].isalnum()
        ]
        skipped = sorted(analysis.url_spans + emoticons)
        findings: list[Finding] = []
        spans = analysis.paragraphs
        quote: _OpenQuote | None = None
        cursor = 0
        for number, (start, end) in enumerate(spans):
            stack: list[tuple[str, int]] = []
            depth = dict.fromkeys(BRACKETS, 0)
            single: int | None = None
            mirrored = _reads_mirrored(text, start, end)
            for match in _MARK_RE.finditer(text, start, end):
                position, mark = match.start(), match.group()
                while cursor < len(skipped) and skipped[cursor][1] <= position:
                    cursor += 1
                if cursor < len(skipped) and skipped[cursor][0] <= position:
                    continue
                if mirrored:
                    mark = mark.translate(_MIRRORED)
                if mark in BRACKETS:
                    stack.append((mark, position))
                    depth[mark] += 1
                elif mark in OPENER_OF:
                    findings.extend(self._close_bracket(text, start, position, mark, stack, depth))
                elif mark in DOUBLE_QUOTES:
                    quote = self._double_quote(text, (start, end), number, position, quote, findings)
                else:
                    single = self._single_quote(text, (start, end), position, single, findings)
            findings.extend(
                self.finding(text, position, position + 1, f'bracket "{mark}" is not closed in its paragraph')
                for mark, position in stack
            )
            if single is not None and not _is_transliteration(text, start, single):
                message = "opening single quote is not closed in its paragraph"
                findings.append(self.finding(text, single, single + 1, message, severity="warning"))
        if quote is not None:
            message = "quotation is never closed"
            findings.append(self.finding(text, quote.position, quote.position + 1, message, severity="warning"))
        return findings

    def _close_bracket(
        self,
        text: str,
        paragraph_start: int,
        position: int,
        mark: str,
        stack: list[tuple[str, int]],
        depth: dict[str, int],
    ) -> list[Finding]:
        opener = OPENER_OF[mark]
        if depth[opener] == 0:
            if mark == ")" and _ends_list_marker(text, paragraph_start, position):
                return []
            return [self.finding(text, position, position + 1, f'closing bracket "{mark}" has no opening one')]
        findings: list[Finding] = []
        while stack:
            left, where = stack.pop()
            depth[left] -= 1
            if left == opener:
                break
            findings.append(self.finding(text, where, where + 1, f'bracket "{left}" is not closed before "{mark}"'))
        return findings

    def _double_quote(
        self,
        text: str,
        paragraph: tuple[int, int],
        number: int,
        position: int,
        quote: _OpenQuote | None,
        findings: list[Finding],
    ) -> _OpenQuote | None:
        """Advance the double-quote state over the mark at `position`; append any finding."""
        glyph = text[position]
        if glyph == '"' and quote is None and position > 0 and text[position - 1].isdigit():
            return quote
        role = "open" if glyph == "„" else _role(text, paragraph, position)
        if role is None:
            role = {"“": "open", "”": "close"}.get(glyph, "close" if quote is not None else "open")
        if role == "close":
            if quote is None:
                if glyph != "“":
                    findings.append(self.finding(text, position, position + 1, "closing quote has no opening one"))
                return None
            if glyph == "“" and quote.glyph != "„":
                message = "quotation is closed with an opening quote mark"
                findings.append(self.finding(text, quote.position, position + 1, message))
            return None
        if quote is not None and quote.paragraph == number:
            message = "quote opens again before the quotation is closed"
            findings.append(self.finding(text, position, position + 1, message))
        elif quote is not None and position != paragraph[0]:
            message = "quotation is not closed before a new one opens"
            findings.append(self.finding(text, quote.position, quote.position + 1, message, severity="warning"))
        return _OpenQuote(position, number, glyph)

    def _single_quote(
        self,
        text: str,
        paragraph: tuple[int, int],
        position: int,
        single: int | None,
        findings: list[Finding],
    ) -> int | None:
        """Advance the single-quote state over the mark at `position`; append any finding."""
        before = text[position - 1] if position > paragraph[0] else " "
        after = text[position + 1] if position + 1 < paragraph[1] else " "
        if after.isdigit() or (before.isalnum() and after.isalnum()):
            return single
        role = _role(text, paragraph, position)
        if text[position] == "’":
            return None if role == "close" else single
        if text[position] == "'":
            if role == "close":
                return None
            if role != "open" or _is_elision(text, position):
                return single
            return position
        if role == "close":
            if single is not None:
                message = "quotation is closed with an opening quote mark"
                findings.append(self.finding(text, single, position + 1, message))
            return None
        return position


_TRANSLITERATION_RE = re.compile(
    r"(?:[^\W\d_][’‘ʼʻ][^\W\d_]*|\b(?:al|el|bin|ibn|abu|abd|bint|umm))[\s-]$", re.IGNORECASE
)


def _is_elision(text: str, position: int) -> bool:
    """Whether the "'" at `position` opens an elided word ("'til", "'em", "rock 'n' roll")."""
    end = position + 1
    while end < len(text) and end - position <= 6 and text[end].isalpha():
        end += 1
    return text[position + 1 : end].casefold() in _ELISIONS


def _reads_mirrored(text: str, start: int, end: int) -> bool:
    """Whether the paragraph `text[start:end]` is right-to-left and opens its brackets with a closing one."""
    first = _BRACKET_RE.search(text, start, end)
    if first is None or first.group() not in ")]}":
        return False
    paragraph = text[start:end]
    return len(_RTL_RE.findall(paragraph)) > len(_LATIN_RE.findall(paragraph))


def _is_transliteration(text: str, paragraph_start: int, position: int) -> bool:
    """Whether an unclosed "‘" before a capital marks an ʿayn in a transliterated name ("Jami’ ‘Ali",
    "Mu’adh ‘Isa", "al-‘Umari"): the word before it has an ʿayn/hamza mark or is a name particle."""
    if not text[position + 1 : position + 2].isupper():
        return False
    return _TRANSLITERATION_RE.search(text, max(paragraph_start, position - 20), position) is not None


def _role(text: str, paragraph: tuple[int, int], position: int) -> str | None:
    """ "open" or "close" as the position of a quote mark suggests, None when its neighbours don't say."""
    before = text[position - 1] if position > paragraph[0] else " "
    after = text[position + 1] if position + 1 < paragraph[1] else " "
    if before.isspace() or before in _OPENING_CONTEXT:
        return None if after.isspace() else "open"
    if after.isspace() or after in _CLOSING_CONTEXT:
        return "close"
    return None


def _ends_list_marker(text: str, paragraph_start: int, position: int) -> bool:
    """Whether the ")" at `position` ends a list marker such as "a)", "1)" or "iv)"."""
    start = position
    while start > paragraph_start and position - start < 5 and text[start - 1].isalnum():
        start -= 1
    word = text[start:position]
    return is_enumerator(word) and (start == paragraph_start or not text[start - 1].isalnum())
