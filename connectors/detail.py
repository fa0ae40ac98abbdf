"""Reading one saved detail page (a full HTML page) with CSS selectors: the html kind's rules, also used
by feeds whose items carry no full text.

Pure: works on a :class:`RawPage` alone, so it re-runs over ``raw_pages`` without the network.
A PDF is read by :func:`connectors.pdf.parse_pdf` (a release of ``format='pdf'``). Anything else that
is not an HTML page (a Word file, an image) is an *attachment*: it is kept in ``raw_pages`` and reported as
``ParseFailure(reason="attachment")``, a skip (a listing link that is not a release), never parsed.

An HTML page's ``<link rel="canonical">`` on the page's own host is the release's URL (and so its id):
the same release reached by two addresses is one release. A canonical link to another host is ignored.
PDF links in the body are kept as the release's ``attachments``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup, Tag

from pressroom.connectors.charset import trusted_encoding
from pressroom.connectors.extract import drop_leading
from pressroom.connectors.failures import Permanent, Skip
from pressroom.connectors.general import VERSION as GENERAL
from pressroom.connectors.general import general_body, general_date
from pressroom.connectors.model import ParseFailure, RawPage, Release
from pressroom.connectors.normalise import (
    absolute_url,
    clean_inline,
    clean_url,
    extract_text,
    parse_date,
    release_id,
    remove_furniture,
    same_site,
)
from pressroom.connectors.pdf import is_pdf, parse_pdf

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", ""})


@dataclass(frozen=True, slots=True)
class DetailRules:
    """Selectors for a detail page. ``body`` selectors are tried in order; the first that matches is
    the body; none at all means the general extractor (:mod:`connectors.general`). ``encoding`` (a codec
    name) overrides the page's own, however it was labelled."""

    title: str = "h1"
    published: str | None = None
    body: tuple[str, ...] = ("article", "main", "body")
    drop: tuple[str, ...] = ()
    drop_leading: tuple[re.Pattern[str], ...] = ()
    date_format: str | None = None
    encoding: str | None = None


@dataclass(frozen=True, slots=True)
class Origin:
    """Who the page belongs to: the source's id, language and timezone, and the extractor's name."""

    source_id: str
    language: str
    zone: ZoneInfo
    extractor: str


def attachment(raw: RawPage) -> ParseFailure | None:
    """The failure to report for a page that is not HTML, or ``None`` for an HTML page."""
    if raw.content_type in HTML_TYPES:
        return None
    return ParseFailure(
        raw.source_id, raw.url, Skip.ATTACHMENT, f"content type {raw.content_type!r}, {len(raw.content)} bytes"
    )


def date_text(element: Tag) -> str:
    """A ``datetime``/``content`` attribute when the element has one, else its text."""
    for attribute in ("datetime", "content"):
        value = element.get(attribute)
        if isinstance(value, str) and value.strip():
            return value
    return element.get_text(" ")


def parse_detail(raw: RawPage, rules: DetailRules, origin: Origin) -> Release | ParseFailure:
    """A release from a saved detail page (or a saved PDF), or the reason it is not one."""
    if is_pdf(raw):
        return parse_pdf(raw, origin)
    failure = attachment(raw)
    if failure is not None:
        return failure
    encoding = rules.encoding or trusted_encoding(raw.content, raw.encoding or "utf-8")
    soup = BeautifulSoup(raw.content, "lxml", from_encoding=encoding)
    title_element = soup.select_one(rules.title)
    title = clean_inline(title_element.get_text(" ")) if title_element is not None else ""
    title = title or (raw.listed_title or "")
    published_at = None
    if rules.published:
        element = soup.select_one(rules.published)
        if element is not None:
            published_at = parse_date(date_text(element), zone=origin.zone, date_format=rules.date_format)
    published_at = published_at or raw.listed_at
    if not rules.body:
        return _general(raw, soup, title, published_at, rules, origin)
    body_element = _first(soup, rules.body)
    if body_element is None:
        wanted = ", ".join(rules.body)
        return ParseFailure(origin.source_id, raw.url, Permanent.NO_BODY, f"selector {wanted!r} matched nothing")
    attachments = pdf_links(body_element, base=raw.final_url or raw.url)
    remove_furniture(body_element, rules.drop)
    if title_element is not None and any(parent is body_element for parent in title_element.parents):
        title_element.decompose()
    body = extract_text(body_element)
    if rules.drop_leading and body:
        body = "\n\n".join(drop_leading(body.split("\n\n"), rules.drop_leading))
    if not body:
        return ParseFailure(origin.source_id, raw.url, Permanent.EMPTY_BODY, f"body {body_element.name!r} has no text")
    url = canonical_link(soup, raw) or raw.url
    return Release(
        release_id=release_id(origin.source_id, url),
        source_id=origin.source_id,
        url=url,
        title=title,
        published_at=published_at,
        body_text=body,
        language=origin.language,
        extractor=origin.extractor,
        attachments=attachments,
    )


def _general(raw: RawPage, soup: BeautifulSoup, title: str, published_at: datetime | None, rules: DetailRules,
             origin: Origin) -> Release | ParseFailure:
    """No ``body`` selector: the general extractor (trafilatura, htmldate for a date nobody else gave)."""
    html = raw.content.decode(rules.encoding or trusted_encoding(raw.content, raw.encoding or "utf-8"),
                              errors="replace")
    body = general_body(html, title=title)
    if rules.drop_leading and body:
        body = "\n\n".join(drop_leading(body.split("\n\n"), rules.drop_leading))
    if not body:
        return ParseFailure(origin.source_id, raw.url, Permanent.EMPTY_BODY, "the general extractor found no main text")
    url = canonical_link(soup, raw) or raw.url
    main = soup.select_one("article, main, body")
    return Release(
        release_id=release_id(origin.source_id, url),
        source_id=origin.source_id,
        url=url,
        title=title,
        published_at=published_at or general_date(html, zone=origin.zone),
        body_text=body,
        language=origin.language,
        extractor=f"{origin.extractor}+{GENERAL}",
        attachments=pdf_links(main, base=raw.final_url or raw.url) if main is not None else (),
    )


def canonical_link(soup: BeautifulSoup, raw: RawPage) -> str | None:
    """The page's ``<link rel="canonical">`` when it is on the page's own host, cleaned; else None."""
    for link in soup.select("link[rel][href]"):
        rel = link.get("rel")
        rels = rel if isinstance(rel, list) else str(rel).split()
        href = link.get("href")
        if "canonical" in [value.lower() for value in rels] and isinstance(href, str) and href.strip():
            target = absolute_url(raw.final_url or raw.url, href)
            if target is not None and urlsplit(target).scheme in ("http", "https") and same_site(target, raw.url):
                return clean_url(target)
            return None
    return None


def pdf_links(root: Tag, *, base: str) -> tuple[str, ...]:
    """Absolute URLs of the PDF files ``root`` links to, in document order, each once."""
    found: dict[str, None] = {}
    for anchor in root.select("a[href]"):
        href = anchor.get("href")
        if not isinstance(href, str):
            continue
        url = absolute_url(base, href)
        if url is None:
            continue
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.path.lower().endswith(".pdf"):
            found.setdefault(clean_url(url), None)
    return tuple(found)


def _first(soup: BeautifulSoup, selectors: Sequence[str]) -> Tag | None:
    for selector in selectors:
        element = soup.select_one(selector)
        if element is not None:
            return element
    return None
