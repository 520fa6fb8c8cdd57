"""Who may manage a channel on Slack: subscribe it to digests, change its quiz settings.

A user manages a channel when any of these holds, checked cheapest first:
1. their id is in ``SLACK_MANAGER_IDS`` (the configurable allow-list);
2. the channel is their direct message with the app (it is their own space);
3. they are a workspace admin or owner (``users.info``);
4. they created the channel (``conversations.info``).

Lookups are cached briefly, and the adapter asks only for commands that are manager-only,
so ordinary commands never wait on the Web API. A failed lookup counts as "no": the core
then gives its clear refusal rather than letting an unknown person change the channel.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("framework_coach.slack")

CACHE_SECONDS = 60.0


class _TTLCache:
    def __init__(self, ttl: float, now: Callable[[], float], size: int = 4096) -> None:
        self.ttl, self.now, self.size = ttl, now, size
        self._items: dict[tuple[str, str], tuple[float, Any]] = {}

    def get(self, key: tuple[str, str]) -> tuple[bool, Any]:
        hit = self._items.get(key)
        if hit is None or hit[0] < self.now():
            return False, None
        return True, hit[1]

    def put(self, key: tuple[str, str], value: Any) -> None:
        if len(self._items) >= self.size:
            self._items.clear()  # crude but bounded; entries are cheap to fetch again
        self._items[key] = (self.now() + self.ttl, value)


class Permissions:
    def __init__(
        self,
        client: AsyncWebClient,
        manager_ids: Iterable[str] = (),
        *,
        ttl: float = CACHE_SECONDS,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.manager_ids = frozenset(i.strip() for i in manager_ids if i.strip())
        self._users = _TTLCache(ttl, now)
        self._creators = _TTLCache(ttl, now)

    @classmethod
    def parse_ids(cls, text: str) -> list[str]:
        return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]

    async def is_manager(self, team_id: str, channel_id: str, user_id: str) -> bool:
        if user_id in self.manager_ids:
            return True
        if channel_id.startswith("D"):
            return True
        if await self._is_admin(team_id, user_id):
            return True
        return await self._creator(team_id, channel_id) == user_id

    async def _is_admin(self, team_id: str, user_id: str) -> bool:
        found, value = self._users.get((team_id, user_id))
        if found:
            return bool(value)
        try:
            user = (await self.client.users_info(user=user_id)).get("user") or {}
            admin = bool(user.get("is_admin") or user.get("is_owner")
                         or user.get("is_primary_owner"))
        except (SlackApiError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("users.info failed for %s: %s", user_id, _reason(exc))
            return False  # not cached: try again next time
        self._users.put((team_id, user_id), admin)
        return admin

    async def _creator(self, team_id: str, channel_id: str) -> str | None:
        found, value = self._creators.get((team_id, channel_id))
        if found:
            return value
        try:
            channel = (await self.client.conversations_info(channel=channel_id)).get("channel")
            creator = (channel or {}).get("creator")
        except (SlackApiError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("conversations.info failed for %s: %s", channel_id, _reason(exc))
            return None
        self._creators.put((team_id, channel_id), creator)
        return creator


def _reason(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error", "error"))
    return type(exc).__name__
