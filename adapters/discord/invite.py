"""The invite URL for ``framework-coach discord-invite``: scopes and the permissions we need.

The bot answers slash commands through interactions (which need no channel permissions) and
posts digests and quiz questions itself, so it asks only for: View Channels, Send Messages,
Send Messages in Threads, Embed Links and Attach Files (the digest's chart). Nothing
administrative, nothing privileged.
"""

from __future__ import annotations

import base64
import binascii

import discord

from bot.config import Settings

SCOPES = ("bot", "applications.commands")


def permissions() -> discord.Permissions:
    return discord.Permissions(
        view_channel=True,
        send_messages=True,
        send_messages_in_threads=True,
        embed_links=True,
        attach_files=True,  # the digest chart, shown in its embed
    )


def application_id(settings: Settings) -> int | None:
    """DISCORD_APPLICATION_ID, else the id at the start of the bot token (a bot user's id is
    its application's id). The token itself is never printed or logged."""
    if settings.discord_application_id:
        return settings.discord_application_id
    if settings.discord_token is None:
        return None
    head = settings.discord_token.get_secret_value().split(".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return int(decoded) if decoded.isdigit() else None


def invite_url(settings: Settings) -> str:
    """The URL a server admin opens to add the bot. Raises ``ValueError`` without an id."""
    app_id = application_id(settings)
    if app_id is None:
        raise ValueError(
            "Set DISCORD_APPLICATION_ID (Developer Portal → your application → General "
            "Information → Application ID) to build the invite URL."
        )
    return discord.utils.oauth_url(app_id, permissions=permissions(), scopes=SCOPES)
