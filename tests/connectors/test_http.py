"""PoliteSession against real local HTTP servers (pytest-httpserver on 127.0.0.1, threaded).

Timings are measured server-side with ``time.monotonic`` at the moment a request reaches the server.
"""

from __future__ import annotations

import itertools
import logging
import pickle
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request
from werkzeug import Response as WResponse

from pressroom.connectors.charset import decide_encoding
from pressroom.connectors.http import FetchError, HttpSettings, PoliteSession, SitePolicy, _retry_after

FAST = HttpSettings(backoff=0.01, max_backoff=0.05, connect_timeout=2.0, read_timeout=2.0)
# Arrival times are observed server-side: on a loaded 2-core machine the first request of a fresh
# connection can reach the handler tens of milliseconds after it was sent while the next, on a kept-alive
# connection, arrives at once. 50 ms still tells a throttled client (gaps of the full interval) from an
# unthrottled one (gaps near zero).
TIMING_SLACK = 0.05


@dataclass(frozen=True, slots=True)
class Hit:
    at: float
    path: str
    headers: dict[str, str]


class RecordingServer(HTTPServer):
    """pytest-httpserver that remembers when each request arrived."""

    def __init__(self) -> None:
        super().__init__(host="127.0.0.1", port=0, threaded=True)
        self.hits: list[Hit] = []

    def application(self, request: Request) -> WResponse:
        self.hits.append(Hit(time.monotonic(), request.path, dict(request.headers)))
        return super().application(request)

    def clear(self) -> None:
        super().clear()
        self.hits = []

    @property
    def netloc(self) -> str:
        return f"127.0.0.1:{self.port}"

    def policy(self, min_interval: float = 0.0) -> SitePolicy:
        return SitePolicy(hosts=frozenset({self.netloc}), min_interval=min_interval)

    def paths(self) -> list[str]:
        return [hit.path for hit in self.hits]

    def starts(self, path: str) -> list[float]:
        return [hit.at for hit in self.hits if hit.path == path]


@pytest.fixture(scope="session")
def servers() -> Iterator[tuple[RecordingServer, RecordingServer]]:
    pair = (RecordingServer(), RecordingServer())
    for server in pair:
        server.start()
    yield pair
    for server in pair:
        server.stop()


def _reset(server: RecordingServer) -> RecordingServer:
    server.clear()
    server.expect_request("/robots.txt").respond_with_data("", status=404)
    return server


@pytest.fixture
def site(servers: tuple[RecordingServer, RecordingServer]) -> Iterator[RecordingServer]:
    """A host with no robots.txt (404); tests may register a oneshot robots.txt, which takes precedence."""
    yield _reset(servers[0])
    servers[0].check_handler_errors()


@pytest.fixture
def other_site(servers: tuple[RecordingServer, RecordingServer]) -> RecordingServer:
    return _reset(servers[1])


@pytest.fixture
def session() -> Iterator[PoliteSession]:
    with PoliteSession(FAST) as polite:
        yield polite


def sequence(*responses: WResponse) -> Callable[[Request], WResponse]:
    """A handler serving ``responses`` in order, then repeating the last one."""
    queue = list(responses)
    lock = threading.Lock()

    def handler(_request: Request) -> WResponse:
        with lock:
            return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler


def test_500_then_200_is_retried(site: RecordingServer, session: PoliteSession) -> None:
    site.expect_request("/page").respond_with_handler(sequence(WResponse("boom", 500), WResponse("ok", 200)))
    response = session.get(site.url_for("/page"), policy=site.policy())
    assert (response.status, response.content, response.attempts) == (200, b"ok", 2)
    assert site.paths().count("/page") == 2


def test_retry_after_seconds_is_honoured(site: RecordingServer, session: PoliteSession) -> None:
    busy = WResponse("busy", 503, headers={"Retry-After": "1"})
    site.expect_request("/page").respond_with_handler(sequence(busy, WResponse("ok")))
    assert session.get(site.url_for("/page"), policy=site.policy()).attempts == 2
    first, second = site.starts("/page")
    assert second - first >= 1.0


