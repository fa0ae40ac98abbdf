"""`duplicated-phrase`: one case per reason shape with exact spans, and clean look-alikes."""

from __future__ import annotations

import pytest

from pressroom.expectations.checks import DuplicatedPhrase
from pressroom.expectations.findings import Finding


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


def test_word_written_twice_is_reported_on_the_second_copy() -> None:
    text = "We want to to help."
    finding = only(DuplicatedPhrase().find(text))
    assert (finding.check, finding.severity, finding.excerpt) == ("duplicated-phrase", "error", "to")
    assert (finding.start, finding.end) == (11, 13)
    assert finding.message == '"to" written twice in a row'


def test_phrase_written_twice_is_reported_on_the_second_copy() -> None:
    text = "to stop the illicit supply of the illicit supply of weapons"
    finding = only(DuplicatedPhrase().find(text))
    assert finding.excerpt == "the illicit supply of"
    assert text[finding.start : finding.end] == "the illicit supply of"
    assert finding.start == text.rindex("the illicit supply of")


def test_three_copies_are_one_finding() -> None:
    text = "they said no no no to it"
    finding = only(DuplicatedPhrase().find(text))
    assert finding.excerpt == "no no"


def test_item_repeated_within_a_list() -> None:
    text = "to ensure a comprehensive, broad-based and comprehensive political solution"
    finding = only(DuplicatedPhrase().find(text))
    assert finding.excerpt == "comprehensive"
    assert finding.start == text.rindex("comprehensive")
    assert finding.message == '"comprehensive" repeated within a list'


def test_middle_item_repeated_whole() -> None:
    text = "We met officials from Kenya, Ghana, Peru and Ghana last week."
    finding = only(DuplicatedPhrase().find(text))
    assert (finding.excerpt, finding.start) == ("Ghana", text.rindex("Ghana"))


def test_doubled_capitalised_word_is_only_info() -> None:
    finding = only(DuplicatedPhrase().find("Dr. Abdullah Abdullah spoke."))
    assert (finding.severity, finding.excerpt) == ("info", "Abdullah")


def test_transcript_caps_severity() -> None:
    text = "QUESTION: Is it is it true?\n\nMR PRICE: Those are those are the facts."
    findings = DuplicatedPhrase().find(text)
    assert [f.excerpt for f in findings] == ["is it", "those are"]
    assert {f.severity for f in findings} == {"info"}


def test_thresholds_and_severity_are_constructor_arguments() -> None:
    check = DuplicatedPhrase(severity="warning", allowed_doubles=frozenset({"to"}))
    assert check.find("We want to to help.") == []
    assert only(check.find("the the")).severity == "warning"
    assert DuplicatedPhrase(max_phrase_words=2).find("the illicit supply of the illicit supply of") == []


@pytest.mark.parametrize(
    "text",
    [
        "We tried again and again to reach them.",
        "Prices rose more and more each year, closer and closer to the limit.",
        "We move step by step, time and time again.",
        "He had had enough of it.",
        "She said that that was wrong.",
        "They flew to Bora Bora last week.",
        "The spa town of Baden-Baden hosted talks.",
        "He waved bye-bye to the crowd.",
        "Blinken met Lavrov. Blinken said the talks were useful. Blinken left.",
        "Thank you, thank you, thank you for your work.",
        "Never again, never again.",
        "Thanks, Ned, and thanks for joining.",
        "Remarks\n\nRemarks by the Secretary follow.",
        "The President and President Putin discussed trade.",
        "LE staff, family members, employees and staff from the Department attended.",
        "ambulances, laboratory equipment and supplies, test kits and supplies, and masks",
        "antagonistic elements, competitive elements, and elements of cooperation",
        "the United States, Canada, and the United Kingdom",
        "Mr. Thompson: Thanks, Ned, and good afternoon, everyone, and thanks for joining.",
        "It grew by 10 10 per cent.",
        "The numbers were 1, 2, and 1.",
        "where the date comes in in terms of the calendar",
    ],
)
def test_clean_look_alikes_stay_quiet(text: str) -> None:
    assert DuplicatedPhrase().find(text) == []


