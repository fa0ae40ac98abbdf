"""SIGINT and SIGTERM stop a run between two transactions, never inside one.

The first signal only raises a flag (:func:`handling_signals` installs the handlers); the pipeline
calls :func:`check` where stopping is safe — before each batch (whose load and check transactions so
land together), between maintenance chunks, between a run's stages — and :func:`check` raises
:class:`Interrupted` there. It is a ``BaseException``, so the per-source ``except Exception`` isolation
and Prefect's task error handling let it through; the CLI then records the process's running runs as
``interrupted`` and exits ``128 + signal`` (130 for SIGINT, 143 for SIGTERM). A second signal exits at
once with the same code, after stopping the ephemeral Prefect server; the next process that opens the
warehouse records that run as interrupted (:mod:`warehouse.runs`).

Prefect's flow engine, when it runs on the main thread, swaps in its own SIGTERM handler that raises
wherever the main thread happens to be, a half-done statement included. :func:`run_in_thread` runs a
flow on a worker thread instead, where Prefect cannot install handlers, so the signal reaches ours.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TypeVar

log = logging.getLogger("pressroom.interrupts")
T = TypeVar("T")

HANDLED = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """A signal asked the run to stop; raised between transactions by :func:`check`."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        """``128 + signal``, as a shell reports a process ended by that signal."""
        return 128 + self.signum


_requested: int | None = None
_on_second: list[Callable[[], None]] = []


def requested() -> int | None:
    """The signal that asked to stop, or ``None``."""
    return _requested


def check() -> None:
    """Raise :class:`Interrupted` when a stop was requested; call it only between transactions."""
    if _requested is not None:
        raise Interrupted(_requested)


def on_second_signal(action: Callable[[], None]) -> None:
    """Run ``action`` (quick, no locks) before a second signal ends the process at once."""
    _on_second.append(action)


def _handle(signum: int, frame: FrameType | None) -> None:
    global _requested
    if _requested is None:
        _requested = signum
        log.warning("%s received: stopping after the current batch (send it again to stop at once)",
                    signal.Signals(signum).name)
        return
    for action in _on_second:
        try:
            action()
        except Exception:  # exiting anyway: say what went wrong and go on
            log.exception("while stopping at once")
    os._exit(128 + signum)


@contextmanager
def handling_signals() -> Iterator[None]:
    """SIGINT and SIGTERM set the stop flag while inside; the previous handlers come back after.
    Off the main thread (where Python allows no handlers) it does nothing."""
    global _requested
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _handle) for signum in HANDLED}
    _requested = None
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _requested = None
        _on_second.clear()


def run_in_thread(action: Callable[[], T], *, name: str = "pressroom-flow") -> T:
    """``action()`` on a worker thread while this (main) thread keeps handling signals.

    When a stop was requested and ``action`` ended with any exception (Prefect may wrap or replace
    the :class:`Interrupted` raised in a task), :class:`Interrupted` is raised here."""
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = action()
        except BaseException as error:  # noqa: BLE001 — handed to the main thread as it is
            outcome["error"] = error

    worker = threading.Thread(target=target, name=name, daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.2)
    error = outcome.get("error")
    if isinstance(error, BaseException):
        if _requested is not None and not isinstance(error, Interrupted):
            raise Interrupted(_requested) from error
        raise error
    return outcome["value"]  # type: ignore[return-value]
