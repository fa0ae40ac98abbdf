"""Hostile input at the parsers (issue 17): a connector's pure ``parse`` returns a release or a typed
failure for any page — never raises (``parse_safely`` is the pipeline's last guard, not the design) — and
the helpers hostile pages reach (``extract_text``, ``load_json``, URLs, robots.txt) do not break.

Cheap (no run, no server but one for robots.txt): ``EXAMPLES`` examples per property.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer

from pressroom.connectors.config import SourceConfig, load_config
from pressroom.connectors.failures import reason_of
from pressroom.connectors.http import ROBOTS_MAX_BYTES, FetchError, HttpSettings, PoliteSession, SitePolicy
from pressroom.connectors.model import ParseFailure, RawPage, Release
from pressroom.connectors.normalise import absolute_url, extract_text, load_json, same_site
from pressroom.connectors.registry import connector_for
from pressroom.connectors.robots import rules_from_response
from tests.connectors.hostile import HTML, hostile_item, hostile_pages, hostile_post, nested

EXAMPLES = int(os.environ.get("PRESSROOM_HOSTILE_PARSER_EXAMPLES", "40"))
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
URL = "http://127.0.0.1:1/p/1"
RSS = "application/rss+xml"


def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SourceConfig]:
    path = tmp_path_factory.mktemp("hostile") / "sources.toml"
    common = 'country = "XA"\nlanguage = "en"\ntimezone = "UTC"\n'
    path.write_text(
        f'[[sources]]\nid = "xa-html"\nname = "H"\n{common}kind = "html"\nurl = "http://127.0.0.1:1/list"\n'
        'item = "li"\nbody = "div.body"\npublished = "time"\n\n'
        f'[[sources]]\nid = "xa-general"\nname = "G"\n{common}kind = "html"\nurl = "http://127.0.0.1:1/list"\n'
        'item = "li"\n\n'
        f'[[sources]]\nid = "xa-feed"\nname = "F"\n{common}kind = "feed"\nurl = "http://127.0.0.1:1/feed.xml"\n\n'
        f'[[sources]]\nid = "xa-wp"\nname = "W"\n{common}kind = "wordpress"\nurl = "http://127.0.0.1:1"\n'
        'byline = "leading-speaker"\n',
        encoding="utf-8")
    return {source.id: source for source in load_config(path).sources}


@pytest.fixture(scope="module")
def parsers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Callable[[RawPage], Release | ParseFailure]]:
    """Each kind's pure ``parse``, with no HTTP session behind it."""
    return {source_id: connector_for(source, cast(Any, None)).parse
            for source_id, source in sources(tmp_path_factory).items()}


def raw(source_id: str, body: bytes, content_type: str, encoding: str = "utf-8") -> RawPage:
    return RawPage(source_id=source_id, url=URL, final_url=URL, status=200, content_type=content_type,
                   encoding=encoding, content=body, fetched_at=datetime(2024, 3, 5, tzinfo=UTC))


def assert_release_or_typed_failure(parsed: Release | ParseFailure) -> None:
    if isinstance(parsed, ParseFailure):
        assert parsed.reason and reason_of(parsed.reason)
    else:
        assert parsed.body_text
        (parsed.title + parsed.body_text + (parsed.byline or "")).encode("utf-8")  # valid Unicode, storable


@PROPERTY
@given(page=hostile_pages, source_id=st.sampled_from(("xa-html", "xa-general", "xa-feed")))
@example(page=(nested("div", 3_000), HTML), source_id="xa-html")  # RecursionError in extract_text
def test_detail_parsers_never_raise(parsers: dict[str, Any], page: tuple[bytes, str], source_id: str) -> None:
    body, content_type = page
    assert_release_or_typed_failure(parsers[source_id](raw(source_id, body, content_type.split(";")[0])))


@PROPERTY
@given(data=st.data())
def test_feed_item_parser_never_raises(parsers: dict[str, Any], data: st.DataObject) -> None:
    item = data.draw(hostile_item(URL))
    body = ('<rss xmlns:content="http://purl.org/rss/1.0/modules/content/">' + item + "</rss>").encode(
        "utf-8", "surrogateescape")
    assert_release_or_typed_failure(parsers["xa-feed"](raw("xa-feed", body, RSS)))


