"""Prefect's ephemeral API server, tied to the pressroom process that started it.

With no ``PREFECT_API_URL``, Prefect 3 starts a uvicorn server as a child process
(``prefect.server.api.server.SubprocessASGIServer._run_uvicorn_command``, a plain ``subprocess.Popen``)
and stops it from an ``atexit`` hook. A process killed by a signal runs no ``atexit`` hook, so the
server outlived ``pressroom run`` after SIGTERM or SIGKILL, holding its port and ~230 MB.

:func:`start` starts that server once, from the main thread, as a :class:`TiedServer`: on Linux its
child asks the kernel (``prctl(PR_SET_PDEATHSIG, SIGTERM)``) for SIGTERM when its parent thread ends,
so it dies with us even on SIGKILL. Prefect's own code asks ``SubprocessASGIServer()`` for the
default instance and gets this one, already running. A server someone else set up (a test harness,
``PREFECT_API_URL``) is left alone.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from prefect.server.api import server as prefect_server
from prefect.server.api.server import SubprocessASGIServer
from prefect.settings import PREFECT_API_URL

log = logging.getLogger("pressroom.ephemeral")

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_swap = threading.Lock()


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


def _popen_tied(*args: Any, **kwargs: Any) -> subprocess.Popen[Any]:
    kwargs.setdefault("preexec_fn", _die_with_parent(os.getpid()))
    return subprocess.Popen(*args, **kwargs)


@contextmanager
def _tied_popen() -> Iterator[None]:
    """While inside, Prefect's server module sees a ``subprocess`` whose ``Popen`` ties the child to us;
    the real module (used everywhere else) is untouched."""
    shim = ModuleType("subprocess")
    shim.__dict__.update(vars(subprocess))
    shim.Popen = _popen_tied  # type: ignore[attr-defined]
    with _swap:
        original = prefect_server.subprocess
        prefect_server.subprocess = shim
        try:
            yield
        finally:
            prefect_server.subprocess = original


class TiedServer(SubprocessASGIServer):
    """Prefect's ephemeral server whose uvicorn child dies with this process (Linux)."""

    def _run_uvicorn_command(self) -> subprocess.Popen[Any]:
        with _tied_popen():
            return super()._run_uvicorn_command()

    def kill_now(self) -> None:
        """SIGTERM the server without waiting (from a signal handler, just before exiting)."""
        process = self.server_process
        if process is not None and process.poll() is None:
            process.terminate()


def start() -> TiedServer | None:
    """Start the ephemeral server now, from this (main) thread, unless a Prefect API is configured or
    another server is already registered as Prefect's default. Return it (``None`` when not ours)."""
    if PREFECT_API_URL.value():
        return None
    existing = SubprocessASGIServer._instances.get(None)
    if existing is not None and not isinstance(existing, TiedServer):
        return None
    server = TiedServer()  # __new__ registers it as the default (port None) instance
    server.start()
    log.debug("ephemeral Prefect server %s, pid %s", server.api_url,
              server.server_process.pid if server.server_process else None)
    return server
