"""Shared helpers for the storage tests."""

from __future__ import annotations

import datetime as dt
import os
import queue
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.storage import AnswerRecord, Store
from bot.storage.postgres.store import PostgresStore
from tests.postgres import empty_database

HERE = Path(__file__).parent
PYTHON = sys.executable


def subprocess_env() -> dict[str, str]:
    """Environment for helper scripts: the repository root importable, output unbuffered."""
    root = str(HERE.parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


class LineReader:
    """Reads a child's stdout in a thread, so a test can wait for a line with a timeout."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self._lines: queue.Queue[str] = queue.Queue()
        assert proc.stdout is not None
        self._thread = threading.Thread(target=self._pump, args=(proc.stdout,), daemon=True)
        self._thread.start()

    def _pump(self, stream) -> None:  # type: ignore[no-untyped-def]
        for line in stream:
            self._lines.put(line)
        self._lines.put("")

    def next(self, timeout: float = 20) -> str:
        return self._lines.get(timeout=timeout)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC))


def answer(
    user: str = "u1",
    question: str = "q1",
    correct: bool = True,
    *,
    channel: str = "c1",
    points: int | None = None,
    when: dt.datetime | None = None,
    name: str | None = None,
    **extra: object,
) -> AnswerRecord:
    return AnswerRecord(
        channel_id=channel,
        user_id=user,
        user_name=name if name is not None else f"name-{user}",
        question_id=question,
        correct=correct,
        points=(10 if correct else 0) if points is None else points,
        answered_at=when or dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC),
        **extra,  # type: ignore[arg-type]
    )


# ---------------------------------------------------------------- the two storage backends

class Backend:
    """Opens stores of one backend on the same data (a reopen is a restart, or a second
    process on the same database)."""

    def __init__(self, name: str, clock: FakeClock, data_dir: Path, url: str | None) -> None:
        self.name, self.clock, self.data_dir, self.url = name, clock, data_dir, url
        self.opened: list[Store] = []

    async def open(self) -> Store:
        if self.url is not None:
            store: Store = await PostgresStore.open(self.url, self.clock)
        else:
            store = await Store.open(self.data_dir, self.clock)
        self.opened.append(store)
        return store

    async def reopen(self, store: Store) -> Store:
        await store.close()
        return await self.open()


@pytest.fixture(params=["embedded", "postgres"])
async def backend(request, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Backend]:
    url = None
    if request.param == "postgres":
        url = request.getfixturevalue("pg_url")
        await empty_database(url)
    b = Backend(request.param, clock, tmp_path / "data", url)
    yield b
    for store in b.opened:
        await store.close()


@pytest.fixture
async def pg(pg_url: str, clock: FakeClock, tmp_path: Path) -> AsyncIterator[Backend]:
    """PostgreSQL alone (tests of what only a shared database does), emptied first."""
    await empty_database(pg_url)
    b = Backend("postgres", clock, tmp_path / "unused", pg_url)
    yield b
    for store in b.opened:
        await store.close()


@pytest.fixture
async def store(backend: Backend) -> Store:
    return await backend.open()
