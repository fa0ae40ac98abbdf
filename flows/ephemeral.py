"""Prefect's ephemeral API server, tied to the pressroom process that started it, without its code in ours.

With no ``PREFECT_API_URL``, Prefect 3 starts a uvicorn server as a child process
(``prefect.server.api.server.SubprocessASGIServer``) and stops it from an ``atexit`` hook. Two things
about that did not suit a run:

- A process killed by a signal runs no ``atexit`` hook, so the server outlived ``pressroom run`` after
  SIGTERM or SIGKILL, holding its port and ~230 MB.
- To start it, Prefect imports its whole server (FastAPI, SQLAlchemy, the ORM models, the API routes)
  into the calling process, which only ever talks to it over HTTP: 72 MiB of the flows process's
  resident memory (``bench-e2e``, issue #17).

:func:`start` starts that server once, from the main thread, with the command Prefect uses (``python -m
uvicorn --factory prefect.server.api.server:create_app``, the same environment), as a :class:`TiedServer`
whose child asks the kernel (``prctl(PR_SET_PDEATHSIG, SIGTERM)``, Linux) for SIGTERM when its parent
thread ends, so it dies with us even on SIGKILL. It then sets ``PREFECT_API_URL`` for this process, so
Prefect's clients (API, logs, events) talk to it as to any server and never import or start their own.
A server someone else set up (a test harness, ``PREFECT_API_URL``) is left alone.
"""

from __future__ import annotations

import atexit
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import prefect
from prefect.context import refresh_global_settings_context
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
    get_current_settings,
)

log = logging.getLogger("pressroom.ephemeral")

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
#: uvicorn's exit code when its port was taken meanwhile: Prefect then starts it again on another.
_PORT_TAKEN = 3
_lock = threading.Lock()
_server: TiedServer | None = None


def _die_with_parent(parent: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` that asks for SIGTERM when the parent (thread) dies; ``None`` off Linux."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded before the fork: the child only calls into it

    def arm() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return arm


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TiedServer:
    """Prefect's ephemeral server in a child of this process that dies with it (Linux)."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.server_process: subprocess.Popen[Any] | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def _run_uvicorn_command(self) -> subprocess.Popen[Any]:
        """Prefect's own command and environment for its ephemeral server (``SubprocessASGIServer``)."""
        env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
               "PREFECT__SERVER_FINAL": "1", **get_current_settings().to_environment_variables(exclude_unset=True)}
        return subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", str(Path(prefect.__file__).parent.parent), "--factory",
             "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "error", "--lifespan", "on"],
            env=env, preexec_fn=_die_with_parent(os.getpid()),
        )

    def start(self) -> None:
        """Start the server and wait until it answers its health check (at most
        ``PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS``)."""
        self.server_process = self._run_uvicorn_command()
        atexit.register(self.stop)
        deadline = time.monotonic() + float(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
        with httpx.Client() as client:
            while time.monotonic() < deadline:
                code = self.server_process.poll()
                if code == _PORT_TAKEN:
                    self.port = _free_port()
                    self.server_process = self._run_uvicorn_command()
                    continue
                if code is not None:
                    break
                try:
                    if client.get(f"{self.api_url}/health").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        code = self.server_process.poll()
        self.stop()
        raise RuntimeError("Timed out while attempting to connect to ephemeral Prefect API server."
                           + (f" Ephemeral server process exited with code {code}." if code is not None else ""))

    def stop(self) -> None:
        process, self.server_process = self.server_process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill_now(self) -> None:
        """SIGTERM the server without waiting (from a signal handler, just before exiting)."""
        process = self.server_process
        if process is not None and process.poll() is None:
            process.terminate()


def start() -> TiedServer | None:
    """Start the ephemeral server now, from this (main) thread, unless a Prefect API is configured, and
    point this process's Prefect at it. Return it (``None`` when not ours); a second call returns the
    running one."""
    global _server
    with _lock:
        if _server is not None and _server.server_process is not None and _server.server_process.poll() is None:
            return _server
        if PREFECT_API_URL.value():
            return None
        server = TiedServer()
        server.start()
        _server = server
        os.environ["PREFECT_API_URL"] = server.api_url
        refresh_global_settings_context()
        atexit.register(_forget, server)
    log.debug("ephemeral Prefect server %s, pid %s", server.api_url,
              server.server_process.pid if server.server_process else None)
    return server


def _forget(server: TiedServer) -> None:
    """At exit: the variable no longer names a running server."""
    if os.environ.get("PREFECT_API_URL") == server.api_url:
        del os.environ["PREFECT_API_URL"]
