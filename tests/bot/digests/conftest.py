"""A digest world: real TinyDB store, real (clocked) APScheduler, fake clock, scripted platform."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.delivery import Delivery, Outbox
from bot.digests.access import CAN_POST, ChannelAccess
from bot.digests.service import DigestService
from bot.models import Response
from bot.quiz.bank import QuestionBank
from bot.storage import Store, Subscription, Tenant
from bot.trends.chart import ChartMaker
from bot.trends.digest import DigestBuilder

TENANT = Tenant("console", "club")
shipped_bank = functools.cache(QuestionBank.load)  # parsing 195 questions per restart is slow
shared_charts = ChartMaker()  # a chart per restart would make the simulated year slow


@dataclass
class Platform:
    """A deliverer that records posts with their (fake) time and can be told to fail."""

    clock: FakeClock
    posts: list[tuple[str, dt.datetime, Response]] = field(default_factory=list)
    script: deque[Delivery] = field(default_factory=deque)
    flaky: random.Random | None = None  # when set, one post in ten fails with a 500
    access: ChannelAccess = CAN_POST  # what check_channel answers

    async def check_channel(self, tenant_id: str, channel_id: str) -> ChannelAccess:
        return self.access

    async def deliver(self, tenant_id: str, channel_id: str, response: Response) -> Delivery:
        if self.script:
            result = self.script.popleft()
            if not result.ok:
                return result
        if self.flaky is not None and self.flaky.random() < 0.1:
            return Delivery(ok=False, error="HTTP 500 from the platform")
        self.posts.append((channel_id, self.clock.now(), response))
        return Delivery(ok=True, message_id=f"m{len(self.posts)}")

    async def edit(self, tenant_id, channel_id, message_id, response) -> Delivery:  # noqa: ANN001
        return Delivery(ok=True, message_id=message_id)

    def times(self, channel: str | None = None) -> list[dt.datetime]:
        return [t for c, t, _ in self.posts if channel is None or c == channel]


@dataclass
class World:
    clock: FakeClock
    data_dir: Path
    knowledge: object
    platform: Platform
    grace: dt.timedelta = dt.timedelta(hours=6)
    store: Store | None = None
    service: DigestService | None = None
    database_url: str | None = None  # a shared PostgreSQL database instead of data_dir
    refresh: dt.timedelta | None = None  # DigestService's re-read of subscriptions
    peers: list[World] = field(default_factory=list)  # other processes settle waits for
    collect: Callable[[], Awaitable[None]] | None = None  # the daily trend collection

    async def open_store(self) -> Store:
        if self.database_url is not None:
            from bot.storage.postgres.store import PostgresStore

            return await PostgresStore.open(self.database_url, self.clock)
        return await Store.open(self.data_dir, self.clock)

    async def start(self) -> DigestService:
        self.store = await self.open_store()
        outbox = Outbox(self.clock, rates={"console": 1000.0})
        outbox.register("console", self.platform)
        builder = DigestBuilder(self.knowledge, self.clock, self.store, shipped_bank())
        self.service = DigestService(self.store, outbox, builder, self.clock, grace=self.grace,
                                     charts=shared_charts, refresh=self.refresh,
                                     collect=self.collect, collect_time="05:30")
        await self.service.start()
        await self.settle()
        return self.service

    async def stop(self) -> None:
        """A graceful stop, or (``crash``) the process vanishing: nothing more runs."""
        assert self.service and self.store
        await self.service.stop()
        await self.store.close()
        self.service = self.store = None

    async def crash(self) -> None:
        """The process dies at this instant: running work is cancelled, not finished."""
        assert self.service and self.store
        self.service.scheduler.shutdown(wait=False)
        await asyncio.sleep(0)
        for f in self.service.busy():
            f.cancel()
        await asyncio.sleep(0)
        await self.store.close()
        self.service = self.store = None

    async def subscribe(self, channel: str = "news", **kw) -> Subscription:  # noqa: ANN003
        assert self.service
        sub = await self.service.subscribe(TENANT, Subscription(channel_id=channel, **kw))
        await self.settle()
        return sub

    async def settle(self) -> None:
        """Wait until every run has finished or is waiting on the fake clock."""
        async with asyncio.timeout(20):
            while True:
                for _ in range(10):
                    await asyncio.sleep(0)
                busy = [f for w in (self, *self.peers) if w.service is not None
                        for f in w.service.busy() if f not in self.clock.parked]
                if not busy:
                    return
                await asyncio.wait(busy, timeout=0.002)  # or until it parks on the clock

    async def run_until(self, when: dt.datetime) -> None:
        """Move the fake clock to ``when``, stopping at every wake-up on the way."""
        await self.settle()  # let timers set by earlier calls register on the clock
        target = (when - self.clock.now()).total_seconds()
        assert target >= 0, "cannot go back in time"
        end = self.clock.monotonic() + target
        while True:
            step = self.clock.next_deadline()
            if step is None or self.clock.monotonic() + step > end:
                break
            await self.clock.advance(step)
            await self.settle()
        await self.clock.advance(end - self.clock.monotonic())
        await self.settle()


@pytest.fixture
async def world(knowledge, tmp_path: Path):  # noqa: ANN001
    clock = FakeClock(dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC))  # a Monday
    w = World(clock, tmp_path / "data", knowledge, Platform(clock))
    await w.start()
    yield w
    if w.service is not None:
        await w.stop()
