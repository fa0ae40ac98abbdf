"""Data Docs: built for the run, readable offline (vendored assets, no remote script, style or image),
written only under the directory the caller passes; and a 10,000-release run within its time budget."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from pressroom.expectations.gx import GxOutcome, SourceRules, validate_releases
from pressroom.expectations.gx.docs import remote_assets
from tests.expectations.test_gx import GX_DIR, NOW, RULES, crafted_rows, frame, history, listing, release

LOCAL_REF_RE = re.compile(r"<(?:script|link|img)\b[^>]*?\b(?:src|href)\s*=\s*\"([^\"#:]+)\"", re.IGNORECASE)


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("gx-docs")
    before = listing(GX_DIR)
    outcomes: list[GxOutcome] = []
    runs = {"20260301T120000Z-docs01": frame([release("early"), release("early-beta", "beta")]),
            "20260302T120000Z-docs02": frame(crafted_rows())}
    for run_id, releases in runs.items():
        outcomes.append(validate_releases(
            releases, rules=RULES, history=history("alpha", [2, 3, 1, 2, 4]), run_id=run_id,
            results_dir=root / "results", docs_dir=root / "docs", now=NOW,
        ))
    return {"root": root, "outcomes": outcomes, "before": before, "after": listing(GX_DIR)}


def pages(docs_dir: Path) -> list[Path]:
    return sorted(docs_dir.rglob("*.html"))


def test_docs_index_exists_inside_docs_dir(docs: dict[str, Any]) -> None:
    for outcome in docs["outcomes"]:
        assert outcome.docs_index == docs["root"] / "docs" / "index.html"
        assert outcome.docs_index.is_file()
    index = docs["outcomes"][-1].docs_index.read_text(encoding="utf-8")
    assert "20260301T120000Z-docs01" in index
    assert "20260302T120000Z-docs02" in index


def test_every_page_loads_its_assets_locally(docs: dict[str, Any]) -> None:
    built = pages(docs["root"] / "docs")
    assert len(built) >= 5
    for page in built:
        html = page.read_text(encoding="utf-8")
        assert remote_assets(html) == [], page
        assert not re.search(r"<(?:script|link)\b[^>]*(?:src|href)=\"https?://", html), page
        for ref in LOCAL_REF_RE.findall(html):
            assert (page.parent / ref).resolve().is_file(), f"{page}: {ref}"


def test_vendored_scripts_are_really_used(docs: dict[str, Any]) -> None:
    index = (docs["root"] / "docs" / "index.html").read_text(encoding="utf-8")
    for asset in ("jquery/jquery.min.js", "bootstrap/bootstrap.min.css", "bootstrap-table/bootstrap-table.min.js",
                  "vega/vega.min.js", "fontawesome/css/all.min.css"):
        assert f"static/vendor/{asset}" in index
    assert (docs["root"] / "docs" / "static" / "vendor" / "fontawesome" / "webfonts" / "fa-solid-900.woff2").is_file()


def test_validation_page_shows_text_defects_and_failing_release_ids(docs: dict[str, Any]) -> None:
    page = next(p for p in pages(docs["root"] / "docs") if "docs02" in str(p) and "pressroom-releases" in str(p))
    html = page.read_text(encoding="utf-8")
    assert "duplicated-phrase" in html
    assert "short-body" in html


def test_docs_runs_write_nothing_into_the_repository(docs: dict[str, Any]) -> None:
    assert docs["after"] == docs["before"]


def test_ten_thousand_releases_of_two_hundred_sources_validate_within_budget(tmp_path: Path) -> None:
    # One batch per source took ~0.3 s each (a minute at 200 sources); the run's two batches do not grow
    # with the number of sources.
    sources = {f"s{i}": SourceRules(f"s{i}", hosts=frozenset({"www.alpha.example.gov"}), languages=frozenset({"en"}))
               for i in range(200)}
    rows = []
    for i in range(10_000):
        row = release(f"r{i}", source_id="alpha", error_checks=["duplicated-phrase"] if i // 200 % 10 == 0 else [])
        row["source_id"] = f"s{i % 200}"
        if i % 500 == 0:
            row["published_at"] = NOW + timedelta(days=5)
        rows.append(row)
    releases = frame(rows)
    started = time.perf_counter()
    outcome = validate_releases(releases, rules=sources, history=history("s0", [2000] * 10), run_id="scale",
                                results_dir=tmp_path / "results", docs_dir=None, now=NOW)
    elapsed = time.perf_counter() - started
    assert outcome.record_failures == {f"r{i}": ("published-at-in-future",) for i in range(0, 10_000, 500)}
    assert outcome.batch_warnings == ("s0: 50 releases in this run, outside the usual 1000–4005",)
    assert elapsed < 10, f"{elapsed:.1f} s"
