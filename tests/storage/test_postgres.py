"""What only PostgreSQL promises: several processes on one database, a server that goes away.

Each store opened here has its own connection pool, as a separate process would; the claims
are decided by the database, not by anything shared in this process.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from pathlib import Path

import asyncpg
import pytest

from bot.app import open_app
from bot.config import Settings
from bot.models import Context
from bot.storage import Fold, SchemaTooNew, StorageUnavailable, Tenant
from bot.storage.postgres import schema
from bot.storage.postgres.store import PostgresStore

from .conftest import Backend, answer

T = Tenant("slack", "T1")


async def test_processes_starting_at_once_migrate_the_schema_once(pg: Backend) -> None:
    stores = await asyncio.gather(*(pg.open() for _ in range(4)))
    conn = await asyncpg.connect(pg.url)
    try:
        versions = [r["version"] for r in await conn.fetch("SELECT version FROM fc_schema")]
    finally:
        await conn.close()
    assert versions == list(range(1, schema.SCHEMA_VERSION + 1))
    await stores[0].update_settings(T, a=1)
    assert await stores[3].get_settings(T) == {"a": 1}


async def test_a_claim_has_one_winner_across_processes(pg: Backend) -> None:
    a, b = await pg.open(), await pg.open()
    claims = await asyncio.gather(*(s.claim_digest_period(T, "c1", "2026-W02")
                                    for _ in range(10) for s in (a, b)))
    assert claims.count(True) == 1
    assert (await b.digest_period(T, "c1", "2026-W02")).status == "posting"  # type: ignore[union-attr]


async def test_a_quiz_step_sent_to_two_processes_counts_once(pg: Backend) -> None:
    a, b = await pg.open(), await pg.open()
    step = Fold("c1", "game1", 0)
    answers = [answer("u1", "q1"), answer("u2", "q1", False)]
    done = await asyncio.gather(*(s.record_answers(T, answers, step) for s in (a, b, a, b)))
    assert done.count(True) == 1
    await asyncio.gather(*(s.record_answer(T, answer("u1", f"q{i}"))
                           for i in range(40) for s in (a, b)))
    assert (await a.user_stats(T, "u1")).answered == 81
    assert (await b.user_stats(T, "u2")).answered == 1


class Proxy:
    """A TCP relay to the PostgreSQL server that a test can cut (the server 'goes away')."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self.links: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for w in self.links:
            w.transport.abort()
        self.links.clear()
        await self.server.wait_closed()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.links += [writer, up_writer]

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def test_an_unreachable_database_says_try_again_and_the_process_reconnects(
    pg: Backend, tmp_path: Path
) -> None:
    url = urllib.parse.urlsplit(pg.url)
    proxy = Proxy(url.hostname or "127.0.0.1", url.port or 5432)
    await proxy.start()
    via_proxy = url._replace(netloc=f"{url.username}@127.0.0.1:{proxy.port}").geturl()
    app = await open_app(Settings(database_url=via_proxy, data_dir=tmp_path / "data"),
                         pg.clock)
    try:
        store = app.store
        assert isinstance(store, PostgresStore)
        await store.record_answer(T, answer("u1", "q1"))  # acknowledged: committed

        await proxy.cut()
        with pytest.raises(StorageUnavailable):
            await store.record_answer(T, answer("u1", "q2"))
        ctx = Context(platform="slack", tenant_id="T1", channel_id="c1", user_id="u1")
        reply = await app.core.handle_text("/quiz stats", ctx)
        assert reply.is_error and reply.title == "Please try again in a moment"

        await proxy.start()  # the server is back, on the same address
        assert (await store.user_stats(T, "u1")).answered == 1  # nothing acknowledged lost
        await store.record_answer(T, answer("u1", "q3"))
        assert (await store.user_stats(T, "u1")).answered == 2
        reply = await app.core.handle_text("/quiz stats", ctx)
        assert not reply.is_error, reply.plain_text()
    finally:
        await app.close()
        await proxy.cut()


async def test_a_database_from_a_newer_bot_is_refused(pg: Backend) -> None:
    await (await pg.open()).close()
    conn = await asyncpg.connect(pg.url)
    try:
        await conn.execute("INSERT INTO fc_schema (version) VALUES ($1)",
                           schema.SCHEMA_VERSION + 1)
    finally:
        await conn.close()
    with pytest.raises(SchemaTooNew, match="upgrade the bot"):
        await pg.open()
