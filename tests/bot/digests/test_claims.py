"""The digest service's "period already claimed" branch, reached through the service.

A refused claim must stop the run before it posts: these tests fail if the service posts
anyway (a re-subscription in a period already posted, two schedulers sharing one store).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import pytest

from bot.delivery import Outbox
from bot.digests.service import DigestService
from bot.trends.digest import DigestBuilder

from .conftest import TENANT, World, shared_charts, shipped_bank

UTC = dt.UTC


async def test_resubscribing_later_in_a_posted_period_does_not_post_it_again(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await world.subscribe("news", weekday=0, time="09:00")
    await world.run_until(dt.datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    assert world.platform.times() == [dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)]
    await world.subscribe("news", weekday=0, time="11:00")  # same ISO week, later slot
    with caplog.at_level(logging.INFO, logger="framework_coach.digests"):
        await world.run_until(dt.datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    assert world.platform.times() == [dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)]
    assert any("2026-W10 for console/news already claimed" in r.getMessage()
               for r in caplog.records)
    await world.run_until(dt.datetime(2026, 3, 9, 12, 0, tzinfo=UTC))  # next week: posted
    assert world.platform.times()[1:] == [dt.datetime(2026, 3, 9, 11, 0, tzinfo=UTC)]
    history = await world.store.digest_history(TENANT, "news")
    assert [(r.period_key, r.status, r.attempts) for r in history] == [
        ("2026-W10", "delivered", 1), ("2026-W11", "delivered", 1)]


async def test_two_schedulers_on_one_store_post_each_period_once(world: World) -> None:
    """Two services (say, a second process started by mistake) share the store and the
    platform; both fire at 09:00 and race for the claim: one posts, the other stands down."""
    for channel in ("news", "ml", "jobs"):
        await world.subscribe(channel, weekday=0, time="09:00")
    assert world.store is not None and world.service is not None
    outbox = Outbox(world.clock, rates={"console": 1000.0})
    outbox.register("console", world.platform)
    builder = DigestBuilder(world.knowledge, world.clock, world.store, shipped_bank())
    rival = DigestService(world.store, outbox, builder, world.clock, charts=shared_charts)
    await rival.start()
    try:
        assert {j.id for j in rival.scheduler.get_jobs()} == {
            j.id for j in world.service.scheduler.get_jobs()}
        first = world.service.busy
        world.service.busy = lambda: [*first(), *rival.busy()]  # settle waits for both
        await world.run_until(dt.datetime(2026, 3, 9, 10, 0, tzinfo=UTC))
    finally:
        await rival.stop()
        await asyncio.sleep(0)
    posts = sorted((c, t.replace(second=0, microsecond=0)) for c, t, _ in world.platform.posts)
    assert posts == sorted(  # to the minute: posts are paced a millisecond apart
        (c, dt.datetime(2026, 3, day, 9, 0, tzinfo=UTC))
        for c in ("news", "ml", "jobs") for day in (2, 9))
    for channel in ("news", "ml", "jobs"):
        history = await world.store.digest_history(TENANT, channel)
        assert [(r.period_key, r.attempts) for r in history] == [
            ("2026-W10", 1), ("2026-W11", 1)]
