"""Pagination as small strategies, one per way sites page their listings.

A strategy says which URL to read first and, from what the page just read showed (:class:`Seen`),
which to read next, or ``None`` to stop. :func:`walk` drives one and enforces the common limits: at
most ``max_pages`` pages and never the same URL twice. Stopping early because entries are older than
the window is the caller's business: it simply stops iterating.

- :class:`SinglePage` — feeds.
- :class:`NextLink` — HTML listings with a "next" link.
- :class:`NumberedPages` — HTML listings at ``url``, then ``index_1.html``, ``index_2.html`` …
- :class:`PageNumbers` — page number plus a total-pages header (WordPress ``X-WP-TotalPages``).
- :class:`Offset` — offset plus a total count (GOV.UK search ``start``/``count``/``total``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar
from urllib.parse import urljoin

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Seen:
    """What a page showed that pagination needs. ``number`` is 1 for the first page read."""

    url: str
    number: int
    items: int
    total_pages: int | None = None
    total_items: int | None = None
    next_url: str | None = None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """A page read by :func:`walk`'s reader: what pagination needs, and the content itself."""

    seen: Seen
    content: T


class Pagination(Protocol):
    def first(self) -> str: ...

    def after(self, seen: Seen) -> str | None: ...


@dataclass(frozen=True, slots=True)
class SinglePage:
    url: str

    def first(self) -> str:
        return self.url

    def after(self, seen: Seen) -> str | None:
        return None


@dataclass(frozen=True, slots=True)
class NextLink:
    """Follow the page's own "next" link (already made absolute by the reader)."""

    url: str

    def first(self) -> str:
        return self.url

    def after(self, seen: Seen) -> str | None:
        return seen.next_url


@dataclass(frozen=True, slots=True)
class NumberedPages:
    """``url`` itself, then ``template`` with ``{n}`` = 1, 2, … resolved against ``url``; stops at a
    page without entries (the reader raises for a missing page, which also ends the walk)."""

    url: str
    template: str

    def first(self) -> str:
        return self.url

    def after(self, seen: Seen) -> str | None:
        if seen.items == 0:
            return None
        return urljoin(self.url, self.template.format(n=seen.number))


@dataclass(frozen=True, slots=True)
class PageNumbers:
    """Page 1, 2, … built by ``url_for(n)``, until the server's total pages (or an empty page)."""

    url_for: Callable[[int], str]

    def first(self) -> str:
        return self.url_for(1)

    def after(self, seen: Seen) -> str | None:
        if seen.items == 0 or seen.total_pages is None or seen.number >= seen.total_pages:
            return None
        return self.url_for(seen.number + 1)


@dataclass(frozen=True, slots=True)
class Offset:
    """Offsets 0, size, 2·size, … built by ``url_for(start)``, until ``total_items`` is reached
    or a page comes back short."""

    url_for: Callable[[int], str]
    size: int

    def first(self) -> str:
        return self.url_for(0)

    def after(self, seen: Seen) -> str | None:
        start = seen.number * self.size
        if seen.items < self.size or (seen.total_items is not None and start >= seen.total_items):
            return None
        return self.url_for(start)


def walk(pagination: Pagination, read: Callable[[str, int], Page[T]], *, max_pages: int) -> Iterator[Page[T]]:
    """Pages in order: ``read(url, number)`` for each URL the strategy names, at most ``max_pages``,
    never one URL twice. Exceptions of ``read`` propagate (pages already yielded stay yielded)."""
    url: str | None = pagination.first()
    visited: set[str] = set()
    for number in range(1, max_pages + 1):
        if url is None or url in visited:
            return
        visited.add(url)
        page = read(url, number)
        yield page
        url = pagination.after(page.seen)
