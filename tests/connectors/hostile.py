"""Hostile input as Hypothesis strategies (issue 17): random and broken HTML, bytes declared as UTF-8,
markup nested thousands deep, huge attributes, feed items with missing or broken fields and WordPress
posts whose fields have the wrong JSON types. Used by the parser properties here and by the CLI runs of
``tests/flows/test_hostile_input.py``."""

from __future__ import annotations

import json

from hypothesis import strategies as st

# --- hostile pages ---------------------------------------------------------------------------------------

#: Tags that come back as elements (some block, some inline, some furniture) and attribute names.
TAGS = ("div", "p", "span", "b", "table", "td", "li", "ul", "script", "style", "a", "br", "h1", "time", "svg")
ATTRS = ("class", "id", "href", "style", "hidden", "datetime", "rel", "charset", "content")


@st.composite
def broken_markup(draw: st.DrawFn, depth: int = 0) -> str:
    """Markup with unclosed, misnested and stray tags, entities, comments and odd attributes."""
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.integers(0, 6))
        if kind == 0:
            parts.append(draw(st.text(max_size=30)))
        elif kind == 1 and depth < 3:
            tag = draw(st.sampled_from(TAGS))
            attrs = "".join(f' {draw(st.sampled_from(ATTRS))}="{draw(st.text(max_size=10))}"'
                            for _ in range(draw(st.integers(0, 2))))
            close = draw(st.sampled_from(("", f"</{tag}>", "</div>", "</p></b>")))
            parts.append(f"<{tag}{attrs}>{draw(broken_markup(depth + 1))}{close}")
        elif kind == 2:
            parts.append(draw(st.sampled_from(("&amp;", "&#0;", "&#x110000;", "&nbsp", "&#55296;", "&bogus;"))))
        elif kind == 3:
            parts.append(draw(st.sampled_from(("<!--", "-->", "<![CDATA[", "]]>", "<?xml?>", "<!DOCTYPE", "</", "<"))))
        elif kind == 4:
            parts.append('<div class="body">')
        elif kind == 5:
            parts.append('<time class="published" datetime="' + draw(st.text(max_size=25)) + '">')
        else:
            parts.append('<link rel="canonical" href="' + draw(st.sampled_from(
                ("http://[::1", "http://127.0.0.1:99999/x", "javascript:x", "//", "/other", ""))) + '">')
    return "".join(parts)


def nested(tag: str, depth: int, text: str = "deep text") -> bytes:
    return f'<html><body><h1>Deep</h1><div class="body">{f"<{tag}>" * depth}{text}{f"</{tag}>" * depth}</div>'.encode()


def huge_attribute(size: int) -> bytes:
    return (f'<html><body><h1 title="{"a" * size}">Huge</h1><div class="body" data-x="{"&amp;" * (size // 5)}">'
            f'<p class="{"c " * (size // 2)}">text</p></div></body></html>').encode()


HTML = "text/html; charset=utf-8"
#: A hostile detail page: ``(body, content type)``.
hostile_pages = st.one_of(
    st.tuples(st.binary(max_size=2_000), st.just(HTML)),  # random bytes declared as UTF-8 HTML
    st.tuples(broken_markup().map(lambda m: m.encode("utf-8", "surrogatepass")), st.just(HTML)),
    st.tuples(st.builds(nested, st.sampled_from(("div", "span", "table", "b")),
                        st.sampled_from((300, 3_000, 8_000))), st.just(HTML)),
    st.tuples(st.sampled_from((10_000, 300_000)).map(huge_attribute), st.just(HTML)),
    st.tuples(st.binary(max_size=300),
              st.sampled_from(("text/html; charset=utf-16", "text/html; charset=bogus", "application/pdf",
                               "application/octet-stream", "text/html; charset=\x00", "", "text/xml"))),
)

# --- hostile feed items and WordPress posts ------------------------------------------------------------

junk_text = st.one_of(st.text(max_size=20), st.sampled_from(("", " ", "\x00", "<![CDATA[", "]]>", "&#0;", "\ufffe")))


@st.composite
def hostile_item(draw: st.DrawFn, url: str) -> str:
    """An ``<item>`` with ``url`` as its link and every other field missing, empty or broken."""
    fields = [f"<link>{url}</link>"]
    if draw(st.booleans()):
        fields.append(f"<title>{draw(junk_text)}</title>")
    date = draw(st.sampled_from((None, "", "not a date", "Tue, 05 Mar 2024 10:00:00 +9999", "Feb 30 2024",
                                 "9999-99-99", "Tue, 31 Dec 9999 23:59:59 -2400", "2024-03-05")))
    if date is not None:
        fields.append(f"<pubDate>{date}</pubDate>")
    content = draw(st.one_of(st.none(), broken_markup(), junk_text))
    if content is not None:
        fields.append(f"<content:encoded><![CDATA[{content}]]></content:encoded>")
    if draw(st.booleans()):
        fields.append(draw(st.sampled_from(("<dc:date>x</dc:date>", "<item>", "</channel>", "<guid/>", "\x01"))))
    return "<item>" + "".join(draw(st.permutations(fields))) + "</item>"


#: A JSON value of the wrong type (or of a type no WordPress field has).
wrong_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(("rendered", "protected", "x")),
                                                               inner, max_size=3),
    max_leaves=6,
)


@st.composite
def hostile_post(draw: st.DrawFn, url: str) -> str:
    """A post whose ``link`` is ``url`` and whose other fields have wrong types or are missing."""
    post: dict[str, object] = {"link": url}
    for key in ("id", "title", "content", "date_gmt", "date", "_embedded", "slug"):
        if draw(st.booleans()):
            post[key] = draw(wrong_json)
    if draw(st.booleans()):
        post["content"] = {"rendered": draw(broken_markup()), "protected": draw(wrong_json)}
    text = json.dumps(post)
    if draw(st.booleans()):  # a lone surrogate, valid JSON that is not valid Unicode
        text = text.replace('"link"', '"title": "\\ud800 broken", "link"', 1)
    return text
