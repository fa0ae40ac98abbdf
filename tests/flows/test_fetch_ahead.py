"""A batch's pages are fetched several at a time and recorded as if fetched one after another.

``fetch_and_parse`` with a pool must give exactly what it gives without one, whatever each page does
(answers late, fails, is a skip, raises what no connector should): the order of pages, releases,
failures and skips is the listing's. And the waits of one page overlap the fetching of the next.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pressroom.connectors.config import parse_config
from pressroom.connectors.failures import Permanent, Retryable, Skip
from pressroom.connectors.http import FetchError
from pressroom.connectors.model import Listing, RawPage, Release, Window
from pressroom.flows import pipeline

AT = datetime(2026, 2, 1, 6, 0, tzinfo=UTC)
SOURCE = parse_config({"sources": [{"id": "xa-mfa", "name": "X", "country": "XA", "kind": "html",
                                    "url": "http://127.0.0.1:9/news/", "item": "li"}]}).sources[0]
#: What fetching a page does: answer (after a delay), fail with a fetch error, or raise a bug.
BEHAVIOURS = ["ok", "ok", "ok", "http-503", "robots-disallowed", "bug", "unparsable"]


class Scripted:
    """A connector whose pages behave as scripted per URL, fetched from any thread."""

    extractor = "test"

    def __init__(self, script: dict[str, tuple[str, float]]) -> None:
        self.script = script
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0
        self.started = 0

    def discover(self, window: Window) -> Any:
        raise AssertionError("not used")

    def fetch(self, listing: Listing) -> RawPage:
        behaviour, delay = self.script[listing.url]
        with self.lock:
            self.in_flight += 1
            self.started += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(delay)
        finally:
            with self.lock:
                self.in_flight -= 1
        if behaviour == "bug":
            raise KeyError("no such thing")
        if behaviour in ("http-503", "robots-disallowed"):
            reason = Retryable.HTTP_503 if behaviour == "http-503" else Skip.ROBOTS_DISALLOWED
            raise FetchError(listing.url, reason, attempts=2, status=503 if behaviour == "http-503" else None)
        return RawPage(listing.source_id, listing.url, listing.url, 200, "text/html", "utf-8",
                       behaviour.encode(), AT)

    def parse(self, raw: RawPage) -> Any:
        if raw.content == b"unparsable":
            raise ValueError("cannot parse")
        return Release(release_id=raw.url, source_id=raw.source_id, url=raw.url, title="A release",
                       published_at=AT, extractor="test", body_text="The ministry said so.", language="en")


def summary(batch: pipeline.FetchedBatch) -> tuple[list[Any], ...]:
    return ([p.url for p in batch.pages], [r.url for r in batch.releases],
            [(f.url, f.reason, f.kind, f.attempts, f.detail) for f in batch.failures],
            [(s.url, s.reason) for s in batch.skips])


pages = st.lists(st.tuples(st.sampled_from(BEHAVIOURS), st.sampled_from([0.0, 0.001, 0.005]), st.booleans()),
                 max_size=14)


@settings(max_examples=40, deadline=None)
@given(pages)
def test_fetching_ahead_records_exactly_what_fetching_in_turn_does(script: list[tuple[str, float, bool]]) -> None:
    listings = [Listing("xa-mfa", f"http://127.0.0.1:9/{n}", skip=Skip.OFF_HOST if skipped else None)
                for n, (_, _, skipped) in enumerate(script)]
    connector = Scripted({listing.url: (behaviour, delay)
                          for listing, (behaviour, delay, _) in zip(listings, script, strict=True)})
    in_turn = pipeline.fetch_and_parse(connector, SOURCE, listings)
    assert connector.most_in_flight <= 1
    with ThreadPoolExecutor(max_workers=pipeline.fetch_threads(SOURCE)) as pool:
        ahead = pipeline.fetch_and_parse(connector, SOURCE, listings, pool=pool)
    assert summary(ahead) == summary(in_turn)
    assert len(in_turn.skips) + len(in_turn.failures) + len(in_turn.releases) == len(listings)
    bugs = {listing.url for listing, (behaviour, _, skipped) in zip(listings, script, strict=True)
            if behaviour == "bug" and not skipped}
    assert {f.url for f in in_turn.failures if f.reason is Permanent.UNREADABLE and f.kind == "page"} == bugs


def test_one_pages_wait_overlaps_the_next_ones() -> None:
    """Eight pages that each take 0.2 s (a retry's backoff, say) take about two rounds of 0.2 s, not eight."""
    listings = [Listing("xa-mfa", f"http://127.0.0.1:9/{n}") for n in range(8)]
    connector = Scripted({listing.url: ("ok", 0.2) for listing in listings})
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=pipeline.fetch_threads(SOURCE)) as pool:
        batch = pipeline.fetch_and_parse(connector, SOURCE, listings, pool=pool)
    assert [r.url for r in batch.releases] == [listing.url for listing in listings]
    assert connector.most_in_flight == pipeline.fetch_threads(SOURCE) == 4
    assert time.monotonic() - began < 8 * 0.2 / 2


class Dropping(Scripted):
    """Sets ``stop`` as its ``at``-th page starts, as `Discovery.close` does while a batch is fetched."""

    def __init__(self, script: dict[str, tuple[str, float]], stop: threading.Event, at: int) -> None:
        super().__init__(script)
        self.stop, self.at = stop, at

    def fetch(self, listing: Listing) -> RawPage:
        with self.lock:
            if self.started + 1 == self.at:
                self.stop.set()
        return super().fetch(listing)


def test_no_page_is_started_once_the_batch_is_being_dropped() -> None:
    listings = [Listing("xa-mfa", f"http://127.0.0.1:9/{n}") for n in range(20)]
    stop = threading.Event()
    connector = Dropping({listing.url: ("ok", 0.01) for listing in listings}, stop, at=6)
    width = pipeline.fetch_threads(SOURCE)
    with ThreadPoolExecutor(max_workers=width) as pool:
        batch = pipeline.fetch_and_parse(connector, SOURCE, listings, pool=pool, stop=stop)
    # the fetches already handed to the pool when it was set may still run; none after them
    assert 6 <= connector.started <= 6 + width - 1
    assert len(batch.pages) < 6
    assert batch.failures == [] and batch.skips == []
