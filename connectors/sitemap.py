"""The ``sitemap`` connector kind: a sitemap or sitemap index (sitemaps.org 0.9), Google News sitemaps.

Discovery reads the sitemap at ``url``; an index's child sitemaps are read in order, at most
``max_pages`` documents in all, and a child whose ``<lastmod>`` is before the window is not requested
(nothing in it changed since). In a ``<urlset>`` each ``<url>`` is dated by its Google News
``<news:publication_date>``, else its ``<lastmod>`` (a modification date, so an edited page is seen
again); entries dated outside the window are left out, undated ones always listed. Only URLs matching
``include`` are releases; links to other hosts are skips (``off-host``). Gzipped sitemaps (``.xml.gz``)
are read as such. Detail pages are parsed like the html kind's (PDFs included).
"""

from __future__ import annotations

import gzip
import logging
import re
from collections.abc import Iterator
from datetime import datetime, tzinfo
from urllib.parse import urlsplit

from lxml import etree

from pressroom.connectors.detail import DetailRules, Origin, parse_detail
from pressroom.connectors.failures import Permanent, Skip
from pressroom.connectors.http import FetchError, PoliteSession
from pressroom.connectors.kinds import SitemapSource
from pressroom.connectors.model import Listing, ParseFailure, RawPage, Release, Window, fetched_page
from pressroom.connectors.normalise import absolute_url, clean_inline, parse_date
from pressroom.connectors.source import alternatives

log = logging.getLogger("pressroom.connectors.sitemap")
_XML = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, remove_comments=True, huge_tree=False)
#: The page's own publication date when the source names no ``published`` selector.
DEFAULT_PUBLISHED = 'meta[property="article:published_time"], meta[name="date"], time[datetime]'


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _child_text(element: etree._Element, *names: str) -> str | None:
    """Text of the first descendant whose local name is ``names[0]``, then ``names[1]`` inside it …"""
    current: etree._Element | None = element
    for name in names:
        if current is None:
            return None
        current = next((child for child in current.iter() if child is not current and _local(child) == name), None)
    return current.text.strip() if current is not None and current.text and current.text.strip() else None


def _located(root: etree._Element, name: str) -> Iterator[tuple[etree._Element, str]]:
    """The children of ``root`` whose local name is ``name`` (``url``, ``sitemap``), with their ``loc``;
    those without one are passed over."""
    for entry in root:
        if _local(entry) == name:
            loc = _child_text(entry, "loc")
            if loc:
                yield entry, loc


class SitemapConnector:
    extractor = "sitemap/1"

    def __init__(self, source: SitemapSource, session: PoliteSession) -> None:
        self.source = source
        self.session = session
        self.policy = source.policy
        body = alternatives(source.body) if source.body else ()
        self.rules = DetailRules(title=source.title, published=source.published or DEFAULT_PUBLISHED, body=body,
                                 drop=source.drop, date_format=source.date_format)
        self.origin = Origin(source.id, source.language, source.zone, self.extractor)
        self.include = re.compile(source.include) if source.include else None

    def discover(self, window: Window) -> Iterator[Listing]:
        """URLs of the sitemap(s) that may hold releases of ``window``; raises FetchError when a sitemap
        cannot be fetched."""
        queue = [self.source.url]
        read: set[str] = set()
        while queue and len(read) < self.source.max_pages:
            url = queue.pop(0)
            if url in read:
                continue
            read.add(url)
            root = self._read(url)
            kind = _local(root)
            if kind == "sitemapindex":
                queue.extend(self._children(root, base=url, window=window))
            elif kind == "urlset":
                yield from self._entries(root, base=url, window=window)
            else:
                raise FetchError(url, Permanent.BAD_XML, detail=f"not a sitemap (root <{kind}>)")

    def _read(self, url: str) -> etree._Element:
        response = self.session.get(url, policy=self.policy)
        content = response.content
        if content[:2] == b"\x1f\x8b":
            try:
                content = gzip.decompress(content)
            except (OSError, EOFError) as error:
                raise FetchError(url, Permanent.BAD_XML, status=response.status, detail=f"bad gzip: {error}") from None
        root = etree.fromstring(content, _XML) if content.strip() else None
        if root is None:
            raise FetchError(url, Permanent.BAD_XML, status=response.status, detail="not XML")
        return root

    def _date(self, text: str | None, zone: tzinfo) -> datetime | None:
        return parse_date(text, zone=self.source.zone) if text else None

    def _children(self, root: etree._Element, *, base: str, window: Window) -> list[str]:
        children = []
        for entry, loc in _located(root, "sitemap"):
            lastmod = self._date(_child_text(entry, "lastmod"), self.source.zone)
            if lastmod is not None and window.since is not None and lastmod < window.since:
                log.debug("%s: %s unchanged since %s, not read", self.source.id, loc, lastmod)
                continue
            child = absolute_url(base, loc)
            if child is not None:
                children.append(child)
        return children

    def _entries(self, root: etree._Element, *, base: str, window: Window) -> Iterator[Listing]:
        for entry, loc in _located(root, "url"):
            url = absolute_url(base, loc)
            if url is None:
                continue
            if self.include is not None and not self.include.search(url):
                continue
            published = self._date(_child_text(entry, "news", "publication_date"), self.source.zone)
            listed_at = published or self._date(_child_text(entry, "lastmod"), self.source.zone)
            if listed_at is not None and not window.contains(listed_at):
                continue
            title = _child_text(entry, "news", "title")
            title = clean_inline(title) if title else None
            skip = None if urlsplit(url).netloc.lower() in self.source.hosts else Skip.OFF_HOST
            yield Listing(source_id=self.source.id, url=url, title=title, listed_at=listed_at, skip=skip)

    def fetch(self, listing: Listing) -> RawPage:
        response = self.session.get(listing.url, policy=self.policy, max_attempts=listing.max_attempts)
        return fetched_page(self.source.id, listing, response)

    def parse(self, raw: RawPage) -> Release | ParseFailure:
        """Pure: a release from a saved detail page (or PDF)."""
        return parse_detail(raw, self.rules, self.origin)
