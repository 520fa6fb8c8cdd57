"""Digests with several processes on one PostgreSQL database.

Each process schedules every subscription from the database and re-reads them every
``refresh``; the period claim decides which process posts. These tests fail if a process
only knows the subscriptions it saw at start (a subscription made through another process
would never be posted by it), or if both processes post.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.digests.service import job_id
from tests.postgres import empty_database

from .conftest import TENANT, Platform, World

UTC = dt.UTC
REFRESH = dt.timedelta(minutes=1)
JOB = job_id(TENANT, "news")


@pytest.fixture
async def pair(knowledge, tmp_path: Path, pg_url: str) -> AsyncIterator[tuple[World, World]]:  # noqa: ANN001
    """Two processes (each its own store, connection pool, scheduler and platform
    connection) on one database and one controlled clock."""
    await empty_database(pg_url)
    clock = FakeClock(dt.datetime(2026, 3, 2, 6, 0, tzinfo=UTC))  # a Monday
    a, b = (World(clock, tmp_path / name, knowledge, Platform(clock), database_url=pg_url,
                  refresh=REFRESH) for name in ("a", "b"))
    a.peers, b.peers = [b], [a]
    await a.start()
    await b.start()
    yield a, b
    for w in (a, b):
        if w.service is not None:
            await w.stop()


def posted(*worlds: World) -> list[tuple[str, dt.datetime]]:
    return sorted((c, t.replace(second=0, microsecond=0))
                  for w in worlds for c, t, _ in w.platform.posts)


async def test_a_subscription_made_through_one_process_is_posted_once_by_either(
    pair: tuple[World, World],
) -> None:
    a, b = pair
    await a.subscribe("news", weekday=0, time="09:00")
    assert a.service and b.service
    assert b.service.scheduler.get_job(JOB) is None  # B has not re-read yet
    await a.run_until(dt.datetime(2026, 3, 2, 6, 1, 30, tzinfo=UTC))
    job = b.service.scheduler.get_job(JOB)
    assert job is not None and job.next_run_time == dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    await a.run_until(dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    assert posted(a, b) == [("news", dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC))]
    history = await a.store.digest_history(TENANT, "news")
    assert [(r.period_key, r.status, r.attempts) for r in history] == [
        ("2026-W10", "delivered", 1)]
    # A goes away; B, which learnt the subscription from the database, posts next week.
    await a.stop()
    await b.run_until(dt.datetime(2026, 3, 9, 10, 0, tzinfo=UTC))
    assert b.platform.times("news")[-1:] == [dt.datetime(2026, 3, 9, 9, 0, tzinfo=UTC)]
    assert posted(a, b) == [("news", dt.datetime(2026, 3, d, 9, 0, tzinfo=UTC))
                            for d in (2, 9)]


async def test_b_alone_posts_what_was_subscribed_through_a(pair: tuple[World, World]) -> None:
    """A subscribes and stops before the first run: only B can post it."""
    a, b = pair
    await a.subscribe("news", weekday=0, time="09:00")
    await a.stop()
    await b.run_until(dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    assert b.platform.times("news") == [dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)]
    assert a.platform.posts == []


async def test_a_moved_or_cancelled_subscription_is_followed_by_the_other_process(
    pair: tuple[World, World],
) -> None:
    a, b = pair
    await a.subscribe("news", weekday=0, time="09:00")
    await a.subscribe("ml", weekday=0, time="09:00")
    await a.run_until(dt.datetime(2026, 3, 2, 6, 2, tzinfo=UTC))
    assert a.service and b.service
    assert {JOB, job_id(TENANT, "ml")} <= {j.id for j in b.service.scheduler.get_jobs()}
    await b.subscribe("news", weekday=0, time="11:00")  # moved, through B
    await b.service.unsubscribe(TENANT, "ml")  # cancelled, through B
    await a.run_until(dt.datetime(2026, 3, 2, 6, 4, tzinfo=UTC))
    job = a.service.scheduler.get_job(JOB)
    assert job is not None and job.next_run_time == dt.datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
    assert a.service.scheduler.get_job(job_id(TENANT, "ml")) is None
    await a.run_until(dt.datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    assert posted(a, b) == [("news", dt.datetime(2026, 3, 2, 11, 0, tzinfo=UTC))]


async def test_the_daily_trend_collection_runs_in_one_process(pair: tuple[World, World]) -> None:
    """Both processes schedule the collection; the slot's claim lets one of them run it."""
    runs: list[tuple[str, dt.datetime]] = []
    for name, w in zip("ab", pair, strict=True):
        await w.stop()

        async def collect(name: str = name, w: World = w) -> None:
            runs.append((name, w.clock.now()))

        w.collect = collect
    a, b = pair
    await a.start()
    await b.start()
    await a.run_until(dt.datetime(2026, 3, 4, 6, 0, tzinfo=UTC))
    assert sorted(t.isoformat() for _, t in runs) == [
        "2026-03-02T06:00:00+00:00",  # nothing collected yet: at once, by one of them
        "2026-03-03T05:30:00+00:00", "2026-03-04T05:30:00+00:00"]
