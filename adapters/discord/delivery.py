"""Posts and edits without a triggering interaction (digests, quiz questions), as ``Delivery``s.

Sends go through ``channel.send`` on a partial channel (no fetch first), so discord.py's
rate-limit handling applies: short 429s are waited out and retried inside the library;
waits longer than the client's ``max_ratelimit_timeout`` come back as ``retry_after`` for
the core's pacing. Missing access (403) and unknown channels or messages (404) are permanent:
retrying cannot help, and the core decides what to do (e.g. pause a subscription).
"""

from __future__ import annotations

import logging

import aiohttp
import discord

from adapters.base import Delivery
from adapters.discord.render import Message, release

log = logging.getLogger("framework_coach.discord")


def _snowflake(value: str) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


async def send(client: discord.Client, channel_id: str, messages: list[Message]) -> Delivery:
    """Post ``messages`` in order; the first message's id identifies the post."""
    channel = _snowflake(channel_id)
    if channel is None:
        return Delivery(ok=False, error=f"not a Discord channel id: {channel_id!r}",
                        permanent=True)
    target = client.get_partial_messageable(channel)
    first: str | None = None
    for message in messages:
        try:
            kwargs = message.kwargs()
            sent = await target.send(**kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a Delivery
            return failure(exc, channel_id, first)
        release(kwargs)
        first = first or str(sent.id)
    return Delivery(ok=True, message_id=first)


async def edit(
    client: discord.Client, channel_id: str, message_id: str, message: Message
) -> Delivery:
    """Replace a message the bot sent; a message without buttons loses its old ones."""
    channel, msg = _snowflake(channel_id), _snowflake(message_id)
    if channel is None or msg is None:
        return Delivery(ok=False, error=f"not a Discord message: {channel_id}/{message_id}",
                        permanent=True)
    partial = client.get_partial_messageable(channel).get_partial_message(msg)
    kwargs = message.kwargs()
    kwargs.setdefault("view", None)
    try:
        await partial.edit(**kwargs)
    except Exception as exc:  # noqa: BLE001
        return failure(exc, channel_id, None)
    release(kwargs)
    return Delivery(ok=True, message_id=message_id)


def failure(exc: BaseException, channel_id: str, sent: str | None) -> Delivery:
    """A send or edit error in the core's terms. ``sent``: id of a part already posted."""
    if isinstance(exc, discord.RateLimited):
        log.warning("rate limited posting to channel %s: retry in %.1f s", channel_id,
                    exc.retry_after)
        return Delivery(ok=False, message_id=sent, error="rate limited",
                        retry_after=exc.retry_after)
    if isinstance(exc, discord.Forbidden | discord.NotFound):
        log.warning("cannot post to channel %s: %s %s", channel_id, exc.status, exc.text)
        return Delivery(ok=False, message_id=sent, error=f"{exc.status} {exc.text}".strip(),
                        permanent=True)
    if isinstance(exc, discord.HTTPException):
        log.warning("Discord refused a post to channel %s: %s %s", channel_id, exc.status,
                    exc.text)
        return Delivery(ok=False, message_id=sent, error=f"{exc.status} {exc.text}".strip())
    if isinstance(exc, OSError | aiohttp.ClientError | TimeoutError):
        log.warning("network error posting to channel %s: %s", channel_id, exc)
        return Delivery(ok=False, message_id=sent, error=f"network: {exc}")
    raise exc
