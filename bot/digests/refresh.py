"""Keeping one process's jobs in step with the database, for several processes on one.

APScheduler 3 cannot share a job store between processes, so there is no shared job store and
no leader: every process schedules every stored subscription itself, every process fires, and
a claim in storage lets exactly one of them post. What each process must still learn is what
the others changed: every ``REFRESH`` it re-reads the stored schedules and adds, moves or
removes its own jobs (``sync``). The digests and the daily question both work this way.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Hashable

from apscheduler.triggers.interval import IntervalTrigger

from bot.digests.scheduler import ClockedScheduler

log = logging.getLogger("framework_coach.scheduler")

REFRESH = dt.timedelta(minutes=1)  # how soon other processes honour a (un)subscription


def add_refresh(scheduler: ClockedScheduler, job_id: str, every: dt.timedelta,
                refresh: Callable[[], Awaitable[object]], what: str) -> None:
    """Run ``refresh`` every ``every`` from now on; a failure (the database away a moment)
    is logged and the next round tries again."""

    async def run(*, scheduled_at: dt.datetime | None = None) -> None:
        try:
            await refresh()
        except Exception:
            log.warning("could not refresh %s; trying again in %s", what, every, exc_info=True)

    now = scheduler.clock.now()
    scheduler.add_job(
        run, IntervalTrigger(seconds=every.total_seconds(), start_date=now, timezone=dt.UTC),
        id=job_id, name=f"refresh {what}", replace_existing=True, next_run_time=now + every,
        misfire_grace_time=None,
    )


async def sync(
    known: dict[str, Hashable],
    wanted: dict[str, Hashable],
    *,
    has_job: Callable[[str], bool],
    schedule: Callable[[str, bool], Awaitable[None]],
    unschedule: Callable[[str], None],
) -> tuple[int, int, int]:
    """Make the jobs this process made (``known``: job id -> the schedule it was made from)
    match ``wanted`` (the same, from storage): ``schedule(job_id, new)`` the missing and the
    changed ones, ``unschedule`` the ones no longer wanted. Returns (added, moved, removed).
    The callbacks keep ``known`` up to date."""
    gone = set(known) - set(wanted)
    for key in gone:
        unschedule(key)
    added = moved = 0
    for key, shape in wanted.items():
        was = known.get(key)
        if was == shape and has_job(key):
            continue
        await schedule(key, was is None)
        added, moved = (added + 1, moved) if was is None else (added, moved + 1)
    return added, moved, len(gone)
