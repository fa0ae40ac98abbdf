"""Progress of long work: the CLI installs a reporter, the pipeline calls it. Default: log lines."""

from __future__ import annotations

import logging
import threading
from typing import Protocol

log = logging.getLogger("pressroom.progress")


class Reporter(Protocol):
    def begin(self, source_id: str, *, total: int) -> None: ...
    def advance(self, source_id: str, *, done: int) -> None: ...
    def end(self, source_id: str, *, status: str) -> None: ...
    def note(self, message: str) -> None: ...


class LogReporter:
    """Plain log lines: one when a source starts, every ~10 % of its pages, and when it ends."""

    def __init__(self) -> None:
        self._totals: dict[str, int] = {}
        self._done: dict[str, int] = {}
        self._lock = threading.Lock()

    def begin(self, source_id: str, *, total: int) -> None:
        with self._lock:
            self._totals[source_id] = total
            self._done[source_id] = 0
        log.info("%s: %d pages to fetch", source_id, total)

    def advance(self, source_id: str, *, done: int) -> None:
        with self._lock:
            before = self._done.get(source_id, 0)
            after = before + done
            self._done[source_id] = after
            total = self._totals.get(source_id, 0) or 1
        step = max(1, total // 10)
        if after // step != before // step or after >= total:
            log.info("%s: %d/%d pages", source_id, min(after, total), total)

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