def test_retry_after_too_long_gives_up_at_once(site: RecordingServer, session: PoliteSession) -> None:
    site.expect_request("/page").respond_with_data("slow down", status=429, headers={"Retry-After": "3600"})
    with pytest.raises(FetchError) as caught:
        session.get(site.url_for("/page"), policy=site.policy())
    assert (caught.value.reason, caught.value.attempts, caught.value.status) == (
        "retry-after-too-long",
        1,
        429,
    )
    assert site.paths().count("/page") == 1


def test_permanent_503_is_bounded(site: RecordingServer) -> None:
    site.expect_request("/page").respond_with_data("down", status=503)
    settings = HttpSettings(backoff=0.01, max_attempts=3)
    with PoliteSession(settings) as polite, pytest.raises(FetchError) as caught:
        polite.get(site.url_for("/page"), policy=site.policy())
    assert (caught.value.reason, caught.value.attempts, caught.value.status) == ("http-503", 3, 503)
    assert site.paths().count("/page") == 3


def test_404_fails_at_once(site: RecordingServer, session: PoliteSession) -> None:
    site.expect_request("/gone").respond_with_data("no", status=404)
    url = site.url_for("/gone")
    with pytest.raises(FetchError) as caught:
        session.get(url, policy=site.policy())
    assert (caught.value.reason, caught.value.attempts, caught.value.status) == ("http-404", 1, 404)
    assert url in str(caught.value) and "http-404" in str(caught.value)
    assert site.paths().count("/gone") == 1


def test_robots_disallow_prevents_the_request(site: RecordingServer, session: PoliteSession) -> None:
    site.expect_oneshot_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private\n")
    site.expect_request("/public").respond_with_data("fine")
    with pytest.raises(FetchError) as caught:
        session.get(site.url_for("/private/report"), policy=site.policy())
    assert caught.value.reason == "robots-disallowed"
    assert session.get(site.url_for("/public"), policy=site.policy()).content == b"fine"
    assert site.paths() == ["/robots.txt", "/public"]


def test_robots_group_for_our_agent_applies(site: RecordingServer, session: PoliteSession) -> None:
    robots = "User-agent: *\nDisallow:\n\nUser-agent: pressroom\nDisallow: /\n"
    site.expect_oneshot_request("/robots.txt").respond_with_data(robots)
    with pytest.raises(FetchError, match="robots-disallowed"):
        session.get(site.url_for("/anything"), policy=site.policy())
    assert site.paths() == ["/robots.txt"]


def test_robots_server_error_disallows_all_without_a_page_request(
    site: RecordingServer, session: PoliteSession, caplog: pytest.LogCaptureFixture
) -> None:
    """RFC 9309 §2.3.1.4: robots.txt answering 5xx means complete disallow; a retryable reason, asked once."""
    site.expect_oneshot_request("/robots.txt").respond_with_data("oops", status=500)
    site.expect_request("/page").respond_with_data("ok")
    with caplog.at_level(logging.WARNING, logger="pressroom.http"):
        for path in ("/page", "/other"):
            with pytest.raises(FetchError) as caught:
                session.get(site.url_for(path), policy=site.policy())
            assert caught.value.reason == "robots-unavailable"
    assert any("complete disallow" in record.getMessage() for record in caplog.records)
    assert site.paths() == ["/robots.txt"]


@pytest.mark.parametrize("status", [403, 404, 410, 451])
def test_robots_client_error_allows_all(site: RecordingServer, session: PoliteSession, status: int) -> None:
    site.expect_oneshot_request("/robots.txt").respond_with_data("no", status=status)
    site.expect_request("/page").respond_with_data("ok")
    assert session.get(site.url_for("/page"), policy=site.policy()).status == 200


