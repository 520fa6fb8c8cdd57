"""The Discord adapter against the shared conformance suite: the real discord.py client, a
local fake of Discord, and command text turned into application-command interactions."""

from __future__ import annotations

import pytest

from bot.core import Core
from tests.adapters.conformance import *  # noqa: F403
from tests.adapters.fakes.discord_fake import DiscordHarness, FakeDiscord, running_adapter


@pytest.fixture
async def harness(core: Core, tmp_path) -> DiscordHarness:  # noqa: ANN001
    fake = await FakeDiscord().start()
    try:
        async with running_adapter(core, fake, tmp_path) as adapter:
            yield DiscordHarness(fake, adapter, core)
    finally:
        await fake.close()
