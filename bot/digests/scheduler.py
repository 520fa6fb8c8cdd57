"""APScheduler's ``AsyncIOScheduler`` driven by the bot's injected clock.

APScheduler 3 reads the wall clock itself (``datetime.now`` when it looks for due jobs and
when it checks a run against ``misfire_grace_time``) and waits with ``loop.call_later``.
This subclass keeps all of APScheduler's logic (cron triggers, coalescing, misfire
handling, max instances) but takes "now" from the ``Clock`` and waits with ``clock.sleep``,
so a ``FakeClock`` can walk a year of schedules, DST changes and restarts in milliseconds.

Job functions are called with a ``scheduled_at`` keyword: the run time they serve.
Rules for callers: always give ``next_run_time`` to ``add_job`` (APScheduler would read the
wall clock to compute it otherwise) and do not use ``reschedule_job``/``resume_job``.

How "now" gets in: APScheduler 3 has no supported seam for it. Its documented extension
points for a scheduler subclass (``start``, ``shutdown``, ``wakeup``, ``_create_lock``,
``_create_default_executor``, acting on what ``_process_jobs`` returns) never see the time;
``_process_jobs`` calls ``datetime.now(self.timezone)`` on the ``datetime`` name of
``apscheduler.schedulers.base`` and hands that to the job store, the triggers and the
misfire logic. The other routes were worse: copying ``_process_jobs`` (110 private lines that
drift from upstream unseen), a custom job store (it is given ``now`` only to find due jobs,
not to compute the next run) or a tzinfo whose ``fromutc`` answers the clock (it would
corrupt every ``astimezone`` in the same method). So ``_process_jobs`` swaps that one module
name for a ``datetime`` subclass asking the clock, for the duration of the (synchronous)
call. That is a private detail: APScheduler is pinned to the tested minor version in
pyproject.toml, and tests/bot/digests/test_clock_seam.py fails with a clear message if the
name disappears or stops being what ``_process_jobs`` reads. Without the swap (see
``seam_problem``), production is unaffected (its clock is the wall clock) and a warning is
logged; only a ``FakeClock`` would be ignored.
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


def seam_problem() -> str | None:
    """Why the clock cannot be swapped into this APScheduler, or None when it can."""
    found = getattr(aps_base, "datetime", None)
    if found is not dt.datetime:
        return (f"apscheduler.schedulers.base.datetime is {found!r}, not datetime.datetime: "
                "this APScheduler no longer reads the time where ClockedScheduler swaps in "
                "the injected clock (bot/digests/scheduler.py); keep APScheduler at the "
                "version pinned in pyproject.toml or find the new seam")
    return None


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
        self._seam_ok = (problem := seam_problem()) is None
        if problem is not None:
            log.warning("scheduling on the wall clock, not the injected one: %s", problem)
        super().__init__(**options)

    def _create_default_executor(self) -> ClockedExecutor:
        return ClockedExecutor(self.clock)

    @contextmanager
    def _clock_time(self) -> Iterator[None]:
        # The event loop is single-threaded and _process_jobs never awaits, so the swap is
        # only ever seen by this call.
        if not self._seam_ok:
            yield
            return
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
