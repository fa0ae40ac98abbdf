"""Host slots through a Prefect server in trouble: a 5xx or a lost connection while asking for a host's
global concurrency slot is asked again with backoff, within a bounded patience, instead of failing the
whole source (a server on SQLite answered 503 to 19 of 200 sources asking at once); a refusal of any
other kind is raised at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError

from pressroom.flows import hosts

REQUEST = httpx.Request("POST", "http://127.0.0.1:4200/api/v2/concurrency_limits/increment")


def refusal(kind: str) -> ConcurrencySlotAcquisitionError:
    """What Prefect raises: its error, caused by the HTTP status or the transport failure (or nothing)."""
    error = ConcurrencySlotAcquisitionError(f"Unable to acquire concurrency slots: {kind}")
    if kind.isdigit():
        error.__cause__ = httpx.HTTPStatusError(kind, request=REQUEST, response=httpx.Response(int(kind),
                                                                                               request=REQUEST))
    elif kind == "connect":
        error.__cause__ = httpx.ConnectError("refused", request=REQUEST)
    return error


class Server:
    """Answers each ask with the next scripted outcome (``ok`` holds the slot), on a clock of its own."""

    def __init__(self, script: list[str]) -> None:
        self.script = list(script)
        self.asks = 0
        self.held = 0
        self.now = 0.0
        self.sleeps: list[float] = []

    @contextmanager
    def concurrency(self, names: list[str], **_: Any) -> Iterator[None]:
        self.asks += 1
        outcome = self.script.pop(0) if self.script else "ok"
        if outcome != "ok":
            raise refusal(outcome)
        self.held += 1
        try:
            yield
        finally:
            self.held -= 1

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture()
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    made = Server([])
    monkeypatch.setattr("prefect.concurrency.sync.concurrency", made.concurrency)
    yield made


def acquire(server: Server, patience: float = 300.0) -> None:
    with ExitStack() as stack:
        hosts._acquire(stack, ["pressroom-host:a"], patience=patience, sleep=server.sleep, clock=lambda: server.now)
        assert server.held == 1
    assert server.held == 0


def test_a_server_answering_503_is_asked_again_with_backoff(server: Server) -> None:
    server.script = ["503", "503", "connect", "502"]
    acquire(server)
    assert server.asks == 5
    assert server.sleeps == [1.0, 2.0, 4.0, 8.0]


@pytest.mark.parametrize("kind", ["limit missing", "409", "423"])
def test_any_other_refusal_is_raised_at_once(server: Server, kind: str) -> None:
    server.script = [kind]
    with pytest.raises(ConcurrencySlotAcquisitionError, match=kind):
        acquire(server)
    assert server.sleeps == []


TRANSIENT = ["500", "502", "503", "connect"]


@settings(max_examples=200, deadline=None)
@given(script=st.lists(st.sampled_from([*TRANSIENT, "ok", "404"]), max_size=30),
       patience=st.floats(min_value=0, max_value=400))
def test_the_slot_is_held_after_the_first_grant_or_the_error_raised_within_patience(
    script: list[str], patience: float
) -> None:
    server = Server(script)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("prefect.concurrency.sync.concurrency", server.concurrency)
        outcome = "ok"
        try:
            acquire(server, patience)
        except ConcurrencySlotAcquisitionError as error:
            outcome = str(error).rsplit(": ", 1)[-1]
    first = next((i for i, kind in enumerate(script) if kind not in TRANSIENT), len(script))
    # Never a pause beyond patience, each at most the cap, and asked again only after a server error.
    assert sum(server.sleeps) <= patience
    assert all(pause <= hosts.ACQUIRE_BACKOFF_MAX for pause in server.sleeps)
    assert server.asks == len(server.sleeps) + 1
    if outcome == "ok":
        assert server.asks - 1 == min(first, len(script))
    elif outcome in TRANSIENT:
        assert server.asks <= first and sum(server.sleeps) + min(2 ** len(server.sleeps), 30) > patience
    else:
        assert server.asks == first + 1 and script[first] == outcome
