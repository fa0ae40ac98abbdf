"""Clean URLs: tracking parameters and fragments dropped (the stored URL, not only the id), and a detail
page's same-host ``<link rel="canonical">`` honoured."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from pressroom.connectors.detail import DetailRules, Origin, parse_detail
from pressroom.connectors.model import RawPage, Release
from pressroom.connectors.normalise import clean_url, release_id


@pytest.mark.parametrize(("url", "clean"), [
    ("https://mfa.example/press/1?utm_source=nl&utm_medium=email&id=3#top", "https://mfa.example/press/1?id=3"),
    ("http://mfa.example:8080/a?fbclid=x&gclid=y&MSCLKID=z", "http://mfa.example:8080/a"),
    ("https://www.mea.gov.in/press-releases.htm?dtl/39122/Visit&utm_campaign=x",
     "https://www.mea.gov.in/press-releases.htm?dtl/39122/Visit"),
    ("https://mfa.example/p?b=2&a=1", "https://mfa.example/p?b=2&a=1"),  # order kept: the site's own URL
])
def test_clean_url_drops_tracking_and_fragment_only(url: str, clean: str) -> None:
    assert clean_url(url) == clean
    assert release_id("xa", url) == release_id("xa", clean)


def page(url: str, canonical: str) -> RawPage:
    html = (f'<html><head><link rel="canonical" href="{canonical}"></head><body><h1>Visit</h1>'
            "<article><p>The Minister visited the capital.</p></article></body></html>")
    return RawPage(source_id="xa", url=url, final_url=url, status=200, content_type="text/html",
                   encoding="utf-8", content=html.encode(), fetched_at=datetime(2026, 3, 1, tzinfo=UTC))


ORIGIN = Origin("xa", "en", ZoneInfo("UTC"), "html/2")


def test_same_host_canonical_is_the_release_url_and_identity() -> None:
    release = parse_detail(page("https://mfa.example/news/visit?print=1", "/press/2026/visit?utm_source=x"),
                           DetailRules(), ORIGIN)
    assert isinstance(release, Release)
    assert release.url == "https://mfa.example/press/2026/visit"
    assert release.release_id == release_id("xa", "https://mfa.example/press/2026/visit")


def test_canonical_on_another_host_is_ignored() -> None:
    release = parse_detail(page("https://mfa.example/news/visit", "https://aggregator.example/visit"),
                           DetailRules(), ORIGIN)
    assert isinstance(release, Release) and release.url == "https://mfa.example/news/visit"
