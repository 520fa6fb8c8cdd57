"""Group commit: durability before acknowledgement, batching, failures, and off-loop I/O."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from bot.storage import StorageError, Store, Tenant
from bot.storage.embedded import committer as committer_module
from bot.storage.embedded.journal import JournalWriter

from .conftest import answer

T = Tenant("discord", "9")


async def test_concurrent_writes_share_batches(tmp_path: Path, clock) -> None:
    async with await Store.open(tmp_path / "data", clock) as store:
        await store.record_answer(T, answer(question="first"))
        before = store.commit_stats.batches
        await asyncio.gather(*(store.record_answer(T, answer(f"u{i}")) for i in range(300)))
        assert store.commit_stats.batches - before <= 3


async def test_failed_write_is_reported_and_retried(tmp_path: Path, clock, monkeypatch) -> None:
    async with await Store.open(tmp_path / "data", clock) as store:
        await store.record_answer(T, answer(question="q0"))  # snapshot exists; journal next
        real = JournalWriter.append
        calls = {"n": 0}

        def flaky(self, line: bytes) -> int:
            calls["n"] += 1
            if calls["n"] == 1:
                raise OSError(28, "No space left on device")
            return real(self, line)

        monkeypatch.setattr(JournalWriter, "append", flaky)
        with pytest.raises(StorageError, match="No space left"):
            await store.record_answer(T, answer(question="q1"))
        # Other partitions are unaffected by the failure.
        await store.update_settings(T, ok=True)
        await store.record_answer(T, answer(question="q2"))  # carries q1 along
    async with await Store.open(tmp_path / "data", clock) as store:
        assert (await store.user_stats(T, "u1")).answered == 3


async def test_commit_delay_waits_on_the_clock(tmp_path: Path, clock) -> None:
    store = await Store.open(tmp_path / "data", clock, commit_delay=0.5)
    try:
        task = asyncio.create_task(store.record_answer(T, answer()))
        for _ in range(20):
            await asyncio.sleep(0)
        assert not task.done()
        while not task.done():
            await clock.advance(0.5)
            await asyncio.sleep(0.01)
        await task
    finally:
        await store.close()


async def test_file_io_runs_off_the_event_loop(tmp_path: Path, clock, monkeypatch) -> None:
    loop_thread = threading.get_ident()
    seen: list[tuple[str, bool]] = []

    def spy(name, real):
        def wrapper(*args, **kwargs):
            seen.append((name, threading.get_ident() == loop_thread))
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(JournalWriter, "append", spy("append", JournalWriter.append))
    monkeypatch.setattr(
        committer_module, "compact_files", spy("compact", committer_module.compact_files)
    )
    monkeypatch.setattr(
        committer_module,
        "write_first_snapshot",
        spy("first", committer_module.write_first_snapshot),
    )
    async with await Store.open(tmp_path / "data", clock, compact_min_bytes=1) as store:
        for i in range(20):
            await store.record_answer(T, answer(question=f"q{i}"))
        await store.checkpoint()
    names = {name for name, _ in seen}
    assert names == {"append", "compact", "first"}
    assert not any(on_loop for _, on_loop in seen)


async def test_checkpoint_leaves_only_snapshots(tmp_path: Path, clock) -> None:
    async with await Store.open(tmp_path / "data", clock) as store:
        for i in range(5):
            await store.record_answer(T, answer(question=f"q{i}"))
            await store.update_settings(T, n=i)
        await store.checkpoint()
        folder = store.data_dir / "discord" / "9"
        assert not list(folder.glob("*.journal.*"))
    async with await Store.open(tmp_path / "data", clock) as store:
        assert (await store.user_stats(T, "u1")).answered == 5
        assert await store.get_settings(T) == {"n": 4}


async def test_compaction_keeps_cost_bounded(tmp_path: Path, clock) -> None:
    """The journal never grows far past the snapshot: it is folded in automatically."""
    async with await Store.open(tmp_path / "data", clock, compact_min_bytes=4096) as store:
        for i in range(300):
            await store.record_answer(T, answer(f"u{i % 10}", f"q{i}", False))
        await store.flush()
        part = store._parts[(T, "scores")]
        assert store.commit_stats.compactions >= 3
        assert part.journal_bytes <= max(part.snapshot_bytes, 4096) + 2048
