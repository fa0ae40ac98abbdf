"""Shared fixtures for the expectations tests: paths, the seed text, and the State Department corpus."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SEED = FIXTURES / "text" / "seed-press-release.txt"
STATE_DEPT = FIXTURES / "state-dept" / "press-releases-2021.jsonl"
BLOCKS = ["p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"]


def release_text(html: str) -> str:
    """Body text as the measurement protocol defines it: `<input>` dropped, the text of each innermost
    block element (p, li, h1–h6, blockquote) with whitespace collapsed, joined by blank lines."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all("input"):
        tag.decompose()
    blocks = (" ".join(block.get_text().split()) for block in soup.find_all(BLOCKS) if not block.find(BLOCKS))
    return "\n\n".join(block for block in blocks if block)


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def state_dept_releases() -> list[dict[str, str]]:
    """The 587 releases as dicts with `guid`, `title` and extracted `text`."""
    releases = []
    with STATE_DEPT.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            title = re.sub(r"\s+", " ", record["title"]).strip()
            releases.append({"guid": record["guid"], "title": title, "text": release_text(record["content_html"])})
    return releases
