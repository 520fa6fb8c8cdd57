"""Posting and editing channel messages: ``chat.postMessage`` / ``chat.update``, paced.

Slack allows about one message per second per channel (short bursts pass) plus a
workspace-wide limit; over it, the Web API answers HTTP 429 with ``Retry-After``. The
``Pacer`` spaces our own posts so we rarely get there, a 429 is retried after the time Slack
asked for (and holds back the channel meanwhile), and errors that retrying cannot fix come
back as a permanent ``Delivery`` failure with the reason, so the core can show it on the
subscription.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.base import Delivery
from bot.models import Attachment

log = logging.getLogger("framework_coach.slack")

PER_CHANNEL_SECONDS = 1.0
OVERALL_SECONDS = 0.1
MAX_RATE_LIMIT_RETRIES = 3
DEFAULT_RETRY_AFTER = 30.0

# Errors no retry can fix: the reason goes back to the core as it stands.
PERMANENT = {
    "channel_not_found": "the channel no longer exists, or the app cannot see it",
    "not_in_channel": "the app is not a member of the channel: invite it with /invite",
    "is_archived": "the channel is archived",
    "account_inactive": "the app's bot user was deactivated or the app uninstalled",
    "invalid_auth": "Slack rejected the bot token (SLACK_BOT_TOKEN)",
    "token_revoked": "the bot token was revoked: reinstall the app",
    "not_authed": "no bot token was sent (SLACK_BOT_TOKEN)",
    "restricted_action": "a workspace setting forbids the app from posting here",
    "message_not_found": "the message to update no longer exists",
    "cant_update_message": "that message cannot be updated by the app",
    "msg_too_long": "the message is too long for Slack",
    "msg_blocks_too_long": "the message's blocks are too long for Slack",
    "invalid_blocks": "Slack rejected the message layout",
    "missing_scope": "the app lacks a scope it needs (files:write for charts): reinstall it",
}


# Upload errors that hold for every channel: stop uploading instead of failing each time.
WORKSPACE_WIDE = {"missing_scope", "not_allowed_token_type", "invalid_auth", "token_revoked",
                  "account_inactive"}


def describe(code: str) -> str:
    """An error code with its explanation, as the core shows it ("not_in_channel: …")."""
    reason = PERMANENT.get(code)
    return f"{code}: {reason}" if reason else code


class Pacer:
    """Spaces calls: at most one per ``per_channel`` seconds in a channel, one per
    ``overall`` seconds in the workspace. Reservations are made before awaiting, so
    concurrent callers queue up in order instead of all waking at once."""

    def __init__(
        self,
        per_channel: float = PER_CHANNEL_SECONDS,
        overall: float = OVERALL_SECONDS,
        *,
        now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.per_channel, self.overall = per_channel, overall
        self.now, self.sleep = now, sleep
        self._channel_free: dict[str, float] = {}
        self._overall_free = 0.0

    async def wait(self, channel: str) -> None:
        now = self.now()
        at = max(now, self._channel_free.get(channel, 0.0), self._overall_free)
        self._channel_free[channel] = at + self.per_channel
        self._overall_free = at + self.overall
        if len(self._channel_free) > 10_000:
            self._channel_free = {c: t for c, t in self._channel_free.items() if t > now}
        if at > now:
            await self.sleep(at - now)

    def hold(self, channel: str, seconds: float) -> None:
        """Slack said wait: nothing more goes to ``channel`` for ``seconds``."""
        until = self.now() + seconds
        self._channel_free[channel] = max(self._channel_free.get(channel, 0.0), until)


class Poster:
    """Sends rendered messages through the Web API and says how it went."""

    def __init__(
        self,
        client: AsyncWebClient,
        pacer: Pacer | None = None,
        *,
        max_retries: int = MAX_RATE_LIMIT_RETRIES,
    ) -> None:
        self.client = client
        self.pacer = pacer or Pacer()
        self.max_retries = max_retries
        self.uploads_off: str | None = None  # why uploads stopped (the app lacks files:write)

    async def post(self, channel: str, message: dict[str, Any]) -> Delivery:
        return await self._call("chat.postMessage", channel, dict(message, channel=channel))

    async def update(self, channel: str, ts: str, message: dict[str, Any]) -> Delivery:
        return await self._call("chat.update", channel, dict(message, channel=channel, ts=ts))

    async def upload(self, channel: str, image: Attachment) -> Delivery:
        """Share ``image`` in ``channel`` with ``files_upload_v2`` (files.upload is gone):
        files.getUploadURLExternal, the bytes to the URL it returns, then
        files.completeUploadExternal. Needs the files:write scope; ``message_id`` is the
        file id. Failures are reported, never raised: the text was posted already."""
        if self.uploads_off is not None:  # a whole fan-out would fail the same way
            return Delivery(ok=False, error=self.uploads_off, permanent=True)
        await self.pacer.wait(channel)
        try:
            reply = await self.client.files_upload_v2(
                channel=channel, file=image.data, filename=image.filename,
                title="Framework trends chart", alt_txt=image.alt,
            )
        except SlackApiError as exc:
            code = str(exc.response.get("error") or f"http_{exc.response.status_code}")
            log.warning("chart upload to %s failed: %s", channel, code)
            if code in WORKSPACE_WIDE:
                self.uploads_off = describe(code)
                log.warning("no more chart uploads from this process: %s", self.uploads_off)
            return Delivery(ok=False, error=describe(code), permanent=code in PERMANENT)
        except (SlackRequestError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("chart upload to %s failed: %s", channel, exc)
            return Delivery(ok=False, error=f"upload: {type(exc).__name__}")
        file = reply.get("file") or {}
        return Delivery(ok=True, message_id=file.get("id"))

    async def _call(self, method: str, channel: str, payload: dict[str, Any]) -> Delivery:
        attempt = 0
        while True:
            await self.pacer.wait(channel)
            try:
                reply = await self.client.api_call(method, json=payload)
                return Delivery(ok=True, message_id=reply.get("ts"))
            except SlackApiError as exc:
                code = str(exc.response.get("error") or f"http_{exc.response.status_code}")
                if exc.response.status_code == 429 or code == "ratelimited":
                    wait = _retry_after(exc.response.headers)
                    self.pacer.hold(channel, wait)
                    if attempt < self.max_retries:
                        attempt += 1
                        log.info("%s to %s rate limited; retrying in %.1fs", method, channel,
                                 wait)
                        continue
                    return Delivery(ok=False, error="ratelimited", retry_after=wait)
                permanent = code in PERMANENT
                log.warning("%s to %s failed: %s", method, channel, code)
                return Delivery(ok=False, error=describe(code), permanent=permanent)
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                log.warning("%s to %s failed: %s", method, channel, type(exc).__name__)
                return Delivery(ok=False, error=f"connection: {type(exc).__name__}")


def _retry_after(headers: Any) -> float:
    value = None
    if headers:
        for key in ("Retry-After", "retry-after"):
            if key in headers:
                value = headers[key]
                break
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    try:
        return max(0.0, float(value)) if value is not None else DEFAULT_RETRY_AFTER
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
