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
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from operator import add, sub
from typing import Literal

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
_URL_TRAILING = ".,;:!?'’”\"]}"
WORD_RE = re.compile(r"[^\W_]++(?:[’'\-‐‑.@&][^\W_]++)*+")
"""A word: letters/digits joined by at most one apostrophe, hyphen, dot, '@' or '&' between them, so
"Pakistan’s", "Baden-Baden", "U.S", "3.5", "info@x.org" and "mofa.gov.pk" are each one token."""

_DOTTED_ABBREVIATION_RE = re.compile(r"(?:[^\W\d_]{1,2}\.)+[^\W\d_]{1,2}")
_ENUMERATOR_RE = re.compile(r"\d{1,3}|[A-Za-z]|[ivx]{1,5}|[IVX]{1,5}")
_BOUNDARY_RE = re.compile(r"(?P<term>\.{2,}|…|[.!?]+)(?P<close>[\"”’')\]»]*)(?=\s|$)|(?P<nl>\n)")
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


@dataclass(frozen=True, slots=True)
class Tokens:
    """The word tokens of `text` as parallel tuples: token `i` is `text[starts[i]:ends[i]]`, with its
    case-folded form `folded[i]` for matching. Punctuation and whitespace are the gaps between tokens.
    """

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    folded: tuple[str, ...]
    spaced: tuple[bool, ...]
    """`spaced[i]`: token `i` follows token `i - 1` after whitespace only, on the same line."""

    def __len__(self) -> int:
        return len(self.starts)

    def word(self, index: int) -> str:
        """Token `index` as written."""
        return self.text[self.starts[index] : self.ends[index]]

    def gap(self, index: int) -> str:
        """The text between token `index - 1` and token `index` ("" before the first token)."""
        return self.text[self.ends[index - 1] : self.starts[index]] if index > 0 else ""


@dataclass(frozen=True, slots=True)
class Sentence:
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


_PAIR_RE = re.compile(r"(\W*+)(\w++(?:[’'\-‐‑.@&]\w++)*+)")
_PAIR_NO_UNDERSCORE_RE = re.compile(r"([\W_]*+)(" + WORD_RE.pattern + ")")
"""`(gap, word)` pairs covering the text up to its last word; `_PAIR_RE` is the fast form for texts
without "_", where the classes "word character" and "word character but not _" agree."""


@lru_cache(maxsize=4)
def tokenize(text: str) -> Tokens:
    """The word tokens of `text` in order; cached, because every check of a text asks for them.

    One `findall` pass yields each word with the gap before it; offsets are running sums of their
    lengths, so no per-token match object is built (this is the hot path of every check).
    """
    pairs = (_PAIR_NO_UNDERSCORE_RE if "_" in text else _PAIR_RE).findall(text)
    if not pairs:
        return Tokens(text, (), (), (), ())
    gaps, words = zip(*pairs, strict=True)
    lengths = list(map(len, words))
    ends = tuple(accumulate(map(add, map(len, gaps), lengths)))
    starts = tuple(map(sub, ends, lengths))
    folded = tuple("\0".join(words).casefold().split("\0"))
    spaced = (False, *map(_is_inline_space, gaps[1:]))
    return Tokens(text, starts, ends, folded, spaced)


@lru_cache(maxsize=1024)
def _is_inline_space(gap: str) -> bool:
    return gap == " " or (gap.isspace() and "\n" not in gap)


@lru_cache(maxsize=4)
def word_ids(text: str) -> tuple[np.ndarray, dict[str, int]]:
    """Each token's case-folded form as an integer (equal words, equal ids) and the id of each form.

    Lets checks compare words with vector operations instead of one Python comparison per token.
    """
    folded = tokenize(text).folded
    vocabulary: dict[str, int] = {}
    ids = np.fromiter(map(vocabulary.setdefault, folded, range(len(folded))), dtype=np.int64, count=len(folded))
    return ids, vocabulary


