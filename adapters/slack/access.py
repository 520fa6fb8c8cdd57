"""Can the app post in a channel? The two Web API calls that tell, read as ``ChannelAccess``.

- ``auth.test``: every Web API answer carries the token's scopes in ``X-OAuth-Scopes``;
  posting needs ``chat:write`` (and, outside channels the app is in, ``chat:write.public``
  for public ones); the chart needs ``files:write``.
- ``conversations.info``: whether the channel exists for the app, is archived, and whether
  the app is a member (``is_member``). Private channels the app is not in are invisible to
  it (``channel_not_found``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.delivery import describe
from bot.digests.access import CAN_POST, ChannelAccess

log = logging.getLogger("framework_coach.slack")

REINSTALL = "add it under OAuth & Permissions → Bot Token Scopes and reinstall the app"


async def channel_access(client: AsyncWebClient, channel_id: str) -> ChannelAccess:
    try:
        auth = await client.auth_test()
        info = await client.conversations_info(channel=channel_id)
    except SlackApiError as exc:
        return _refused(str(exc.response.get("error") or f"http_{exc.response.status_code}"))
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        return ChannelAccess(None, f"Slack did not answer ({type(exc).__name__})",
                             "ask again in a minute")
    scopes = _scopes(auth.headers)
    channel: dict[str, Any] = info.get("channel") or {}
    invite = f"invite the app: `/invite @{auth.get('user') or 'framework-coach'}` here"
    if channel.get("is_archived"):
        return ChannelAccess(False, "the channel is archived",
                             "unarchive it, or subscribe another channel")
    if scopes is not None and "chat:write" not in scopes:
        return ChannelAccess(False, "the app lacks the chat:write scope", REINSTALL)
    public = not (channel.get("is_private") or channel.get("is_im") or channel.get("is_mpim"))
    member = channel.get("is_member") or channel.get("is_im")
    if not member and not (public and scopes is not None and "chat:write.public" in scopes):
        return ChannelAccess(False, "the app is not a member of this channel", invite)
    if scopes is not None and "files:write" not in scopes:
        return ChannelAccess(True, "the chart is left out: the app lacks files:write",
                             REINSTALL)
    return CAN_POST


def _refused(code: str) -> ChannelAccess:
    """An error from either call, as an answer: most say what is wrong with the channel."""
    log.info("Slack channel check: %s", code)
    if code == "channel_not_found":
        return ChannelAccess(False, "the app cannot see this channel: it was deleted, or "
                             "it is private and the app is not in it",
                             "invite the app: `/invite @framework-coach` here")
    if code in ("invalid_auth", "token_revoked", "account_inactive", "not_authed"):
        return ChannelAccess(False, describe(code), "the bot's operator reinstalls the app "
                             "and sets its new SLACK_BOT_TOKEN")
    if code == "missing_scope":
        return ChannelAccess(None, "the app lacks the scope to read this channel's details "
                             "(channels:read, groups:read)", REINSTALL)
    return ChannelAccess(None, f"Slack answered {code}", "ask again in a minute")


def _scopes(headers: Mapping[str, Any] | None) -> frozenset[str] | None:
    """The token's scopes from ``X-OAuth-Scopes``, or None when Slack did not say."""
    for key, value in (headers or {}).items():
        if key.lower() == "x-oauth-scopes":
            text = value[0] if isinstance(value, list | tuple) else str(value)
            return frozenset(s.strip() for s in text.split(",") if s.strip())
    return None
