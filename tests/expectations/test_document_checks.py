"""Whole-text and furniture checks: one case per reason shape with exact spans, and clean look-alikes."""

from __future__ import annotations

import pytest

from pressroom.expectations.checks import (
    Boilerplate,
    GopherRepetition,
    MarkupRemnant,
    Mojibake,
    NearDuplicateRelease,
    RepeatedSentence,
    TooShort,
    TruncatedText,
    WrongLanguage,
    document_metrics,
    recurring_lines,
)
from pressroom.expectations.checks.metrics import GOPHER_THRESHOLDS
from pressroom.expectations.findings import Finding

PROSE = (
    "The Foreign Minister received the Ambassador of Chile on Monday to discuss trade, climate cooperation "
    "and preparations for the regional summit. Both sides agreed to hold consultations in Santiago later "
    "this year and to expand student exchanges between their universities."
)


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


def test_repeated_sentence_is_reported_on_the_later_copy() -> None:
    sentence = "The two ministers agreed to stay in close touch on all regional matters."
    text = f"{sentence} They also discussed trade.\n\n{PROSE} {sentence}"
    finding = only(RepeatedSentence().find(text))
    assert (finding.check, finding.severity, finding.start) == ("repeated-sentence", "error", text.rindex(sentence))
    assert finding.message == "sentence repeats the one at offset 0"


def test_repeated_paragraph_is_one_finding() -> None:
    text = f"{PROSE}\n\nA short note.\n\n{PROSE}"
    finding = only(RepeatedSentence().find(text))
    assert finding.start == text.rindex(PROSE) and "paragraph" in finding.message


@pytest.mark.parametrize(
    "text",
    [
        f"Thank you very much.\n\n{PROSE}\n\nThank you very much.",
        f"(MEDIA DETERMINED BY THE WHITE HOUSE FOR THE EVENT)\n\n{PROSE}\n\n"
        "(MEDIA DETERMINED BY THE WHITE HOUSE FOR THE EVENT)",
        f"{PROSE} Please click here for more information.\n\nAlso: Please click here for more information.",
        "QUESTION: Can you hear me now, is the line open?\n\nMR PRICE: Yes.\n\n"
        "QUESTION: Can you hear me now, is the line open?",
    ],
)
def test_repeated_sentence_look_alikes(text: str) -> None:
    assert [f for f in RepeatedSentence().find(text) if f.severity != "info"] == []


def test_repeated_answer_in_a_transcript_stays_an_error() -> None:
    answer = "The Minister will lead the delegation to the ministerial segment of the conference in Geneva next week."
    text = f"QUESTION:\xa0 Who?\n\nSPOKESPERSON:\xa0 {answer}\n\nQUESTION: Thanks.\n\nSPOKESPERSON: {answer}"
    finding = only(RepeatedSentence().find(text))
    assert (finding.severity, finding.start) == ("error", text.rindex("SPOKESPERSON"))


def test_sentence_of_a_turn_repeated_as_a_paragraph() -> None:
    sentence = "We follow every development that bears on the safety of our nationals and act whenever it is needed."
    text = f"QUESTION: And the border?\n\nSPOKESPERSON: {sentence}\n\nQUESTION: Thanks.\n\n{sentence}\n\nThank you."
    finding = only(RepeatedSentence().find(text))
    assert (finding.severity, finding.start) == ("error", text.rindex(sentence))


@pytest.mark.parametrize(
    "text",
    [
        "DEPUTY SPOKESPERSON FOR REGIONAL AFFAIRS:\xa0 Sure, happy to.\n\nQUESTION:\xa0 Hi, thanks.\n\n"
        "DEPUTY SPOKESPERSON FOR REGIONAL AFFAIRS:\xa0 Sure, happy to.",
        "MODERATOR:\xa0\xa0Yes, we can hear you fine.\n\nQUESTION:\xa0 Great.\n\n"
        "MODERATOR:\u202fYes, we can hear you fine.",
        "Canada Welcomes the Election of the New President of the Assembly\n\n"
        "Canada welcomes the election of the new President of the Assembly. The vote took place on Monday.",
    ],
)
def test_formulaic_turns_and_headings_are_not_repeated_sentences(text: str) -> None:
    assert [f for f in RepeatedSentence().find(text) if f.severity != "info"] == []


@pytest.mark.parametrize(
    ("text", "excerpt", "severity"),
    [
        ("Pakistanâ€™s support", "Pakistanâ€™s", "error"),
        ("The cafÃ© reopened.", "cafÃ©", "error"),
        ("Caf\ufffd au lait", "Caf\ufffd", "error"),
        ("the minister\x92s visit", "minister\x92s", "error"),
    ],
)
def test_mojibake(text: str, excerpt: str, severity: str) -> None:
    finding = only(Mojibake().find(text))
    assert (finding.excerpt, finding.severity) == (excerpt, severity)


