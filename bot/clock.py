"""Injected time, so schedules, quiz deadlines and storage timestamps are testable.

Nothing in the core reads the wall clock directly: it asks the ``Clock`` it was given. Tests
use ``FakeClock`` and move time forward explicitly instead of sleeping.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import heapq
import itertools
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, always timezone-aware (UTC)."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards, for durations and deadlines."""

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on this clock."""


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FakeClock:
    """A clock that only moves when a test calls ``advance``.

    ``sleep`` parks the caller until the fake time passes its deadline, so code that waits on
    the clock runs deterministically and instantly.
    """

    def __init__(self, start: dt.datetime | None = None) -> None:
        start = start or dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start time")
        self._start = start.astimezone(dt.UTC)
        self._elapsed = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self.parked: set[asyncio.Task[object]] = set()  # tasks waiting in ``sleep``

    def now(self) -> dt.datetime:
        return self._start + dt.timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        return self._elapsed

    async def sleep(self, seconds: float) -> None:
        if seconds <= 1e-6:  # below datetime's resolution: rounding residue, not a wait
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._elapsed + seconds, next(self._seq), future))
        task = asyncio.current_task()
        if task is not None:
            self.parked.add(task)
        try:
            await future
        finally:
            self.parked.discard(task)  # type: ignore[arg-type]

    def next_deadline(self) -> float | None:
        """Seconds from now until the earliest sleeper wakes, or None if nobody sleeps."""
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)  # its task was cancelled
        return self._sleepers[0][0] - self._elapsed if self._sleepers else None

    async def advance(self, seconds: float) -> None:
        """Move time forward, waking every sleeper whose deadline falls inside the step."""
        target = self._elapsed + seconds
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, future = heapq.heappop(self._sleepers)
            self._elapsed = max(self._elapsed, deadline)
            if not future.done():
                future.set_result(None)
            # Let woken tasks run (and possibly schedule new sleeps) before moving on.
            for _ in range(5):
                await asyncio.sleep(0)
        self._elapsed = target
        for _ in range(5):
            await asyncio.sleep(0)

    def set(self, when: dt.datetime) -> None:
        """Jump to an absolute time (for scheduler tests); never backwards."""
        delta = (when.astimezone(dt.UTC) - self.now()).total_seconds()
        if delta < 0:
            raise ValueError("FakeClock cannot go backwards")
        self._elapsed += delta
