"""``framework-coach discord-invite``: the invite URL for the configured application."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import discord
import pytest

from adapters.discord import invite_url
from adapters.discord.invite import permissions
from bot.config import Settings


def query(url: str) -> dict[str, list[str]]:
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "discord.com",
                                                        "/oauth2/authorize")
    return parse_qs(parts.query)


def test_invite_url_has_the_scopes_and_only_the_permissions_needed() -> None:
    q = query(invite_url(Settings(_env_file=None, discord_application_id=123456789012345678)))
    assert q["client_id"] == ["123456789012345678"]
    assert q["scope"] == ["bot applications.commands"]
    granted = discord.Permissions(int(q["permissions"][0]))
    assert granted == permissions()
    assert granted.view_channel and granted.send_messages and granted.embed_links
    assert granted.send_messages_in_threads and granted.attach_files
    assert not (granted.administrator or granted.manage_guild or granted.manage_channels
                or granted.mention_everyone or granted.manage_messages)


def test_the_application_id_can_come_from_the_token() -> None:
    head = base64.urlsafe_b64encode(b"223456789012345678").decode().rstrip("=")
    settings = Settings(_env_file=None, discord_token=f"{head}.abc.def")
    assert query(invite_url(settings))["client_id"] == ["223456789012345678"]


def test_without_an_application_id_the_error_says_what_to_set() -> None:
    with pytest.raises(ValueError, match="DISCORD_APPLICATION_ID"):
        invite_url(Settings(_env_file=None, discord_token="not-a-token"))
    with pytest.raises(ValueError, match="DISCORD_APPLICATION_ID"):
        invite_url(Settings(_env_file=None))
