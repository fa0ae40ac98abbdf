"""PoliteSession against real local HTTP servers (pytest-httpserver on 127.0.0.1, threaded).

Throttling and backoff run on a :class:`~tests.connectors.clock.FakeClock`: the server stamps each
request with the clock's time when it arrives, so schedules are asserted exactly and nothing sleeps. Two
smoke tests keep the real clock (threads sharing a host, and a quick retry).
"""

from __future__ import annotations

import itertools
import logging
import math
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
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from pytest_httpserver import HTTPServer
from werkzeug import Request
from werkzeug import Response as WResponse

from pressroom.connectors.charset import decide_encoding
from pressroom.connectors.http import FetchError, HttpSettings, PoliteSession, SitePolicy, _retry_after, _Throttle
from tests.connectors.clock import FakeClock, ScriptedJitter

FAST = HttpSettings(backoff=0.01, max_backoff=0.05, connect_timeout=2.0, read_timeout=2.0)
# The real-clock smoke test observes arrival times server-side: on a loaded 2-core machine the first
# request of a fresh connection can reach the handler tens of milliseconds after it was sent while the
# next, on a kept-alive connection, arrives at once. 50 ms still tells a throttled client (gaps of the
# full interval) from an unthrottled one (gaps near zero).
TIMING_SLACK = 0.05


@dataclass(frozen=True, slots=True)
class Hit:
    at: float
    path: str
    headers: dict[str, str]


class RecordingServer(HTTPServer):
    """pytest-httpserver that remembers when each request arrived, by ``clock`` (the real monotonic
    clock unless a test sets the session's fake one)."""

    def __init__(self) -> None:
        super().__init__(host="127.0.0.1", port=0, threaded=True)
        self.hits: list[Hit] = []
        self.clock: Callable[[], float] = time.monotonic

    def application(self, request: Request) -> WResponse:
        self.hits.append(Hit(self.clock(), request.path, dict(request.headers)))
        return super().application(request)

    def clear(self) -> None:
        super().clear()
        self.hits = []
        self.clock = time.monotonic

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


@pytest.fixture
def clock(servers: tuple[RecordingServer, RecordingServer]) -> FakeClock:
    """A fake clock the servers stamp arrivals with; pass it to the session under test."""
    fake = FakeClock()
    for server in servers:
        server.clock = fake.monotonic
    return fake


def sequence(*responses: WResponse) -> Callable[[Request], WResponse]:
    """A handler serving ``responses`` in order, then repeating the last one."""
    queue = list(responses)
    lock = threading.Lock()

    def handler(_request: Request) -> WResponse:
        with lock:
            return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler


def test_500_then_200_is_retried(site: RecordingServer, session: PoliteSession) -> None:
    """Smoke test on the real clock and random source."""
    site.expect_request("/page").respond_with_handler(sequence(WResponse("boom", 500), WResponse("ok", 200)))
    response = session.get(site.url_for("/page"), policy=site.policy())
    assert (response.status, response.content, response.attempts) == (200, b"ok", 2)
    assert site.paths().count("/page") == 2


def test_backoff_doubles_with_jitter_up_to_the_cap(site: RecordingServer, clock: FakeClock) -> None:
    """Before attempt n+1: min(max_backoff, backoff * 2**(n-1) * uniform(0.5, 1.5))."""
    down = WResponse("down", 503)
    site.expect_request("/page").respond_with_handler(sequence(down, down, down, WResponse("ok")))
    jitter = ScriptedJitter(1.5, 0.5, 1.0)
    settings = HttpSettings(backoff=1.0, max_backoff=3.0, max_attempts=4)
    with PoliteSession(settings, clock=clock, rng=jitter) as polite:
        response = polite.get(site.url_for("/page"), policy=site.policy())
    assert (response.status, response.attempts) == (200, 4)
    assert clock.sleeps == [1.5, 1.0, 3.0]  # 1 * 1.5, 2 * 0.5, min(3, 4 * 1.0)
    assert jitter.asked == [(0.5, 1.5)] * 3
    assert site.starts("/page") == [0.0, 1.5, 2.5, 5.5]
    assert response.fetched_at == clock.now()


def test_retry_after_seconds_is_honoured(site: RecordingServer, clock: FakeClock) -> None:
    busy = WResponse("busy", 503, headers={"Retry-After": "7"})
    site.expect_request("/page").respond_with_handler(sequence(busy, WResponse("ok")))
    with PoliteSession(HttpSettings(backoff=1.0), clock=clock, rng=ScriptedJitter(1.0)) as polite:
        assert polite.get(site.url_for("/page"), policy=site.policy()).attempts == 2
    assert clock.sleeps == [7.0]
    assert site.starts("/page") == [0.0, 7.0]


