"""Issue #8, must-show 1: ``framework-coach run`` serves Slack and Discord in one process,
posts the scheduled digests to both, and stops on SIGTERM with nothing lost.

One process, both fakes: a ``/framework`` on each platform, the seeded digests arriving at
both exactly once, a quiz answer on Discord; then SIGTERM, a clean exit within seconds, and
the data directory (opened only after the exit, as its lock demands) holding the digest
records, the quiz score and the running quiz, ready to resume.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from bot.clock import SystemClock
from bot.quiz.manager import restore
from bot.storage import Store
from tests.adapters.fakes.discord_fake import seen_text
from tests.adapters.fakes.slack_api import FakeSlack
from tests.e2e.people import (
    ADA,
    correct_button,
    discord_command,
    discord_interaction,
    slack_command,
    slack_text,
)
from tests.e2e.process import (
    DISCORD_TENANT,
    SLACK_TENANT,
    TOKENS,
    Changes,
    Fakes,
    Launch,
    seed_weekly_digests,
)

SLACK_DIGESTS, SLACK_STUDY = "C0DIGEST", "C0STUDY"
DISCORD_DIGESTS, DISCORD_STUDY, DISCORD_QUIZ = (970000000000000001, 970000000000000002,
                                                970000000000000003)
STOP_WITHIN = 10.0  # seconds from SIGTERM to exit: "a few seconds", with room for a busy CI


def slack_digests(slack: FakeSlack) -> list[Any]:
    return [c for c in slack.of("chat.postMessage") if c.data.get("channel") == SLACK_DIGESTS]


async def test_one_process_serves_both_platforms_and_stops_cleanly_on_sigterm(
    fakes: Fakes, launch: Launch, tmp_path: Path
) -> None:
    slack, discord = fakes.slack, fakes.discord
    data_dir = tmp_path / "data"
    await seed_weekly_digests(data_dir, (SLACK_TENANT, SLACK_DIGESTS),
                              (DISCORD_TENANT, str(DISCORD_DIGESTS)))
    bot = await launch(data_dir)

    # /framework on each platform, answered by the same core.
    on_slack = await slack_command(bot, slack, "/framework", "role:ml-engineer",
                                   channel=SLACK_STUDY)
    assert on_slack["response_type"] == "in_channel"
    assert "PyTorch: main pick" in slack_text(on_slack)
    on_discord = await discord_interaction(bot, discord, discord_command(
        discord, "framework", None, {"role": "ml-engineer"}, channel=DISCORD_STUDY))
    assert "PyTorch" in on_discord.splitlines()[0] and "main pick" in on_discord

    # The digests due a few minutes ago are posted at start, one per channel.
    (slack_digest,) = await bot.until(slack, lambda: slack_digests(slack))
    assert "Framework trends" in slack_digest.data["text"]
    (discord_digest,) = await bot.until(discord,
                                        lambda: discord.channel_posts(DISCORD_DIGESTS))
    assert "Framework trends" in seen_text(discord_digest.message)

    # A one-question quiz on Discord, answered right; SIGTERM arrives mid-question.
    started = await discord_interaction(bot, discord, discord_command(
        discord, "quiz", "start", {"questions": "1", "time": "120"}, channel=DISCORD_QUIZ))
    assert "Quiz" in started
    question = await bot.until(discord, lambda: next(
        (p for p in discord.channel_posts(DISCORD_QUIZ) if p.custom_ids), None))
    click = discord.interaction(3, {"custom_id": correct_button(question.message),
                                    "component_type": 2},
                                user_id=ADA, user_name="ada", channel_id=DISCORD_QUIZ,
                                message=question.message)
    assert "recorded" in await discord_interaction(bot, discord, click)

    stopping = time.monotonic()
    code = await bot.stop()
    took = time.monotonic() - stopping
    assert code == 0, bot.stderr_text[-8000:]
    assert took < STOP_WITHIN, f"took {took:.1f} s to stop"
    assert "Traceback" not in bot.stderr_text, bot.stderr_text[-8000:]
    assert not [e for e in bot.logs() if e["level"] in ("ERROR", "CRITICAL")]
    for token in TOKENS:
        assert token not in bot.stderr_text and token not in "\n".join(bot.stdout)
    assert any(m.startswith("stopping") for m in bot.messages())

    # Exactly once: nothing more arrived after the first post, up to the exit.
    assert len(slack_digests(slack)) == 1
    assert len(discord.channel_posts(DISCORD_DIGESTS)) == 1

    # Nothing lost: the lock is free again and the records are on disk.
    store = await Store.open(data_dir, SystemClock())
    try:
        (on_slack_disk,) = await store.digest_history(SLACK_TENANT, SLACK_DIGESTS)
        assert on_slack_disk.status == "delivered"
        assert on_slack_disk.message_id == slack_digest.reply["ts"]
        (on_discord_disk,) = await store.digest_history(DISCORD_TENANT, str(DISCORD_DIGESTS))
        assert on_discord_disk.status == "delivered"
        assert on_discord_disk.message_id == discord_digest.message["id"]

        # The running quiz was persisted with Ada's answer and points, to resume at the next
        # start; the answer joins the leaderboard when its question closes.
        (saved,) = await store.active_quiz_sessions()
        assert saved.channel_id == str(DISCORD_QUIZ)
        ada = restore(saved).players[str(ADA)]
        assert (ada.answered, ada.correct) == (1, 1) and ada.points >= 100
        assert await store.leaderboard(DISCORD_TENANT, str(DISCORD_QUIZ)) == []
    finally:
        await store.close()


async def test_a_stop_signal_while_a_platform_hangs_at_start_still_exits_cleanly(
    launch: Launch, tmp_path: Path
) -> None:
    """Slack's API accepts the connection and never answers: SIGTERM still ends the run at
    once, with the storage closed, instead of waiting out the start."""
    held: list[asyncio.StreamWriter] = []
    seen = Changes()

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        await seen.notify()

    silent = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    try:
        bot = await launch(tmp_path / "data", connect=False,
                           env={"SLACK_API_URL": f"http://127.0.0.1:{port}/api/"})
        await bot.until(seen, lambda: held)  # the start is stuck on Slack now
        stopping = time.monotonic()
        assert await bot.stop() == 0, bot.stderr_text[-8000:]
        assert time.monotonic() - stopping < STOP_WITHIN
        assert "Traceback" not in bot.stderr_text, bot.stderr_text[-8000:]
        assert bot.logged("stopping: a stop signal came while the platforms were starting")
        assert bot.logged("closed ")  # the storage, flushed and unlocked
    finally:
        for writer in held:
            writer.close()
        silent.close()
        await silent.wait_closed()
