"""The report's templates: whatever a website sent, the page shows it as text (autoescaping), a link is
made only for an http(s) URL, and a highlighted defect covers exactly its span."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from lxml import html

from pressroom.flows.report import highlight, render_release
from pressroom.flows.report_lifecycle import lifecycle_sections
from pressroom.warehouse.report_queries import (
    FindingRow,
    HeldRelease,
    Lifecycle,
    RetiredFailure,
    SkippedPage,
    WithdrawnRelease,
)

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)
# Text a page could carry, hostile markup included; XML 1.0 cannot hold the C0 controls lxml reads back.
SCRAPED = st.text(st.characters(blacklist_categories=("Cs", "Cc"))) | st.sampled_from(
    ['<script>window.__pwned = 1</script>', '"><img src=x onerror=alert(1)>', "a & b < c", "'; --"])
URLS = SCRAPED | st.sampled_from(["javascript:alert(1)", "https://a.example/x?q=<b>&r='1'", "http://b.example/"])


def _cells(fragment: str) -> list[list[str]]:
    tree = html.fragment_fromstring(f"<div>{fragment}</div>")
    return [[cell.text_content() for cell in row.findall("td")] for row in tree.iter("tr") if row.findall("td")]


@given(title=SCRAPED, body=SCRAPED, url=URLS, check=SCRAPED, message=SCRAPED, data=st.data())
def test_release_page_shows_scraped_text_as_text(
    title: str, body: str, url: str, check: str, message: str, data: st.DataObject
) -> None:
    start = data.draw(st.integers(0, len(body)))
    end = data.draw(st.integers(start, len(body)))
    release = HeldRelease(release_id="r1", source_id="xa", title=title, url=url, published_at=NOW, body_text=body,
                          open_checks=[check], first_seen_at=NOW, last_seen_at=NOW, version=1)
    finding = FindingRow("r1", check, "error", "body", start, end, body[start:end], message)
    page = html.document_fromstring(render_release(release, [finding]))
    assert page.findall(".//script") == [] and page.findall(".//img") == []
    assert page.get_element_by_id("body").text_content() == body.replace("\r\n", "\n").replace("\r", "\n")
    marks = page.get_element_by_id("body").findall("mark")
    assert "".join(mark.text_content() for mark in marks) == body[start:end].replace("\r\n", "\n").replace("\r", "\n")
    assert all(mark.get("class") == "error" and mark.get("title") == f"{check}: {message}" for mark in marks)
    assert page.find(".//title").text_content() == f"{title or 'r1'} · pressroom"
    links = [a.get("href") for a in page.iter("a")]
    assert links == ["../index.html", *([url] if url.startswith(("http://", "https://")) else []),
                     "http://127.0.0.1:8766/release/r1"]  # the review app's page of the release (issue 13)


@given(skipped=st.lists(st.tuples(SCRAPED, URLS, SCRAPED), max_size=3),
       withdrawn=st.lists(st.tuples(URLS, st.none() | SCRAPED, SCRAPED), max_size=3))
def test_lifecycle_sections_show_scraped_text_as_text(
    skipped: list[tuple[str, str, str]], withdrawn: list[tuple[str, str | None, str]]
) -> None:
    lifecycle = Lifecycle(
        skipped=[SkippedPage("xa", url, reason, detail) for reason, url, detail in skipped],
        retired=[RetiredFailure("xa", "https://a.example/gone", "http-404", 2, NOW, None)],
        withdrawn=[WithdrawnRelease("xa", url, title, NOW, why) for url, title, why in withdrawn],
    )
    rows = _cells(lifecycle_sections(lifecycle))
    expected = [["xa", url, reason, detail] for reason, url, detail in skipped]
    expected.append(["xa", "https://a.example/gone", "http-404", "2", str(NOW)[:16], ""])
    expected += [["xa", title or url, str(NOW)[:16], why] for url, title, why in withdrawn]

    def norm(cells: list[str]) -> list[str]:
        return [cell.replace("\r\n", "\n").replace("\r", "\n") for cell in cells]

    assert [norm(row) for row in rows] == [norm(row) for row in expected]


def test_highlight_cuts_overlaps_and_keeps_the_worst_severity() -> None:
    pieces = highlight("abcdef", [(1, 4, "warning", "w"), (2, 5, "error", "e"), (5, 9, "info", "i")])
    assert [(p.text, p.severity, p.tip) for p in pieces] == [
        ("a", None, ""), ("b", "warning", "w"), ("cd", "error", "w · e"), ("e", "error", "e"), ("f", "info", "i")]
