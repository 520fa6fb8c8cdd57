"""APScheduler's ``AsyncIOScheduler`` driven by the bot's injected clock.

APScheduler 3 reads the wall clock itself (``datetime.now`` when it looks for due jobs and
when it checks a run against ``misfire_grace_time``) and waits with ``loop.call_later``.
This subclass keeps all of APScheduler's logic (cron triggers, coalescing, misfire
handling, max instances) but takes "now" from the ``Clock`` and waits with ``clock.sleep``,
so a ``FakeClock`` can walk a year of schedules, DST changes and restarts in milliseconds.

Job functions are called with a ``scheduled_at`` keyword: the run time they serve.
Rules for callers: always give ``next_run_time`` to ``add_job`` (APScheduler would read the
wall clock to compute it otherwise) and do not use ``reschedule_job``/``resume_job``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import apscheduler.schedulers.base as aps_base
from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.executors.base import run_coroutine_job
from apscheduler.job import Job
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock

log = logging.getLogger("framework_coach.scheduler")


def _datetime_on(clock: Clock) -> type[dt.datetime]:
    """A ``datetime`` class whose ``now()`` asks ``clock`` (what APScheduler calls)."""

    class ClockDatetime(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
            current = clock.now()
            return current.astimezone(tz) if tz else current.replace(tzinfo=None)

    return ClockDatetime


class _ScheduledRun:
    """One run of a job as APScheduler's runner sees it: the misfire check is already done,
    and the function learns which scheduled time it serves (``scheduled_at``), which
    APScheduler 3 does not tell it and a late run cannot work out cheaply."""

    misfire_grace_time = None

    def __init__(self, job: Job, run_time: dt.datetime) -> None:
        self._job = job
        self.kwargs = {**job.kwargs, "scheduled_at": run_time}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._job, name)

    def __str__(self) -> str:
        return str(self._job)


class ClockedExecutor(AsyncIOExecutor):
    """Runs coroutine jobs in the loop; a run later than the job's grace time is skipped."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock

    def _do_submit_job(self, job: Job, run_times: list[dt.datetime]) -> None:
        def done(future: asyncio.Future[list[JobExecutionEvent]]) -> None:
            self._pending_futures.discard(future)
            try:
                events = future.result()
            except BaseException as exc:  # noqa: BLE001 - reported to APScheduler as it does
                self._run_job_error(job.id, exc, exc.__traceback__)
            else:
                self._run_job_success(job.id, events)

        future = self._eventloop.create_task(self._run(job, run_times))
        future.add_done_callback(done)
        self._pending_futures.add(future)

    async def _run(self, job: Job, run_times: list[dt.datetime]) -> list[JobExecutionEvent]:
        now = self.clock.now()
        events, due = [], []
        for run_time in run_times:
            late = now - run_time
            grace = job.misfire_grace_time
            if grace is not None and late > dt.timedelta(seconds=grace):
                log.warning("skipped run of %s scheduled at %s: %s late, grace is %s s",
                            job.id, run_time.isoformat(), late, grace)
                events.append(JobExecutionEvent(EVENT_JOB_MISSED, job.id,
                                                job._jobstore_alias, run_time))
            else:
                due.append(run_time)
        for run_time in due:
            events += await run_coroutine_job(
                _ScheduledRun(job, run_time), job._jobstore_alias, [run_time], self._logger.name
            )
        return events


class ClockedScheduler(AsyncIOScheduler):
    """``AsyncIOScheduler`` on the injected clock (see the module docstring)."""

    def __init__(self, clock: Clock, **options: Any) -> None:
        self.clock = clock
        self._datetime = _datetime_on(clock)
        self._timer: asyncio.Task[None] | None = None
        super().__init__(**options)

    def _create_default_executor(self) -> ClockedExecutor:
        return ClockedExecutor(self.clock)

    @contextmanager
    def _clock_time(self) -> Iterator[None]:
        # The event loop is single-threaded and _process_jobs never awaits, so the swap is
        # only ever seen by this call.
        original = aps_base.datetime
        aps_base.datetime = self._datetime  # type: ignore[misc]
        try:
            yield
        finally:
            aps_base.datetime = original  # type: ignore[misc]

    def _process_jobs(self) -> float | None:
        with self._clock_time():
            return super()._process_jobs()

    def _start_timer(self, wait_seconds: float | None) -> None:
        self._stop_timer()
        if wait_seconds is not None and self._eventloop is not None:
            # Measured now, not when the task first runs: a fake clock may move in between.
            due = self.clock.monotonic() + wait_seconds
            self._timer = self._eventloop.create_task(self._wake_after(due))

    def _stop_timer(self) -> None:
        if self._timer is not None:
            if self._timer is not asyncio.current_task():
                self._timer.cancel()
            self._timer = None

    async def _wake_after(self, due: float) -> None:
        await self.clock.sleep(due - self.clock.monotonic())
        self._timer = None
        self.wakeup()