@pytest.mark.parametrize(
    ("text", "excerpt", "severity"),
    [
        ("a statement by the Ministry said. the Ministry said the talks went well.", "the Ministry said", "error"),
        ("The two sides agreed. The two sides agreed to meet again in May.", "The two sides agreed", "error"),
        ("We stand with the people of Ukraine. The people of Ukraine want peace.", "The people of Ukraine", "warning"),
    ],
)
def test_restart_across_a_sentence_boundary(text: str, excerpt: str, severity: str) -> None:
    finding = only(DuplicatedPhrase().find(text))
    assert (finding.excerpt, finding.severity, finding.start) == (excerpt, severity, text.rindex(excerpt))
    assert "repeats the end of the sentence before it" in finding.message


@pytest.mark.parametrize(
    "text",
    [
        "Many seek refugee status in Costa Rica. Costa Rica also hosts migrants.",
        "It is not in the interests of Israelis. It is not in the interests of Palestinians.",
        "Thank you. Thank you.",
        "Remarks by the Secretary.\nRemarks by the Secretary follow below.",
        "Blinken met Lavrov. Blinken said the talks were useful.",
    ],
)
def test_restart_look_alikes(text: str) -> None:
    assert DuplicatedPhrase().find(text) == []


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        ("The ministers discussed energy, tourism, fisheries, tourism and culture.", "tourism"),
        ("Talks covered maritime security, port access and maritime security and the budget.", "maritime security"),
        ("Envoys from Antigua and Barbuda, Bosnia and Herzegovina, Antigua and Barbuda, Fiji and Peru came.",
         "Antigua and Barbuda"),
        ("We support the right to food, access to clean water, the right to food, and universal schooling.",
         "the right to food"),
        ("Priorities include the blue economy, coastal resilience, the blue economy and skills.", "the blue economy"),
        ("Floods, landslides, floods and drought hit the region.", "floods"),
        ("They were left without shelter, without food, without shelter and without hope.", "without shelter"),
    ],
)
def test_item_repeated_anywhere_in_a_list(text: str, excerpt: str) -> None:
    finding = only(DuplicatedPhrase().find(text))
    assert (finding.excerpt, finding.start, finding.severity) == (excerpt, text.rindex(excerpt), "error")
    assert "repeated within a list" in finding.message


def test_doubled_phrase_with_and_is_not_a_reduplication() -> None:
    text = "The Ministry is consulting its allies and allies and will respond."
    assert only(DuplicatedPhrase().find(text)).excerpt == "allies and"


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        ("The delegations reviewed the trade agenda, reviewed the trade agenda, and signed two memoranda.",
         "reviewed the trade agenda"),
        ("She thanked the host nation, thanked the host nation, for its support.", "thanked the host nation"),
    ],
)
def test_phrase_repeated_after_a_comma(text: str, excerpt: str) -> None:
    finding = only(DuplicatedPhrase().find(text))
    assert (finding.excerpt, finding.start) == (excerpt, text.rindex(excerpt))


@pytest.mark.parametrize(
    "text",
    [
        "Millions trace their roots to the island, and more and more of them visit each year.",
        "Tensions grew, and more and more families left the valley.",
        "The deadline is closer and closer and closer, and we met them face to face.",
        "Officials now meet face to face again, step by step, day after day.",
        "The talks moved from video calls to face to face meetings.",
        "If there is any there there, we will find it.",
        "The ministers discussed trade and investment, energy and climate, and trade in services.",
        "Kenya, Ghana and Ghana's neighbours signed the accord.",
        "He spoke, again, at length, and then, again, answered questions.",
        "First of all, we thank you, and, first of all, our hosts.",
        "The ministers from Trinidad and Tobago, Saint Lucia, Grenada and Dominica met in Castries.",
        "Support went to schools in the north, schools in the south and clinics in the east.",
        "It matters to the region, because, in fact, they are part of the region, and the region knows it.",
        "We have waited. We have waited through storms and through droughts.",
        "I agree. I agree with every word of that.",
    ],
)
def test_list_and_reduplication_look_alikes_stay_quiet(text: str) -> None:
    assert [f for f in DuplicatedPhrase().find(text) if f.severity != "info"] == []


