"""The run-long check workers (expectations/workers.py) and the near-duplicate findings that travel to
them (`NearDuplicateFound`): whatever the texts, the findings are those of `check_release` in this
process with the near-duplicate index's own view, in the same order; a worker that dies loses nothing."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pressroom.expectations import engine
from pressroom.expectations.checks.boilerplate import Boilerplate
from pressroom.expectations.checks.near_duplicates import NearDuplicateFound, NearDuplicateRelease
from pressroom.expectations.workers import CheckWorkers, _split

SENTENCES = [
    "The Minister met the Ambassador of Norway today.",
    "They discussed trade, energy and trade in the region.",
    "The Ministry of Foreign Affairs said. Foreign Affairs) said.",
    "a major threat to Eastern peace and security. of the Middle.",
    "Share this page Facebook Twitter LinkedIn",
    "â€œThis is mojibakeâ€ said the spokesperson.",
    "Both sides agreed to meet again next year in Oslo.",
]


@pytest.fixture(scope="module")
def workers() -> Iterator[CheckWorkers]:
    pool = CheckWorkers(2)
    yield pool
    pool.close()


def _texts(seed_text: str, extra: list[str]) -> list[tuple[str, str, str]]:
    """(release id, title, body): the seed, a near-copy of it, and the extra bodies."""
    bodies = [seed_text, seed_text.replace("said", "stated", 1), *extra]
    return [(f"r{index}", f"Title {index}", body) for index, body in enumerate(bodies)]


def _both_ways(texts: list[tuple[str, str, str]], workers: CheckWorkers) -> tuple[list[object], list[object]]:
    corpus = [(release_id, body) for release_id, _, body in texts]
    index = NearDuplicateRelease(corpus)
    known = frozenset({"Share this page Facebook Twitter LinkedIn"})

    def base() -> list[object]:
        checks = [c for c in engine.default_checks("en") if not isinstance(c, Boilerplate)]
        return [*checks, Boilerplate(known_lines=known)]

    here = [engine.check_release(title, body, body_checks=[*base(), index.excluding(rid)], suggest=False)
            for rid, title, body in texts]
    sent = [engine.ReleaseText(title, body, "en", [*base(), NearDuplicateFound(index.excluding(rid), body)])
            for rid, title, body in texts]
    return here, engine.check_releases(sent, suggest=False, workers=workers)


def test_workers_give_the_findings_of_this_process(seed_text: str, workers: CheckWorkers) -> None:
    texts = _texts(seed_text, [" ".join(SENTENCES[i % len(SENTENCES)] for i in range(k, k + 6)) for k in range(10)])
    here, there = _both_ways(texts, workers)
    assert there == here
    assert any(f.check == "near-duplicate-release" for f in here[0])  # the index did find the near-copy
    assert sum(f.severity == "error" for f in here[0] if f.field == "body") == 4  # the seed's four defects


@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=8).map(" ".join)
                | st.text(min_size=0, max_size=300), min_size=6, max_size=24))
def test_workers_equal_this_process_on_any_batch(seed_text: str, workers: CheckWorkers, bodies: list[str]) -> None:
    here, there = _both_ways(_texts(seed_text, bodies), workers)
    assert there == here


def test_a_worker_that_dies_is_replaced_and_its_share_checked_here(seed_text: str) -> None:
    pool = CheckWorkers(2)
    try:
        texts = _texts(seed_text, [" ".join(SENTENCES)] * 12)
        before = [w.process.pid for w in pool._all]
        os.kill(before[0], signal.SIGKILL)
        pool._all[0].process.wait()
        here, there = _both_ways(texts, pool)
        assert there == here
        after = [w.process.pid for w in pool._all]
        assert len(after) == 2 and before[0] not in after
        _, again = _both_ways(texts, pool)  # and the replacement works
        assert again == here
        running = [w.process for w in pool._all]
    finally:
        pool.close()
    assert [process.poll() is not None for process in running] == [True, True]  # close() ended them


def test_a_failing_lookup_is_the_engines_internal_error() -> None:
    class Broken(NearDuplicateRelease):
        def find_for(self, release_id: object, text: str, **_: object) -> list[object]:  # type: ignore[override]
            raise ValueError("index gone")

    view = Broken([])
    body = "The Minister met the Ambassador of Norway today. " * 5
    direct = engine.check_release("Title", body, body_checks=[view], suggest=False)
    travelled = engine.check_release("Title", body, body_checks=[NearDuplicateFound(view, body)], suggest=False)
    assert travelled == direct
    assert [f.check for f in direct if f.field == "body"] == [engine.INTERNAL_ERROR]


@given(st.integers(0, 500), st.integers(1, 8))
def test_split_covers_every_item_once_in_order(count: int, parts: int) -> None:
    pieces = _split(count, parts)
    flat = [i for start, end in pieces for i in range(start, end)]
    assert flat == list(range(count))
    assert len(pieces) <= max(1, parts) and all(end > start for start, end in pieces if count)
