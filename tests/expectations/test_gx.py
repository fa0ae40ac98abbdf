"""The GX layer of the publish gate: per-release verdicts, the text-defect expectation, batch warnings,
stored results, no network and nothing written into the repository.

One validation run is shared by the module (GX takes ~4 s to import, then ~0.5 s a run).
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pressroom.expectations.gx import GxOutcome, SourceRules, validate_releases

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GX_DIR = Path(__file__).resolve().parents[2] / "expectations" / "gx"
BODY = ("The Minister met the Ambassador in the capital on Monday. They discussed trade, energy and the "
        "next round of talks.")

RULES = {
    "alpha": SourceRules("alpha", hosts=frozenset({"www.alpha.example.gov"}), languages=frozenset({"en"}),
                         first_year=2000, max_body_chars=2_000),
    "beta": SourceRules("beta", hosts=frozenset({"beta.example.org:8080"}), languages=frozenset({"en", "fr"})),
}

#: release_id -> (what is wrong with it, the one record-level expectation it must fail)
BAD_ROWS: dict[str, tuple[dict[str, Any], str]] = {
    "no-title": ({"title": None}, "title-missing"),
    "blank-title": ({"title": "  "}, "title-blank"),
    "no-url": ({"url": None}, "url-missing"),
    "off-host": ({"url": "https://evil.example.com/alpha/1"}, "url-off-host"),
    "no-date": ({"published_at": pd.NaT}, "published-at-missing"),
    "future": ({"published_at": NOW + timedelta(days=2)}, "published-at-in-future"),
    "too-early": ({"published_at": datetime(1999, 12, 31, tzinfo=UTC)}, "published-at-too-early"),
    "no-body": ({"body_text": None}, "body-missing"),
    "short-body": ({"body_text": "Too short."}, "body-too-short"),
    "long-body": ({"body_text": "x" * 2_001}, "body-too-long"),
    "german": ({"language": "de"}, "language-unexpected"),
}


def release(release_id: str, source_id: str = "alpha", **changes: Any) -> dict[str, Any]:
    host = {"alpha": "www.alpha.example.gov", "beta": "beta.example.org:8080"}[source_id]
    row: dict[str, Any] = {
        "release_id": release_id,
        "source_id": source_id,
        "url": f"https://{host}/press/{release_id}",
        "title": f"Release {release_id}",
        "published_at": NOW - timedelta(hours=3),
        "body_text": BODY,
        "language": "en",
        "content_hash": f"hash-{release_id}",
        "error_checks": [],
    }
    row.update(changes)
    return row


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    data = pd.DataFrame(rows)
    data["published_at"] = pd.to_datetime(data["published_at"], utc=True)
    return data


def history(source_id: str, counts: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"source_id": source_id, "run_id": [f"2026021{i}T000000Z-old" for i in range(len(counts))],
                         "new_releases": counts})


def crafted_rows() -> list[dict[str, Any]]:
    """alpha: 11 rows bad in one way each, 2 duplicates, 6 clean, 8 with text defects (in three cell
    forms); beta: 3 clean rows, one dated an hour ahead (within the tolerance)."""
    rows = [release(release_id, **changes) for release_id, (changes, _) in BAD_ROWS.items()]
    rows += [release("dup"), release("dup")]
    rows += [release(f"clean-{i}") for i in range(6)]
    rows += [release(f"defect-{i}", error_checks=["duplicated-phrase"]) for i in range(4)]
    rows += [release(f"defect-array-{i}", error_checks=np.array(["unbalanced-punctuation", "duplicated-phrase"]))
             for i in range(2)]
    rows += [release(f"defect-str-{i}", error_checks="garbled-fragment") for i in range(2)]
    rows += [release("beta-1", "beta"), release("beta-2", "beta", language="fr"),
             release("beta-soon", "beta", published_at=NOW + timedelta(hours=1))]
    return rows


class NetworkGuard:
    """Replaces socket connections and name look-ups with a recorder that refuses them."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    def connect(self, sock: socket.socket, address: Any) -> None:
        self.attempts.append(f"connect {address!r}")
        raise OSError("network disabled in this test")

    def getaddrinfo(self, host: Any, *args: Any, **kwargs: Any) -> Any:
        self.attempts.append(f"getaddrinfo {host!r}")
        raise OSError("network disabled in this test")


