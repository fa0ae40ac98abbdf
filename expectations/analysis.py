"""`Analysis`: what the text checks share about one text, each part computed once, on first use.

The engine builds one `Analysis` per text and hands it to every check (`Check.find_in`), so the text
is tokenised, split into sentences and paragraphs, and its words numbered once, not once per check.
Each part is computed lazily: a title never needs word ids, a text without a line break no wrapped
joins. The object lives as long as the engine works on its text, so memory is released with it (the
`lru_cache`d functions of `expectations.text` would keep the last texts' parts alive).

Every part is a pure function of `text`, so an `Analysis` may be shared by any number of checks;
checks must not mutate what it returns.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from pressroom.expectations.text import (
    Sentence,
    Tokens,
    paragraphs_of,
    sentences_of,
    speaker_turns,
    token_ranges_of,
    tokens_of,
    url_spans,
    word_ids_of,
    wrapped_joins_of,
)

if TYPE_CHECKING:
    import numpy as np

TRANSCRIPT_TURNS = 2
"""Lines opening with a speaker label from which a text reads as a transcript (`expectations.text.is_transcript`)."""


class Analysis:
    """The shared parts of `text` (see the module docstring); build with `Analysis(text)`."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def tokens(self) -> Tokens:
        """The word tokens (`expectations.text.tokens_of`)."""
        return tokens_of(self.text)

    @cached_property
    def sentences(self) -> tuple[Sentence, ...]:
        """The sentences, with token ranges into `tokens` (`expectations.text.sentences_of`)."""
        return sentences_of(self.tokens)

    @cached_property
    def paragraphs(self) -> tuple[tuple[int, int], ...]:
        """Spans of the paragraphs (`expectations.text.paragraphs_of`)."""
        return paragraphs_of(self.text)

    @cached_property
    def paragraph_tokens(self) -> tuple[tuple[int, int], ...]:
        """The token range `[first, stop)` of each paragraph of `paragraphs` (`expectations.text.token_ranges_of`)."""
        return token_ranges_of(self.tokens, self.paragraphs)

    @cached_property
    def word_ids(self) -> tuple[np.ndarray, dict[str, int]]:
        """Each token's case-folded form as an integer, and the id of each form (`expectations.text.word_ids_of`)."""
        return word_ids_of(self.tokens)

    @cached_property
    def is_transcript(self) -> bool:
        """Whether the text reads as a transcript (`expectations.text.is_transcript` with its default)."""
        return speaker_turns(self.text, TRANSCRIPT_TURNS) >= TRANSCRIPT_TURNS

    @cached_property
    def wrapped_joins(self) -> frozenset[int]:
        """Indices of tokens continuing a hard-wrapped line (`expectations.text.wrapped_joins_of`)."""
        return wrapped_joins_of(self.tokens)

    @cached_property
    def url_spans(self) -> list[tuple[int, int]]:
        """Spans of the URLs (`expectations.text.url_spans`)."""
        return url_spans(self.text)

    def __repr__(self) -> str:
        return f"Analysis(<{len(self.text)} code points>)"
