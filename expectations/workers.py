"""Check workers that live as long as the process that started them (a run, or a long-lived ``pressroom
serve``): ``python -m pressroom.expectations.workers`` processes, stopped at exit.

The pipeline checks a batch every hundred pages, from several threads at once. Forking a pool per batch
cost more than the checks: a fork copies the page tables of a process of several hundred MiB, and every
page the caller writes afterwards is copied again. These workers are started once, as fresh interpreters
that import the checks and nothing else (not the caller's ``__main__``, as multiprocessing's spawn would),
and a batch travels to them as a pickle of its texts and checks; findings come back the same way.

Protocol, on the worker's stdin and stdout: a request is an 8-byte big-endian length and a pickle of
``(releases, suggest)``; the answer is the same framing around the list of findings lists. A worker
reads a whole request before it answers, so a caller may send to several workers and then read them in
turn. A worker that dies or answers nonsense is replaced, and its share is checked in the caller's
process: the findings are the same either way (the checks are pure).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from pressroom.expectations.engine import ReleaseText
    from pressroom.expectations.findings import Finding

logger = logging.getLogger(__name__)

_HEADER = struct.Struct(">Q")

class WorkerFailed(Exception):
    """A worker died or answered something that is not an answer."""


class _Worker:
    def __init__(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pressroom.expectations.workers"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, start_new_session=True,
        )

    def send(self, releases: Sequence[ReleaseText], *, suggest: bool) -> None:
        data = pickle.dumps((list(releases), suggest), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            stdin = self.process.stdin
            assert stdin is not None
            stdin.write(_HEADER.pack(len(data)) + data)
            stdin.flush()
        except (OSError, ValueError) as error:
            raise WorkerFailed(f"sending to check worker {self.process.pid}: {error}") from error

    def receive(self) -> list[list[Finding]]:
        stdout = self.process.stdout
        assert stdout is not None
        try:
            answer = pickle.loads(_read(stdout))
        except (OSError, EOFError, pickle.UnpicklingError, ValueError) as error:
            raise WorkerFailed(f"check worker {self.process.pid} stopped: {error}") from error
        if not isinstance(answer, list):
            raise WorkerFailed(f"check worker {self.process.pid} answered a {type(answer).__name__}")
        return answer

    def stop(self) -> None:
        end_child(self.process, timeout=5)


def end_child(process: subprocess.Popen[bytes], *, timeout: float) -> None:
    """End a child that serves requests on its stdin until EOF: close its pipes, give it ``timeout``
    seconds to finish what it is doing, then kill it."""
    for pipe in (process.stdin, process.stdout):
        with contextlib.suppress(OSError):
            if pipe is not None:
                pipe.close()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _read(stream: IO[bytes]) -> bytes:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("end of stream")
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("stream ended inside a message")
    return data


class CheckWorkers:
    """``size`` worker processes shared by every thread of this process (see the module docstring)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(size):
            self._add()

    def _add(self) -> None:
        worker = _Worker()
        with self._lock:
            self._all.append(worker)
        self._idle.put(worker)

    def _retire(self, worker: _Worker) -> None:
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
        worker.stop()

    def check(self, releases: Sequence[ReleaseText], *, suggest: bool) -> list[list[Finding]]:
        """The findings of each of ``releases``, in order, as `engine.check_release` gives them."""
        from pressroom.expectations.engine import check_release

        if self._closed:
            raise RuntimeError("check workers are closed")
        workers = [self._idle.get()]  # the first one waited for; never wait while holding one
        while len(workers) < self.size:
            try:
                workers.append(self._idle.get_nowait())
            except queue.Empty:
                break
        pieces = _split(len(releases), len(workers))
        sent: list[tuple[_Worker, int, int, bool]] = []
        for worker, (start, end) in zip(workers, pieces, strict=False):
            try:
                worker.send(releases[start:end], suggest=suggest)
                sent.append((worker, start, end, True))
            except WorkerFailed:
                logger.warning("a check worker failed; checking its share here", exc_info=True)
                sent.append((worker, start, end, False))
        for spare in workers[len(pieces):]:
            self._idle.put(spare)
        found: list[list[Finding]] = [[] for _ in releases]
        for worker, start, end, ok in sent:
            answer: list[list[Finding]] | None = None
            if ok:
                try:
                    answer = worker.receive()
                except WorkerFailed:
                    logger.warning("a check worker failed; checking its share here", exc_info=True)
            if answer is None or len(answer) != end - start:
                self._retire(worker)
                if not self._closed:
                    self._add()
                answer = [check_release(r.title, r.body, language=r.language, body_checks=r.body_checks,
                                        suggest=suggest) for r in releases[start:end]]
            else:
                self._idle.put(worker)
            found[start:end] = answer
        return found

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers, self._all = list(self._all), []
        for worker in workers:
            worker.stop()


def _split(count: int, parts: int) -> list[tuple[int, int]]:
    """``count`` items in at most ``parts`` contiguous pieces of near-equal size (none empty)."""
    parts = max(1, min(parts, count))
    size, extra = divmod(count, parts)
    pieces, start = [], 0
    for index in range(parts):
        end = start + size + (1 if index < extra else 0)
        pieces.append((start, end))
        start = end
    return pieces


_shared: CheckWorkers | None = None
_shared_lock = threading.Lock()


def shared() -> CheckWorkers | None:
    """The workers of this process, started on first use with one per core; ``None`` with one core (the
    caller then checks in its own process). They stay until `close_shared` or the process ends."""
    global _shared
    with _shared_lock:
        if _shared is None:
            cores = os.cpu_count() or 1
            if cores <= 1:
                return None
            try:
                _shared = CheckWorkers(cores)
            except OSError:
                logger.warning("could not start check workers; checking in this process", exc_info=True)
                return None
            atexit.register(close_shared)
        return _shared


def close_shared() -> None:
    """Stop the workers of `shared` (a later call starts new ones)."""
    global _shared
    with _shared_lock:
        workers, _shared = _shared, None
    if workers is not None:
        workers.close()


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """The worker's loop: answer each request until stdin ends."""
    from pressroom.expectations.engine import check_release

    while True:
        try:
            releases, suggest = pickle.loads(_read(stdin))
        except EOFError:
            return
        found = [check_release(r.title, r.body, language=r.language, body_checks=r.body_checks, suggest=suggest)
                 for r in releases]
        data = pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL)
        stdout.write(_HEADER.pack(len(data)) + data)
        stdout.flush()


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the caller decides when to stop: EOF on stdin
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print() must not corrupt the answers
    sys.stdout = sys.stderr
    serve(sys.stdin.buffer, answers)
