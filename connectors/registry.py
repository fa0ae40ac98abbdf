"""Which connector serves which kind of source."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from connectors.config import HtmlSource, SourceConfig
from connectors.html import HtmlConnector
from connectors.http import PoliteSession
from connectors.model import Listing, ParseFailure, RawPage, Release, Window


class Connector(Protocol):
    extractor: str

    def discover(self, window: Window) -> Iterator[Listing]: ...

    def fetch(self, listing: Listing) -> RawPage: ...

    def parse(self, raw: RawPage) -> Release | ParseFailure: ...


def connector_for(source: SourceConfig, session: PoliteSession) -> Connector:
    if isinstance(source, HtmlSource):
        return HtmlConnector(source, session)
    raise TypeError(f"no connector for kind {source.kind!r}")
