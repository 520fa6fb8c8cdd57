"""Issue #8, must-show 2: a platform connection that drops is retried with backoff, in the
same process, while the other platform keeps answering.

Discord first: its gateway is closed from Discord's side and refused for a while; the bot
retries (the fake counts the refused attempts), Slack answers meanwhile, and once Discord
accepts again the bot is back (RESUME or IDENTIFY) and answers there too. Then the same
for Slack's Socket Mode connection, with Discord answering meanwhile. The process is the
same one throughout and exits cleanly at the end.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.people import discord_command, discord_interaction, slack_command, slack_text
from tests.e2e.process import Fakes, Launch

RETRIES = 2  # refused attempts to see before letting a platform back in
DISCORD_CHANNEL, SLACK_CHANNEL = 970000000000000009, "C0STUDY"


async def test_a_dropped_platform_reconnects_while_the_other_keeps_answering(
    fakes: Fakes, launch: Launch, tmp_path: Path
) -> None:
    slack, discord = fakes.slack, fakes.discord
    bot = await launch(tmp_path / "data")

    async def slack_answers() -> None:
        answer = await slack_command(bot, slack, "/framework", "role:data-scientist",
                                     channel=SLACK_CHANNEL)
        assert "main pick" in slack_text(answer)

    async def discord_answers() -> None:
        answer = await discord_interaction(bot, discord, discord_command(
            discord, "framework", None, {"role": "data-scientist"}, channel=DISCORD_CHANNEL))
        assert "main pick" in answer

    # Discord goes away: the gateway drops and refuses new connections for a while.
    sessions = discord.sessions
    discord.refuse_gateway()
    await discord.drop_gateway()
    await bot.until(discord, lambda: discord.refused >= RETRIES)
    await slack_answers()  # Slack is unaffected meanwhile
    discord.refuse_gateway(False)
    await bot.until(discord, lambda: discord.sessions > sessions)
    await discord_answers()

    # Slack goes away: the socket drops and Slack will not hand out a new one for a while.
    sockets = slack.sockets
    slack.refuse_sockets()
    await slack.drop_socket()
    await bot.until(slack, lambda: slack.refused >= RETRIES)
    await discord_answers()  # Discord is unaffected meanwhile
    slack.refuse_sockets(False)
    await bot.until(slack, lambda: slack.sockets > sockets and slack.socket_open)
    await slack_answers()

    assert bot.proc.returncode is None  # one process throughout: nothing was restarted
    assert await bot.stop() == 0, bot.stderr_text[-8000:]
    # Each Slack retry was logged with the platform and the wait, then the recovery.
    assert len(bot.logged("Slack: Socket Mode connection failed (service_unavailable); "
                          "retrying in ")) >= RETRIES
    assert bot.logged("Slack: Socket Mode reconnected after ")
