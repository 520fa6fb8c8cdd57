"""Fixtures: fakes of Slack and Discord in the test's loop, and a bot process using them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from tests.adapters.fakes.discord_fake import FakeDiscord
from tests.adapters.fakes.slack_api import FakeSlack
from tests.e2e.process import DISCORD_TOKEN, BotProcess, Fakes, Launch


@pytest.fixture
async def fakes() -> AsyncIterator[Fakes]:
    slack = FakeSlack()
    await slack.start()
    discord = await FakeDiscord(token=DISCORD_TOKEN).start()
    try:
        yield Fakes(slack, discord)
    finally:
        await discord.close()
        await slack.stop()


@pytest.fixture
async def launch(fakes: Fakes, tmp_path: Path) -> AsyncIterator[Launch]:
    """``await launch(data_dir)``: the bot, started and connected to both fakes (with
    ``connect=False``, just started; ``env`` adds to its environment, ``argv`` replaces
    ``framework-coach run``)."""
    started: list[BotProcess] = []
    workdir = tmp_path / "cwd"  # no .env here: only the environment given configures it
    workdir.mkdir()

    async def start(data_dir: Path, *, connect: bool = True,
                    env: dict[str, str] | None = None,
                    argv: Sequence[str] | None = None) -> BotProcess:
        bot = await BotProcess.start(fakes, data_dir, workdir, env, argv)
        started.append(bot)
        if connect:
            await bot.connected(fakes)
        return bot

    yield start
    for bot in started:
        await bot.kill()