def test_backoff_longer_than_retry_after_wins(site: RecordingServer, clock: FakeClock) -> None:
    busy = WResponse("busy", 429, headers={"Retry-After": "2"})
    site.expect_request("/page").respond_with_handler(sequence(busy, WResponse("ok")))
    with PoliteSession(HttpSettings(backoff=8.0), clock=clock, rng=ScriptedJitter(0.5)) as polite:
        polite.get(site.url_for("/page"), policy=site.policy())
    assert clock.sleeps == [4.0]
    assert site.starts("/page") == [0.0, 4.0]


def test_retry_after_http_date_is_read_against_the_clock(site: RecordingServer, clock: FakeClock) -> None:
    clock.sleep(0.5)  # the date is whole seconds: the wait is what is left of them
    later = format_datetime(clock.now() + timedelta(seconds=120), usegmt=True)
    busy = WResponse("busy", 503, headers={"Retry-After": later})
    site.expect_request("/page").respond_with_handler(sequence(busy, WResponse("ok")))
    with PoliteSession(HttpSettings(backoff=1.0), clock=clock, rng=ScriptedJitter(1.0)) as polite:
        polite.get(site.url_for("/page"), policy=site.policy())
    assert clock.sleeps == [0.5, 119.5]
    assert site.starts("/page") == [0.5, 120.0]


def test_retry_after_too_long_gives_up_at_once(site: RecordingServer, clock: FakeClock) -> None:
    site.expect_request("/page").respond_with_data("slow down", status=429, headers={"Retry-After": "3600"})
    with PoliteSession(FAST, clock=clock) as polite, pytest.raises(FetchError) as caught:
        polite.get(site.url_for("/page"), policy=site.policy())
    assert (caught.value.reason, caught.value.attempts, caught.value.status) == (
        "retry-after-too-long",
        1,
        429,
    )
    assert site.paths().count("/page") == 1
    assert clock.sleeps == []


def test_permanent_503_is_bounded(site: RecordingServer, clock: FakeClock) -> None:
    site.expect_request("/page").respond_with_data("down", status=503)
    settings = HttpSettings(backoff=2.0, max_attempts=3)
    with PoliteSession(settings, clock=clock, rng=ScriptedJitter(1.0, 1.0)) as polite, \
            pytest.raises(FetchError) as caught:
        polite.get(site.url_for("/page"), policy=site.policy())
    assert (caught.value.reason, caught.value.attempts, caught.value.status) == ("http-503", 3, 503)
    assert site.starts("/page") == [0.0, 2.0, 6.0]
    assert clock.sleeps == [2.0, 4.0]  # no wait after the last attempt


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


@pytest.mark.parametrize(("crawl_delay", "min_interval", "spacing"), [("1", 0.0, 1.0), ("0.5", 2.0, 2.0)])
def test_crawl_delay_widens_the_interval(
    site: RecordingServer, clock: FakeClock, crawl_delay: str, min_interval: float, spacing: float
) -> None:
    site.expect_oneshot_request("/robots.txt").respond_with_data(f"User-agent: *\nCrawl-delay: {crawl_delay}\n")
    site.expect_request("/page").respond_with_data("ok")
    with PoliteSession(FAST, clock=clock) as polite:
        for _ in range(2):
            polite.get(site.url_for("/page"), policy=site.policy(min_interval=min_interval))
    assert site.paths() == ["/robots.txt", "/page", "/page"]
    # robots.txt itself is spaced by min_interval only: the crawl delay is not known before it is read.
    assert site.starts("/page") == [spacing, 2 * spacing]


def test_min_interval_between_requests_to_one_host(site: RecordingServer, clock: FakeClock) -> None:
    site.expect_request("/page").respond_with_data("ok")
    with PoliteSession(FAST, clock=clock) as polite:
        for _ in range(3):
            polite.get(site.url_for("/page"), policy=site.policy(min_interval=0.25))
    assert site.paths() == ["/robots.txt", "/page", "/page", "/page"]
    assert [hit.at for hit in site.hits] == [0.0, 0.25, 0.5, 0.75]
    assert clock.sleeps == [0.25, 0.25, 0.25]


def test_time_spent_elsewhere_counts_towards_the_interval(
    site: RecordingServer, other_site: RecordingServer, clock: FakeClock
) -> None:
    """Hosts are throttled independently: the wait for one host's interval is time the other's passes."""
    for server in (site, other_site):
        server.expect_request("/page").respond_with_data("ok")
    with PoliteSession(FAST, clock=clock) as polite:
        for server in (site, other_site, site, other_site):
            polite.get(server.url_for("/page"), policy=server.policy(min_interval=0.5))
    assert [hit.at for hit in site.hits] == [0.0, 0.5, 1.0]  # robots.txt, /page, /page without a wait
    assert [hit.at for hit in other_site.hits] == [0.5, 1.0, 1.5]
    assert clock.sleeps == [0.5, 0.5, 0.5]


