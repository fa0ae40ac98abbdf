"""The HTML report in headless Chromium: hostile scraped text stays inert, the page stays offline, and
the highlighted defect is visible. Skipped (with the reason) only where Chromium cannot be found."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pressroom.connectors.model import Release
from pressroom.expectations import ENGINE_VERSION, check_release
from pressroom.flows.report import write_report
from pressroom.warehouse import Warehouse, store
from pressroom.warehouse.releases import publish, save_checks, upsert_releases
from pressroom.warehouse.store import CheckResult

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]

HOSTILE_TITLE = 'Statement <script>window.__pwned = 1; alert(1)</script> "><img src=x onerror="window.__pwned=2">'
HOSTILE_BODY = (
    "The Ministry said the talks would continue to to build confidence between the two sides.\n\n"
    "</textarea><script>window.__pwned = 3</script><img src=http://203.0.113.9/x.png onerror=alert(2)>\n\n"
    "<a href=\"javascript:alert(3)\">click</a> and <iframe src=\"https://example.org/\"></iframe> were in the page."
)


@pytest.fixture()
def report(tmp_path: Path) -> Path:
    warehouse = Warehouse(tmp_path / "w.duckdb")
    now = datetime.now(UTC)
    release = Release(release_id="hostile0000000000001", source_id="xa-mfa", url="javascript:alert(4)",
                      title=HOSTILE_TITLE, published_at=now, body_text=HOSTILE_BODY, language="en",
                      extractor="test")
    findings = tuple(check_release(release.title, release.body_text))
    assert any(f.excerpt == "to" and f.severity == "error" for f in findings)
    with warehouse.transaction() as con:
        store.start_run(con, run_id="run-1", flow="nightly", started_at=now)
        upsert_releases(con, [release], run_id="run-1", now=now)
        save_checks(con, [CheckResult(release.release_id, release.content_hash, ENGINE_VERSION, findings, ())],
                    run_id="run-1", now=now)
        result = publish(con, run_id="run-1", now=now, engine_version=ENGINE_VERSION)
        assert result.held == {release.release_id: "xa-mfa"}
        store.finish_run(con, run_id="run-1", status="completed", finished_at=now, totals={"held": 1},
                         sources=[{"source_id": "xa-mfa", "status": "ok", "held": 1, "total": 1}])
    write_report(warehouse, tmp_path / "reports", run_id="run-1")
    return tmp_path / "reports" / "releases" / f"{release.release_id}.html"


@pytest.mark.browser
def test_release_page_in_chromium(report: Path) -> None:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it when it can")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (dev extra) is not installed")
    requests: list[str] = []
    dialogs: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1400})
            page.on("request", lambda request: requests.append(request.url))
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(report.as_uri())
            page.wait_for_load_state("load")
            mark = page.locator("#body mark.error").first
            assert mark.is_visible()
            assert mark.inner_text() == "to"
            assert "duplicated-phrase" in (mark.get_attribute("title") or "")
            assert page.evaluate("window.__pwned") is None
            assert dialogs == []
            assert page.locator("script").count() == 0 and page.locator("img").count() == 0
            assert page.locator("a[href^='javascript']").count() == 0
            assert "<script>window.__pwned = 3</script>" in page.locator("#body").inner_text()
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report-release-page.png"), full_page=True)
            index = report.parent.parent / "index.html"
            page.goto(index.as_uri())
            assert page.locator("svg polyline").count() == 1
        finally:
            browser.close()
    outside = [url for url in requests if not url.startswith(("file://", "http://127.0.0.1", "data:"))]
    assert outside == []
