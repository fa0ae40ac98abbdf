"""The pipeline reads a failure's kind from its type: retryable failures hold the nightly watermark,
permanent ones and skips do not, a failed listing always does.

The end-to-end cases run a nightly source against a real local server: a feed item whose page is not
XML, a GOV.UK item without ``content_id`` and a page with a broken ``Content-Encoding`` used to hold the
watermark back for ever, although retrying cannot fix any of them.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pressroom.connectors.config import parse_config
from pressroom.connectors.failures import KINDS, Permanent, Reason, Retryable, Skip
from pressroom.connectors.http import PoliteSession
from pressroom.connectors.model import Window
from pressroom.flows import pipeline
from pressroom.warehouse import Warehouse, store
from pressroom.warehouse.store import FailureRecord
from tests.connectors.clock import FakeClock

GOVUK_ITEMS = Path(__file__).resolve().parents[1] / "fixtures" / "govuk"
STARTED = datetime(2026, 2, 1, 6, 0, tzinfo=UTC)
GOOD_AT = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
FAILED_AT = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
WINDOW = Window(since=None, until=STARTED)
REASONS: list[Reason] = [member for kind in KINDS for member in kind]


def page_failure(reason: str, listed_at: datetime | None = FAILED_AT, kind: str = "page") -> FailureRecord:
    """A failure as the pipeline keeps it: the reason as its stored string."""
    return FailureRecord("xa", f"https://xa.example/{reason}", str(reason), 1, kind, "", listed_at)


@pytest.mark.parametrize("reason", [r.value for r in REASONS if not r.value.startswith("http-")]
                         + ["http-403", "http-404", "http-410", "http-429", "http-503"])
def test_each_reason_moves_or_holds_the_watermark_by_its_kind(reason: str) -> None:
    held = pipeline.next_watermark(WINDOW, [page_failure(reason)])
    expected = FAILED_AT if reason in {r.value for r in Retryable} else STARTED
    assert held == expected
    assert pipeline.next_watermark(WINDOW, [page_failure(reason, kind="listing")]) is None


failures = st.lists(st.builds(
    page_failure,
    reason=st.sampled_from(KINDS).flatmap(st.sampled_from),  # each kind as likely, whatever its size
    listed_at=st.none() | st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 1, 31),
                                       timezones=st.just(UTC)),
    kind=st.sampled_from(["page", "parse", "listing"]),
), max_size=6)


@given(failures)
def test_the_watermark_never_passes_a_retryable_failure(batch: list[FailureRecord]) -> None:
    mark = pipeline.next_watermark(WINDOW, batch)
    retryable = {r.value for r in Retryable}
    holding = [f for f in batch if f.kind == "listing" or f.reason in retryable]
    if any(f.kind == "listing" or f.listed_at is None for f in holding):
        assert mark is None
        return
    dated = [f.listed_at for f in holding if f.listed_at is not None]
    assert mark == min([STARTED, *dated])  # as far as allowed: permanent failures and skips never hold it


# --- end to end: a nightly source on a local server ------------------------------------------------

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Testland MFA</title>
<item><title>Minister meets envoys</title><link>{base}/news/envoys</link>
<pubDate>Mon, 12 Jan 2026 09:00:00 +0000</pubDate>
<content:encoded><![CDATA[<p>The Minister met the envoys of three neighbouring states on Monday.</p>
<p>They agreed to meet again in the spring to review the trade corridor.</p>]]></content:encoded></item>
<item><title>Statement on the floods</title><link>{base}/news/floods</link>
<pubDate>Sat, 10 Jan 2026 09:00:00 +0000</pubDate></item>
</channel></rss>"""


def feed_source(server: HTTPServer) -> dict[str, Any]:
    server.expect_request("/feed.xml").respond_with_data(RSS.format(base=server.url_for("").rstrip("/")),
                                                         content_type="application/rss+xml")
    return {"id": "xa-feed", "name": "Testland MFA", "country": "XA", "timezone": "UTC", "kind": "feed",
            "url": server.url_for("/feed.xml"), "min_interval": 0}


def feed_item_not_xml(server: HTTPServer) -> dict[str, Any]:
    """The undated-content item links to a page that calls itself XML and is not."""
    server.expect_request("/news/floods").respond_with_data("Service unavailable, try later",
                                                            content_type="application/xml")
    return feed_source(server)


def bad_content_encoding(server: HTTPServer) -> dict[str, Any]:
    """The page says gzip and is not: requests cannot decode it."""
    def broken(_request: Request) -> Response:
        return Response(b"<html><body>not gzip at all</body></html>", content_type="text/html",
                        headers={"Content-Encoding": "gzip"})

    server.expect_request("/news/floods").respond_with_handler(broken)
    return feed_source(server)


