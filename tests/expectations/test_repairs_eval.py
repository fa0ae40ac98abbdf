"""How often a suggested repair gives back exactly the clean text, per defect family of the eval corpus.

The corpus builder (tests/fixtures/corpus/build_corpus.py) injects each defect into a copy of a clean base
text, and the record id (`<family>-<number>`) says which base text, so the clean original of every defect
is known. Where the injector adds a whole new sentence carrying the defect (`dup-list`, `unbalanced`),
no repair can give the base text back; the clean original there is the record with that sentence written
correctly, as an editor would (`CLEAN_FORMS`, in our words).

For each labelled defect: is it found (a `warning`/`error` of its check overlapping the label), does that
finding carry a suggestion, and does applying that one suggestion give exactly the clean original. Run
this file (`python tests/expectations/test_repairs_eval.py`) to print the table that README.md shows.
Floors guard regressions; families where the text is lost (truncated, dangling) must never get a
suggestion, because any would be a guess.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest

from pressroom.expectations import Finding, check_text

CORPUS_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"

CLEAN_FORMS = {
    "dup-list": {
        "a peaceful, prosperous and peaceful region": "a peaceful and prosperous region",
        "a free, open, inclusive and open Indo-Pacific": "a free, open and inclusive Indo-Pacific",
        "trade, investment, energy and investment": "trade, investment and energy",
        "its sovereign, independent and sovereign choices": "its sovereign and independent choices",
        "a just, lasting, comprehensive and lasting settlement": "a just, lasting and comprehensive settlement",
    },
    "unbalanced": {
        "Minister of Trade) and": "Minister of Trade and",
        "The talks (held over two days in the capital were": "The talks (held over two days in the capital) were",
        "“new beginning“": "“new beginning”",
        "‘productive‘": "‘productive’",
        "would “open new markets": "would open new markets",
        "the decision] and": "the decision and",
        "was postponed” owing": "was postponed owing",
        "The programme [launched in 2019 has": "The programme, launched in 2019, has",
    },
}
"""The injected sentence of additive families as an editor would correct it."""

EXACT_FLOORS = {
    "dup-word": 1.0,
    "dup-phrase": 1.0,
    "dup-restart": 1.0,
    "dup-list": 1.0,
    "garbled-stop": 1.0,
    "garbled-tail": 1.0,
    "repeated-sentence": 1.0,
    "repeated-paragraph": 1.0,
    "mojibake": 0.1,
    "markup": 0.6,
    "boilerplate": 1.0,
    "teaser": 1.0,
    "unbalanced": 0.25,
}
"""Least share of a family's defects whose suggestion restores the clean original exactly (measured,
then rounded down)."""
NEVER_SUGGESTED = ("garbled-dangling", "truncated")
"""Families whose text is lost: a suggestion there would invent words."""


@dataclass(frozen=True)
class Outcome:
    """One labelled defect: found by its check, suggested a repair, and whether that restored the original."""

    family: str
    found: bool
    suggested: bool
    restored: bool


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, CORPUS_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(CORPUS_DIR))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(CORPUS_DIR))
    return module


def clean_original(family: str, number: int, text: str) -> str:
    """The text the defect was injected into, or for additive families the record with the injected
    sentence corrected (`CLEAN_FORMS`)."""
    if family in CLEAN_FORMS:
        for defective, clean in CLEAN_FORMS[family].items():
            if defective in text:
                return text.replace(defective, clean, 1)
        raise AssertionError(f"no clean form for {family}-{number:02d}")
    builder = _load("build_corpus")
    bases = builder.BASE_TEXTS
    return str(bases[(number * 7 + len(family)) % len(bases)][2])


def _labelled_finding(findings: list[Finding], label: dict[str, object]) -> Finding | None:
    start, end = int(str(label["start"])), int(str(label["end"]))
    matches = [
        f for f in findings if f.check == label["check"] and f.severity != "info" and f.start < end and f.end > start
    ]
    return min(matches, key=lambda f: f.suggestion is None, default=None)


@cache
def outcomes() -> tuple[Outcome, ...]:
    families = [name for name, _, _ in _load("build_corpus").INJECTORS]
    results: list[Outcome] = []
    for line in (CORPUS_DIR / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        family, _, number = str(record["id"]).rpartition("-")
        if family not in families:
            continue
        text = record["text"]
        findings = check_text(text, language=record["language"])
        original = clean_original(family, int(number), text)
        for label in record["labels"]:
            finding = _labelled_finding(findings, label)
            suggestion = None if finding is None else finding.suggestion
            restored = suggestion is not None and suggestion.apply(text) == original
            results.append(Outcome(family, finding is not None, suggestion is not None, restored))
    return tuple(results)


def table() -> dict[str, tuple[int, float, float, float]]:
    """Per family: defects, share found, share restored exactly, share with no suggestion."""
    rows: dict[str, tuple[int, float, float, float]] = {}
    for family in dict.fromkeys(outcome.family for outcome in outcomes()):
        mine = [outcome for outcome in outcomes() if outcome.family == family]
        count = len(mine)
        rows[family] = (
            count,
            sum(o.found for o in mine) / count,
            sum(o.restored for o in mine) / count,
            sum(not o.suggested for o in mine) / count,
        )
    return rows


def report() -> str:
    """The table as Markdown, with a total line."""
    lines = [
        "| defect family | defects | found | suggestion restores the clean original | no suggestion |",
        "|---|---:|---:|---:|---:|",
    ]
    for family, (count, found, restored, unsuggested) in table().items():
        lines.append(f"| {family} | {count} | {found:.0%} | {restored:.0%} | {unsuggested:.0%} |")
    everything = outcomes()
    total = len(everything)
    lines.append(
        f"| **all** | {total} | {sum(o.found for o in everything) / total:.0%} | "
        f"{sum(o.restored for o in everything) / total:.0%} | {sum(not o.suggested for o in everything) / total:.0%} |"
    )
    return "\n".join(lines)


@pytest.mark.parametrize("family", sorted(EXACT_FLOORS))
def test_suggestions_restore_the_clean_original(family: str) -> None:
    count, _, restored, _ = table()[family]
    assert restored >= EXACT_FLOORS[family], (family, count, restored)


@pytest.mark.parametrize("family", NEVER_SUGGESTED)
def test_no_suggestion_where_the_text_is_lost(family: str) -> None:
    assert table()[family][3] == 1.0


def test_suggestions_miss_the_original_only_where_the_injector_changed_words() -> None:
    """The mojibake injector garbles an accented copy of a word ("orgÃ¡nisations" for "organisations"), so
    ftfy's repair gives the accented word; the markup injector drops an entity between two words, where a
    real page had the character it encodes, so decoding it is right but is not the base text."""
    misses = {o.family for o in outcomes() if o.suggested and not o.restored}
    assert misses <= {"mojibake", "markup"}, misses


def test_report_prints(capsys: pytest.CaptureFixture[str]) -> None:
    print(report())
    assert "| dup-word |" in capsys.readouterr().out


if __name__ == "__main__":
    print(report())
