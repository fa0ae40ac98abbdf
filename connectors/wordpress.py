"""The ``wordpress`` connector kind: the WordPress REST API, ``/wp-json/wp/v2/<post_type>``.

Discovery asks for ``after``/``before`` (compared by WordPress with the post's *local* date, so the
window is sent in the source's timezone, one day wider on each side) and pages with ``page`` /
``per_page`` until ``X-WP-TotalPages`` (:class:`connectors.paging.PageNumbers`); the window is then
applied exactly on ``date_gmt``, which is UTC. A page past the last answers ``400
rest_post_invalid_page_number`` when posts vanish mid-walk: that ends the listing, it is no failure.

The listing already carries whole posts, so each :class:`Listing` carries its post as JSON
(``payload``) and :meth:`WordpressConnector.fetch` makes no request; the raw page stored is that JSON
(``application/json``), which :meth:`~WordpressConnector.parse` reads alone. A listing without a
payload (a page that failed in an earlier run) is fetched as ``?slug=<last path segment>``.
Titles and bodies arrive HTML-escaped (``&#8217;``); they are decoded once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from pressroom.connectors.config import WordpressSource
from pressroom.connectors.detail import attachment
from pressroom.connectors.extract import fragment_paragraphs, fragment_text
from pressroom.connectors.failures import Permanent
from pressroom.connectors.http import FetchError, PoliteSession
from pressroom.connectors.model import Listing, ParseFailure, RawPage, Release, Window, payload_page
from pressroom.connectors.normalise import canonical_url, load_json, parse_iso, release_id
from pressroom.connectors.paging import Page, PageNumbers, Seen, walk

log = logging.getLogger("pressroom.connectors.wordpress")
JSON = "application/json"


class WordpressConnector:
    extractor = "wordpress/1"
    #: The API lists every post of a window: a post of the window it no longer returns is looked up
    #: on its own (``fetch`` by slug), and a post that stays missing is withdrawn.
    complete_listing = True

    def __init__(self, source: WordpressSource, session: PoliteSession) -> None:
        self.source = source
        self.session = session
        self.policy = source.policy
        self.endpoint = f"{source.url.rstrip('/')}/wp-json/wp/v2/{source.post_type}"

    def query(self, window: Window, page: int) -> str:
        """The listing URL of page ``page`` (1-based) for ``window``."""
        zone = self.source.zone
        params: dict[str, str | int] = {}
        if window.since is not None:
            params["after"] = _local(window.since - timedelta(days=1), zone)
        params["before"] = _local(window.until + timedelta(days=1), zone)
        params.update(page=page, per_page=self.source.per_page, orderby="date", order="desc")
        if self.source.categories:
            params["categories"] = ",".join(map(str, self.source.categories))
        if self.source.tags:
            params["tags"] = ",".join(map(str, self.source.tags))
        for key, value in self.source.filters.items():
            params[key] = ",".join(map(str, value)) if isinstance(value, list) else value
        if self.source.byline != "none":
            params["_embed"] = "author"
        return f"{self.endpoint}?{urlencode(params)}"

    def discover(self, window: Window) -> Iterator[Listing]:
        """Posts whose ``date_gmt`` falls in ``window``, newest first; raises FetchError when a
        listing page cannot be fetched."""
        pages = walk(PageNumbers(lambda n: self.query(window, n)), self._read_page, max_pages=self.source.max_pages)
        for page in pages:
            for post in page.content:
                listing = self.listing(post)
                if listing is not None and (listing.listed_at is None or window.contains(listing.listed_at)):
                    yield listing

    def _read_page(self, url: str, number: int) -> Page[list[Mapping[str, Any]]]:
        try:
            response = self.session.get(url, policy=self.policy)
        except FetchError as error:
            if error.status == 400 and number > 1:
                log.info("%s: %s answered 400 (past the last page): listing ends", self.source.id, url)
                return Page(seen=Seen(url=url, number=number, items=0), content=[])
            raise
        try:
            posts = load_json(response.content)
        except ValueError:
            raise FetchError(url, Permanent.BAD_JSON, attempts=response.attempts, status=response.status) from None
        if not isinstance(posts, list):
            raise FetchError(url, Permanent.BAD_JSON, status=response.status, detail="expected a list of posts")
        total = response.headers.get("x-wp-totalpages", "").strip()
        seen = Seen(url=url, number=number, items=len(posts), total_pages=int(total) if total.isdigit() else None)
        return Page(seen=seen, content=[post for post in posts if isinstance(post, dict)])

    def listing(self, post: Mapping[str, Any]) -> Listing | None:
        link = post.get("link")
        if not isinstance(link, str) or not link:
            return None
        return Listing(
            source_id=self.source.id,
            url=link,
            title=_title(post) or None,
            listed_at=_published(post, self.source),
            payload=json.dumps(post, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
            payload_type=JSON,
        )

    def fetch(self, listing: Listing) -> RawPage:
        """The listing's own post when it carries one (no request), else the post found by its slug."""
        if listing.payload is not None:
            return payload_page(listing, fetched_at=datetime.now(UTC))
        slug = urlsplit(listing.url).path.rstrip("/").rsplit("/", 1)[-1]
        params = {"slug": slug, **({"_embed": "author"} if self.source.byline != "none" else {})}
        url = f"{self.endpoint}?{urlencode(params)}"
        response = self.session.get(url, policy=self.policy, max_attempts=listing.max_attempts)
        try:
            posts = load_json(response.content)
        except ValueError:
            raise FetchError(listing.url, Permanent.BAD_JSON, attempts=response.attempts,
                             status=response.status) from None
        if not isinstance(posts, list):
            raise FetchError(listing.url, Permanent.BAD_JSON, status=response.status, detail="expected a list of posts")
        wanted = canonical_url(listing.url)
        matches = [p for p in posts if isinstance(p, dict) and canonical_url(str(p.get("link", ""))) == wanted]
        if not matches:
            raise FetchError(listing.url, Permanent.HTTP_404, status=response.status, detail=f"no post at {url}")
        found = self.listing(matches[0])
        if found is None:
            raise FetchError(listing.url, Permanent.BAD_JSON, status=response.status, detail="the post has no link")
        return payload_page(found, fetched_at=response.fetched_at, final_url=url)

    def parse(self, raw: RawPage) -> Release | ParseFailure:
        """Pure: a release from one post's JSON, or the reason it is not one."""
        if raw.content_type != JSON:
            return attachment(raw) or ParseFailure(self.source.id, raw.url, Permanent.NOT_JSON,
                                                   "expected a post as JSON")
        try:
            post = load_json(raw.content)
        except ValueError as error:
            return ParseFailure(self.source.id, raw.url, Permanent.BAD_JSON, str(error))
        if not isinstance(post, dict):
            return ParseFailure(self.source.id, raw.url, Permanent.BAD_JSON, "expected one post object")
        content = post.get("content")
        if not isinstance(content, dict):
            content = {}
        if content.get("protected"):
            return ParseFailure(self.source.id, raw.url, Permanent.PROTECTED, "password-protected post")
        extracted = fragment_text(str(content.get("rendered") or ""), byline=self.source.byline, creator=_author(post))
        if not extracted.body:
            return ParseFailure(self.source.id, raw.url, Permanent.EMPTY_BODY, "content.rendered has no text")
        return Release(
            release_id=release_id(self.source.id, raw.url),
            source_id=self.source.id,
            url=raw.url,
            title=_title(post) or (raw.listed_title or ""),
            published_at=_published(post, self.source),
            body_text=extracted.body,
            language=self.source.language,
            extractor=self.extractor,
            byline=extracted.byline,
        )


def _local(moment: datetime, zone: Any) -> str:
    return moment.astimezone(zone).replace(tzinfo=None, microsecond=0).isoformat()


def _title(post: Mapping[str, Any]) -> str:
    title = post.get("title")
    rendered = title.get("rendered") if isinstance(title, dict) else title
    return " ".join(fragment_paragraphs(rendered)) if isinstance(rendered, str) else ""


def _published(post: Mapping[str, Any], source: WordpressSource) -> datetime | None:
    """``date_gmt`` as UTC; else ``date`` read in the source's timezone."""
    for key, zone in (("date_gmt", UTC), ("date", source.zone)):
        value = post.get(key)
        moment = parse_iso(value, zone=zone) if isinstance(value, str) else None
        if moment is not None:
            return moment
    return None


def _author(post: Mapping[str, Any]) -> str | None:
    embedded = post.get("_embedded")
    authors = embedded.get("author") if isinstance(embedded, dict) else None
    if isinstance(authors, list) and authors and isinstance(authors[0], dict):
        name = authors[0].get("name")
        return name if isinstance(name, str) else None
    return None
