"""The sitemap kind against a real local server: an index whose old child is never read, a Google News
sitemap, a gzipped sitemap, the window, ``include``, off-host skips, dates from the page."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pytest_httpserver import HTTPServer

from pressroom.connectors.config import SitemapSource, parse_config
from pressroom.connectors.http import HttpSettings, PoliteSession
from pressroom.connectors.model import Release, Window
from pressroom.connectors.sitemap import SitemapConnector

INDEX = """<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>{base}/sitemap-news.xml</loc><lastmod>2026-03-02T08:00:00+00:00</lastmod></sitemap>
  <sitemap><loc>{base}/sitemap-2026.xml.gz</loc><lastmod>2026-03-01</lastmod></sitemap>
  <sitemap><loc>{base}/sitemap-2019.xml</loc><lastmod>2019-12-31</lastmod></sitemap>
  <sitemap><lastmod>2026-03-02</lastmod></sitemap>
</sitemapindex>"""
NEWS = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>{base}/press/visit</loc><news:news><news:publication><news:name>MFA</news:name>
    <news:language>en</news:language></news:publication>
    <news:publication_date>2026-03-02T07:30:00+01:00</news:publication_date>
    <news:title>Minister&#8217;s visit</news:title></news:news></url>
  <url><loc>https://other.example/press/copy</loc><news:news>
    <news:publication_date>2026-03-02T07:00:00Z</news:publication_date></news:news></url>
</urlset>"""
YEAR = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>{base}/press/talks</loc><lastmod>2026-02-27</lastmod></url>
  <url><loc>{base}/press/old</loc><lastmod>2025-06-01</lastmod></url>
  <url><loc>{base}/about-us</loc><lastmod>2026-02-28</lastmod></url>
  <url><lastmod>2026-02-28</lastmod></url>
</urlset>"""
PAGE = """<html><head><meta property="article:published_time" content="{date}"></head>
<body><header>Menu</header><article><h1>{title}</h1><p>{text}</p></article></body></html>"""
WINDOW = Window(since=datetime(2026, 2, 20, tzinfo=UTC), until=datetime(2026, 3, 3, tzinfo=UTC))


@pytest.fixture()
def session() -> Iterator[PoliteSession]:
    with PoliteSession(HttpSettings(backoff=0.01, max_attempts=2)) as made:
        yield made


def source_for(server: HTTPServer, **keys: object) -> SitemapSource:
    entry = {"id": "xs-mfa", "name": "MFA", "country": "FR", "timezone": "Europe/Paris", "kind": "sitemap",
             "url": server.url_for("/sitemap_index.xml"), "min_interval": 0, "include": "/press/", **keys}
    source = parse_config({"sources": [entry]}).sources[0]
    assert isinstance(source, SitemapSource)
    return source


def test_sitemap_index_news_and_gzip_within_the_window(httpserver: HTTPServer, session: PoliteSession) -> None:
    base = httpserver.url_for("").rstrip("/")
    httpserver.expect_request("/sitemap_index.xml").respond_with_data(INDEX.format(base=base),
                                                                      content_type="application/xml")
    httpserver.expect_request("/sitemap-news.xml").respond_with_data(NEWS.format(base=base),
                                                                     content_type="application/xml")
    httpserver.expect_request("/sitemap-2026.xml.gz").respond_with_data(
        gzip.compress(YEAR.format(base=base).encode()), content_type="application/x-gzip")
    for slug, title, date in (("visit", "The Minister visits", "2026-03-02T07:30:00+01:00"),
                              ("talks", "Talks concluded", "2026-02-26T18:00:00+01:00")):
        httpserver.expect_request(f"/press/{slug}").respond_with_data(
            PAGE.format(title=title, date=date, text=f"{title}: the full statement of the Ministry."),
            content_type="text/html; charset=utf-8")
    connector = SitemapConnector(source_for(httpserver), session)

    listings = list(connector.discover(WINDOW))
    assert [(listing.url, listing.title, listing.skip) for listing in listings] == [
        (f"{base}/press/visit", "Minister’s visit", None),
        ("https://other.example/press/copy", None, "off-host"),
        (f"{base}/press/talks", None, None),
    ]
    assert listings[0].listed_at == datetime(2026, 3, 2, 6, 30, tzinfo=UTC)
    paths = [request.path for request, _ in httpserver.log]
    assert "/sitemap-2019.xml" not in paths  # its lastmod is before the window: never requested

    talks = connector.parse(connector.fetch(listings[2]))
    assert isinstance(talks, Release)
    assert talks.title == "Talks concluded"
    assert talks.body_text == "Talks concluded: the full statement of the Ministry."
    assert talks.published_at == datetime(2026, 2, 26, 17, 0, tzinfo=UTC)  # the page's date, not the lastmod

    httpserver.expect_request("/sitemap-2019.xml").respond_with_data(
        YEAR.format(base=base).replace("2026-02-27", "2019-05-05").replace("talks", "talks-2019"))
    everything = list(connector.discover(Window(since=None, until=datetime(2030, 1, 1, tzinfo=UTC))))
    assert {f"{base}/press/old", f"{base}/press/talks-2019"} <= {listing.url for listing in everything}
    assert not any("about-us" in listing.url for listing in everything)  # not matched by include
