"""Rendered pages and the small helpers both layouts share (escaping, date text, speaker labels).

Every page is rendered once, when a mirror starts, into bytes; the ETag is a hash of those bytes, so
the same content always gives the same ETag and ``Last-Modified``.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from pressroom.infra.demo.content import Release, Site

HTML_TYPE = "text/html; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
SPEAKERS = ("Official Spokesperson:", "Spokesperson:", "Question:")
ROBOTS_TXT = "User-agent: *\nDisallow: /admin/\n"

# What WordPress' wptexturize leaves in titles and text: numeric entities for typographic punctuation.
_WP_ENTITIES = {"‘": "&#8216;", "’": "&#8217;", "“": "&#8220;", "”": "&#8221;", "–": "&#8211;", "—": "&#8212;"}


@dataclass(frozen=True, slots=True)
class Page:
    body: bytes
    content_type: str
    last_modified: datetime
    etag: str = field(init=False)

    def __post_init__(self) -> None:
        if self.last_modified.tzinfo is None:
            raise ValueError("last_modified must be timezone-aware")
        object.__setattr__(self, "etag", f'"{hashlib.sha256(self.body).hexdigest()[:32]}"')


@dataclass(frozen=True, slots=True)
class SitePages:
    """All routes of one site: ``routes`` answer 200, ``redirects`` 301, anything else ``not_found``."""

    routes: Mapping[str, Page]
    redirects: Mapping[str, str]
    not_found: Page
    release_paths: Mapping[str, str]
    listing_path: str


def html_page(markup: str, last_modified: datetime) -> Page:
    return Page(markup.encode("utf-8"), HTML_TYPE, last_modified.astimezone(UTC))


def site_pages(
    site: Site,
    *,
    listing: str,
    listing_path: Callable[[int], str],
    release_path: Callable[[Release], str],
    home: str,
    listing_page: Callable[[list[Release], int, int], str],
    detail: Callable[[Release], str],
    not_found: str,
    redirects: Mapping[str, str],
) -> SitePages:
    """The routes of a site in one layout: home and robots.txt, each listing page (``listing_page(items,
    number, total)`` at ``listing_path(number)``), each release's page (``detail`` at ``release_path``).
    Listings, home and the 404 page change with the newest release; a release's page when it was published."""
    changed = newest(site)
    pages = paginate(site)
    routes: dict[str, Page] = {"/": html_page(home, changed), "/robots.txt": robots_page(changed)}
    for number, items in enumerate(pages, start=1):
        routes[listing_path(number)] = html_page(listing_page(items, number, len(pages)), changed)
    for release in site.releases:
        routes[release_path(release)] = html_page(detail(release), site.published_at(release))
    return SitePages(
        routes=routes,
        redirects=redirects,
        not_found=html_page(not_found, changed),
        release_paths={r.slug: release_path(r) for r in site.releases},
        listing_path=listing,
    )


def robots_page(last_modified: datetime) -> Page:
    return Page(ROBOTS_TXT.encode("utf-8"), TEXT_TYPE, last_modified.astimezone(UTC))


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def wp_esc(text: str) -> str:
    """Escape, then turn typographic punctuation into numeric entities as WordPress themes do."""
    escaped = esc(text)
    for char, entity in _WP_ENTITIES.items():
        escaped = escaped.replace(char, entity)
    return escaped


def day_month_year(day: date) -> str:
    """``17 August 2026`` (strptime ``%d %B %Y``), independent of the process locale."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def month_day_year(day: date) -> str:
    """``November 3, 2026`` (strptime ``%B %d, %Y``), independent of the process locale."""
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


def split_speaker(paragraph: str) -> tuple[str, str] | None:
    """``("Question:", "rest")`` when a transcript paragraph opens with a speaker label."""
    for label in SPEAKERS:
        if paragraph.startswith(label + " "):
            return label, paragraph[len(label) + 1 :]
    return None


def paginate(site: Site) -> list[list[Release]]:
    ordered = site.newest_first()
    return [ordered[start : start + site.per_page] for start in range(0, len(ordered), site.per_page)] or [[]]


def newest(site: Site) -> datetime:
    """The site's last change: its newest release (or a fixed instant for an empty site)."""
    if not site.releases:
        return datetime(2026, 1, 1, tzinfo=UTC)
    return max(site.published_at(release) for release in site.releases)


def related(site: Site, release: Release, count: int = 3) -> list[Release]:
    """The ``count`` releases nearest to ``release`` in listing order, deterministic."""
    ordered = site.newest_first()
    index = ordered.index(release)
    others = [r for r in ordered if r is not release]
    others.sort(key=lambda r: (abs(ordered.index(r) - index), ordered.index(r)))
    return others[:count]
