"""Digest scheduling on a controlled clock with the real APScheduler and a real store."""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from bot.delivery import Delivery
from bot.digests.schedule import period_key, trigger_for
from bot.storage import Subscription

from .conftest import TENANT, World

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
UTC = dt.UTC


def local(when: dt.datetime, zone: ZoneInfo) -> tuple[str, int, int]:
    t = when.astimezone(zone)
    return t.strftime("%a"), t.hour, t.minute


async def test_weekly_digest_in_two_time_zones_posts_at_local_time(world: World) -> None:
    await world.subscribe("berlin", timezone="Europe/Berlin", weekday=0, time="09:00")
    await world.subscribe("nyc", timezone="America/New_York", weekday=4, time="17:30")
    await world.run_until(dt.datetime(2026, 3, 24, tzinfo=UTC))
    berlin, nyc = world.platform.times("berlin"), world.platform.times("nyc")
    assert [t.date().isoformat() for t in berlin] == [
        "2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23"]
    assert {local(t, BERLIN) for t in berlin} == {("Mon", 9, 0)}
    assert [t.astimezone(NEW_YORK).date().isoformat() for t in nyc] == [
        "2026-03-06", "2026-03-13", "2026-03-20"]
    assert {local(t, NEW_YORK) for t in nyc} == {("Fri", 17, 30)}


async def test_local_time_holds_across_dst_changes(world: World) -> None:
    """Berlin moves to summer time on 29 March 2026, New York on 8 March."""
    await world.subscribe("berlin", timezone="Europe/Berlin", weekday=0, time="09:00")
    await world.subscribe("nyc", timezone="America/New_York", weekday=4, time="17:30")
    await world.run_until(dt.datetime(2026, 4, 1, tzinfo=UTC))
    berlin_utc = [t.hour for t in world.platform.times("berlin")]
    assert berlin_utc == [8, 8, 8, 8, 7]  # 09:00 CET, then 09:00 CEST
    nyc_utc = [(t.day, t.hour, t.minute) for t in world.platform.times("nyc")]
    assert nyc_utc == [(6, 22, 30), (13, 21, 30), (20, 21, 30), (27, 21, 30)]


async def test_daily_digest_at_a_time_dst_skips_or_repeats_posts_once_a_day(world: World) -> None:
    """02:30 does not exist in Berlin on 29 March and happens twice on 25 October."""
    world.clock.set(dt.datetime(2026, 3, 27, tzinfo=UTC))
    await world.subscribe("night", cadence="daily", timezone="Europe/Berlin", time="02:30")
    await world.run_until(dt.datetime(2026, 4, 1, tzinfo=UTC))
    spring = [t.astimezone(BERLIN).date() for t in world.platform.times("night")]
    world.clock.set(dt.datetime(2026, 10, 23, tzinfo=UTC))
    world.platform.posts.clear()
    await world.service.stop()
    await world.store.close()
    await world.start()
    await world.run_until(dt.datetime(2026, 10, 28, tzinfo=UTC))
    autumn = [t.astimezone(BERLIN).date() for t in world.platform.times("night")]
    for days in (spring, autumn):
        assert len(days) == len(set(days)), f"two digests on one day: {days}"
    assert [d.day for d in autumn] == [23, 24, 25, 26, 27]
    assert {27, 28, 30, 31} <= {d.day for d in spring}


async def test_restart_inside_the_grace_period_posts_the_missed_digest_once(
    world: World,
) -> None:
    await world.subscribe("news", weekday=0, time="09:00")  # UTC
    await world.run_until(dt.datetime(2026, 3, 9, 8, 0, tzinfo=UTC))
    assert len(world.platform.posts) == 1  # 2 March
    await world.crash()
    world.clock.set(dt.datetime(2026, 3, 9, 11, 15, tzinfo=UTC))  # 2 h 15 late, grace 6 h
    await world.start()
    assert world.platform.times()[-1] == dt.datetime(2026, 3, 9, 11, 15, tzinfo=UTC)
    await world.stop()  # and once more, still inside the grace: nothing new
    world.clock.set(dt.datetime(2026, 3, 9, 12, 0, tzinfo=UTC))
    await world.start()
    await world.run_until(dt.datetime(2026, 3, 16, 10, 0, tzinfo=UTC))
    keys = [period_key(Subscription("news"), t) for t in world.platform.times()]
    assert keys == ["2026-W10", "2026-W11", "2026-W12"]


