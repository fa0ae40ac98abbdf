"""`duplicated-phrase`: a word or phrase written twice in a row, or an item repeated within a list.

Two reason shapes, both reported on the second (redundant) copy:

* Immediate repetition — "to to", "the illicit supply of the illicit supply of": a run of 1 to
  `max_phrase_words` words followed at once by the same words (case-insensitive), with only spaces at the
  junction and inside both copies. A comma, full stop, dash or line break at the
  junction ("Never again, never again"; "Blinken. Blinken said"; a heading repeated by its paragraph)
  makes it deliberate or at least not this defect; the single line break of hard-wrapped prose
  ("members of the\nthe Haitian elite") counts as a space (see `expectations.text.wrapped_joins`).
  Word pairs that English doubles on purpose ("had had", "that that", "Bora Bora") are in
  `allowed_doubles`; a capitalised non-function word doubled
  ("Abdullah Abdullah") is usually a name and is reported at `info` only. A phrase of at least
  `min_comma_repeat_words` words repeated with only a comma between ("exchanged views on the region,
  exchanged views on the region,") is the same defect. "and more and more", "to face to face" are
  reduplications, not a doubled "and more".
  In a transcript (see `expectations.text.is_transcript`) speech-like repetition is what was said:
  back-to-back repeats of 2 to 4 words ("those are those are"), comma repeats, list repeats and
  restarts are capped at `transcript_severity` (default `info`); any other finding, such as a doubled
  word ("a a", "and and") or a series closing on the end of its opening clause (below; a speaker lists
  countries twice, but does not say "maintaining stability, prosperity and stability"), at `warning`.
* Restart across a sentence boundary — "…a statement by the Ministry said. the Ministry said the talks…":
  the last `min_restart_words`..`max_phrase_words` words of a sentence open the next sentence on the same
  line, each copy without punctuation inside. It is an `error` when the second copy starts in lower case
  (the writer or the machine translation restarted the clause and the full stop is stray) or when the
  earlier sentence is nothing but the phrase ("The two sides agreed. The two sides agreed to meet…").
  A next sentence that is only the phrase is left to `garbled-fragment` (a stray tail) or to
  `repeated-sentence`, so "Thank you. Thank you." stays quiet here; so does a short capitalised
  sentence opening with a pronoun or "thank" repeated as the next one's opening ("We have waited. We
  have waited through…", "Thank you. Thank you for…"), which is rhetoric or speech.
  When the second copy is capitalised and the earlier sentence is longer, English also does this on
  purpose (anadiplosis: "…refugees in Costa Rica. Costa Rica also hosts…", measured on the State
  Department releases), so only phrases of at least `min_capitalised_restart_words` words are reported,
  as a `warning`. A repeat at the start of both sentences ("It is not in the interests of Israelis. It is
  not in the interests of Palestinians.") is parallelism, never this defect.
* List repetition — "a comprehensive, broad-based and comprehensive solution", "Guyana, Haiti,
  Jamaica, Guyana", "Trinidad and Tobago, Saint Lucia, Trinidad and Tobago": within a sentence's
  comma-separated series, an item (case-insensitive) repeats an earlier item that is not right before
  it; the item after "and" closes the series even when a comma follows ("minerals, chips and minerals,
  as well as…"), and a one-word end of the opening clause counts as an item when it is a name ("in
  Geneva, Vienna and Geneva"), and so does a lower-case one-word end when the series closes on it with
  "and"/"or" and a lower-case word precedes it (`_ends_clause`: "committed to maintaining stability,
  prosperity and stability in the region" — the seed's "a comprehensive, broad-based and comprehensive
  solution" in its general form, whatever word comes before the first copy). Boundary: the 587 State
  Department releases and the GOV.UK items have no such series. A list needs at least one comma, so
  "again and again", "more and more" and "step by step" are not lists; a segment longer than 8 words,
  with punctuation inside, with a personal pronoun (a clause) or an aside ("of course", "again") is not
  an item but starts a new series.

Thresholds are ours, tuned on the seed example (tests/fixtures/text/) and on 587 edited US State
Department releases, where the check must stay silent. Work per token is bounded by the thresholds, so
the check is linear in text length.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from itertools import pairwise

from pressroom.expectations.analysis import Analysis
from pressroom.expectations.checks.base import Check
from pressroom.expectations.findings import Finding, Severity, capped, milder
from pressroom.expectations.text import (
    Sentence,
    Tokens,
    restart_size,
    word_set,
)

DEFAULT_ALLOWED_DOUBLES: frozenset[str] = word_set(
    """
    had that do does did bora walla pago sing baden bye ha cha chop knock tut yada blah there
    """
)
"""Words English doubles on purpose ("had had", "that that") or in names ("Bora Bora"). "in in" and "is is"
are grammatical only in context (see `_grammatical_double`), so they are not here."""

_IN_PARTICLE_VERBS: frozenset[str] = word_set(
    """
    log logs logged logging sign signs signed signing check checks checked checking fill fills filled filling
    plug plugs plugged plugging factor factors factored factoring phase phases phased phasing usher ushers
    ushered ushering swear swears swore sworn swearing chip chips chipped chipping pitch pitched pitching
    tune tuned tuning zoom zoomed zooming move moves moved moving settle settled settling join joined
    joining give gives gave given giving cave caved break broke broken drop dropped step stepped stepping
    weigh weighs weighed weighing lock locked locking pencil pencilled penciled dial dialled dialed kick
    kicked kicking set sets setting ring rang rung call called calling fly flew flown flying come came
    coming comes stay stayed staying sit sat sitting take took taken taking bring brought bringing let
    lets letting lay laid rein reined fit fitted fits fitting hand handed handing turn turned turning
    """
)
"""Verbs with the particle "in" ("logged in", "phased in") that a second "in" may follow ("phased in in
March")."""
_IN_PHRASE_HEADS: frozenset[str] = word_set(
    """
    terms fact particular general addition order part turn short sum response advance effect practice
    principle itself light view case spite line return total contrast brief person time
    """
)
"""Words after "in" in fixed phrases that may follow a stranded "in" ("a role in in terms of")."""
_COPULA_SUBJECT_WORDS: frozenset[str] = word_set(
    """
    what where why how who whatever all thing things point problem question issue truth fact reality reason
    answer concern difference key goal aim hope challenge idea bottom line trouble worry
    """
)
"""Words that open a clause used as the subject of "is" ("what it is is", "the thing is is")."""
_COPULA_REACH = 6

FUNCTION_WORDS: frozenset[str] = word_set(
    """
    a an the and or but nor of to in on at by for with from as into onto upon about over under after before
    than then so if is are was were be been being it its this that these those he she they we you i me him her
    them us our your their his my not no
    """
)
"""Words that never make a repeated phrase meaningful on their own and are not names when capitalised."""

DETERMINERS: frozenset[str] = word_set(
    """
    a an the this that these those our their its his her my your any each every some another such
    """
)
"""Words that may open a list's first item: "a comprehensive, broad-based and comprehensive solution"."""

_CONJUNCTIONS = frozenset({"and", "or"})
_COMMA_RE = re.compile(",")
_LINKING_WORDS = word_set("and or by to after upon in for on over")
"""Middle words of reduplications ("more and more", "face to face"): "and more and more" is not a
doubled "and more" when the other word is a content word."""
_REPEATED_WITH_AND = word_set("more less again over on round around through out up down far")
_SPEECH_OPENERS = word_set("i we you they he she it thank thanks")
"""First words of short sentences speakers repeat on purpose ("We have waited. We have waited through…")."""
_MAX_SPEECH_WORDS = 4
"""In a transcript, back-to-back repeats of 2 to this many words are what was said ("those are those are")."""
_MAX_LIST_ITEM_WORDS = 8
_ASIDES: frozenset[tuple[str, ...]] = frozenset(
    tuple(aside.split())
    for aside in (
        "again", "once again", "of course", "i mean", "first of all", "in fact", "you know", "however", "indeed",
        "as well", "too", "also", "now", "well", "so", "yes", "no", "please", "thank you", "thanks", "sir",
        "madam", "for example", "for instance", "in particular", "in addition", "i think", "i believe",
        "frankly", "look", "okay", "ok", "right", "obviously", "clearly", "finally", "first", "second", "third",
        "secondly", "thirdly", "lastly", "therefore", "then", "still", "yet", "if you will", "as i said",
        "as you know",
    )
)
"""Comma-delimited asides that recur in a sentence without being list items ("spoke, again, at length")."""
_PRONOUNS = word_set("i we you they he she it")


class DuplicatedPhrase(Check):
    """Report a phrase repeated back to back, or an item repeated within an "A, B and A" list."""

    id = "duplicated-phrase"
    default_severity = "error"
    languages = frozenset({"en"})

    def __init__(
        self,
        *,
        severity: Severity | None = None,
        max_phrase_words: int = 8,
        max_item_words: int = 4,
        max_list_items: int = 8,
        allowed_doubles: frozenset[str] = DEFAULT_ALLOWED_DOUBLES,
        transcript_severity: Severity = "info",
        min_restart_words: int = 2,
        min_capitalised_restart_words: int = 3,
        min_comma_repeat_words: int = 3,
    ) -> None:
        super().__init__(severity=severity)
        self.max_phrase_words = max_phrase_words
        self.max_item_words = max_item_words
        self.max_list_items = max_list_items
        self.allowed_doubles = frozenset(word.casefold() for word in allowed_doubles)
        self.transcript_severity = transcript_severity
        self.min_restart_words = min_restart_words
        self.min_capitalised_restart_words = min_capitalised_restart_words
        self.min_comma_repeat_words = min_comma_repeat_words

    def find_in(self, analysis: Analysis) -> list[Finding]:
        tokens, parts = analysis.tokens, analysis.sentences
        speech: set[int] = set()
        commas = self._comma_repeats(analysis)
        written: set[int] = set()
        lists = self._in_lists(tokens, parts, written)
        restarts = self._restarts(tokens, parts)
        findings = self._immediate(analysis, speech) + commas + lists + restarts
        speech.update(finding.start for finding in commas + lists + restarts if finding.start not in written)
        if findings and analysis.is_transcript:
            # Speech-like repeats are capped at `transcript_severity`; any other finding, such as a doubled
            # word ("I have a a question": a slip or a disfluency for an editor to look at), at `warning`.
            return capped(findings, self.transcript_severity, starts=speech, others="warning")
        return findings

    def _immediate(self, analysis: Analysis, speech: set[int]) -> list[Finding]:
        text, tokens = analysis.text, analysis.tokens
        joined = _joined(analysis)
        shortest: dict[int, int] = {}
        sizes = range(min(self.max_phrase_words, len(tokens) // 2), 0, -1)
        for size, firsts in zip(sizes, _doubled_at(analysis, joined, sizes, after_space=True), strict=True):
            shortest.update(dict.fromkeys(firsts, size))
        findings: list[Finding] = []
        resume = 0
        for first in sorted(shortest):
            if first < resume:
                continue
            size = self._repeat_size(tokens, joined, first, shortest[first])
            if not size:
                continue
            second = first + size
            last = second + size
            while _copies_match(tokens, joined, last - size, last, size):
                last += size
            phrase = text[tokens.starts[first] : tokens.ends[second - 1]]
            severity: Severity | None = None
            if size == 1 and _looks_like_name(tokens, first):
                severity = "info"
            message = f'"{phrase}" written twice in a row'
            findings.append(
                self.finding(text, tokens.starts[second], tokens.ends[last - 1], message, severity=severity)
            )
            if 1 < size <= _MAX_SPEECH_WORDS:
                speech.add(tokens.starts[second])
            resume = last
        return findings

    def _comma_repeats(self, analysis: Analysis) -> list[Finding]:
        """Phrases of at least `min_comma_repeat_words` words written twice with only a comma between
        ("exchanged views on the region, exchanged views on the region,"); shorter ones are emphasis
        ("Never again, never again")."""
        text, tokens = analysis.text, analysis.tokens
        findings: list[Finding] = []
        resume = 0
        sizes = range(min(self.max_phrase_words, len(tokens) // 2), self.min_comma_repeat_words - 1, -1)
        for size, firsts in zip(sizes, _doubled_at(analysis, tokens.spaced, sizes, after_space=False), strict=True):
            for first in firsts:
                second = first + size
                if first < resume or not _is_comma(tokens.gap(second)):
                    continue
                if tokens.folded[first:second] != tokens.folded[second : second + size]:
                    continue
                inside = [*range(first + 1, second), *range(second + 1, second + size)]
                words = tokens.folded[first:second]
                if not all(tokens.spaced[i] for i in inside) or all(w in FUNCTION_WORDS for w in words):
                    continue
                start, end = tokens.starts[second], tokens.ends[second + size - 1]
                message = f'"{text[start:end]}" written twice in a row'
                findings.append(self.finding(text, start, end, message))
                resume = second + size
        return findings

    def _restarts(self, tokens: Tokens, parts: tuple[Sentence, ...]) -> list[Finding]:
        """Phrases that end one sentence and open the next on the same line (see the module docstring)."""
        findings: list[Finding] = []
        for previous, sentence in pairwise(parts):
            if sentence.separator in ("start", "line"):
                continue
            size = restart_size(tokens, previous, sentence, self.max_phrase_words)
            if size < self.min_restart_words or size == sentence.stop - sentence.first:
                continue
            words = tokens.folded[sentence.first : sentence.first + size]
            if all(word in FUNCTION_WORDS for word in words):
                continue
            start, end = tokens.starts[sentence.first], tokens.ends[sentence.first + size - 1]
            severity: Severity | None = None
            whole = size == previous.stop - previous.first
            if whole and words[0] in _SPEECH_OPENERS and not tokens.word(sentence.first)[:1].islower():
                continue
            if not tokens.word(sentence.first)[:1].islower() and not whole:
                if size < self.min_capitalised_restart_words:
                    continue
                severity = milder(self.severity, "warning")
            message = f'"{tokens.text[start:end]}" repeats the end of the sentence before it'
            findings.append(self.finding(tokens.text, start, end, message, severity=severity))
        return findings

    def _repeat_size(self, tokens: Tokens, joined: bytes, first: int, smallest: int) -> int:
        """Length of the shortest phrase from `first` that is repeated straight after it, or 0.

        `smallest` is the least size whose first words match, so shorter sizes need no test.
        """
        for size in range(smallest, self.max_phrase_words + 1):
            if not _copies_match(tokens, joined, first, first + size, size):
                continue
            words = tokens.folded[first : first + size]
            if not any(_has_letter(word) for word in words):
                continue
            if size == 1 and (words[0] in self.allowed_doubles or (len(words[0]) == 1 and tokens.word(first) != "a")):
                continue
            if size == 1 and _grammatical_double(tokens, first):
                continue
            if size == 2 and any(_reduplicates(link, other) for link, other in (words, words[::-1])):
                continue
            return size
        return 0

    def _in_lists(self, tokens: Tokens, parts: tuple[Sentence, ...], written: set[int]) -> list[Finding]:
        """Items repeated within a comma-separated series of one sentence (see the module docstring); the
        starts of those whose first copy ended the opening clause go into `written` (not speech)."""
        text = tokens.text
        if "," not in text:
            return []
        cuts = [bisect_left(tokens.starts, match.end()) for match in _COMMA_RE.finditer(text)]
        firsts = [sentence.first for sentence in parts]
        by_sentence: dict[int, list[int]] = {}
        for cut in cuts:
            number = bisect_right(firsts, cut) - 1
            if number >= 0 and parts[number].first < cut < parts[number].stop and _is_comma(tokens.gap(cut)):
                by_sentence.setdefault(number, []).append(cut)
        findings: list[Finding] = []
        folded = tokens.folded
        for number, sentence_cuts in by_sentence.items():
            sentence = parts[number]
            if not _repeats_a_content_word(folded[sentence.first : sentence.stop]):
                continue  # every repeated item holds a content word twice (`_is_item`): none can be found
            bounds = [sentence.first, *sentence_cuts, sentence.stop]
            for start, end, clause_tail in self._repeated_items(tokens, bounds):
                message = f'"{text[tokens.starts[start] : tokens.ends[end - 1]]}" repeated within a list'
                findings.append(self.finding(text, tokens.starts[start], tokens.ends[end - 1], message))
                if clause_tail:
                    written.add(tokens.starts[start])
        return findings

    def _repeated_items(self, tokens: Tokens, bounds: list[int]) -> list[tuple[int, int, bool]]:
        """Token ranges of items that repeat an earlier, non-adjacent item of the series cut at `bounds`.

        The first segment, and any segment too long to be an item, is the clause a series grows out of:
        it starts a new series, of which only its end can be an item, and a
        one-word end only after a determiner ("a comprehensive, broad-based and comprehensive"), so a
        noun heading a longer phrase ("LE staff, family members, employees and staff") is not an item.
        Each range comes with whether its first copy was the lower-case end of the opening clause
        (`_ends_clause`). Middle segments are items whole (they may contain "and": "Trinidad and
        Tobago"). In the last segment, the words before its first "and"/"or" are an item, and so are the
        first words after it; the item right before that conjunction is never compared ("more and more").
        A segment that is only "and"/"or" ("X, Y, or, Z") is empty once its conjunction is dropped: it
        holds no item and repeats nothing.
        """
        folded = tokens.folded
        head, head_start, head_stop = 0, bounds[0], bounds[1]
        earlier: list[tuple[int, tuple[str, ...]]] = []
        found: list[tuple[int, int]] = []
        clause_tails: set[tuple[str, ...]] = set()

        def repeats(position: int, words: tuple[str, ...], *, closing: bool = False) -> bool:
            if not words:
                return False  # a segment that is only "and"/"or" (", or,") holds no item
            if any(words == item for number, item in earlier if number < position - 1):
                return _is_item(words)
            cut = head_stop - len(words)
            if position < head + 2 or cut < head_start or folded[cut:head_stop] != words:
                return False
            named = tokens.word(cut)[:1].isupper() and words[0] not in FUNCTION_WORDS
            if len(words) > 1 or cut == head_start or named or folded[cut - 1] in DETERMINERS:
                return _is_item(words)
            if closing and _ends_clause(tokens, cut) and _is_item(words):
                clause_tails.add(words)
                return True
            return False

        last = len(bounds) - 2
        for position in range(1, last + 1):
            start, stop = bounds[position], bounds[position + 1]
            opened = start < stop and folded[start] in _CONJUNCTIONS
            start += opened
            if position < last:
                words = folded[start:stop]
                if not _can_be_item(tokens, start, stop):
                    head, head_start, head_stop = position, bounds[position], stop
                    earlier.clear()
                elif repeats(position, words):
                    found.append((start, stop))
                elif (closing := self._closing_item(tokens, start, stop)) and repeats(
                    position + 1, closing[1], closing=True
                ):
                    found.append((closing[0], stop))
                earlier.append((position, words))
                continue
            after = start
            if not opened:
                limit = min(stop, start + self.max_item_words + 1)
                conjunction = next((i for i in range(start, limit) if folded[i] in _CONJUNCTIONS), stop)
                if conjunction == stop or not tokens.spaced[conjunction]:
                    break
                if all(tokens.spaced[start + 1 : conjunction]) and repeats(position, folded[start:conjunction]):
                    found.append((start, conjunction))
                    break
                earlier.append((position, folded[start:conjunction]))
                position += 1
                after = conjunction + 1
            for size in range(min(self.max_item_words, stop - after), 0, -1):
                if all(tokens.spaced[after + 1 : after + size]) and repeats(
                    position, folded[after : after + size], closing=after > start
                ):
                    found.append((after, after + size))
                    break
        return [(start, stop, folded[start:stop] in clause_tails) for start, stop in found]

    def _closing_item(self, tokens: Tokens, start: int, stop: int) -> tuple[int, tuple[str, ...]] | None:
        """The item after "and"/"or" inside a middle segment ("semiconductors and critical minerals" in
        "…of critical minerals, semiconductors and critical minerals, as well as…": the series closes
        there and what follows the comma is not an item), with its first token; None without one."""
        folded = tokens.folded
        conjunction = next((i for i in range(start + 1, stop) if folded[i] in _CONJUNCTIONS), stop)
        if conjunction >= stop - 1 or stop - conjunction - 1 > self.max_item_words:
            return None
        return conjunction + 1, folded[conjunction + 1 : stop]


def _copies_match(tokens: Tokens, joined: bytes, first: int, second: int, size: int) -> bool:
    """Whether the `size` words from `second` repeat those from `first` and follow them directly.

    The junction and the inside of both copies must be `joined`: plain spaces on one line, or the single
    line break of hard-wrapped prose.
    """
    if second + size > len(tokens) or not joined[second]:
        return False
    if tokens.folded[first : first + size] != tokens.folded[second : second + size]:
        return False
    inside = [*range(first + 1, first + size), *range(second + 1, second + size)]
    return all(joined[index] for index in inside)


_VECTOR_TOKENS = 64
"""Texts of at least this many tokens are compared with numpy; shorter ones (a title, a one-line file)
word by word, so that checking them never imports numpy."""


def _doubled_at(analysis: Analysis, joined: bytes, sizes: range, *, after_space: bool) -> list[list[int]]:
    """For each of `sizes`, the ascending indices `first` at which the `size` words from `first` may
    repeat straight after: the first and the last word of both copies agree, and `joined[first + size]`
    is `after_space`. Sizes with no room for two copies get no index."""
    tokens = analysis.tokens
    length = len(tokens)
    found: list[list[int]] = []
    if length < _VECTOR_TOKENS:
        folded = tokens.folded
        for size in sizes:
            found.append([
                first
                for first in range(length - 2 * size + 1)
                if folded[first] == folded[first + size]
                and folded[first + size - 1] == folded[first + 2 * size - 1]
                and joined[first + size] == after_space
            ])
        return found
    import numpy as np

    ids = analysis.word_ids[0]
    spaced = np.frombuffer(joined, dtype=bool, count=length)
    if not after_space:
        spaced = ~spaced
    for size in sizes:
        width = length - 2 * size + 1
        if width <= 0:
            found.append([])
            continue
        same = ids[:-size] == ids[size:]
        found.append(np.flatnonzero(same[:width] & same[size - 1 :] & spaced[size : size + width]).tolist())
    return found


def _joined(analysis: Analysis) -> bytes:
    """`tokens.spaced`, with the tokens that continue a hard-wrapped line ("members of the\nthe") also
    counted as following on directly."""
    tokens = analysis.tokens
    joins = analysis.wrapped_joins
    if not joins:
        return tokens.spaced
    joined = bytearray(tokens.spaced)
    for index in joins:
        joined[index] = True
    return bytes(joined)


def _grammatical_double(tokens: Tokens, first: int) -> bool:
    """Whether "in in" or "is is" at token `first` is grammatical: a particle verb and the preposition
    ("logged in in March"), or a clause as subject of "is" ("what it is is", "the point is is"), looked for
    among the `_COPULA_REACH` words before it on the same line; or a stranded "in" before a fixed phrase
    ("a role in in terms of", "believe in in fact")."""
    word = tokens.folded[first]
    if word == "in":
        after = first + 2
        if after < len(tokens) and tokens.spaced[after] and tokens.folded[after] in _IN_PHRASE_HEADS:
            return True
        return first > 0 and tokens.spaced[first] == 1 and tokens.folded[first - 1] in _IN_PARTICLE_VERBS
    if word != "is":
        return False
    index = first
    while index > 0 and first - index < _COPULA_REACH and tokens.spaced[index]:
        index -= 1
        if tokens.folded[index] in _COPULA_SUBJECT_WORDS:
            return True
    return False


def _reduplicates(link: str, other: str) -> bool:
    """Whether "other link other" is a reduplication ("face to face", "step by step", "more and more",
    "closer and closer"); with "and"/"or" only comparatives and particles repeat ("partners and partners"
    is a slip)."""
    if link not in _LINKING_WORDS or other in FUNCTION_WORDS:
        return False
    return link not in _CONJUNCTIONS or other.endswith("er") or other in _REPEATED_WITH_AND


def _ends_clause(tokens: Tokens, cut: int) -> bool:
    """Whether the one-word end of a series' opening clause at token `cut` can be its first item when the
    series closes on it: a lower-case word after a lower-case word ("…maintaining stability, prosperity
    and stability in…"). After a capitalised word or a number it is the head of a compound ("LE staff,
    family members, employees and staff"), which the State Department releases write on purpose."""
    if cut < 1 or not tokens.word(cut)[:1].islower() or not tokens.spaced[cut]:
        return False
    before = tokens.word(cut - 1)
    return before[:1].islower() and before.isalpha()


def _can_be_item(tokens: Tokens, start: int, stop: int) -> bool:
    """Whether a comma-delimited segment can be a list item: short, without punctuation inside, not an
    aside ("of course") and without a personal pronoun (a clause: "they're part of the community")."""
    words = tokens.folded[start:stop]
    if stop - start > _MAX_LIST_ITEM_WORDS or not all(tokens.spaced[start + 1 : stop]) or words in _ASIDES:
        return False
    return not any(word.replace("'", "’").partition("’")[0] in _PRONOUNS for word in words)


def _repeats_a_content_word(words: tuple[str, ...]) -> bool:
    """Whether a word that is not a function word occurs twice in `words` (a cheap test that rules out a
    repeated list item in most sentences)."""
    content = [word for word in words if word not in FUNCTION_WORDS]
    return len(set(content)) < len(content)


def _is_item(words: tuple[str, ...]) -> bool:
    return words not in _ASIDES and any(word not in FUNCTION_WORDS and _has_letter(word) for word in words)


def _is_comma(gap: str) -> bool:
    return "\n" not in gap and "".join(gap.split()) == ","


def _has_letter(word: str) -> bool:
    return any(character.isalpha() for character in word)


def _looks_like_name(tokens: Tokens, first: int) -> bool:
    """A doubled capitalised content word ("Abdullah Abdullah") is more often a name than a slip."""
    return (
        tokens.word(first)[:1].isupper()
        and tokens.word(first + 1)[:1].isupper()
        and tokens.folded[first] not in FUNCTION_WORDS
    )
