"""The daily question: one question a day in a channel at its local time, open for hours.

Scheduling is the digests' (bot/digests/): the same clocked APScheduler, the same cron
triggers in the channel's zone (09:00 stays 09:00 across DST), and the same exactly-once
rule: a day is claimed in storage before its question is posted, so it is never posted
twice. A day missed while the bot was down is posted late if the restart comes within the
grace, and otherwise skipped with a note that ``/quiz daily status`` shows.

A question stays open until its closing time (by default when the next one is posted).
Closing is one storage commit (answers scored, streaks moved, day closed), then the
question message loses its buttons and the reveal is posted: answer, explanation, who got
it right, streaks. Open questions and their answers survive restarts.

Several processes on one database work as the digests do (bot/digests/refresh.py): each
schedules every subscription and every open day's close from storage, and with ``refresh``
re-reads them every minute, so a subscription, a move or an unsubscribe made through any
process is followed by all, and a day that a dead process posted is still closed and
revealed at its time by another. Every process fires; the day's claim lets one post, and
a second claim (closed -> revealing) lets one reveal. A run waits (up to ``REVEAL_WAIT``)
for a reveal under way, here or elsewhere, so the reveal still comes before the question.
A process that dies between claiming a reveal and posting it leaves a gap, never a second
reveal, as for a question.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.triggers.date import DateTrigger

from bot.clock import Clock
from bot.delivery import Outbox
from bot.digests.refresh import add_refresh, sync
from bot.digests.schedule import last_fire, next_fire, trigger_for
from bot.digests.scheduler import ClockedScheduler
from bot.digests.service import RETRY_DELAYS
from bot.logs import log_context
from bot.quiz import render
from bot.quiz.bank import QuestionBank, bank_key
from bot.quiz.daily_render import (
    PREFIX,
    closed_message,
    gone_message,
    local_time,
    question_message,
    reveal_message,
)
from bot.quiz.review import shuffled
from bot.storage import (
    DailyAnswer,
    DailyClose,
    DailyDay,
    DailyStreak,
    DailySub,
    Store,
    Subscription,
    Tenant,
)
from knowledge.schema import Question

log = logging.getLogger("framework_coach.daily")

MAX_CATCH_UP = dt.timedelta(days=60)  # how far back a restart looks for skipped days
RECENT = 30  # a channel's daily question does not repeat within this many days
REVEAL_WAIT = dt.timedelta(seconds=30)  # longest a question waits for a reveal under way
REFRESH_JOB = f"{PREFIX}-refresh"


@dataclass(frozen=True, slots=True)
class Status:
    sub: DailySub
    next_run: dt.datetime | None
    last: DailyDay | None
    streaks: list[DailyStreak]


@dataclass(frozen=True, slots=True)
class Press:
    """What an answer press did, for the private reply."""

    title: str
    text: str


def _schedule(time: str, zone: str) -> Subscription:
    """A daily digest-style schedule, so the digests' trigger and DST handling apply."""
    return Subscription(channel_id="-", cadence="daily", time=time, timezone=zone)


def local_day(sub: DailySub, when: dt.datetime) -> str:
    return when.astimezone(ZoneInfo(sub.timezone)).date().isoformat()


def job_id(tenant: Tenant, channel_id: str) -> str:
    return f"{PREFIX}:{tenant.platform}:{tenant.id}:{channel_id}"


def close_job_id(tenant: Tenant, channel_id: str, day: str) -> str:
    return f"{PREFIX}-close:{tenant.platform}:{tenant.id}:{channel_id}:{day}"


def _shape(sub: DailySub) -> tuple[str, str]:
    """What decides when a subscription's question job fires."""
    return (sub.time, sub.timezone)


def _closed_by_run(sub: DailySub | None, day: DailyDay) -> bool:
    """Whether the channel's question run closes the day: it closes open days first, so
    the reveal comes before the new question, and then no close job is needed."""
    return sub is not None and sub.enabled and sub.close is None and next_fire(
        _schedule(sub.time, sub.timezone), day.closes_at - dt.timedelta(seconds=1)
    ) == day.closes_at


