"""Benchmark (make bench; needs the bench extra's feedparser): our lxml feed reader against feedparser on
the captured feeds, for correctness and speed (issue 15: keep feedparser only if it does better).

Result (results/feed.json): the same items, titles, links, dates and bodies on both captured feeds;
feedparser reads a date without a usable offset as UTC where the source's zone is right (0 of 2), and
takes about 3.5 times as long. The lxml reader stays; feedparser is only in the bench extra.

Feeds: the real State Department capture (tests/fixtures/state-dept/feed-2021-05-23.rss, 10 items) and an
RSS 2.0 feed rebuilt from the 587 real releases of press-releases-2021.jsonl (their own title, link,
pubDate, dc:creator and content:encoded, as the feed served them), plus two items whose date has no usable
offset ("CEST", none) for a source in Europe/Berlin.

Correct, per item: the title equals the release's title (white space collapsed), the link its link, the
date its pubDate as an instant, and the body text that pressroom extracts from the item's content equals
the text extracted from the original content_html (so a parser that sanitises or rewrites markup is caught). For the two
offset-less items the right instant is the source's local time.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from lxml import etree

from pressroom.connectors.extract import fragment_text
from pressroom.connectors.feed import read_item

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures" / "state-dept"
RESULTS = HERE / "results" / "feed.json"
ZONE = ZoneInfo("Europe/Berlin")
_XML = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, remove_comments=True)


def rebuilt_feed(releases: list[dict[str, str]]) -> bytes:
    items = []
    for release in releases:
        items.append(
            "<item><title>{t}</title><link>{l}</link><pubDate>{d}</pubDate><dc:creator><![CDATA[{c}]]></dc:creator>"
            "<content:encoded><![CDATA[{h}]]></content:encoded></item>".format(
                t=html.escape(release["title"]), l=html.escape(release["link"]), d=release["pubDate"],
                c=release["creator"], h=release["content_html"].replace("]]>", "]]]]><![CDATA[>"))
        )
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/'
            'modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>State</title>'
            + "".join(items) + "</channel></rss>").encode("utf-8")


Expected = list[tuple[str, str, datetime, str]]


def ours(feed: bytes) -> Expected:
    root = etree.fromstring(feed, _XML)
    out = []
    for entry in root.iter("item"):
        item = read_item(entry, base="https://www.state.gov/", zone=ZONE)
        out.append((item.title, item.link or "", item.published, fragment_text(item.content or "").body))
    return out


def theirs(feed: bytes) -> Expected:
    import feedparser

    parsed = feedparser.parse(feed)
    out = []
    for entry in parsed.entries:
        stamp = entry.get("published_parsed")
        moment = datetime(*stamp[:6], tzinfo=UTC) if stamp else None
        content = entry["content"][0]["value"] if entry.get("content") else ""
        out.append((entry.get("title", ""), entry.get("link", ""), moment, fragment_text(content).body))
    return out


def expected_of(releases: list[dict[str, str]]) -> Expected:
    return [(html.unescape(r["title"]), r["link"], parsedate_to_datetime(r["pubDate"]),
             fragment_text(r["content_html"]).body) for r in releases]


def score(got: Expected, want: Expected) -> dict[str, float]:
    fields = ("title", "link", "date", "body")
    right = {name: 0 for name in fields}
    for got_item, want_item in zip(got, want, strict=False):
        for index, name in enumerate(fields):
            got_value, want_value = got_item[index], want_item[index]
            if name == "title":  # a title is compared as read: white space (no-break spaces too) collapsed
                got_value, want_value = " ".join(str(got_value).split()), " ".join(str(want_value).split())
            right[name] += got_value == want_value
    total = max(len(want), 1)
    return {name: round(right[name] / total, 4) for name in fields} | {"items": len(got)}


def speed(parse: Callable[[bytes], Expected], feed: bytes, rounds: int = 3) -> float:
    parse(feed)
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        parse(feed)
        best = min(best, time.perf_counter() - start)
    return best


def test_feed_parsers() -> None:
    import feedparser

    releases = [json.loads(line) for line in (FIXTURES / "press-releases-2021.jsonl").read_text("utf-8").splitlines()]
    capture = (FIXTURES / "feed-2021-05-23.rss").read_bytes()
    capture_expected = ours(capture)  # the capture has no separate truth: agreement is measured
    big = rebuilt_feed(releases)
    naive = [dict(releases[0], pubDate="Mon, 09 Aug 2021 23:14:03 CEST"),
             dict(releases[1], pubDate="Mon, 09 Aug 2021 23:14:03")]
    naive_want = [(html.unescape(r["title"]), r["link"], datetime(2021, 8, 9, 23, 14, 3, tzinfo=ZONE),
                   fragment_text(r["content_html"]).body) for r in naive]
    results = {
        "feedparser_version": feedparser.__version__,
        "capture_10_items": {"agreement_of_feedparser_with_ours": score(theirs(capture), capture_expected)},
        "rebuilt_587_items": {"ours": score(ours(big), expected_of(releases)),
                              "feedparser": score(theirs(big), expected_of(releases))},
        "dates_without_offset": {"ours": score(ours(rebuilt_feed(naive)), naive_want),
                                 "feedparser": score(theirs(rebuilt_feed(naive)), naive_want)},
        "seconds_587_items": {"ours": round(speed(ours, big), 4), "feedparser": round(speed(theirs, big), 4)},
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
