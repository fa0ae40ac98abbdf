"""The bundled demo mirror, over real sockets: routes, pagination, conditional GET, failures, and the
selectors in ``infra/demo/sources.toml`` checked against the pages the mirror actually serves."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin
from urllib.robotparser import RobotFileParser

import pytest
import requests
from bs4 import BeautifulSoup, Tag

from pressroom.infra.demo.content import BulletList, Heading, LineGroup, Paragraph, Release, Site, load_sites
from pressroom.infra.demo.server import SOURCES_TEMPLATE, DemoMirror, render_sources

REPO = Path(__file__).resolve().parents[2]
PAGE_SIZES = {"valdoria": [8, 8, 1], "norland": [10, 7]}
FURNITURE = ("Share:", "WhatsApp", "Related releases", "Back to list", "Print", "cookies", "dataLayer")


@pytest.fixture(scope="module")
def mirror() -> Iterator[DemoMirror]:
    with DemoMirror() as running:
        yield running


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers["User-Agent"] = "pressroom-tests/0 (+https://example.org/pressroom)"
        yield session


@pytest.fixture(scope="module")
def sources(mirror: DemoMirror, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    out = render_sources(SOURCES_TEMPLATE, tmp_path_factory.mktemp("sources") / "sources.toml", mirror.base_urls)
    entries = tomllib.loads(out.read_text(encoding="utf-8"))["sources"]
    by_site = {site.source_id: site.id for site in mirror.sites.values()}
    return {by_site[entry["id"]]: entry for entry in entries}


def _soup(http: requests.Session, url: str) -> BeautifulSoup:
    response = http.get(url, timeout=5)
    assert response.status_code == 200, url
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    return BeautifulSoup(response.content, "html.parser")


def _one(soup: BeautifulSoup | Tag, selector: str) -> Tag:
    found = soup.select_one(selector)
    assert found is not None, selector
    return found


def _squash(text: str) -> str:
    return " ".join(text.split())


def _expected_texts(site: Site, release: Release) -> list[str]:
    texts: list[str] = []
    for block in release.body:
        if isinstance(block, Paragraph | Heading):
            texts.append(block.text)
        elif isinstance(block, BulletList):
            texts.extend(block.items)
        elif isinstance(block, LineGroup):
            texts.extend(block.lines)
    return texts


def _all_releases() -> list[tuple[str, str]]:
    return [(site.id, release.slug) for site in load_sites().values() for release in site.releases]


# --- content ---------------------------------------------------------------------------------------


def test_content_has_enough_releases_in_the_window_with_planted_defects() -> None:
    sites = load_sites()
    assert set(sites) == {"valdoria", "norland"}
    releases = [r for site in sites.values() for r in site.releases]
    assert len(releases) >= 34
    assert all(date(2026, 8, 1) <= r.date <= date(2026, 11, 20) for r in releases)
    defective = [r for r in releases if r.defects]
    assert len(defective) >= 6
    assert {d.kind for r in defective for d in r.defects} >= {
        "duplicated-phrase", "repeated-list-item", "broken-sentence", "repeated-tail", "unbalanced-bracket",
        "unbalanced-quote",
    }  # fmt: skip
    norland = sorted(sites["norland"].releases, key=lambda r: (r.date, r.number or 0))
    numbers = [r.number or 0 for r in norland]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    assert {s.country for s in sites.values()} == {"XA", "XB"}


# --- listings --------------------------------------------------------------------------------------


@pytest.mark.parametrize("site_id", ["valdoria", "norland"])
def test_listing_pages_follow_next_links_through_every_release(
    mirror: DemoMirror, http: requests.Session, sources: dict[str, dict[str, Any]], site_id: str
) -> None:
    source = sources[site_id]
    url: str | None = source["url"]
    sizes: list[int] = []
    seen: list[str] = []
    dates: list[date] = []
    while url:
        soup = _soup(http, url)
        items = soup.select(source["item"])
        sizes.append(len(items))
        for item in items:
            seen.append(urljoin(url, str(_one(item, source["link"])["href"])))
            text = _one(item, source["date"]).get_text(strip=True)
            dates.append(datetime.strptime(text, source["date_format"]).date())
        nxt = soup.select_one(source["next"])
        url = urljoin(url, str(nxt["href"])) if nxt else None
    site = mirror.site(site_id)
    assert sizes == PAGE_SIZES[site_id]
    assert seen == [mirror.release_url(site_id, r.slug) for r in site.newest_first()]
    assert dates == sorted(dates, reverse=True)


def test_first_page_redirects_and_unknown_paths_are_404(mirror: DemoMirror, http: requests.Session) -> None:
    valdoria, norland = mirror.base_urls["valdoria"], mirror.base_urls["norland"]
    for url, target in [(f"{valdoria}/press-releases/page/1/", "/press-releases/"),
                        (f"{valdoria}/press-releases", "/press-releases/"),
                        (f"{norland}/media/press-releases-1.htm", "/media/press-releases.htm")]:
        response = http.get(url, allow_redirects=False, timeout=5)
        assert (response.status_code, response.headers["Location"]) == (301, target)
    for url in (f"{valdoria}/press-releases/page/9/", f"{norland}/media/press-release/1/nothing.htm",
                f"{norland}/admin/"):
        response = http.get(url, timeout=5)
        assert response.status_code == 404
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "not found" in response.text.lower()


def test_robots_txt_allows_everything_but_admin(mirror: DemoMirror, http: requests.Session) -> None:
    for site_id, base in mirror.base_urls.items():
        response = http.get(f"{base}/robots.txt", timeout=5)
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        robots = RobotFileParser()
        robots.parse(response.text.splitlines())
        assert robots.can_fetch("pressroom", mirror.listing_url(site_id))
        assert not robots.can_fetch("pressroom", f"{base}/admin/login")


# --- detail pages and the selectors of sources.toml ------------------------------------------------


@pytest.mark.parametrize(("site_id", "slug"), _all_releases())
def test_sources_selectors_extract_title_date_and_clean_body(
    mirror: DemoMirror, http: requests.Session, sources: dict[str, dict[str, Any]], site_id: str, slug: str
) -> None:
    source, site = sources[site_id], mirror.site(site_id)
    release = site.release(slug)
    soup = _soup(http, mirror.release_url(site_id, slug))
    assert _one(soup, source["title"]).get_text(strip=True) == release.title
    published = _one(soup, source["published"])
    stamp = published.get("datetime")
    if stamp is not None:
        assert datetime.fromisoformat(str(stamp)) == site.published_at(release)
    else:
        text = published.get_text(strip=True)
        assert datetime.strptime(text, source["date_format"]).date() == release.date
    body = _one(soup, source["body"])
    for selector in source["drop"]:
        assert body.select(selector), f"{selector} should be present to be dropped"
        for node in body.select(selector):
            node.decompose()
    text = _squash(body.get_text(" "))
    for expected in _expected_texts(site, release):
        assert _squash(expected) in text
    for furniture in FURNITURE:
        assert furniture not in text


@pytest.mark.parametrize(("site_id", "slug"), _all_releases())
def test_defects_and_lookalikes_occur_verbatim_in_page_text(
    mirror: DemoMirror, http: requests.Session, sources: dict[str, dict[str, Any]], site_id: str, slug: str
) -> None:
    source = sources[site_id]
    release = mirror.site(site_id).release(slug)
    soup = _soup(http, mirror.release_url(site_id, slug))
    assert all(d.text in soup.get_text() for d in release.defects)
    fields = {"title": _one(soup, source["title"]).get_text(), "body": _one(soup, source["body"]).get_text()}
    for defect in release.defects:
        assert defect.text in defect.context
        assert fields[defect.field].count(defect.context) == 1
    for lookalike in release.lookalikes:
        assert lookalike in fields["title"] + fields["body"]


def test_pages_are_utf8_with_entities_in_titles(mirror: DemoMirror, http: requests.Session) -> None:
    raw = http.get(mirror.release_url("valdoria", "foreign-secretarys-visit-to-the-czech-republic"), timeout=5)
    assert b"Foreign Secretary&#8217;s Visit" in raw.content
    assert "Škoda".encode() in raw.content
    listing = http.get(mirror.listing_url("valdoria"), timeout=5).content
    assert b"Education &amp; Culture" in listing
    norland = http.get(mirror.listing_url("norland"), timeout=5).content
    assert b"Norland &amp; Valdoria" in norland


# --- HTTP behaviour --------------------------------------------------------------------------------


def test_conditional_get_answers_304(mirror: DemoMirror, http: requests.Session) -> None:
    url = mirror.release_url("norland", "launch-of-the-evisa-portal-for-visitors-to-norland")
    first = http.get(url, timeout=5)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert modified == "Tue, 03 Nov 2026 11:00:00 GMT"
    by_tag = http.get(url, headers={"If-None-Match": etag}, timeout=5)
    assert (by_tag.status_code, by_tag.content, by_tag.headers["ETag"]) == (304, b"", etag)
    assert http.get(url, headers={"If-Modified-Since": modified}, timeout=5).status_code == 304
    stale_tag = {"If-None-Match": '"stale"', "If-Modified-Since": modified}
    assert http.get(url, headers=stale_tag, timeout=5).status_code == 200
    earlier = {"If-Modified-Since": "Mon, 02 Nov 2026 00:00:00 GMT"}
    assert http.get(url, headers=earlier, timeout=5).status_code == 200
    head = http.head(url, timeout=5)
    assert (head.status_code, head.headers["ETag"], head.content) == (200, etag, b"")


def test_etags_are_deterministic_across_mirrors(mirror: DemoMirror, http: requests.Session) -> None:
    path = "/press-releases/page/2/"
    with DemoMirror(["valdoria"]) as other:
        again = http.get(other.base_urls["valdoria"] + path, timeout=5)
    here = http.get(mirror.base_urls["valdoria"] + path, timeout=5)
    assert again.headers["ETag"] == here.headers["ETag"]
    assert again.content == here.content


def test_fail_status_answers_every_path(http: requests.Session) -> None:
    with DemoMirror(fail_status={"norland": 503}) as failing:
        base = failing.base_urls["norland"]
        paths = ["/", "/robots.txt", "/media/press-releases.htm", "/media/press-release/40340/x.htm", "/nope"]
        assert [http.get(base + p, timeout=5).status_code for p in paths] == [503] * len(paths)
        assert failing.requests("norland") == paths
        assert http.get(failing.listing_url("valdoria"), timeout=5).status_code == 200
        failing.set_fail_status("norland", None)
        assert http.get(failing.listing_url("norland"), timeout=5).status_code == 200
        failing.set_fail_status("valdoria", 429)
        refused = http.get(failing.listing_url("valdoria"), timeout=5)
        assert (refused.status_code, refused.headers["Retry-After"]) == (429, "0")


def test_set_path_status_fails_one_page_until_cleared(http: requests.Session) -> None:
    with DemoMirror(["valdoria"]) as single:
        victim = single.site("valdoria").newest_first()[3]
        url = single.release_url("valdoria", victim.slug)
        single.set_path_status("valdoria", url, 503)
        assert http.get(url, timeout=5).status_code == 503
        assert http.get(single.listing_url("valdoria"), timeout=5).status_code == 200
        single.set_path_status("valdoria", url, None)
        assert http.get(url, timeout=5).status_code == 200


def test_closing_drops_kept_alive_connections(http: requests.Session) -> None:
    with DemoMirror(["norland"]) as first:
        url = first.listing_url("norland")
        assert http.get(url, timeout=5).status_code == 200
    with pytest.raises(requests.ConnectionError):
        http.get(url, timeout=5)


def test_request_log_records_paths_in_order(http: requests.Session) -> None:
    with DemoMirror(["valdoria"]) as single:
        base = single.base_urls["valdoria"]
        http.get(base + "/robots.txt", timeout=5)
        http.get(base + "/press-releases/?utm_source=feed", timeout=5)
        http.head(base + "/missing/", timeout=5)
        assert single.requests("valdoria") == ["/robots.txt", "/press-releases/?utm_source=feed", "/missing/"]
        log = single.request_log("valdoria")
        assert [(r.method, r.status) for r in log] == [("GET", 200), ("GET", 200), ("HEAD", 404)]
        assert log[0].user_agent == http.headers["User-Agent"]
        single.clear_requests()
        assert single.requests("valdoria") == []
        assert list(single.base_urls) == ["valdoria"]


def test_unknown_site_is_rejected() -> None:
    with pytest.raises(ValueError, match="atlantis"):
        DemoMirror(["atlantis"])
    with pytest.raises(ValueError, match="atlantis"):
        DemoMirror(fail_status={"atlantis": 500})


# --- sources template and CLI ----------------------------------------------------------------------


def test_render_sources_replaces_every_placeholder(mirror: DemoMirror, tmp_path: Path) -> None:
    out = render_sources(SOURCES_TEMPLATE, tmp_path / "nested" / "sources.toml", mirror.base_urls)
    text = out.read_text(encoding="utf-8")
    assert "{demo:" not in text
    entries = tomllib.loads(text)["sources"]
    assert [e["id"] for e in entries] == ["xa-mfa", "xb-mea"]
    assert entries[0]["url"] == mirror.listing_url("valdoria")
    assert entries[1]["url"] == mirror.listing_url("norland")
    template = tmp_path / "bad.toml"
    template.write_text('url = "{demo:atlantis}/"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="atlantis"):
        render_sources(template, tmp_path / "bad-out.toml", mirror.base_urls)


def test_write_sources_keeps_only_running_sites(tmp_path: Path) -> None:
    with DemoMirror(["norland"]) as single:
        text = single.write_sources(tmp_path / "sources.toml").read_text(encoding="utf-8")
        listing = single.listing_url("norland")
    entries = tomllib.loads(text)["sources"]
    assert [(e["id"], e["url"]) for e in entries] == [("xb-mea", listing)]
    with pytest.raises(ValueError, match="valdoria"):
        render_sources(SOURCES_TEMPLATE, tmp_path / "strict.toml", {"norland": "http://127.0.0.1:9"})


def test_cli_prints_base_urls_and_serves(http: requests.Session, tmp_path: Path) -> None:
    sources_out = tmp_path / "demo-sources.toml"
    command = [sys.executable, "-m", "pressroom.infra.demo.server", "--site", "norland",
               "--sources-out", str(sources_out)]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("norland: http://127.0.0.1:"), first + (process.stderr.read() if process.stderr else "")
        base = first.split(": ", 1)[1].strip()
        assert http.get(base + "/robots.txt", timeout=5).status_code == 200
        assert process.stdout.readline().startswith("sources: ")
        assert base in sources_out.read_text(encoding="utf-8")
    finally:
        process.terminate()
        process.wait(timeout=10)
