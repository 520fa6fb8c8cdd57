"""Socket Mode that rides out Slack outages: reconnects with capped exponential backoff.

slack_sdk's client already reconnects when the socket closes or goes stale, but when Slack
cannot hand out a new socket URL it only tries again at the next ping check (a fixed 10 s,
with an error and a traceback each time), and its first ``connect`` never returns while
Slack is unreachable, which would hold up the start of every other platform.

``ResilientSocketClient`` keeps the SDK's session handling (receiving, pings, acks) and
replaces only the reconnect loop: one reconnect at a time, a fresh URL per attempt, waits
from ``adapters.backoff`` between failures, a warning naming Slack per failure, and never
giving up while the adapter runs. (If Slack hands out a URL but the socket itself cannot be
opened, the SDK's own retry at its ping interval still applies inside ``connect``.)
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.web.async_client import AsyncWebClient

from adapters.backoff import Backoff

log = logging.getLogger("framework_coach.slack")

PING_INTERVAL = 10.0  # seconds: Bolt's default; how often the SDK checks the socket


class ResilientSocketClient(SocketModeClient):
    def __init__(self, app_token: str, *, web_client: AsyncWebClient,
                 backoff: Backoff | None = None, ping_interval: float = PING_INTERVAL) -> None:
        super().__init__(app_token=app_token, logger=log, web_client=web_client,
                         ping_interval=ping_interval)
        self.backoff = backoff or Backoff()
        self._reconnecting = False

    async def connect_to_new_endpoint(self, force: bool = False) -> None:
        """The SDK calls this when the socket closed or went stale, and with ``force`` when
        Slack asks the app to move to a new socket."""
        if force or not await self.is_connected():
            await self.establish()

    async def issue_new_wss_url(self) -> str:
        """A fresh socket URL. Unlike the SDK's, it neither logs nor waits out a 429 itself:
        ``establish`` does both, once, with the backoff."""
        response = await self.web_client.apps_connections_open(app_token=self.app_token)
        return str(response["url"])

    async def establish(self, url: str | None = None) -> None:
        """Connect (to ``url`` if Slack just handed one out), retrying with backoff until
        connected or closed. A call while another is retrying returns at once."""
        if self._reconnecting:
            return
        self._reconnecting = True
        try:
            while not self.closed:
                try:
                    self.wss_uri = url or await self.issue_new_wss_url()
                    url = None
                    await self.connect()
                except Exception as exc:  # noqa: BLE001 - every failure is retried
                    if self.closed:
                        return
                    delay = max(self.backoff.next(), _retry_after(exc))
                    log.warning("Slack: Socket Mode connection failed (%s); retrying in %.1f s",
                                _reason(exc), delay)
                    await asyncio.sleep(delay)
                    continue
                if self.backoff.failures:
                    log.info("Slack: Socket Mode reconnected after %d failed attempt(s)",
                             self.backoff.failures)
                self.backoff.reset()
                return
        finally:
            self._reconnecting = False


class SocketHandler(AsyncSocketModeHandler):
    """Bolt's Socket Mode handler, on a ``ResilientSocketClient``."""

    def __init__(self, app: AsyncApp, client: ResilientSocketClient) -> None:
        # Not super().__init__(): it would build a second SDK client (and start its tasks).
        self.app = app
        self.app_token = client.app_token
        self.client = client
        client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]


def _retry_after(exc: Exception) -> float:
    """The wait Slack asked for with a 429, if any."""
    if not isinstance(exc, SlackApiError) or exc.response.status_code != 429:
        return 0.0
    headers = {k.lower(): v for k, v in (exc.response.headers or {}).items()}
    try:
        return float(headers.get("retry-after", 0))
    except (TypeError, ValueError):
        return 0.0


def _reason(exc: Exception) -> str:
    """Short and token-free: the Slack error code, or the exception's kind."""
    if isinstance(exc, SlackApiError):
        response: Any = exc.response
        return str(response.get("error") or f"HTTP {response.status_code}")
    return type(exc).__name__