def test_retry_after_holds_back_every_request_to_the_host() -> None:
    """A server's Retry-After defers the host for all threads, not only for the URL that was retried."""
    clock = FakeClock()
    throttle = _Throttle(clock)
    throttle.wait("a.example", 0.0)
    throttle.defer("a.example", 30.0)
    throttle.wait("b.example", 0.0)
    assert clock.sleeps == []
    throttle.wait("a.example", 0.0)
    assert (clock.sleeps, clock.time) == ([30.0], 30.0)


class ThrottleMachine(RuleBasedStateMachine):
    """The throttle against its contract: a request to a netloc starts as soon as, and never before,
    the previous start plus the interval asked for, and no sooner than any Retry-After deferral."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.throttle = _Throttle(self.clock)
        self.last_start: dict[str, float] = {}
        self.not_before: dict[str, float] = {}

    @rule(seconds=st.floats(0, 100))
    def time_passes(self, seconds: float) -> None:
        self.clock.time += seconds

    @rule(netloc=st.sampled_from(["a", "b", "c"]), seconds=st.floats(0, 100))
    def server_asks_to_wait(self, netloc: str, seconds: float) -> None:
        self.throttle.defer(netloc, seconds)
        self.not_before[netloc] = max(self.not_before.get(netloc, -math.inf), self.clock.time + seconds)

    @rule(netloc=st.sampled_from(["a", "b", "c"]), interval=st.floats(0, 10))
    def request(self, netloc: str, interval: float) -> None:
        arrived = self.clock.time
        earliest = max(arrived, self.last_start.get(netloc, -math.inf) + interval,
                       self.not_before.get(netloc, -math.inf))
        self.throttle.wait(netloc, interval)
        start = self.clock.time
        assert start >= earliest
        assert start == pytest.approx(earliest, rel=1e-12, abs=1e-12), "waited longer than needed"
        self.last_start[netloc] = start

    @invariant()
    def time_never_goes_back(self) -> None:
        assert all(seconds >= 0 for seconds in self.clock.sleeps)


TestThrottle = ThrottleMachine.TestCase
TestThrottle.settings = settings(max_examples=50, stateful_step_count=20, deadline=None, derandomize=True)


@given(
    backoff=st.floats(0, 100), max_backoff=st.floats(0, 1000), attempt=st.integers(1, 2000),
    jitter=st.floats(0.5, 1.5), retry_after=st.none() | st.floats(0, 300),
)
def test_retry_delay_is_bounded_and_honours_retry_after(
    backoff: float, max_backoff: float, attempt: int, jitter: float, retry_after: float | None
) -> None:
    settings = HttpSettings(backoff=backoff, max_backoff=max_backoff)
    delay = settings.retry_delay(attempt, jitter=jitter, retry_after=retry_after)
    later = settings.retry_delay(attempt + 1, jitter=jitter, retry_after=retry_after)
    assert math.isfinite(delay) and delay >= (retry_after or 0.0)
    assert delay <= max(max_backoff, retry_after or 0.0)
    assert later >= delay
    if retry_after is None and attempt == 1:
        assert delay == min(max_backoff, backoff * jitter)


def test_hosts_are_throttled_independently_and_threads_share_a_host(
    site: RecordingServer, other_site: RecordingServer, session: PoliteSession
) -> None:
    """Smoke test on the real clock: threads wait outside the lock, so two hosts proceed in parallel."""
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
    site: RecordingServer, clock: FakeClock, handler: Callable[[Request], WResponse]
) -> None:
    site.expect_request("/slow").respond_with_handler(handler)
    settings = HttpSettings(backoff=1.0, read_timeout=0.15, max_attempts=2)
    with PoliteSession(settings, clock=clock, rng=ScriptedJitter(1.0)) as polite, pytest.raises(FetchError) as caught:
        polite.get(site.url_for("/slow"), policy=site.policy())
    assert (caught.value.reason, caught.value.attempts) == ("timeout", 2)
    assert site.paths().count("/slow") == 2
    assert clock.sleeps == [1.0]


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


NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7.0), ("2.5", 2.5), ("", None), ("soon", None), ("-3", 0.0), ("inf", None), ("nan", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("Mon, 02 Mar 2026 09:32:00 GMT", 120.0),
        ("Mon, 02 Mar 2026 09:32:00", 120.0),  # no zone: read as GMT
        ("Mon, 02 Mar 2026 10:32:00 +0100", 120.0),
    ],
)
def test_retry_after_values(value: str, seconds: float | None) -> None:
    assert _retry_after(value, now=NOW) == seconds


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
