"""A throwaway PostgreSQL database for tests (the ``pg_url`` fixture in tests/conftest.py)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import urllib.parse

import asyncpg

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def with_database(url: str, name: str) -> str:
    return urllib.parse.urlsplit(url)._replace(path="/" + name).geturl()


def admin(sql: str) -> None:
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


async def empty_database(url: str) -> None:
    """The session's database as new: the bot creates its schema when it opens it."""
    conn = await asyncpg.connect(url, timeout=10)
    try:
        await conn.execute("DROP TABLE IF EXISTS fc_docs, fc_oauth_states, fc_schema")
    finally:
        await conn.close()
