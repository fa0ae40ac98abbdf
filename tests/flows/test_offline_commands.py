"""A command gets only the resources it uses: those that work on what is stored never open an HTTP
session. Each runs in process on a copy of a demo run while constructing a ``PoliteSession`` or a
``requests.Session`` raises (a guard that fails the command, not a stand-in for HTTP). ``doctor`` is
not among them: probing each source's host is part of its job."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from pressroom.connectors.http import HttpSettings, PoliteSession
from tests.flows.conftest import DemoRun
from tests.flows.helpers import cli

pytestmark = [pytest.mark.slow]


class NetworkUsed(BaseException):
    """Raised by the guard; a BaseException, so no ``except Exception`` in the code under test hides it."""


@pytest.fixture()
def no_http(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(self: object, *args: object, **kwargs: object) -> None:
        raise NetworkUsed(f"{type(self).__name__} constructed by an offline command")

    monkeypatch.setattr(PoliteSession, "__init__", refuse)
    monkeypatch.setattr(requests.Session, "__init__", refuse)
    yield


def test_the_guard_refuses_sessions(no_http: None) -> None:
    with pytest.raises(NetworkUsed):
        PoliteSession(HttpSettings())
    with pytest.raises(NetworkUsed):
        requests.Session()
    with pytest.raises(NetworkUsed):
        requests.get("http://127.0.0.1:9/")  # requests' functions open a Session too


def test_offline_commands_open_no_http_session(demo_copy: DemoRun, no_http: None) -> None:
    args = demo_copy.args()

    def ok(*command: str) -> str:
        code, output = cli(*args, *command)
        assert code == 0, f"pressroom {' '.join(command)} → {code}: {output}"
        return output

    held = {item["release_id"]: item["checks"] for item in map(json.loads, ok("held", "--json").splitlines())}
    assert len(held) == 8
    assert "8 held release(s)" in ok("held")
    assert "published 0 release(s); 8 held" in ok("publish")
    release_id, checks = next((rid, c) for rid, c in held.items() if len(c) == 1)
    assert "waived" in ok("waive", release_id, "--check", checks[0], "--reason", "in the original", "--by", "t")
    assert "published 1 release(s); 7 held" in ok("publish")
    assert "withdrew 1 waiver(s)" in ok("unwaive", release_id, "--check", checks[0], "--reason", "no", "--by", "t")
    assert "reparse run" in ok("reparse")
    assert "recheck run" in ok("recheck")
    assert "recheck run" in ok("recheck", "--all", "--source", "xa-mfa")
    assert "report:" in ok("report")
    assert "sources from" in ok("sources")
    assert "deleted 0 old page bodies" in ok("vacuum")
    text = demo_copy.data_dir / "clean.txt"
    text.write_text("The ministry welcomed the trade agreement that both governments signed in the capital "
                    "on Monday.\n", encoding="utf-8")
    ok("check", str(text))
