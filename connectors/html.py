"""The ``html`` connector kind: listing pages with CSS selectors, detail pages with selectors.

Pagination is a strategy (:mod:`connectors.paging`): the ``next`` link, or numbered pages
(``pages = "index_{n}.html"``, China's MFA). Either way the walk stops when a page holds only entries
older than the window, a page repeats, or ``max_pages`` is reached. Listings are assumed newest
first, as every ministry site we know lists them; entries without a listing date are always fetched
and filtered on the detail page's date. Detail pages are read by :func:`connectors.detail.parse_detail`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from bs4 import BeautifulSoup

from pressroom.connectors.config import HtmlSource
from pressroom.connectors.detail import DetailRules, Origin, date_text, parse_detail
from pressroom.connectors.failures import Skip
from pressroom.connectors.http import FetchError, PoliteSession
from pressroom.connectors.model import Listing, ParseFailure, RawPage, Release, Window, fetched_page
from pressroom.connectors.normalise import absolute_url, clean_inline, day_bounds, parse_date
from pressroom.connectors.paging import NextLink, NumberedPages, Page, Pagination, Seen, walk
from pressroom.connectors.source import alternatives

log = logging.getLogger("pressroom.connectors.html")


class HtmlConnector:
    """Discover, fetch and parse releases of one ``html`` source."""

    extractor = "html/2"

    def __init__(self, source: HtmlSource, session: PoliteSession) -> None:
        self.source = source
        self.session = session
        self.policy = source.policy
        self.rules = DetailRules(
            title=source.title,
            published=source.published,
            body=alternatives(source.body) if source.body else (),
            drop=source.drop,
            drop_leading=tuple(re.compile(pattern, re.I) for pattern in source.drop_leading),
            date_format=source.date_format,
            encoding=source.encoding,
        )
        self.origin = Origin(source.id, source.language, source.zone, self.extractor)

    def pagination(self) -> Pagination:
        if self.source.pages:
            return NumberedPages(self.source.url, self.source.pages)
        return NextLink(self.source.url)

    def discover(self, window: Window) -> Iterator[Listing]:
        """Entries of the listing pages whose date may fall in ``window``; raises FetchError when a
        listing page cannot be fetched (the caller records it; nothing listed so far is lost)."""
        seen_links: set[str] = set()
        for page in walk(self.pagination(), self._read_listing_page, max_pages=self.source.max_pages):
            older = 0
            for listing in page.content:
                if listing.url in seen_links:
                    continue
                seen_links.add(listing.url)
                if listing.listed_at is None:
                    yield listing
                    continue
                start, end = day_bounds(listing.listed_at.astimezone(self.source.zone).date(), self.source.zone)
                if window.overlaps(start, end):
                    yield listing
                elif window.since is not None and end <= window.since:
                    older += 1
            if page.content and older == len(page.content):
                return

    def _read_listing_page(self, url: str, number: int) -> Page[list[Listing]]:
        try:
            response = self.session.get(url, policy=self.policy)
        except FetchError as error:
            if self.source.pages and number > 1 and error.status in (404, 410):
                # Numbered pages end where the next number does not exist: the walk's normal end.
                return Page(seen=Seen(url=url, number=number, items=0), content=[])
            raise
        soup = BeautifulSoup(response.content, "lxml", from_encoding=response.encoding)
        entries = self.read_listing(soup, base=response.final_url)
        seen = Seen(url=url, number=number, items=len(entries), next_url=self.next_page(soup, base=response.final_url))
        return Page(seen=seen, content=entries)

    def read_listing(self, soup: BeautifulSoup, *, base: str) -> list[Listing]:
        entries: list[Listing] = []
        for item in soup.select(self.source.item):
            anchor = item if item.name == "a" and self.source.link == "a" else item.select_one(self.source.link)
            href = anchor.get("href") if anchor is not None else None
            if not isinstance(href, str) or not href.strip():
                continue
            url = absolute_url(base, href)
            if url is None or urlsplit(url).scheme not in ("http", "https"):
                continue
            skip: Skip | None = None
            if urlsplit(url).netloc.lower() not in self.source.hosts:
                log.info("%s: listing links off the source's hosts, not followed: %s", self.source.id, url)
                skip = Skip.OFF_HOST
            listed_at = None
            if self.source.date:
                date_element = item.select_one(self.source.date)
                if date_element is not None:
                    listed_at = parse_date(
                        date_text(date_element), zone=self.source.zone, date_format=self.source.date_format
                    )
            title = clean_inline(anchor.get_text(" ")) if anchor is not None else None
            entries.append(
                Listing(source_id=self.source.id, url=url, title=title or None, listed_at=listed_at, skip=skip)
            )
        return entries

    def next_page(self, soup: BeautifulSoup, *, base: str) -> str | None:
        if not self.source.next:
            return None
        element = soup.select_one(self.source.next)
        href = element.get("href") if element is not None else None
        if not isinstance(href, str) or not href.strip():
            return None
        url = absolute_url(base, href)
        return url if url is not None and urlsplit(url).netloc.lower() in self.source.hosts else None

    def fetch(self, listing: Listing) -> RawPage:
        response = self.session.get(listing.url, policy=self.policy, max_attempts=listing.max_attempts)
        return fetched_page(self.source.id, listing, response)

    def parse(self, raw: RawPage) -> Release | ParseFailure:
        """Pure: a release from a saved detail page, or the reason it is not one."""
        return parse_detail(raw, self.rules, self.origin)
