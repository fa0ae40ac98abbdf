"""Test-session setup: Prefect offline and quiet, one ephemeral Prefect server for the whole session."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

#: a real PostgreSQL per session (tests/pgcluster.py): fixtures `pg_cluster` and `postgres_dsn`
pytest_plugins = ("tests.pgcluster",)

_HOME = Path(tempfile.mkdtemp(prefix="pressroom-prefect-"))
os.environ["PREFECT_HOME"] = str(_HOME)
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "90"
os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"
os.environ["GX_ANALYTICS_ENABLED"] = "false"
# the language model's uncompressed copy (expectations/language_model.py): one per machine for the test
# sessions, not in the user's own cache
os.environ["PRESSROOM_CACHE_DIR"] = str(Path(tempfile.gettempdir()) / "pressroom-test-cache")
for name in ("PRESSROOM_DATA_DIR", "PRESSROOM_WAREHOUSE", "PRESSROOM_SOURCES", "PRESSROOM_LOCK_TIMEOUT"):
    os.environ.pop(name, None)

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """A Prefect test server shared by every test that runs a flow (it takes ~15 s to start once)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture(autouse=True)
def _unhandled_paths_are_404(request: pytest.FixtureRequest) -> None:
    """pytest-httpserver answers a path no test registered with 500. Since robots.txt is read by RFC 9309
    (a 5xx means "disallow everything"), that would refuse every page of a test that does not care about
    robots.txt; a real site without a robots.txt answers 404, so the test server does too."""
    if "httpserver" in request.fixturenames:
        request.getfixturevalue("httpserver").no_handler_status_code = 404
