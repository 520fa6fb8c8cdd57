"""The reconnect paths a live process seldom shows, on the real adapters in this process:
a platform unreachable at start, a client that ends, Slack asking for a new socket, and a
configuration Discord refuses (which stops Discord alone, for good).

Backoff waits are shortened (``Backoff(base=0.01)``) so retries come quickly; every wait is
on what a fake saw, with a timeout only as a safety net.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.backoff import Backoff
from adapters.discord import DiscordAdapter
from adapters.slack import start_slack
from bot.config import Settings
from bot.core import Core
from bot.models import Response
from tests.adapters.fakes.discord_fake import TOKEN, DiscordHarness, FakeDiscord
from tests.adapters.fakes.slack_api import WAIT, FakeSlack, SlackHarness, settings_for

QUICK = 0.01  # seconds: the first backoff wait, doubling from there


@pytest.fixture
async def discord() -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord().start()
    yield server
    await server.close()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    server = FakeSlack()
    await server.start()
    yield server
    await server.stop()


def discord_adapter(core: Core, fake: FakeDiscord, data_dir: Path,
                    ready_timeout: float = WAIT) -> DiscordAdapter:
    settings = Settings(_env_file=None, discord_token=TOKEN, discord_api_url=fake.api_url,
                        discord_gateway_url=fake.gateway_url, data_dir=data_dir)
    return DiscordAdapter(core, settings, guild_ready_timeout=0.01,
                          ready_timeout=ready_timeout, backoff=Backoff(base=QUICK),
                          identify_pause=0)


async def answers_on_discord(fake: FakeDiscord, adapter: DiscordAdapter, core: Core) -> None:
    (seen,) = await DiscordHarness(fake, adapter, core).command(
        "/framework role:ml-engineer", user="ada", channel="general")
    assert "main pick" in seen.text


async def answers_on_slack(h: SlackHarness) -> None:
    (seen, *_) = await h.command("/framework role:ml-engineer", user="U1", channel="C1")
    assert "main pick" in seen.text


async def test_discord_unreachable_at_start_is_retried_in_the_background(
    core: Core, discord: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    discord.fail_next("GET", r"/users/@me$", 503)  # the login fails once
    adapter = discord_adapter(core, discord, tmp_path, ready_timeout=3600)
    try:
        # Back after the failed attempt, neither raising nor waiting for READY.
        await asyncio.wait_for(adapter.start(), WAIT)
        assert discord.sessions == 0
        assert "Discord: Discord answered HTTP 503; starting a new connection in" in caplog.text
        await discord.until(lambda: discord.sessions == 1)
        await asyncio.wait_for(adapter._ready.wait(), WAIT)
        await answers_on_discord(discord, adapter, core)
    finally:
        await adapter.stop()


async def test_a_discord_gateway_down_at_start_does_not_hold_the_start_up(
    core: Core, discord: FakeDiscord, tmp_path: Path
) -> None:
    discord.refuse_gateway()
    adapter = discord_adapter(core, discord, tmp_path, ready_timeout=3600)
    try:
        await asyncio.wait_for(adapter.start(), WAIT)  # back at the first refusal
        assert discord.refused >= 1 and discord.sessions == 0
        discord.refuse_gateway(False)  # discord.py's own gateway retry takes it from here
        await asyncio.wait_for(adapter._ready.wait(), WAIT)
        await answers_on_discord(discord, adapter, core)
    finally:
        await adapter.stop()


async def test_a_discord_client_that_ends_is_replaced_by_a_new_one(
    core: Core, discord: FakeDiscord, tmp_path: Path
) -> None:
    adapter = discord_adapter(core, discord, tmp_path)
    await adapter.start()
    try:
        first = adapter.client
        assert first is not None
        await first.close()  # ended from outside: not by the adapter's stop
        await discord.until(lambda: discord.sessions == 2)
        assert adapter.client is not first
        await asyncio.wait_for(adapter._ready.wait(), WAIT)
        await answers_on_discord(discord, adapter, core)
    finally:
        await adapter.stop()


async def test_a_configuration_discord_refuses_stops_discord_alone_for_good(
    core: Core, discord: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = discord_adapter(core, discord, tmp_path)
    await adapter.start()
    try:
        task = adapter._task
        assert task is not None
        with caplog.at_level(logging.WARNING):
            await discord.drop_gateway(code=4004)  # authentication failed
            await asyncio.wait_for(asyncio.wait({task}), WAIT)
        assert "the gateway closed the connection (code 4004); not reconnecting" in caplog.text
        assert discord.sessions == 1 and discord.refused == 0
        delivery = await adapter.deliver("1", "970000000000000001", Response(title="Hi"))
        assert not delivery.ok and delivery.error == "Discord is not connected"
    finally:
        await adapter.stop()


async def test_slack_unreachable_at_start_connects_in_the_background(
    core: Core, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.refuse_sockets()
    adapter = await asyncio.wait_for(  # start must not wait for Slack to come back
        start_slack(core, settings_for(slack, "socket"), host="127.0.0.1",
                    backoff=Backoff(base=QUICK)), WAIT)
    try:
        assert "Slack: Socket Mode not connected yet" in caplog.text  # start did not block
        await slack.until(lambda: slack.refused >= 3)
        assert "Slack: Socket Mode connection failed (service_unavailable)" in caplog.text
        slack.refuse_sockets(False)
        await slack.until(lambda: slack.socket_open)
        await answers_on_slack(SlackHarness(slack, adapter, "socket"))
    finally:
        await adapter.stop()


async def test_slack_asking_for_a_new_socket_gets_one(core: Core, slack: FakeSlack) -> None:
    adapter = await start_slack(core, settings_for(slack, "socket"), host="127.0.0.1",
                                backoff=Backoff(base=QUICK))
    try:
        await slack.send_envelope({"type": "disconnect", "reason": "refresh_requested"})
        await slack.until(lambda: slack.sockets == 2 and slack.socket_open)
        await answers_on_slack(SlackHarness(slack, adapter, "socket"))
        assert len(slack.of("apps.connections.open")) == 2  # a fresh URL for the new socket
    finally:
        await adapter.stop()
