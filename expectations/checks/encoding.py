"""`mojibake`: text decoded with the wrong character set, replacement characters and C1 controls.

Reason shapes:

* Mojibake — a sequence that ftfy's badness heuristic (`ftfy.badness.BADNESS_RE`, the regex behind
  `ftfy.badness.badness()` and `is_bad()`; Speer, ftfy 6) marks as very unlikely in intended text, such
  as "â€™" for "’" or "Ã©" for "é". Adjacent marks within one word are one finding, spanning the word. It
  is an `error` when `ftfy.fix_encoding` repairs the word (the message shows the repair), otherwise a
  `warning`: the heuristic alone is strong evidence but not proof (kaomoji, rare scripts).
  We do not compare `ftfy.fix_text(text)` with `text`: that also "fixes" clean curly quotes, ligatures
  and HTML entities, which are not mojibake.
* Mojibake next to an ordinary space — UTF-8 "à" (C3 A0) or a no-break space (C2 A0) read as
  Windows-1252 gives "Ã" or "Â" followed by U+00A0, and a later step that turns no-break spaces into
  plain ones leaves "HÃ  Ná»™i", "5Â km", where ftfy's heuristic no longer fires. The general rule: "Ã"
  or "Â" ending a word (after a letter or digit, or alone for "Â") and followed by a plain space, whose
  word read back with the lost 0xA0 byte decodes as UTF-8 (`_LOST_NBSP_RE`): `error`, the message shows
  the repair. An all-capital word of three or more letters ending in "Ã" is Portuguese ("IRMÃ",
  "AMANHÃ") and is left alone. Boundary: none of the 587 State Department releases or the GOV.UK items
  has "Ã" or "Â" before a space.
* U+FFFD REPLACEMENT CHARACTER — a decoder already gave up on these bytes: `error`.
* C1 control characters (U+0080–U+009F) — they have no use in text; they are Windows-1252 bytes
  decoded as Latin-1: `error`.

Speed: every badness pattern, and every replacement or C1 character, contains at least one non-ASCII
character outside ordinary typography, so the regexes only run in small windows around such characters
(`_SUSPECT_RE`); clean English text with curly quotes and dashes costs one scan, plain ASCII none.
"""

from __future__ import annotations

import re

from pressroom.expectations.checks.base import Check
from pressroom.expectations.findings import Finding

_SUSPECT_RE = re.compile(r"[^\x00-\x7f‘’“”–—…\u00a0•]")
_VIETNAMESE_RE = re.compile("(?<=[^\\W\\d_])á[¸¹º»][€‚ƒ„†‡ˆ‰Š‹ŒŽ•˜™š›œžŸ\u00a0-¿]")
"""A letter of Latin Extended Additional (U+1E00–U+1EFF: Vietnamese "ộ", "ế") encoded as UTF-8 and
decoded as Windows-1252 ("Ná»™i"), inside a word; ftfy's badness regex misses some of these."""
_LOST_NBSP_RE = re.compile(r"(?:(?<=[^\W_])[ÂÃ]|(?<!\S)Â)(?= )")
_BROKEN_RE = re.compile(r"[\ufffd\x80-\x9f]+")
_BROKEN_CHARACTERS = frozenset("\ufffd" + "".join(map(chr, range(0x80, 0xA0))))
"""What `_BROKEN_RE` matches; all of it is also suspect, so `_BROKEN_RE` runs only on a text whose suspect
characters include one (a non-ASCII character class makes `re` slow: this saves a scan of most texts)."""
_WINDOW = 8
"""Characters either side of a suspect character searched by the badness regex (its longest pattern
is seven characters)."""


