"""(2) Many coroutines writing at once: nothing lost, nothing applied twice."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from bot.clock import SystemClock
from bot.storage import GameResult, Snapshot, Store, Tenant

from .conftest import answer

TENANTS = [Tenant("discord", str(n)) for n in range(5)]
WRITERS, EACH = 200, 15


async def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    t0 = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)

    async def player(n: int) -> None:
        tenant = TENANTS[n % len(TENANTS)]
        for i in range(EACH):
            await store.record_answer(
                tenant, answer(f"u{n}", f"q{i}", i % 2 == 0, channel=f"c{n % 3}")
            )
            if i % 5 == 0:
                await store.update_settings(tenant, **{f"player{n}": i})

    async def fetcher(n: int) -> None:
        for i in range(EACH):
            when = t0 + dt.timedelta(minutes=n * EACH + i)
            await store.add_snapshots([Snapshot("pypi", f"fw{n}", "downloads", float(i), when)])

    async def games(n: int) -> None:
        for _ in range(EACH):
            await store.record_game_result(TENANTS[0], "c0", [GameResult(f"g{n}", "x", True)])

    store = await Store.open(data, SystemClock(), compact_min_bytes=8192)  # compactions too
    try:
        await asyncio.gather(
            *(player(n) for n in range(WRITERS)),
            *(fetcher(n) for n in range(20)),
            *(games(n) for n in range(20)),
        )
        stats = store.commit_stats
        assert stats.batches < WRITERS * EACH / 5, "writes should share fsyncs (group commit)"
        assert stats.compactions > 0
    finally:
        await store.close()

    async with await Store.open(data, SystemClock()) as store:
        for n in range(WRITERS):
            tenant = TENANTS[n % len(TENANTS)]
            s = await store.user_stats(tenant, f"u{n}")
            assert (s.answered, s.correct, s.points) == (
                EACH,
                (EACH + 1) // 2,
                10 * ((EACH + 1) // 2),
            )
            assert len(await store.review_queue(tenant, f"u{n}")) == EACH // 2
        for tenant in TENANTS:
            settings = await store.get_settings(tenant)
            mine = {f"player{n}" for n in range(WRITERS) if TENANTS[n % len(TENANTS)] == tenant}
            assert set(settings) == mine and set(settings.values()) == {10}
        assert len(await store.snapshots()) == 20 * EACH
        assert len(await store.snapshots(framework="fw3")) == EACH
        for n in range(20):
            assert (await store.user_stats(TENANTS[0], f"g{n}")).games_won == EACH


async def test_same_document_updated_concurrently_counts_every_update(backend) -> None:
    """Read-modify-write of one aggregate happens without an await in between."""
    tenant = TENANTS[0]
    async with await backend.open() as store:
        await asyncio.gather(
            *(store.record_answer(tenant, answer("u1", f"q{i}")) for i in range(500))
        )
        assert (await store.user_stats(tenant, "u1")).answered == 500
    async with await backend.open() as store:
        assert (await store.user_stats(tenant, "u1")).answered == 500


async def test_concurrent_claims_of_one_period_have_one_winner(backend) -> None:
    tenant = TENANTS[1]
    async with await backend.open() as store:
        results = await asyncio.gather(
            *(store.claim_digest_period(tenant, "c1", "2026-W02") for _ in range(50))
        )
        assert results.count(True) == 1


async def test_cancelled_writer_still_gets_its_write_saved(tmp_path: Path, clock) -> None:
    tenant = TENANTS[2]
    async with await Store.open(tmp_path / "data", clock) as store:
        task = asyncio.create_task(store.record_answer(tenant, answer("u1")))
        await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await store.flush()
    async with await Store.open(tmp_path / "data", clock) as store:
        assert (await store.user_stats(tenant, "u1")).answered == 1
