"""Shared helpers for the trend tests: a recording clock, the fake APIs, a client, settings."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.config import Settings
from bot.trends.http import JsonClient
from knowledge.loader import Knowledge
from knowledge.schema import Framework
from tests.fakes.trends_api import TrendsFake

NOW = dt.datetime(2026, 11, 22, 5, 30, tzinfo=dt.UTC)  # when the recordings were "made"


class RecordingClock:
    """A clock whose ``sleep`` returns at once, recording how long it was asked to wait.

    Time moves only by those sleeps, so waits computed from ``now()`` stay exact.
    """

    def __init__(self, start: dt.datetime = NOW) -> None:
        self._start = start
        self._elapsed = 0.0
        self.sleeps: list[float] = []

    def now(self) -> dt.datetime:
        return self._start + dt.timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        return self._elapsed

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.sleeps.append(seconds)
            self._elapsed += seconds
        await asyncio.sleep(0)


@pytest.fixture
def clock() -> RecordingClock:
    return RecordingClock()


@pytest.fixture
async def fake() -> AsyncIterator[TrendsFake]:
    async with TrendsFake() as server:
        yield server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
def client(session: aiohttp.ClientSession, clock: RecordingClock) -> JsonClient:
    return JsonClient(session, clock, timeout=5.0)


@pytest.fixture
def frameworks(knowledge: Knowledge) -> list[Framework]:
    return list(knowledge.frameworks.values())


def settings_for(fake: TrendsFake, data_dir: Path, **values: Any) -> Settings:
    """Settings pointing at ``fake``, ignoring any .env or trend token in the environment."""
    values = {"github_token": None, "stackexchange_key": None, **values}
    return Settings(_env_file=None, data_dir=data_dir, **fake.urls, **values)  # type: ignore[call-arg]
