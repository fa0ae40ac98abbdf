"""Per-source retry statuses: State Department throttles with 403 HTML pages, not 429."""

from __future__ import annotations

from pytest_httpserver import HTTPServer

from pressroom.connectors.config import parse_config
from pressroom.connectors.http import FetchError, HttpSettings, PoliteSession, SitePolicy
from tests.connectors.clock import FakeClock, ScriptedJitter


def test_403_is_retried_only_where_the_source_says_so(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/x").respond_with_data("<h1>Forbidden</h1>", status=403,
                                                               content_type="text/html")
    httpserver.expect_request("/x").respond_with_data("ok")
    hosts = frozenset({f"{httpserver.host}:{httpserver.port}"})
    clock = FakeClock()
    with PoliteSession(HttpSettings(backoff=2.0, max_attempts=3, respect_robots=False), clock=clock,
                       rng=ScriptedJitter(1.0)) as session:
        response = session.get(httpserver.url_for("/x"), policy=SitePolicy(hosts, 0, frozenset({403})))
        assert response.content == b"ok" and response.attempts == 2
        assert clock.sleeps == [2.0]
        httpserver.expect_oneshot_request("/y").respond_with_data("no", status=403)
        try:
            session.get(httpserver.url_for("/y"), policy=SitePolicy(hosts, 0))
        except FetchError as error:
            assert error.reason == "http-403" and error.attempts == 1
        else:
            raise AssertionError("403 without retry_statuses must fail at once")
        assert clock.sleeps == [2.0]


def test_retry_statuses_are_validated() -> None:
    entry = {"id": "us-state", "name": "State", "country": "US", "kind": "wordpress", "url": "https://www.state.gov",
             "retry_statuses": [403, 200]}
    import pytest

    from pressroom.connectors.config import ConfigError

    with pytest.raises(ConfigError, match="'retry_statuses': 200 is not an HTTP error status"):
        parse_config({"sources": [entry]})
