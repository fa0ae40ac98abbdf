"""A sampling profiler that charges each thread's time to a pipeline stage.

Every ``interval`` seconds it reads every thread's stack (``sys._current_frames``) and charges one
sample to the stage of the innermost frame that names one (:data:`STAGES`): fetch / parse / check /
load / gate / report. A thread that is busy in none of them counts as ``orchestration`` (Prefect,
the CLI, our wiring); a thread blocked in a wait outside every stage (a pool worker without work, the
main thread waiting for the flow) is idle and not counted. Time a stage spends waiting (a slow page,
the forked check workers) is charged to it: this is where the wall time goes, not CPU time.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from types import FrameType

#: (module, function) → stage; the innermost match wins, so ``parse_safely`` inside ``fetch_and_parse``
#: is parse, and the checks run by ``drain_queue`` are check.
STAGES: dict[tuple[str, str], str] = {
    ("pressroom.connectors.registry", "parse_safely"): "parse",
    ("pressroom.flows.pipeline", "fetch_and_parse"): "fetch",
    ("pressroom.flows.pipeline", "take"): "fetch",
    ("pressroom.flows.pipeline", "load"): "load",
    ("pressroom.flows.pipeline", "record_source"): "load",
    ("pressroom.flows.pipeline", "run_source"): "load",  # its own transactions (listing failures, state)
    ("pressroom.flows.pipeline", "check"): "check",
    ("pressroom.flows.pipeline", "drain_queue"): "check",
    ("pressroom.flows.pipeline", "publish_run"): "gate",
    ("pressroom.flows.validation_process", "validate_run"): "gate",  # the run waits for its GX process
    ("pressroom.flows.validation_process", "validate_health_run"): "gate",
    ("pressroom.flows.alerts", "assess_run"): "gate",
    ("pressroom.flows.alerts", "deliver"): "gate",
    ("pressroom.flows.report", "write_report"): "report",
}
ORDER = ("fetch", "parse", "check", "load", "gate", "report", "orchestration")
_IDLE = {"wait", "_wait_for_tstate_lock", "result", "select", "poll", "get", "acquire", "sleep", "join",
         "serve_forever", "_worker", "accept", "readinto", "recv_into"}
_IDLE = _IDLE | {"heartbeat_loop"}  # Prefect's heartbeat thread sleeps in it
_IDLE_MODULES = ("threading", "concurrent.futures", "queue", "selectors", "asyncio", "socket", "anyio",
                 "uvicorn", "httpcore", "httpx", "ssl", "multiprocessing")


def _stage(frame: FrameType | None) -> str | None:
    innermost = frame
    while frame is not None:
        stage = STAGES.get((frame.f_globals.get("__name__", ""), frame.f_code.co_name))
        if stage is not None:
            return stage
        frame = frame.f_back
    if innermost is None:
        return None
    module = str(innermost.f_globals.get("__name__", ""))
    if innermost.f_code.co_name in _IDLE or module.startswith(_IDLE_MODULES):
        return None
    return "orchestration"


def _where(frame: FrameType | None) -> str:
    inner = f"{frame.f_globals.get('__name__')}.{frame.f_code.co_name}" if frame else "?"
    outer = "-"
    while frame is not None:
        module = str(frame.f_globals.get("__name__", ""))
        if module.startswith("pressroom"):
            outer = f"{module}.{frame.f_code.co_name}"
        frame = frame.f_back
    return f"{outer} > {inner}"


class StageProfiler:
    def __init__(self, interval: float = 0.05) -> None:  # 20 Hz: at 100 Hz, reading /proc cost a core-tenth
        self.interval = interval
        self.samples: Counter[str] = Counter()
        #: CPU seconds of this process's threads by the stage they were in (from /proc, 10 ms ticks).
        self.cpu: Counter[str] = Counter()
        self._ticks: dict[int, int] = {}
        #: Orchestration samples by the outermost pressroom frame and the innermost frame (what to look at).
        self.where: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stage-profiler", daemon=True)
        self.started = 0.0
        self.wall = 0.0

    def __enter__(self) -> StageProfiler:
        self.started = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.wall = time.perf_counter() - self.started

    def _run(self) -> None:
        me = threading.get_ident()
        while not self._stop.wait(self.interval):
            native = {t.ident: t.native_id for t in threading.enumerate()}
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                stage = _stage(frame)
                used = self._cpu_ticks(native.get(ident))
                if used:
                    self.cpu[stage or "orchestration"] += used
                if stage is not None:
                    self.samples[stage] += 1
                    if stage == "orchestration":
                        self.where[_where(frame)] += 1

    def _cpu_ticks(self, native_id: int | None) -> int:
        """Clock ticks (user + system) thread ``native_id`` used since the last sample."""
        if native_id is None:
            return 0
        try:
            fields = Path(f"/proc/self/task/{native_id}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0
        total = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat(5))
        before = self._ticks.get(native_id, total)
        self._ticks[native_id] = total
        return total - before

    def seconds(self) -> dict[str, float]:
        """Thread-seconds per stage (samples × interval)."""
        return {stage: round(self.samples.get(stage, 0) * self.interval, 2) for stage in ORDER}

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds of this process by stage (the forked check workers are other processes)."""
        tick = os.sysconf("SC_CLK_TCK")
        return {stage: round(self.cpu.get(stage, 0) / tick, 2) for stage in ORDER}

    def hotspots(self, limit: int = 12) -> dict[str, float]:
        """Where orchestration time goes: thread-seconds by outermost pressroom frame > innermost frame."""
        return {where: round(n * self.interval, 2) for where, n in self.where.most_common(limit)}
