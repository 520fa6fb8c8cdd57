"""The private APScheduler detail the clocked scheduler relies on (see bot/digests/scheduler.py).

APScheduler 3 has no supported way to inject the time: ``ClockedScheduler`` swaps the
``datetime`` name of ``apscheduler.schedulers.base`` while ``_process_jobs`` runs. These
tests say so plainly when an APScheduler release moves that name or stops reading it, instead
of letting every schedule test fail in puzzling ways.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from importlib.metadata import version

import apscheduler.schedulers.base as aps_base
import pytest
from apscheduler.triggers.date import DateTrigger

from bot.clock import FakeClock
from bot.digests.scheduler import ClockedScheduler, seam_problem

FIX = ("APScheduler changed where it reads the time; bot/digests/scheduler.py injects the "
       "clock there. Keep APScheduler at the version pinned in pyproject.toml, or find the new "
       "seam and update the pin, the module docstring and this test.")


def test_apscheduler_is_the_minor_version_the_seam_was_checked_on() -> None:
    assert version("apscheduler").startswith("3.11."), (
        f"APScheduler {version('apscheduler')} is installed; the clock seam was checked on "
        f"3.11. {FIX}")


def test_the_name_apscheduler_reads_the_time_from_is_still_datetime() -> None:
    assert seam_problem() is None, f"{seam_problem()}. {FIX}"
    assert aps_base.datetime is dt.datetime  # and nothing left it swapped


@pytest.mark.parametrize("start", [dt.datetime(2001, 5, 1, 8, 0, tzinfo=dt.UTC),
                                   dt.datetime(2100, 5, 1, 8, 0, tzinfo=dt.UTC)],
                         ids=["clock-behind-the-wall", "clock-ahead-of-the-wall"])
async def test_a_job_fires_when_due_on_the_injected_clock_not_the_wall_clock(
    start: dt.datetime,
) -> None:
    """Behind the wall clock, APScheduler alone would run the job at once; ahead of it,
    never. Through the seam it runs exactly when the fake clock reaches it."""
    clock = FakeClock(start)
    scheduler = ClockedScheduler(clock, timezone=dt.UTC)
    fired: list[tuple[dt.datetime, dt.datetime | None]] = []

    async def job(*, scheduled_at: dt.datetime | None = None) -> None:
        fired.append((clock.now(), scheduled_at))

    async def turn() -> None:
        for _ in range(10):
            await asyncio.sleep(0)

    due = start + dt.timedelta(seconds=10)
    scheduler.start()
    try:
        scheduler.add_job(job, DateTrigger(run_date=due), next_run_time=due)
        await turn()
        assert fired == [], f"the job ran before it was due on the injected clock. {FIX}"
        await clock.advance(9)
        await turn()
        assert fired == [], f"the job ran before it was due on the injected clock. {FIX}"
        await clock.advance(1)
        await turn()
        assert fired == [(due, due)], f"the job due on the injected clock did not run. {FIX}"
        assert aps_base.datetime is dt.datetime  # the swap ends with the call
    finally:
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)
