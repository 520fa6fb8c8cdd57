"""The Discord adapter (discord.py): slash commands, embeds, persistent buttons, delivery.

``start_discord(core, settings)`` starts it in the running loop; ``invite_url(settings)`` is
what ``framework-coach discord-invite`` prints.
"""

from adapters.discord.adapter import DiscordAdapter, start_discord
from adapters.discord.invite import invite_url

__all__ = ["DiscordAdapter", "invite_url", "start_discord"]
