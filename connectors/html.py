"""The ``html`` connector kind: listing pages with CSS selectors, detail pages with selectors.

Pagination is a next-link strategy: follow ``next`` until a page holds only entries older than the
window, the selector finds nothing, a page repeats, or ``max_pages`` is reached. Listings are assumed
newest first, as every ministry site we know lists them; entries without a listing date are always
fetched and filtered on the detail page's date.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag

from connectors.config import HtmlSource
from connectors.http import PoliteSession, SitePolicy
from connectors.model import Listing, ParseFailure, RawPage, Release, Window
from connectors.normalise import (
    clean_inline,
    day_bounds,
    extract_text,
    parse_date,
    release_id,
    remove_furniture,
)

log = logging.getLogger("pressroom.connectors.html")
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", ""})


class HtmlConnector:
    """Discover, fetch and parse releases of one ``html`` source."""

    extractor = "html/1"

    def __init__(self, source: HtmlSource, session: PoliteSession) -> None:
        self.source = source
        self.session = session
        self.policy = SitePolicy(hosts=source.hosts, min_interval=source.min_interval)

    def discover(self, window: Window) -> Iterator[Listing]:
        """Entries of the listing pages whose date may fall in ``window``; raises FetchError when a
        listing page cannot be fetched (the caller records it; nothing listed so far is lost)."""
        url: str | None = self.source.url
        seen_pages: set[str] = set()
        seen_links: set[str] = set()
        for _ in range(self.source.max_pages):
            if url is None or url in seen_pages:
                return
            seen_pages.add(url)
            response = self.session.get(url, policy=self.policy)
            soup = BeautifulSoup(response.content, "lxml", from_encoding=response.encoding)
            entries = self.read_listing(soup, base=response.final_url)
            older = 0
            for listing in entries:
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
            if entries and older == len(entries):
                return
            url = self.next_page(soup, base=response.final_url)

    def read_listing(self, soup: BeautifulSoup, *, base: str) -> list[Listing]:
        entries: list[Listing] = []
        for item in soup.select(self.source.item):
            anchor = item if item.name == "a" and self.source.link == "a" else item.select_one(self.source.link)
            href = anchor.get("href") if anchor is not None else None
            if not isinstance(href, str) or not href.strip():
                continue
            url = urljoin(base, href.strip())
            if urlsplit(url).scheme not in ("http", "https") or urlsplit(url).netloc.lower() not in self.source.hosts:
                log.info("%s: listing links off the source's hosts, not followed: %s", self.source.id, url)
                continue
            listed_at = None
            if self.source.date:
                date_element = item.select_one(self.source.date)
                if date_element is not None:
                    listed_at = parse_date(
                        _date_text(date_element), zone=self.source.zone, date_format=self.source.date_format
                    )
            title = clean_inline(anchor.get_text(" ")) if anchor is not None else None
            entries.append(Listing(source_id=self.source.id, url=url, title=title or None, listed_at=listed_at))
        return entries

    def next_page(self, soup: BeautifulSoup, *, base: str) -> str | None:
        if not self.source.next:
            return None
        element = soup.select_one(self.source.next)
        href = element.get("href") if element is not None else None
        if not isinstance(href, str) or not href.strip():
            return None
        url = urljoin(base, href.strip())
        return url if urlsplit(url).netloc.lower() in self.source.hosts else None

    def fetch(self, listing: Listing) -> RawPage:
        response = self.session.get(listing.url, policy=self.policy)
        return RawPage(
            source_id=self.source.id,
            url=listing.url,
            final_url=response.final_url,
            status=response.status,
            content_type=response.content_type,
            encoding=response.encoding,
            content=response.content,
            fetched_at=response.fetched_at,
            headers=dict(response.headers),
            listed_title=listing.title,
            listed_at=listing.listed_at,
        )

    def parse(self, raw: RawPage) -> Release | ParseFailure:
        """Pure: a release from a saved detail page, or the reason it is not one."""
        source = self.source
        if raw.content_type not in HTML_TYPES:
            return ParseFailure(source.id, raw.url, "not-html", f"content type {raw.content_type!r}")
        soup = BeautifulSoup(raw.content, "lxml", from_encoding=raw.encoding or None)
        title_element = soup.select_one(source.title)
        title = clean_inline(title_element.get_text(" ")) if title_element is not None else ""
        title = title or (raw.listed_title or "")
        published_at = None
        if source.published:
            element = soup.select_one(source.published)
            if element is not None:
                published_at = parse_date(_date_text(element), zone=source.zone, date_format=source.date_format)
        published_at = published_at or raw.listed_at
        body_element = soup.select_one(source.body)
        if body_element is None:
            return ParseFailure(source.id, raw.url, "no-body", f"selector {source.body!r} matched nothing")
        remove_furniture(body_element, source.drop)
        if title_element is not None and any(parent is body_element for parent in title_element.parents):
            title_element.decompose()
        body = extract_text(body_element)
        if not body:
            return ParseFailure(source.id, raw.url, "empty-body", f"selector {source.body!r} has no text")
        return Release(
            release_id=release_id(source.id, raw.url),
            source_id=source.id,
            url=raw.url,
            title=title,
            published_at=published_at,
            body_text=body,
            language=source.language,
            extractor=self.extractor,
        )


def _date_text(element: Tag) -> str:
    """A ``datetime``/``content`` attribute when the element has one, else its text."""
    for attribute in ("datetime", "content"):
        value = element.get(attribute)
        if isinstance(value, str) and value.strip():
            return value
    return element.get_text(" ")
