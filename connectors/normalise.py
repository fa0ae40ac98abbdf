"""Pure helpers that turn scraped HTML and strings into clean, stable values.

- ``extract_text``: block-aware text extraction; paragraphs joined by one blank line, whitespace
  collapsed, Unicode NFC, page furniture (scripts, styles, forms, navigation) removed.
- ``parse_date``: dates as ministries write them, made timezone-aware in the source's zone;
  ``parse_iso``: the ISO 8601 stamps of feeds and APIs, the same way.
- ``load_json``: a JSON document from a site, every string valid Unicode (a lone surrogate escape
  such as ``"\\ud800"`` is read as U+FFFD), ``ValueError`` for anything that is not JSON.
- ``canonical_url`` / ``release_id``: identity that survives tracking parameters, trailing slashes,
  ``http``/``https`` and host changes (the id is keyed on the source and the path, not the host).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, time, tzinfo
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from bs4 import Comment, NavigableString, PageElement, Tag
from w3lib.url import url_query_cleaner

#: Elements that are never release text.
FURNITURE_TAGS = (
    "script", "style", "noscript", "template", "nav", "form", "input", "button", "select", "textarea",
    "iframe", "svg", "canvas", "video", "audio", "object", "embed", "dialog", "menu",
)
#: Class names and ids of share bars and "related" boxes that publishing platforms (WordPress/Jetpack,
#: AddToAny, ShareThis, YARPP) put inside the article body; matched as whole class tokens, so a
#: paragraph class that merely contains "share" is kept.
WIDGET_CLASSES = (
    "sharedaddy", "sd-sharing-enabled", "jp-relatedposts", "addtoany_share_save_container", "a2a_kit",
    "sharethis-inline-share-buttons", "share-bar", "share-buttons", "social-share", "social-sharing",
    "related-posts", "yarpp-related", "print-share",
)
WIDGET_IDS = ("jp-relatedposts", "sharing", "share-buttons", "related-posts")
WIDGET_SELECTOR = ", ".join([*(f".{name}" for name in WIDGET_CLASSES), *(f"#{name}" for name in WIDGET_IDS)])
#: Elements that start and end a paragraph.
BLOCK_TAGS = frozenset({
    "p", "div", "section", "article", "main", "aside", "header", "footer", "blockquote", "pre",
    "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "td", "th",
    "h1", "h2", "h3", "h4", "h5", "h6", "figure", "figcaption", "address", "hr", "br", "center",
    "caption", "details", "summary", "fieldset", "legend",
})
#: Zero-width spaces and joiners, the word joiner, the byte-order mark and the soft hyphen: characters
#: that render as nothing and only get in the way of matching text.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_INVISIBLE = dict.fromkeys(map(ord, INVISIBLE), None)
TRACKING_PARAMS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "mission", "ref", "src"})


def clean_text(text: str) -> str:
    """Drop invisible characters (:data:`INVISIBLE`), collapse whitespace (no-break spaces too), NFC."""
    text = " ".join(text.translate(_INVISIBLE).split())
    return text if text.isascii() or unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def clean_inline(text: str) -> str:
    """Unescape entities, then :func:`clean_text`."""
    return clean_text(html.unescape(text))


class Paragraphs:
    """Text collected into paragraphs while walking a document: :meth:`add` the text met, :meth:`end` at
    every block boundary. Each paragraph is cleaned with ``clean``; one that cleans to nothing is dropped."""

    __slots__ = ("_clean", "_current", "found")

    def __init__(self, clean: Callable[[str], str]) -> None:
        self._clean = clean
        self._current: list[str] = []
        self.found: list[str] = []

    def add(self, text: str) -> None:
        self._current.append(text)

    def end(self) -> None:
        if self._current:
            paragraph = self._clean("".join(self._current))
            if paragraph:
                self.found.append(paragraph)
            self._current.clear()


def remove_furniture(root: Tag, drop: Iterable[str] = ()) -> None:
    """Remove, in place, the caller's ``drop`` selectors, then tags that are never release text."""
    for selector in drop:
        for element in root.select(selector):
            element.decompose()
    for element in root.find_all(FURNITURE_TAGS):
        element.decompose()
    for element in root.select(WIDGET_SELECTOR):
        element.decompose()
    for element in root.select("[hidden]"):
        element.decompose()
    for element in root.find_all(style=re.compile(r"display\s*:\s*none", re.I)):
        element.decompose()
    for comment in root.find_all(string=lambda node: isinstance(node, Comment)):
        comment.extract()


def extract_text(root: Tag) -> str:
    """Paragraphs of ``root`` (already cleaned of furniture), joined by one blank line.

    The walk is iterative (a stack of child iterators), so markup nested thousands deep, which hostile
    or broken pages carry, yields its text instead of exhausting Python's recursion limit."""
    paragraphs = Paragraphs(clean_inline)
    # Each frame: the children still to visit, and whether leaving the element ends a paragraph.
    stack: list[tuple[Iterator[PageElement], bool]] = [(iter(root.children), False)]
    while stack:
        children, block = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if block:
                paragraphs.end()
        elif isinstance(child, Comment):
            continue
        elif isinstance(child, NavigableString):
            paragraphs.add(str(child))
        elif isinstance(child, Tag):
            block = child.name in BLOCK_TAGS
            if block:
                paragraphs.end()
            stack.append((iter(child.children), block))
    paragraphs.end()
    return "\n\n".join(paragraphs.found)


