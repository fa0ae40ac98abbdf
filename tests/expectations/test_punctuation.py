"""`unbalanced-punctuation`: one case per reason shape with exact spans, and clean look-alikes."""

from __future__ import annotations

import pytest

from pressroom.expectations.checks import UnbalancedPunctuation
from pressroom.expectations.findings import Finding


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


def test_closing_bracket_without_an_opening_one() -> None:
    text = "the Ministry said. Foreign Affairs) said."
    finding = only(UnbalancedPunctuation().find(text))
    assert (finding.check, finding.severity, finding.excerpt) == ("unbalanced-punctuation", "error", ")")
    assert finding.start == text.index(")")
    assert finding.message == 'closing bracket ")" has no opening one'


def test_bracket_left_open_in_its_paragraph() -> None:
    text = "The talks (held in Geneva ended.\n\nA new paragraph (closed)."
    finding = only(UnbalancedPunctuation().find(text))
    assert (finding.excerpt, finding.start) == ("(", 10)


def test_wrongly_nested_brackets() -> None:
    text = "a (b [c) d"
    finding = only(UnbalancedPunctuation().find(text))
    assert (finding.excerpt, finding.start) == ("[", 5)


def test_quotation_closed_with_an_opening_single_quote() -> None:
    text = "the splendor of transformed Pakistan, ‘Naya Pakistan‘, with its focus"
    finding = only(UnbalancedPunctuation().find(text))
    assert finding.excerpt == "‘Naya Pakistan‘"
    assert finding.start == text.index("‘")
    assert finding.message == "quotation is closed with an opening quote mark"


def test_quotation_closed_with_an_opening_double_quote() -> None:
    text = "He called it “a new era“ in relations."
    assert only(UnbalancedPunctuation().find(text)).excerpt == "“a new era“"


def test_second_opening_quote_inside_a_paragraph() -> None:
    text = "He said “we will “never give up.”"
    finding = only(UnbalancedPunctuation().find(text))
    assert (finding.severity, finding.start) == ("error", text.rindex("“"))


def test_closing_quote_with_nothing_open() -> None:
    text = "The minister said we will win” and left."
    finding = only(UnbalancedPunctuation().find(text))
    assert (finding.severity, finding.excerpt) == ("error", "”")


def test_quotation_never_closed_is_a_warning() -> None:
    text = "He said “we will win.\n\nThe meeting ended."
    finding = only(UnbalancedPunctuation().find(text))
    assert (finding.severity, finding.start) == ("warning", text.index("“"))


@pytest.mark.parametrize(
    "text",
    [
        "Pakistan’s support, the ministers’ views and the ’90s are fine. Rock ’n’ roll.",
        'He said ‘hello’ and left. She said “goodbye” and stayed. They said "fine" too.',
        "The plan has steps a) planning, b) funding and c) delivery.",
        "The rules are (i) first, (ii) second and (iii) third.",
        "Options:\n1) stay\n2) go\niv) wait",
        "We are happy :) and sad :( and winking ;-) today (really :-)).",
        "See https://en.wikipedia.org/wiki/Foo_(bar) and (www.state.gov/a) for more.",
        "“We will never give up,” he said.\n\n“Our people are strong.\n\n“We will win,” he added.",
        "“This starts here.\n\nIt continues in this paragraph.\n\nAnd it ends here,” the minister said.",
        'The 5\'10" tall man carried a 12" pipe.',
        "Question: Will you visit?\n\nSpokesperson: Yes (as planned).",
        "Sie sagte „Hallo“ und ging.",
        "The tests were “positive” and ‘negative’ – both (in part) “‘quoted’”.",
        "(Applause.)",
        "[Editor’s note: corrected.]",
    ],
)
def test_clean_look_alikes_stay_quiet(text: str) -> None:
    assert UnbalancedPunctuation().find(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "The designations cover Jami’ ‘Abd al-Karim, a courier for the network.",
        "Those sanctioned include Hasan al-‘Umari and two associates.",
        "The envoy met Mu’adh ‘Isa in Sana‘a on Monday.",
    ],
)
def test_transliterated_ayn_is_not_a_quote(text: str) -> None:
    assert UnbalancedPunctuation().find(text) == []


def test_unclosed_single_quote_still_warns() -> None:
    finding = only(UnbalancedPunctuation().find("She called it ‘a new dawn for the region."))
    assert finding.severity == "warning"
