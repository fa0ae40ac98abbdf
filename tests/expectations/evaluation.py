"""Scoring of the text checks against the labelled corpus and the real releases (used by the eval gate).

A label is found when a finding of the same check, with severity `warning` or `error`, overlaps its
span (for whole-text checks — too-short, wrong-language, near-duplicate-release — any such finding on the
text). A finding at `warning` or above that overlaps no label of its check is a false positive. `info`
findings are metrics and are neither.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pressroom.expectations import Finding, check_text
from pressroom.expectations.checks import NearDuplicateRelease

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus" / "corpus.jsonl"
NEAR_DUPLICATE_SUBJECTS = ("reissue-", "native-", "foreign-", "stub-")
WHOLE_TEXT = {"too-short", "wrong-language", "near-duplicate-release"}


@dataclass
class Score:
    """Counts for one check."""

    labels: int = 0
    found: int = 0
    reported: int = 0
    correct: int = 0
    missed: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.labels if self.labels else 1.0

    @property
    def precision(self) -> float:
        return self.correct / self.reported if self.reported else 1.0


def load_corpus() -> list[dict[str, object]]:
    with CORPUS.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def corpus_findings(records: list[dict[str, object]]) -> dict[str, list[Finding]]:
    """Findings per record id: the standard checks, plus a near-duplicate check against the clean base
    releases for the records that are not edited copies of one (re-issues, foreign texts, stubs)."""
    bases = [(str(r["id"]), str(r["text"])) for r in records if str(r["id"]).startswith("clean-")]
    near = NearDuplicateRelease(bases)
    result: dict[str, list[Finding]] = {}
    for record in records:
        text, language, record_id = str(record["text"]), str(record["language"]), str(record["id"])
        findings = check_text(text, language=language)
        if record_id.startswith(NEAR_DUPLICATE_SUBJECTS):
            findings += near.find_for(record_id, text)
        result[record_id] = [f for f in findings if f.severity != "info"]
    return result


def score(records: list[dict[str, object]], findings: dict[str, list[Finding]]) -> dict[str, Score]:
    scores: dict[str, Score] = {}
    for record in records:
        record_id = str(record["id"])
        labels = record["labels"]
        assert isinstance(labels, list)
        for item in labels:
            check = item["check"]
            entry = scores.setdefault(check, Score())
            entry.labels += 1
            if any(f.check == check and _matches(f, item) for f in findings[record_id]):
                entry.found += 1
            else:
                entry.missed.append(f"{record_id}: {item['excerpt']!r}"[:120])
        for finding in findings[record_id]:
            entry = scores.setdefault(finding.check, Score())
            entry.reported += 1
            if any(item["check"] == finding.check and _matches(finding, item) for item in labels):
                entry.correct += 1
            else:
                entry.false.append(f"{record_id}: {finding.excerpt!r} {finding.message}"[:160])
    return scores


def _matches(finding: Finding, item: dict[str, object]) -> bool:
    if finding.check in WHOLE_TEXT:
        return True
    start, end = int(str(item["start"])), int(str(item["end"]))
    return finding.start < max(end, start + 1) and max(finding.end, finding.start + 1) > start


def real_release_alarms(releases: list[dict[str, str]]) -> tuple[Counter[str], Counter[str], int]:
    """Per check, how many releases get a warning-or-error / an error from it; and releases with any error."""
    from pressroom.expectations import check_release

    warned: Counter[str] = Counter()
    errored: Counter[str] = Counter()
    with_errors = 0
    for release in releases:
        findings = check_release(release["title"], release["text"])
        warned.update({f.check for f in findings if f.severity != "info"})
        errored.update({f.check for f in findings if f.severity == "error"})
        with_errors += any(f.severity == "error" for f in findings)
    return warned, errored, with_errors
