"""`markup-remnant`: HTML, entities or script text left in what should be plain text.

Reason shapes, all `error` (an extractor failure a reader would see verbatim):

* A tag of a known HTML element ("<p>", "</div>", "<br/>", '<a href="…">'), an HTML comment or
  conditional comment ("<!-- … -->", "<!--[if gte mso 9]>"), or a CDATA section. Only element names
  from `HTML_ELEMENTS` count, so "<5 %", "<info@mofa.gov.pk>" and "<Name>" placeholders stay quiet.
* A character reference that should have been decoded: a named entity that HTML defines ("&amp;",
  "&nbsp;", "&rsquo;"), also without its semicolon for the common ones ("&nbsp "), a numeric one
  ("&#8217;", "&#x2019;"), and doubly escaped chains ("&amp;amp;", "&amp;quot;") as one finding. "AT&T",
  "R&D" and "&" between spaces are text.
* A WordPress shortcode ("[caption id="attachment_5512" …]", "[/caption]", "[embed]"); editorial
  brackets ("[sic]", "[the Minister]") have no "key=value" and no known shortcode name.
* Script or style text: JavaScript statements ("function(){", "var _gaq = …", "document.getElementById",
  "window.dataLayer", "gtag(", "$(document)") and CSS rules ("{ display: none; }", "@media screen").

Each regex is applied once over the text, so the check is linear.
"""

from __future__ import annotations

import re
from html.entities import html5

from pressroom.expectations.checks.base import Check
from pressroom.expectations.findings import Finding
from pressroom.expectations.text import word_set

HTML_ELEMENTS: frozenset[str] = word_set(
    """
    a abbr address article aside audio b blockquote body br button canvas caption center cite code col
    colgroup dd del details div dl dt em embed fieldset figcaption figure font footer form h1 h2 h3 h4 h5 h6
    head header hr html i iframe img input ins label legend li link main mark meta nav noscript object ol
    optgroup option p param picture pre q s script section select small source span strike strong style sub
    summary sup svg table tbody td template textarea tfoot th thead time title tr track u ul video wbr
    """
)
"""Element names whose tags are reported; anything else in angle brackets may be ordinary text."""

_TAG_RE = re.compile(
    r"<!--.*?(?:-->|$)|<!\[CDATA\[|</?(?P<name>[A-Za-z][A-Za-z0-9]{0,10})(?:\s[^<>]{0,300})?/?>",
    re.DOTALL,
)
_SHORTCODE_RE = re.compile(
    r"\[/?(?:caption|embed|gallery|video|audio|playlist|wp_\w+|vc_\w+|et_pb_\w+|fusion_\w+|su_\w+)\b[^\[\]\n]{0,300}\]"
    r"|\[[a-z][\w-]{0,30}(?:\s+[\w-]+=(?:\"[^\"\]\n]*\"|'[^'\]\n]*'|[^\s\]]+))+\s*/?\]"
)
"""WordPress shortcodes: "[caption id=…]", "[/caption]", "[embed]", or any "[name key="value"]"."""
_ENTITY_RE = re.compile(
    r"&(?:amp;)*(?:#[0-9]{1,7};?|#[xX][0-9A-Fa-f]{1,6};?|(?P<name>[A-Za-z][A-Za-z0-9]{1,31})(?P<semi>;)?)"
)
_BARE_ENTITIES = frozenset(
    {"amp", "nbsp", "quot", "lt", "gt", "rsquo", "lsquo", "rdquo", "ldquo", "mdash", "ndash", "hellip"}
)
_SCRIPT_RES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("function", re.compile(r"\bfunction\s*[\w$]*\s*\([^()\n]{0,80}\)\s*\{")),
    ("=", re.compile(r"\b(?:var|let|const)\s+[A-Za-z_$][\w$]*\s*=[^=]")),
    ("document.", re.compile(r"\bdocument\.[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\s*[(=.]")),
    ("window.", re.compile(r"\bwindow\.[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\s*[(=.]")),
    ("gtag", re.compile(r"\bgtag\s*\(")),
    ("dataLayer", re.compile(r"\bdataLayer\b")),
    ("$(", re.compile(r"\$\(\s*(?:document|window|['\"])")),
    ("{", re.compile(r"(?:^|[\s}])[.#]?[A-Za-z][\w-]*\s*\{\s*[a-z-]+\s*:\s*[^{};\n]{1,80};[^{}\n]{0,200}\}")),
    ("@media", re.compile(r"@media\s[^{\n]{0,80}\{")),
)
"""Script and style patterns, each with a substring that must occur for the pattern to be tried."""


class MarkupRemnant(Check):
    """Report HTML tags, undecoded character references and script text (see the module docstring)."""

    id = "markup-remnant"
    default_severity = "error"

    def find(self, text: str) -> list[Finding]:
        findings: list[Finding] = []
        if "<" in text:
            for match in _TAG_RE.finditer(text):
                name = match.group("name")
                if name is not None and name.casefold() not in HTML_ELEMENTS:
                    continue
                findings.append(self.finding(text, match.start(), match.end(), f"HTML markup {_show(match.group())}"))
        if "[" in text:
            for match in _SHORTCODE_RE.finditer(text):
                findings.append(self.finding(text, match.start(), match.end(), f"shortcode {_show(match.group())}"))
        if "&" in text:
            for match in _ENTITY_RE.finditer(text):
                if not _is_reference(match):
                    continue
                message = f"undecoded character reference {_show(match.group())}"
                findings.append(self.finding(text, match.start(), match.end(), message))
        for trigger, pattern in _SCRIPT_RES:
            if trigger not in text:
                continue
            for match in pattern.finditer(text):
                start = match.start() + (len(match.group()) - len(match.group().lstrip()))
                message = f"script or style text {_show(text[start : match.end()])}"
                findings.append(self.finding(text, start, match.end(), message))
        return sorted(findings, key=lambda finding: (finding.start, finding.end))


def _is_reference(match: re.Match[str]) -> bool:
    """Whether an `&…` match is an HTML character reference rather than text such as "AT&T"."""
    name = match.group("name")
    if name is None or match.group().startswith("&amp;"):
        return True
    if match.group("semi"):
        return name + ";" in html5
    return name in _BARE_ENTITIES and not match.string[match.end() : match.end() + 1].isalnum()


def _show(excerpt: str, limit: int = 50) -> str:
    excerpt = " ".join(excerpt.split())
    return '"' + (excerpt if len(excerpt) <= limit else excerpt[: limit - 1] + "…") + '"'
