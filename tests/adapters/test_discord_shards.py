"""Discord shards: the real discord.py client (an ``AutoShardedClient``) against the local fake
gateway, which routes each guild's events to the connection of its shard,
``(guild_id >> 22) % shard_count``, as Discord does.

Two clients with different shard ids each get, and answer, only their own guilds; with no
shard settings one client runs every shard the fake recommends; a shard Discord refuses
stops Discord alone. Every wait is on an event, with a timeout only as a safety net.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord import DiscordAdapter
from adapters.discord.client import HASH_FILE
from bot.core import Core
from bot.models import Response
from tests.adapters.fakes.discord_fake import (
    WAIT,
    FakeDiscord,
    command_data,
    guild_on_shard,
    running_adapter,
    shard_of,
)

ORIGINAL_BASE, ORIGINAL_GATEWAY = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
ADA = 960000000000000001


@pytest.fixture(autouse=True)
def _globals_restored() -> None:
    yield
    assert Route.BASE == ORIGINAL_BASE
    assert DiscordWebSocket.DEFAULT_GATEWAY == ORIGINAL_GATEWAY


@contextlib.asynccontextmanager
async def fake_discord(**options: Any) -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord(**options).start()
    try:
        yield server
    finally:
        await server.close()


class Answers:
    """Which adapter answered each interaction (its ``after_reply`` hook)."""

    def __init__(self, **adapters: DiscordAdapter) -> None:
        self.by: dict[int, str] = {}
        self._waiters: dict[int, asyncio.Future[str]] = {}
        for name, adapter in adapters.items():
            adapter.after_reply = self._hook(name)

    def _hook(self, name: str) -> Any:
        def replied(interaction_id: int) -> None:
            self.by[interaction_id] = name
            waiter = self._waiters.pop(interaction_id, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(name)
        return replied

    async def ask(self, fake: FakeDiscord, guild_id: int | None) -> tuple[str, dict[str, Any]]:
        """``/framework role:ml-engineer`` in ``guild_id`` (None: a DM); who answered, what."""
        payload = fake.interaction(
            2, command_data("framework", None, {"role": "ml-engineer"}), user_id=ADA,
            user_name="ada", channel_id=(guild_id or ADA) + 1, guild_id=guild_id)
        iid = int(payload["id"])
        waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._waiters[iid] = waiter
        body = await asyncio.wait_for(await fake.dispatch(payload), WAIT)
        return await asyncio.wait_for(waiter, WAIT), body


def answer_text(body: dict[str, Any]) -> str:
    embeds = (body.get("data") or {}).get("embeds") or []
    return "\n".join(f"{e.get('title')}\n{e.get('description')}" for e in embeds)


def guild_ids(adapter: DiscordAdapter) -> set[int]:
    assert adapter.client is not None
    return {guild.id for guild in adapter.client.guilds}


async def test_two_clients_with_different_shards_each_answer_their_own_guilds(
    core: Core, tmp_path: Path
) -> None:
    mine = {0: [guild_on_shard(0, 2, n) for n in range(2)],
            1: [guild_on_shard(1, 2, n) for n in range(2)]}
    async with fake_discord(guilds=(*mine[0], *mine[1])) as fake, \
            running_adapter(core, fake, tmp_path / "a", shard_count=2, shard_ids="0") as a, \
            running_adapter(core, fake, tmp_path / "b", shard_count=2, shard_ids="1") as b:
        assert fake.shards == [[0, 2], [1, 2]]
        # Each client holds the servers of its shard only (READY, then GUILD_CREATE).
        assert guild_ids(a) == set(mine[0]) and guild_ids(b) == set(mine[1])
        answers = Answers(a=a, b=b)
        for shard, name in ((0, "a"), (1, "b")):
            for guild in mine[shard]:
                assert shard_of(guild, 2) == shard
                who, body = await answers.ask(fake, guild)
                assert who == name, (guild, shard)
                assert "ML Engineer" in answer_text(body) and "main pick" in answer_text(body)
        # Direct messages come on shard 0.
        assert (await answers.ask(fake, None))[0] == "a"
        # Only the process running shard 0 syncs the commands.
        assert len(fake.syncs) == 1 and a.client is not None and a.client.synced is True
        assert b.client is not None and b.client.synced is None
        assert (tmp_path / "a" / HASH_FILE).exists() and not (tmp_path / "b" / HASH_FILE).exists()
        # No shard count was asked of Discord: both were configured.
        assert not [r for r in fake.requests if r[1].endswith("/gateway/bot")]


async def test_without_shard_settings_one_client_runs_every_recommended_shard(
    core: Core, tmp_path: Path
) -> None:
    guilds = (guild_on_shard(0, 3), guild_on_shard(1, 3), guild_on_shard(2, 3))
    async with fake_discord(recommended_shards=3, guilds=guilds) as fake, \
            running_adapter(core, fake, tmp_path, identify_pause=0) as adapter:
        assert [r[1] for r in fake.requests if r[1].endswith("/gateway/bot")] == [
            "/api/v10/gateway/bot"]
        assert fake.shards == [[0, 3], [1, 3], [2, 3]]
        assert adapter.client is not None and adapter.client.shard_count == 3
        assert guild_ids(adapter) == set(guilds)
        answers = Answers(only=adapter)
        for guild in guilds:
            who, body = await answers.ask(fake, guild)
            assert who == "only" and "main pick" in answer_text(body)
        assert len(fake.syncs) == 1


async def test_a_count_alone_runs_all_of_its_shards_in_this_process(
    core: Core, tmp_path: Path
) -> None:
    async with fake_discord(recommended_shards=1) as fake, \
            running_adapter(core, fake, tmp_path, shard_count=2, identify_pause=0):
        assert fake.shards == [[0, 2], [1, 2]]  # the configured count, not the recommended one
        assert not [r for r in fake.requests if r[1].endswith("/gateway/bot")]


async def test_a_shard_discord_refuses_stops_discord_with_the_reason(
    core: Core, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The settings check keeps people from this (ids below the count); a program-given
    # value is trusted, so Discord's own refusal (close code 4010) is what stops it here.
    async with fake_discord() as fake, \
            running_adapter(core, fake, tmp_path, shard_count=2, shard_ids="2") as adapter:
        task = adapter._task
        assert task is not None
        await asyncio.wait_for(asyncio.wait({task}), WAIT)
        assert "the gateway closed the connection (code 4010); not reconnecting" in caplog.text
        assert fake.identifies == [] and fake.sessions == 0
        delivery = await adapter.deliver("1", "970000000000000001", Response(title="Hi"))
        assert not delivery.ok and delivery.error == "Discord is not connected"