def test_transcript_keeps_doubled_words_and_softens_speech() -> None:
    text = (
        "QUESTION:\xa0 Thank you. Thank you for doing this. Is there a a timeline?\n\n"
        "SPOKESPERSON:\xa0 Those are those are good questions. We have made no no commitments to to anyone."
    )
    found = {f.excerpt: f.severity for f in DuplicatedPhrase().find(text)}
    assert found.get("Thank you", "info") == "info"
    assert found["those are"] == "info"
    assert found["a"] == "warning"
    assert found["to"] == "warning"


def test_contact_block_does_not_make_a_transcript() -> None:
    text = (
        "Residents should stay indoors until the all-clear stay indoors until the all-clear.\n\n"
        "Telephone: +1 868 555 0100\nEmail: consular@example.gov\nWebsite: www.example.gov"
    )
    finding = only(DuplicatedPhrase().find(text))
    assert (finding.excerpt, finding.severity) == ("stay indoors until the all-clear", "error")


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        ("The council has fined twelve of the owners of the\nthe shipping firms that broke the embargo.", "the"),
        ("The minister praised the volunteers for\nfor their work during the floods last spring.", "for"),
        ("Delegates came from the coastal states of\nof the region to attend the summit.", "of"),
        (
            "The plan opens a new phase of trade with clear rules on tariffs\nwith clear rules on tariffs and\nquotas.",
            "with clear rules on tariffs",
        ),
    ],
)
def test_word_doubled_across_a_wrapped_line_break(text: str, excerpt: str) -> None:
    assert only(DuplicatedPhrase().find(text)).excerpt == excerpt


@pytest.mark.parametrize(
    "text",
    [
        "Trade Ministers Meeting\nTrade Ministers met in Lima on Monday.",
        "Peru\nPeru and Chile signed the accord.",
        "• Fisheries\nFisheries talks resume next week.",
        "The delegation travelled on to the\n\nthe second paragraph starts here.",
        "The delegation thanked the hosts.\nThe delegation then left for the airport.",
    ],
)
def test_heading_label_or_blank_line_before_a_repeat_is_not_a_wrap(text: str) -> None:
    assert DuplicatedPhrase().find(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Dozens of pilgrims were stuck at the airport and in in the capital.",
        "Each family received USD 900 in in emergency aid.",
        "The report is is due next month.",
    ],
)
def test_in_in_and_is_is_are_reported(text: str) -> None:
    assert only(DuplicatedPhrase().find(text)).excerpt in ("in", "is")


@pytest.mark.parametrize(
    "text",
    [
        "What the ministry wants is is a fair hearing.",
        "The problem is is that nobody called.",
        "Guests who checked in in March got a discount.",
        "Staff phased in in stages.",
        "He sees a role for us to play in in terms of training.",
        "She had had enough, and he said that that was fine.",
    ],
)
def test_grammatical_in_in_and_is_is_stay_quiet(text: str) -> None:
    assert DuplicatedPhrase().find(text) == []


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        ("Talks covered exports of rare earths, batteries and rare earths, as well as on fishing.", "rare earths"),
        ("The envoy visited Lima, Quito and Lima before flying home.", "Lima"),
        ("Offices in Oslo, Bern and Oslo, and in Rome, will close.", "Oslo"),
    ],
)
def test_list_item_repeated_after_and_before_a_comma_or_with_a_named_head(text: str, excerpt: str) -> None:
    assert only(DuplicatedPhrase().find(text)).excerpt == excerpt


@pytest.mark.parametrize(
    "text",
    [
        "Field staff, drivers, guards and staff were moved.",
        "We visited Antigua and Barbuda, Dominica and Grenada, as well as Haiti.",
        "Ministers from Chad, Niger and Mali, and observers from Benin, attended.",
    ],
)
def test_list_look_alikes_stay_quiet(text: str) -> None:
    assert DuplicatedPhrase().find(text) == []


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        ("Leaders from Chile, Peru, or, Bolivia and Chile in the region met.", "Chile"),
        ("Ministers discussed trade, energy, and, climate and trade in the talks.", "trade"),
    ],
)
def test_segment_that_is_only_a_conjunction_holds_no_item(text: str, excerpt: str) -> None:
    """A segment ", or," is empty once its conjunction is dropped; it once raised IndexError (31 of 2,000
    random texts became an internal-error finding). The rest of the series is still read."""
    assert only(DuplicatedPhrase().find(text)).excerpt == excerpt
