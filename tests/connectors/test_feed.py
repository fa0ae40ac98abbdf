"""The feed kind on the real State Department RSS capture, served by a local server (no mocks)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from pressroom.connectors.config import FeedSource, parse_config
from pressroom.connectors.failures import Permanent
from pressroom.connectors.feed import RSS_ITEM, FeedConnector
from pressroom.connectors.http import FetchError, HttpSettings, PoliteSession
from pressroom.connectors.model import ParseFailure, RawPage, Release, Window
from tests.connectors.pdfs import scanned_pdf, text_pdf

RSS = Path(__file__).resolve().parents[1] / "fixtures" / "state-dept" / "feed-2021-05-23.rss"
EVERYTHING = Window(since=None, until=datetime(2030, 1, 1, tzinfo=UTC))
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Ministry</title>
<entry><title>Statement on the summit</title><link href="{base}/news/summit"/>
<published>2024-03-01T10:00:00+01:00</published></entry>
<entry><title>Annual report</title><link href="{base}/files/report.pdf"/><updated>2024-02-01T00:00:00Z</updated></entry>
</feed>"""
PAGE = """<html><body><nav>Home | News</nav><main><h1>Statement on the summit</h1>
<div class="text"><p>The Minister welcomed the summit&#8217;s outcome.</p><div class="share">Share</div></div></main>
<footer>Copyright</footer></body></html>"""


def source_for(server: HTTPServer, path: str, **keys: object) -> FeedSource:
    entry = {"id": "us-state-rss", "name": "State", "country": "US", "timezone": "America/New_York",
             "kind": "feed", "url": server.url_for(path), "min_interval": 0, **keys}
    source = parse_config({"sources": [entry]}).sources[0]
    assert isinstance(source, FeedSource)
    return source


@pytest.fixture()
def session() -> Iterator[PoliteSession]:
    with PoliteSession(HttpSettings(backoff=0.01, max_attempts=2)) as made:
        yield made


def rss_for(server: HTTPServer) -> bytes:
    """The real capture with its links moved to the test server (a feed's links are on its host)."""
    return RSS.read_bytes().replace(b"https://www.state.gov/", server.url_for("/").encode())


def test_real_state_feed_items_carry_full_text_and_need_no_request(
    httpserver: HTTPServer, session: PoliteSession
) -> None:
    path = "/rss-feed/press-releases/feed/"
    httpserver.expect_request(path).respond_with_data(rss_for(httpserver), content_type="application/rss+xml")
    connector = FeedConnector(source_for(httpserver, path, byline="leading-speaker"), session)
    listings = list(connector.discover(EVERYTHING))
    assert len(listings) == 10 and all(listing.payload for listing in listings)
    before = len(httpserver.log)
    releases = [connector.parse(connector.fetch(listing)) for listing in listings]
    assert len(httpserver.log) == before  # fetch made no request
    assert all(isinstance(release, Release) for release in releases)
    first = releases[0]
    assert isinstance(first, Release)
    assert first.title == "Secretary Antony J. Blinken On ABC’s This Week with George Stephanopoulos"
    assert first.byline == "Antony J. Blinken, Secretary of State"
    assert first.body_text.startswith("Washington, D.C.\n\nQUESTION: Good morning, Mr. Secretary.")
    assert first.published_at == datetime(2021, 5, 23, 15, 30, 7, tzinfo=UTC)
    for release in releases:
        assert isinstance(release, Release)
        assert release.byline and not release.body_text.startswith(release.byline)
        assert "&#8217;" not in release.body_text and "data-filter" not in release.body_text
        assert "\n\n\n" not in release.body_text and "  " not in release.body_text


def test_window_filters_items(httpserver: HTTPServer, session: PoliteSession) -> None:
    httpserver.expect_request("/feed/").respond_with_data(rss_for(httpserver), content_type="application/rss+xml")
    connector = FeedConnector(source_for(httpserver, "/feed/"), session)
    window = Window(since=datetime(2021, 5, 22, tzinfo=UTC), until=datetime(2021, 5, 23, tzinfo=UTC))
    listed = list(connector.discover(window))
    assert listed and all(listing.listed_at and window.contains(listing.listed_at) for listing in listed)
    assert len(listed) < 10


def test_saved_item_parses_alone(httpserver: HTTPServer, session: PoliteSession) -> None:
    httpserver.expect_request("/feed/").respond_with_data(rss_for(httpserver), content_type="application/rss+xml")
    connector = FeedConnector(source_for(httpserver, "/feed/", byline="leading-speaker"), session)
    raw = connector.fetch(next(iter(connector.discover(EVERYTHING))))
    assert raw.content_type == "application/rss+xml" and raw.content.startswith(b"<item")
    httpserver.clear()
    offline = FeedConnector(connector.source, session)
    assert offline.parse(raw) == connector.parse(raw)


