"""Many hosts at once through one PoliteSession: at most ``max_hosts_in_parallel`` requests in flight,
each host at its own interval, and a thread waiting for a host's interval holds no slot.

Real local servers (threaded ``http.server``, one per port, so one netloc each) on the real clock; each
server records when requests arrive and how many are being answered at once across all servers.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pressroom.connectors.config import ConfigError, parse_config
from pressroom.connectors.http import HttpSettings, PoliteSession, SitePolicy
from tests.connectors.clock import FakeClock

SLACK = 0.05  # arrival times are stamped server-side; see TIMING_SLACK in test_http.py
ANSWER_SECONDS = 0.05
SLOW_SECONDS = 0.4


class Farm:
    """Several one-port HTTP servers sharing an in-flight counter and per-host arrival logs."""

    def __init__(self, count: int) -> None:
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0
        self.host_in_flight: dict[str, int] = {}
        self.most_host_in_flight: dict[str, int] = {}
        self.arrivals: dict[str, list[float]] = {}
        farm = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                netloc = f"127.0.0.1:{self.server.server_address[1]}"
                with farm.lock:
                    farm.arrivals.setdefault(netloc, []).append(time.monotonic())
                    farm.in_flight += 1
                    farm.most_in_flight = max(farm.most_in_flight, farm.in_flight)
                    farm.host_in_flight[netloc] = farm.host_in_flight.get(netloc, 0) + 1
                    farm.most_host_in_flight[netloc] = max(farm.most_host_in_flight.get(netloc, 0),
                                                           farm.host_in_flight[netloc])
                time.sleep(SLOW_SECONDS if self.path.startswith("/slow") else ANSWER_SECONDS)
                with farm.lock:
                    farm.in_flight -= 1
                    farm.host_in_flight[netloc] -= 1
                status = 404 if self.path == "/robots.txt" else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:
                return

        self.servers = [ThreadingHTTPServer(("127.0.0.1", 0), Handler) for _ in range(count)]
        self.threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
                        for s in self.servers]
        for thread in self.threads:
            thread.start()

    @property
    def netlocs(self) -> list[str]:
        return [f"127.0.0.1:{server.server_address[1]}" for server in self.servers]

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


@pytest.fixture
def farm() -> Iterator[Farm]:
    servers = Farm(6)
    yield servers
    servers.close()


def test_requests_in_flight_are_capped_and_each_host_keeps_its_interval(farm: Farm) -> None:
    interval, pages = 0.3, 3
    settings = HttpSettings(max_hosts_in_parallel=2, connect_timeout=5, read_timeout=5)

    def crawl(netloc: str) -> None:
        policy = SitePolicy(hosts=frozenset({netloc}), min_interval=interval)
        for page in range(pages):
            assert session.get(f"http://{netloc}/p{page}", policy=policy).status == 200

    began = time.monotonic()
    with PoliteSession(settings) as session, ThreadPoolExecutor(max_workers=len(farm.netlocs)) as pool:
        list(pool.map(crawl, farm.netlocs))
    elapsed = time.monotonic() - began
    assert farm.most_in_flight == 2
    for netloc in farm.netlocs:
        starts = farm.arrivals[netloc]
        assert len(starts) == pages + 1  # robots.txt, then the pages
        assert all(b - a >= interval - SLACK for a, b in itertools.pairwise(starts)), (netloc, starts)
    # Hosts interleave: 6 hosts × 4 requests at 2 in flight take ~12 × 0.05 s of answering, far below
    # the 6 × 3 × 0.3 s = 5.4 s of handling hosts one after another.
    assert elapsed < 6 * pages * interval / 2


def test_one_slot_still_serves_every_host_in_turn(farm: Farm) -> None:
    """With a single slot requests never overlap, and no host waits for another host's interval."""
    settings = HttpSettings(max_hosts_in_parallel=1, connect_timeout=5, read_timeout=5, respect_robots=False)
    with PoliteSession(settings) as session, ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda n: session.get(f"http://{n}/x", policy=SitePolicy(hosts=frozenset({n}),
                                                                                 min_interval=5.0)),
                      farm.netlocs))
    assert farm.most_in_flight == 1
    assert sorted(farm.arrivals) == sorted(farm.netlocs)


@pytest.mark.parametrize("connections", [1, 2, 3])
def test_a_host_never_has_more_requests_in_flight_than_its_connections(farm: Farm, connections: int) -> None:
    """Eight threads on one host's slow pages: at most ``connections`` are answered at once (and that
    many are, so slow answers overlap), and starts stay ``min_interval`` apart whatever ``connections``."""
    netloc, interval, pages = farm.netlocs[0], 0.05, 8
    policy = SitePolicy(hosts=frozenset({netloc}), min_interval=interval, connections=connections)
    settings = HttpSettings(connect_timeout=5, read_timeout=5, respect_robots=False)
    began = time.monotonic()
    with PoliteSession(settings) as session, ThreadPoolExecutor(max_workers=pages) as pool:
        statuses = list(pool.map(lambda page: session.get(f"http://{netloc}/slow{page}", policy=policy).status,
                                 range(pages)))
    elapsed = time.monotonic() - began
    assert statuses == [200] * pages
    assert farm.most_host_in_flight[netloc] == connections
    starts = farm.arrivals[netloc]
    assert all(b - a >= interval - SLACK for a, b in itertools.pairwise(starts)), starts
    # one connection: the pages one after another; more: about pages / connections slow answers
    assert elapsed >= pages / connections * SLOW_SECONDS - SLACK
    assert elapsed < (pages / connections + 1.5) * (SLOW_SECONDS + interval)


@pytest.mark.parametrize("value", [0, -1])
def test_connections_below_one_are_refused(value: int) -> None:
    with pytest.raises(ValueError, match="connections"):
        SitePolicy(hosts=frozenset({"a.example"}), connections=value)


def test_settle_waits_out_the_last_interval_of_the_hosts_named() -> None:
    clock = FakeClock()
    farm = Farm(1)
    try:
        netloc = farm.netlocs[0]
        with PoliteSession(HttpSettings(), clock=clock) as session:
            session.get(f"http://{netloc}/x", policy=SitePolicy(hosts=frozenset({netloc}), min_interval=2.0))
            assert clock.time == 2.0  # robots.txt at 0, the page at 2
            session.settle(["elsewhere.example"])
            assert clock.time == 2.0
            session.settle([netloc.upper()])
            assert clock.time == 4.0
            session.settle([netloc])
            assert clock.time == 4.0
    finally:
        farm.close()


@pytest.mark.parametrize("value", [0, -1, 1025, "many"])
def test_max_hosts_in_parallel_is_validated(value: object) -> None:
    with pytest.raises(ConfigError, match="max_hosts_in_parallel"):
        parse_config({"http": {"max_hosts_in_parallel": value}})


def test_max_hosts_in_parallel_defaults_to_32_and_reaches_the_session() -> None:
    assert parse_config({}).http.settings().max_hosts_in_parallel == 32
    assert parse_config({"http": {"max_hosts_in_parallel": 200}}).http.settings().max_hosts_in_parallel == 200
