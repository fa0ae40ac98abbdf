"""Decide the text encoding of a fetched body.

Order of evidence (first usable one wins):

1. a byte-order mark (WHATWG "BOM sniffing": a BOM overrides every label);
2. ``charset=`` in the ``Content-Type`` header;
3. ``<meta charset=…>`` / ``<meta http-equiv="Content-Type" content="…; charset=…">`` or an XML
   declaration's ``encoding=`` within the first :data:`SNIFF_BYTES` bytes;
4. ``charset_normalizer`` detection, only for textual media types (running it over a 20 MB PDF buys
   nothing);
5. ``utf-8``.

requests' ISO-8859-1 default for ``text/*`` (RFC 2616) is never used. A label Python does not know
falls through to the next rule. Known labels are widened to the superset browsers actually decode
with (WHATWG Encoding Standard, "labels"): ISO-8859-1/US-ASCII are decoded as windows-1252, GB2312/GBK
as GB18030, and so on, because pages that declare the narrow charset routinely contain the wider
one's characters (e.g. curly quotes 0x93/0x94 in a "latin-1" page, GBK-only ideographs on Chinese
government sites labelled GB2312). Returned names are ``codecs.lookup(...).name``.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

__all__ = ["SNIFF_BYTES", "decide_encoding", "header_charset", "markup_charset", "media_type", "trusted_encoding"]

SNIFF_BYTES = 4096
"""How far into the body ``<meta>`` / XML declarations are looked for (HTML spec prescans 1024;
real pages put long ``<head>`` scripts first, so we look further)."""

_FALLBACK = "utf-8"

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# codecs.lookup() name of a declared label -> name of the superset to decode with (WHATWG mapping).
_SUPERSETS: dict[str, str] = {
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "big5": "big5hkscs",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
}

_META_RE = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""",
    re.IGNORECASE,
)
_XML_DECL_RE = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)["']""")

_TEXTUAL_SUFFIXES = ("xml", "json", "javascript", "html")


def media_type(content_type: str) -> str:
    """``"Text/HTML; charset=x"`` -> ``"text/html"``; ``""`` when the header is empty."""
    return content_type.split(";", 1)[0].strip().lower()


def header_charset(content_type: str) -> str | None:
    """The raw ``charset`` parameter of a Content-Type header value, unquoted, or None."""
    for param in content_type.split(";")[1:]:
        name, sep, value = param.partition("=")
        if sep and name.strip().lower() == "charset":
            value = value.strip().strip("\"'").strip()
            return value or None
    return None


def markup_charset(content: bytes) -> str | None:
    """The charset declared by ``<meta>`` or an XML declaration in the first :data:`SNIFF_BYTES` bytes."""
    head = content[:SNIFF_BYTES]
    match = _XML_DECL_RE.search(head) or _META_RE.search(head)
    return match.group(1).decode("ascii") if match else None


def _normalise(label: str | None) -> str | None:
    """Codec name to decode a declared label with, or None if Python does not know the label."""
    if not label:
        return None
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def _is_textual(mtype: str) -> bool:
    return mtype == "" or mtype.startswith("text/") or mtype.endswith(_TEXTUAL_SUFFIXES)


def _detect(content: bytes) -> str | None:
    """Best ``charset_normalizer`` guess, skipping UTF-16/32 (without a BOM they are a misdetection of
    short single-byte text, and no web page is served that way)."""
    for match in charset_normalizer.from_bytes(content):
        if match.encoding == "ascii":
            return _FALLBACK
        if not match.encoding.startswith(("utf_16", "utf_32")):
            try:
                return codecs.lookup(match.encoding).name
            except LookupError:
                continue
    return None


def decide_encoding(content: bytes, content_type: str) -> str:
    """Codec name (``codecs.lookup(...).name``) to decode ``content`` with; never raises.

    ``content_type`` is the raw Content-Type header value ("" if absent).
    """
    for bom, name in _BOMS:
        if content.startswith(bom):
            return name
    declared = _normalise(header_charset(content_type)) or _normalise(markup_charset(content))
    if declared:
        return declared
    if content and _is_textual(media_type(content_type)):
        detected = _detect(content)
        if detected:
            return detected
    return _FALLBACK


def trusted_encoding(content: bytes, declared: str) -> str:
    """``declared`` unless the bytes contradict it (sites such as China's MFA mislabel pages).

    Bytes with non-ASCII characters that decode strictly as UTF-8 are UTF-8 whatever the label says
    (text in a legacy single- or double-byte encoding is almost never valid UTF-8 by chance); a label
    that cannot decode the bytes at all gives way to detection. Never raises.
    """
    if not content or content.isascii():
        return declared
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8-sig" if content.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        content.decode(declared)
    except (UnicodeDecodeError, LookupError):
        return _detect(content) or declared
    return declared