def listing(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GxOutcome, NetworkGuard, dict[str, Any]]]:
    results_dir = tmp_path_factory.mktemp("gx-results")
    before = listing(GX_DIR)
    guard = NetworkGuard()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", guard.connect)
        patch.setattr(socket, "getaddrinfo", guard.getaddrinfo)
        outcome = validate_releases(
            frame(crafted_rows()), rules=RULES, history=history("alpha", [2, 3, 1, 2, 4, 2, 3]),
            run_id="20260301T120000Z-test01", results_dir=results_dir, docs_dir=None, now=NOW,
        )
    yield outcome, guard, {"before": before, "after": listing(GX_DIR), "results_dir": results_dir}


@pytest.fixture(scope="module")
def outcome(run: tuple[GxOutcome, NetworkGuard, dict[str, Any]]) -> GxOutcome:
    return run[0]


@pytest.fixture(scope="module")
def stored(outcome: GxOutcome) -> dict[str, Any]:
    return dict(json.loads(outcome.results_path.read_text(encoding="utf-8")))


def expectation_results(stored: dict[str, Any], name: str, batch: str = "releases") -> list[dict[str, Any]]:
    return [r for r in stored["results"][batch]["results"] if r["expectation_config"]["meta"]["name"] == name]


def expectation_result(stored: dict[str, Any], name: str) -> dict[str, Any]:
    matches = expectation_results(stored, name)
    assert len(matches) == 1, name
    return dict(matches[0])


@pytest.mark.parametrize("release_id", sorted(BAD_ROWS))
def test_each_record_expectation_names_the_release_that_fails_it(outcome: GxOutcome, release_id: str) -> None:
    assert outcome.record_failures[release_id] == (BAD_ROWS[release_id][1],)


def test_duplicated_release_id_is_named(outcome: GxOutcome) -> None:
    assert outcome.record_failures["dup"] == ("release-id-duplicated",)


def test_clean_rows_and_text_defects_pass_the_record_expectations(outcome: GxOutcome) -> None:
    assert set(outcome.record_failures) == {*BAD_ROWS, "dup"}
    assert not outcome.success


def test_text_defect_expectation_reports_counts_examples_and_release_ids(stored: dict[str, Any]) -> None:
    duplicated = expectation_result(stored, "duplicated-phrase")
    assert duplicated["expectation_config"]["type"] == "expect_column_values_to_have_no_text_defects"
    assert not duplicated["success"]
    assert duplicated["result"]["unexpected_count"] == 6
    assert set(duplicated["result"]["partial_unexpected_list"]) == {
        "duplicated-phrase", "duplicated-phrase,unbalanced-punctuation"}
    ids = {row["release_id"] for row in duplicated["result"]["unexpected_index_list"]}
    assert ids == {*(f"defect-{i}" for i in range(4)), "defect-array-0", "defect-array-1"}
    assert expectation_result(stored, "garbled-fragment")["result"]["unexpected_count"] == 2
    assert expectation_result(stored, "internal-error")["success"]


def test_batch_expectations_warn_without_holding_anything(outcome: GxOutcome, stored: dict[str, Any]) -> None:
    assert outcome.batch_warnings == (
        "alpha: 8 of 27 checked releases (30 %) have error findings; at most 25% expected",
        "alpha: 27 releases in this run, outside the usual 0–12",
    )
    assert not set(outcome.record_failures) & {f"defect-{i}" for i in range(4)}
    low, high = expectation_results(stored, "volume", "source_batches")
    assert {low["expectation_config"]["severity"], high["expectation_config"]["severity"]} == {"warning"}
    # beta has no history: its row has no bounds and is left out, alpha's is above the usual range.
    assert low["success"]
    assert [row["source_id"] for row in high["result"]["unexpected_index_list"]] == ["alpha"]
    assert high["result"]["element_count"] == 2 and high["result"]["missing_count"] == 1


