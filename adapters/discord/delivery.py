"""Posts and edits without a triggering interaction (digests, quiz questions), as ``Delivery``s.

Sends go through ``channel.send`` on a partial channel (no fetch first), so discord.py's
rate-limit handling applies: short 429s are waited out and retried inside the library;
waits longer than the client's ``max_ratelimit_timeout`` come back as ``retry_after`` for
the core's pacing. Missing access (403) and unknown channels or messages (404) are permanent:
retrying cannot help, and the core decides what to do (e.g. pause a subscription).
"""

from __future__ import annotations

import io
import logging
from typing import Any

import aiohttp
import discord

from adapters.base import Delivery
from adapters.discord.render import Message, release
from bot.models import Attachment

log = logging.getLogger("framework_coach.discord")


def _snowflake(value: str) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


async def send(client: discord.Client, channel_id: str, messages: list[Message],
               image: Attachment | None = None) -> Delivery:
    """Post ``messages`` in order; the first message's id identifies the post, and carries
    ``image`` (as an attachment shown in its first embed) when there is one."""
    channel = _snowflake(channel_id)
    if channel is None:
        return Delivery(ok=False, error=f"not a Discord channel id: {channel_id!r}",
                        permanent=True)
    target = client.get_partial_messageable(channel)
    first: str | None = None
    for message in messages:
        try:
            kwargs = message.kwargs()
            if first is None and image is not None:
                sent = await _send_with_image(target, kwargs, image, channel_id)
            else:
                sent = await target.send(**kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a Delivery
            return failure(exc, channel_id, first)
        release(kwargs)
        first = first or str(sent.id)
    return Delivery(ok=True, message_id=first)


def attach(kwargs: dict[str, Any], image: Attachment | None) -> dict[str, Any]:
    """``kwargs`` for send/edit with ``image`` as a file, shown in the first embed
    (``attachment://<name>``; the names must match). The message's own embed is copied,
    so a retry without the image sends the embed as it was."""
    if image is None:
        return kwargs
    out = dict(kwargs)
    out["files"] = [discord.File(io.BytesIO(image.data), filename=image.filename,
                                 description=image.alt)]
    embeds = list(out.get("embeds") or [])
    if embeds:
        embeds[0] = embeds[0].copy().set_image(url=f"attachment://{image.filename}")
        out["embeds"] = embeds
    return out


async def _send_with_image(target: discord.PartialMessageable, kwargs: dict[str, Any],
                           image: Attachment, channel_id: str) -> discord.Message:
    """Send with the chart; if Discord refuses the file (no Attach Files permission, too
    large), send the text alone: a chart never costs the digest."""
    try:
        return await target.send(**attach(kwargs, image))
    except discord.HTTPException as exc:
        if exc.status == 404:  # the channel is gone: no retry helps
            raise
        log.warning("channel %s refused the chart (%s %s); sending the text without it",
                    channel_id, exc.status, exc.text)
        return await target.send(**kwargs)


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