class DailyService:
    def __init__(self, store: Store, outbox: Outbox, bank: QuestionBank, clock: Clock, *,
                 grace: dt.timedelta = dt.timedelta(hours=6),
                 scheduler: ClockedScheduler | None = None,
                 default_timezone: str = "UTC",
                 load_imports: Callable[[str, str], Awaitable[None]] | None = None,
                 refresh: dt.timedelta | None = None) -> None:
        self.store = store
        self._load_imports = load_imports  # a server's own questions (the quiz manager's)
        self.default_timezone = default_timezone  # for subscriptions that name no zone
        self.outbox = outbox
        self.bank = bank
        self.clock = clock
        self.grace = grace
        self._own_scheduler = scheduler is None
        self.scheduler = scheduler or ClockedScheduler(
            clock, timezone=dt.UTC, job_defaults={"coalesce": True, "max_instances": 1})
        self.scheduler.add_listener(self._on_missed, EVENT_JOB_MISSED)
        self._revealing: set[tuple[Tenant, str, str]] = set()
        self._notes: set[asyncio.Task[None]] = set()
        self.refresh = refresh  # None: this process alone changes subscriptions
        self._schedules: dict[str, object] = {}  # question job id -> what it was made from

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Resume from storage in one job: first close (and reveal) what fell due while the
        bot was down, then schedule the subscriptions, catching up a missed day. One job, so
        a late reveal always comes before a late question."""
        now = self.clock.now()
        self.scheduler.add_job(self._resume, DateTrigger(run_date=now), id=f"{PREFIX}-resume",
                               replace_existing=True, next_run_time=now,
                               misfire_grace_time=None)
        if self.refresh is not None:
            add_refresh(self.scheduler, REFRESH_JOB, self.refresh, self.refresh_jobs,
                        "the daily questions")
        if not self.scheduler.running:
            self.scheduler.start()

    async def _resume(self, *, scheduled_at: dt.datetime | None = None) -> None:
        now = self.clock.now()
        pending = await self.store.all_daily_days("open", "closed")
        for tenant, channel_id in sorted({(t, d.channel_id) for t, d in pending}):
            await self._close_due(tenant, channel_id)
        for tenant, day in pending:
            if day.status == "open" and day.closes_at > now:
                await self._schedule_close(tenant, day)
        for tenant, sub in await self.store.all_daily_subs():
            if sub.enabled:
                await self._schedule(tenant, sub, catch_up=True)

    def busy(self) -> list[asyncio.Future[object]]:
        executor = self.scheduler._lookup_executor("default") if self.scheduler.running else None
        running = [f for f in getattr(executor, "_pending_futures", ()) if not f.done()]
        return [*running, *(t for t in self._notes if not t.done())]

    async def stop(self) -> None:
        """No new runs. A shared scheduler is the digests' to stop (their graceful stop lets
        runs under way finish, daily ones included); one of its own is shut down."""
        if not self.scheduler.running:
            return
        for job in self.scheduler.get_jobs():
            if job.id.startswith(PREFIX):
                job.remove()
        self._schedules.clear()
        if self._own_scheduler:
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler.shutdown runs via call_soon

    # ------------------------------------------------------------------ subscriptions

    async def subscribe(self, tenant: Tenant, sub: DailySub) -> DailySub:
        """Store (or change) the channel's daily question and schedule it from now on."""
        saved = await self.store.upsert_daily_sub(tenant, sub, keep_created=True)
        await self._schedule(tenant, saved, catch_up=False)
        await self._close_jobs(tenant, sub.channel_id)  # a new time may not close them
        return saved

    async def unsubscribe(self, tenant: Tenant, channel_id: str) -> bool:
        """Stop new questions; one still open closes and is revealed at its time."""
        removed = await self.store.delete_daily_sub(tenant, channel_id)
        self._unschedule(job_id(tenant, channel_id))
        await self._close_jobs(tenant, channel_id)  # no next question will close them now
        return removed

    async def _close_jobs(self, tenant: Tenant, channel_id: str) -> None:
        for day in await self.store.daily_days(tenant, channel_id):
            if day.status == "open":
                await self._schedule_close(tenant, day)

    async def refresh_jobs(self) -> None:
        """Make this process's jobs match storage: question jobs for the enabled
        subscriptions (added, a missed run still within the grace running at once as at
        start; moved; removed), and a close job for every open day no question run will
        close, including a day overdue because the process that should close it died (not
        for a stopped subscription's days: an uninstall drops their reveals too)."""
        subs = {job_id(tenant, sub.channel_id): (tenant, sub)
                for tenant, sub in await self.store.all_daily_subs()}
        wanted = {key: ts for key, ts in subs.items() if ts[1].enabled}

        async def schedule(key: str, new: bool) -> None:
            await self._schedule(*wanted[key], catch_up=new)

        added, moved, _ = await sync(
            self._schedules, {key: _shape(sub) for key, (_, sub) in wanted.items()},
            has_job=lambda key: self.scheduler.get_job(key) is not None,
            schedule=schedule, unschedule=self._unschedule)
        closes = 0
        now = self.clock.now()
        for tenant, day in await self.store.all_daily_days("open", "closed"):
            if self.scheduler.get_job(close_job_id(tenant, day.channel_id, day.day)):
                continue
            sub = subs.get(job_id(tenant, day.channel_id), (tenant, None))[1]
            if sub is not None and not sub.enabled:
                continue  # stopped (an uninstalled workspace, a channel gone): no reveal
            # Overdue by a whole refresh: whoever should have closed it did not.
            stale = day.closes_at <= now - (self.refresh or dt.timedelta(0))
            if stale or (day.status == "open" and day.closes_at > now
                         and not _closed_by_run(sub, day)):
                self._add_close_job(tenant, day)
                closes += 1
        if added or moved or closes:
            log.info("daily questions refreshed: %d added, %d moved, %d closes scheduled",
                     added, moved, closes)

    async def status(self, tenant: Tenant, channel_id: str) -> Status | None:
        sub = await self.store.get_daily_sub(tenant, channel_id)
        if sub is None:
            return None
        job = self.scheduler.get_job(job_id(tenant, channel_id))
        upcoming = None
        if sub.enabled:
            upcoming = (job.next_run_time if job is not None and job.next_run_time
                        else next_fire(_schedule(sub.time, sub.timezone), self.clock.now()))
        days = await self.store.daily_days(tenant, channel_id)
        streaks = await self.store.daily_streaks(tenant, channel_id)
        return Status(sub, upcoming, days[-1] if days else None, streaks)

    # ------------------------------------------------------------------ answers

    async def press(self, button_id: str, platform: str, tenant_id: str, channel_id: str,
                    user_id: str, user_name: str) -> Press:
        """``daily:<day>:<position>``: a first answer is stored before it is confirmed."""
        try:
            _, day, position = button_id.split(":")
            option = int(position)
        except ValueError:
            return Press("That button is not part of a daily question", "")
        tenant = Tenant(platform, tenant_id)
        found = next((d for d in await self.store.daily_days(tenant, channel_id)
                      if d.day == day), None)
        now = self.clock.now()
        if found is None or found.status not in ("open", "closed", "revealing", "revealed"):
            return Press("That daily question is gone", "/quiz daily status shows what is on.")
        if found.status != "open" or now > found.closes_at:
            return _closed()
        question = await self._question(tenant, found.question_id)
        if question is None or not 0 <= option < len(found.order):
            return Press("That option does not exist", "")
        correct = question.options[found.order[option]].correct
        answer = DailyAnswer(user_id, user_name, option, correct, now)
        outcome = await self.store.save_daily_answer(tenant, channel_id, day, answer)
        if outcome == "closed":
            return _closed()
        if outcome == "answered":
            mine = next(a for a in await self.store.daily_answers(tenant, channel_id, day)
                        if a.user_id == user_id)
            return Press(f"You already answered {render.LETTERS[mine.option]}",
                         "Your first answer is the one that counts.")
        sub = await self.store.get_daily_sub(tenant, channel_id)
        return Press(f"Answer {render.LETTERS[option]} recorded",
                     f"The answer and who got it right are revealed "
                     f"{local_time(found.closes_at, sub.timezone if sub else 'UTC')}.")

    # ------------------------------------------------------------------ scheduling

    async def _schedule(self, tenant: Tenant, sub: DailySub, *, catch_up: bool) -> None:
        schedule = _schedule(sub.time, sub.timezone)
        now = self.clock.now()
        first = next_fire(schedule, now)
        if catch_up:
            missed = await self._unposted(tenant, sub, now)
            if missed:
                first = missed[-1]  # in the past: run now, or skip past the grace (noted)
                if len(missed) > 1:
                    await self._note_skipped(tenant, sub.channel_id, missed[:-1], now)
        self.scheduler.add_job(
            self._run, trigger_for(schedule), args=(tenant.platform, tenant.id, sub.channel_id),
            id=job_id(tenant, sub.channel_id), name=f"daily question for {sub.channel_id}",
            replace_existing=True, next_run_time=first,
            misfire_grace_time=int(self.grace.total_seconds()),
        )
        self._schedules[job_id(tenant, sub.channel_id)] = _shape(sub)

    def _unschedule(self, key: str) -> None:
        self._schedules.pop(key, None)
        if self.scheduler.get_job(key) is not None:
            self.scheduler.remove_job(key)

    async def _unposted(self, tenant: Tenant, sub: DailySub,
                        now: dt.datetime) -> list[dt.datetime]:
        """Scheduled runs since the last claimed day (or the subscription) that never ran."""
        schedule = _schedule(sub.time, sub.timezone)
        claimed = {d.day for d in await self.store.daily_days(tenant, sub.channel_id)}
        start = max(now - MAX_CATCH_UP, sub.created_at or now)
        if claimed:
            last = max(claimed)
            start = max(start, dt.datetime.fromisoformat(last).replace(
                tzinfo=ZoneInfo(sub.timezone)) + dt.timedelta(days=1))
        runs: list[dt.datetime] = []
        when = last_fire(schedule, now)
        while when is not None and when >= start and len(runs) < 400:
            if local_day(sub, when) not in claimed:
                runs.append(when)
            when = last_fire(schedule, when - dt.timedelta(seconds=1))
        return sorted(runs)

    async def _schedule_close(self, tenant: Tenant, day: DailyDay) -> None:
        """A job to close the day at its time, unless the next question's run will: that run
        closes the open day first, so the reveal always comes before the new question."""
        if _closed_by_run(await self.store.get_daily_sub(tenant, day.channel_id), day):
            return
        self._add_close_job(tenant, day)

    def _add_close_job(self, tenant: Tenant, day: DailyDay) -> None:
        self.scheduler.add_job(
            self._close_job, DateTrigger(run_date=day.closes_at),
            args=(tenant.platform, tenant.id, day.channel_id, day.day),
            id=close_job_id(tenant, day.channel_id, day.day), replace_existing=True,
            next_run_time=max(day.closes_at, self.clock.now()), misfire_grace_time=None,
        )

    # ------------------------------------------------------------------ running

    async def _run(self, platform: str, tenant_id: str, channel_id: str, *,
                   scheduled_at: dt.datetime | None = None) -> None:
        with log_context(platform=platform, tenant=tenant_id, channel=channel_id,
                         command="daily question"):
            tenant = Tenant(platform, tenant_id)
            await self._close_due(tenant, channel_id)
            await self._await_reveals(tenant, channel_id)
            await self._post_day(tenant, channel_id, scheduled_at)

    async def _await_reveals(self, tenant: Tenant, channel_id: str) -> None:
        """Let a reveal under way (in a close job, or in another process that closed the day
        first) finish before the next question. A reveal claimed longer than ``REVEAL_WAIT``
        ago is taken for dead (its process died) and holds nothing back."""
        deadline = self.clock.monotonic() + REVEAL_WAIT.total_seconds()
        while self.clock.monotonic() < deadline:
            now = self.clock.now()
            if not any(d.status == "closed" or (
                    d.status == "revealing" and d.revealing_at is not None
                    and now - d.revealing_at < REVEAL_WAIT)
                    for d in await self.store.daily_days(tenant, channel_id)):
                return
            await self.clock.sleep(1.0)

    async def _post_day(self, tenant: Tenant, channel_id: str,
                        scheduled_at: dt.datetime | None) -> None:
        sub = await self.store.get_daily_sub(tenant, channel_id)
        if sub is None or not sub.enabled:
            self._unschedule(job_id(tenant, channel_id))
            return
        now = self.clock.now()
        fired = scheduled_at or last_fire(_schedule(sub.time, sub.timezone), now) or now
        day = local_day(sub, fired)
        question = await self._pick(tenant, sub, day)
        if question is None:
            await self.store.upsert_daily_sub(tenant, dataclasses.replace(
                sub, note=f"No question matches the topic '{sub.topic}'; nothing was posted "
                          f"on {day}."))
            return
        _, order = shuffled(question, f"{tenant.platform}:{tenant.id}:{channel_id}:{day}")
        closes = self._closes_at(sub, fired, now)
        for attempt, delay in enumerate((*RETRY_DELAYS, None), 1):
            record = DailyDay(channel_id, day, "posting", question.id, order, now, closes,
                              late=now - fired > dt.timedelta(minutes=1))
            await self.outbox.wait_turn(tenant.platform)
            if not await self.store.claim_daily(tenant, record):
                log.info("daily question %s for %s already claimed", day, channel_id)
                return
            message = question_message(question, record, sub.timezone)
            delivery = await self.outbox.post(tenant.platform, tenant.id, channel_id, message,
                                              paced=False)
            if delivery.ok:
                opened = self.clock.now()
                await self.store.update_daily_day(tenant, channel_id, day, status="open",
                                                  opened_at=opened,
                                                  message_id=delivery.message_id)
                if sub.note is not None:
                    await self.store.upsert_daily_sub(tenant, dataclasses.replace(sub, note=None))
                await self._schedule_close(tenant, dataclasses.replace(record, status="open"))
                log.info("daily question %s posted to %s", day, channel_id)
                return
            error = delivery.error or "the platform refused the post"
            await self.store.update_daily_day(tenant, channel_id, day, status="failed",
                                              error=error, permanent=delivery.permanent)
            if delivery.permanent:
                await self.store.upsert_daily_sub(tenant, dataclasses.replace(
                    sub, enabled=False, disabled_reason=error, note=error))
                self._unschedule(job_id(tenant, channel_id))
                return
            wait = delivery.retry_after if delivery.retry_after is not None else delay
            if wait is None or self.clock.now() + dt.timedelta(seconds=wait) > fired + self.grace:
                await self.store.upsert_daily_sub(tenant, dataclasses.replace(
                    sub, note=f"The question of {day} could not be posted after {attempt} "
                              f"attempts: {error}"))
                return
            await self.clock.sleep(wait)

    def _closes_at(self, sub: DailySub, fired: dt.datetime, now: dt.datetime) -> dt.datetime:
        """At the set closing time, else when the next question is due; never in the past."""
        if sub.close is None:
            found = next_fire(_schedule(sub.time, sub.timezone), fired)
        else:
            found = next_fire(_schedule(sub.close, sub.timezone), max(fired, now))
        return found or fired + dt.timedelta(days=1)

    async def _close_job(self, platform: str, tenant_id: str, channel_id: str, day: str, *,
                         scheduled_at: dt.datetime | None = None) -> None:
        tenant = Tenant(platform, tenant_id)
        with log_context(platform=platform, tenant=tenant_id, channel=channel_id,
                         command="daily reveal"):
            await self._close_due(tenant, channel_id)

    async def _close_due(self, tenant: Tenant, channel_id: str) -> None:
        """Close every open day whose time is up, and reveal every closed, unrevealed one."""
        now = self.clock.now()
        for day in await self.store.daily_days(tenant, channel_id):
            if (tenant, channel_id, day.day) in self._revealing:
                continue  # another run is revealing it right now
            if day.status == "open" and day.closes_at <= now:
                closed = await self.store.close_daily(tenant, channel_id, day.day)
                if closed is not None and await self._claim_reveal(tenant, closed.day):
                    await self._reveal(tenant, closed)
            elif day.status == "closed" and await self._claim_reveal(tenant, day):
                # Closed, then its process stopped before claiming the reveal.
                answers = await self.store.daily_answers(tenant, channel_id, day.day)
                streaks = await self.store.daily_streaks(tenant, channel_id)
                await self._reveal(tenant, DailyClose(day, answers, streaks))

    async def _claim_reveal(self, tenant: Tenant, day: DailyDay) -> bool:
        """Claim a closed day's reveal (of several runs or processes, one wins)."""
        if await self.store.update_daily_day(tenant, day.channel_id, day.day, expect="closed",
                                             status="revealing",
                                             revealing_at=self.clock.now()):
            return True
        log.info("reveal of %s in %s already claimed", day.day, day.channel_id)
        return False

    async def _reveal(self, tenant: Tenant, closed: DailyClose) -> None:
        day = closed.day
        key = (tenant, day.channel_id, day.day)
        self._revealing.add(key)
        try:
            await self._post_reveal(tenant, closed)
        finally:
            self._revealing.discard(key)

    async def _post_reveal(self, tenant: Tenant, closed: DailyClose) -> None:
        day = closed.day
        question = await self._question(tenant, day.question_id)
        if question is None:  # removed from the server's imports since: still say who won
            await self.outbox.post(tenant.platform, tenant.id, day.channel_id,
                                   gone_message(closed))
        else:
            if day.message_id:
                await self.outbox.edit(tenant.platform, tenant.id, day.channel_id, day.message_id,
                                       closed_message(question, day, len(closed.answers)))
            await self.outbox.post(tenant.platform, tenant.id, day.channel_id,
                                   reveal_message(question, closed))
        await self.store.update_daily_day(tenant, day.channel_id, day.day, status="revealed")

    # ------------------------------------------------------------------ helpers

    async def _pick(self, tenant: Tenant, sub: DailySub, day: str) -> Question | None:
        """A question for the day, the same one whatever the restarts, not a recent one."""
        if self._load_imports is not None:
            await self._load_imports(tenant.platform, tenant.id)
        pool = self.bank.available(bank_key(tenant.platform, tenant.id), sub.topic)
        if not pool:
            return None
        recent = {d.question_id for d in (await self.store.daily_days(
            tenant, sub.channel_id))[-RECENT:]}
        fresh = [q for q in pool if q.id not in recent] or pool
        rng = random.Random(f"{tenant.platform}:{tenant.id}:{sub.channel_id}:{day}")
        return rng.choice(sorted(fresh, key=lambda q: q.id))

    async def _question(self, tenant: Tenant, question_id: str) -> Question | None:
        if self._load_imports is not None:
            await self._load_imports(tenant.platform, tenant.id)
        return self.bank.get(question_id, bank_key(tenant.platform, tenant.id))

    def _on_missed(self, event: JobExecutionEvent) -> None:
        parts = event.job_id.split(":", 3)
        if len(parts) != 4 or parts[0] != PREFIX:
            return
        task = asyncio.get_running_loop().create_task(self._note_skipped(
            Tenant(parts[1], parts[2]), parts[3], [event.scheduled_run_time], self.clock.now()))
        self._notes.add(task)
        task.add_done_callback(self._notes.discard)

    async def _note_skipped(self, tenant: Tenant, channel_id: str, runs: list[dt.datetime],
                            now: dt.datetime) -> None:
        sub = await self.store.get_daily_sub(tenant, channel_id)
        if sub is None:
            return
        days = [local_day(sub, r) for r in runs]
        skipped = tuple(sorted({*sub.skipped, *days}))[-30:]
        hours = self.grace.total_seconds() / 3600
        note = (f"Skipped {', '.join(days)}: the bot was offline until "
                f"{local_time(now, sub.timezone)}, past the {hours:g}-hour grace for a late post.")
        log.warning("daily question for %s/%s: %s", tenant.platform, channel_id, note)
        await self.store.upsert_daily_sub(tenant, dataclasses.replace(
            sub, skipped=skipped, note=note))


def _closed() -> Press:
    return Press("That daily question has closed",
                 "The answer is revealed in the channel. A new one comes tomorrow.")