def test_robots_wildcards_dollar_and_longest_match(site: RecordingServer, session: PoliteSession) -> None:
    """``*`` and ``$`` as government sites write them, and the longest rule wins (Allow on a tie)."""
    robots = (
        "User-agent: *\nDisallow: /*?print=\nDisallow: /*.doc$\nDisallow: /press/\nAllow: /press/releases/\n"
    )
    site.expect_oneshot_request("/robots.txt").respond_with_data(robots)
    site.expect_request(re.compile(r"/.*")).respond_with_data("ok")
    refused = ["/news/item?print=1", "/files/statement.doc", "/press/archive"]
    allowed = ["/news/item?page=2", "/files/statement.doc.html", "/press/releases/1"]
    for path in refused:
        with pytest.raises(FetchError, match="robots-disallowed"):
            session.get(site.url_for(path), policy=site.policy())
    for path in allowed:
        assert session.get(site.url_for(path), policy=site.policy()).status == 200
    assert site.paths() == ["/robots.txt", *[path.split("?")[0] for path in allowed]]


def test_robots_redirect_is_followed(site: RecordingServer, session: PoliteSession) -> None:
    site.expect_oneshot_request("/robots.txt").respond_with_data("", status=301, headers={"Location": "/real-robots"})
    site.expect_request("/real-robots").respond_with_data("User-agent: *\nDisallow: /private\n")
    with pytest.raises(FetchError, match="robots-disallowed"):
        session.get(site.url_for("/private/x"), policy=site.policy())


def test_crawl_delay_is_honoured(site: RecordingServer, session: PoliteSession) -> None:
    site.expect_oneshot_request("/robots.txt").respond_with_data("User-agent: *\nCrawl-delay: 1\n")
    site.expect_request("/page").respond_with_data("ok")
    session.get(site.url_for("/page"), policy=site.policy(min_interval=0.0))
    (robots,) = site.starts("/robots.txt")
    (page,) = site.starts("/page")
    assert page - robots >= 1.0 - TIMING_SLACK


def test_min_interval_between_requests_to_one_host(site: RecordingServer, session: PoliteSession) -> None:
    site.expect_request("/page").respond_with_data("ok")
    policy = site.policy(min_interval=0.3)
    for _ in range(2):
        session.get(site.url_for("/page"), policy=policy)
    starts = [hit.at for hit in site.hits]
    assert site.paths() == ["/robots.txt", "/page", "/page"]
    assert all(later - earlier >= 0.3 - TIMING_SLACK for earlier, later in itertools.pairwise(starts))


def test_hosts_are_throttled_independently_and_threads_share_a_host(
    site: RecordingServer, other_site: RecordingServer, session: PoliteSession
) -> None:
    for server in (site, other_site):
        server.expect_request("/page").respond_with_data("ok")

    def fetch(server: RecordingServer) -> int:
        return session.get(server.url_for("/page"), policy=server.policy(min_interval=0.4)).status

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(fetch, (site, other_site, site, other_site)))
    elapsed = time.monotonic() - began
    assert statuses == [200] * 4
    # Per host: robots.txt once, then two pages 0.4 s apart = 0.8 s; serialised across hosts: 2.0 s.
    assert elapsed < 1.4
    for server in (site, other_site):
        assert server.paths() == ["/robots.txt", "/page", "/page"]
        starts = [hit.at for hit in server.hits]
        assert all(later - earlier >= 0.4 - TIMING_SLACK for earlier, later in itertools.pairwise(starts))
    assert abs(site.hits[0].at - other_site.hits[0].at) < 0.3


def test_off_host_and_bad_scheme_are_refused_without_a_request(
    site: RecordingServer, other_site: RecordingServer, session: PoliteSession
) -> None:
    with pytest.raises(FetchError) as caught:
        session.get(other_site.url_for("/page"), policy=site.policy())
    assert (caught.value.reason, caught.value.attempts) == ("off-host", 0)
    with pytest.raises(FetchError, match="bad-scheme"):
        session.get(f"ftp://{site.netloc}/file", policy=site.policy())
    assert site.hits == [] and other_site.hits == []


