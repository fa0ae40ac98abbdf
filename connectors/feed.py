"""The ``feed`` connector kind: one RSS 2.0 or Atom document (:class:`connectors.paging.SinglePage`).

An item with its full text (RSS ``content:encoded``, Atom ``<content type="html">``) is a listing
that carries the item's own XML as its payload: :meth:`FeedConnector.fetch` makes no request and the
stored raw page (``application/rss+xml`` or ``application/atom+xml``, one ``<item>``/``<entry>``)
is parsed alone. Other items are fetched from their link and read with the html kind's detail rules
(``body``/``title``/``published``/``drop`` of the feed source); a link to a PDF is an attachment.
Dates: RSS ``pubDate`` (RFC 822) or ``dc:date``, Atom ``published`` then ``updated``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from lxml import etree

from pressroom.connectors.config import FeedSource
from pressroom.connectors.detail import DetailRules, Origin, parse_detail
from pressroom.connectors.extract import fragment_paragraphs, fragment_text
from pressroom.connectors.failures import Permanent, Skip
from pressroom.connectors.http import FetchError, PoliteSession
from pressroom.connectors.model import Listing, ParseFailure, RawPage, Release, Window, fetched_page, payload_page
from pressroom.connectors.normalise import absolute_url, parse_iso, release_id
from pressroom.connectors.source import alternatives

log = logging.getLogger("pressroom.connectors.feed")
ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC = "{http://purl.org/dc/elements/1.1/}"
RSS_ITEM, ATOM_ENTRY = "application/rss+xml", "application/atom+xml"
XML_TYPES = frozenset({RSS_ITEM, ATOM_ENTRY, "application/xml", "text/xml"})
_XML = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, remove_comments=True)


class FeedConnector:
    extractor = "feed/1"

    def __init__(self, source: FeedSource, session: PoliteSession) -> None:
        self.source = source
        self.session = session
        self.policy = source.policy
        body = (*alternatives(source.body), "article", "main", "body") if source.body else ("article", "main", "body")
        self.rules = DetailRules(title=source.title, published=source.published, body=body, drop=source.drop)
        self.origin = Origin(source.id, source.language, source.zone, self.extractor)

    def discover(self, window: Window) -> Iterator[Listing]:
        """Items of the feed dated in ``window`` (undated items always); raises FetchError."""
        response = self.session.get(self.source.url, policy=self.policy)
        root = etree.fromstring(response.content, _XML) if response.content.strip() else None
        if root is None:
            raise FetchError(self.source.url, Permanent.BAD_XML, status=response.status,
                             detail="not an RSS or Atom feed")
        entries = root.iter("item", f"{ATOM}entry")
        for entry in entries:
            item = read_item(entry, base=response.final_url, zone=self.source.zone)
            if item.link is None:
                continue
            if item.published is not None and not window.contains(item.published):
                continue
            if urlsplit(item.link).netloc.lower() not in self.source.hosts:
                log.info("%s: feed links off the source's hosts, not followed: %s", self.source.id, item.link)
                yield Listing(self.source.id, item.link, item.title or None, item.published, skip=Skip.OFF_HOST)
                continue
            full = item.content is not None
            yield Listing(
                source_id=self.source.id,
                url=item.link,
                title=item.title or None,
                listed_at=item.published,
                payload=etree.tostring(entry, encoding="utf-8") if full else None,
                payload_type=(ATOM_ENTRY if entry.tag.startswith(ATOM) else RSS_ITEM) if full else "",
            )

    def fetch(self, listing: Listing) -> RawPage:
        if listing.payload is not None:
            return payload_page(listing, fetched_at=datetime.now(UTC))
        response = self.session.get(listing.url, policy=self.policy, max_attempts=listing.max_attempts)
        return fetched_page(self.source.id, listing, response)

    def parse(self, raw: RawPage) -> Release | ParseFailure:
        """Pure: a release from one saved feed item, or from a saved linked page."""
        if raw.content_type not in XML_TYPES:
            return parse_detail(raw, self.rules, self.origin)
        entry = etree.fromstring(raw.content, _XML) if raw.content.strip() else None
        if entry is None:
            return ParseFailure(self.source.id, raw.url, Permanent.BAD_XML, "the saved item does not parse")
        item = read_item(entry, base=raw.url, zone=self.source.zone)
        if item.content is None:
            return ParseFailure(self.source.id, raw.url, Permanent.NO_BODY, "the item carries no full text")
        extracted = fragment_text(item.content, byline=self.source.byline, creator=item.creator)
        if not extracted.body:
            return ParseFailure(self.source.id, raw.url, Permanent.EMPTY_BODY, "the item's content has no text")
        return Release(
            release_id=release_id(self.source.id, raw.url),
            source_id=self.source.id,
            url=raw.url,
            title=item.title or (raw.listed_title or ""),
            published_at=item.published or raw.listed_at,
            body_text=extracted.body,
            language=self.source.language,
            extractor=self.extractor,
            byline=extracted.byline,
        )


@dataclass(frozen=True, slots=True)
class Item:
    """What one ``<item>`` or ``<entry>`` says; ``content`` is ``None`` when it carries no full text."""

    title: str
    link: str | None
    published: datetime | None
    content: str | None
    creator: str | None


def read_item(entry: etree._Element, *, base: str, zone: tzinfo = UTC) -> Item:
    """What `entry` says; a date written without a usable offset (none, or a zone name RFC 822 does
    not know, such as "CEST") is read in `zone`, the source's timezone."""
    atom = entry.tag.startswith(ATOM)
    title = " ".join(fragment_paragraphs(_text(entry, f"{ATOM}title" if atom else "title") or ""))
    link = _link(entry, base=base, atom=atom)
    if not atom:
        return Item(
            title=title,
            link=link,
            published=_rfc822(_text(entry, "pubDate"), zone) or parse_iso(_text(entry, f"{DC}date"), zone=zone),
            content=_text(entry, CONTENT) or None,
            creator=_text(entry, f"{DC}creator"),
        )
    return Item(
        title=title,
        link=link,
        published=parse_iso(_text(entry, f"{ATOM}published") or _text(entry, f"{ATOM}updated"), zone=zone),
        content=_atom_content(entry.find(f"{ATOM}content")),
        creator=_text(entry, f"{ATOM}author/{ATOM}name"),
    )