def govuk_item_without_id(server: HTTPServer) -> dict[str, Any]:
    good = json.loads((GOVUK_ITEMS / "news_article_press_release.json").read_text(encoding="utf-8"))
    broken = json.loads((GOVUK_ITEMS / "best-practice-press-release.json").read_text(encoding="utf-8"))
    broken.pop("content_id")
    results = [{"link": good["base_path"], "title": good["title"], "public_timestamp": GOOD_AT.isoformat()},
               {"link": broken["base_path"], "title": broken["title"], "public_timestamp": FAILED_AT.isoformat()}]
    server.expect_request("/api/search.json").respond_with_json({"results": results, "total": 2, "start": 0})
    for item in (good, broken):
        server.expect_request(f"/api/content{item['base_path']}").respond_with_json(item)
    return {"id": "xa-govuk", "name": "Testland Office", "country": "GB", "timezone": "Europe/London",
            "kind": "govuk", "url": server.url_for("/").rstrip("/"), "organisation": "testland-office"}


def run_nightly(entry: dict[str, Any], warehouse: Warehouse, window: Window = WINDOW) -> pipeline.SourceOutcome:
    """One nightly source run over ``window`` (by default its first: from the beginning to ``STARTED``)."""
    config = parse_config({"sources": [entry], "http": {"max_attempts": 2}})
    (source,) = config.sources
    run_id = pipeline.new_run_id(STARTED)
    with warehouse.transaction() as con:
        store.start_run(con, run_id=run_id, flow="nightly", started_at=STARTED)
    # A fake clock: GOV.UK's 0.1 s interval and the retries' backoff pass without sleeping.
    with PoliteSession(config.http.settings(), clock=FakeClock()) as session:
        ctx = pipeline.RunContext(run_id=run_id, flow="nightly", started_at=STARTED, config=config,
                                  warehouse=warehouse)
        return pipeline.run_source(ctx, source, window, session=session, move_watermark=True)


def watermark(warehouse: Warehouse, source_id: str) -> datetime | None:
    with warehouse.transaction() as con:
        state = store.get_state(con, source_id)
    return state.watermark if state else None


@pytest.mark.parametrize(
    ("serve", "reason"),
    [(feed_item_not_xml, Permanent.BAD_XML), (govuk_item_without_id, Permanent.NO_ID),
     (bad_content_encoding, Permanent.BAD_CONTENT_ENCODING)],
    ids=["feed-not-xml", "govuk-no-id", "bad-content-encoding"],
)
def test_a_permanent_failure_no_longer_holds_the_watermark(
    httpserver: HTTPServer, tmp_path: Path, serve: Callable[[HTTPServer], dict[str, Any]], reason: Permanent
) -> None:
    entry = serve(httpserver)
    warehouse = Warehouse(tmp_path / "w.duckdb")
    outcome = run_nightly(entry, warehouse)
    # Still a failure (exit 3, kept and fetched again), stored under the same code as before.
    assert (outcome.status, outcome.counts["new"], outcome.counts["failed"]) == ("partial", 1, 1)
    with warehouse.transaction() as con:
        stored = con.execute("SELECT reason, kind FROM fetch_failures").fetchall()
    assert stored == [(reason.value, "page" if reason is Permanent.BAD_CONTENT_ENCODING else "parse")]
    assert watermark(warehouse, entry["id"]) == STARTED  # it used to stay at FAILED_AT


