"""Mechanical repairs: for a finding, the one edit that removes its defect, or None when a person must edit.

`propose(text, finding)` looks up the rule registered for `finding.check` (`RULES`) and returns a
`Suggestion` in the same field text, or None; given the text's `Analysis` (the engine passes the one its
checks read), rules reuse its sentences and paragraphs instead of splitting the text again. Rules read
only the text and the finding's span, never the message or a check's internals, so detection rules can
change without touching this module; a rule that no longer fits a changed finding proposes something
`expectations.fixes.attach_suggestions` rejects
(every proposal is applied and the text checked again before a finding carries it).

Only `error` findings get a proposal: a `warning` is by definition not provably a defect ("Costa Rica.
Costa Rica hosts…" may be on purpose), so `--fix` must not change it.

The rules, by check id:

* `duplicated-phrase` — a phrase written twice in a row (spaces, one line break or a comma between):
  drop the second copy and its separator. A restart after a stray full stop ("…the Ministry said. the
  Ministry said the talks…"): drop the full stop and the restarted words. An item repeated within a
  list: drop the repeat with its comma, or, when the repeat closes the list ("a comprehensive,
  broad-based and comprehensive solution"), drop " and <repeat>" and move the conjunction to the last
  comma of the series ("a comprehensive and broad-based solution").
* `garbled-fragment` — a stray copy of the previous sentence's tail ("said. Foreign Affairs) said."):
  drop it. A lower-case fragment after a stray full stop: rejoin (the full stop becomes a space), except
  when the fragment is a short prepositional phrase closing the sentence: machine translation moves such
  modifiers ("…Eastern peace and security. of the Middle." for "Middle Eastern peace and security"), and
  rejoining would publish a wrong sentence. A sentence or paragraph that stops on a dangling word has
  lost text: no repair.
* `unbalanced-punctuation` — a quotation closed with an opening mark ("‘Naya Pakistan‘"): the matching
  closing mark. Stray or missing brackets and lone quotes: no repair (where the pair belongs is unknown).
* `mojibake` — ftfy's `fix_encoding` and `fix_c1_controls` on the word, or its Windows-1252 bytes read as
  UTF-8; a U+FFFD replacement character has lost its bytes: no repair.
* `markup-remnant` — a tag, comment or shortcode: remove it (a block tag between two words becomes a
  space); a character reference: decode it (`html.unescape`, repeated for "&amp;amp;"); a line of script
  or style: remove the line. Script text inside prose: no repair.
* `boilerplate` — a furniture line or cookie notice: remove the line with its line break; a teaser link
  ending a line: remove it.
* `repeated-sentence` — drop the later copy of the sentence or paragraph.

Every other check (truncated text, too short, wrong language, near-duplicate, titles) has no mechanical
repair.
"""

from __future__ import annotations

import html
import re
import weakref
from collections.abc import Callable

from pressroom.expectations.analysis import Analysis
from pressroom.expectations.findings import Finding, Suggestion
from pressroom.expectations.text import word_set

Rule = Callable[[Analysis, Finding], Suggestion | None]
TextRule = Callable[[str, Finding], Suggestion | None]

_WORD_RE = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
_REACH = 400
"""Code points looked at before a span when matching the copy it repeats (8 words of any length fit)."""
_PREPOSITIONS = word_set(
    """
    of in on at by for with from to into onto about over under after before between through against within
    without across among towards toward upon
    """
)
_MAX_MOVED_PHRASE_WORDS = 4
"""A lower-case fragment of at most this many words that opens with a preposition is read as a displaced
modifier, not as the rest of a cut sentence (the seed's "of the Middle.")."""
_BLOCK_TAGS = re.compile(r"</?(?:p|br|div|li|ul|ol|h[1-6]|tr|td|th|table|section|article|header|footer)\b", re.I)
_CLOSING_MARK = {"“": "”", "‘": "’", '"': '"'}


def propose(text: str, finding: Finding, analysis: Analysis | None = None) -> Suggestion | None:
    """The repair of `finding` in `text` (the field it was raised on), or None (see the module docstring).

    `analysis`, when given, is that of `text`."""
    rule = RULES.get(finding.check)
    if rule is None or finding.severity != "error" or not 0 <= finding.start <= finding.end <= len(text):
        return None
    if text[finding.start : finding.end] != finding.excerpt or finding.start == finding.end:
        return None
    return rule(Analysis(text) if analysis is None else analysis, finding)


def _words(text: str) -> list[str]:
    return [word.casefold() for word in _WORD_RE.findall(text)]


def _words_ending_at(text: str, position: int, count: int) -> list[str]:
    """The last `count` words of `text[:position]`, case-folded, when the last one ends right at
    `position`; [] otherwise."""
    window = text[max(0, position - _REACH) : position]
    matches = list(_WORD_RE.finditer(window))
    if len(matches) < count or not matches or matches[-1].end() != len(window):
        return []
    return [match.group().casefold() for match in matches[-count:]]


