import asyncio
import datetime as dt

import pytest

from bot.clock import FakeClock


async def test_fake_clock_wakes_sleepers_in_order_without_real_waiting():
    clock = FakeClock(dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.monotonic()))

    tasks = [asyncio.create_task(sleeper("b", 20)), asyncio.create_task(sleeper("a", 5))]
    await asyncio.sleep(0)
    await clock.advance(10)
    assert woke == [("a", 5)]
    await clock.advance(10)
    assert woke == [("a", 5), ("b", 20)]
    assert clock.now() == dt.datetime(2026, 3, 1, 0, 0, 20, tzinfo=dt.UTC)
    await asyncio.gather(*tasks)


def test_fake_clock_refuses_naive_start_and_going_back():
    with pytest.raises(ValueError):
        FakeClock(dt.datetime(2026, 1, 1))
    clock = FakeClock()
    with pytest.raises(ValueError):
        clock.set(clock.now() - dt.timedelta(seconds=1))
