"""Releases published as PDF: the text layer read with pypdf, title and date from the listing.

Pure: works on a saved :class:`RawPage`. A PDF without a text layer (a scan) is a skip with reason
``pdf-no-text``; a file pypdf cannot read is a ``bad-pdf`` parse failure (a truncated download is retried
by the next run). pypdf was chosen over pdfminer.six: on the text-layer PDFs ministries publish both
give the same words, pypdf is pure Python with no further dependency and is several times faster.

Paragraphs: pypdf returns the text line by line. Lines are joined into paragraphs; a paragraph ends at a
blank line, or after a line that ends a sentence and is clearly shorter than the page's full lines
(:data:`SHORT_LINE` of the longest line), which is how justified body text ends its paragraphs. A word
hyphenated across lines ("minis-/try") is joined.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pypdf
from pypdf.errors import PyPdfError

from pressroom.connectors.failures import Retryable, Skip
from pressroom.connectors.model import ParseFailure, RawPage, Release
from pressroom.connectors.normalise import clean_inline, release_id

if TYPE_CHECKING:
    from pressroom.connectors.detail import Origin

PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
EXTRACTOR = f"pdf/pypdf-{pypdf.__version__}"
#: A line shorter than this share of the longest line, ending a sentence, ends its paragraph.
SHORT_LINE = 0.8
_SENTENCE_END = re.compile(r"[.!?:;\"”’)]$")
_HYPHENATED = re.compile(r"[a-zà-ÿ]-$")


def is_pdf(raw: RawPage) -> bool:
    """Served as a PDF, or a PDF whatever its label (``%PDF-`` first: octet-stream is common)."""
    return raw.content_type in PDF_TYPES or raw.content[:5] == b"%PDF-"


def pdf_paragraphs(text: str) -> list[str]:
    """Paragraphs of a PDF page's extracted text (see the module docstring)."""
    lines = [clean_inline(line) for line in text.splitlines()]
    longest = max((len(line) for line in lines), default=0)
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        if not line:
            if current:
                paragraphs.append(current)
            current = ""
            continue
        if current and _HYPHENATED.search(current) and line[:1].islower():
            current = current[:-1] + line
        else:
            current = f"{current} {line}" if current else line
        if _SENTENCE_END.search(line) and len(line) < SHORT_LINE * longest:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs


def pdf_text(content: bytes) -> tuple[str, str | None, datetime | None]:
    """``(body, document title, creation date)`` of a PDF; raises PyPdfError/ValueError on a broken file."""
    reader = pypdf.PdfReader(io.BytesIO(content), strict=False)
    paragraphs: list[str] = []
    for page in reader.pages:
        paragraphs.extend(pdf_paragraphs(page.extract_text() or ""))
    metadata = reader.metadata
    title = clean_inline(metadata.title) if metadata is not None and metadata.title else None
    created = metadata.creation_date if metadata is not None else None
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return "\n\n".join(paragraphs), title or None, created


def parse_pdf(raw: RawPage, origin: Origin) -> Release | ParseFailure:
    """A release from a saved PDF: its text, the listing's title and date (the document's own title
    and creation date only when the listing gave none), ``format='pdf'``."""
    try:
        body, title, created = pdf_text(raw.content)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as error:
        return ParseFailure(origin.source_id, raw.url, Retryable.BAD_PDF, f"{type(error).__name__}: {error}"[:300])
    if not body.strip():
        return ParseFailure(origin.source_id, raw.url, Skip.PDF_NO_TEXT, f"no text layer in {len(raw.content)} bytes")
    first_line = body.split("\n\n", 1)[0]
    return Release(
        release_id=release_id(origin.source_id, raw.url),
        source_id=origin.source_id,
        url=raw.url,
        title=raw.listed_title or title or first_line[:200],
        published_at=raw.listed_at or created,
        body_text=body,
        language=origin.language,
        extractor=EXTRACTOR,
        format="pdf",
    )
