"""The govuk kind: search API paging and filters on a local server, real content items for parsing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pressroom.connectors.config import GovukSource, parse_config
from pressroom.connectors.govuk import GovukConnector
from pressroom.connectors.http import HttpSettings, PoliteSession
from pressroom.connectors.model import ParseFailure, Release, Window

ITEMS = Path(__file__).resolve().parents[1] / "fixtures" / "govuk"
DOCUMENTED = {"filter_organisations", "filter_content_store_document_type", "filter_public_timestamp", "order",
              "start", "count"}


def item(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((ITEMS / name).read_text(encoding="utf-8"))
    return loaded


@pytest.fixture()
def session() -> Iterator[PoliteSession]:
    with PoliteSession(HttpSettings(backoff=0.01, max_attempts=2)) as made:
        yield made


def source_for(url: str, **keys: object) -> GovukSource:
    entry = {"id": "uk-fcdo", "name": "FCDO", "country": "GB", "timezone": "Europe/London", "kind": "govuk",
             "url": url, "organisation": "foreign-commonwealth-development-office", "min_interval": 0, **keys}
    source = parse_config({"sources": [entry]}).sources[0]
    assert isinstance(source, GovukSource)
    return source


def search_handler(results: list[dict[str, object]]) -> object:
    def handle(request: Request) -> Response:
        query = {key: values[-1] for key, values in parse_qs(urlsplit(request.url).query).items()}
        if set(query) - DOCUMENTED:
            return Response(json.dumps({"error": "unknown parameter"}), status=422)
        start, count = int(query["start"]), int(query["count"])
        answer = {"results": results[start : start + count], "total": len(results), "start": start}
        return Response(json.dumps(answer), content_type="application/json")

    return handle


def test_search_pages_by_offset_with_documented_parameters_only(httpserver: HTTPServer, session: PoliteSession) -> None:
    results = [{"link": f"/government/news/release-{n}", "title": f"Release {n}",
                "public_timestamp": f"2024-01-{28 - n // 2:02d}T10:00:00.000+00:00"} for n in range(25)]
    httpserver.expect_request("/api/search.json").respond_with_handler(search_handler(results))  # type: ignore[arg-type]
    connector = GovukConnector(source_for(httpserver.url_for("/"), count=10), session)
    window = Window(since=datetime(2024, 1, 20, tzinfo=UTC), until=datetime(2024, 2, 1, tzinfo=UTC))
    listings = list(connector.discover(window))
    assert [listing.title for listing in listings] == [f"Release {n}" for n in range(18)]
    assert listings[0].url == httpserver.url_for("/government/news/release-0")
    searches = [request for request, _ in httpserver.log if request.path == "/api/search.json"]
    first = parse_qs(urlsplit(searches[0].url).query)
    assert first["filter_public_timestamp"] == ["from:2024-01-20,to:2024-02-02"]
    assert first["order"] == ["-public_timestamp"]
    assert first["filter_content_store_document_type"] == ["press_release"]
    assert len(searches) == 3  # 0, 10, 20: until the total


def test_fetch_reads_the_content_api(httpserver: HTTPServer, session: PoliteSession) -> None:
    press = item("news_article_press_release.json")
    httpserver.expect_request(f"/api/content{press['base_path']}").respond_with_json(press)
    connector = GovukConnector(source_for(httpserver.url_for("/")), session)
    from pressroom.connectors.model import Listing

    raw = connector.fetch(Listing(source_id="uk-fcdo", url=httpserver.url_for(str(press["base_path"]))))
    release = connector.parse(raw)
    assert isinstance(release, Release)
    assert release.url == httpserver.url_for(str(press["base_path"]))
    assert release.title == "Modern life responsible for ‘worrying’ health in middle aged"
    assert release.published_at == datetime(2016, 12, 28, 0, 0, 19, tzinfo=UTC)
    assert release.body_text.startswith("Eight out of 10 of the middle aged")


def parse_item(name: str) -> Release | ParseFailure:
    from tests.connectors.test_builtin_sources import page

    data = (ITEMS / name).read_bytes()
    url = f"https://www.gov.uk{item(name)['base_path']}"
    with PoliteSession() as session:
        connector = GovukConnector(source_for("https://www.gov.uk", min_interval=0.1), session)
        return connector.parse(page("uk-fcdo", url, data, "application/json"))


def test_withdrawn_items_are_kept_out_with_their_notice() -> None:
    result = parse_item("news_article_withdrawn.json")
    assert isinstance(result, ParseFailure) and result.reason == "withdrawn"
    assert "2019-08-22T10:29:02+01:00" in result.detail and "We’ve withdrawn this news article" in result.detail
    assert isinstance(parse_item("best-practice-press-release.json"), Release)  # an empty notice is no withdrawal


def test_translations_sharing_a_content_id_do_not_collide() -> None:
    urdu = parse_item("news_article_news_story_translated_arabic.json")
    assert isinstance(urdu, Release) and urdu.language == "ur"
    english = json.loads((ITEMS / "news_article_withdrawn.json").read_text(encoding="utf-8"))
    english.pop("withdrawn_notice")
    from pressroom.connectors.normalise import keyed_release_id

    assert urdu.release_id == keyed_release_id("uk-fcdo", f"{english['content_id']}:ur")
    assert urdu.release_id != keyed_release_id("uk-fcdo", f"{english['content_id']}:en")


def test_gov_uk_rate_limit_is_enforced_by_config() -> None:
    from pressroom.connectors.config import ConfigError

    with pytest.raises(ConfigError, match="10 requests/s"):
        source_for("https://www.gov.uk", min_interval=0.01)
