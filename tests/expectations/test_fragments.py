"""`garbled-fragment`: one case per reason shape with exact spans, and clean look-alikes."""

from __future__ import annotations

import pytest

from pressroom.expectations.checks import GarbledFragment
from pressroom.expectations.findings import Finding


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


def test_lower_case_fragment_after_a_stray_full_stop() -> None:
    text = "It threatens Eastern peace and security. of the Middle.\n\nNext paragraph."
    finding = only(GarbledFragment().find(text))
    assert (finding.check, finding.severity, finding.excerpt) == ("garbled-fragment", "error", "of the Middle.")
    assert (finding.start, finding.end) == (41, 55)
    assert finding.message == 'fragment "of the Middle." starts in lower case after a full stop'


def test_stray_full_stop_inside_a_sentence() -> None:
    text = "To that end, the United States. strongly supports the ceasefire."
    finding = only(GarbledFragment().find(text))
    assert finding.excerpt == "strongly supports the ceasefire."


def test_stray_repeated_tail() -> None:
    text = "a statement issued by the Ministry of Foreign Affairs said. Foreign Affairs) said.\n\nMore."
    finding = only(GarbledFragment().find(text))
    assert finding.excerpt == "Foreign Affairs) said."
    assert finding.start == text.index("Foreign Affairs)")
    assert "repeats the end of the sentence before it" in finding.message


def test_transcript_caps_severity() -> None:
    text = "QUESTION: So. your position is clear?\n\nMR PRICE: It is."
    assert only(GarbledFragment().find(text)).severity == "warning"


def test_long_fragments_are_capped_at_200_code_points() -> None:
    text = "It ended. " + "and then " * 40 + "stop."
    finding = only(GarbledFragment().find(text))
    assert finding.end - finding.start == 200
    assert finding.excerpt == text[finding.start : finding.end]


@pytest.mark.parametrize(
    "text",
    [
        "The U.S. government and Dr. Smith met No. 10 officials on Jan. 5 in St. Louis.",
        "It cost Rs. 500 million, e.g. for roads, i.e. highways, at 10 a.m. and 4 p.m. local time.",
        "H.E. the Ambassador, a Ph.D. holder, spoke on trade, investment, etc. and more.",
        "Growth was 3.5 per cent. The new version 2.0 is out.",
        "Apply online. eVisa applications open today. iPhone users can apply. e-Gov services are ready.",
        "The plan has steps a) planning, b) funding and c) delivery. b) is late.",
        "The rules are (i) first, (ii) second and (iii) third.",
        "Steps: 1. the first step; 2. the second step",
        "Options:\n1. stay\n2. go",
        "Question: Will you visit?\n\nSpokesperson: Yes, we will.",
        "Background\n\nthe ministry said nothing\n\n- first item\n- second item",
        "• strengthen cooperation\n• expand trade",
        "Antony J. Blinken met the foreign minister. Secretary Blinken said so.",
        "Blinken met Lavrov. Blinken said the talks were useful. Blinken left.",
        "President von der Leyen spoke. von der Leyen said more. al-Shabaab attacked.",
        "Visit www.mofa.gov.pk or write to info@x.org for details. See https://www.state.gov/x.",
        "He paused... and then spoke. Really? yes, really.",
        "The EU-U.S. summit and the ASEAN-U.S. partnership. Mekong-U.S. ties grew.",
        "Okay, thank you. Thank you.",
        "Thank you. Thank you.",
        "See the fact sheet. https://www.usaid.gov/fact-sheets/mekong",
        "He said, “We will win.” and left.",
    ],
)
def test_clean_look_alikes_stay_quiet(text: str) -> None:
    assert GarbledFragment().find(text) == []


@pytest.mark.parametrize(
    ("text", "excerpt", "message"),
    [
        ("He met officials before travelling to the. The visit ended.", "before travelling to the.", 'ends on "the"'),
        ("It was matched with adequate resources, and.", "with adequate resources, and.", 'ends on "and"'),
        ("The talks covered trade and the\n\nSecond paragraph here.", "covered trade and the", "paragraph stops"),
    ],
)
def test_dangling_ending(text: str, excerpt: str, message: str) -> None:
    finding = only(GarbledFragment().find(text))
    assert (finding.excerpt, finding.severity) == (excerpt, "error") and message in finding.message


def test_stray_stop_after_an_article_is_one_finding() -> None:
    text = "Egypt will continue to facilitate the. passage of aid through its territory."
    assert only(GarbledFragment().find(text)).excerpt == "passage of aid through its territory."


@pytest.mark.parametrize(
    "text",
    [
        "These are the partners we work with. It is Plan A. This is what we agreed to.",
        "It’s not either/or. It’s both/and.",
        "Measures include sanctions; and\n\nexport controls.",
        "a statement by the Ministry said. the Ministry said the talks went well.",
    ],
)
def test_dangling_look_alikes(text: str) -> None:
    assert GarbledFragment().find(text) == []


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("The envoy stays in Chile from 4 June to. Meetings begin on Monday.", "to"),
        ("The squad lost its captain, with. “We still won,” the coach said.", "with"),
        ("Exports rose by 12 per cent, more than. Imports fell.", "than"),
        ("The fund grew from 2019 to. It now holds more.", "to"),
    ],
)
def test_dangling_preposition_after_a_comma_or_number_mid_paragraph(text: str, word: str) -> None:
    finding = only(GarbledFragment().find(text))
    assert f'ends on "{word}"' in finding.message and finding.severity == "error"


@pytest.mark.parametrize(
    "text",
    [
        "That is the outcome we were hoping for. Work starts soon.",
        "These are the terms both sides settled on. Talks resume in May.",
        "It is a region we all depend on. Trade matters.",
        "Where is the delegation from? It is from Ghana.",
        "the charter that forty states have signed up to. It took effect later.",
        "The meeting went on. Ministers left at six.",
        "The steps are as follows: first, register.",
        "See Art. 9, No. 4 and Co. records, approx. ten pages, incl. annexes.",
        "fruit, grain and so on. Prices rose, etc. Then they fell.",
    ],
)
def test_stranded_prepositions_and_abbreviations_stay_quiet(text: str) -> None:
    assert GarbledFragment().find(text) == []
