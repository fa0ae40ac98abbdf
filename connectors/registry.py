"""Which connector serves which kind of source."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any, Protocol, cast

from pressroom.connectors.config import (
    FeedSource,
    GovukSource,
    HtmlSource,
    SitemapSource,
    SourceConfig,
    WordpressSource,
)
from pressroom.connectors.failures import Permanent
from pressroom.connectors.feed import FeedConnector
from pressroom.connectors.govuk import GovukConnector
from pressroom.connectors.html import HtmlConnector
from pressroom.connectors.http import PoliteSession
from pressroom.connectors.model import Listing, ParseFailure, RawPage, Release, Window
from pressroom.connectors.sitemap import SitemapConnector
from pressroom.connectors.wordpress import WordpressConnector

log = logging.getLogger(__name__)


class Connector(Protocol):
    """``discover`` lists (raising FetchError when a listing page fails), ``fetch`` gets one page
    (no request when the listing carries its record), ``parse`` is pure and works on a saved page."""

    extractor: str

    def discover(self, window: Window) -> Iterator[Listing]: ...

    def fetch(self, listing: Listing) -> RawPage: ...

    def parse(self, raw: RawPage) -> Release | ParseFailure: ...


def connector_for(source: SourceConfig, session: PoliteSession) -> Connector:
    if isinstance(source, HtmlSource):
        return HtmlConnector(source, session)
    if isinstance(source, WordpressSource):
        return WordpressConnector(source, session)
    if isinstance(source, FeedSource):
        return FeedConnector(source, session)
    if isinstance(source, GovukSource):
        return GovukConnector(source, session)
    if isinstance(source, SitemapSource):
        return SitemapConnector(source, session)
    raise TypeError(f"no connector for kind {source.kind!r}")


class _NoSession:
    """Stands in for the HTTP session of a connector that only parses stored pages."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"a parser makes no request (session.{name} used while parsing a stored page)")


def unreadable(error: Exception) -> str:
    """The detail recorded for an ``unreadable`` page or listing: the error's type and message."""
    return f"{type(error).__name__}: {error}"[:500]


def parse_safely(parse: Callable[[RawPage], Release | ParseFailure], raw: RawPage) -> Release | ParseFailure:
    """``parse(raw)``, or an ``unreadable`` failure when the parser raises. ``parse`` is meant never to
    raise; a page it cannot survive (a bug, or bytes hostile enough to break a parser) must cost that
    page, recorded with the error, never the batch or the run."""
    try:
        return parse(raw)
    except Exception as error:  # per-page isolation; logged with its traceback
        log.exception("%s: the parser failed on %s", raw.source_id, raw.url)
        return ParseFailure(raw.source_id, raw.url, Permanent.UNREADABLE, unreadable(error))


def parser_for(source: SourceConfig) -> Callable[[RawPage], Release | ParseFailure]:
    """The pure ``parse`` of ``source``'s connector, with no HTTP session behind it (``reparse``), guarded
    by :func:`parse_safely`."""
    parse = connector_for(source, cast(PoliteSession, _NoSession())).parse
    return lambda raw: parse_safely(parse, raw)
