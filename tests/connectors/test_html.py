"""The html connector against the demo mirror's real servers: discovery windows, extraction, dates."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.config import HtmlSource, load_config
from connectors.html import HtmlConnector
from connectors.http import HttpSettings, PoliteSession
from connectors.model import Listing, ParseFailure, Release, Window
from infra.demo.content import Paragraph
from infra.demo.server import DemoMirror

FURNITURE = ("Share", "Print", "Related releases", "cookie", "Home", "gtag", "Back to list", "Copyright")


@pytest.fixture(scope="module")
def mirror() -> Iterator[DemoMirror]:
    with DemoMirror() as running:
        yield running


@pytest.fixture()
def connectors(mirror: DemoMirror, tmp_path: Path) -> Iterator[dict[str, HtmlConnector]]:
    config = load_config(mirror.write_sources(tmp_path / "sources.toml"))
    with PoliteSession(HttpSettings(backoff=0.01)) as session:
        made = {}
        for source in config.sources:
            assert isinstance(source, HtmlSource)
            made[source.id] = HtmlConnector(source, session)
        yield made


def everything() -> Window:
    return Window(since=None, until=datetime(2030, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(("source_id", "site_id"), [("xa-mfa", "valdoria"), ("xb-mea", "norland")])
def test_every_release_extracted_without_furniture(
    mirror: DemoMirror, connectors: dict[str, HtmlConnector], source_id: str, site_id: str
) -> None:
    connector = connectors[source_id]
    site = mirror.site(site_id)
    listings = list(connector.discover(everything()))
    assert [listing.url for listing in listings] == [mirror.release_url(site_id, r.slug) for r in site.newest_first()]
    for listing, expected in zip(listings, site.newest_first(), strict=True):
        release = connector.parse(connector.fetch(listing))
        assert isinstance(release, Release), release
        assert release.title == expected.title
        for word in FURNITURE:
            assert word not in release.body_text, (expected.slug, word)
        for block in expected.body:
            if isinstance(block, Paragraph):
                assert block.text in release.body_text  # no lost paragraph
        assert "\n\n\n" not in release.body_text
        assert release.published_at is not None and release.published_at.tzinfo is not None
        assert release.published_at.astimezone(site.published_at(expected).tzinfo).date() == expected.date


def test_discovery_stops_at_the_window(mirror: DemoMirror, connectors: dict[str, HtmlConnector]) -> None:
    site = mirror.site("valdoria")
    mirror.clear_requests("valdoria")
    since = datetime(2026, 10, 1, tzinfo=UTC)
    found = list(connectors["xa-mfa"].discover(Window(since=since, until=datetime(2026, 11, 1, tzinfo=UTC))))
    expected = [r for r in site.newest_first() if since <= site.published_at(r) < datetime(2026, 11, 1, tzinfo=UTC)]
    assert {listing.url for listing in found} == {mirror.release_url("valdoria", r.slug) for r in expected}
    listing_pages = [path for path in mirror.requests("valdoria")
                     if "/page/" in path or path.endswith("/press-releases/")]
    total_pages = -(-len(site.releases) // site.per_page)
    assert len(listing_pages) < total_pages  # older pages were never requested


def test_parse_is_pure_and_reports_missing_body(connectors: dict[str, HtmlConnector], mirror: DemoMirror) -> None:
    connector = connectors["xa-mfa"]
    page = connector.fetch(Listing(source_id="xa-mfa", url=mirror.listing_url("valdoria")))
    result = connector.parse(page)
    assert isinstance(result, ParseFailure) and result.reason == "no-body"
    pdf = replace(page, content_type="application/pdf")
    assert connector.parse(pdf) == ParseFailure(
        "xa-mfa", page.url, "attachment", f"content type 'application/pdf', {len(page.content)} bytes"
    )
