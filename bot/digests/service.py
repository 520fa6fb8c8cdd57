"""Digest subscriptions on the scheduler: stored subscriptions in, each period posted once.

Storage is the source of truth. At start every stored subscription becomes an APScheduler
job; if the latest scheduled run of a subscription was never posted (the process was
down), the job is added with that past run time, and APScheduler's ``misfire_grace_time``
decides: within the grace it runs at once, after it the run is skipped, logged, and noted
on the subscription so ``/digest status`` can explain the silence.

Every run claims its period in storage right before posting; a claimed period is never
posted again. That claim is also what makes several processes on one database safe: each
schedules every subscription from the database (APScheduler 3 cannot share a job store
between processes), all of them fire, and the one whose claim wins posts. With ``refresh``
set (on a shared database), each process re-reads the subscriptions at that interval and
adds, moves or removes its jobs, so a subscription made through any process is honoured by
all of them without a restart.

Temporary platform failures (429, 5xx, not connected) are retried within the
grace; permanent ones (channel gone, no access) disable the subscription with the reason.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.triggers.cron import CronTrigger

from bot.clock import Clock
from bot.delivery import Outbox
from bot.digests.access import ChannelAccess
from bot.digests.refresh import add_refresh, sync
from bot.digests.schedule import last_fire, next_fire, period_key, trigger_for
from bot.digests.scheduler import ClockedScheduler
from bot.logs import log_context
from bot.models import TEXT_LIMIT, Response, Section, user_text
from bot.storage import DigestRecord, StorageError, Store, Subscription, Tenant
from bot.trends.chart import ChartMaker
from bot.trends.digest import Digest, DigestBuilder
from bot.trends.render import digest_response

log = logging.getLogger("framework_coach.digests")

RETRY_DELAYS = (30.0, 120.0, 600.0, 1800.0)  # seconds between attempts after a 5xx or similar
COLLECT_JOB = "trends:collect"
REFRESH_JOB = "digests:refresh"
STOP_WAIT = 5.0  # seconds a graceful stop lets running posts finish


@dataclass(frozen=True, slots=True)
class Status:
    """What ``/digest status`` shows: enough to answer "why did nothing arrive?"."""

    subscription: Subscription
    next_run: dt.datetime | None
    last: DigestRecord | None
    can_post: ChannelAccess  # what the platform's adapter found when asked just now


def job_id(tenant: Tenant, channel_id: str) -> str:
    return f"digest:{tenant.platform}:{tenant.id}:{channel_id}"


def _schedule_of(sub: Subscription) -> tuple[object, ...]:
    """What decides when a subscription's job fires (not its outcome fields)."""
    weekday = None if sub.cadence == "daily" else sub.weekday
    return (sub.cadence, weekday, sub.time, sub.timezone)


def _parse_job_id(value: str) -> tuple[Tenant, str] | None:
    parts = value.split(":", 3)
    if len(parts) != 4 or parts[0] != "digest":
        return None
    return Tenant(parts[1], parts[2]), parts[3]


