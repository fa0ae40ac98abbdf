"""Benchmark (make bench): our fragment extraction against trafilatura on the 587 real State Department
releases (tests/fixtures/state-dept/press-releases-2021.jsonl, field content_html), in the same run.

Speed: pages per second for each (best of a few rounds; one warm-up round each), and the ratio.
Goal: ours ≥ 2× trafilatura.

Cleanliness, measured for both on every release against a *reference* built from the source HTML
independently of either extractor: the text of every ``<p>``, ``<li>``, ``<h1-6>`` and ``<td>``
(whitespace collapsed), without the leading speaker paragraphs that repeat the feed's ``dc:creator``
(furniture: it is the byline, not the release).

- furniture-free: share of releases whose body neither starts with the speaker line nor contains
  markup leftovers (``data-filter``, ``&#8217;``, ``&nbsp;``, ``<``);
- all-paragraphs: share of releases where every reference paragraph appears in the body;
- char recall / precision: word-multiset overlap with the reference (recall = reference words kept,
  precision = extracted words that belong to the reference), summed over the corpus.
"""

from __future__ import annotations

import json
import platform
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from pressroom.connectors.extract import clean_text, fragment_text, split_byline

HERE = Path(__file__).resolve().parent
RELEASES = HERE.parent / "fixtures" / "state-dept" / "press-releases-2021.jsonl"
RESULTS = HERE / "results" / "extract.json"
BLOCKS = etree.XPath("//p | //li | //h1 | //h2 | //h3 | //h4 | //h5 | //h6 | //td")
LEFTOVERS = ("data-filter", "&#8217;", "&nbsp;", "<")


def load() -> list[dict[str, str]]:
    with RELEASES.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def reference(row: dict[str, str]) -> tuple[str | None, list[str]]:
    root = etree.fromstring(f"<html><body>{row['content_html']}</body></html>", etree.HTMLParser())
    paragraphs = [text for text in (clean_text("".join(el.itertext())) for el in BLOCKS(root)) if text]
    return split_byline(paragraphs, creator=row["creator"])


def ours(row: dict[str, str]) -> str:
    return fragment_text(row["content_html"], byline="leading-speaker", creator=row["creator"]).body


def trafilatura_body(row: dict[str, str]) -> str:
    import trafilatura

    return trafilatura.extract(row["content_html"]) or ""


def rate(extract: Callable[[dict[str, str]], str], rows: list[dict[str, str]], rounds: int) -> tuple[float, list[str]]:
    bodies = [extract(row) for row in rows]  # warm-up (imports, caches)
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for row in rows:
            extract(row)
        best = min(best, time.perf_counter() - start)
    return len(rows) / best, bodies


def quality(rows: list[dict[str, str]], bodies: list[str]) -> dict[str, float]:
    clean = complete = 0
    kept = ref_total = relevant = ext_total = 0
    for row, body in zip(rows, bodies, strict=True):
        byline, paragraphs = reference(row)
        flat = clean_text(body)
        if not (byline and flat.startswith(byline)) and not any(mark in body for mark in LEFTOVERS):
            clean += 1
        if all(paragraph in flat for paragraph in paragraphs):
            complete += 1
        ref_words, ext_words = Counter(" ".join(paragraphs).split()), Counter(flat.split())
        overlap = sum((ref_words & ext_words).values())
        kept += overlap
        relevant += overlap
        ref_total += sum(ref_words.values())
        ext_total += sum(ext_words.values())
    return {
        "furniture_free": clean / len(rows),
        "all_paragraphs": complete / len(rows),
        "char_recall": kept / ref_total,
        "char_precision": relevant / ext_total if ext_total else 0.0,
    }


def test_extraction_speed_and_cleanliness_against_trafilatura() -> None:
    import trafilatura

    rows = load()
    assert len(rows) == 587
    ours_rate, ours_bodies = rate(ours, rows, rounds=5)
    theirs_rate, theirs_bodies = rate(trafilatura_body, rows, rounds=2)
    ours_quality, theirs_quality = quality(rows, ours_bodies), quality(rows, theirs_bodies)
    ratio = ours_rate / theirs_rate
    print()
    print(f"{'extractor':<24}{'pages/s':>10}{'furniture-free':>16}{'all <p> kept':>14}{'recall':>9}{'precision':>11}")
    for name, speed, measured in (("pressroom (lxml)", ours_rate, ours_quality),
                                  (f"trafilatura {trafilatura.__version__}", theirs_rate, theirs_quality)):
        print(f"{name:<24}{speed:>10.0f}{measured['furniture_free']:>16.1%}{measured['all_paragraphs']:>14.1%}"
              f"{measured['char_recall']:>9.3f}{measured['char_precision']:>11.3f}")
    print(f"speed ratio: {ratio:.2f}x (goal >= 2x) on {len(rows)} real releases")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({
        "pages": len(rows), "machine": platform.machine(), "python": platform.python_version(),
        "pressroom": {"pages_per_s": round(ours_rate, 1), **{k: round(v, 4) for k, v in ours_quality.items()}},
        "trafilatura": {"version": trafilatura.__version__, "pages_per_s": round(theirs_rate, 1),
                        **{k: round(v, 4) for k, v in theirs_quality.items()}},
        "ratio": round(ratio, 2),
    }, indent=2) + "\n", encoding="utf-8")
    assert ratio >= 2.0
    for key in ("furniture_free", "all_paragraphs", "char_recall", "char_precision"):
        assert ours_quality[key] >= theirs_quality[key], key
