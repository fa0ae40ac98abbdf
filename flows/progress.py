"""Progress of long work: the CLI installs a reporter, the pipeline calls it. Default: log lines."""

from __future__ import annotations

import logging
import threading
from typing import Protocol

log = logging.getLogger("pressroom.progress")


class Reporter(Protocol):
    def begin(self, source_id: str, *, total: int | None) -> None: ...
    def advance(self, source_id: str, *, done: int) -> None: ...
    def end(self, source_id: str, *, status: str) -> None: ...
    def note(self, message: str) -> None: ...


class LogReporter:
    """Plain log lines: when a source starts, after every batch, and when it ends."""

    def __init__(self) -> None:
        self._done: dict[str, int] = {}
        self._lock = threading.Lock()

    def begin(self, source_id: str, *, total: int | None) -> None:
        with self._lock:
            self._done[source_id] = 0
        log.info("%s: started%s", source_id, f" ({total} pages)" if total is not None else "")

    def advance(self, source_id: str, *, done: int) -> None:
        with self._lock:
            self._done[source_id] = self._done.get(source_id, 0) + done
            total = self._done[source_id]
        log.info("%s: %d pages fetched", source_id, total)

    def end(self, source_id: str, *, status: str) -> None:
        log.info("%s: %s", source_id, status)

    def note(self, message: str) -> None:
        log.info("%s", message)


_current: Reporter = LogReporter()


def reporter() -> Reporter:
    return _current


def install(new: Reporter) -> Reporter:
    """Use ``new`` from now on; return the previous reporter."""
    global _current
    previous, _current = _current, new
    return previous
