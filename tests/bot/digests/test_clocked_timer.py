"""The clocked scheduler's timer keeps its due time even if its task starts late."""

from __future__ import annotations

import asyncio
import datetime as dt

from apscheduler.triggers.date import DateTrigger

from bot.clock import FakeClock
from bot.digests.scheduler import ClockedScheduler

START = dt.datetime(2026, 3, 10, 7, 0, tzinfo=dt.UTC)


async def test_a_timer_whose_task_starts_after_the_clock_moved_still_fires_on_time():
    clock = FakeClock(START)
    scheduler = ClockedScheduler(clock, timezone=dt.UTC)
    fired: list[dt.datetime] = []

    async def job(*, scheduled_at: dt.datetime | None = None) -> None:
        fired.append(clock.now())

    scheduler.start()
    due = START + dt.timedelta(seconds=10)
    scheduler.add_job(job, DateTrigger(run_date=due), next_run_time=due)
    await asyncio.sleep(0)  # the wake-up runs and creates the timer task, not yet started
    try:
        await clock.advance(5)  # the clock moves before the timer task's first step
        await clock.advance(5)
        for _ in range(10):
            await asyncio.sleep(0)
        assert fired == [due]
    finally:
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)