def test_redirect_to_another_host_is_not_followed(
    site: RecordingServer, other_site: RecordingServer, session: PoliteSession
) -> None:
    target = other_site.url_for("/elsewhere")
    site.expect_request("/moved").respond_with_data("", status=302, headers={"Location": target})
    with pytest.raises(FetchError) as caught:
        session.get(site.url_for("/moved"), policy=site.policy())
    assert caught.value.reason == "off-host-redirect"
    assert target in str(caught.value)
    assert other_site.hits == []


def test_same_host_relative_redirect_is_followed(site: RecordingServer, session: PoliteSession) -> None:
    site.expect_request("/old").respond_with_data("", status=301, headers={"Location": "new?x=1"})
    site.expect_request("/new").respond_with_data("here")
    url = site.url_for("/old")
    response = session.get(url, policy=site.policy())
    assert (response.url, response.final_url, response.content) == (url, site.url_for("/new?x=1"), b"here")


def test_failure_after_redirect_names_the_requested_url(
    site: RecordingServer, session: PoliteSession
) -> None:
    site.expect_request("/old").respond_with_data("", status=308, headers={"Location": "/missing"})
    site.expect_request("/missing").respond_with_data("no", status=404)
    url = site.url_for("/old")
    with pytest.raises(FetchError) as caught:
        session.get(url, policy=site.policy())
    assert (caught.value.url, caught.value.reason) == (url, "http-404")
    assert site.url_for("/missing") in str(caught.value)


def test_redirect_loop_is_cut(site: RecordingServer, session: PoliteSession) -> None:
    site.expect_request("/loop").respond_with_data("", status=302, headers={"Location": "/loop"})
    with pytest.raises(FetchError, match="too-many-redirects"):
        session.get(site.url_for("/loop"), policy=site.policy())
    assert site.paths().count("/loop") == 6


def _stall(_request: Request) -> WResponse:
    time.sleep(0.5)
    return WResponse("late")


def _stall_mid_body(_request: Request) -> WResponse:
    def body() -> Iterator[bytes]:
        yield b"x" * 100
        time.sleep(0.5)
        yield b"y"

    return WResponse(body(), headers={"Content-Type": "text/plain"})


@pytest.mark.parametrize("handler", [_stall, _stall_mid_body], ids=["before-headers", "mid-body"])
def test_read_timeout_is_retried_then_reported(
    site: RecordingServer, handler: Callable[[Request], WResponse]
) -> None:
    site.expect_request("/slow").respond_with_handler(handler)
    settings = HttpSettings(backoff=0.01, read_timeout=0.15, max_attempts=2)
    with PoliteSession(settings) as polite, pytest.raises(FetchError) as caught:
        polite.get(site.url_for("/slow"), policy=site.policy())
    assert (caught.value.reason, caught.value.attempts) == ("timeout", 2)
    assert site.paths().count("/slow") == 2


@pytest.mark.parametrize("declared_length", [True, False], ids=["content-length", "chunked"])
def test_too_large_body_is_refused(site: RecordingServer, *, declared_length: bool) -> None:
    chunks = [b"a" * 1000] * 5
    body: bytes | Iterator[bytes] = b"".join(chunks) if declared_length else iter(chunks)
    site.expect_request("/big").respond_with_handler(lambda _request: WResponse(body))
    with (
        PoliteSession(HttpSettings(backoff=0.01, max_bytes=2500)) as polite,
        pytest.raises(FetchError) as caught,
    ):
        polite.get(site.url_for("/big"), policy=site.policy())
    assert (caught.value.reason, caught.value.attempts) == ("too-large", 1)
    assert site.paths().count("/big") == 1