def test_a_retryable_failure_still_holds_the_watermark(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/news/floods").respond_with_data("down", status=503)
    entry = feed_source(httpserver)
    warehouse = Warehouse(tmp_path / "w.duckdb")
    assert run_nightly(entry, warehouse).status == "partial"
    with warehouse.transaction() as con:
        assert con.execute("SELECT reason FROM fetch_failures").fetchall() == [("http-503",)]
    assert watermark(warehouse, entry["id"]) == FAILED_AT


def test_a_page_that_failed_in_an_earlier_run_is_tried_once_by_each_later_run(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    """It had its retries when it failed: a later run asks once, not ``max_attempts`` times, whether
    its listing shows the page again or not."""
    httpserver.expect_request("/news/floods").respond_with_data("down", status=503)
    entry = feed_source(httpserver)
    warehouse = Warehouse(tmp_path / "w.duckdb")

    def asked() -> int:
        return sum(request.path == "/news/floods" for request, _ in httpserver.log)

    run_nightly(entry, warehouse)
    assert asked() == 2  # listed: the session's max_attempts
    later = Window(since=STARTED, until=datetime(2026, 2, 2, 6, 0, tzinfo=UTC))
    for run in range(1, 3):
        outcome = run_nightly(entry, warehouse, later)
        assert (outcome.status, outcome.counts["failed"]) == ("partial", 1)
        assert asked() == 2 + run
    with warehouse.transaction() as con:
        assert con.execute("SELECT reason, attempts FROM fetch_failures").fetchall() == [("http-503", 4)]  # 2 + 1 + 1
    run_nightly(entry, warehouse)  # the first window again: listed, and still tried once
    assert asked() == 2 + 2 + 1


def test_the_chunks_of_one_run_try_an_earlier_failure_once_between_them(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    """A backfill runs a source's months one after another in one run: each ends with the source's
    earlier failures, which the run tries once, not once per month."""
    httpserver.expect_request("/news/floods").respond_with_data("down", status=503)
    entry = feed_source(httpserver)
    warehouse = Warehouse(tmp_path / "w.duckdb")
    run_nightly(entry, warehouse)
    before = sum(request.path == "/news/floods" for request, _ in httpserver.log)
    config = parse_config({"sources": [entry], "http": {"max_attempts": 2}})
    (source,) = config.sources
    run_id = pipeline.new_run_id(STARTED)
    with warehouse.transaction() as con:
        store.start_run(con, run_id=run_id, flow="backfill", started_at=STARTED)
    ctx = pipeline.RunContext(run_id=run_id, flow="backfill", started_at=STARTED, config=config, warehouse=warehouse)
    months = [Window(since=datetime(2026, m, 1, tzinfo=UTC), until=datetime(2026, m + 1, 1, tzinfo=UTC))
              for m in (2, 3, 4)]
    with PoliteSession(config.http.settings(), clock=FakeClock()) as session:
        outcomes = [pipeline.run_source(ctx, source, month, session=session, move_watermark=False) for month in months]
    assert sum(request.path == "/news/floods" for request, _ in httpserver.log) == before + 1
    assert [o.counts["failed"] for o in outcomes] == [1, 0, 0]


def test_an_attachment_is_a_skip_not_a_failure(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/news/floods").respond_with_data(gzip.compress(b"x"), content_type="application/zip")
    entry = feed_source(httpserver)
    warehouse = Warehouse(tmp_path / "w.duckdb")
    outcome = run_nightly(entry, warehouse)
    assert (outcome.status, outcome.counts["failed"], outcome.counts["skipped"]) == ("ok", 0, 1)
    with warehouse.transaction() as con:
        assert con.execute("SELECT reason FROM skipped_pages").fetchall() == [(Skip.ATTACHMENT.value,)]
    assert watermark(warehouse, entry["id"]) == STARTED


class _Breaks:
    """A connector whose fetch or parse raises what no connector should: the page fails, the batch goes on."""

    extractor = "test"

    def __init__(self, breaks_on: dict[str, str]) -> None:
        self.breaks_on = breaks_on

    def discover(self, window: Window) -> Any:
        raise AssertionError("not used")

    def fetch(self, listing: Any) -> Any:
        if self.breaks_on.get(listing.url) == "fetch":
            raise TypeError("'int' object is not iterable")
        from pressroom.connectors.model import RawPage
        return RawPage(listing.source_id, listing.url, listing.url, 200, "text/html", "utf-8", b"<p>x</p>",
                       STARTED)

    def parse(self, raw: Any) -> Any:
        if self.breaks_on.get(raw.url) == "parse":
            raise RecursionError("maximum recursion depth exceeded")
        from pressroom.connectors.model import Release
        return Release(release_id=raw.url, source_id=raw.source_id, url=raw.url, title="A release",
                       published_at=STARTED, extractor="test",
                       body_text="The ministry said so.", language="en")


def test_a_connector_that_raises_costs_one_page_not_the_batch() -> None:
    from pressroom.connectors.model import Listing

    config = parse_config({"sources": [{"id": "xa-mfa", "name": "X", "country": "XA", "kind": "html",
                                        "url": "http://127.0.0.1:9/news/", "item": "li"}]})
    (source,) = config.sources
    listings = [Listing("xa-mfa", f"http://127.0.0.1:9/{n}") for n in range(4)]
    connector = _Breaks({listings[0].url: "fetch", listings[2].url: "parse"})
    batch = pipeline.fetch_and_parse(connector, source, listings)
    assert [r.url for r in batch.releases] == [listings[1].url, listings[3].url]
    assert [(f.url, f.reason, f.kind) for f in batch.failures] == [
        (listings[0].url, Permanent.UNREADABLE, "page"), (listings[2].url, Permanent.UNREADABLE, "parse")]
    assert batch.failures[0].detail.startswith("TypeError: ") and batch.failures[1].detail.startswith("RecursionError")
