"""The general extractor for detail pages nobody wrote a ``body`` selector for: trafilatura for the text
(the field's reference extractor) and htmldate for the date, so an unconfigured page still yields clean
text. Slower and less exact than a site's own selectors (see tests/benchmarks/results/extract.json), so
used only when a source names no ``body``. Pure: works on the saved HTML."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import htmldate
import trafilatura

from pressroom.connectors.normalise import clean_inline, parse_date

VERSION = f"trafilatura-{trafilatura.__version__ if hasattr(trafilatura, '__version__') else '2'}"
for _noisy in ("trafilatura", "htmldate"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)


def general_body(html: str, *, title: str = "") -> str:
    """The main text of a page, paragraphs joined by a blank line; the title line is not repeated."""
    text = trafilatura.extract(html, favor_precision=True, include_comments=False, include_tables=True,
                               deduplicate=False) or ""
    paragraphs = [clean_inline(line) for line in text.splitlines()]
    paragraphs = [p for p in paragraphs if p]
    if paragraphs and title and clean_inline(paragraphs[0]) == clean_inline(title):
        paragraphs = paragraphs[1:]
    return "\n\n".join(paragraphs)


def general_date(html: str, *, zone: ZoneInfo) -> datetime | None:
    """The page's original publication date as htmldate finds it (metadata first, then the text)."""
    try:
        found = htmldate.find_date(html, original_date=True, outputformat="%Y-%m-%dT%H:%M:%S%z",
                                   extensive_search=True)
    except (ValueError, TypeError):
        return None
    return parse_date(found, zone=zone) if found else None