def _atom_content(element: etree._Element | None) -> str | None:
    """Full text of an Atom ``<content>``: escaped HTML for ``type="html"``; for ``type="xhtml"`` the
    inline XHTML of its wrapping ``<div>`` (RFC 4287 §3.1.1.3), namespace prefixes dropped so the
    HTML parser reads it as HTML. None for plain text, out-of-line or empty content."""
    if element is None:
        return None
    kind = element.get("type", "text")
    if kind == "html":
        return element.text if element.text and element.text.strip() else None
    if kind != "xhtml" or len(element) == 0:
        return None
    copy = etree.fromstring(etree.tostring(element[0]))
    for node in copy.iter(etree.Element):
        node.tag = etree.QName(node).localname
    etree.cleanup_namespaces(copy)
    markup = etree.tostring(copy, encoding="unicode", method="html")
    return markup if copy.xpath("string()").strip() else None


def _text(entry: etree._Element, path: str) -> str | None:
    element = entry.find(path)
    return element.text.strip() if element is not None and element.text else None


def _link(entry: etree._Element, *, base: str, atom: bool) -> str | None:
    if atom:
        links = entry.findall(f"{ATOM}link")
        chosen = next((e for e in links if e.get("rel", "alternate") == "alternate"), links[0] if links else None)
        href = chosen.get("href") if chosen is not None else None
    else:
        href = _text(entry, "link")
        guid = entry.find("guid")
        if not href and guid is not None and guid.get("isPermaLink", "true") == "true":
            href = guid.text
    return absolute_url(base, href) if href and href.strip() else None


def _rfc822(value: str | None, zone: tzinfo) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo:
        return moment
    # Naive: no zone, an unknown zone name, or "-0000" (RFC 5322: UTC, local offset unknown).
    return moment.replace(tzinfo=UTC if value.rstrip().endswith("-0000") else zone)

