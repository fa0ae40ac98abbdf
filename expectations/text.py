"""Shared tokenizer and sentence splitter for the text checks.

Everything here is a single left-to-right pass with compiled regular expressions, so it is linear in the
length of the text. Offsets are code points into the text as given (CRLF counts as two, an emoji as one).

Sentence boundaries are deliberately conservative: a full stop after an abbreviation ("U.S.", "Dr.",
"e.g."), an initial ("Antony J. Blinken"), or an enumerator at the start of a line ("1.", "iv.") is not a
boundary; a full stop not followed by whitespace (decimals "3.5", URLs "www.mofa.gov.pk", e-mail
addresses) is not one either; an ellipsis never ends a sentence. Checks built on top of this therefore
miss a few boundaries rather than invent them, which is the side a publishing gate should err on.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import TYPE_CHECKING, Literal, NamedTuple

if TYPE_CHECKING:
    import numpy as np

Separator = Literal["start", "line", "full-stop", "other"]


def word_set(words: str) -> frozenset[str]:
    """The whitespace-separated words of `words`, for writing word lists as plain text."""
    return frozenset(words.split())


ABBREVIATIONS: frozenset[str] = word_set(
    """
    mr mrs ms dr prof sr jr st mt ft hon rev gen col lt capt cdr adm maj sgt cpl gov sen rep amb pres sec dep
    asst supt insp messrs mme mlle no nos nr art arts para paras sect ch chap vol vols fig figs op p pp ed eds
    est ref refs eq jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat
    sun etc vs viz cf al ibid approx appx incl excl misc dept govt univ assn bros inc ltd co corp plc ave blvd
    rd hwy rs rp tk sh hr hrs min mins secs yr yrs mo mos wk wks km kg lb lbs oz sq cu
    """
)
"""Lower-cased words that are read as abbreviations when a full stop follows them (English)."""

URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"“”‘’]+", re.IGNORECASE)
_WWW_RE = re.compile(r"[wW][wW][wW]\.")
"""Every `URL_RE` match contains "://" or this (no other character matches "w" ignoring case)."""
_URL_TRAILING = ".,;:!?'’”\"]}"
WORD_RE = re.compile(r"[^\W_]++(?:[’'\-‐‑.@&][^\W_]++)*+")
"""A word: letters/digits joined by at most one apostrophe, hyphen, dot, '@' or '&' between them, so
"Pakistan’s", "Baden-Baden", "U.S", "3.5", "info@x.org" and "mofa.gov.pk" are each one token."""

_DOTTED_ABBREVIATION_RE = re.compile(r"(?:[^\W\d_]{1,2}\.)+[^\W\d_]{1,2}")
_ENUMERATOR_RE = re.compile(r"\d{1,3}|[A-Za-z]|[ivx]{1,5}|[IVX]{1,5}")
_BOUNDARY_RE = re.compile(r"(?P<term>\.{2,}|…|[.!?]+)(?P<close>[\"”’')\]»]*)(?=\s|$)")
_BOUNDARY_START_RE = re.compile(r"[.!?…\n](?:(?<=\n)\s*|(?=[.!?…\"”’')\]»]|\s|$))")
_NAME_WORD = r"[A-Z][\w.'’\-]*"
_NAME_PARTICLE = r"(?:of|the|de|da|du|van|von|der|al|bin|and|for|on|to|la|le)"
_INLINE_SPACE = r"[^\S\r\n]"
"""Whitespace other than a line break, in any Unicode class (no-break space after a speaker label too)."""
_SPEAKER_RE = re.compile(
    rf"^{_INLINE_SPACE}*{_NAME_WORD}(?:,?{_INLINE_SPACE}+(?:{_NAME_WORD}|{_NAME_PARTICLE})){{0,11}}"
    rf"{_INLINE_SPACE}*:{_INLINE_SPACE}+",
    re.MULTILINE,
)
_NOT_SPEAKERS: frozenset[str] = word_set(
    """
    telephone tel phone fax mobile cell email e-mail mail web website site url address helpline hotline
    contact contacts enquiries inquiries whatsapp twitter facebook instagram linkedin youtube date time
    venue location place source sources note notes reference ref subject tags tag keywords category
    categories attachment attachments photo caption credit image video audio update updated link links
    """
)
"""Last words of "Key:" labels that open contact and metadata lines, not speaker turns."""
_NOT_SPEECH_RE = re.compile(r"[\d+@]|.*(?:@|://|\bwww\.)")
PARAGRAPH_BREAK_RE = re.compile(r"\r?\n(?:[^\S\r\n]*\r?\n)+|\r(?:[^\S\r\n]*\r(?!\n))+")
_LF_PARAGRAPH_BREAK_RE = re.compile(r"\n(?:[^\S\r\n]*\n)+")
"""`PARAGRAPH_BREAK_RE` for texts without "\r"; its literal first character lets `re` skip ahead quickly."""


@dataclass(frozen=True, slots=True)
class Tokens:
    """The word tokens of `text` as parallel sequences: token `i` is `text[starts[i]:ends[i]]`, with its
    case-folded form `folded[i]` for matching. Punctuation and whitespace are the gaps between tokens.
    `spaced` holds one byte (0 or 1) a token, so that it costs one byte a token and numpy reads it
    without a copy.

    `starts` and `ends` are tuples, or for a text longer than `_CHUNK` code points, arrays of 64-bit
    integers (8 bytes a token instead of about 40).
    """

    text: str
    starts: Sequence[int]
    ends: Sequence[int]
    folded: tuple[str, ...]
    spaced: bytes
    """`spaced[i]` (1 or 0): token `i` follows token `i - 1` after whitespace only, on the same line."""

    def __len__(self) -> int:
        return len(self.starts)

    def word(self, index: int) -> str:
        """Token `index` as written."""
        return self.text[self.starts[index] : self.ends[index]]

    def gap(self, index: int) -> str:
        """The text between token `index - 1` and token `index` ("" before the first token)."""
        return self.text[self.ends[index - 1] : self.starts[index]] if index > 0 else ""


class Sentence(NamedTuple):
    """A sentence span and the index range `[first, stop)` of its tokens in the text's token list.

    `separator` says what divides it from the previous sentence: the start of the text, a line break,
    a plain full stop on the same line, or anything else ("?", "!", a full stop plus a closing quote).
    """

    start: int
    end: int
    first: int
    stop: int
    separator: Separator


def url_spans(text: str) -> list[tuple[int, int]]:
    """Spans of URLs ("https://…", "www.…"), without trailing sentence punctuation or an unpaired ")"."""
    spans: list[tuple[int, int]] = []
    if "://" not in text and _WWW_RE.search(text) is None:
        return spans
    for match in URL_RE.finditer(text):
        start, end = match.span()
        while end > start + 4:
            last = text[end - 1]
            if last in _URL_TRAILING or (last == ")" and text.count("(", start, end) < text.count(")", start, end)):
                end -= 1
            else:
                break
        spans.append((start, end))
    return spans


_SPLIT_RE = re.compile(r"(\w++(?:[’'\-‐‑.@&]\w++)*+)")
_SPLIT_NO_UNDERSCORE_RE = re.compile("(" + WORD_RE.pattern + ")")
"""`WORD_RE` with its match captured, for `re.split`; `_SPLIT_RE` is the fast form for texts without
"_", where the classes "word character" and "word character but not _" agree."""


@lru_cache(maxsize=2)
def tokenize(text: str) -> Tokens:
    """The word tokens of `text` in order (cached; the engine computes them once per text in
    `expectations.analysis.Analysis` instead)."""
    return tokens_of(text)


def tokens_of(text: str) -> Tokens:
    """The word tokens of `text` in order, computed afresh.

    One `split` pass yields the gaps and words alternately (`[gap, word, gap, …, word, tail]`); offsets
    are running sums of their lengths, so no per-token object besides the strings is built (this is the
    hot path of every check).
    """
    pattern = _SPLIT_NO_UNDERSCORE_RE if "_" in text else _SPLIT_RE
    if len(text) > _CHUNK:
        return _tokenize_long(text, pattern)
    parts = pattern.split(text)
    if len(parts) == 1:
        return Tokens(text, (), (), (), b"")
    bounds = list(accumulate(map(len, parts)))
    folded = tuple("\0".join(parts[1::2]).casefold().split("\0"))
    return Tokens(text, tuple(bounds[0:-1:2]), tuple(bounds[1::2]), folded, _spaced(parts))


_CHUNK = 1 << 18
"""Texts longer than this (in code points) are tokenised a chunk of about this size at a time."""


def _tokenize_long(text: str, pattern: re.Pattern[str]) -> Tokens:
    """`tokenize` for a long text, in bounded memory: the split parts of one chunk exist at a time
    (instead of two strings and two integers per token of the whole text), offsets go into arrays,
    and equal case-folded words share one string.

    Each chunk ends just after a line break, which no token contains, so no token is cut; the gap before
    the first token of a chunk holds that break, so that token is not `spaced`, as `tokenize` has it.
    """
    starts: array[int] = array("q")
    ends: array[int] = array("q")
    folded: list[str] = []
    spaced = bytearray()
    forms: dict[str, str] = {}
    position = 0
    while position < len(text):
        cut = text.find("\n", position + _CHUNK)
        cut = len(text) if cut < 0 else cut + 1
        parts = pattern.split(text[position:cut])
        if len(parts) > 1:
            lengths = list(map(len, parts))
            lengths[0] += position
            bounds = list(accumulate(lengths))
            starts.extend(bounds[0:-1:2])
            ends.extend(bounds[1::2])
            words = "\0".join(parts[1::2]).casefold().split("\0")
            folded.extend(map(forms.setdefault, words, words))
            spaced += _spaced(parts)
        position = cut
    return Tokens(text, starts, ends, tuple(folded), bytes(spaced))


def _spaced(parts: list[str]) -> bytes:
    """`Tokens.spaced` of the words of `parts` (`[gap, word, gap, …, word, tail]`): the first is not."""
    return bytes([False, *[gap == " " or (gap.isspace() and "\n" not in gap) for gap in parts[2:-1:2]]])


@lru_cache(maxsize=2)
def word_ids(text: str) -> tuple[np.ndarray, dict[str, int]]:
    """`word_ids_of(tokenize(text))`, cached."""
    return word_ids_of(tokenize(text))


def word_ids_of(tokens: Tokens) -> tuple[np.ndarray, dict[str, int]]:
    """Each token's case-folded form as an integer (equal words, equal ids) and the id of each form.

    Lets checks compare words with vector operations instead of one Python comparison per token. numpy
    is imported here, on the first call, so that a command checking only short texts never loads it.
    """
    import numpy as np

    folded = tokens.folded
    vocabulary: dict[str, int] = {}
    ids = np.fromiter(map(vocabulary.setdefault, folded, range(len(folded))), dtype=np.int64, count=len(folded))
    return ids, vocabulary


@lru_cache(maxsize=2)
def paragraphs(text: str) -> tuple[tuple[int, int], ...]:
    """`paragraphs_of(text)`, cached like `tokenize`."""
    return paragraphs_of(text)


def paragraphs_of(text: str) -> tuple[tuple[int, int], ...]:
    """Spans of the paragraphs of `text` (separated by blank lines), whitespace-trimmed, none empty."""
    spans: list[tuple[int, int]] = []
    position = 0
    for match in (PARAGRAPH_BREAK_RE if "\r" in text else _LF_PARAGRAPH_BREAK_RE).finditer(text):
        spans.extend(_trimmed(text, position, match.start()))
        position = match.end()
    spans.extend(_trimmed(text, position, len(text)))
    return tuple(spans)


def token_ranges_of(tokens: Tokens, spans: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """The index range `[first, stop)` of the tokens lying inside each of `spans` (offsets into `tokens.text`)."""
    starts, ends = tokens.starts, tokens.ends
    return tuple((bisect_left(starts, start), bisect_right(ends, end)) for start, end in spans)


def _trimmed(text: str, start: int, end: int) -> list[tuple[int, int]]:
    segment = text[start:end]
    stripped = segment.strip()
    if not stripped:
        return []
    start += len(segment) - len(segment.lstrip())
    return [(start, start + len(stripped))]


def is_transcript(text: str, *, min_turns: int = 2) -> bool:
    """Whether `text` reads as a transcript: at least `min_turns` lines open with a speaker label.

    A label is up to twelve capitalised words (name particles such as "of", "de" allowed) and a colon
    followed by whitespace of any kind: "QUESTION:", "MR PRICE:", "Spokesperson:", "Alexandra de Hoop
    Scheffer:", "U.S. Deputy Secretary of State, Ambassador Wendy Sherman:". Contact and metadata lines
    are not turns: a label ending in a word of `_NOT_SPEAKERS` ("Telephone:", "Media contact:",
    "Website:"), or one whose line goes on with a number, "+", an e-mail address or a URL.
    """
    return _speaker_turns(text, min_turns) >= min_turns


@lru_cache(maxsize=2)
def _speaker_turns(text: str, limit: int) -> int:
    """`speaker_turns(text, limit)`, cached, as several checks ask."""
    return speaker_turns(text, limit)


def speaker_turns(text: str, limit: int) -> int:
    """The number of lines of `text` that open with a speaker label, counting up to `limit`. A label
    never spans lines, so `_SPEAKER_RE` is only tried at line starts."""
    turns = 0
    start = 0
    while turns < limit:
        match = _SPEAKER_RE.match(text, start)
        line_end = text.find("\n", start)
        if match is not None and match.group().rstrip().rstrip(":").split()[-1].casefold() not in _NOT_SPEAKERS \
                and not _NOT_SPEECH_RE.match(text, match.end(), line_end if line_end >= 0 else len(text)):
            turns += 1
        if line_end < 0:
            break
        start = line_end + 1
    return turns


def speaker_label_end(text: str, start: int) -> int:
    """End of the speaker label ("QUESTION:\xa0 ") that opens the line at `start`, or `start` if none."""
    match = _SPEAKER_RE.match(text, start)
    return match.end() if match is not None else start


def is_abbreviation(word: str) -> bool:
    """Whether a word directly followed by a full stop reads as an abbreviation or an initial.

    For a hyphenated word the last part decides ("EU-U.S." is an abbreviation, "follow-up." is not). A
    lower-case "a" is the article ("travelling to a. meeting"), not an initial.
    """
    word = word.rpartition("-")[2]
    if len(word) == 1 and word.isalpha():
        return word != "a"
    return word.casefold() in ABBREVIATIONS or ("." in word and _DOTTED_ABBREVIATION_RE.fullmatch(word) is not None)


def is_enumerator(word: str) -> bool:
    """Whether a word can be a list marker such as "1", "b", "iv" (as in "1)", "b.", "(iv)")."""
    return len(word) <= 5 and _ENUMERATOR_RE.fullmatch(word) is not None


@lru_cache(maxsize=2)
def sentences(text: str) -> tuple[Sentence, ...]:
    """`sentences_of(tokenize(text))`, cached like `tokenize`."""
    return sentences_of(tokenize(text))


def sentences_of(tokens: Tokens) -> tuple[Sentence, ...]:
    """Split `tokens.text` into sentences, with token ranges into `tokens`.

    A sentence ends at "."/"!"/"?" (plus closing quotes or brackets) followed by whitespace, unless the
    full stop belongs to an abbreviation, an initial or a line-initial enumerator; every line break also
    ends one, so headings and bullets without full stops stand alone.
    """
    text = tokens.text
    starts, ends = tokens.starts, tokens.ends
    result: list[Sentence] = []
    position = 0
    pending: Separator = "start"
    for cut_start, cut_end, kind in _cuts(tokens):
        segment = text[position:cut_start]
        stripped = segment.strip()
        if stripped:
            start = position + len(segment) - len(segment.lstrip())
            end = start + len(stripped)
            first = bisect_left(starts, start)
            stop = bisect_right(ends, end)
            result.append(Sentence(start, end, first, stop if stop > first else first, pending))
            pending = kind
        elif pending != "start":
            pending = "line" if "line" in (pending, kind) else kind
        position = cut_end
    return tuple(result)


def _cuts(tokens: Tokens) -> list[tuple[int, int, Separator]]:
    """The sentence boundaries of `tokens.text` as `(start, end, separator)` spans, then its end.

    Every match of `_BOUNDARY_RE` starts where `_BOUNDARY_START_RE` matches (a line break, or a terminator
    followed by another, a closing mark, whitespace or the end), so the regex is only tried there:
    `finditer` would try it at every position, which was most of the cost of splitting. A line break and
    the whitespace after it are one cut: further breaks in that whitespace would only cut empty text.
    """
    text = tokens.text
    cuts: list[tuple[int, int, Separator]] = []
    reach = 0
    for candidate in _BOUNDARY_START_RE.finditer(text):
        position = candidate.start()
        if position < reach:
            continue
        if text[position] == "\n":
            reach = candidate.end()
            cuts.append((position, reach, "line"))
            continue
        match = _BOUNDARY_RE.match(text, position)
        if match is None:
            continue
        reach = match.end()
        term, close = match.group("term", "close")
        if term == ".":
            if _is_non_final_stop(tokens, position):
                continue
            cuts.append((reach, reach, "other" if close else "full-stop"))
        elif not (term.startswith("..") or term == "…"):
            cuts.append((reach, reach, "other"))
    cuts.append((len(text), len(text), "other"))
    return cuts


def _is_non_final_stop(tokens: Tokens, stop: int) -> bool:
    """Whether the full stop at offset `stop` is part of the word before it, not a sentence end."""
    ends = tokens.ends
    index = bisect_left(ends, stop)
    if index >= len(ends) or ends[index] != stop:
        return False
    kind = _stop_kind(tokens.text[tokens.starts[index] : stop])
    return kind == _ABBREVIATION or (kind == _ENUMERATOR and starts_line(tokens.text, tokens.starts[index]))


_ABBREVIATION, _ENUMERATOR, _WORD = 0, 1, 2


@lru_cache(maxsize=4096)
def _stop_kind(word: str) -> int:
    """Whether a word before a full stop is an abbreviation, else an enumerator, else a plain word; cached,
    as the same words end sentence after sentence."""
    if is_abbreviation(word):
        return _ABBREVIATION
    return _ENUMERATOR if is_enumerator(word) else _WORD


def starts_line(text: str, position: int) -> bool:
    """Whether only spaces, tabs or "(" stand between the last line break (or the start) and `position`."""
    while position > 0 and text[position - 1] in " \t(":
        position -= 1
    return position == 0 or text[position - 1] in "\r\n"


def restart_size(tokens: Tokens, previous: Sentence, sentence: Sentence, limit: int) -> int:
    """Number of words (at most `limit`) that end `previous` and open `sentence`, or 0.

    Only the sentence terminator may separate the copies, and neither copy has punctuation inside; a
    phrase that also opens `previous` (parallelism) does not count unless it is the whole of `previous`.
    """
    if previous.stop <= previous.first or tokens.ends[previous.stop - 1] + 1 != previous.end:
        return 0
    if sentence.first >= sentence.stop or tokens.starts[sentence.first] != sentence.start:
        return 0
    folded, spaced = tokens.folded, tokens.spaced
    longest = min(limit, previous.stop - previous.first, sentence.stop - sentence.first)
    if folded[sentence.first] not in folded[previous.stop - longest : previous.stop]:
        return 0
    for size in range(longest, 0, -1):
        cut = previous.stop - size
        if folded[cut : previous.stop] != folded[sentence.first : sentence.first + size]:
            continue
        inside = [*range(cut + 1, previous.stop), *range(sentence.first + 1, sentence.first + size)]
        if not all(spaced[index] for index in inside):
            continue
        if cut == previous.first and size < previous.stop - previous.first:
            return 0
        return size
    return 0


_LINE_JOIN_RE = re.compile(r"\n[^\S\r\n]*(?=\w)")
"""A line break before a word; `_joins_words` also asks for a word before it (no blank line, no
punctuation on either side). Starting on the literal break lets `re` skip ahead quickly."""
_WORD_CHAR_RE = re.compile(r"\w")
_MIN_WRAPPED_LINE = 40
"""Characters from which a line ending without punctuation reads as wrapped prose rather than a heading
or label; hard-wrapped releases fill lines to 66–80 columns."""
_OPEN_LINE_ENDINGS: frozenset[str] = word_set(
    """
    a an the and or nor but of to in on at by for with from as into onto upon about over under after before
    than that is are was were be been its their our his her my your whose
    """
)
"""Words a heading or label never ends on: a line stopping on one continues on the next."""


@lru_cache(maxsize=2)
def wrapped_joins(text: str) -> frozenset[int]:
    """`wrapped_joins_of(tokenize(text))`, cached."""
    return wrapped_joins_of(tokenize(text))


def wrapped_joins_of(tokens: Tokens) -> frozenset[int]:
    """Indices of tokens that continue a hard-wrapped line of prose from the line before.

    The break must be a single line break with only spaces around it (a blank line ends a paragraph), and
    the line before must read as wrapped prose: it ends on a word headings never end on ("members of
    the"), or it is at least `_MIN_WRAPPED_LINE` characters long and not in title case. Short or
    title-case lines ("Joint Statement", "Kenya", "• Trade Ministers") are headings, labels or list items
    whose words the next line may repeat on purpose. Each line is read once, so this is linear.
    """
    text = tokens.text
    joins: set[int] = set()
    if "\n" not in text:
        return frozenset()
    for match in _LINE_JOIN_RE.finditer(text):
        before = _word_end_before(text, match.start())
        if before < 0:
            continue
        index = bisect_left(tokens.starts, match.end())
        if index >= len(tokens) or tokens.starts[index] != match.end() or index == 0:
            continue
        line_start = text.rfind("\n", 0, before) + 1
        if _reads_as_wrapped(tokens, bisect_left(tokens.starts, line_start), index):
            joins.add(index)
    return frozenset(joins)


def _word_end_before(text: str, newline: int) -> int:
    """Where the word before the line break at `newline` ends (an optional "\r" and inline spaces
    between), or -1 when a break, punctuation or the start of the text comes first."""
    position = newline
    if position and text[position - 1] == "\r":
        position -= 1
    while position and text[position - 1] not in "\r\n" and text[position - 1].isspace():
        position -= 1
    return position if position and _WORD_CHAR_RE.match(text, position - 1) else -1


def _reads_as_wrapped(tokens: Tokens, first: int, stop: int) -> bool:
    """Whether the line holding tokens `[first, stop)` continues on the next line (see `wrapped_joins`)."""
    if stop <= first:
        return False
    if tokens.folded[stop - 1] in _OPEN_LINE_ENDINGS:
        return True
    if tokens.ends[stop - 1] - tokens.starts[first] < _MIN_WRAPPED_LINE:
        return False
    return any(
        tokens.word(index)[:1].islower() and tokens.folded[index] not in _OPEN_LINE_ENDINGS
        for index in range(first + 1, stop)
    )
