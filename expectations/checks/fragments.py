"""`garbled-fragment`: a sentence broken by a stray full stop, or a stray copy of a sentence's tail.

Two reason shapes, each reported on the fragment itself:

* Lower-case continuation — "…peace and security. of the Middle.": within one line, a full stop that is
  not an abbreviation, initial or enumerator is followed by a sentence starting with a lower-case word.
  Not a defect when that word is a brand or mixed-case word ("eVisa", "iPhone", "e-Gov", "mRNA"), a
  name particle ("von der Leyen", "al-Assad"), a URL, domain or e-mail address, or a list marker
  ("b) …"), or when the full stop ends a list marker ("1. the first…", "Steps: 1. the first…"). A new line
  or paragraph is never read as a stray full stop: list items and headings often start lower-case.
* Stray tail — "…the Ministry of Foreign Affairs said. Foreign Affairs) said.": a short sentence (at most
  `max_tail_words` words, at least `min_tail_words`) on the same line whose words equal the last words of
  the sentence before it, where that tail was cut from the middle of a clause (only a space precedes
  it). A one-word tail counts when both copies are a capitalised name of four letters or more ("…held
  in Ouagadougou. Ouagadougou.", not "…so welcome. Welcome." nor "applause. (Applause.)", from the State
  Department transcripts). "Okay, thank you. Thank you." in a transcript is spared because a comma
  precedes the tail; an
  exact copy of the whole previous sentence is left to a repeated-sentence check. Markup left in the
  text is transparent: a tail after an HTML entity or tag ("…in &amp;amp; Addis Ababa. Addis Ababa.")
  was cut from the middle of a clause just the same (`_MARKUP_BEFORE_RE`); markup-remnant reports the
  entity itself.

* Dangling ending — "…before travelling to the.": a sentence that ends in a full stop right after an article, a
  coordinating conjunction, a possessive determiner or a preposition that cannot close an English sentence
  (`DANGLING_WORDS`), or a paragraph inside the body that stops on one of those words with no punctuation at all and
  only a space before it (list items end in "; and" or ", or" on purpose) (the end of the whole text is
  `truncated-text`'s). Prepositions that English strands at the end of a clause ("the partners we work with.", "which
  both sides agreed to.", "as before.") are not in the list; they dangle only straight after a comma or a number
  ("a difficult build-up, with.", "from May 31 to.", "from June to.", `STRANDABLE_WORDS`).
  A capital "A" is a name or grade ("Plan A.", "Category A."). When the next sentence starts in lower case on the
  same line ("…to facilitate the. passage of aid"), the stray full stop is one defect,
  reported once as the lower-case fragment.

* Capitalised continuation — "…was willing to learn from. China's experience in poverty alleviation.":
  the general form of the lower-case continuation, where the word after the stray full stop is a name.
  A sentence ends on a preposition English strands but never uses as an adverb particle
  (`OBJECT_PREPOSITIONS`: "from", "with", "of", "for"… — not "on", "in", "over": "The meeting went on.")
  right after a lower-case word,
  with no pronoun, relative or wh-word among the six words before it (`_GAP_OPENERS`: legitimate
  stranding leaves a gap that such a word opens — "the region we work in", "what they had hoped
  for"), and the next sentence, on the same line after a plain full stop, opens with a capital and has no verb
  (`_is_verbless`: at least three words, none an auxiliary or common reporting verb of `VERB_CUES`, none
  ending in "-ed", no pronoun subject) — a noun phrase that is the preposition's object. A stranded
  preposition before a real sentence ("…what they were looking for. We will…") has a verb after it.
  Boundary: on the 587 State Department releases and the GOV.UK items no sentence ending on a stranded
  preposition is followed by a verbless one on the same line.

A lower-case sentence that restarts the words ending the sentence before it ("…the Ministry said. the
Ministry said the talks…") is `duplicated-phrase`'s, so one defect yields one finding.

In a transcript (see `expectations.text.is_transcript`) both shapes are usually the transcriber
punctuating speech ("…building on our partnership. and looking for ways…") or a speaker restarting
("Humeyra Pamuk. Humeyra Pamuk."), so findings there are capped at `transcript_severity` (default
`warning`): shown, not blocking.

Thresholds are ours, tuned on the seed example and on 587 edited US State Department releases.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import pairwise

from pressroom.expectations.analysis import Analysis
from pressroom.expectations.checks.base import Check
from pressroom.expectations.findings import Finding, Severity, capped
from pressroom.expectations.text import (
    Sentence,
    Tokens,
    is_enumerator,
    restart_size,
    word_set,
)

NAME_PARTICLES: frozenset[str] = word_set(
    """
    von van der den de del della di da dos das du le la al el bin ibn ben ter ten zu
    """
)
"""Lower-case particles that legitimately open a sentence as part of a name ("von der Leyen said")."""


DANGLING_WORDS: frozenset[str] = word_set(
    """
    a an the and or nor its their our my your whose during via per amid amidst despite including
    regarding unlike versus although whereas unless whether than among amongst
    """
)
"""Words that cannot end an English sentence: articles, "and"/"or"/"nor", possessive determiners, and
prepositions that are never stranded. "of", "to" and "towards" are left out: speakers strand them ("a
part of.", "what we are looking towards.", eleven times in the 587 State Department releases)."""

STRANDABLE_WORDS: frozenset[str] = word_set(
    """
    to with from of for in on at by about into onto towards toward upon over under after before between
    through against within without across like
    """
)
"""Prepositions English strands at the end of a clause ("what it was looking for.", "a world to live in.",
"signed up to."). They end a sentence as a defect only straight after a comma or a number ("a difficult
build-up, with.", "from May 31 to."), where no verb can be waiting for them, or "to" closing a "from …"
range ("from 4 June to."); none of the 587 State
Department releases has one there."""

_RESTART_LIMIT = 8
VERB_CUES: frozenset[str] = word_set(
    """
    is are was were be been being am has have had do does did will would shall should can could may might
    must cannot
    say says said tell tells told add adds note notes stress stresses thank thanks welcome welcomes
    remain remains continue continues need needs want wants call calls make makes take takes give gives
    see sees know knows believe believes hope hopes look looks let lets
    """
)
"""Auxiliaries and common verbs whose presence makes a sentence a clause, not a stray noun phrase."""
_PRONOUN_SUBJECTS = word_set("i we you he she it they there")
OBJECT_PREPOSITIONS: frozenset[str] = word_set("from with of for into onto upon at against between towards toward like")
"""Strandable prepositions that always want an object: never a particle closing a phrasal verb."""
_GAP_OPENERS = word_set(
    """
    i we you he she it they which that what who whom whose where whatever something anything nothing
    everything someone anyone everyone one
    """
)
_CLAUSE_OPENERS = word_set("but and so or yet also then now well this that these those here")
"""Openers of a new sentence in speech ("…to start with. But just on…"), never of a stray object."""
_CONTRACTION_RE = re.compile(r"[’'](?:m|re|ve|ll|d|t)$|^(?:i|we|you|he|she|it|they|there|that|what|who|here)[’']s$")
_MARKUP_BEFORE_RE = re.compile(r"(?:&(?:amp;)*#?[0-9A-Za-z]{2,8};|<[^<>\n]{1,40}>)[^\S\n]+$")
"""An HTML entity or tag, then spaces, right before a token."""


class GarbledFragment(Check):
    """Report a lower-case fragment after a stray full stop, or a stray repeated sentence tail."""

    id = "garbled-fragment"
    default_severity = "error"
    languages = frozenset({"en"})

    def __init__(
        self,
        *,
        severity: Severity | None = None,
        min_tail_words: int = 2,
        max_tail_words: int = 6,
        transcript_severity: Severity = "warning",
    ) -> None:
        super().__init__(severity=severity)
        self.min_tail_words = min_tail_words
        self.max_tail_words = max_tail_words
        self.transcript_severity = transcript_severity

    def find_in(self, analysis: Analysis) -> list[Finding]:
        text, tokens, parts = analysis.text, analysis.tokens, analysis.sentences
        findings: list[Finding] = []
        for previous, sentence in pairwise(parts):
            if sentence.separator in ("start", "line"):
                continue
            excerpt = text[sentence.start : sentence.end]
            if (
                sentence.separator == "full-stop"
                and _lower_case_start(tokens, previous, sentence)
                and not _is_restart(tokens, previous, sentence)
            ):
                message = f'fragment "{_short(excerpt)}" starts in lower case after a full stop'
                findings.append(self.finding(text, sentence.start, sentence.end, message))
            elif sentence.separator == "full-stop" and _capitalised_continuation(tokens, previous, sentence):
                cut = tokens.word(previous.stop - 1)
                message = f'fragment "{_short(excerpt)}" follows a sentence cut after "{cut}"'
                findings.append(self.finding(text, sentence.start, sentence.end, message))
            elif self._stray_tail(tokens, previous, sentence):
                message = f'fragment "{_short(excerpt)}" repeats the end of the sentence before it'
                findings.append(self.finding(text, sentence.start, sentence.end, message))
        findings.extend(self._dangling(tokens, parts, analysis.paragraphs))
        if findings and analysis.is_transcript:
            findings.sort(key=lambda f: f.start)
            return capped(findings, self.transcript_severity)
        return findings

    def _dangling(
        self, tokens: Tokens, parts: tuple[Sentence, ...], paragraphs: tuple[tuple[int, int], ...]
    ) -> list[Finding]:
        """Sentences ending in a full stop after a dangling word, and paragraphs stopping on one."""
        text = tokens.text
        findings: list[Finding] = []
        for index, sentence in enumerate(parts):
            last = sentence.stop - 1
            if last <= sentence.first or not _dangles(tokens, last):
                continue
            following = parts[index + 1] if index + 1 < len(parts) else None
            if following is not None and following.separator == "full-stop" and _starts_lower(tokens, following):
                continue
            after = text[tokens.ends[last] : sentence.end]
            if after == ".":
                word = tokens.word(last)
                message = f'sentence ends on "{word}", which cannot end a sentence'
                findings.append(self.finding(text, tokens.starts[max(sentence.first, last - 3)], sentence.end, message))
        for start, end in paragraphs[:-1]:
            index = bisect_right(tokens.ends, end) - 1
            if index > 0 and tokens.ends[index] == end and _dangles(tokens, index) and tokens.spaced[index]:
                word = tokens.word(index)
                first = max(bisect_right(tokens.starts, start) - 1, index - 3, 0)
                message = f'paragraph stops mid-sentence on "{word}"'
                findings.append(self.finding(text, tokens.starts[first], end, message))
        return findings

    def _stray_tail(self, tokens: Tokens, previous: Sentence, sentence: Sentence) -> bool:
        size = sentence.stop - sentence.first
        if not self.min_tail_words <= size <= self.max_tail_words and not (
            size == 1 and _is_name(tokens, sentence.first) and _is_name(tokens, previous.stop - 1)
        ):
            return False
        cut = previous.stop - size
        if cut <= previous.first:
            return False
        tail = tokens.folded[cut : previous.stop]
        if tail != tokens.folded[sentence.first : sentence.stop]:
            return False
        if not any(character.isalpha() for word in tail for character in word):
            return False
        if tokens.spaced[cut]:
            return True
        start = tokens.starts[cut]
        return _MARKUP_BEFORE_RE.search(tokens.text, max(start - 50, 0), start) is not None


def _is_name(tokens: Tokens, index: int) -> bool:
    """Whether token `index` is a capitalised word of at least four letters ("Ouagadougou")."""
    word = tokens.word(index)
    return len(word) >= 4 and word[:1].isupper() and word[1:].islower() and word.isalpha()


def _dangles(tokens: Tokens, index: int) -> bool:
    gap = tokens.gap(index)
    if "\n" in gap or gap.strip() not in ("", ","):
        return False
    word = tokens.folded[index]
    if word in STRANDABLE_WORDS:
        if word == "to" and "from" in tokens.folded[max(index - 4, 0) : index - 1]:
            return True
        return gap.strip() == "," or any(character.isdigit() for character in tokens.folded[index - 1])
    return word in DANGLING_WORDS and tokens.word(index) != "A"


def _capitalised_continuation(tokens: Tokens, previous: Sentence, sentence: Sentence) -> bool:
    """Whether `previous` stops on a stranded preposition and `sentence` is its verbless object (module
    docstring, "Capitalised continuation")."""
    last = previous.stop - 1
    if last <= previous.first or tokens.folded[last] not in OBJECT_PREPOSITIONS or not tokens.spaced[last]:
        return False
    if tokens.ends[last] + 1 != previous.end or not tokens.word(last - 1)[:1].islower():
        return False
    if any(word in _GAP_OPENERS for word in tokens.folded[max(previous.first, last - 6) : last]):
        return False
    if sentence.first >= sentence.stop or tokens.starts[sentence.first] != sentence.start:
        return False
    return tokens.word(sentence.first)[:1].isupper() and _is_verbless(tokens, sentence)


def _is_verbless(tokens: Tokens, sentence: Sentence) -> bool:
    """At least three words; no verb cue, "-ed" word, contraction ("won’t", "we’ve") or personal pronoun;
    not opened by a word that opens speech ("But", "So": `_CLAUSE_OPENERS`)."""
    words = tokens.folded[sentence.first : sentence.stop]
    if len(words) < 3 or words[0] in _CLAUSE_OPENERS:
        return False
    return not any(
        word in VERB_CUES or word in _PRONOUN_SUBJECTS or word.endswith("ed") or _CONTRACTION_RE.search(word)
        for word in words
    )


def _starts_lower(tokens: Tokens, sentence: Sentence) -> bool:
    """Whether `sentence` opens with a lower-case word (then the stray full stop is one defect, reported
    on the fragment after it)."""
    return sentence.first < sentence.stop and tokens.word(sentence.first)[:1].islower()


def _is_restart(tokens: Tokens, previous: Sentence, sentence: Sentence) -> bool:
    """Whether `sentence` restarts the words ending `previous` and goes on (`duplicated-phrase`'s)."""
    size = restart_size(tokens, previous, sentence, _RESTART_LIMIT)
    return 2 <= size < sentence.stop - sentence.first


def _lower_case_start(tokens: Tokens, previous: Sentence, sentence: Sentence) -> bool:
    """Whether `sentence` opens with an ordinary lower-case word (see the module docstring)."""
    if sentence.first >= sentence.stop or tokens.starts[sentence.first] != sentence.start:
        return False
    word = tokens.word(sentence.first)
    if not word[0].islower() or _is_special_word(word):
        return False
    if tokens.text.startswith(("http://", "https://"), sentence.start):
        return False
    after = tokens.text[tokens.ends[sentence.first] : tokens.ends[sentence.first] + 1]
    if is_enumerator(word) and after in (")", "."):
        return False
    return not _ends_with_list_marker(tokens, previous)


def _ends_with_list_marker(tokens: Tokens, sentence: Sentence) -> bool:
    """Whether `sentence` ends in a list marker such as "1." that opens it or follows ":", ";" or ","."""
    last = sentence.stop - 1
    if last < sentence.first or tokens.ends[last] != sentence.end - 1 or not is_enumerator(tokens.word(last)):
        return False
    return last == sentence.first or any(mark in tokens.gap(last) for mark in ":;,")


def _is_special_word(word: str) -> bool:
    """Brand, mixed-case, name-particle, URL-like or dotted words may start a sentence in lower case."""
    if any(character.isupper() for character in word[1:]):
        return True
    if "." in word or "@" in word:
        return True
    head, _, rest = word.partition("-")
    return word.casefold() in NAME_PARTICLES or (bool(rest) and (len(head) == 1 or head in NAME_PARTICLES))


def _short(excerpt: str, limit: int = 60) -> str:
    return excerpt if len(excerpt) <= limit else excerpt[: limit - 1] + "…"