def test_mojibake_look_alikes() -> None:
    text = "“Clean” quotes, ’90s, naïve café, Zürich, Çavuşoğlu, São Paulo, Côte d’Ivoire, Malmö – fine… 😀"
    assert Mojibake().find(text) == []


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        ("The <p>minister said.", "<p>"),
        ("Trade &amp;amp; investment", "&amp;amp;"),
        ("It&#8217;s done", "&#8217;"),
        ("Tom &nbsp Jerry", "&nbsp"),
        ("var _gaq = _gaq || [];", "var _gaq = "),
        ("end <!-- .entry --> start", "<!-- .entry -->"),
        (".share { display: none; }", ".share { display: none; }"),
    ],
)
def test_markup_remnant(text: str, excerpt: str) -> None:
    finding = only(MarkupRemnant().find(text))
    assert (finding.excerpt, finding.severity) == (excerpt, "error")


def test_markup_look_alikes() -> None:
    text = "AT&T and R&D grew <5 % a year; write to <info@mofa.gov.pk> about <Name>. Let x = the cost (a: b; c)."
    assert MarkupRemnant().find(text) == []


@pytest.mark.parametrize(
    "line",
    [
        "Share this page",
        "Print",
        "Date modified: 2021-05-05",
        "Read more",
        "Facebook Twitter LinkedIn Email",
        "We use cookies to improve your experience.",
        "Home > Media > Press releases",
        "Tags: trade, energy",
    ],
)
def test_boilerplate_furniture_lines(line: str) -> None:
    text = f"{PROSE}\n\n{line}\n\nMore text follows here."
    finding = only(Boilerplate().find(text))
    assert (finding.excerpt, finding.start, finding.severity) == (line, text.index(line), "error")


def test_boilerplate_teaser_and_known_lines() -> None:
    text = f"{PROSE} Read more »\n\nIssued by the Press Office of the Ministry"
    findings = Boilerplate(known_lines={"issued by the press office of the ministry."}).find(text)
    assert [(f.excerpt, f.severity) for f in findings] == [
        ("Read more »", "error"),
        ("Issued by the Press Office of the Ministry", "warning"),
    ]
    texts = [f"Release {n}.\nIssued by the Press Office" for n in range(6)]
    assert recurring_lines(texts) == frozenset({"issued by the press office"})


def test_boilerplate_look_alikes() -> None:
    text = (
        f"{PROSE}\n\nNext —\n\nThe minister will read more reports and print the results.\n\nOffice of the Spokesperson"
    )
    assert Boilerplate().find(text) == []


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        (PROSE + "\n\nThe delegation will travel to", "The delegation will travel to"),
        (PROSE + "\n\nThe minister added that the talks…", "minister added that the talks…"),
        (PROSE + "\n\nThe two sides agreed to expand cooperation in trade and the negotia", "in trade and the negotia"),
        (PROSE + "\n\nThe meeting covered trade, energy,", "The meeting covered trade, energy,"),
    ],
)
def test_truncated_text(text: str, excerpt: str) -> None:
    finding = only(TruncatedText().find(text))
    assert (finding.excerpt, finding.severity) == (excerpt, "error")


@pytest.mark.parametrize(
    "ending",
    [
        "Office of the Spokesperson",
        "###",
        "For more information, visit https://www.state.gov/x",
        "• expand trade",
        "Participants: ministers and experts",
        "No Department Press Briefing",
        "He said “we will stay.”",
    ],
)
def test_truncated_text_look_alikes(ending: str) -> None:
    assert TruncatedText().find(f"{PROSE}\n\n{ending}") == []


def test_too_short() -> None:
    assert only(TooShort().find("Press release")).severity == "error"
    finding = only(TooShort().find("The Embassy will be closed on Friday for a public holiday in the country."))
    assert finding.severity == "warning" and "14 words" in finding.message
    assert TooShort().find(PROSE + " " + PROSE) == []


def test_wrong_language() -> None:
    french = (
        "Le ministre des Affaires étrangères a reçu son homologue lundi pour discuter du commerce, de la "
        "sécurité et de la coopération régionale entre les deux pays, a indiqué le ministère."
    )
    finding = only(WrongLanguage().find(french))
    assert (finding.severity, finding.start) == ("warning", 0) and "'fr'" in finding.message
    mixed = f"{PROSE}\n\n{french}"
    assert only(WrongLanguage().find(mixed)).start == mixed.index("Le ministre")
    assert WrongLanguage(expected="fr").find(french) == []
    assert WrongLanguage().find(PROSE) == []
    assert WrongLanguage().find("Bonjour") == []


