"""The html connector against the demo mirror's real servers: discovery windows, extraction, dates."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pressroom.connectors.config import HtmlSource, load_config
from pressroom.connectors.html import HtmlConnector
from pressroom.connectors.http import HttpSettings, PoliteSession
from pressroom.connectors.model import Listing, ParseFailure, Release, Window
from pressroom.infra.demo.content import Paragraph
from pressroom.infra.demo.server import DemoMirror

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
    word = replace(page, content_type="application/msword")
    assert connector.parse(word) == ParseFailure(
        "xa-mfa", page.url, "attachment", f"content type 'application/msword', {len(page.content)} bytes"
    )
    assert connector.parse(replace(page, content_type="application/pdf")).reason == "bad-pdf"


def test_numbered_pages_end_where_the_next_number_is_missing(httpserver) -> None:  # type: ignore[no-untyped-def]
    """`pages = "list_{n}.html"`: a 404 after the first page is the listing's end, not a failure (the
    watermark can move); a missing first page is still a failure."""
    from pressroom.connectors.config import parse_config
    from pressroom.connectors.http import FetchError

    def listing(*paths: str) -> str:
        rows = "".join(f'<tr class="row"><td><a href="/press/{p}.html">{p}</a></td></tr>' for p in paths)
        return f"<html><body><table>{rows}</table></body></html>"

    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/list.html").respond_with_data(listing("a", "b"), content_type="text/html")
    httpserver.expect_request("/list_1.html").respond_with_data(listing("c"), content_type="text/html")
    httpserver.expect_request("/list_2.html").respond_with_data("gone", status=404)
    entry = {"id": "xx-mfa", "name": "X", "country": "XX", "timezone": "UTC", "kind": "html", "min_interval": 0,
             "url": httpserver.url_for("/list.html"), "pages": "list_{n}.html", "item": "tr.row", "body": "main"}
    source = parse_config({"sources": [entry]}).sources[0]
    assert isinstance(source, HtmlSource)
    with PoliteSession(HttpSettings(backoff=0.01, max_attempts=1)) as session:
        found = [listing.url.rsplit("/", 1)[-1] for listing in HtmlConnector(source, session).discover(everything())]
        assert found == ["a.html", "b.html", "c.html"]
        missing = parse_config({"sources": [{**entry, "url": httpserver.url_for("/list_2.html")}]}).sources[0]
        assert isinstance(missing, HtmlSource)
        with pytest.raises(FetchError, match="http-404"):
            list(HtmlConnector(missing, session).discover(everything()))


def test_platform_share_and_related_widgets_are_not_body_text() -> None:
    """WordPress/Jetpack, AddToAny and similar widgets inside the article are removed by default, on both
    the detail-page path (BeautifulSoup) and the fragment path (feeds and WordPress, lxml); a paragraph
    whose class merely contains "share" is kept."""
    from bs4 import BeautifulSoup

    from pressroom.connectors.extract import fragment_paragraphs
    from pressroom.connectors.normalise import extract_text, remove_furniture

    markup = ('<p>The Minister met the Ambassador.</p><div class="sharedaddy sd-sharing-enabled"><h3>Share this:</h3>'
              '<ul><li>Twitter</li><li>Facebook</li></ul></div><div id="jp-relatedposts" class="jp-relatedposts">'
              '<h3>Related</h3><p>Another story</p></div><div class="a2a_kit">Share</div>'
              '<aside class="related-posts">Related news</aside><div class="share-bar">Share: Email | Print</div>'
              '<p class="shared-vision">They agreed on a shared vision.</p>')
    expected = ["The Minister met the Ambassador.", "They agreed on a shared vision."]
    assert fragment_paragraphs(markup) == expected
    soup = BeautifulSoup(f"<article>{markup}</article>", "lxml")
    remove_furniture(soup)
    assert extract_text(soup).split("\n\n") == expected