_ORDINAL = re.compile(r"\b(\d{1,2})(st|nd|rd|th)\b", re.I)
_WEEKDAY = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+", re.I)
_LABEL = re.compile(r"^(date|dated|published|posted|issued|released)( on)?\s*[:\-]?\s*", re.I)
DATE_FORMATS = (
    "%d %B %Y", "%B %d, %Y", "%B %d %Y", "%d %B, %Y", "%d %b %Y", "%b %d, %Y", "%b %d %Y",
    "%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d", "%Y-%m-%d", "%d-%m-%Y",
    "%d %B %Y %H:%M", "%B %d, %Y %H:%M", "%d %B %Y, %H:%M", "%B %d, %Y %I:%M %p", "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
)
_DATE_IN_TEXT = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\d{1,2}(?:st|nd|rd|th)? [A-Z][a-z]+,? \d{4}"
    r"|[A-Z][a-z]+\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}"
    r"|\d{1,2}[./]\d{1,2}[./]\d{4}"
)


def parse_date(text: str | None, *, zone: ZoneInfo, date_format: str | None = None) -> datetime | None:
    """A timezone-aware datetime from a date as written, or ``None`` when it does not parse.

    An ISO string with an offset keeps it; a naive date or time is read in ``zone`` (the source's own
    timezone). A date without a time is the start of that day in ``zone``.
    """
    if not text:
        return None
    cleaned = _LABEL.sub("", _WEEKDAY.sub("", clean_inline(text)))
    cleaned = _ORDINAL.sub(r"\1", cleaned)
    candidates = [cleaned] + [m.group(0) for m in _DATE_IN_TEXT.finditer(cleaned) if m.group(0) != cleaned]
    for candidate in candidates:
        parsed = _parse_one(_ORDINAL.sub(r"\1", candidate), date_format, zone)
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
    return None


def parse_iso(text: str | None, *, zone: tzinfo) -> datetime | None:
    """An ISO 8601 date or date-time (``Z`` read as UTC) as a timezone-aware datetime, or ``None`` when
    ``text`` is empty or not ISO 8601. One without an offset is read in ``zone``; one with an offset keeps it."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _parse_one(text: str, date_format: str | None, zone: tzinfo) -> datetime | None:
    formats = (date_format,) if date_format else DATE_FORMATS
    moment = parse_iso(text, zone=zone)
    if moment is not None:
        return moment
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants that start ``day`` and the next day in ``zone``."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(date.fromordinal(day.toordinal() + 1), time(0), tzinfo=zone)
    return start, end


def load_json(content: bytes | str) -> Any:
    """``json.loads(content)`` with every string made valid Unicode, or ``ValueError``.

    JSON may escape a lone surrogate (``"\\ud800"``), which Python reads into a string that cannot be
    encoded as UTF-8, so it would break the warehouse or any later ``encode``; each one becomes U+FFFD
    here. Nesting too deep for the decoder (``[[[[…]]]]``) is a ``ValueError`` like any other bad JSON."""
    try:
        value = json.loads(content)
        text = json.dumps(value, ensure_ascii=False)
    except RecursionError:
        raise ValueError("JSON nested too deep") from None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.loads(text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace"))
    return value


def canonical_url(url: str) -> str:
    """The URL a release is known by: https, lower-case host, no default port, fragment, tracking
    parameters (``utm_*``, ``fbclid``, ``mission`` …) or trailing slash; query parameters sorted."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not is_tracking_param(key)
    )
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/") or "/"
    # A bare "?dtl/123/slug"-style query (keys only) is kept as written.
    query_text = urlencode(query) if any(value for _, value in query) else "&".join(key for key, _ in query)
    return urlunsplit(("https", netloc, path, query_text, ""))


def is_tracking_param(key: str) -> bool:
    """``utm_*`` and the click ids and newsletter tags of :data:`TRACKING_PARAMS`."""
    key = key.lower()
    return key.startswith("utm_") or key in TRACKING_PARAMS


def clean_url(url: str) -> str:
    """The URL a release is stored and fetched under: as the site wrote it (scheme, host, path and the
    order of the query kept), without the fragment and tracking parameters (:func:`is_tracking_param`).
    Two links that differ only in those are one page. Uses w3lib's ``url_query_cleaner``."""
    url = url.strip()
    query = urlsplit(url).query
    tracking = sorted({key for key, _ in parse_qsl(query, keep_blank_values=True) if is_tracking_param(key)})
    return str(url_query_cleaner(url, tracking, remove=True, keep_fragments=False))


def absolute_url(base: str, href: str) -> str | None:
    """``href`` made absolute against ``base``, or ``None`` when it is not a valid URL (a broken IPv6
    host such as ``http://[::1``, a port out of range): a hostile link costs itself, not the page."""
    try:
        url = urljoin(base, href.strip())
        canonical_url(url)  # a port out of range or a bad host only shows when the URL is taken apart
    except ValueError:
        return None
    return url


def same_site(url: str, other: str) -> bool:
    """Whether two URLs are on the same host (case-insensitive, default ports ignored); ``False`` when
    either is not a valid URL."""
    try:
        first, second = urlsplit(url), urlsplit(other)
        return (first.hostname or "").lower() == (second.hostname or "").lower() and (
            (first.port in (None, 80, 443) and second.port in (None, 80, 443)) or first.port == second.port
        )
    except ValueError:
        return False


def release_id(source_id: str, url: str) -> str:
    """A stable id for a release: hash of the source id and the canonical path and query."""
    parts = urlsplit(canonical_url(url))
    key = f"{source_id}\n{parts.path}?{parts.query}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


def keyed_release_id(source_id: str, key: str) -> str:
    """A stable id for a release an API identifies itself (e.g. GOV.UK ``content_id`` + locale)."""
    return hashlib.sha256(f"{source_id}\nkey:{key}".encode()).hexdigest()[:20]
