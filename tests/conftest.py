"""Shared fixtures: the shipped knowledge (loaded once) and a core on a controlled clock."""

from __future__ import annotations

import pytest

from bot.clock import FakeClock
from bot.core import Core
from bot.models import Context
from knowledge import loader
from knowledge.loader import Knowledge


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return loader.load()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def core(knowledge: Knowledge, clock: FakeClock) -> Core:
    return Core(knowledge=knowledge, clock=clock)


@pytest.fixture
def ctx() -> Context:
    return Context(platform="console", user_id="u1", user_name="ada", channel_id="c1",
                   tenant_id="t1", is_manager=False)
