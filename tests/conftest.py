"""Shared fixtures: the shipped knowledge (loaded once) and a core on a controlled clock."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import asyncpg
import pytest

from bot.clock import FakeClock
from bot.core import Core
from bot.models import Context
from knowledge import loader
from knowledge.loader import Knowledge
from tests.postgres import ADMIN_URL, admin, with_database


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


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A throwaway database for this test session (unique name), dropped at the end.

    Without a reachable server the PostgreSQL tests are skipped, saying why; with
    ``REQUIRE_POSTGRES=1`` (CI) they fail instead.
    """
    name = f"fc_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    try:
        admin(f'CREATE DATABASE "{name}"')
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        reason = (f"PostgreSQL not reachable at {ADMIN_URL} ({type(exc).__name__}: {exc}); "
                  "set TEST_POSTGRES_URL to an admin URL to run the PostgreSQL backend's tests")
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    yield with_database(ADMIN_URL, name)
    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
