"""Can the bot post a digest in a channel? Its permissions there, read from the gateway cache.

With the ``guilds`` intent Discord sends every server's channels, roles and the bot's own
member at connection, so ``channel.permissions_for(guild.me)`` answers without a request,
overwrites included. A digest needs the permissions the invite asks for (``invite.py``):
View Channel and Send Messages (in threads: Send Messages in Threads) to arrive at all,
Embed Links to be readable (it is an embed), Attach Files for its chart.
"""

from __future__ import annotations

import discord

from bot.digests.access import CAN_POST, ChannelAccess

NEEDED = ("view_channel", "send_messages", "embed_links")  # without these, no digest
CHART = "attach_files"  # without it, the digest goes out without its chart
WHERE = ("in the channel's settings (Edit Channel → Permissions), allow the bot's role "
         "{names}, or re-invite it with `framework-coach discord-invite`")


def channel_access(client: discord.Client, guild_id: str, channel_id: str) -> ChannelAccess:
    try:
        channel = client.get_channel(int(channel_id))
        guild = client.get_guild(int(guild_id)) if guild_id.isdigit() else None
    except ValueError:
        return ChannelAccess(False, f"{channel_id!r} is not a Discord channel id")
    if channel is None and guild is not None and guild.unavailable:
        return ChannelAccess(None, "Discord says this server is unavailable right now",
                             "ask again in a few minutes")
    if channel is None and guild is not None:
        return ChannelAccess(False, "the channel no longer exists, or it is a thread the bot "
                             "has not joined", "subscribe the channel the digests should go to")
    if channel is None:
        return ChannelAccess(False, "the bot is not in this server", "invite it with the link "
                             "from `framework-coach discord-invite`")
    if isinstance(channel, discord.abc.PrivateChannel):
        return CAN_POST
    me = channel.guild.me
    if me is None:
        return ChannelAccess(None, "the bot's member in this server is not known yet",
                             "ask again in a minute")
    allowed = channel.permissions_for(me)
    needed = [*NEEDED]
    if isinstance(channel, discord.Thread):
        needed[1] = "send_messages_in_threads"
    missing = [_name(p) for p in needed if not getattr(allowed, p)]
    if missing:
        names = _join(missing)
        return ChannelAccess(False, f"the bot lacks {names} here", WHERE.format(names=names))
    if not getattr(allowed, CHART):
        return ChannelAccess(True, "the chart is left out: the bot lacks Attach Files here",
                             WHERE.format(names="Attach Files"))
    return CAN_POST


def _name(permission: str) -> str:
    return permission.replace("_", " ").title().replace(" In ", " in ")


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