def test_atom_items_without_content_are_fetched_and_pdfs_are_releases(
    httpserver: HTTPServer, session: PoliteSession
) -> None:
    base = httpserver.url_for("").rstrip("/")
    atom = ATOM.format(base=base)
    httpserver.expect_request("/atom.xml").respond_with_data(atom, content_type="application/atom+xml")
    httpserver.expect_request("/news/summit").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    pdf = text_pdf([["The annual report of the Ministry, in full."]], title="report-final-v3.docx")
    httpserver.expect_request("/files/report.pdf").respond_with_data(pdf, content_type="application/pdf")
    connector = FeedConnector(source_for(httpserver, "/atom.xml", body=".text", drop=[".share"]), session)
    listings = list(connector.discover(EVERYTHING))
    assert [listing.payload for listing in listings] == [None, None]
    release = connector.parse(connector.fetch(listings[0]))
    assert isinstance(release, Release)
    assert release.title == "Statement on the summit"
    assert release.body_text == "The Minister welcomed the summit’s outcome."
    assert release.published_at == datetime(2024, 3, 1, 9, 0, tzinfo=UTC)  # from the feed
    report = connector.parse(connector.fetch(listings[1]))
    assert isinstance(report, Release) and report.format == "pdf"
    assert (report.title, report.body_text) == ("Annual report", "The annual report of the Ministry, in full.")
    assert report.published_at == datetime(2024, 2, 1, tzinfo=UTC)  # the feed's date, not the file's
    scan = replace(connector.fetch(listings[1]), content=scanned_pdf())
    no_text = f"no text layer in {len(scan.content)} bytes"
    assert connector.parse(scan) == ParseFailure("us-state-rss", scan.url, "pdf-no-text", no_text)
    word = replace(connector.fetch(listings[0]), content_type="application/msword")
    assert not isinstance(connector.parse(word), Release) and connector.parse(word).reason == "attachment"
    assert not isinstance(connector.parse(replace(connector.fetch(listings[0]), content=b"")), Release)


@pytest.mark.parametrize("body", [b"", b"  \n", b"Service unavailable"], ids=["empty", "blank", "text"])
def test_a_feed_that_is_not_xml_is_a_bad_xml_failure(
    httpserver: HTTPServer, session: PoliteSession, body: bytes
) -> None:
    """An empty answer too: lxml raises on it rather than returning nothing, which used to fail the source."""
    httpserver.expect_request("/feed.xml").respond_with_data(body, content_type="application/rss+xml")
    connector = FeedConnector(source_for(httpserver, "/feed.xml"), session)
    with pytest.raises(FetchError) as caught:
        list(connector.discover(EVERYTHING))
    assert caught.value.reason is Permanent.BAD_XML
    raw = RawPage("us-state-rss", "https://example.gov/i", "https://example.gov/i", 200, RSS_ITEM, "utf-8", body,
                  datetime(2024, 1, 1, tzinfo=UTC))
    failure = connector.parse(raw)
    assert isinstance(failure, ParseFailure) and failure.reason is Permanent.BAD_XML


def test_dates_without_a_usable_offset_are_read_in_the_source_timezone() -> None:
    from zoneinfo import ZoneInfo

    from lxml import etree

    from pressroom.connectors.feed import read_item

    paris = ZoneInfo("Europe/Paris")

    def published(date: str, tag: str = "pubDate") -> datetime | None:
        entry = etree.fromstring(f"<item><title>T</title><link>https://x.gov/a</link><{tag}>{date}</{tag}></item>")
        return read_item(entry, base="https://x.gov/", zone=paris).published

    noon = datetime(2023, 5, 12, 12, 0, tzinfo=UTC)
    assert published("12 May 2023 14:00:00") == noon  # no zone: the source's (CEST, +2)
    assert published("Fri, 12 May 2023 14:00:00 CEST") == noon  # a zone RFC 822 does not know
    assert published("Fri, 12 May 2023 14:00:00 GMT") == datetime(2023, 5, 12, 14, 0, tzinfo=UTC)
    assert published("Fri, 12 May 2023 18:30:00 +0530") == datetime(2023, 5, 12, 13, 0, tzinfo=UTC)
    assert published("Fri, 12 May 2023 14:00:00 -0000") == datetime(2023, 5, 12, 14, 0, tzinfo=UTC)


def test_atom_xhtml_content_is_the_full_text() -> None:
    from lxml import etree

    from pressroom.connectors.extract import fragment_paragraphs
    from pressroom.connectors.feed import read_item

    def content(inner: str) -> str | None:
        entry = etree.fromstring('<entry xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
                                 f'<link href="https://x.gov/e/1"/>{inner}</entry>')
        return read_item(entry, base="https://x.gov/").content

    xhtml = content('<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>The Minister &amp; the '
                    'Ambassador met.</p><p>They spoke about <b>trade</b>.</p></div></content>')
    assert xhtml is not None and "xmlns" not in xhtml
    assert fragment_paragraphs(xhtml) == ["The Minister & the Ambassador met.", "They spoke about trade."]
    assert content('<content type="html">&lt;p&gt;Escaped.&lt;/p&gt;</content>') == "<p>Escaped.</p>"
    for no_full_text in ("<content>plain text</content>", '<content type="html">  </content>',
                         '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"> </div></content>',
                         '<content type="text/html" src="https://x.gov/e/1.html"/>', ""):
        assert content(no_full_text) is None