@PROPERTY
@given(data=st.data())
@example(data='{"link": "http://x/", "title": "\\ud800", "content": {"rendered": "<p>\\udfff text</p>"}}')
def test_wordpress_parser_never_raises(parsers: dict[str, Any], data: st.DataObject | str) -> None:
    post = data if isinstance(data, str) else data.draw(hostile_post(URL))
    assert_release_or_typed_failure(parsers["xa-wp"](raw("xa-wp", post.encode(), "application/json")))


def test_markup_nested_thousands_deep_yields_its_text() -> None:
    """The recursive walk raised RecursionError at ~3,000 levels; the iterative one reads any depth."""
    for tag in ("div", "span", "table"):
        soup = BeautifulSoup(nested(tag, 6_000), "lxml")
        element = soup.select_one("div.body")
        assert element is not None
        assert extract_text(element) == "deep text"


def test_json_with_lone_surrogates_or_too_deep_is_read_safely() -> None:
    value = load_json(b'{"title": "\\ud800 x \\udc00", "ok": "\\ud83d\\ude00"}')
    assert value == {"title": "\ufffd x \ufffd", "ok": "\U0001f600"}
    json.dumps(value, ensure_ascii=False).encode("utf-8")
    with pytest.raises(ValueError, match="deep"):
        load_json(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(ValueError):
        load_json(b"\xff not json")


@pytest.mark.parametrize("href", ["http://[::1", "http://127.0.0.1:99999/x", "http://[zz]/"])
def test_links_that_are_not_urls_are_none_not_errors(href: str) -> None:
    assert absolute_url("http://127.0.0.1:8000/list", href) is None
    assert not same_site(href, "http://127.0.0.1:8000/")
    assert absolute_url("http://127.0.0.1:8000/list", " /p/1 ") == "http://127.0.0.1:8000/p/1"


def test_robots_txt_is_read_leniently() -> None:
    """A byte-order mark (UTF-8 or UTF-16) does not hide the first group; bytes that are not UTF-8 cost
    their line only."""
    for body in (b"\xef\xbb\xbfUser-agent: *\nDisallow: /private\n",
                 "User-agent: *\nDisallow: /private\n".encode("utf-16"),
                 b"User-agent: *\n\xff\xfe\xe8 junk\nDisallow: /private\n"):
        rules = rules_from_response("http://h/robots.txt", 200, body)
        assert not rules.allows("http://h/private/1", "pressroom/0.1")
        assert rules.allows("http://h/public", "pressroom/0.1")


@pytest.mark.parametrize("robots", ["too-large", "bad-encoding"])
def test_a_robots_txt_too_large_or_unreadable_does_not_fail_the_host(httpserver: HTTPServer, robots: str) -> None:
    """RFC 9309 §2.5: parse at least the first 500 KiB. A 2 MB robots.txt (beyond ``max_bytes``) is cut
    there and its rules obeyed; one whose ``Content-Encoding`` is broken counts as absent. Before, both
    made every page of the host a permanent failure."""
    if robots == "too-large":
        body = b"User-agent: *\nDisallow: /private\n" + b"# padding\n" * 400_000
        assert len(body) > 4 * ROBOTS_MAX_BYTES
        httpserver.expect_request("/robots.txt").respond_with_data(body, content_type="text/plain")
    else:
        httpserver.expect_request("/robots.txt").respond_with_data(
            b"not gzip at all", content_type="text/plain", headers={"Content-Encoding": "gzip"})
    httpserver.expect_request("/page").respond_with_data("<p>ok</p>", content_type="text/html")
    httpserver.expect_request("/private/1").respond_with_data("<p>secret</p>", content_type="text/html")
    policy = SitePolicy(hosts=frozenset({f"{httpserver.host}:{httpserver.port}"}), min_interval=0)
    with PoliteSession(HttpSettings(max_bytes=1_000_000, max_attempts=1)) as session:
        assert session.get(httpserver.url_for("/page"), policy=policy).content == b"<p>ok</p>"
        if robots == "too-large":
            with pytest.raises(FetchError) as refused:
                session.get(httpserver.url_for("/private/1"), policy=policy)
            assert refused.value.reason == "robots-disallowed"
