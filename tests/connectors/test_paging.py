"""Each pagination strategy alone, and the walk's limits."""

from __future__ import annotations

import pytest

from pressroom.connectors.paging import NextLink, NumberedPages, Offset, Page, PageNumbers, Seen, SinglePage, walk


def seen(number: int, items: int = 10, **keys: object) -> Seen:
    return Seen(url=f"u{number}", number=number, items=items, **keys)  # type: ignore[arg-type]


def test_single_page() -> None:
    assert SinglePage("f").first() == "f" and SinglePage("f").after(seen(1)) is None


def test_next_link() -> None:
    assert NextLink("a").after(seen(1, next_url="b")) == "b"
    assert NextLink("a").after(seen(1)) is None


def test_numbered_pages() -> None:
    pages = NumberedPages("https://x.cn/eng/fyrbt/", "index_{n}.html")
    assert pages.first() == "https://x.cn/eng/fyrbt/"
    assert pages.after(seen(1)) == "https://x.cn/eng/fyrbt/index_1.html"
    assert pages.after(seen(3)) == "https://x.cn/eng/fyrbt/index_3.html"
    assert pages.after(seen(2, items=0)) is None


def test_page_numbers_follow_the_total_pages_header() -> None:
    pages = PageNumbers(lambda n: f"p{n}")
    assert pages.first() == "p1"
    assert pages.after(seen(1, total_pages=3)) == "p2"
    assert pages.after(seen(3, total_pages=3)) is None
    assert pages.after(seen(1, total_pages=None)) is None
    assert pages.after(seen(1, items=0, total_pages=3)) is None


def test_offset_stops_at_the_total_or_a_short_page() -> None:
    pages = Offset(lambda start: f"s{start}", size=10)
    assert pages.first() == "s0"
    assert pages.after(seen(1, total_items=25)) == "s10"
    assert pages.after(seen(3, items=5, total_items=25)) is None
    assert pages.after(seen(2, total_items=20)) is None


@pytest.mark.parametrize(("max_pages", "expected"), [(2, ["p1", "p2"]), (10, ["p1", "p2", "p3", "p4"])])
def test_walk_limits(max_pages: int, expected: list[str]) -> None:
    def read(url: str, number: int) -> Page[str]:
        return Page(seen=Seen(url=url, number=number, items=1, total_pages=4), content=url)

    assert [p.content for p in walk(PageNumbers(lambda n: f"p{n}"), read, max_pages=max_pages)] == expected


def test_walk_never_reads_a_url_twice() -> None:
    def read(url: str, number: int) -> Page[str]:
        return Page(seen=Seen(url=url, number=number, items=1, next_url="loop"), content=url)

    assert [p.content for p in walk(NextLink("loop"), read, max_pages=10)] == ["loop"]
