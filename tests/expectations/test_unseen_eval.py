"""Gate on the seeded evaluation of issue 14's families (tests/expectations/unseen.py): recall and
false alarms per family on the test half only (other writers, other source, other phrasing than the
tuning half). Run `python -m tests.expectations.unseen test -v` for the printed report."""

from __future__ import annotations

import pytest

from tests.expectations.unseen import FAMILIES, POSITIONS, SHARED, evaluate, report, samples

RECALL_FLOORS = dict.fromkeys(FAMILIES, 0.95)
FALSE_ALARM_CEILING = 0
"""Measured on the test half (30 samples per family): 100 % recall and no false alarm for every family;
before issue 14 the same run gave the figures in the branch's closing note."""


def test_the_generator_is_seeded_and_covers_every_position() -> None:
    if not (SHARED / "state-dept").exists():
        pytest.skip(f"shared fixtures not found at {SHARED}")
    first = [(s.family, s.position, s.text) for s in samples("test", per_position=1)]
    again = [(s.family, s.position, s.text) for s in samples("test", per_position=1)]
    assert first == again
    assert {(family, position) for family, position, _ in first} == {(f, p) for f in FAMILIES for p in POSITIONS}
    tuning = {s.host.name for s in samples("tune", per_position=1)}
    assert tuning.isdisjoint(s.host.name for s in samples("test", per_position=2))


@pytest.mark.slow
def test_recall_and_false_alarms_on_the_test_half() -> None:
    if not (SHARED / "state-dept").exists():
        pytest.skip(f"shared fixtures not found at {SHARED}")
    tallies = evaluate("test")
    print("\n" + report(tallies))
    for family, tally in tallies.items():
        assert tally.samples == 6 * len(POSITIONS)
        assert tally.recall >= RECALL_FLOORS[family], (family, tally.missed)
        assert tally.false_alarms <= FALSE_ALARM_CEILING, (family, tally.alarms)
