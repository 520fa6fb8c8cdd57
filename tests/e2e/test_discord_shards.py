"""Two ``framework-coach run`` processes share a Discord bot by shards (DISCORD_SHARD_COUNT=2,
DISCORD_SHARD_IDS 0 and 1), each with its own DATA_DIR, against the fake gateway: each
process holds the servers of its shard, and a command in a server is answered, and its data
kept, by the process that runs that server's shard.
"""

from __future__ import annotations

from pathlib import Path

from tests.adapters.fakes.discord_fake import command_data, guild_on_shard
from tests.e2e.people import ADA, discord_interaction
from tests.e2e.process import START_TIMEOUT, BotProcess, Fakes, Launch

MANAGE_CHANNELS = 1 << 4
NO_SLACK = {"SLACK_BOT_TOKEN": "", "SLACK_APP_TOKEN": ""}  # empty means unset


def tenants(data_dir: Path) -> str:
    """Every tenant record the process stored (they name the guild ids)."""
    return "\n".join(p.read_text() for p in data_dir.rglob("tenant.json"))


async def subscribe(bot: BotProcess, fakes: Fakes, guild: int) -> str:
    """``/digest subscribe`` by a channel manager in ``guild``; what they see."""
    discord = fakes.discord
    return await discord_interaction(bot, discord, discord.interaction(
        2, command_data("digest", "subscribe", {}), user_id=ADA, user_name="ada",
        channel_id=guild + 1, guild_id=guild, permissions=MANAGE_CHANNELS))


async def test_two_processes_on_different_shards_each_answer_their_own_servers(
    fakes: Fakes, launch: Launch, tmp_path: Path
) -> None:
    discord = fakes.discord
    guilds = {0: guild_on_shard(0, 2), 1: guild_on_shard(1, 2)}
    discord.guilds = tuple(guilds.values())
    bots = {}
    for shard in (0, 1):
        bot = await launch(tmp_path / f"data-{shard}", connect=False, env={
            **NO_SLACK, "DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": str(shard)})
        await bot.until(bot.output, lambda b=bot: b.logged("running: "), START_TIMEOUT)
        bots[shard] = bot
    assert sorted(discord.shards) == [[0, 2], [1, 2]]
    for shard, bot in bots.items():
        # Each holds one server: the one on its shard.
        assert bot.logged("connected to Discord as framework-coach (1 servers; shards "
                          f"{shard} of 2)"), bot.stderr_text[-4000:]

    for shard, guild in guilds.items():
        answer = await subscribe(bots[shard], fakes, guild)
        assert "Digest subscription saved" in answer, answer
    # The subscription lives with the process of the server's shard, and only there.
    for shard, guild in guilds.items():
        other = 1 - shard
        assert str(guild) in tenants(bots[shard].data_dir)
        assert str(guild) not in tenants(bots[other].data_dir)
    # Only the process running shard 0 synced the commands.
    assert len(discord.syncs) == 1
    for bot in bots.values():
        assert await bot.stop() == 0, bot.stderr_text[-8000:]
