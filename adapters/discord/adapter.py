"""The Discord adapter: slash commands and button clicks in, embeds out, in the bot's one loop.

Like the console adapter it only translates: an interaction becomes a ``Request`` (or a
``Core.press``), the core's ``Response`` becomes embeds and buttons. Only-to-requester
responses are ephemeral; anything slower than ``defer_after`` (about a second) is deferred
first and then followed up, well inside Discord's three-second window.

Connection trouble: discord.py resumes or reconnects a dropped gateway by itself, with its
own backoff (a shard that cannot connect at start: every 5 s). What it does not retry (a
login while Discord is unreachable, or the client ending for any reason other than a refused
configuration) the adapter's supervisor does: a fresh client after a wait from
``adapters.backoff``, logged, without restarting the process.
A configuration Discord refuses (bad token, intents, a shard Discord does not accept) stops
Discord alone, for good.

Shards: the client runs DISCORD_SHARD_IDS of DISCORD_SHARD_COUNT when they are set, else
every shard Discord recommends; guild events reach the process that runs their guild's shard.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import MappingProxyType
from typing import Any

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.backoff import Backoff
from adapters.base import Delivery
from adapters.discord import delivery
from adapters.discord.access import channel_access
from adapters.discord.client import HASH_FILE, NO_PINGS, CoachClient
from adapters.discord.render import CustomIds, Message, release, render
from bot.config import Settings
from bot.core import Core
from bot.digests.access import ChannelAccess
from bot.models import Attachment, Context, Request, Response, Visibility
from bot.registry import CommandSpec

log = logging.getLogger("framework_coach.discord")

MANAGER_FLAGS = ("manage_channels", "manage_guild", "administrator")
# Gateway close codes no reconnect can fix: authentication failed, invalid shard, sharding
# required, invalid API version, invalid intents, disallowed intents.
REFUSED_CLOSE_CODES = frozenset({4004, 4010, 4011, 4012, 4013, 4014})


class DiscordAdapter:
    """A discord.py client run by a supervisor task in this loop (``client.start(token)``,
    restarted with backoff when it ends for a reason a retry may fix)."""

    platform = "discord"

    def __init__(
        self,
        core: Core,
        settings: Settings,
        *,
        defer_after: float = 1.0,
        guild_ready_timeout: float = 2.0,
        ready_timeout: float = 60.0,
        backoff: Backoff | None = None,
        identify_pause: float = 5.0,
    ) -> None:
        if settings.discord_token is None:
            raise ValueError("DISCORD_TOKEN is not set")
        self.core = core
        self.settings = settings
        self.defer_after = defer_after
        self.guild_ready_timeout = guild_ready_timeout
        self.ready_timeout = ready_timeout
        self.identify_pause = identify_pause  # between IDENTIFYs of this process's shards
        self.backoff = backoff or Backoff()
        self.ids = CustomIds()
        self.client: CoachClient | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._failed = asyncio.Event()  # an attempt failed; the supervisor is retrying
        self._stopping = False
        self._starting = False
        self._saved_urls: tuple[str, yarl.URL] | None = None
        # Called with the interaction id once its reply is complete (tests, metrics).
        self.after_reply: Callable[[int], None] | None = None

    # ------------------------------------------------------------------ contract
    async def start(self) -> None:
        """Log in, sync commands if they changed, connect; return once READY.

        Raises ``RuntimeError`` when Discord refuses the configuration (a bad token, intents
        not allowed): no retry can fix that. When Discord cannot be reached, returns after
        the first failed attempt to log in or to open the gateway (or ``ready_timeout``),
        still trying in the background.
        """
        self._override_urls()
        self._ready, self._failed = asyncio.Event(), asyncio.Event()
        self._stopping = False
        token = self.settings.discord_token.get_secret_value()  # type: ignore[union-attr]
        self._task = asyncio.create_task(self._supervise(token), name="discord-client")
        self._task.add_done_callback(self._client_ended)
        ready = asyncio.create_task(self._ready.wait())
        failed = asyncio.create_task(self._failed.wait())
        self._starting = True
        try:
            done, _ = await asyncio.wait({self._task, ready, failed},
                                         timeout=self.ready_timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._starting = False
            ready.cancel()
            failed.cancel()
        if self._task in done:
            await self.stop()
            exc = self._task.exception()
            why = f": {describe(exc)}" if exc is not None else ""
            raise RuntimeError(f"the client stopped while starting{why}") from exc
        if not self._ready.is_set():
            log.warning("Discord: not connected yet; still trying in the background")

    async def _supervise(self, token: str) -> None:
        """Run a client until the adapter stops; replace it, after a backoff wait, whenever
        it ends. Ends (raising) only when Discord refuses the configuration."""
        while not self._stopping:
            client = self.client = self._new_client()
            try:
                await client.start(token)
                problem = "the client stopped"
            except Exception as exc:
                if refused(exc):
                    raise
                problem = describe(exc)
                if not _expected(exc):
                    log.error("Discord: unexpected failure", exc_info=exc)
            finally:
                await client.close()
            if self._stopping:
                return
            if self._ready.is_set():  # it was connected: this is a new outage
                self.backoff.reset()
                self._ready.clear()
            delay = self.backoff.next()
            log.warning("Discord: %s; starting a new connection in %.1f s", problem, delay)
            self._failed.set()
            await asyncio.sleep(delay)

    async def stop(self) -> None:
        self._stopping = True
        client, task = self.client, self._task
        if client is not None:
            await client.close()
        if task is not None and not task.done():
            task.cancel()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._restore_urls()

    def healthy(self) -> bool:
        """Logged in and not closed (``/healthz``)."""
        return self._connected() is not None

    def _connected(self) -> discord.Client | None:
        """The client, if it can talk to Discord's REST API now (logged in, not closed)."""
        client = self.client
        if client is None or client.is_closed() or client.user is None:
            return None
        return client

    async def deliver(self, tenant_id: str, channel_id: str, response: Response) -> Delivery:
        """Post to a channel (digests, quiz questions): split into messages if it must be."""
        client = self._connected()
        if client is None:
            return Delivery(ok=False, error="Discord is not connected")
        return await delivery.send(client, channel_id, self._render(response),
                                   image=response.image)

    async def check_channel(self, tenant_id: str, channel_id: str) -> ChannelAccess:
        """Whether ``deliver`` can post here: the bot's permissions (``/digest status``)."""
        client = self._connected()
        if client is None:
            return ChannelAccess(None, "Discord is not connected right now",
                                 "ask again in a minute")
        return channel_access(client, tenant_id, channel_id)

    async def edit(
        self, tenant_id: str, channel_id: str, message_id: str, response: Response
    ) -> Delivery:
        """Replace a message the bot posted (a quiz question when it closes)."""
        client = self._connected()
        if client is None:
            return Delivery(ok=False, error="Discord is not connected")
        message = self._render(response, single=True)[0]
        return await delivery.edit(client, channel_id, message_id, message)

    # ------------------------------------------------------------------ interactions
    def context(self, interaction: discord.Interaction) -> Context:
        user = interaction.user
        guild_id = interaction.guild_id
        perms = interaction.permissions
        return Context(
            platform=self.platform,
            user_id=str(user.id),
            user_name=user.display_name,
            channel_id=str(interaction.channel_id),
            tenant_id=str(guild_id) if guild_id else f"dm-{user.id}",
            # In a DM the person is the only member, so they manage it.
            is_manager=guild_id is None or any(getattr(perms, f) for f in MANAGER_FLAGS),
        )

    async def on_command(
        self,
        interaction: discord.Interaction,
        spec: CommandSpec,
        sub: CommandSpec | None,
        options: dict[str, str],
    ) -> None:
        request = Request(
            command=spec.name,
            subcommand=sub.name if sub else None,
            options=MappingProxyType(dict(options)),
            context=self.context(interaction),
        )
        await self._reply(interaction, self.core.handle(request))

    async def on_button(self, interaction: discord.Interaction, custom_id: str) -> None:
        button_id = self.ids.decode(custom_id)
        await self._reply(interaction, self.core.press(button_id, self.context(interaction)))

    async def _reply(self, interaction: discord.Interaction,
                     work: Awaitable[Response]) -> None:
        try:
            await self._answer(interaction, work)
        except discord.HTTPException as exc:
            log.warning("could not answer interaction %s: %s %s", interaction.id,
                        exc.status, exc.text)
        finally:
            if self.after_reply is not None:
                self.after_reply(interaction.id)

    async def _answer(self, interaction: discord.Interaction,
                      work: Awaitable[Response]) -> None:
        task = asyncio.ensure_future(work)
        deferred = False
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        if not done:
            # Slow: acknowledge now (privately: "thinking…" only the requester sees).
            await interaction.response.defer(ephemeral=True, thinking=True)
            deferred = True
        response = await task
        private = response.visibility is Visibility.PRIVATE
        messages = self._render(response)
        first, rest = messages[0], messages[1:]
        kwargs = delivery.attach(first.kwargs(), response.image)
        if not deferred:
            await interaction.response.send_message(**kwargs, ephemeral=private,
                                                    allowed_mentions=NO_PINGS)
            release(kwargs)
        else:
            edit = {("attachments" if k == "files" else k): v for k, v in kwargs.items()}
            await interaction.edit_original_response(**edit, allowed_mentions=NO_PINGS)
            release(kwargs)
            if not private:
                # A private "thinking…" cannot become a channel message. The answer is now
                # in it (so a failure below still leaves the requester an answer); post it
                # to the channel, then remove the private copy.
                await self._follow(interaction, first, private, response.image)
                with contextlib.suppress(discord.HTTPException):
                    await interaction.delete_original_response()
        for message in rest:
            await self._follow(interaction, message, private)

    async def _follow(self, interaction: discord.Interaction, message: Message,
                      private: bool, image: Attachment | None = None) -> None:
        kwargs = delivery.attach(message.kwargs(), image)
        await interaction.followup.send(**kwargs, ephemeral=private, allowed_mentions=NO_PINGS)
        release(kwargs)

    # ------------------------------------------------------------------ client.Handler
    def connected(self) -> None:
        self._ready.set()

    def disconnected(self) -> None:
        # discord.py retries the gateway itself; a start still waiting for READY should
        # stop waiting (the other platforms go on) and let it retry in the background.
        if not self._ready.is_set():
            self._failed.set()

    # ------------------------------------------------------------------ helpers
    def _new_client(self) -> CoachClient:
        settings = self.settings
        return CoachClient(
            self, self.core,
            guild_id=settings.discord_guild_id,
            hash_path=Path(settings.data_dir) / HASH_FILE,
            guild_ready_timeout=self.guild_ready_timeout,
            shard_count=settings.discord_shard_count,
            shard_ids=settings.discord_shards(),
            identify_pause=self.identify_pause,
        )

    def _render(self, response: Response, *, single: bool = False) -> list[Message]:
        return render(response, colour=self.core.colour(response.accent), ids=self.ids,
                      single=single)

    def _override_urls(self) -> None:
        """DISCORD_API_URL / DISCORD_GATEWAY_URL: discord.py keeps both as class attributes."""
        api, gateway = self.settings.discord_api_url, self.settings.discord_gateway_url
        if not api and not gateway:
            return
        if self._saved_urls is None:
            self._saved_urls = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
        if api:
            Route.BASE = api.rstrip("/")
        if gateway:
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)

    def _restore_urls(self) -> None:
        if self._saved_urls is not None:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self._saved_urls
            self._saved_urls = None

    def _client_ended(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None and not self._starting:  # at start, start() raises it instead
            log.error("Discord: %s; not reconnecting (fix the configuration and restart; "
                      "the other platforms keep running)", describe(exc))


def refused(exc: BaseException) -> bool:
    """Discord refused the configuration itself: retrying would only be refused again."""
    if isinstance(exc, discord.LoginFailure | discord.PrivilegedIntentsRequired):
        return True
    return isinstance(exc, discord.ConnectionClosed) and exc.code in REFUSED_CLOSE_CODES


def _expected(exc: BaseException) -> bool:
    """Failures of the network or of Discord, as opposed to a bug worth a traceback."""
    return isinstance(exc, OSError | TimeoutError | aiohttp.ClientError | discord.HTTPException
                      | discord.GatewayNotFound | discord.ConnectionClosed)


def describe(exc: BaseException) -> str:
    """One short, token-free line for the log."""
    if isinstance(exc, discord.LoginFailure):
        return "Discord rejected DISCORD_TOKEN"
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return "Discord refused the gateway intents"
    if isinstance(exc, discord.ConnectionClosed):
        return f"the gateway closed the connection (code {exc.code})"
    if isinstance(exc, discord.HTTPException):
        return f"Discord answered HTTP {exc.status}"
    kind = type(exc).__name__
    return f"Discord unreachable ({kind})" if _expected(exc) else f"unexpected {kind}"


async def start_discord(core: Core, settings: Settings, **options: Any) -> DiscordAdapter:
    """Start the Discord adapter in the running loop (``framework-coach run`` calls this when
    DISCORD_TOKEN is set); ``await adapter.stop()`` on shutdown."""
    adapter = DiscordAdapter(core, settings, **options)
    await adapter.start()
    return adapter
