"""Shared fixtures: the shipped knowledge (loaded once), a core on a controlled clock, and a
throwaway PostgreSQL database (``pg_url``) for every test that needs a shared database."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import urllib.parse
import uuid
from collections.abc import Iterator

import asyncpg
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


# ---------------------------------------------------------------- a throwaway PostgreSQL database

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _with_database(url: str, name: str) -> str:
    return urllib.parse.urlsplit(url)._replace(path="/" + name).geturl()


def _admin(sql: str) -> None:
    """Run one statement on the admin database, in a thread of its own (the caller may be
    inside a test's event loop)."""

    async def run() -> None:
        conn = await asyncpg.connect(ADMIN_URL, timeout=10)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A throwaway database for this test session (unique name), dropped at the end.

    Without a reachable server the PostgreSQL tests are skipped, saying why; with
    ``REQUIRE_POSTGRES=1`` (CI) they fail instead.
    """
    name = f"fc_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    try:
        _admin(f'CREATE DATABASE "{name}"')
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        reason = (f"PostgreSQL not reachable at {ADMIN_URL} ({type(exc).__name__}: {exc}); "
                  "set TEST_POSTGRES_URL to an admin URL to run the PostgreSQL backend's tests")
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    yield _with_database(ADMIN_URL, name)
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def empty_database(url: str) -> None:
    """Drop the bot's tables, so a test starts on an empty database (the next open of a
    store creates them again)."""
    conn = await asyncpg.connect(url, timeout=10)
    try:
        await conn.execute("DROP TABLE IF EXISTS fc_docs, fc_oauth_states, fc_schema")
    finally:
        await conn.close()