def test_gopher_metrics_are_info_and_follow_table_a1() -> None:
    assert GOPHER_THRESHOLDS["dup_line_frac"] == 0.30 and GOPHER_THRESHOLDS["dup_10_gram_char_frac"] == 0.10
    repetitive = "\n".join(["The minister met the ambassador today."] * 12)
    metrics = document_metrics(repetitive)
    assert metrics["dup_line_frac"] == pytest.approx(11 / 12)
    findings = GopherRepetition().find(repetitive)
    assert findings and {f.severity for f in findings} == {"info"}
    assert any("dup_line_frac = 0.917 > 0.30" in f.message for f in findings)
    assert GopherRepetition().find(PROSE * 3) == [] or all(
        f.severity == "info" for f in GopherRepetition().find(PROSE * 3)
    )
    assert set(document_metrics("")) == set(GOPHER_THRESHOLDS)


LONGER = PROSE + (
    " The Minister recalled that bilateral trade has doubled over the past five years and that Chilean "
    "lithium, copper and fruit exports now reach every region of the country. The Ambassador thanked the "
    "Minister for the warm welcome and conveyed an invitation to visit Santiago in the spring."
)


def test_near_duplicate_release_names_the_other_release() -> None:
    other = LONGER.replace("Monday", "Tuesday")
    check = NearDuplicateRelease(
        [("r1", LONGER), ("r2", "A different release about fisheries and ports in the north.")]
    )
    finding = only(check.find_for("r9", other))
    assert (finding.check, finding.severity) == ("near-duplicate-release", "warning") and "r1" in finding.message
    assert check.find_for("r1", LONGER) == []
    assert only(check.excluding("r2").find(LONGER)).message.startswith("near-duplicate of release r1")
    assert check.find("Completely unrelated text about a football match and the weather in spring.") == []


@pytest.mark.parametrize(
    "line",
    [
        "Share: LinkedIn | Facebook | Email",
        "Share on LinkedIn (opens in new tab)",
        "Share this article (opens in a new window)",
        "The following link opens in a new tab",
        "© 2023 High Commission of the Republic. All rights reserved. | Privacy notice | Terms of use | Sitemap",
        "Privacy policy | Cookies | Contact us",
        "Last updated: 4 February 2022",
    ],
)
def test_boilerplate_share_bars_and_footer_links(line: str) -> None:
    text = f"{PROSE}\n\n{line}\n\n{PROSE.replace('Chile', 'Peru')}"
    finding = only(Boilerplate().find(text))
    assert (finding.start, finding.excerpt) == (text.index(line), line[:200])


@pytest.mark.parametrize(
    "line",
    [
        "The portal | launched in May | serves exporters and importers alike.",
        "Accessibility",
        "Both sides will share information on Facebook and Twitter scams with the public.",
    ],
)
def test_boilerplate_pipe_and_share_look_alikes(line: str) -> None:
    assert Boilerplate().find(f"{PROSE}\n\n{line}") == []


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        ('[caption id="attachment_88" align="alignleft"]The Minister in Suva', '[caption id="attachment_88"'),
        ("Photo of the signing.[/caption] The ministers then left.", "[/caption]"),
        ('[gallery ids="12,13,14"] The delegation toured the port.', '[gallery ids="12,13,14"]'),
    ],
)
def test_wordpress_shortcodes_are_markup(text: str, excerpt: str) -> None:
    finding = only(MarkupRemnant().find(text))
    assert finding.excerpt.startswith(excerpt) and finding.start == text.index(excerpt)


def test_editorial_brackets_are_not_shortcodes() -> None:
    assert MarkupRemnant().find("He said [sic] that the [Foreign] Minister would attend [in person].") == []


@pytest.mark.parametrize(
    "line",
    [
        "Share this page: Facebook | X | Email",
        "Share this release via: WhatsApp | Telegram",
        "Follow us: Instagram | YouTube",
    ],
)
def test_boilerplate_labelled_share_bar(line: str) -> None:
    text = f"{PROSE}\n\n{line}\n\nMore text follows here."
    assert only(Boilerplate().find(text)).excerpt == line


def test_boilerplate_share_sentence_look_alikes() -> None:
    text = f"{PROSE}\n\nShare this page: the archive lets readers share this page of history.\n\nShare | Care"
    assert Boilerplate().find(text) == []


@pytest.mark.parametrize(("word", "repair"), [("Ä\x90Ã\xa0 Ná»\x99ng", ""), ("Ná»‡n", "Nện"), ("Ä‘á»™i", "đội")])
def test_mojibake_vietnamese_letters(word: str, repair: str) -> None:
    findings = Mojibake().find(f"The talks in {word} went well.")
    assert findings and all(f.severity == "error" for f in findings)
    if repair:
        assert f'probably "{repair}"' in findings[-1].message


def test_mojibake_vietnamese_look_alikes() -> None:
    assert Mojibake().find("Hà Nội, Đà Nẵng and Huế; «está»… dijo»") == []
