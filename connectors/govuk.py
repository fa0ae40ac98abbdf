"""The ``govuk`` connector kind: GOV.UK's search API for discovery, its content API for bodies.

Discovery: ``/api/search.json`` with only documented parameters (an unknown one answers 422):
``filter_organisations``, ``filter_content_store_document_type``,
``filter_public_timestamp=from:YYYY-MM-DD,to:YYYY-MM-DD`` (whole UTC days covering the window; the
window is then applied exactly on ``public_timestamp``), ``order=-public_timestamp``, and
``start``/``count`` paging (:class:`connectors.paging.Offset`, until ``total``).

Fetch: ``/api/content<base_path>`` (JSON, stored as the raw page of the item's www URL). The content
API allows 10 requests a second, hence the kind's default ``min_interval`` of 0.1 s.

Parse (pure, on that JSON):

- ``release_id`` is keyed on ``content_id`` **and** ``locale``: translations share a content_id,
  so an English release and its Urdu translation are two releases, never one overwriting the other.
- ``published_at`` is ``details.first_public_at``, else ``first_published_at``, else
  ``public_updated_at``; body from ``details.body`` (HTML), read with :mod:`connectors.extract`.
- A withdrawn item (a non-empty ``withdrawn_notice``) is kept in ``raw_pages`` and reported as
  ``ParseFailure(reason="withdrawn")`` whose detail carries the date and the notice, so it is never
  published and the run's report lists it with its reason.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from pressroom.connectors.config import GovukSource
from pressroom.connectors.detail import attachment
from pressroom.connectors.extract import fragment_paragraphs, fragment_text
from pressroom.connectors.failures import Permanent
from pressroom.connectors.http import FetchError, PoliteSession
from pressroom.connectors.model import Listing, ParseFailure, RawPage, Release, Window, fetched_page
from pressroom.connectors.normalise import clean_inline, keyed_release_id, load_json, parse_iso
from pressroom.connectors.paging import Offset, Page, Seen, walk

JSON = "application/json"


class GovukConnector:
    extractor = "govuk/1"

    def __init__(self, source: GovukSource, session: PoliteSession) -> None:
        self.source = source
        self.session = session
        self.policy = source.policy
        self.root = source.url.rstrip("/")

    def query(self, window: Window, start: int) -> str:
        """The search URL of the results from ``start`` for ``window``."""
        stamp = f"to:{(window.until.astimezone(UTC) + timedelta(days=1)).date().isoformat()}"
        if window.since is not None:
            stamp = f"from:{window.since.astimezone(UTC).date().isoformat()},{stamp}"
        params = {
            "filter_organisations": self.source.organisation,
            "filter_content_store_document_type": self.source.document_type,
            "filter_public_timestamp": stamp,
            "order": "-public_timestamp",
            "start": start,
            "count": self.source.count,
        }
        return f"{self.root}/api/search.json?{urlencode(params, safe=':,')}"

    def discover(self, window: Window) -> Iterator[Listing]:
        """Items whose ``public_timestamp`` falls in ``window``, newest first; raises FetchError."""
        pagination = Offset(lambda start: self.query(window, start), self.source.count)
        for page in walk(pagination, self._read_page, max_pages=self.source.max_pages):
            for result in page.content:
                link = result.get("link")
                if not isinstance(link, str) or not link.startswith("/"):
                    continue
                listed_at = _timestamp(result.get("public_timestamp"))
                if listed_at is not None and not window.contains(listed_at):
                    continue
                title = result.get("title")
                yield Listing(
                    source_id=self.source.id,
                    url=urljoin(self.root + "/", link.lstrip("/")),
                    title=clean_inline(title) if isinstance(title, str) else None,
                    listed_at=listed_at,
                )

    def _read_page(self, url: str, number: int) -> Page[list[Mapping[str, Any]]]:
        response = self.session.get(url, policy=self.policy)
        try:
            answer = load_json(response.content)
        except ValueError:
            raise FetchError(url, Permanent.BAD_JSON, attempts=response.attempts, status=response.status) from None
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list):
            raise FetchError(url, Permanent.BAD_JSON, status=response.status, detail="no 'results' list")
        total = answer.get("total")
        seen = Seen(url=url, number=number, items=len(results), total_items=total if isinstance(total, int) else None)
        return Page(seen=seen, content=[r for r in results if isinstance(r, dict)])

    def fetch(self, listing: Listing) -> RawPage:
        """The content item of the listing's page, from ``/api/content<base_path>``."""
        api = f"{self.root}/api/content{urlsplit(listing.url).path}"
        response = self.session.get(api, policy=self.policy, max_attempts=listing.max_attempts)
        return fetched_page(self.source.id, listing, response)

    def parse(self, raw: RawPage) -> Release | ParseFailure:
        """Pure: a release from a saved content item, or the reason it is not one."""
        def fail(reason: Permanent, detail: str) -> ParseFailure:
            return ParseFailure(self.source.id, raw.url, reason, detail)

        if raw.content_type != JSON:
            return attachment(raw) or fail(Permanent.NOT_JSON, f"content type {raw.content_type!r}")
        try:
            item = load_json(raw.content.decode(raw.encoding or "utf-8", errors="replace"))
        except ValueError as error:
            return fail(Permanent.BAD_JSON, str(error))
        if not isinstance(item, dict):
            return fail(Permanent.BAD_JSON, "expected a content item")
        details = item.get("details")
        if not isinstance(details, dict):
            details = {}
        notice = item.get("withdrawn_notice")
        if isinstance(notice, dict) and (notice.get("explanation") or notice.get("withdrawn_at")):
            explanation = " ".join(fragment_paragraphs(str(notice.get("explanation") or "")))
            return fail(Permanent.WITHDRAWN, f"withdrawn at {notice.get('withdrawn_at') or '?'}: {explanation}")
        content_id, locale = item.get("content_id"), item.get("locale") or "en"
        if not isinstance(content_id, str) or not content_id:
            return fail(Permanent.NO_ID, "content item without content_id")
        body = fragment_text(str(details.get("body") or "")).body
        if not body:
            return fail(Permanent.EMPTY_BODY, "details.body has no text")
        published = (
            _timestamp(details.get("first_public_at"))
            or _timestamp(item.get("first_published_at"))
            or _timestamp(item.get("public_updated_at"))
            or raw.listed_at
        )
        title = item.get("title")
        return Release(
            release_id=keyed_release_id(self.source.id, f"{content_id}:{locale}"),
            source_id=self.source.id,
            url=raw.url,
            title=clean_inline(title) if isinstance(title, str) else (raw.listed_title or ""),
            published_at=published,
            body_text=body,
            language=locale if isinstance(locale, str) else self.source.language,
            extractor=self.extractor,
        )


def _timestamp(value: object) -> datetime | None:
    return parse_iso(value, zone=UTC) if isinstance(value, str) else None
