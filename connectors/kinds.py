"""The keys of each connector kind, on top of :class:`connectors.source.SourceConfig`.

Every model forbids unknown keys, so a typo fails before any request, naming the key.
"""

from __future__ import annotations

import codecs
import re
from datetime import datetime
from typing import ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from pressroom.connectors.source import SourceConfig, check_selectors, matching

#: ``leading-speaker``: the body's first paragraphs that name who speaks ("Antony J. Blinken,
#: Secretary of State", "Office of the Spokesperson") become the release's ``byline``.
Byline = Literal["none", "leading-speaker"]
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class HtmlSource(SourceConfig):
    """A listing page with CSS selectors for entries, links, dates and the next page.

    Listing pages are followed either by the ``next`` link or, with ``pages`` (e.g.
    ``"index_{n}.html"``, relative to ``url``), by numbered pages 1, 2, … after ``url`` itself.
    ``body`` may list alternatives (``".entry-content, article"``): the first that matches wins, in
    the order written, not in document order. ``encoding`` forces the codec of detail pages when a
    site labels them wrongly; without it a label that the bytes contradict (a "GB2312" page that is
    valid UTF-8) is overruled.
    Without ``body`` the general extractor reads the page (trafilatura; htmldate for the date when
    neither the listing nor ``published`` gives one).
    ``drop_leading`` are regular expressions (case-insensitive, searched): leading body paragraphs
    that match one are dropped (a transcript's "rush transcript" disclaimer).
    """

    kind_name: ClassVar[str] = "html"

    item: str
    link: str = "a"
    date: str | None = None
    next: str | None = None
    pages: str | None = None
    title: str = "h1"
    published: str | None = None
    body: str | None = None
    drop: tuple[str, ...] = ()
    drop_leading: tuple[str, ...] = ()
    date_format: str | None = None
    encoding: str | None = None

    @field_validator("item", "link", "date", "next", "title", "published", "body", "drop")
    @classmethod
    def _selector(cls, value: str | tuple[str, ...] | None) -> str | tuple[str, ...] | None:
        check_selectors(value)
        return value

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, value: str | None) -> str | None:
        """A strptime format that reads back what it writes: "%Q" or a format with no directive fails here,
        before any request, not as dates silently left empty."""
        if value is None:
            return value
        sample = datetime(2001, 2, 3, 4, 5, 6)
        try:
            datetime.strptime(sample.strftime(value), value)
        except ValueError as error:
            raise ValueError(f"not a usable strptime format ({error})") from None
        if "%" not in value:
            raise ValueError("has no % directive")
        return value

    @field_validator("pages")
    @classmethod
    def _pages(cls, value: str | None) -> str | None:
        if value is not None and value.count("{n}") != 1:
            raise ValueError(f"{value!r} must contain '{{n}}' once, e.g. 'index_{{n}}.html'")
        return value

    @field_validator("drop_leading")
    @classmethod
    def _patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"{pattern!r} is not a regular expression ({error})") from None
        return value

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                return codecs.lookup(value).name
            except LookupError:
                raise ValueError(f"{value!r} is not an encoding Python knows") from None
        return value

    @model_validator(mode="after")
    def _one_pagination(self) -> HtmlSource:
        if self.next and self.pages:
            raise ValueError("set either 'next' or 'pages', not both")
        return self


RESERVED_WP_PARAMS = frozenset({"after", "before", "page", "per_page", "orderby", "order", "_embed"})


