"""The defect shapes issue 14 generalised, each with clean look-alikes, and the real texts they must
leave alone (read from ../shared/fixtures, never copied in)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pressroom.expectations import check_release, check_text
from tests.expectations.conftest import release_text

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
LEAD = "The Minister met the delegation on Monday to discuss trade and investment between the two countries."
NEXT = "Both sides agreed to continue consultations at the level of senior officials later this year."


def reported(text: str, check: str) -> list[str]:
    return [f.excerpt for f in check_text(text) if f.check == check and f.severity != "info"]


@pytest.mark.parametrize(
    ("sentence", "item"),
    [
        ("The Government remains committed to maintaining stability, prosperity and stability in the region.",
         "stability"),
        ("He praised efforts aimed at strengthening peace, development and peace across South Asia.", "peace"),
        ("They discussed ways of deepening cooperation, trade, investment and cooperation with partners.",
         "cooperation"),
    ],
)
def test_list_closing_on_the_last_word_of_its_clause(sentence: str, item: str) -> None:
    assert reported(f"{LEAD} {sentence} {NEXT}", "duplicated-phrase") == [item]


def test_a_compound_head_is_not_a_list_item() -> None:
    text = f"{LEAD} The LE staff, family members, employees and staff were evacuated. {NEXT}"
    assert reported(text, "duplicated-phrase") == []


@pytest.mark.parametrize("echo", ["Talks ended in Geneva.", NEXT, '"We will work together," the Minister said.'])
def test_a_sentence_written_again_as_its_own_paragraph(echo: str) -> None:
    text = f"{LEAD} {echo}\n\n{echo}\n\nThe next round will take place in the spring."
    assert reported(text, "repeated-sentence") == [echo]
    assert reported(f"{LEAD} {echo}\n\n{echo.upper()}\n\nMore follows.", "repeated-sentence") == [echo.upper()]


def test_the_same_words_by_another_speaker_are_speech() -> None:
    text = (
        "MR PRICE: Good afternoon. Thank you very much.\n\nQUESTION: Thank you very much.\n\n"
        "MR PRICE: We will take questions now.\n\nQUESTION: And on Iran?"
    )
    assert reported(text, "repeated-sentence") == []


@pytest.mark.parametrize(
    "bar",
    ["Share on Facebook Share on Twitter Share on LinkedIn", "Facebook Twitter WhatsApp Email Print",
     "Share: Facebook, X, Email", "Tweet Share Email", "Share 12 Tweet 0"],
)
def test_share_bars_in_any_order(bar: str) -> None:
    assert reported(f"{LEAD}\n\n{bar}\n\n{NEXT}", "boilerplate") == [bar]


def test_prose_about_social_media_is_not_a_share_bar() -> None:
    assert reported(f"{LEAD}\n\nShare your views on Facebook by Friday\n\n{NEXT}", "boilerplate") == []


def test_a_capitalised_object_after_a_stray_full_stop() -> None:
    text = "The Minister said Pakistan was willing to learn from. China's experience in poverty alleviation."
    assert reported(text, "garbled-fragment") == ["China's experience in poverty alleviation."]


@pytest.mark.parametrize(
    "clean",
    ["It was the outcome they had hoped for. We will now move ahead with the plan.",
     "It is a partnership we can build on. But there is more to do in the region.",
     "This is the region we work in. Its people deserve peace and prosperity.",
     "These are the values we stand for. Democracy, human rights and the rule of law matter."],
)
def test_a_stranded_preposition_before_a_real_sentence(clean: str) -> None:
    assert reported(clean, "garbled-fragment") == []


def test_an_unclosed_straight_single_quote() -> None:
    found = [f for f in check_text(f"{LEAD} The Minister called it a 'historic step for the region. {NEXT}")
             if f.check == "unbalanced-punctuation"]
    assert [(f.excerpt, f.severity) for f in found] == [("'", "warning")]


@pytest.mark.parametrize(
    "clean",
    ["The ministers' views differ on 'strategic patience' as a policy.", "Rock 'n' roll came back in the '90s.",
     "We'll stay 'til the end, he said, and don't expect 'em to leave."],
)
def test_apostrophes_and_closed_straight_quotes(clean: str) -> None:
    assert reported(clean, "unbalanced-punctuation") == []


def test_mojibake_next_to_an_ordinary_space() -> None:
    text = f"{LEAD} The delegation then travelled to HÃ  Ná»™i. The site is 5Â km away. {NEXT}"
    assert reported(text, "mojibake") == ["HÃ", "Ná»™i.", "5Â"]
    assert reported("O SOL NASCE AMANHÃ E BRILHA.", "mojibake") == []


def test_a_doubled_sentence_tail_after_an_html_entity() -> None:
    text = f"{LEAD} The summit took place in Addis Ababa &amp;amp; Addis Ababa. Addis Ababa. {NEXT}"
    assert reported(text, "garbled-fragment") == ["Addis Ababa."]


def test_right_to_left_brackets_typed_in_visual_order() -> None:
    assert reported("ہم مسیح) حضرت عیسیٰ( کی پیدائش پر خوشی مناتے ہیں۔", "unbalanced-punctuation") == []
    assert reported("The talks (in Geneva ended.", "unbalanced-punctuation") == ["("]


KNOWN_REAL_ERRORS = {("https://www.state.gov/?page_id=254206", "garbled-fragment")}
"""A true defect in the source: "To that end, the United States. strongly supports…" (a stray full stop)."""
REAL_WARNING_BUDGET = {"garbled-fragment": 9, "duplicated-phrase": 4, "unbalanced-punctuation": 1, "wrong-language": 1}
"""Warnings on the 591 real items, each read (issue 14's closing note lists them with a verdict):
transcript speech capped at warning (one of them the spoken series "assistance …, international
funding and assistance for", a false alarm of the list rule kept at warning), one GOV.UK quotation
that opens a multi-paragraph quote, one Urdu item declared English."""


@pytest.mark.slow
def test_real_releases_stay_silent() -> None:
    state = SHARED / "state-dept" / "press-releases-2021.jsonl"
    if not state.exists():
        pytest.skip(f"shared fixtures not found at {SHARED}")
    items = []
    for line in state.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        title = re.sub(r"\s+", " ", record["title"]).strip()
        items.append((record["guid"], title, release_text(record["content_html"])))
    for path in sorted((SHARED / "govuk").glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        items.append((path.name, record.get("title", ""), release_text(record.get("details", {}).get("body", ""))))
    assert len(items) >= 590
    errors: set[tuple[str, str]] = set()
    warnings: dict[str, int] = {}
    for guid, title, text in items:
        for finding in check_release(title, text):
            if finding.severity == "error":
                errors.add((guid, finding.check))
            elif finding.severity == "warning":
                warnings[finding.check] = warnings.get(finding.check, 0) + 1
    assert errors == KNOWN_REAL_ERRORS
    for check, count in warnings.items():
        assert count <= REAL_WARNING_BUDGET.get(check, 0), (check, count)


def test_an_echo_after_a_line_the_splitter_did_not_cut() -> None:
    echo = "Ministers signed a memorandum on customs cooperation."
    text = f"{LEAD}\n\nJoint communique Ministers signed a memorandum on customs cooperation.\n\n{echo}\n\n{NEXT}"
    assert reported(text, "repeated-sentence") == [echo]
    short = f"{LEAD}\n\nWe will wait and see what comes of the trade talks.\n\nTrade talks.\n\n{NEXT}"
    assert reported(short, "repeated-sentence") == []