class Mojibake(Check):
    """Report mojibake, replacement characters and C1 controls (see the module docstring)."""

    id = "mojibake"
    default_severity = "error"

    def find(self, text: str) -> list[Finding]:
        spans: list[tuple[int, int, str]] = []
        if text.isascii():
            return []
        windows, broken = _suspect_windows(text)
        if broken:
            for match in _BROKEN_RE.finditer(text):
                kind = "replacement character" if "\ufffd" in match.group() else "C1 control character"
                spans.append((match.start(), match.end(), kind))
        for start, end in _badness_spans(text, windows):
            spans.append((start, end, "mojibake"))
        if "Ã" in text or "Â" in text:
            spans.extend((start, end, "lost no-break space") for start, end in _lost_nbsp_spans(text))
        findings: list[Finding] = []
        reach = -1
        for start, end, kind in sorted(_word_spans(text, spans)):
            if start < reach:
                continue
            reach = end
            word = text[start:end]
            if kind == "lost no-break space":
                message = f"mojibake {_quoted(word)}, probably {_quoted(_repair(word + chr(0xA0)).rstrip())}"
                findings.append(self.finding(text, start, end, message))
                continue
            if kind != "mojibake":
                findings.append(
                    self.finding(text, start, end, f"{kind} in {_quoted(word)}: the text was decoded wrongly")
                )
                continue
            repaired = _repair(word)
            if repaired != word:
                message = f"mojibake {_quoted(word)}, probably {_quoted(repaired)}"
                findings.append(self.finding(text, start, end, message))
            else:
                message = f"{_quoted(word)} looks like mojibake"
                findings.append(self.finding(text, start, end, message, severity="warning"))
        return findings


def _suspect_windows(text: str) -> tuple[list[tuple[int, int]], bool]:
    """The windows of `_WINDOW` characters either side of suspect characters (`_SUSPECT_RE`), overlapping
    ones merged, and whether any suspect character is one `_BROKEN_RE` matches; one scan of `text`."""
    window_start = window_end = -1
    windows: list[tuple[int, int]] = []
    broken = False
    for match in _SUSPECT_RE.finditer(text):
        position = match.start()
        if not broken and match.group() in _BROKEN_CHARACTERS:
            broken = True
        if position - _WINDOW <= window_end:
            window_end = position + _WINDOW
            continue
        if window_end >= 0:
            windows.append((window_start, window_end))
        window_start, window_end = max(position - _WINDOW, 0), position + _WINDOW
    if window_end >= 0:
        windows.append((window_start, window_end))
    return windows, broken


def _badness_spans(text: str, windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans matched by ftfy's badness regex, searched only in `windows` (`_suspect_windows`)."""
    spans: list[tuple[int, int]] = []
    if not windows:
        return spans
    from ftfy.badness import BADNESS_RE  # imported by a text with a suspect character only

    for start, end in windows:
        spans.extend(match.span() for match in BADNESS_RE.finditer(text, start, min(end, len(text))))
        spans.extend(match.span() for match in _VIETNAMESE_RE.finditer(text, start, min(end, len(text))))
    return spans


def _lost_nbsp_spans(text: str) -> list[tuple[int, int]]:
    """Words ending in "Ã"/"Â" before a plain space that decode as UTF-8 with the lost 0xA0 put back."""
    spans: list[tuple[int, int]] = []
    for match in _LOST_NBSP_RE.finditer(text):
        end = match.end()
        start = end - 1
        while start > 0 and end - start < 40 and not text[start - 1].isspace():
            start -= 1
        word = text[start:end]
        letters = word[:-1]
        if word.endswith("Ã") and len(letters) >= 2 and letters.isalpha() and letters.isupper():
            continue
        if _repair(word + "\xa0") != word + "\xa0":
            spans.append((end - 1, end))
    return spans


def _word_spans(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Each span widened to the whitespace-delimited word it lies in (at most 40 code points each way)."""
    widened: list[tuple[int, int, str]] = []
    for start, end, kind in spans:
        left = start
        while left > 0 and start - left < 40 and not text[left - 1].isspace():
            left -= 1
        right = end
        while right < len(text) and right - end < 40 and not text[right].isspace():
            right += 1
        widened.append((left, max(right, left), kind))
    return widened


def _repair(word: str) -> str:
    """`ftfy.fix_encoding`, or failing that the word's Windows-1252 bytes read as UTF-8 ("Ná»™i" → "Nội"),
    which ftfy leaves alone when its badness regex does not fire; `word` itself if neither applies."""
    from ftfy import fix_encoding

    repaired = fix_encoding(word)
    if repaired != word:
        return repaired
    try:
        return word.encode("cp1252").decode("utf-8")
    except UnicodeError:
        return word


def _quoted(word: str) -> str:
    return '"' + (word if len(word) <= 40 else word[:39] + "…") + '"'
