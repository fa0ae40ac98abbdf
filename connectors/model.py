"""The records connectors produce: windows, listings, raw pages and releases."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pressroom.connectors.failures import Reason, Skip, reason_of

if TYPE_CHECKING:
    from pressroom.connectors.http import Response


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open time window ``[since, until)``; ``since=None`` means "from the beginning"."""

    since: datetime | None
    until: datetime

    def __post_init__(self) -> None:
        if self.until.tzinfo is None or (self.since is not None and self.since.tzinfo is None):
            raise ValueError("window bounds must be timezone-aware")
        if self.since is not None and self.since >= self.until:
            raise ValueError(f"empty window: since {self.since.isoformat()} >= until {self.until.isoformat()}")

    def contains(self, moment: datetime) -> bool:
        return (self.since is None or moment >= self.since) and moment < self.until

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Whether ``[start, end)`` shares any instant with the window."""
        return (self.since is None or end > self.since) and start < self.until


@dataclass(frozen=True, slots=True)
class Listing:
    """One entry found on a listing page: the URL of a release and what the listing said of it.

    ``payload`` is the whole record when the listing already carries it (a WordPress REST post, a
    feed item with ``content:encoded``), of media type ``payload_type``: ``fetch`` then makes no
    request and stores it as the page's content. A listing rebuilt from a URL alone (a page that
    failed in an earlier run) has no payload and is fetched.
    """

    source_id: str
    url: str
    title: str | None = None
    listed_at: datetime | None = None
    payload: bytes | None = None
    payload_type: str = ""
    #: Set when discovery saw the link but must not load it (``off-host``, ``robots-disallowed`` …):
    #: the pipeline records it as a skip with this reason and makes no request.
    skip: Skip | None = None
    #: Lowers the session's attempts for this page (``None``: the session's): a page that failed in an
    #: earlier run had its retries then, and is tried once by each later run.
    max_attempts: int | None = None

    def __post_init__(self) -> None:
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")
        if self.skip is not None:
            object.__setattr__(self, "skip", Skip(self.skip))


@dataclass(frozen=True, slots=True)
class RawPage:
    """A fetched body exactly as served, with what is needed to parse it again offline."""

    source_id: str
    url: str
    final_url: str
    status: int
    content_type: str
    encoding: str
    content: bytes
    fetched_at: datetime
    headers: Mapping[str, str] = field(default_factory=dict)
    listed_title: str | None = None
    listed_at: datetime | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def text(self) -> str:
        return self.content.decode(self.encoding or "utf-8", errors="replace")


def payload_page(listing: Listing, *, fetched_at: datetime, final_url: str | None = None) -> RawPage:
    """The raw page of a listing that carries its record (``listing.payload`` must be set)."""
    if listing.payload is None:
        raise ValueError(f"listing {listing.url} carries no payload")
    return RawPage(
        source_id=listing.source_id,
        url=listing.url,
        final_url=final_url or listing.url,
        status=200,
        content_type=listing.payload_type,
        encoding="utf-8",
        content=listing.payload,
        fetched_at=fetched_at,
        headers={"content-type": f"{listing.payload_type}; charset=utf-8", "x-pressroom-origin": "listing"},
        listed_title=listing.title,
        listed_at=listing.listed_at,
    )


@dataclass(frozen=True, slots=True)
class Release:
    """A normalised press release. ``published_at`` is timezone-aware (UTC)."""

    release_id: str
    source_id: str
    url: str
    title: str
    published_at: datetime | None
    body_text: str
    language: str
    extractor: str
    byline: str | None = None
    #: ``html`` (a web page, a feed item or an API record, all HTML bodies) or ``pdf`` (a PDF's text layer).
    format: str = "html"
    #: Links to PDF files the release's page carries (annexes, the signed original), absolute URLs.
    attachments: tuple[str, ...] = ()

    @property
    def content_hash(self) -> str:
        """Hash of what a reader sees: title, date and body. A change here is a new version.

        The one definition, used by load, reparse, recheck and the checks' queue: the date is hashed as
        its UTC instant, so a date read in the source's zone and the same instant read back from DuckDB
        hash alike (``warehouse/migrations/0007`` rehashed versions stored under the zone-dependent form)."""
        stamp = self.published_at.astimezone(UTC).isoformat() if self.published_at else ""
        payload = "\x1f".join((self.title, stamp, self.body_text))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


#: The codes of :class:`~connectors.failures.Skip` (a link deliberately not loaded: recorded in
#: ``skipped_pages``, never a failure), for code that wants strings; classify with the type instead.
SKIP_REASONS: frozenset[str] = frozenset(Skip)


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """A page that could not be turned into a release: data, not an exception. ``reason`` is a typed code
    of :mod:`connectors.failures` (a plain string is turned into its member; an unknown one is a ``ValueError``)."""

    source_id: str
    url: str
    reason: Reason
    detail: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason", reason_of(self.reason))


def fetched_page(source_id: str, listing: Listing, response: Response) -> RawPage:
    """The page a response served for ``listing``, as stored in ``raw_pages``."""
    return RawPage(
        source_id=source_id,
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
