"""The review app in headless Chromium (Debian's `chromium`, driven by playwright with that binary; never a
downloaded browser): a desk editor repairs and publishes the seed release, hostile scraped text stays
inert, a POST without the CSRF token is refused, and a non-loopback start without a credential is refused.

Screenshots of the queue and of the seed's page go to test-artifacts/, and to the folder named by
PRESSROOM_REVIEW_SCREENSHOTS when it is set (``infra/demo/screenshots`` for the README's)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from pressroom.flows.review_app import create_app
from pressroom.flows.settings import Settings
from tests.flows.helpers import rows
from tests.flows.review_site import HOSTILE_TITLE, reviewed_run, seed_text

pytestmark = [pytest.mark.slow, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update"]
BROKEN = "Eastern peace and security. of the Middle."
MENDED = "Middle Eastern peace and security."


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(settings: Settings, *, token: str | None = None) -> Iterator[str]:
    """The review app on loopback, served by uvicorn in a thread, as `pressroom review` serves it."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, token=token), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the review app did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture()
def settings(tmp_path: Path, prefect_server: None) -> Iterator[Settings]:
    with reviewed_run(tmp_path) as made:
        yield made


@pytest.fixture()
def browser_context(tmp_path: Path) -> Iterator[object]:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it when it can")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (dev extra) is not installed")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, args=FLAGS, headless=True,
            viewport={"width": 1400, "height": 1000})
        try:
            yield context
        finally:
            context.close()


def screenshot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)  # type: ignore[attr-defined]
    wanted = os.environ.get("PRESSROOM_REVIEW_SCREENSHOTS")
    if wanted:
        Path(wanted).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ARTIFACTS / name, Path(wanted) / name)


def test_a_desk_editor_repairs_edits_and_publishes_the_seed(settings: Settings, browser_context: object) -> None:
    context: object = browser_context
    requests: list[str] = []
    dialogs: list[str] = []
    seed = str(rows(settings.warehouse, "SELECT release_id FROM releases WHERE url LIKE '%/seed'")[0][0])
    with served(settings) as base:
        page = context.new_page()  # type: ignore[attr-defined]
        page.on("request", lambda request: requests.append(request.url))
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

        page.goto(base + "/")
        assert page.locator("#queue tr.item").count() == 2
        screenshot(page, "review-queue.png")
        # Keyboard: j selects the first row, Enter opens it (the seed is the newer of the two held).
        page.keyboard.press("j")
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/release/{seed}")
        assert page.locator("#body mark.error").count() == 4
        assert page.locator("input[name=accept]").count() == 3
        assert "edit needed" in page.locator("#findings").inner_text()
        screenshot(page, "review-release.png")

        # Accept the three suggested repairs.
        page.locator("#repair-form input[name=by]").fill("Ana Editor")
        page.locator("#repair-form input[name=reason]").fill("mechanical repairs")
        page.locator("#apply").click()
        page.wait_for_load_state("load")
        assert "saved version 2" in page.locator(".message").inner_text()
        assert page.locator("#body mark.error").count() == 1
        assert page.locator("#body mark.error").inner_text() == "of the Middle."

        # Edit the broken sentence by hand, see the diff, then save.
        page.keyboard.press("e")
        body = page.locator("#edit-body")
        body.fill(body.input_value().replace(BROKEN, MENDED))
        page.locator("#show-diff").click()
        page.wait_for_load_state("load")
        assert MENDED in page.locator("#diff .add").inner_text()
        assert BROKEN in page.locator("#diff .del").inner_text()
        page.locator("#save-form input[name=reason]").fill("modifier moved back by hand")
        page.locator("#confirm-save").click()
        page.wait_for_load_state("load")
        assert "saved version 3" in page.locator(".message").inner_text()
        assert page.locator("#body mark.error").count() == 0

        page.locator("#publish").click()
        page.wait_for_load_state("load")
        assert "checked and published version 3" in page.locator(".message").inner_text()
        assert "published" in page.locator("#state").inner_text()
        history = page.locator("#history").inner_text()
        assert "Ana Editor: repair of version 1" in history and "Ana Editor: edit of version 2" in history

        # A POST without the CSRF token, from the page itself: refused, nothing changed.
        refused = context.request.post(  # type: ignore[attr-defined]
            f"{base}/release/{seed}/save", form={"parent": "x", "title": "t", "body": "b", "by": "m", "reason": "r"})
        assert refused.status == 403
        # The page's own script may not even try: the CSP allows no fetch from it.
        blocked = page.evaluate("""(url) => fetch(url, {method: 'POST'}).then(() => 'sent', () => 'blocked')""",
                                f"{base}/release/{seed}/save")
        assert blocked == "blocked"

        # The scraped <script> in a title is shown as text and never runs.
        hostile = str(rows(settings.warehouse, "SELECT release_id FROM releases WHERE url LIKE '%/hostile'")[0][0])
        page.goto(f"{base}/release/{hostile}")
        assert page.evaluate("window.__pwned") is None and dialogs == []
        assert page.locator("h1#title").inner_text() == HOSTILE_TITLE
        assert page.title() != "pwned"
        page.goto(base + "/")
        assert page.evaluate("window.__pwned") is None
        assert HOSTILE_TITLE in page.locator("#queue").inner_text()
    assert [url for url in requests if not url.startswith(base)] == []

    exported = duckdb.sql(
        f"SELECT body_text, repaired, parent_version, version FROM read_parquet("
        f"'{settings.exports_dir}/source=*/date=*/part-0.parquet') WHERE release_id = '{seed}'").fetchall()
    assert len(exported) == 1
    body, repaired, parent_version, version = exported[0]
    assert repaired is True and (parent_version, version) == (2, 3)
    assert MENDED in body and BROKEN not in body and "comprehensive and broad-based political" in body
    assert rows(settings.warehouse, "SELECT body_text FROM release_versions WHERE release_id = ? AND version = 1",
                seed) == [(seed_text(),)]


def test_with_a_token_the_browser_needs_it(settings: Settings, browser_context: object) -> None:
    with served(settings, token="browser-token") as base:
        page = browser_context.new_page()  # type: ignore[attr-defined]
        answer = page.goto(base + "/")
        assert answer.status == 401
        page.goto(base + "/?token=browser-token")
        assert page.locator("#queue").count() == 1


def test_a_non_loopback_start_without_a_credential_is_refused(settings: Settings) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PRESSROOM_REVIEW_TOKEN"}
    done = subprocess.run(
        [sys.executable, "-m", "pressroom.flows.cli", "--data-dir", str(settings.data_dir), "--sources",
         str(settings.sources), "review", "--host", "0.0.0.0", "--port", str(free_port())],
        capture_output=True, text=True, timeout=120, env=env, check=False)
    assert done.returncode == 2, done.stderr
    assert "refusing to serve the review app on 0.0.0.0" in done.stderr
