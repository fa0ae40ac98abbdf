"""Record-level expectations a release must meet before it can be published.

Each returns a stable reason code when it fails. Great Expectations suites (a later layer) validate
the same rules over whole batches; these run per record inside the pipeline.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from pressroom.connectors.model import Release

#: A release dated more than this far in the future is wrong (time zones account for a few hours).
FUTURE_TOLERANCE = timedelta(days=1)
#: Bodies shorter than this many characters are not a release (a stub or an extraction failure).
MIN_BODY_CHARS = 80


def record_failures(release: Release, *, now: datetime | None = None) -> tuple[str, ...]:
    now = now or datetime.now(UTC)
    failed: list[str] = []
    if not release.title.strip():
        failed.append("title-missing")
    if not release.url or urlsplit(release.url).scheme not in ("http", "https"):
        failed.append("url-invalid")
    if release.published_at is None:
        failed.append("published-at-missing")
    elif release.published_at > now + FUTURE_TOLERANCE:
        failed.append("published-at-in-future")
    if len(release.body_text.strip()) < MIN_BODY_CHARS:
        failed.append("body-too-short")
    return tuple(failed)
