"""The one-batch GX suite judges every release by its own source's rules: for any mix of sources and
releases, GX's record failures equal a plain reading of the rules, release by release.

Before issue 16 each source was a batch of its own with its bounds as expectation arguments; now the
bounds travel as columns of the row. The property pins what that move must not change: a release is
held under exactly the names its own source's rules give, in the suite's order, whichever other sources
share the run.
"""

from __future__ import annotations

import random
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pressroom.expectations.gx import SourceRules, validate_releases
from tests.expectations.test_gx import NOW, frame

RULES = {
    "alpha": SourceRules("alpha", hosts=frozenset({"www.alpha.example.gov"}), languages=frozenset({"en"}),
                         first_year=2000, min_body_chars=10, max_body_chars=40),
    "beta": SourceRules("beta", hosts=frozenset({"Beta.example.org:8080", "beta.example.org"}),
                        languages=frozenset({"en", "fr"}), first_year=2015, min_body_chars=30, max_body_chars=60),
    "gamma": SourceRules("gamma", hosts=frozenset({"127.0.0.1:9001"}), languages=frozenset({"ar"}),
                         min_body_chars=0, max_body_chars=200_000),
}
ORDER = ("release-id-duplicated", "title-missing", "title-blank", "url-missing", "url-off-host",
         "published-at-missing", "published-at-in-future", "body-missing", "body-too-short", "body-too-long",
         "published-at-too-early", "language-unexpected")
URLS = [None, "", "https://www.alpha.example.gov/p/1", "HTTP://WWW.ALPHA.EXAMPLE.GOV", "https://beta.example.org?x=1",
        "http://beta.example.org:8080/a", "https://beta.example.org.evil.com/", "ftp://beta.example.org/",
        "http://127.0.0.1:9001#top", "http://127.0.0.1:9002/", "https://user@www.alpha.example.gov/"]
DATES = [None, datetime(1999, 12, 31, 23, tzinfo=UTC), datetime(2000, 1, 1, tzinfo=UTC),
         datetime(2014, 12, 31, tzinfo=UTC), datetime(2015, 1, 1, tzinfo=UTC), NOW - timedelta(hours=3),
         NOW + timedelta(hours=23), NOW + timedelta(days=1, minutes=1)]

rows = st.fixed_dictionaries({
    "release_id": st.sampled_from([f"r{i}" for i in range(40)]),
    "source_id": st.sampled_from(sorted(RULES)),
    "url": st.sampled_from(URLS),
    "title": st.sampled_from([None, "", "  ", "Talks", "\n"]),
    "published_at": st.sampled_from(DATES),
    "body_text": st.one_of(st.none(), st.integers(0, 70).map(lambda n: "x" * n)),
    "language": st.sampled_from([None, "en", "fr", "ar", "de"]),
    "error_checks": st.just([]),
})

HISTORY = pd.DataFrame(columns=["source_id", "run_id", "new_releases"])


def plainly(releases: list[dict[str, Any]]) -> dict[str, tuple[str, ...]]:
    """The record failures the rules give, read without GX."""
    ids = [row["release_id"] for row in releases]
    failed: dict[str, set[str]] = {}
    for row in releases:
        rule = RULES[row["source_id"]]
        url, title, body, date = row["url"], row["title"], row["body_text"], row["published_at"]
        parts = urlsplit(url) if url is not None else None
        on_host = parts is not None and parts.scheme in ("http", "https") and \
            parts.netloc.lower() in {host.lower() for host in rule.hosts}
        names = {
            "release-id-duplicated": ids.count(row["release_id"]) > 1,
            "title-missing": title is None,
            "title-blank": title is not None and not title.strip(),
            "url-missing": url is None,
            "url-off-host": url is not None and not on_host,
            "published-at-missing": date is None,
            "published-at-in-future": date is not None and date > NOW + timedelta(days=1),
            "body-missing": body is None,
            "body-too-short": body is not None and len(body) < rule.min_body_chars,
            "body-too-long": body is not None and len(body) > rule.max_body_chars,
            "published-at-too-early": date is not None and date < datetime(rule.first_year, 1, 1, tzinfo=UTC),
            "language-unexpected": row["language"] is not None and row["language"] not in rule.languages,
        }
        failed.setdefault(row["release_id"], set()).update(name for name, bad in names.items() if bad)
    return {release_id: tuple(name for name in ORDER if name in names)
            for release_id, names in sorted(failed.items()) if names}


def held(releases: list[dict[str, Any]]) -> dict[str, tuple[str, ...]]:
    with tempfile.TemporaryDirectory() as results:
        outcome = validate_releases(frame(releases), rules=RULES, history=HISTORY, run_id="prop",
                                    results_dir=Path(results), docs_dir=None, now=NOW)
    return outcome.record_failures


@settings(max_examples=12, deadline=None, database=None)
@given(st.lists(rows, min_size=1, max_size=50))
def test_each_release_is_held_under_exactly_its_own_sources_rules(releases: list[dict[str, Any]]) -> None:
    assert held(releases) == plainly(releases)


def test_a_large_mixed_run_agrees_release_by_release() -> None:
    rng = random.Random(16)
    releases = [{
        "release_id": f"r{rng.randrange(250)}", "source_id": rng.choice(sorted(RULES)), "url": rng.choice(URLS),
        "title": rng.choice([None, "", "  ", "Talks", "\n"]), "published_at": rng.choice(DATES),
        "body_text": rng.choice([None, "x" * rng.randrange(70)]),
        "language": rng.choice([None, "en", "fr", "ar", "de"]),
        "error_checks": [],
    } for _ in range(400)]
    expected = plainly(releases)
    assert len(expected) > 150 and {name for names in expected.values() for name in names} == set(ORDER)
    assert held(releases) == expected