def test_statistics_add_up_over_both_batches(outcome: GxOutcome, stored: dict[str, Any]) -> None:
    per_source = [stored["results"][s]["statistics"] for s in ("releases", "source_batches")]
    assert outcome.statistics == {
        "evaluated": sum(s["evaluated_expectations"] for s in per_source),
        "successful": sum(s["successful_expectations"] for s in per_source),
        "unsuccessful": sum(s["unsuccessful_expectations"] for s in per_source),
    }
    assert outcome.statistics["unsuccessful"] > 0


def test_results_json_is_written_under_results_dir(run: tuple[GxOutcome, NetworkGuard, dict[str, Any]],
                                                   stored: dict[str, Any]) -> None:
    outcome, _, info = run
    assert outcome.results_path == info["results_dir"] / "20260301T120000Z-test01.json"
    assert stored["run_id"] == "20260301T120000Z-test01"
    assert stored["record_failures"]["future"] == ["published-at-in-future"]
    assert set(stored["results"]) == {"releases", "source_batches"}
    assert outcome.docs_index is None


def test_gx_makes_no_network_request(run: tuple[GxOutcome, NetworkGuard, dict[str, Any]]) -> None:
    assert run[1].attempts == []


def test_a_run_writes_nothing_into_the_repository(run: tuple[GxOutcome, NetworkGuard, dict[str, Any]]) -> None:
    info = run[2]
    assert info["after"] == info["before"]


def test_clean_batch_passes_and_a_source_without_releases_is_checked_for_volume(tmp_path: Path) -> None:
    rows = [release(f"ok-{i}") for i in range(3)]
    past = pd.concat([history("alpha", [3] * 10), history("beta", [10, 12, 9, 11, 10])])
    outcome = validate_releases(frame(rows), rules=RULES, history=past, run_id="clean", results_dir=tmp_path,
                                docs_dir=None, now=NOW)
    assert outcome.success
    assert outcome.record_failures == {}
    assert outcome.batch_warnings == ("beta: 0 releases in this run, outside the usual 4–29",)
    assert outcome.statistics["unsuccessful"] == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rules": {"beta": RULES["beta"]}}, "no SourceRules for source(s) alpha"),
        ({"now": datetime(2026, 3, 1)}, "timezone-aware"),
        ({"run_id": "../escape"}, "may only contain"),
    ],
)
def test_bad_arguments_are_rejected_before_gx_runs(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"rules": RULES, "history": history("alpha", []), "run_id": "r",
                                 "results_dir": tmp_path, "docs_dir": None, "now": NOW}
    arguments.update(change)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        validate_releases(frame([release("a")]), **arguments)
    assert not any(tmp_path.iterdir())


def test_naive_dates_are_rejected(tmp_path: Path) -> None:
    naive = frame([release("a")])
    naive["published_at"] = naive["published_at"].dt.tz_localize(None)
    with pytest.raises(ValueError, match="timezone-aware datetimes"):
        validate_releases(naive, rules=RULES, history=history("alpha", []), run_id="r", results_dir=tmp_path,
                          docs_dir=None, now=NOW)


def test_an_expectation_gx_cannot_evaluate_holds_every_release_of_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The host expectation now reads a column the frame does not have: GX raises while evaluating it.
    monkeypatch.setattr("pressroom.expectations.gx.suites.SOURCE_HOST", "no_such_column")
    rows = [release("a1"), release("a2"), release("b1", "beta")]
    with caplog.at_level(logging.ERROR, logger="pressroom.expectations.gx.run"):
        outcome = validate_releases(frame(rows), rules=RULES, history=history("alpha", []), run_id="broken",
                                    results_dir=tmp_path, docs_dir=None, now=NOW)
    assert outcome.record_failures == {"a1": ("url-off-host",), "a2": ("url-off-host",), "b1": ("url-off-host",)}
    assert "url-off-host" in caplog.text
