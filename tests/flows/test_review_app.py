"""The review app over HTTP (Starlette's TestClient): credential, CSRF, conflicts, escaping, the whole repair."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from pressroom.flows.review_app import UnsafeBinding, check_binding, create_app, resolve_token
from pressroom.flows.settings import Settings
from tests.flows.helpers import cli, rows
from tests.flows.review_site import reviewed_run

pytestmark = [pytest.mark.slow]
CSRF = "csrf-for-tests"


@pytest.fixture()
def settings(tmp_path: Path, prefect_server: None) -> Iterator[Settings]:
    with reviewed_run(tmp_path) as made:
        yield made


def release_id(settings: Settings, slug: str) -> str:
    return str(rows(settings.warehouse, "SELECT release_id FROM releases WHERE url LIKE ?", f"%/{slug}")[0][0])


def parent_of(html: str) -> str:
    found = re.search(r'name="parent" value="([0-9a-f]{64})"', html)
    assert found is not None
    return found.group(1)


def test_binding_needs_a_credential_off_loopback() -> None:
    check_binding("127.0.0.1", None)
    check_binding("::1", None)
    check_binding("localhost", None)
    for host in ("0.0.0.0", "192.168.1.5", "example.org"):
        with pytest.raises(UnsafeBinding, match="PRESSROOM_REVIEW_TOKEN"):
            check_binding(host, None)
        check_binding(host, "secret")
    assert resolve_token(None, {"PRESSROOM_REVIEW_TOKEN": "abc"}) == ("abc", False)
    token, generated = resolve_token("generate", {})
    assert generated and len(token or "") >= 24


def test_the_cli_refuses_a_non_loopback_start_without_a_credential(settings: Settings,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRESSROOM_REVIEW_TOKEN", raising=False)
    code, output = cli("--data-dir", str(settings.data_dir), "--sources", str(settings.sources), "review",
                       "--host", "0.0.0.0", "--port", "0")
    assert code == 2 and "refusing to serve the review app on 0.0.0.0" in output


def test_every_request_without_the_token_gets_401(settings: Settings) -> None:
    app = create_app(settings, token="s3cret", csrf=CSRF)
    with TestClient(app, follow_redirects=False) as client:
        assert client.get("/").status_code == 401
        assert client.get("/release/x").status_code == 401
        assert client.post("/release/x/publish", data={"csrf": CSRF}).status_code == 401
        assert client.get("/static/review.js").status_code == 401
        assert client.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        visit = client.get("/?token=s3cret")
        assert visit.status_code == 303 and "httponly" in visit.headers["set-cookie"].lower()
        assert client.get("/").status_code == 200  # the cookie it set


def test_queue_escapes_scraped_strings_and_filters(settings: Settings) -> None:
    with TestClient(create_app(settings, csrf=CSRF)) as client:
        page = client.get("/")
        assert page.status_code == 200
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert "<script>window.__pwned" not in page.text
        assert "Talks &lt;script&gt;window.__pwned = 1;" in page.text
        assert "duplicated-phrase (2)" in page.text and "xk-mfa (2)" in page.text
        assert "FM Qureshi" not in client.get("/?check=mojibake").text
        assert "FM Qureshi" in client.get("/?check=unbalanced-punctuation").text
        release = client.get(f"/release/{release_id(settings, 'hostile')}")
        assert "<script>window.__pwned" not in release.text and "&lt;script&gt;" in release.text
        assert client.get("/release/nope").status_code == 404
        assert client.post("/release/nope/publish", data={"csrf": CSRF}).status_code == 404
        assert client.post("/release/nope/preview", data={"csrf": CSRF, "body": "x"}).status_code == 404


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(settings: Settings) -> None:
    seed = release_id(settings, "seed")
    with TestClient(create_app(settings, csrf=CSRF), follow_redirects=False) as client:
        parent = parent_of(client.get(f"/release/{seed}").text)
        form = {"parent": parent, "title": "x", "body": "y", "by": "mallory", "reason": "r"}
        assert client.post(f"/release/{seed}/save", data=form).status_code == 403
        assert client.post(f"/release/{seed}/save", data={**form, "csrf": "guess"}).status_code == 403
        assert client.post(f"/release/{seed}/publish", data={}).status_code == 403
    assert rows(settings.warehouse, "SELECT count(*) FROM release_reviews") == [(0,)]


def test_accept_edit_and_publish_the_seed_with_a_conflict_for_the_second_reviewer(settings: Settings) -> None:
    seed = release_id(settings, "seed")
    with TestClient(create_app(settings, csrf=CSRF)) as client:
        page = client.get(f"/release/{seed}").text
        parent = parent_of(page)
        keys = re.findall(r'name="accept" value="([^"]+)"', page)
        assert len(keys) == 3 and "edit needed: no mechanical repair for “of the Middle.”" in page
        saved = client.post(f"/release/{seed}/repair", data={"csrf": CSRF, "parent": parent, "accept": keys,
                                                               "by": "ana", "reason": "suggested repairs"})
        assert saved.status_code == 200 and "saved version 2" in saved.text
        # A second reviewer who opened the same version saves after: 409, nothing written.
        late = client.post(f"/release/{seed}/repair", data={"csrf": CSRF, "parent": parent, "accept": keys[:1],
                                                              "by": "bo", "reason": "late"})
        assert late.status_code == 409 and "changed since it was read" in late.text
        current = client.get(f"/release/{seed}").text
        body = re.search(r'<textarea name="body" id="edit-body" rows="24">(.*?)</textarea>', current, re.S)
        assert body is not None
        import html

        text = html.unescape(body.group(1))
        edited = text.replace("Eastern peace and security. of the Middle.", "Middle Eastern peace and security.")
        preview = client.post(f"/release/{seed}/preview", data={"csrf": CSRF, "parent": parent_of(current),
                                                                 "title": "FM Qureshi speaks with Secretary Blinken",
                                                                 "body": edited.replace("\n", "\r\n")})
        assert '<span class="add">+' in preview.text and "Middle Eastern peace and security." in preview.text
        saved = client.post(f"/release/{seed}/save", data={
            "csrf": CSRF, "parent": parent_of(current), "title": "FM Qureshi speaks with Secretary Blinken",
            "body": edited.replace("\n", "\r\n"), "by": "ana", "reason": "moved modifier"})
        assert "saved version 3" in saved.text
        published = client.post(f"/release/{seed}/publish", data={"csrf": CSRF})
        assert "checked and published version 3" in published.text, published.text
    assert rows(settings.warehouse, "SELECT version, kind, reviewed_by FROM release_reviews ORDER BY version") == [
        (2, "repair", "ana"), (3, "edit", "ana")]
    body = rows(settings.warehouse, "SELECT body_text FROM published_releases WHERE release_id = ?", seed)[0][0]
    assert "Middle Eastern peace and security." in body and "\r" not in body


def test_waiving_needs_a_reason(settings: Settings) -> None:
    seed = release_id(settings, "seed")
    with TestClient(create_app(settings, csrf=CSRF)) as client:
        answer = client.post(f"/release/{seed}/waive", data={"csrf": CSRF, "check": "garbled-fragment", "by": "ana",
                                                              "reason": " "})
        assert "not waived" in answer.text
        answer = client.post(f"/release/{seed}/waive", data={"csrf": CSRF, "check": "garbled-fragment", "by": "ana",
                                                              "reason": "seen"})
        assert "waived garbled-fragment" in answer.text
    assert rows(settings.warehouse, "SELECT waived_by, reason FROM waivers") == [("ana", "seen")]