class DigestService:
    def __init__(
        self,
        store: Store,
        outbox: Outbox,
        builder: DigestBuilder,
        clock: Clock,
        *,
        grace: dt.timedelta = dt.timedelta(hours=6),
        collect: Callable[[], Awaitable[Any]] | None = None,
        collect_time: str = "05:30",
        default_timezone: str = "UTC",
        charts: ChartMaker | None = None,
        refresh: dt.timedelta | None = None,
    ) -> None:
        self.store = store
        self.outbox = outbox
        self.builder = builder
        self.clock = clock
        self.grace = grace
        self.default_timezone = default_timezone  # for subscriptions that name no zone
        self._collect = collect
        self._collect_time = collect_time
        self.scheduler = ClockedScheduler(
            clock,
            timezone=dt.UTC,
            job_defaults={
                # APScheduler's default is 1 s, which silently drops any run the loop
                # reaches a second late; ours is the configured grace.
                "misfire_grace_time": int(grace.total_seconds()),
                "coalesce": True,
                "max_instances": 1,
            },
        )
        self.scheduler.add_listener(self._on_missed, EVENT_JOB_MISSED)
        self._rendered: dict[str, tuple[Digest, Response]] = {}
        self.charts = charts or ChartMaker()  # one chart per data version, for every channel
        self._notes: set[asyncio.Task[None]] = set()
        self._collecting: asyncio.Task[Any] | None = None
        self.refresh = refresh  # None: this process alone changes subscriptions
        self._schedules: dict[str, tuple[object, ...]] = {}  # job id -> what it was made from

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Rebuild every job from storage, then start the scheduler in this loop.

        Jobs added before ``start`` are stored in one go; added to a running scheduler, each
        would wake it once (10,000 subscriptions, 10,000 wake-ups).
        """
        cadences: set[str] = set()
        for tenant, sub in await self.store.all_subscriptions():
            if sub.enabled:
                await self._schedule(tenant, sub, catch_up=True)
                cadences.add(sub.cadence)
        self._warm(cadences)
        if self._collect is not None:
            hour, minute = (int(x) for x in self._collect_time.split(":"))
            trigger = CronTrigger(hour=hour, minute=minute, timezone=dt.UTC)
            self.scheduler.add_job(
                self._run_collect, trigger, id=COLLECT_JOB, replace_existing=True,
                next_run_time=await self._collect_start(trigger), misfire_grace_time=12 * 3600,
            )
        if self.refresh is not None:
            add_refresh(self.scheduler, REFRESH_JOB, self.refresh, self.refresh_jobs,
                        "the digest subscriptions")
        self.scheduler.start()

    def busy(self) -> list[asyncio.Future[Any]]:
        """Runs and notes still in progress (a graceful stop and tests wait for these)."""
        executor = self.scheduler._lookup_executor("default") if self.scheduler.running else None
        running = [f for f in getattr(executor, "_pending_futures", ()) if not f.done()]
        return [*running, *(t for t in self._notes if not t.done())]

    async def stop(self) -> None:
        """No new runs; posts already under way get a few seconds to finish and record."""
        if not self.scheduler.running:
            return
        if self._collecting is not None and not self._collecting.done():
            self._collecting.cancel()
            log.info("trend collection interrupted by the stop; what was fetched is kept")
        running = self.busy()
        self.scheduler.pause()
        if running:
            await asyncio.wait(running, timeout=STOP_WAIT)
        self.scheduler.shutdown(wait=False)  # cancels what is still running
        await asyncio.sleep(0)  # AsyncIOScheduler.shutdown runs via call_soon

    # ------------------------------------------------------------------ subscriptions

    async def subscribe(self, tenant: Tenant, sub: Subscription) -> Subscription:
        """Store (or replace) a channel's subscription and schedule it from now on."""
        old = await self.store.get_subscription(tenant, sub.channel_id)
        if old is not None:
            sub = dataclasses.replace(sub, created_at=old.created_at)
        saved = await self.store.upsert_subscription(tenant, sub)
        await self._schedule(tenant, saved, catch_up=False)
        return saved

    async def unsubscribe(self, tenant: Tenant, channel_id: str) -> bool:
        removed = await self.store.delete_subscription(tenant, channel_id)
        self._unschedule(job_id(tenant, channel_id))
        return removed

    async def refresh_jobs(self) -> None:
        """Make this process's jobs match the stored subscriptions: add the new ones (a
        missed run still within the grace runs at once, as at start), move the ones whose
        schedule changed, remove the deleted and disabled ones."""
        wanted = {job_id(tenant, sub.channel_id): (tenant, sub)
                  for tenant, sub in await self.store.all_subscriptions() if sub.enabled}

        async def schedule(key: str, new: bool) -> None:
            await self._schedule(*wanted[key], catch_up=new)

        added, moved, _ = await sync(
            self._schedules, {key: _schedule_of(sub) for key, (_, sub) in wanted.items()},
            has_job=lambda key: self.scheduler.get_job(key) is not None,
            schedule=schedule, unschedule=self._unschedule)
        if added or moved:
            log.info("digest subscriptions refreshed: %d added, %d moved", added, moved)

    async def status(self, tenant: Tenant, channel_id: str) -> Status | None:
        sub = await self.store.get_subscription(tenant, channel_id)
        if sub is None:
            return None
        job = self.scheduler.get_job(job_id(tenant, channel_id))
        if not sub.enabled:
            upcoming = None
        elif job is not None and job.next_run_time is not None:
            upcoming = job.next_run_time
        else:
            upcoming = next_fire(sub, self.clock.now())
        last = await self.store.last_digest(tenant, channel_id)
        return Status(sub, upcoming, last, await self._can_post(tenant, channel_id))

    async def digest(self, cadence: str = "weekly") -> tuple[Digest, Response]:
        """The current digest for a cadence and its rendering (with its chart), both shared
        by every channel: a fan-out to thousands of channels renders one chart."""
        digest = await self.builder.build(cadence)
        cached = self._rendered.get(cadence)
        if cached is None or cached[0] is not digest:
            response = digest_response(digest)
            image = await self.charts.chart(digest)  # None when it failed: text goes alone
            if image is not None:
                response = dataclasses.replace(response, image=image)
            cached = self._rendered[cadence] = (digest, response)
        return cached

    # ------------------------------------------------------------------ scheduling

    async def _schedule(self, tenant: Tenant, sub: Subscription, *, catch_up: bool) -> None:
        now = self.clock.now()
        first = next_fire(sub, now)
        if catch_up:
            missed = await self._unposted_run(tenant, sub, now)
            if missed is not None:
                first = missed  # in the past: APScheduler runs it now or skips it (grace)
        self.scheduler.add_job(
            self._run, trigger_for(sub), args=(tenant.platform, tenant.id, sub.channel_id),
            id=job_id(tenant, sub.channel_id), name=f"digest for {sub.channel_id}",
            replace_existing=True, next_run_time=first,
        )
        self._schedules[job_id(tenant, sub.channel_id)] = _schedule_of(sub)

    def _unschedule(self, key: str) -> None:
        self._schedules.pop(key, None)
        if self.scheduler.get_job(key) is not None:
            self.scheduler.remove_job(key)

    async def _unposted_run(
        self, tenant: Tenant, sub: Subscription, now: dt.datetime
    ) -> dt.datetime | None:
        """The latest scheduled run that should have been posted and was not, if any."""
        previous = last_fire(sub, now)
        if previous is None or (sub.created_at is not None and previous < sub.created_at):
            return None
        record = await self.store.digest_period(
            tenant, sub.channel_id, period_key(sub, previous)
        )
        if record is None or (record.status == "failed" and not record.permanent):
            return previous
        if record.status == "posting":
            log.warning("digest for %s/%s %s: the bot stopped while posting; not re-posting "
                        "(a duplicate is worse than a gap)", tenant.platform, sub.channel_id,
                        record.period_key)
        return None

    async def _collect_start(self, trigger: CronTrigger) -> dt.datetime | None:
        """Collect at once when nothing was collected in the last day, else at the next slot."""
        now = self.clock.now()
        recent = await self.store.snapshots(since=now - dt.timedelta(days=1))
        return trigger.get_next_fire_time(None, now) if recent else now

    # ------------------------------------------------------------------ running

    async def _run(self, platform: str, tenant_id: str, channel_id: str, *,
                   scheduled_at: dt.datetime | None = None) -> None:
        """One scheduled run: claim the period, post, record; retry what may succeed later.

        ``scheduled_at`` (given by the clocked executor) names the run, so a late catch-up
        run still claims the period it belongs to.
        """
        with log_context(platform=platform, tenant=tenant_id, channel=channel_id,
                         command="digest run"):
            await self._run_logged(platform, tenant_id, channel_id, scheduled_at)

    async def _run_logged(self, platform: str, tenant_id: str, channel_id: str,
                          scheduled_at: dt.datetime | None) -> None:
        tenant = Tenant(platform, tenant_id)
        sub = await self.store.get_subscription(tenant, channel_id)
        if sub is None or not sub.enabled:
            self._unschedule(job_id(tenant, channel_id))
            return
        fired = scheduled_at or last_fire(sub, self.clock.now()) or self.clock.now()
        key = period_key(sub, fired)
        _, response = await self.digest(sub.cadence)
        for attempt, delay in enumerate((*RETRY_DELAYS, None), 1):
            await self.outbox.wait_turn(platform)
            if not await self.store.claim_digest_period(tenant, channel_id, key):
                log.info("digest %s for %s/%s already claimed", key, platform, channel_id)
                return
            delivery = await self.outbox.post(platform, tenant_id, channel_id, response,
                                              paced=False)
            if delivery.ok:
                await self.store.mark_digest_delivered(tenant, channel_id, key,
                                                       delivery.message_id)
                log.info("digest %s posted to %s/%s", key, platform, channel_id)
                return
            error = delivery.error or "the platform refused the post"
            await self.store.mark_digest_failed(tenant, channel_id, key, error,
                                                delivery.permanent)
            if delivery.permanent:
                log.warning("digest for %s/%s disabled: %s", platform, channel_id, error)
                self._unschedule(job_id(tenant, channel_id))
                await self._tell_paused(tenant, channel_id, error)
                return
            wait = delivery.retry_after if delivery.retry_after is not None else delay
            if wait is None or self.clock.now() + dt.timedelta(seconds=wait) > fired + self.grace:
                log.warning("digest %s for %s/%s not posted after %d attempts: %s",
                            key, platform, channel_id, attempt, error)
                return
            await self.clock.sleep(wait)

    async def _run_collect(self, *, scheduled_at: dt.datetime | None = None) -> None:
        """Start a collection in the background: it may take minutes of retries, and a stop
        should abandon it at once (what was fetched is already stored) instead of waiting."""
        if self._collect is None or (self._collecting and not self._collecting.done()):
            return
        # Processes sharing a database collect once per slot: the first to claim it.
        slot = (scheduled_at or self.clock.now()).astimezone(dt.UTC).strftime("%Y-%m-%dT%H")
        try:
            if not await self.store.claim_job(COLLECT_JOB, slot):
                log.info("trend collection of %s UTC: another process has it", slot)
                return
        except StorageError as exc:
            log.warning("trend collection of %s UTC skipped: %s", slot, exc)
            return
        self._collecting = asyncio.get_running_loop().create_task(self._collect_and_draw())
        self._collecting.add_done_callback(_report_collection)

    async def _collect_and_draw(self) -> None:
        assert self._collect is not None
        await self._collect()
        subs = await self.store.all_subscriptions()
        self._warm({sub.cadence for _, sub in subs if sub.enabled})

    def _warm(self, cadences: set[str]) -> None:
        """Compose and draw the digests now, in the background, so the first post of a
        fan-out does not wait for the chart (a render takes a few hundred ms)."""
        for cadence in sorted(cadences):
            task = asyncio.get_running_loop().create_task(self._draw(cadence))
            self._notes.add(task)
            task.add_done_callback(self._notes.discard)

    async def _draw(self, cadence: str) -> None:
        try:
            await self.digest(cadence)
        except Exception:  # the posts will try again; a warm-up must never crash anything
            log.exception("could not prepare the %s digest ahead of its posts", cadence)

    def _on_missed(self, event: JobExecutionEvent) -> None:
        found = _parse_job_id(event.job_id)
        if found is not None:
            note = self._note_missed(*found, event.scheduled_run_time)
            task = asyncio.get_running_loop().create_task(note)
            self._notes.add(task)
            task.add_done_callback(self._notes.discard)

    async def _note_missed(self, tenant: Tenant, channel_id: str, when: dt.datetime) -> None:
        sub = await self.store.get_subscription(tenant, channel_id)
        if sub is None:
            return
        now = self.clock.now()
        note = (f"The digest due {when.isoformat(timespec='minutes')} was skipped: the bot was "
                f"offline until {now.isoformat(timespec='minutes')}, past the "
                f"{_hours(self.grace)} grace period.")
        log.warning("digest for %s/%s: %s", tenant.platform, channel_id, note)
        await self.store.upsert_subscription(tenant, dataclasses.replace(sub, last_error=note))

    async def _can_post(self, tenant: Tenant, channel_id: str) -> ChannelAccess:
        deliverer = self.outbox.deliverer(tenant.platform)
        if deliverer is None:
            return ChannelAccess(False, f"{tenant.platform} is not connected to this bot "
                                 "process right now", "the bot's operator starts it with "
                                 f"the {tenant.platform} settings (see .env.example)")
        check = getattr(deliverer, "check_channel", None)
        if check is None:
            return ChannelAccess(None, f"the {tenant.platform} adapter has no channel check")
        try:
            access: ChannelAccess = await check(tenant.id, channel_id)
        except Exception:  # a broken check must not break /digest status or a run
            log.exception("channel check for %s/%s failed", tenant.platform, channel_id)
            return ChannelAccess(None, "the check failed (see the bot's log)")
        return access

    async def _tell_paused(self, tenant: Tenant, channel_id: str, error: str) -> None:
        """Say once, in the channel, that its digests stopped and how a manager resumes
        them: a plain note, which may still get through where the digest could not (and
        when it cannot, ``/digest status`` says the same)."""
        access = await self._can_post(tenant, channel_id)
        fix = f" To fix: {access.fix}." if access.ok is False and access.fix else ""
        note = Response(
            title="Trend digests here are paused",
            sections=(Section(
                f"The last digest could not be posted: {user_text(error, TEXT_LIMIT)}.{fix} "
                "Then a channel manager resumes them with `/digest subscribe` (the same "
                "schedule options); `/digest status` shows what the bot finds now."),),
        )
        delivery = await self.outbox.post(tenant.platform, tenant.id, channel_id, note)
        if not delivery.ok:
            log.info("could not tell %s/%s its digests are paused either: %s",
                     tenant.platform, channel_id, delivery.error)


def _report_collection(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("trend collection failed", exc_info=task.exception())


def _hours(span: dt.timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:g}-hour" if hours >= 1 else f"{span.total_seconds() / 60:g}-minute"
