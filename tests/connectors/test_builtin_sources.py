"""Every built-in source in connectors/sources.toml parses pages shaped like its real site, offline.

The html sources read hand-written pages (tests/fixtures/sites/README.md); us-state reads WordPress
REST posts made from the real State Department releases; uk-fcdo reads real GOV.UK content items.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from pressroom.connectors.charset import decide_encoding
from pressroom.connectors.config import HtmlSource, SourceConfig, load_config
from pressroom.connectors.http import PoliteSession
from pressroom.connectors.model import Listing, ParseFailure, RawPage, Release
from pressroom.connectors.registry import connector_for
from tests.connectors.pdfs import text_pdf
from tests.connectors.wpserver import WordpressMirror

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SITES = FIXTURES / "sites"


def builtin(source_id: str) -> SourceConfig:
    return load_config().source(source_id)


def page(source_id: str, url: str, content: bytes, content_type: str) -> RawPage:
    return RawPage(
        source_id=source_id, url=url, final_url=url, status=200, content_type=content_type.split(";")[0],
        encoding=decide_encoding(content, content_type), content=content, fetched_at=datetime.now(UTC),
    )


def test_builtin_kinds_and_politeness() -> None:
    config = load_config()
    kinds = {source.id: source.kind for source in config.sources}
    assert kinds == {"us-state": "wordpress", "uk-fcdo": "govuk", "pk-mofa": "html", "in-mea": "html",
                     "cn-mfa": "html"}
    state = config.source("us-state")
    assert state.min_interval >= 5 and 403 in state.retry_statuses and state.timezone == "America/New_York"
    assert state.policy.retry_statuses == frozenset({403})
    assert config.source("uk-fcdo").min_interval >= 0.1


@pytest.mark.parametrize(
    ("source_id", "base", "expected_urls", "first_day"),
    [
        ("pk-mofa", "https://mofa.gov.pk/press-releases",
         ["https://mofa.gov.pk/press-releases/transcript-of-the-weekly-press-briefing-by-the-spokesperson-17-08-2023",
          "https://mofa.gov.pk/press-releases/foreign-minister-meets-ambassador-of-japan"], "2023-08-17"),
        ("in-mea", "https://www.mea.gov.in/press-releases.htm?51/Press_Releases",
         ["https://www.mea.gov.in/press-releases.htm?dtl/39122/Visit_of_External_Affairs_Minister_to_Japan_March_0507_2026",
          "https://www.mea.gov.in/press-releases.htm?dtl/39121/India_Brazil_Joint_Commission"], "2026-02-23"),
        ("cn-mfa", "https://www.fmprc.gov.cn/eng/xw/fyrbt/fyrbt/",
         ["https://www.fmprc.gov.cn/eng/xw/fyrbt/fyrbt/202401/t20240115_11223344.html",
          "https://www.fmprc.gov.cn/eng/xw/fyrbt/fyrbt/202401/t20240112_11223300.html"], "2024-01-15"),
    ],
)
def test_html_listing_pages(source_id: str, base: str, expected_urls: list[str], first_day: str) -> None:
    source = builtin(source_id)
    assert isinstance(source, HtmlSource)
    with PoliteSession() as session:
        connector = connector_for(source, session)
        soup = BeautifulSoup((SITES / f"{source_id}-listing.html").read_bytes(), "lxml")
        entries = connector.read_listing(soup, base=base)  # type: ignore[attr-defined]
    assert [entry.url for entry in entries] == expected_urls
    assert entries[0].listed_at is not None
    assert entries[0].listed_at.astimezone(source.zone).date().isoformat() == first_day


def test_cn_mfa_pages_are_numbered() -> None:
    source = builtin("cn-mfa")
    with PoliteSession() as session:
        pagination = connector_for(source, session).pagination()  # type: ignore[attr-defined]
    assert pagination.first() == "https://www.fmprc.gov.cn/eng/xw/fyrbt/fyrbt/"


def parse_site_page(source_id: str, url: str, content_type: str = "text/html") -> Release | ParseFailure:
    with PoliteSession() as session:
        connector = connector_for(builtin(source_id), session)
        return connector.parse(page(source_id, url, (SITES / f"{source_id}-release.html").read_bytes(), content_type))


def test_pk_mofa_drops_the_rush_transcript_disclaimer_and_furniture() -> None:
    release = parse_site_page("pk-mofa", "https://mofa.gov.pk/press-releases/transcript-17-08-2023")
    assert isinstance(release, Release)
    assert release.title == "Transcript of the Weekly Press Briefing by the Spokesperson"
    assert release.body_text.startswith("Assalam-o-Alaikum and good afternoon.")
    assert "rush transcript" not in release.body_text.lower()
    assert "Share this" not in release.body_text and "Previous" not in release.body_text
    assert release.published_at == datetime(2023, 8, 16, 19, 0, tzinfo=UTC)  # 17 August, Asia/Karachi


def test_in_mea_release() -> None:
    release = parse_site_page("in-mea", "https://www.mea.gov.in/press-releases.htm?dtl/39122/Visit")
    assert isinstance(release, Release)
    assert release.title == "Visit of External Affairs Minister to Japan (March 05-07, 2026)"
    assert release.body_text.startswith("External Affairs Minister will pay an official visit")
    assert "Share" not in release.body_text and "Print" not in release.body_text
    assert release.published_at is not None
    assert release.published_at.astimezone(builtin("in-mea").zone).date().isoformat() == "2026-02-23"


def test_cn_mfa_mislabelled_gb2312_page_is_read_as_utf8() -> None:
    release = parse_site_page("cn-mfa", "https://www.fmprc.gov.cn/eng/xw/fyrbt/fyrbt/202401/t20240115_11223344.html",
                              "text/html; charset=GB2312")
    assert isinstance(release, Release)
    assert release.title.startswith("Foreign Ministry Spokesperson Mao Ning’s Regular Press Conference")
    assert "中华人民共和国" in release.body_text and "What’s China’s comment?" in release.body_text
    assert "Weibo" not in release.body_text and "Print" not in release.body_text
    assert release.published_at == datetime(2024, 1, 15, 7, 30, tzinfo=UTC)  # the page's date, Asia/Shanghai


def test_us_state_parses_a_wordpress_post_alone() -> None:
    source = builtin("us-state")
    with WordpressMirror(3) as mirror, PoliteSession() as session:
        post = mirror.post(1)  # "Pakistan Independence Day", by the Secretary
        body = json.dumps(mirror.as_json(post, embed=True)).encode()
        raw = page("us-state", mirror.link(post), body, "application/json")
        release = connector_for(source, session).parse(raw)
    assert isinstance(release, Release)
    assert release.title == "Pakistan Independence Day"
    assert release.byline == "Antony J. Blinken, Secretary of State"
    assert release.body_text.startswith("On behalf of the Government of the United States of America")
    assert release.published_at == datetime(2021, 12, 31, 17, 0, tzinfo=UTC)  # date_gmt


@pytest.mark.parametrize("name", ["news_article_press_release.json", "best-practice-press-release.json"])
def test_uk_fcdo_parses_real_content_items(name: str) -> None:
    item = json.loads((FIXTURES / "govuk" / name).read_text(encoding="utf-8"))
    url = f"https://www.gov.uk{item['base_path']}"
    with PoliteSession() as session:
        connector = connector_for(builtin("uk-fcdo"), session)
        release = connector.parse(page("uk-fcdo", url, (FIXTURES / "govuk" / name).read_bytes(), "application/json"))
    assert isinstance(release, Release)
    assert release.title == item["title"] and release.url == url
    assert release.published_at is not None and release.published_at.tzinfo is not None
    assert len(release.body_text) > 200 and "<" not in release.body_text


def test_a_pdf_is_a_release_for_page_kinds_and_an_attachment_for_api_kinds() -> None:
    """html and feed sources read a linked PDF's text layer; API kinds (wordpress, govuk) expect their
    own JSON records, so a PDF there is an attachment (a skip)."""
    pdf = text_pdf([["The Ministry welcomes the agreement signed today."]])
    listed_at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with PoliteSession() as session:
        for source in load_config().sources:
            connector = connector_for(source, session)
            url = source.url.rstrip("/") + "/files/statement.pdf"
            raw = replace(page(source.id, url, pdf, "application/pdf"), listed_title="Agreement", listed_at=listed_at)
            result = connector.parse(raw)
            if source.kind in ("html", "feed"):
                assert isinstance(result, Release), (source.id, result)
                assert (result.format, result.title, result.published_at) == ("pdf", "Agreement", listed_at)
                assert result.body_text == "The Ministry welcomes the agreement signed today."
                broken = connector.parse(replace(raw, content=b"%PDF-1.7\n1 0 obj <<>> endobj\n"))
                assert isinstance(broken, ParseFailure) and broken.reason == "bad-pdf", (source.id, broken)
            else:
                assert isinstance(result, ParseFailure) and result.reason == "attachment", (source.id, result)


def test_listing_is_a_plain_record() -> None:
    listing = Listing(source_id="us-state", url="https://www.state.gov/x/")
    assert listing.payload is None and listing.payload_type == ""
