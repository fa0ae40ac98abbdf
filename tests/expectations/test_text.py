"""The shared tokenizer and sentence splitter."""

from __future__ import annotations

import pytest

from pressroom.expectations.text import is_abbreviation, is_transcript, paragraphs, sentences, tokenize


def words(text: str) -> list[str]:
    tokens = tokenize(text)
    return [tokens.word(i) for i in range(len(tokens))]


def test_tokens_keep_joined_words_whole() -> None:
    assert words("Pakistan’s Baden-Baden U.S. 3.5 info@x.org www.mofa.gov.pk") == [
        "Pakistan’s",
        "Baden-Baden",
        "U.S",
        "3.5",
        "info@x.org",
        "www.mofa.gov.pk",
    ]


def test_sentences_respect_abbreviations_initials_decimals_and_urls() -> None:
    text = "Antony J. Blinken met Dr. Lee in the U.S. on Jan. 5. Growth was 3.5 per cent. See www.state.gov. Done"
    spans = [text[s.start : s.end] for s in sentences(text)]
    assert spans == [
        "Antony J. Blinken met Dr. Lee in the U.S. on Jan. 5.",
        "Growth was 3.5 per cent.",
        "See www.state.gov.",
        "Done",
    ]
    assert [s.separator for s in sentences(text)] == ["start", "full-stop", "full-stop", "full-stop"]


def test_line_breaks_end_sentences_and_are_remembered() -> None:
    text = "Heading\r\n\r\nfirst line. Second? third\nfourth"
    parts = sentences(text)
    assert [(text[s.start : s.end], s.separator) for s in parts] == [
        ("Heading", "start"),
        ("first line.", "line"),
        ("Second?", "full-stop"),
        ("third", "other"),
        ("fourth", "line"),
    ]
    tokens = tokenize(text)
    assert [tokens.word(i) for i in range(parts[1].first, parts[1].stop)] == ["first", "line"]


def test_paragraphs_split_on_blank_lines_including_crlf() -> None:
    text = "one\r\n\r\n two \n\n\nthree\nstill three"
    assert [text[s:e] for s, e in paragraphs(text)] == ["one", "two", "three\nstill three"]


def test_abbreviations() -> None:
    assert all(is_abbreviation(w) for w in ["U.S", "e.g", "Ph.D", "H.E", "J", "Dr", "etc", "EU-U.S"])
    assert not any(is_abbreviation(w) for w in ["said", "follow-up", "www.state.gov", "2021"])


def test_transcripts_are_recognised_by_speaker_turns() -> None:
    assert is_transcript("QUESTION: Why?\n\nMR PRICE: Because.")
    assert is_transcript("Question: Why?\n\nSpokesperson: Because.")
    assert is_transcript(
        "Alexandra de Hoop Scheffer: Thanks.\n\nU.S. Deputy Secretary of State, Ambassador Wendy Sherman: Hi."
    )
    assert not is_transcript("The position is clear: no.\n\nThe United States’ position is clear: no.")
    assert not is_transcript("QUESTION: Why?")


def test_speaker_labels_followed_by_unicode_spaces_are_turns() -> None:
    assert is_transcript("MODERATOR:\xa0 Go ahead, please.\n\nQUESTION:\u2009Thanks for taking this.")
    assert is_transcript("SENIOR OFFICIAL\xa0ONE:\xa0Sure.\n\nQUESTION:\xa0\xa0One more on Sudan.")


@pytest.mark.parametrize(
    "text",
    [
        "For assistance, contact the Consulate.\n\nTelephone: +63 2 555 0101\nEmail: help@example.gov\n"
        "Website: www.example.gov",
        "Helpline: 0800 123 456\nE-mail: cons.riga@example.in\nWhatsApp: +371 2000 0000",
        "Media contact: Press Office\nVenue: Conference Hall B\nDate: Friday, 9 June",
        "Contact: Jane Moyo\nEmail: jane.moyo@example.org",
    ],
)
def test_contact_and_metadata_blocks_are_not_transcripts(text: str) -> None:
    assert not is_transcript(text)
