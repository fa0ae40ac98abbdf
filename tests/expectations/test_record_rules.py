"""The record rules are one table enforced twice: the pipeline's per-release `record_failures` and the GX
suite built from the same `RECORD_RULES` agree on every combination of the values the rules tell apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product
from pathlib import Path

import pandas as pd

from pressroom.connectors.model import Release
from pressroom.expectations.gx import SourceRules, validate_releases
from pressroom.expectations.gx.suites import build_releases_suite
from pressroom.expectations.records import FUTURE_TOLERANCE, MIN_BODY_CHARS, RECORD_RULES, record_failures

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOST = "www.alpha.example.gov"
RULES = SourceRules("alpha", hosts=frozenset({HOST}), languages=frozenset({"en"}), first_year=2000)
# One value of each class the rules tell apart (URLs on the source's host: GX also checks the host).
TITLES = ["Talks on trade", "", "   "]
URLS = [f"https://{HOST}/press/{{}}", f"http://{HOST}/press/{{}}", f"ftp://{HOST}/press/{{}}", "", "javascript:x{}"]
DATES = [None, NOW - timedelta(days=3), NOW + FUTURE_TOLERANCE, NOW + FUTURE_TOLERANCE + timedelta(seconds=1)]
BODIES = ["x" * MIN_BODY_CHARS, "x" * (MIN_BODY_CHARS - 1), ""]


def test_record_failures_and_the_gx_suite_agree(tmp_path: Path) -> None:
    releases = [
        Release(release_id=f"r{i}", source_id="alpha", url=url.format(i), title=title, published_at=published,
                body_text=body, language="en", extractor="test")
        for i, (title, url, published, body) in enumerate(product(TITLES, URLS, DATES, BODIES))
    ]
    data = pd.DataFrame([{"release_id": r.release_id, "source_id": r.source_id, "url": r.url, "title": r.title,
                          "published_at": r.published_at, "body_text": r.body_text, "language": r.language,
                          "error_checks": []} for r in releases])
    data["published_at"] = pd.to_datetime(data["published_at"], utc=True)
    outcome = validate_releases(data, rules={"alpha": RULES}, history=pd.DataFrame(), run_id="rules",
                                results_dir=tmp_path, docs_dir=None, now=NOW)
    shared = {test.name: rule.name for rule in RECORD_RULES for test in rule.tests}
    for release in releases:
        gx = {shared[name] for name in outcome.record_failures.get(release.release_id, ()) if name in shared}
        assert gx == set(record_failures(release, now=NOW)), release
    # Every rule failed somewhere, so the comparison was not vacuous (a Release cannot hold a null title,
    # url or body: GX's not-null tests on those are exercised by test_gx.py).
    fired = {shared[name] for names in outcome.record_failures.values() for name in names if name in shared}
    assert fired == {rule.name for rule in RECORD_RULES}


def test_every_test_of_the_table_is_one_expectation_of_the_suite() -> None:
    names = [e.meta["name"] for e in build_releases_suite({"alpha": RULES}, now=NOW).expectations
             if e.meta and e.meta["level"] == "record"]
    tests = [test.name for rule in RECORD_RULES for test in rule.tests]
    assert len(set(tests)) == len(tests) and len(set(names)) == len(names)
    assert set(tests) <= set(names)