@pytest.mark.parametrize(
    "meta",
    [
        b'<meta charset="windows-1252">',
        b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">',
    ],
    ids=["meta-charset", "http-equiv"],
)
def test_windows_1252_declared_only_in_meta(
    site: RecordingServer, session: PoliteSession, meta: bytes
) -> None:
    page = b"<html><head>" + meta + b"</head><body><p>\x93quoted\x94 \x96 caf\xe9</p></body></html>"
    site.expect_request("/page").respond_with_data(page, content_type="text/html")
    response = session.get(site.url_for("/page"), policy=site.policy())
    assert response.encoding == "cp1252"
    assert "“quoted” – café" in response.text
    assert response.content_type == "text/html"


def test_header_charset_wins_over_meta(site: RecordingServer, session: PoliteSession) -> None:
    page = '<html><head><meta charset="windows-1252"></head><body>“Привет”</body></html>'.encode()
    site.expect_request("/page").respond_with_data(page, content_type="text/html; charset=UTF-8")
    response = session.get(site.url_for("/page"), policy=site.policy())
    assert response.encoding == "utf-8"
    assert "“Привет”" in response.text


@pytest.mark.parametrize(
    ("content", "content_type", "expected"),
    [
        (b"plain ascii", "text/plain", "utf-8"),
        (
            "Le ministère a publié un communiqué sur la sécurité.".encode("cp1252"),
            "text/plain; charset=x-no-such-charset",
            "cp1252",
        ),
        (
            '<meta charset="bogus"><p>Все новости министерства за неделю</p>'.encode("cp1251"),
            "text/html",
            "cp1251",
        ),
        (b"\xef\xbb\xbfbom", "text/plain; charset=iso-8859-1", "utf-8-sig"),
        (b"caf\xe9", "text/html; charset=ISO-8859-1", "cp1252"),
        (b'<?xml version="1.0" encoding="GB2312"?><rss/>', "application/rss+xml", "gb18030"),
        (b"%PDF-1.7 \xe2\xe3\xcf\xd3", "application/pdf", "utf-8"),
    ],
    ids=["ascii", "unknown-header-label", "detected", "bom", "latin1-widened", "xml-decl", "binary"],
)
def test_decide_encoding_rules(content: bytes, content_type: str, expected: str) -> None:
    assert decide_encoding(content, content_type) == expected


def test_user_agent_names_pressroom(site: RecordingServer, session: PoliteSession) -> None:
    site.expect_request("/page").respond_with_data("ok")
    session.get(site.url_for("/page"), policy=site.policy())
    assert [hit.path for hit in site.hits] == ["/robots.txt", "/page"]
    assert all("pressroom" in hit.headers["User-Agent"] for hit in site.hits)


def test_conditional_get_and_304(site: RecordingServer, session: PoliteSession) -> None:
    site.expect_request("/page").respond_with_data("", status=304, headers={"ETag": '"v1"'})
    stamp = "Wed, 21 Oct 2015 07:28:00 GMT"
    response = session.get(site.url_for("/page"), policy=site.policy(), etag='"v1"', last_modified=stamp)
    assert response.not_modified and response.content == b"" and response.attempts == 1
    assert response.headers["etag"] == '"v1"'
    sent = site.hits[-1].headers
    assert (sent["If-None-Match"], sent["If-Modified-Since"]) == ('"v1"', stamp)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("7", 7.0), ("", None), ("soon", None), ("-3", 0.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
def test_retry_after_values(value: str, seconds: float | None) -> None:
    assert _retry_after(value) == seconds


def test_retry_after_http_date_in_the_future() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    assert 115 <= (_retry_after(later) or 0.0) <= 120


def test_fetch_error_survives_pickling() -> None:
    error = FetchError("https://example.gov/x", "http-500", attempts=4, status=500)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.url, copy.reason, copy.attempts, copy.status, str(copy)) == (
        error.url,
        error.reason,
        4,
        500,
        str(error),
    )
    assert "\n" not in str(error)


def test_settings_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        HttpSettings(max_attempts=0)
    with pytest.raises(TypeError):
        SitePolicy(hosts="example.gov")  # type: ignore[arg-type]
