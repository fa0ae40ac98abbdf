"""Properties every check keeps on any input: no exceptions, spans inside the text, exact excerpts."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pressroom.expectations import Check, check_release, check_text
from pressroom.expectations.checks import Boilerplate, NearDuplicateRelease, WrongLanguage
from pressroom.expectations.engine import default_checks, title_checks
from pressroom.expectations.findings import SEVERITY_RANK, Finding, Severity, capped, milder

CORPUS = [("r1", "The minister met the ambassador of Chile to discuss trade and climate today."), ("r2", "")]
_STANDARD = {check.id: check for check in [*default_checks(), *title_checks()]}
CHECKS: list[Check] = [
    *_STANDARD.values(),
    Boilerplate(known_lines={"issued by the press office"}),
    WrongLanguage(expected="fr", min_words=3),
    NearDuplicateRelease(CORPUS, threshold=0.3),
]

# Text built from the pieces the checks react to, so random inputs reach the interesting branches.
PIECES = st.sampled_from(
    [
        "to",
        "to ",
        "the",
        " ",
        "  ",
        ". ",
        ".",
        ",",
        ", ",
        " and ",
        " or ",
        "\n",
        "\n\n",
        "\r\n",
        "\r\n\r\n",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "“",
        "”",
        "‘",
        "’",
        '"',
        "'",
        "„",
        "U.S.",
        "e.g.",
        "a)",
        "1.",
        "iv)",
        "Foreign Affairs",
        "said",
        "of the Middle",
        "comprehensive",
        "😀",
        "🇵🇰",
        "𝔘",
        "é",
        "ß",
        "İ",
        "ﬁ",
        ":)",
        "QUESTION:",
        "www.state.gov",
        "info@x.org",
        "…",
        "...",
        "\u00a0",
        "\t",
        "\x00",
        "\ud800",
        "-",
        "<p>",
        "</div>",
        "&amp;amp;",
        "&nbsp",
        "â€™",
        "Ã©",
        "\ufffd",
        "\x85",
        "var x = 1;",
        ".a { color: red; }",
        "Share this page",
        "Read more",
        "Issued by the press office",
        "the.",
        "and",
        "Le ministre a dit que",
        "The minister met the ambassador of Chile",
        "QUESTION",
    ]
)
TEXTS = st.one_of(st.text(), st.lists(PIECES, max_size=60).map("".join))


def assert_well_formed(text: str, findings: list[Finding]) -> None:
    for finding in findings:
        assert 0 <= finding.start <= finding.end <= len(text), finding
        assert finding.excerpt == text[finding.start : finding.end], finding
        assert finding.severity in ("error", "warning", "info")
        assert finding.message


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXTS)
def test_no_check_raises_and_spans_are_exact(check: Check, text: str) -> None:
    assert_well_formed(text, check.find(text))


@settings(max_examples=200, deadline=None, database=None)
@given(title=TEXTS, body=TEXTS)
def test_engine_keeps_the_contract(title: str, body: str) -> None:
    findings = check_release(title, body)
    assert_well_formed(body, [f for f in findings if f.field == "body"])
    assert_well_formed(title, [f for f in findings if f.field == "title"])
    body_findings = [f for f in findings if f.field == "body"]
    assert body_findings == sorted(body_findings, key=lambda f: (f.start, f.end, f.check))
    assert len({(f.start, f.end) for f in body_findings}) == len(body_findings)


@settings(max_examples=100, deadline=None, database=None)
@given(prefix=st.lists(st.sampled_from(["😀", "🇵🇰", "𝔘", "a", "\r\n", "\n\n", "é", " "]), max_size=20).map("".join))
def test_offsets_count_code_points_with_emoji_and_crlf(prefix: str) -> None:
    body = "It threatens peace.\r\n\r\nWe want to to help. security. of the Middle. (open."
    text = prefix + " " + body
    offset = len(prefix) + 1
    found = {(f.check, f.excerpt): f.start - offset for f in check_text(text) if f.severity == "error"}
    assert found[("duplicated-phrase", "to")] == body.index("to to") + 3
    assert found[("garbled-fragment", "of the Middle.")] == body.index("of the Middle.")
    assert found[("unbalanced-punctuation", "(")] == body.index("(")


@settings(max_examples=60, deadline=None, database=None)
@given(prefix=st.lists(st.sampled_from(["😀", "🇵🇰", "𝔘", "a", "\r\n", "\n\n", "é", " "]), max_size=20).map("".join))
def test_offsets_of_the_new_checks_survive_non_bmp_characters_and_crlf(prefix: str) -> None:
    body = (
        "Pakistanâ€™s delegation arrived.\r\n\r\nThe <p>talks covered trade and the\r\n\r\nShare this page\r\n\r\n"
        "The ministers agreed to meet again in the spring in Rome. They also discussed energy and climate.\r\n\r\n"
        "The ministers agreed to meet again in the spring in Rome. The talks went on until"
    )
    text = prefix + " " + body
    offset = len(prefix) + 1
    found = {(f.check, f.excerpt): f.start - offset for f in check_text(text) if f.severity == "error"}
    assert found[("mojibake", "Pakistanâ€™s")] == body.index("Pakistan")
    assert found[("markup-remnant", "<p>")] == body.index("<p>")
    assert found[("garbled-fragment", "covered trade and the")] == body.index("covered trade")
    assert found[("boilerplate", "Share this page")] == body.index("Share")
    repeated = "The ministers agreed to meet again in the spring in Rome."
    assert found[("repeated-sentence", repeated)] == body.rindex(repeated)
    assert found[("truncated-text", "The talks went on until")] == body.rindex("The talks")


def test_a_megabyte_of_release_text_is_not_quadratic(seed_text: str) -> None:
    """A guard against quadratic blow-ups (which take minutes here), not the speed figure: `make bench`
    measures that (~0.4 s on a quiet machine). The bound is loose, and on CPU time of this process (a
    run of the whole suite at load 25 on two cores took 15 s of wall time for under 1 s of CPU)."""
    text = "\n\n".join([seed_text] * (1_000_000 // len(seed_text) + 1))[:1_000_000]
    started = time.process_time()
    findings = check_text(text)
    elapsed = time.process_time() - started
    assert len([f for f in findings if f.check == "duplicated-phrase"]) >= 200
    assert elapsed < 10.0, elapsed


SEVERITIES = st.sampled_from(["error", "warning", "info"])
FINDINGS = st.lists(st.builds(Finding, check=st.just("c"), severity=SEVERITIES, start=st.integers(0, 9),
                              end=st.just(10), excerpt=st.just(""), message=st.just("m")), max_size=8)


@given(findings=FINDINGS, cap=SEVERITIES, others=st.none() | SEVERITIES,
       starts=st.none() | st.sets(st.integers(0, 9)))
def test_capped_never_raises_a_severity_and_caps_each_finding_at_its_limit(
    findings: list[Finding], cap: Severity, others: Severity | None, starts: set[int] | None
) -> None:
    out = capped(findings, cap, starts=starts, others=others)
    assert [replace(f, severity="info") for f in out] == [replace(f, severity="info") for f in findings]
    for before, after in zip(findings, out, strict=True):
        limit = cap if starts is None or before.start in starts else others
        assert after.severity == (before.severity if limit is None else milder(before.severity, limit))
        assert SEVERITY_RANK[after.severity] <= SEVERITY_RANK[before.severity]
