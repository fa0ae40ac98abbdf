"""Virtual time for :class:`~pressroom.connectors.http.PoliteSession`: schedules are asserted exactly and
nothing sleeps. Requests still go to real local servers; they just take no virtual time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """``sleep`` moves time forward at once and is recorded. One thread at a time: concurrent sleepers
    would each add their wait to the one shared time."""

    def __init__(self, wall: datetime = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)) -> None:
        self.time = 0.0
        self.sleeps: list[float] = []
        self._wall = wall

    def monotonic(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, f"asked to sleep {seconds} s"
        self.sleeps.append(seconds)
        self.time += seconds

    def now(self) -> datetime:
        return self._wall + timedelta(seconds=self.time)


class ScriptedJitter:
    """A random source whose ``uniform(a, b)`` returns the next scripted value; the bounds it was
    asked for are recorded."""

    def __init__(self, *values: float) -> None:
        self.values = list(values)
        self.asked: list[tuple[float, float]] = []

    def uniform(self, a: float, b: float) -> float:
        self.asked.append((a, b))
        return self.values.pop(0)
