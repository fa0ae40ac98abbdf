"""Why a page or a listing was not loaded: every reason code, each classified once, where it is defined.

A reason is a member of exactly one of three enums; its value is the code stored in the warehouse
(``fetch_failures.reason``, ``skipped_pages.reason``), run summaries and JSON/CLI output, unchanged
from the strings used before the codes were typed. The class says what the pipeline does with it:

* :class:`Retryable` — a later run may succeed (the host was down, slow or throttling). Recorded in
  ``fetch_failures``, counted as failed (exit 3), fetched again by the next run, and the nightly
  watermark stays before the page's listing date so the page's window is listed again.
* :class:`Permanent` — retrying will not change the answer (the page is gone, malformed or not a
  release). Recorded and counted as failed, kept for a person and fetched again by later runs (404/410
  are retired after ``retire_after`` runs), but it does not hold the watermark back.
* :class:`Skip` — deliberately not loaded (robots.txt, a link off the source's hosts, an attachment, a
  scan without text). Recorded in ``skipped_pages`` with its reason: not a failure, no exit 3, no retry,
  and the watermark moves past it.

A failed *listing* always holds the watermark whatever its reason: the window was not fully seen.

Connectors raise :class:`~connectors.http.FetchError` and return :class:`~connectors.model.ParseFailure`
with one of these members (``http_reason`` for an HTTP status); both turn a plain string into its member
and refuse a code not defined here, so a new reason cannot go unclassified.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["KINDS", "Permanent", "Reason", "Retryable", "Skip", "http_reason", "reason_of"]

#: HTTP statuses that mean the page is gone: permanent, and retired after ``retire_after`` runs.
GONE_STATUSES = (404, 410)


def _failing_status(status: int) -> bool:
    """A final status ``PoliteSession.get`` reports as a failure (http.client accepts 100–999)."""
    return not (200 <= status < 300 or status == 304)


class Reason(StrEnum):
    """Base of the three kinds of reason; its value is the stored code."""


class Retryable(Reason):
    """A later run may succeed: the page holds the nightly watermark back until it loads."""

    _ignore_ = "member status"
    #: No answer in time (connect or read timeout, also mid-body).
    TIMEOUT = "timeout"
    #: The connection failed or broke off.
    CONNECTION = "connection"
    #: robots.txt answered 5xx: RFC 9309 says assume complete disallow until it answers again.
    ROBOTS_UNAVAILABLE = "robots-unavailable"
    #: More than ``MAX_REDIRECTS`` same-host redirects (a loop, often a session or cookie wall).
    TOO_MANY_REDIRECTS = "too-many-redirects"
    #: The server asked to wait longer than ``max_retry_after``: tried again by the next run.
    RETRY_AFTER_TOO_LONG = "retry-after-too-long"
    #: pypdf cannot read the file, most often a truncated download.
    BAD_PDF = "bad-pdf"
    # ``http-<status>`` for every failing status but 404/410: throttling (429, State Department's 403),
    # server errors, and statuses a site may answer differently tomorrow.
    member = vars()
    for status in range(100, 1000):
        if _failing_status(status) and status not in GONE_STATUSES:
            member[f"HTTP_{status}"] = f"http-{status}"


class Permanent(Reason):
    """Retrying will not change the answer: kept for a person, but the watermark moves past it."""

    HTTP_404 = "http-404"
    HTTP_410 = "http-410"
    #: The body is larger than ``max_bytes``.
    TOO_LARGE = "too-large"
    #: The body does not decode by its ``Content-Encoding`` (gzip/deflate/br that is not).
    BAD_CONTENT_ENCODING = "bad-content-encoding"
    #: A feed, feed item or sitemap that is not XML (or not the XML expected).
    BAD_XML = "bad-xml"
    #: JSON that does not parse, or not the shape expected (WordPress post, GOV.UK item or search page).
    BAD_JSON = "bad-json"
    #: An API page (WordPress, GOV.UK) that is not JSON.
    NOT_JSON = "not-json"
    #: The detail page has no element the body selector matches, or the feed item carries no full text.
    NO_BODY = "no-body"
    #: The body element or item content is there but has no text.
    EMPTY_BODY = "empty-body"
    #: A GOV.UK content item without ``content_id``: no stable release id.
    NO_ID = "no-id"
    #: A GOV.UK item with a withdrawal notice.
    WITHDRAWN = "withdrawn"
    #: A password-protected WordPress post.
    PROTECTED = "protected"
    #: The connector broke on the page or listing in a way it does not foresee (a bug, or bytes hostile
    #: enough to break a parser): recorded with the error's type and message, and the run goes on.
    UNREADABLE = "unreadable"


class Skip(Reason):
    """Deliberately not loaded: a skip with its reason, never a failure."""

    #: robots.txt disallows the URL for our user agent.
    ROBOTS_DISALLOWED = "robots-disallowed"
    #: The URL is not on the source's hosts (links elsewhere are recorded, never followed).
    OFF_HOST = "off-host"
    #: A redirect to a host that is not the source's.
    OFF_HOST_REDIRECT = "off-host-redirect"
    #: Not an http(s) URL.
    BAD_SCHEME = "bad-scheme"
    #: A linked file that is neither a page nor a PDF (a Word file, an image): not a release.
    ATTACHMENT = "attachment"
    #: A scanned PDF without a text layer.
    PDF_NO_TEXT = "pdf-no-text"
    #: A listed link or a redirect that is not a valid URL (a broken IPv6 host, a port out of range).
    BAD_URL = "bad-url"


#: The three kinds, in the order a reader meets them.
KINDS: tuple[type[Reason], ...] = (Retryable, Permanent, Skip)

_BY_CODE: dict[str, Reason] = {member.value: member for kind in KINDS for member in kind}


def reason_of(code: str) -> Reason:
    """The member whose value is ``code`` (a member is returned as it is); ``ValueError`` for a code
    that is not defined here."""
    if isinstance(code, Reason):
        return code
    try:
        return _BY_CODE[code]
    except KeyError:
        raise ValueError(
            f"unknown failure reason {code!r}: define it in connectors/failures.py as Retryable, Permanent or Skip"
        ) from None


def http_reason(status: int) -> Retryable | Permanent:
    """``http-<status>`` for a final status that is a failure (not 2xx, not 304)."""
    reason = _BY_CODE.get(f"http-{status}")
    if not isinstance(reason, Retryable | Permanent):
        raise ValueError(f"HTTP status {status} is not a failure")
    return reason