class WordpressSource(SourceConfig):
    """A WordPress site's REST API: ``<url>/wp-json/wp/v2/<post_type>``.

    ``categories`` / ``tags`` are term ids; ``filters`` are any other documented query parameters
    of that route (``author = 7``, ``search = "visit"``), sent as given (lists joined by commas).
    """

    kind_name: ClassVar[str] = "wordpress"

    post_type: str = "posts"
    categories: tuple[int, ...] = ()
    tags: tuple[int, ...] = ()
    filters: dict[str, str | int | list[str | int]] = Field(default_factory=dict)
    per_page: int = Field(default=100, ge=1, le=100)
    byline: Byline = "none"

    @field_validator("post_type")
    @classmethod
    def _post_type(cls, value: str) -> str:
        return matching(value, SLUG, "is not a post type slug such as 'posts'")

    @field_validator("filters")
    @classmethod
    def _filters(cls, value: dict[str, object]) -> dict[str, object]:
        clash = sorted(set(value) & (RESERVED_WP_PARAMS | {"categories", "tags"}))
        if clash:
            raise ValueError(f"{clash[0]!r} is set by pressroom (use the key of its own if there is one)")
        return value


class FeedSource(SourceConfig):
    """An RSS 2.0 or Atom feed, one page. Items without ``content:encoded`` (or Atom ``content``)
    are fetched from their link and read with the html kind's detail rules: ``body`` (tried first,
    then ``article``, ``main``, ``body``), ``title``, ``published`` and ``drop``."""

    kind_name: ClassVar[str] = "feed"

    title: str = "h1"
    published: str | None = None
    body: str | None = None
    drop: tuple[str, ...] = ()
    byline: Byline = "none"

    @field_validator("title", "published", "body", "drop")
    @classmethod
    def _selector(cls, value: str | tuple[str, ...] | None) -> str | tuple[str, ...] | None:
        check_selectors(value)
        return value


#: GOV.UK's content API allows 10 requests a second per client.
GOVUK_MIN_INTERVAL = 0.1


class GovukSource(SourceConfig):
    """GOV.UK's search API filtered by organisation and document type; bodies from the content API."""

    kind_name: ClassVar[str] = "govuk"

    url: str = "https://www.gov.uk"
    organisation: str
    document_type: str = "press_release"
    count: int = Field(default=100, ge=1, le=1000, description="search results per request")
    min_interval: float = Field(default=GOVUK_MIN_INTERVAL, ge=0)

    @field_validator("organisation", "document_type")
    @classmethod
    def _slug(cls, value: str) -> str:
        return matching(value, SLUG, "is not a GOV.UK slug")

    @model_validator(mode="after")
    def _rate(self) -> GovukSource:
        host = (urlsplit(self.url).hostname or "").lower()
        if (host == "gov.uk" or host.endswith(".gov.uk")) and self.min_interval < GOVUK_MIN_INTERVAL:
            raise ValueError(f"min_interval below {GOVUK_MIN_INTERVAL} s breaks GOV.UK's 10 requests/s limit")
        return self




class SitemapSource(SourceConfig):
    """A sitemap (``<urlset>``) or sitemap index (``<sitemapindex>``), gzipped or not, Google News
    sitemaps included. ``include`` is a regular expression searched in each URL: only matching URLs
    are releases (a site's sitemap lists every page; ``"/press-releases/"`` keeps the releases).
    Detail pages are read with ``title``, ``published``, ``body`` (without it, the general extractor)
    and ``drop``, as for ``html``; ``published`` defaults to the page's
    ``article:published_time`` meta or first ``<time datetime>``."""

    kind_name: ClassVar[str] = "sitemap"

    include: str | None = None
    title: str = "h1"
    published: str | None = None
    body: str | None = None
    drop: tuple[str, ...] = ()
    date_format: str | None = None

    @field_validator("title", "published", "body", "drop")
    @classmethod
    def _selector(cls, value: str | tuple[str, ...] | None) -> str | tuple[str, ...] | None:
        check_selectors(value)
        return value

    @field_validator("include")
    @classmethod
    def _include(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"{value!r} is not a regular expression ({error})") from None
        return value


KIND_MODELS: tuple[type[SourceConfig], ...] = (
    HtmlSource, WordpressSource, FeedSource, GovukSource, SitemapSource,
)
