"""The daily question on Discord: the real discord.py client against the local fake, with
the real app wiring (the daily question on the digests' scheduler) on a fake clock."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.app import open_app
from bot.clock import FakeClock
from bot.config import Settings
from bot.storage import Tenant
from tests.adapters.fakes.discord_fake import (
    GUILD_ID,
    DiscordHarness,
    FakeDiscord,
    running_adapter,
    seen_text,
)

MANAGE_CHANNELS = 1 << 4


async def advance_until(clock: FakeClock, done, seconds: float = 10.0) -> None:  # noqa: ANN001
    """Posts are paced on the fake clock while storage writes take real time: whenever the
    work parks on the clock for a moment (a pacing wait), move the clock to it, until
    ``done()`` (10 s of real time as a safety net). Longer sleeps (tomorrow's run) stay."""
    async with asyncio.timeout(seconds):
        while not done():
            step = clock.next_deadline()
            if step is not None and step <= 1.0:
                await clock.advance(step)
            else:
                await asyncio.sleep(0.001)


async def test_a_daily_question_round_on_discord(tmp_path):
    clock = FakeClock(dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC))
    app = await open_app(Settings(_env_file=None, data_dir=tmp_path / "data"), clock)
    fake = await FakeDiscord().start()
    try:
        await app.start_schedules()
        async with running_adapter(app.core, fake, tmp_path / "discord") as adapter:
            app.outbox.register("discord", adapter)
            user = DiscordHarness(fake, adapter, app.core)
            channel = user.snowflake("quiz-room")
            refused = await user.command("/quiz daily subscribe time:09:30", user="bo",
                                         channel="quiz-room")
            assert "Only channel managers" in refused[0].text
            (saved,) = await user.command("/quiz daily subscribe time:09:30 timezone:UTC",
                                          user="mo", channel="quiz-room",
                                          permissions=MANAGE_CHANNELS)
            assert "Daily question saved" in saved.text

            await clock.advance(30 * 60)
            (post,) = await fake.until(lambda: fake.channel_posts(channel))
            tenant = Tenant("discord", str(GUILD_ID))
            (day,) = await app.store.daily_days(tenant, str(channel))
            question = app.daily.bank.get(day.question_id)
            right = next(i for i, o in enumerate(day.order) if question.options[o].correct)
            button = f"daily:2026-01-05:{right}"
            assert button in [adapter.ids.decode(c) for c in post.custom_ids]

            (confirm,) = await user.press(button, user="bo", channel="quiz-room")
            assert confirm.visible_to == "bo" and "recorded" in confirm.text

            await clock.advance(24 * 3600)
            await advance_until(clock, lambda: len(fake.channel_posts(channel)) >= 3)
            posts = fake.channel_posts(channel)
            assert any(p.kind == "channel-edit" for p in fake.posts)
            reveal = seen_text(posts[1].message)
            assert "answer:" in reveal and "bo (1 of 1)" in reveal
            assert "Daily question · 2026-01-06" in seen_text(posts[2].message)
            assert fake.messages[int(day.message_id or post.message["id"])]["components"] == []
    finally:
        await app.close()
        await fake.close()