def _period(words: list[str]) -> int:
    """The length of the shortest phrase that `words` repeats whole ("to to" → 1, "of the of the" → 2)."""
    for size in range(1, len(words) + 1):
        if len(words) % size == 0 and words == words[:size] * (len(words) // size):
            return size
    return len(words)


def _duplicated_phrase(text: str, finding: Finding) -> Suggestion | None:
    start, end = finding.start, finding.end
    words = _words(finding.excerpt)
    if not words:
        return None
    separator = re.search(r"(?:,[ \t]*|[ \t]*\n[ \t]*|[ \t]+)$", text[max(0, start - 20) : start])
    if separator is not None:
        size = _period(words)
        if _words_ending_at(text, start - len(separator.group()), size) == words[:size]:
            return Suggestion(start - len(separator.group()), end, "")
    stop = re.search(r"\.[ \t]+$", text[max(0, start - 20) : start])
    if stop is not None and _words_ending_at(text, start - len(stop.group()), len(words)) == words:
        return Suggestion(start - len(stop.group()), end, "")
    return _list_repeat(text, start, end, words)


def _list_repeat(text: str, start: int, end: int, words: list[str]) -> Suggestion | None:
    """Drop an item repeated within a list and keep the series well formed (module docstring)."""
    reach = max(0, start - _REACH)
    opening = max(reach - 1, *(text.rfind(mark, reach, start) for mark in ("\n", ". ", "? ", "! "))) + 1
    before = text[opening:start]
    earlier = _words(before)
    if not any(earlier[i : i + len(words)] == words for i in range(len(earlier) - len(words) + 1)):
        return None
    conjunction = re.search(r"(,?[ \t]+)(and|or)[ \t]+$", before)
    if conjunction is None:
        comma = re.search(r",[ \t]+$", before)
        return None if comma is None else Suggestion(start - len(comma.group()), end, "")
    cut = start - len(conjunction.group())
    last_comma = text.rfind(",", opening, cut)
    if last_comma < 0 or not text[last_comma + 1 : last_comma + 2].isspace():
        return None
    rest = text[last_comma + 1 : cut].lstrip(" \t")
    return Suggestion(last_comma, end, f" {conjunction.group(2)} {rest}")


def _garbled_fragment(text: str, finding: Finding) -> Suggestion | None:
    start, end = finding.start, finding.end
    stop = re.search(r"\.[ \t]+$", text[max(0, start - 20) : start])
    if stop is None:
        return None
    dot = start - len(stop.group())
    words = _words(finding.excerpt)
    if words and _words_ending_at(text, dot, len(words)) == words:
        return Suggestion(dot + 1, end, "")
    if not finding.excerpt[:1].islower() or not finding.excerpt.endswith((".", "!", "?")):
        return None
    if words and words[0] in _PREPOSITIONS and len(words) <= _MAX_MOVED_PHRASE_WORDS:
        return None
    return Suggestion(dot, start, " ")


def _unbalanced_punctuation(text: str, finding: Finding) -> Suggestion | None:
    excerpt = finding.excerpt
    if len(excerpt) < 3 or excerpt[0] not in _CLOSING_MARK or excerpt[-1] not in "“‘":
        return None
    return Suggestion(finding.end - 1, finding.end, _CLOSING_MARK[excerpt[0]])


def _mojibake(text: str, finding: Finding) -> Suggestion | None:
    word = finding.excerpt
    if "\ufffd" in word:
        return None
    from ftfy import fix_encoding  # only a text with mojibake gets here, so others never load ftfy
    from ftfy.fixes import fix_c1_controls

    repaired = fix_c1_controls(fix_encoding(word))
    if repaired == word:
        try:
            repaired = word.encode("cp1252").decode("utf-8")
        except UnicodeError:
            return None
    return None if repaired == word or "\ufffd" in repaired else Suggestion(finding.start, finding.end, repaired)


def _markup_remnant(text: str, finding: Finding) -> Suggestion | None:
    start, end, excerpt = finding.start, finding.end, finding.excerpt
    if excerpt.startswith("&"):
        decoded = excerpt
        while (next_step := html.unescape(decoded)) != decoded:
            decoded = next_step
        if decoded.isspace() and (text[start - 1 : start].isspace() or text[end : end + 1].isspace()):
            return _removal(text, start, end)
        return Suggestion(start, end, decoded)
    if (excerpt.startswith("<") and excerpt.endswith(">") and not excerpt.startswith("<![")) or (
        excerpt.startswith("[") and excerpt.endswith("]")
    ):
        before, after = text[start - 1 : start], text[end : end + 1]
        if before.isalnum() and after.isalnum() and _BLOCK_TAGS.match(excerpt):
            return Suggestion(start, end, " ")
        return _removal(text, start, end)
    bounds = _line_bounds(text, start)
    if bounds is None:
        return None
    line_start, line_end = bounds
    line = text[line_start:line_end].strip()
    if end <= line_end and line.endswith((";", "{", "}")) and not re.search(r"[a-z][.!?] [A-Z]", line):
        return _drop_line(text, line_start, line_end)
    return None


def _boilerplate(text: str, finding: Finding) -> Suggestion | None:
    bounds = _line_bounds(text, finding.start)
    if bounds is None or finding.end > bounds[1]:
        return None
    line_start, line_end = bounds
    if finding.end > line_end:
        return None
    if text[line_start:line_end].strip() == finding.excerpt:
        return _drop_line(text, line_start, line_end)
    if text[finding.end : line_end].strip() == "":
        spaces = len(text[line_start : finding.start]) - len(text[line_start : finding.start].rstrip())
        return Suggestion(finding.start - spaces, line_end, "")
    return None


def _repeated_sentence(analysis: Analysis, finding: Finding) -> Suggestion | None:
    text, start = analysis.text, finding.start
    repeated_paragraphs, sentence_ends = _layout(analysis)
    if start in repeated_paragraphs:
        return _drop_line(text, start, repeated_paragraphs[start])
    end = sentence_ends.get(start)
    if end is None:
        return None
    bounds = _line_bounds(text, start)
    if bounds is not None and text[bounds[0] : bounds[1]].strip() == text[start:end]:
        return _drop_line(text, *bounds)
    return _removal(text, start, end)


_Layout = tuple[dict[int, int], dict[int, int]]
_LAYOUTS: weakref.WeakKeyDictionary[Analysis, _Layout] = weakref.WeakKeyDictionary()


def _layout(analysis: Analysis) -> _Layout:
    """The paragraphs of the text that repeat an earlier one (start → end) and every sentence (start → end),
    computed once per analysis (and forgotten with it): a text with many findings asks for them once per
    finding."""
    layout = _LAYOUTS.get(analysis)
    if layout is not None:
        return layout
    text = analysis.text
    seen: set[tuple[str, ...]] = set()
    repeated: dict[int, int] = {}
    for start, end in analysis.paragraphs:
        words = tuple(_words(text[start:end]))
        if words in seen:
            repeated[start] = end
        seen.add(words)
    layout = repeated, {sentence.start: sentence.end for sentence in analysis.sentences}
    _LAYOUTS[analysis] = layout
    return layout


_MAX_LINE = 2000
"""Longest line, in code points, that a line-removing repair looks at; furniture lines are short."""


def _line_bounds(text: str, position: int) -> tuple[int, int] | None:
    """Start and end (before "\\r\\n" or "\\n") of the line holding `position`, None when it is longer
    than `_MAX_LINE`."""
    line_start = text.rfind("\n", max(0, position - _MAX_LINE), position) + 1
    if line_start == 0 and position > _MAX_LINE:
        return None
    line_end = text.find("\n", position, position + _MAX_LINE)
    if line_end < 0:
        if len(text) - position > _MAX_LINE:
            return None
        line_end = len(text)
    return line_start, line_end - (text[line_end - 1 : line_end] == "\r" and line_end > line_start)


def _drop_line(text: str, line_start: int, line_end: int) -> Suggestion:
    """Remove a whole line with the line breaks after it, or, at the end of the text, with those before it."""
    after = line_end
    while after < len(text) and text[after] in "\r\n":
        after += 1
    if line_start > 0 and _NON_SPACE_RE.search(text, after) is not None:
        return Suggestion(line_start, after, "")
    if line_start == 0:
        return Suggestion(0, after, "")
    before = line_start
    while before and text[before - 1].isspace():
        before -= 1
    return Suggestion(before, line_end, "")


_NON_SPACE_RE = re.compile(r"\S")
"""`_drop_line` asks whether anything but whitespace follows without copying the rest of the text (the
same whitespace as `str.strip`), which made a text with many repeated lines quadratic."""


def _removal(text: str, start: int, end: int) -> Suggestion:
    """Remove `text[start:end]` and one of the spaces around it, so no double space is left."""
    before, after = text[start - 1 : start], text[end : end + 1]
    if before in (" ", "\t") and (after.isspace() or after == "" or after in ".,;:!?)"):
        return Suggestion(start - 1, end, "")
    if after in (" ", "\t") and (before in ("", "\n") or before.isspace() or before in "(“‘\""):
        return Suggestion(start, end + 1, "")
    return Suggestion(start, end, "")


def _on_text(rule: TextRule) -> Rule:
    """A rule that reads only the text, as a `Rule`."""
    return lambda analysis, finding: rule(analysis.text, finding)


RULES: dict[str, Rule] = {
    "duplicated-phrase": _on_text(_duplicated_phrase),
    "garbled-fragment": _on_text(_garbled_fragment),
    "unbalanced-punctuation": _on_text(_unbalanced_punctuation),
    "mojibake": _on_text(_mojibake),
    "markup-remnant": _on_text(_markup_remnant),
    "boilerplate": _on_text(_boilerplate),
    "repeated-sentence": _repeated_sentence,
}
"""The repair rule of each check id; a check without an entry has no mechanical repair."""
