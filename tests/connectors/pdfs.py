"""Minimal PDFs written byte by byte for the tests (no download, no PDF library at run time).

``text_pdf`` has a real text layer (Helvetica, one ``Tj`` per line, a blank line between paragraphs);
``scanned_pdf`` has a page that is only a filled rectangle, as a scan without OCR has only an image.
"""

from __future__ import annotations


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _document(content: bytes, *, title: str | None = None) -> bytes:
    info = f"<< /Title ({_escape(title)}) >>".encode() if title else b"<< >>"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        info,
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def text_pdf(paragraphs: list[list[str]], *, title: str | None = None) -> bytes:
    """A one-page PDF whose text layer holds ``paragraphs`` (each a list of lines), a blank line between."""
    lines: list[str] = []
    for paragraph in paragraphs:
        lines.extend(paragraph)
        lines.append("")
    ops = ["BT", "/F1 11 Tf", "14 TL", "72 740 Td"]
    for line in lines:
        ops.append(f"({_escape(line)}) Tj T*" if line else "T*")
    ops.append("ET")
    return _document("\n".join(ops).encode("cp1252"), title=title)


def scanned_pdf() -> bytes:
    """A page with no text at all: a grey rectangle where a scan's image would be."""
    return _document(b"0.5 g 72 72 468 648 re f")
