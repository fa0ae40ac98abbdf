"""The lxml fragment extractor: entities, furniture, bylines; and its agreement with the bs4 one."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bs4 import BeautifulSoup

from pressroom.connectors.extract import drop_leading, fragment_text, split_byline
from pressroom.connectors.normalise import extract_text, remove_furniture
from pressroom.connectors.source import alternatives

RELEASES = Path(__file__).resolve().parents[1] / "fixtures" / "state-dept" / "press-releases-2021.jsonl"


def test_entities_hidden_inputs_and_stray_bold() -> None:
    markup = ("<p>Office of the Spokesperson</p>\n<p>The Secretary&#8217;s visit &#8211; a success.</p>"
              "<p>Rocio,<b> </b>in recognition</p><p>&nbsp;</p><p><input type=\"hidden\" data-filter=\"1110\" /></p>"
              "<p style=\"display: none\">hidden</p><script>x()</script><!-- c --><p>A<br>B</p>")
    extracted = fragment_text(markup, byline="leading-speaker")
    assert extracted.byline == "Office of the Spokesperson"
    assert extracted.body == "The Secretary’s visit – a success.\n\nRocio, in recognition\n\nA\n\nB"
    assert fragment_text(markup).byline is None


def test_byline_from_the_creator_spans_several_paragraphs() -> None:
    paragraphs = ["Antony J. Blinken, Secretary of State", "French Foreign Minister Jean-Yves Le Drian", "Paris"]
    creator = "Antony J. Blinken, Secretary of State, French Foreign Minister Jean-Yves Le Drian"
    assert split_byline(paragraphs, creator=creator) == (creator, ["Paris"])
    assert split_byline(["Geneva, Switzerland", "Text."], creator=None) == (None, ["Geneva, Switzerland", "Text."])
    assert split_byline(["Ned Price, Department Spokesperson", "Text."], creator=None)[0] == (
        "Ned Price, Department Spokesperson")


def test_drop_leading() -> None:
    patterns = [re.compile("rush transcript", re.I)]
    assert drop_leading(["(This is a RUSH TRANSCRIPT.)", "Text", "rush transcript"], patterns) == [
        "Text", "rush transcript"]


def test_alternatives_split_only_top_level_commas() -> None:
    assert alternatives(".a, :is(b, c), [title='x,y'] p") == (".a", ":is(b, c)", "[title='x,y'] p")


def test_agrees_with_the_beautifulsoup_extractor_on_real_releases() -> None:
    with RELEASES.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle][:150]
    for row in rows:
        soup = BeautifulSoup(row["content_html"], "lxml")
        root = soup.body or soup
        remove_furniture(root)
        assert fragment_text(row["content_html"]).body == extract_text(root), row["link"]
