"""The daily question with two processes on one store (one data directory's store shared by
two services, or two PostgreSQL connection pools on one database).

Each process schedules every daily subscription and every open day from storage and re-reads
them every ``refresh``; the day's claim decides who posts, the reveal's claim who reveals.
These tests fail if a process only knows what it saw at start (a subscription, a move or an
unsubscribe made through the other process, or a closing time the other process set up), or
if both processes post or reveal.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.delivery import Delivery
from bot.digests.refresh import REFRESH
from bot.models import Response
from bot.quiz.daily import job_id
from bot.storage import Store
from tests.bot.digests.conftest import Platform, World
from tests.postgres import empty_database
from tests.storage.conftest import Backend

from .test_daily import TENANT, DailyWorld

UTC = dt.UTC
JOB = job_id(TENANT, "quiz")


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


class Channel(Platform):
    """One platform connection of one process; every process writes to the same channel
    log, so the log shows what people see, in order, and who posted it."""

    def __init__(self, clock: FakeClock, name: str, log: list[tuple[str, str, dt.datetime,
                                                                 Response]]) -> None:
        super().__init__(clock)
        self.name, self.log = name, log

    async def deliver(self, tenant_id: str, channel_id: str, response: Response) -> Delivery:
        delivery = await super().deliver(tenant_id, channel_id, response)
        self.log.append((self.name, channel_id, self.clock.now(), response))
        return delivery


class Process(DailyWorld):
    """One bot process: its own scheduler, outbox and platform connection; on PostgreSQL its
    own store (connection pool), on the embedded backend the one store both share."""

    backend: Backend
    shared: Store | None

    async def open_store(self) -> Store:
        return self.shared if self.shared is not None else await self.backend.open()

    async def settle(self) -> None:
        """Until no process has a run in flight or a wake-up not yet on the clock."""
        async with asyncio.timeout(20):
            while True:
                await World.settle(self)
                for _ in range(3):
                    await asyncio.sleep(0)
                services = [w.service for w in (self, *self.peers) if w.service is not None]
                timers = [s.scheduler._timer for s in services]
                busy = [f for s in services for f in s.busy() if f not in self.clock.parked]
                if not busy and all(t is None or t.done() or t in self.clock.parked
                                    for t in timers):
                    return

    async def die(self) -> None:
        """The process vanishes: its scheduler stops where it is, nothing is cleaned up."""
        assert self.service is not None
        self.service.scheduler.shutdown(wait=False)
        await asyncio.sleep(0)
        for f in self.service.busy():
            f.cancel()
        await asyncio.sleep(0)
        if self.shared is None and self.store is not None:
            await self.store.close()
        self.service = self.store = None

    async def stop(self) -> None:
        assert self.service is not None
        await self.service.stop()
        if self.shared is None and self.store is not None:
            await self.store.close()
        self.service = self.store = None


@pytest.fixture(params=["embedded", "postgres"])
async def pair(request, knowledge, tmp_path: Path) -> AsyncIterator[tuple[Process, Process]]:  # noqa: ANN001
    """Processes A and B on one store and one controlled clock, not started yet."""
    url = None
    if request.param == "postgres":
        url = request.getfixturevalue("pg_url")
        await empty_database(url)
    clock = FakeClock(at(10, 6))
    backend = Backend(request.param, clock, tmp_path / "data", url)
    shared = await backend.open() if url is None else None
    log: list[tuple[str, str, dt.datetime, Response]] = []
    a, b = (Process(clock, tmp_path / name, knowledge, Channel(clock, name, log),
                    refresh=REFRESH) for name in ("a", "b"))
    for p in (a, b):
        p.backend, p.shared = backend, shared
    a.peers, b.peers = [b], [a]
    yield a, b
    for p in (a, b):
        if p.service is not None:
            await p.stop()
    for store in backend.opened:
        await store.close()


def seen(p: Process, kind: str = "question") -> list[tuple[str, dt.datetime, str]]:
    """(poster, time to the second, day) of each question (or reveal) in the channel, in
    order (posts are paced a millisecond apart)."""
    assert isinstance(p.platform, Channel)
    reveal = kind == "reveal"
    return [(who, when.replace(microsecond=0), r.title.split(" · ")[1])
            for who, _, when, r in p.platform.log if ("answer:" in r.title) == reveal]


def days(p: Process, kind: str = "question") -> list[str]:
    return [d for _, _, d in seen(p, kind)]


async def test_a_subscription_made_through_a_is_posted_by_b_once_a_is_gone(pair) -> None:  # noqa: ANN001
    a, b = pair
    await a.start()
    await b.start()
    await a.daily(time="09:00", timezone="UTC", close="18:00")
    assert b.service and b.service.scheduler.get_job(JOB) is None  # B has not re-read yet
    await a.run_until(at(10, 6, 1, 30))
    job = b.service.scheduler.get_job(JOB)
    assert job is not None and job.next_run_time == at(10, 9)  # learnt within a minute
    await a.die()
    await b.run_until(at(11, 19))
    assert seen(b) == [("b", at(10, 9), "2026-03-10"), ("b", at(11, 9), "2026-03-11")]
    assert [(who, when) for who, when, _ in seen(b, "reveal")] == [
        ("b", at(10, 18)), ("b", at(11, 18))]


async def test_two_live_processes_post_and_reveal_each_day_once_in_order(pair) -> None:  # noqa: ANN001
    a, b = pair
    a.refresh = b.refresh = dt.timedelta(hours=1)  # not needed here; four days go faster
    await a.start()
    await a.daily(time="09:00", timezone="UTC")
    await b.start()  # knows the subscription from the start: both fire every morning
    for day in range(10, 14):
        await a.run_until(at(day, 12))
        await a.answer("ann", f"2026-03-{day}", right=True)
    await a.run_until(at(14, 10))
    assert days(a) == [f"2026-03-{d}" for d in range(10, 15)]
    assert days(a, "reveal") == [f"2026-03-{d}" for d in range(10, 14)]
    # Each morning: yesterday's reveal, then today's question, never the other way round.
    order = [(kind, d) for who, _, when, r in a.platform.log  # type: ignore[attr-defined]
             for kind, d in [("reveal" if "answer:" in r.title else "question",
                              r.title.split(" · ")[1])]]
    expected = [("question", "2026-03-10")]
    for day in range(11, 15):
        expected += [("reveal", f"2026-03-{day - 1}"), ("question", f"2026-03-{day}")]
    assert order == expected
    assert a.store is not None
    board = {e.user_id: e.points for e in await a.store.leaderboard(TENANT, "quiz")}
    assert board == {"ann": 400}  # each close counted once


async def test_a_time_moved_through_a_is_followed_by_b(pair) -> None:  # noqa: ANN001
    a, b = pair
    await a.start()
    await a.daily(time="09:00", timezone="UTC")
    await b.start()
    assert b.service and b.service.scheduler.get_job(JOB).next_run_time == at(10, 9)
    await a.run_until(at(10, 7))
    await a.daily(time="15:00", timezone="UTC")  # a manager moves it, through A
    await a.run_until(at(10, 7, 1, 30))
    status = await b.service.status(TENANT, "quiz")  # /quiz daily status, through B
    assert status is not None and status.next_run == at(10, 15)
    await a.die()  # and whatever B does now, it does alone
    await b.run_until(at(11, 16))
    assert seen(b) == [("b", at(10, 15), "2026-03-10"), ("b", at(11, 15), "2026-03-11")]


async def test_an_unsubscribe_through_a_stops_b_and_the_open_day_still_closes(pair) -> None:  # noqa: ANN001
    a, b = pair
    await a.start()
    await a.daily(time="09:00", timezone="UTC", close="20:00")
    await b.start()
    await a.run_until(at(10, 12))
    assert days(a) == ["2026-03-10"]
    assert await a.service.unsubscribe(TENANT, "quiz")
    await a.run_until(at(10, 12, 1, 30))
    assert b.service and b.service.scheduler.get_job(JOB) is None  # B dropped it in a minute
    await a.die()
    await b.run_until(at(12, 10))
    assert days(b) == ["2026-03-10"]  # nothing after the unsubscribe
    (who, when, day), = seen(b, "reveal")
    assert (who, day) == ("b", "2026-03-10") and when == at(10, 20)


async def test_the_process_that_posted_dies_and_the_other_reveals_at_the_closing_time(
    pair,  # noqa: ANN001
) -> None:
    a, b = pair
    await a.start()
    await b.start()
    await a.daily(time="09:00", timezone="UTC", close="18:00")
    await a.run_until(at(10, 12))
    (poster, when, _), = seen(a)
    assert when == at(10, 9)
    dead, alive = (a, b) if poster == "a" else (b, a)
    await dead.die()  # it had set up the 18:00 close; the other must know it from storage
    await alive.run_until(at(10, 19))
    assert [(who, when) for who, when, _ in seen(alive, "reveal")] == [
        (alive.platform.name, at(10, 18))]  # type: ignore[attr-defined]


async def test_a_process_dying_before_the_run_is_replaced_within_the_grace(pair) -> None:  # noqa: ANN001
    a, b = pair
    await a.start()
    await b.start()
    await a.run_until(at(10, 8, 59, 50))
    await a.daily(time="09:00", timezone="UTC")  # B has not seen it yet...
    await a.run_until(at(10, 8, 59, 55))
    await a.die()  # ...and A dies before its run
    await b.run_until(at(10, 10))
    (who, when, day), = seen(b)
    assert (who, day) == ("b", "2026-03-10")
    assert at(10, 9) <= when <= at(10, 9) + REFRESH  # late, by at most one refresh
    await b.run_until(at(11, 10))
    assert days(b) == ["2026-03-10", "2026-03-11"] and days(b, "reveal") == ["2026-03-10"]


async def test_a_reveal_left_half_done_by_a_dead_process_holds_the_question_back_briefly(
    pair,  # noqa: ANN001
) -> None:
    """A process claimed yesterday's reveal and died before posting it: the reveal is lost
    (a gap, never a second one) and today's question waits ``REVEAL_WAIT`` at most."""
    from bot.quiz.daily import REVEAL_WAIT

    a, b = pair
    await a.start()
    await a.daily(time="09:00", timezone="UTC", close="08:59")
    await a.run_until(at(10, 10))
    await b.start()
    await a.die()
    await b.run_until(at(11, 8, 58))
    assert b.store is not None
    # What the dead process did at 08:59 on the 11th: closed the day, claimed its reveal.
    b.clock.set(at(11, 8, 59))
    assert await b.store.close_daily(TENANT, "quiz", "2026-03-10") is not None
    assert await b.store.update_daily_day(TENANT, "quiz", "2026-03-10", expect="closed",
                                          status="revealing", revealing_at=at(11, 8, 59, 50))
    await b.run_until(at(11, 10))
    assert seen(b, "reveal") == []
    assert [(when, day) for _, when, day in seen(b)] == [
        (at(10, 9), "2026-03-10"), (at(11, 8, 59, 50) + REVEAL_WAIT, "2026-03-11")]


async def test_the_app_refreshes_the_daily_question_on_a_shared_database_only(
    knowledge, tmp_path: Path, pg_url: str,  # noqa: ANN001
) -> None:
    from bot.app import open_app
    from bot.config import Settings

    await empty_database(pg_url)
    clock = FakeClock(at(10, 6))
    shared = await open_app(Settings(_env_file=None, database_url=pg_url,
                                     data_dir=tmp_path / "unused"), clock)
    alone = await open_app(Settings(_env_file=None, data_dir=tmp_path / "data"), clock)
    try:
        assert shared.daily and shared.digests and alone.daily
        assert shared.daily.refresh == shared.digests.refresh == REFRESH
        assert shared.daily.scheduler is shared.digests.scheduler
        assert alone.daily.refresh is None
    finally:
        await shared.close()
        await alone.close()