@lru_cache(maxsize=4)
def paragraphs(text: str) -> tuple[tuple[int, int], ...]:
    """Spans of the paragraphs of `text` (separated by blank lines), whitespace-trimmed, none empty;
    cached like `tokenize`, since several checks walk the paragraphs."""
    spans: list[tuple[int, int]] = []
    position = 0
    for match in PARAGRAPH_BREAK_RE.finditer(text):
        spans.extend(_trimmed(text, position, match.start()))
        position = match.end()
    spans.extend(_trimmed(text, position, len(text)))
    return tuple(spans)


def _trimmed(text: str, start: int, end: int) -> list[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return [(start, end)] if start < end else []


def is_transcript(text: str, *, min_turns: int = 2) -> bool:
    """Whether `text` reads as a transcript: at least `min_turns` lines open with a speaker label.

    A label is up to twelve capitalised words (name particles such as "of", "de" allowed) and a colon
    followed by whitespace of any kind: "QUESTION:", "MR PRICE:", "Spokesperson:", "Alexandra de Hoop
    Scheffer:", "U.S. Deputy Secretary of State, Ambassador Wendy Sherman:". Contact and metadata lines
    are not turns: a label ending in a word of `_NOT_SPEAKERS` ("Telephone:", "Media contact:",
    "Website:"), or one whose line goes on with a number, "+", an e-mail address or a URL.
    """
    count = 0
    for match in _SPEAKER_RE.finditer(text):
        label = match.group().rstrip().rstrip(":").split()
        if label[-1].casefold() in _NOT_SPEAKERS:
            continue
        line_end = text.find("\n", match.end())
        if _NOT_SPEECH_RE.match(text, match.end(), line_end if line_end >= 0 else len(text)):
            continue
        count += 1
        if count >= min_turns:
            return True
    return False


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
    return word.casefold() in ABBREVIATIONS or _DOTTED_ABBREVIATION_RE.fullmatch(word) is not None


def is_enumerator(word: str) -> bool:
    """Whether a word can be a list marker such as "1", "b", "iv" (as in "1)", "b.", "(iv)")."""
    return _ENUMERATOR_RE.fullmatch(word) is not None


@lru_cache(maxsize=4)
def sentences(text: str) -> tuple[Sentence, ...]:
    """Split `text` into sentences, with token ranges into `tokenize(text)`; cached like `tokenize`.

    A sentence ends at "."/"!"/"?" (plus closing quotes or brackets) followed by whitespace, unless the
    full stop belongs to an abbreviation, an initial or a line-initial enumerator; every line break also
    ends one, so headings and bullets without full stops stand alone.
    """
    tokens = tokenize(text)
    cuts: list[tuple[int, int, Separator]] = []
    for match in _BOUNDARY_RE.finditer(text):
        if match.group("nl") is not None:
            cuts.append((match.start(), match.end(), "line"))
            continue
        term = match.group("term")
        if term.startswith("..") or term == "…":
            continue
        if term == "." and _is_non_final_stop(tokens, match.start()):
            continue
        separator: Separator = "full-stop" if term == "." and not match.group("close") else "other"
        cuts.append((match.end(), match.end(), separator))

    result: list[Sentence] = []
    position = 0
    pending: Separator = "start"
    for cut_start, cut_end, kind in [*cuts, (len(text), len(text), "other")]:
        span = _trimmed(text, position, cut_start)
        if span:
            start, end = span[0]
            first = bisect_left(tokens.starts, start)
            stop = max(first, bisect_right(tokens.ends, end))
            result.append(Sentence(start, end, first, stop, pending))
            pending = kind
        elif pending != "start":
            pending = "line" if "line" in (pending, kind) else kind
        position = cut_end
    return tuple(result)


def _is_non_final_stop(tokens: Tokens, stop: int) -> bool:
    """Whether the full stop at offset `stop` is part of the word before it, not a sentence end."""
    index = bisect_left(tokens.ends, stop)
    if index >= len(tokens) or tokens.ends[index] != stop:
        return False
    word = tokens.word(index)
    return is_abbreviation(word) or (is_enumerator(word) and starts_line(tokens.text, tokens.starts[index]))


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
