"""The small pure pieces of the GX layer: volume bounds, the URL host column, the `error_checks` column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pressroom.expectations import check_release
from pressroom.expectations.engine import default_checks
from pressroom.expectations.gx import SourceRules
from pressroom.expectations.gx.defects import error_checks_column, join_checks, known_checks
from pressroom.expectations.gx.suites import MIN_HISTORY_RUNS, url_host, usual_range

BODY = ("The Minister met the Ambassador of the Republic in the capital on Monday. They discussed trade, energy "
        "and the next round of talks, and agreed to meet again in the spring.\n\nThe Ministry will publish a "
        "joint statement after the meeting.")


def test_volume_needs_history() -> None:
    assert usual_range([]) is None
    assert usual_range([5] * (MIN_HISTORY_RUNS - 1)) is None


def test_volume_bounds_are_half_p10_to_twice_p90_plus_slack() -> None:
    assert usual_range([10] * 10) == (5, 25)
    assert usual_range([0, 0, 1, 2, 0, 1]) == (0, 8)


def test_volume_uses_only_the_last_thirty_runs() -> None:
    assert usual_range([1000] * 10 + [10] * 30) == (5, 25)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://www.mofa.gov.pk/press-releases/x", True),
        ("HTTP://WWW.MOFA.GOV.PK/", True),
        ("https://www.mofa.gov.pk", True),
        ("https://www.mofa.gov.pk?page=2", True),
        ("http://127.0.0.1:8123/press/1", True),
        ("https://www.mofa.gov.pk.evil.com/x", False),
        ("https://evil.com/www.mofa.gov.pk/", False),
        ("ftp://www.mofa.gov.pk/x", False),
        ("http://127.0.0.1:9999/press/1", False),
        ("https://mofa.gov.pk/x", False),
        ("https://user@www.mofa.gov.pk/x", False),
        ("www.mofa.gov.pk/x", False),
        ("", False),
    ],
)
def test_url_host_is_an_allowed_netloc_exactly_when_the_url_is_http_on_it(url: str, ok: bool) -> None:
    assert (url_host(url) in {"www.mofa.gov.pk", "127.0.0.1:8123"}) is ok


def test_url_host_of_a_missing_url_is_missing_and_of_any_other_string_empty() -> None:
    assert url_host(None) is None
    assert url_host(float("nan")) is None
    assert url_host("mailto:press@mofa.gov.pk") == ""
    assert url_host("HTTPS://WWW.Mofa.gov.PK:443#top") == "www.mofa.gov.pk:443"


def test_error_checks_cells_are_normalised_to_sorted_comma_joined_ids() -> None:
    releases = pd.DataFrame({"error_checks": [
        ["unbalanced-punctuation", "duplicated-phrase", "duplicated-phrase"],
        np.array(["garbled-fragment"]),
        (),
        None,
        pd.NA,
        float("nan"),
        " duplicated-phrase ,garbled-fragment",
    ]})
    assert error_checks_column(releases).tolist() == [
        "duplicated-phrase,unbalanced-punctuation", "garbled-fragment", "", None, None, None,
        "duplicated-phrase,garbled-fragment",
    ]


def test_other_error_checks_cells_are_refused() -> None:
    with pytest.raises(TypeError, match="not int"):
        error_checks_column(pd.DataFrame({"error_checks": [3]}))


def test_without_the_column_the_text_checks_are_run() -> None:
    bodies = ["We want to to help (now. " + BODY, BODY]
    releases = pd.DataFrame({"title": ["Talks in Rome"] * 2, "body_text": bodies, "language": ["en"] * 2})
    expected = [
        join_checks(f.check for f in check_release("Talks in Rome", body) if f.severity == "error") for body in bodies
    ]
    cells = error_checks_column(releases).tolist()
    assert cells == expected
    assert {"duplicated-phrase", "unbalanced-punctuation"} <= set(cells[0].split(","))
    assert "duplicated-phrase" not in cells[1]


def test_every_standard_check_gets_an_expectation() -> None:
    ids = known_checks()
    assert ids[-1] == "internal-error"
    assert list(ids[:-1]) == sorted(check.id for check in default_checks())


@pytest.mark.parametrize(
    "changes",
    [{"hosts": frozenset()}, {"languages": frozenset()}, {"min_body_chars": 500, "max_body_chars": 100},
     {"max_error_share": 1.5}],
)
def test_source_rules_refuse_impossible_values(changes: dict[str, object]) -> None:
    arguments: dict[str, object] = {"hosts": frozenset({"a.gov"}), "languages": frozenset({"en"}), **changes}
    with pytest.raises(ValueError, match="source s"):
        SourceRules("s", **arguments)  # type: ignore[arg-type]