async def test_restart_after_the_grace_skips_logs_and_says_why(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await world.subscribe("news", weekday=0, time="09:00")
    await world.run_until(dt.datetime(2026, 3, 9, 8, 0, tzinfo=UTC))
    await world.crash()
    world.clock.set(dt.datetime(2026, 3, 9, 15, 30, tzinfo=UTC))  # 6 h 30 late
    with caplog.at_level(logging.WARNING):
        await world.start()
    assert len(world.platform.posts) == 1  # only 2 March's
    assert any("skipped" in r.getMessage() and "2026-03-09T09:00" in r.getMessage()
               for r in caplog.records)
    status = await world.service.status(TENANT, "news")
    assert status and status.subscription.last_error
    assert "skipped" in status.subscription.last_error
    assert "6-hour grace" in status.subscription.last_error
    await world.run_until(dt.datetime(2026, 3, 16, 10, 0, tzinfo=UTC))
    assert len(world.platform.posts) == 2  # back on schedule the week after


async def test_a_post_made_before_a_restart_is_not_repeated(world: World) -> None:
    await world.subscribe("news", weekday=0, time="09:00")
    await world.run_until(dt.datetime(2026, 3, 9, 9, 30, tzinfo=UTC))
    assert len(world.platform.posts) == 2
    await world.crash()
    await world.start()
    await world.run_until(dt.datetime(2026, 3, 9, 14, 0, tzinfo=UTC))
    assert len(world.platform.posts) == 2


async def test_temporary_failures_are_retried_honouring_retry_after(world: World) -> None:
    await world.subscribe("news", weekday=0, time="09:00")
    world.platform.posts.clear()
    world.platform.script.extend([
        Delivery(ok=False, error="HTTP 500"),
        Delivery(ok=False, error="rate limited", retry_after=42.0),
    ])
    await world.run_until(dt.datetime(2026, 3, 9, 10, 0, tzinfo=UTC))
    assert world.platform.times() == [
        dt.datetime(2026, 3, 2, 9, 1, 12, tzinfo=UTC),  # 30 s after the 500, then 42 s
        dt.datetime(2026, 3, 9, 9, 0, tzinfo=UTC),
    ]
    first = (await world.store.digest_history(TENANT, "news"))[0]
    assert first.status == "delivered" and first.attempts == 3


async def test_a_permanent_failure_disables_the_subscription_with_the_reason(
    world: World,
) -> None:
    await world.subscribe("news", weekday=0, time="09:00")
    world.platform.posts.clear()
    gone = Delivery(ok=False, error="channel_not_found: the channel was deleted", permanent=True)
    world.platform.script.extend([gone, gone])  # the digest, then the note saying it paused
    await world.run_until(dt.datetime(2026, 3, 23, 10, 0, tzinfo=UTC))
    assert world.platform.posts == [] and not world.platform.script
    status = await world.service.status(TENANT, "news")
    assert status and not status.subscription.enabled
    assert status.subscription.disabled_reason == "channel_not_found: the channel was deleted"
    assert status.next_run is None
    assert len(await world.store.digest_history(TENANT, "news")) == 1  # nothing after


async def test_one_digest_is_composed_for_every_channel_of_a_period(world: World) -> None:
    for n in range(40):
        await world.subscribe(f"c{n}", weekday=0, time="09:00")
    before = world.service.builder.compositions
    await world.run_until(dt.datetime(2026, 3, 9, 10, 0, tzinfo=UTC))
    assert len(world.platform.posts) == 80
    assert world.service.builder.compositions - before == 2  # one per period, not 80
    first = world.platform.posts[-1][2]
    assert all(r is first or r == first for _, _, r in world.platform.posts[-40:])


async def test_unsubscribe_stops_the_posts(world: World) -> None:
    await world.subscribe("news", weekday=0, time="09:00")
    assert await world.service.unsubscribe(TENANT, "news")
    await world.run_until(dt.datetime(2026, 3, 17, tzinfo=UTC))
    assert world.platform.posts[1:] == []
    assert await world.service.status(TENANT, "news") is None


async def test_a_simulated_year_with_random_crashes_has_no_duplicates_or_misses(
    world: World,
) -> None:
    """52 weeks, three channels in three zones, the process killed at random moments and
    kept down for random spans, one post in ten refused with a 500. Every scheduled run
    during which the bot was up within the grace must be posted exactly once; none twice."""
    rng = random.Random(20261124)
    world.platform.flaky = random.Random(7)
    subs = {
        "berlin": Subscription("berlin", weekday=0, time="09:00", timezone="Europe/Berlin"),
        "nyc": Subscription("nyc", weekday=2, time="18:00", timezone="America/New_York"),
        "tokyo": Subscription("tokyo", weekday=4, time="07:30", timezone="Asia/Tokyo"),
    }
    start = world.clock.now()
    for sub in subs.values():
        await world.service.subscribe(TENANT, sub)
    await world.settle()
    end = start + dt.timedelta(weeks=52)
    uptime: list[tuple[dt.datetime, dt.datetime]] = []
    crashes = 0
    while world.clock.now() < end:
        up_from = world.clock.now()
        crash_at = min(end, up_from + dt.timedelta(hours=rng.uniform(1, 24 * 12)))
        await world.run_until(crash_at)
        uptime.append((up_from, crash_at))
        if crash_at >= end:
            break
        await world.crash()
        crashes += 1
        down = dt.timedelta(hours=rng.choice([0.1, 1, 3, 5.9, 6.5, 12, 30, 200]))
        world.clock.set(min(end, world.clock.now() + down))
        await world.start()
    grace = world.grace
    duplicates, misses, reachable = 0, [], 0
    for name, sub in subs.items():
        posted = Counter(period_key(sub, t) for t in world.platform.times(name))
        duplicates += sum(n - 1 for n in posted.values() if n > 1)
        trigger, when = trigger_for(sub), trigger_for(sub).get_next_fire_time(None, start)
        while when is not None and when < end - grace:
            if any(a <= when + grace and b >= when for a, b in uptime):
                reachable += 1
                if posted[period_key(sub, when)] != 1:
                    misses.append((name, when))
            when = trigger.get_next_fire_time(when, when + dt.timedelta(seconds=1))
    assert crashes >= 30
    assert duplicates == 0
    assert misses == []
    assert sum(len(world.platform.times(n)) for n in subs) == reachable > 100


async def test_trend_collection_runs_at_start_then_daily_and_a_stop_abandons_it(
    world: World,
) -> None:
    from bot.delivery import Outbox
    from bot.digests.service import DigestService

    await world.stop()
    await world.start()  # a store again; now a service that collects
    runs: list[dt.datetime] = []

    async def collect() -> None:
        runs.append(world.clock.now())
        await world.clock.sleep(3600)  # a slow collection, still retrying when we stop

    service = DigestService(world.store, Outbox(world.clock), world.service.builder,
                            world.clock, collect=collect, collect_time="05:30")
    await world.service.stop()
    world.service = service
    await service.start()
    await world.run_until(dt.datetime(2026, 3, 4, 6, 0, tzinfo=UTC))
    assert [t.isoformat() for t in runs] == [
        "2026-03-02T06:00:00+00:00",  # nothing collected yet: at once
        "2026-03-03T05:30:00+00:00", "2026-03-04T05:30:00+00:00"]
    await world.run_until(dt.datetime(2026, 3, 4, 6, 1, tzinfo=UTC))
    assert service._collecting is not None and not service._collecting.done()
    await service.stop()
    assert service._collecting.cancelled()
