"""Each kind's keys are validated before any request: unknown keys fail naming the key."""

from __future__ import annotations

import pytest

from pressroom.connectors.config import ConfigError, FeedSource, GovukSource, HtmlSource, WordpressSource, parse_config

BASE = {"id": "xa-mfa", "name": "Ministry", "country": "XA"}
KINDS = {
    "wordpress": {"url": "https://example.gov"},
    "feed": {"url": "https://example.gov/feed/"},
    "govuk": {"organisation": "foreign-commonwealth-development-office"},
    "html": {"url": "https://example.gov/news", "item": "li", "body": "main"},
}


def parse(kind: str, **keys: object) -> object:
    return parse_config({"sources": [{**BASE, "kind": kind, **KINDS[kind], **keys}]}).sources[0]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_unknown_key_names_the_key(kind: str) -> None:
    with pytest.raises(ConfigError, match="unknown key 'colour'"):
        parse(kind, colour="red")


def test_defaults_per_kind() -> None:
    wordpress = parse("wordpress", categories=[12], filters={"author": 7})
    assert isinstance(wordpress, WordpressSource)
    assert wordpress.post_type == "posts" and wordpress.per_page == 100 and wordpress.categories == (12,)
    govuk = parse("govuk")
    assert isinstance(govuk, GovukSource)
    assert govuk.url == "https://www.gov.uk" and govuk.document_type == "press_release" and govuk.min_interval == 0.1
    assert isinstance(parse("feed"), FeedSource)
    html = parse("html", pages="index_{n}.html", encoding="GB2312")
    assert isinstance(html, HtmlSource) and html.encoding == "gb2312"


@pytest.mark.parametrize(
    ("kind", "keys", "message"),
    [
        ("wordpress", {"filters": {"page": 2}}, "'page' is set by pressroom"),
        ("wordpress", {"post_type": "Press Releases"}, "'post_type'"),
        ("wordpress", {"per_page": 500}, "'per_page'"),
        ("wordpress", {"byline": "first"}, "'byline'"),
        ("html", {"pages": "index.html"}, "must contain '{n}'"),
        ("html", {"pages": "index_{n}.html", "next": "a.next"}, "either 'next' or 'pages'"),
        ("html", {"encoding": "klingon"}, "'encoding'"),
        ("html", {"date_format": "%Q-%d"}, "'date_format': not a usable strptime format"),
        ("html", {"date_format": "12 May 2023"}, "'date_format': has no % directive"),
        ("html", {"drop_leading": ["(unclosed"]}, "'drop_leading"),
        ("feed", {"body": "div[["}, "'body'"),
        ("govuk", {"organisation": "Foreign Office"}, "'organisation'"),
    ],
)
def test_bad_values_name_the_key(kind: str, keys: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[").replace("{", r"\{")):
        parse(kind, **keys)
