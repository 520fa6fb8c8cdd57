"""The Slack adapter: slack-bolt's ``AsyncApp`` in the bot's event loop, translating only.

Slash commands (one per core command, named as ``CommandSpec.name_on("slack")``) become
``core.handle_text``; button clicks (``block_actions`` on ``fc:<n>`` actions) become
``core.press``; responses are rendered by ``render.py``. Nothing here adds content.

Acknowledging: Slack wants an answer within 3 seconds. A command whose answer is ready
within ``ack_budget`` is answered in the acknowledgement itself (one round trip); a slower
one is acknowledged at once and answered through ``response_url``. Button clicks are
acknowledged at once and answered through ``response_url`` (ephemeral for private answers).

Socket Mode when ``SLACK_APP_TOKEN`` is set (no public URL needed), else HTTP mode on
``PORT`` at ``/slack/events``, verified with ``SLACK_SIGNING_SECRET``. A Socket Mode
connection that drops is reconnected with backoff (``socket.py``), without a restart.
With ``SLACK_CLIENT_ID``/``SLACK_CLIENT_SECRET`` instead of ``SLACK_BOT_TOKEN``, any
workspace can install the app (HTTP mode, ``install.py``): each one's token is used for
its commands and posts, and an uninstall stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import re
from collections.abc import Awaitable, Coroutine, Generator
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters import health
from adapters.backoff import Backoff
from adapters.base import Delivery
from adapters.slack import access, install
from adapters.slack.delivery import Pacer, Poster
from adapters.slack.permissions import Permissions
from adapters.slack.render import ACTION_PREFIX, Rendered, button_id, render, unescape
from adapters.slack.socket import ResilientSocketClient, SocketHandler
from bot.config import Settings
from bot.core import RUN_PREFIX, Core
from bot.digests.access import ChannelAccess
from bot.models import Context, Response, Visibility, error
from bot.registry import CommandSpec
from bot.storage import Tenant
from bot.tenants import stop_tenant

log = logging.getLogger("framework_coach.slack")
NOT_INSTALLED_REASON = "this workspace has not installed the app (or removed it)"  # a status

PLATFORM = "slack"
EVENTS_PATH = "/slack/events"
ACK_BUDGET = 2.0  # seconds of Slack's 3 spent computing before we ack and follow up
DEFAULT_API_URL = "https://slack.com/api/"
CONNECT_TIMEOUT = 10.0  # seconds start() waits for the socket before going on without it


class SlackConfigError(ValueError):
    """Slack is configured, but not enough to start (says which variable is missing)."""


class SlackAdapter:
    platform = PLATFORM
    # Button id prefixes whose handlers read ``Context.is_manager`` (none today).
    manager_button_prefixes: frozenset[str] = frozenset()

    def __init__(
        self,
        core: Core,
        settings: Settings,
        *,
        host: str = "0.0.0.0",
        port: int | None = None,
        ack_budget: float = ACK_BUDGET,
        pacer: Pacer | None = None,
        permissions: Permissions | None = None,
        backoff: Backoff | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        installable = settings.slack_installable
        if not settings.slack_bot_token and not installable:
            raise SlackConfigError("SLACK_BOT_TOKEN is not set")
        self.core = core
        self.app_token = (settings.slack_app_token.get_secret_value()
                          if settings.slack_app_token else None)
        secret = (settings.slack_signing_secret.get_secret_value()
                  if settings.slack_signing_secret else "")
        if not self.app_token and not secret:
            raise SlackConfigError("set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET "
                                   "(HTTP mode) as well as SLACK_BOT_TOKEN")
        self.mode = "socket" if self.app_token else "http"
        self.platforms = settings.platforms()  # what ``/healthz`` checks
        self.host = host
        self.port = settings.port if port is None else port
        self.ack_budget = ack_budget
        self.backoff = backoff or Backoff()
        self.connect_timeout = connect_timeout
        self.client = AsyncWebClient(
            token=(settings.slack_bot_token.get_secret_value()
                   if settings.slack_bot_token else None),
            base_url=settings.slack_api_url or DEFAULT_API_URL,
            logger=logging.getLogger("framework_coach.slack.web"),
        )
        self.workspaces: install.Workspaces | None = None
        self.authorize: install.CachedAuthorize | None = None
        oauth = self._oauth(settings, pacer) if installable else {}
        self.bolt = AsyncApp(
            client=self.client,
            signing_secret=secret,
            # Listeners run to completion before the HTTP answer, so the ack can carry the
            # response; slow work is moved off the request by ``_later`` instead.
            process_before_response=True,
            logger=logging.getLogger("framework_coach.slack.bolt"),
            name="framework-coach",
            **oauth,
        )
        self.permissions = permissions or Permissions(
            self.client, Permissions.parse_ids(settings.slack_manager_ids)
        )
        self.poster = Poster(self.client, pacer)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: web.AppRunner | None = None
        self._socket: SocketHandler | None = None
        self._connecting: asyncio.Task[None] | None = None
        # One HTTP session for every response_url reply: bolt's ``respond`` opens a new
        # session (a new connection, on Slack a new TLS handshake) for each one.
        self._replies: aiohttp.ClientSession | None = None
        for spec in core.registry.commands():
            self.bolt.command(f"/{spec.name_on(PLATFORM)}")(self._on_command)
        self.bolt.action(re.compile(rf"^{re.escape(ACTION_PREFIX)}\d+$"))(self._on_action)
        if installable:
            self.bolt.event("app_uninstalled")(self._on_uninstalled)
            self.bolt.event("tokens_revoked")(self._on_tokens_revoked)
        else:  # one workspace: its token is the environment's, nothing to delete
            self.bolt.event(re.compile("^(app_uninstalled|tokens_revoked)$"))(self._on_removed)

    def _oauth(self, settings: Settings, pacer: Pacer | None) -> dict[str, Any]:
        """AsyncApp's arguments for the OAuth install, its stores on the bot's storage."""
        store = self.core.services.get("store")
        if store is None:
            raise SlackConfigError("the install needs the data directory (it keeps each "
                                   "workspace's installation); it is in use or missing")
        assert settings.slack_client_id and settings.slack_client_secret
        client_id = settings.slack_client_id
        client_secret = settings.slack_client_secret.get_secret_value()
        installations = install.StoreInstallations(store, self._forget)
        self.authorize = install.CachedAuthorize(
            logger=logging.getLogger("framework_coach.slack.bolt"),
            installation_store=installations, client_id=client_id,
            client_secret=client_secret, client=self.client)
        managers = Permissions.parse_ids(settings.slack_manager_ids)
        self.workspaces = install.Workspaces(
            installations,
            AsyncTokenRotator(client_id=client_id, client_secret=client_secret,
                              client=self.client),
            lambda client: {"poster": Poster(client, pacer),
                            "permissions": Permissions(client, managers)},
            base_url=self.client.base_url)
        try:
            scopes = install.manifest_scopes()
        except OSError as exc:
            raise SlackConfigError(f"the install asks for the scopes in {install.MANIFEST}, "
                                   f"which cannot be read ({exc.strerror})") from None
        return {
            "oauth_settings": install.oauth_settings(
                client_id=client_id, client_secret=client_secret, scopes=scopes,
                installations=installations,
                states=install.StoreOAuthStates(store, self.core.clock),
                authorize=self.authorize),
            "user_facing_authorize_error_message": install.NOT_INSTALLED,
        }

    # ------------------------------------------------------------------ contract
    async def start(self) -> None:
        """Check the tokens, then connect (Socket Mode) or listen (HTTP mode).

        Raises ``SlackConfigError`` when Slack rejects a token, rather than retrying a
        connection that cannot succeed. A Slack outage only logs: the socket keeps trying
        in the background, with backoff, and the other platforms start meanwhile.
        """
        if self.workspaces is None:  # one workspace: its token, checked now
            await self._check("SLACK_BOT_TOKEN", self.client.auth_test())
        if self.mode == "socket":
            assert self.app_token
            opened = await self._check("SLACK_APP_TOKEN", self.client.apps_connections_open(
                app_token=self.app_token))
            client = ResilientSocketClient(self.app_token, web_client=self.client,
                                           backoff=self.backoff)
            self._socket = SocketHandler(self.bolt, client)
            self._connecting = asyncio.ensure_future(
                client.establish(opened.get("url") if opened else None))
            if opened:  # Slack answered: the socket normally opens at once
                await asyncio.wait({self._connecting}, timeout=self.connect_timeout)
            if self._connecting.done():
                log.info("Slack: connected in Socket Mode")
            else:
                log.warning("Slack: Socket Mode not connected yet; still trying in the "
                            "background")
        else:
            web_app = self.bolt.web_app(path=EVENTS_PATH)
            web_app.add_routes([health.route(self.core, self.platforms)])
            self._runner = web.AppRunner(web_app, access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, self.host, self.port)
            await site.start()
            sockets = site._server.sockets if site._server else ()  # noqa: SLF001
            if sockets:
                self.port = sockets[0].getsockname()[1]
            log.info("Slack: HTTP mode, listening on %s:%s%s (health: %s)", self.host,
                     self.port, EVENTS_PATH, health.PATH)

    def healthy(self) -> bool:
        """Taking requests: listening (HTTP mode) or the socket connected (Socket Mode)."""
        if self.mode == "http":
            return self._runner is not None
        connecting = self._connecting
        return connecting is not None and connecting.done() and not connecting.cancelled()

    @staticmethod
    async def _check(variable: str, call: Awaitable[Any]) -> Any:
        try:
            return await call
        except SlackApiError as exc:
            code = exc.response.get("error") or f"HTTP {exc.response.status_code}"
            if code in ("invalid_auth", "not_authed", "token_revoked", "account_inactive",
                        "not_allowed_token_type", "token_expired"):
                raise SlackConfigError(f"Slack rejected {variable} ({code})") from None
            log.warning("Slack: %s check failed (%s); carrying on", variable, code)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("Slack unreachable (%s); carrying on, it will retry",
                        type(exc).__name__)
        return None

    async def stop(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
            self._connecting = None
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.drain(timeout=5.0)
        for task in list(self._tasks):
            task.cancel()
        if self._replies is not None:
            await self._replies.close()
            self._replies = None

    async def deliver(self, tenant_id: str, channel_id: str, response: Response) -> Delivery:
        """Post to a channel (digests, quiz questions); ``message_id`` is the message ts of
        the last message posted, the one that carries the buttons."""
        poster = await self._poster(tenant_id)
        if poster is None:
            return _not_installed()
        result = Delivery(ok=False, error="nothing to post")
        for message in render(response).messages:
            result = await poster.post(channel_id, message)
            if not result.ok:
                return result
        if response.image is not None:  # after the text, which never waits on the chart
            await poster.upload(channel_id, response.image)
        return result

    async def check_channel(self, tenant_id: str, channel_id: str) -> ChannelAccess:
        """Whether ``deliver`` can post here: membership and scopes (``/digest status``)."""
        poster = await self._poster(tenant_id)  # the workspace's own token
        if poster is None:
            return ChannelAccess(False, NOT_INSTALLED_REASON,
                                 "install it again from the app's install page")
        return await access.channel_access(poster.client, channel_id)

    async def edit(
        self, tenant_id: str, channel_id: str, message_id: str, response: Response
    ) -> Delivery:
        """Replace a message posted with ``deliver`` (``message_id`` is its ts)."""
        message = render(response, max_messages=1).messages[0]
        poster = await self._poster(tenant_id)
        if poster is None:
            return _not_installed()
        return await poster.update(channel_id, message_id, message)

    # ------------------------------------------------------------------ workspaces
    async def _poster(self, team: str) -> Poster | None:
        """The poster for ``team``: the one token's, or (installed by many workspaces) the
        workspace's own; None for a workspace with no installation."""
        if self.workspaces is None:
            return self.poster
        found = await self.workspaces.get(team)
        return found.parts["poster"] if found else None

    async def _permissions(self, team: str) -> Permissions | None:
        if self.workspaces is None:
            return self.permissions
        found = await self.workspaces.get(team)
        return found.parts["permissions"] if found else None

    def _forget(self, tenant: Tenant) -> None:
        """An installation was deleted: no cached authorization or client stays behind."""
        if self.authorize is not None:
            self.authorize.forget(tenant)
        if self.workspaces is not None:
            self.workspaces.forget(tenant.id)

    async def _on_uninstalled(self, ack: Any, context: Any) -> None:
        await ack()
        assert self.authorize is not None
        await self.authorize.installation_store.async_delete_all(
            enterprise_id=context.enterprise_id, team_id=context.team_id)
        await self._stop_workspace(context.enterprise_id, context.team_id)

    async def _on_tokens_revoked(self, ack: Any, event: dict[str, Any], context: Any) -> None:
        """A revoked bot token ends the installation like an uninstall; a revoked user
        token (the installer's) only drops that token."""
        await ack()
        assert self.authorize is not None
        store = self.authorize.installation_store
        tokens = event.get("tokens") or {}
        for user in tokens.get("oauth") or ():
            await store.async_delete_installation(
                enterprise_id=context.enterprise_id, team_id=context.team_id, user_id=user)
        if tokens.get("bot"):
            await store.async_delete_bot(enterprise_id=context.enterprise_id,
                                         team_id=context.team_id)
            await self._stop_workspace(context.enterprise_id, context.team_id)

    async def _on_removed(self, ack: Any, event: dict[str, Any], context: Any) -> None:
        await ack()
        log.error("Slack: %s in workspace %s: SLACK_BOT_TOKEN no longer works; reinstall "
                  "the app and set the new token", event.get("type"), context.team_id)

    async def _stop_workspace(self, enterprise_id: str | None, team_id: str | None) -> None:
        for tenant in install.tenants_named(enterprise_id, team_id):
            await stop_tenant(self.core.services, tenant)

    # ------------------------------------------------------------------ interactions
    async def _on_command(self, ack: Any, body: dict[str, Any],
                          respond: Any) -> BoltResponse | None:
        text = f"{body.get('command', '')} {unescape(body.get('text') or '')}".strip()
        work = eager(self._answer(text, body))
        if isinstance(work, asyncio.Future):  # it had to wait on something: give it time
            try:
                response = await asyncio.wait_for(asyncio.shield(work), self.ack_budget)
            except TimeoutError:
                await ack()
                self._later(self._follow_up(work, respond, body.get("channel_id", ""),
                                            body.get("team_id", "")))
                return None
        else:
            response = work
        rendered = render(response)
        self._share_image(response, body.get("channel_id", ""), body.get("team_id", ""))
        if len(rendered.messages) == 1:
            # The acknowledgement itself carries the answer. Same as ``ack(message)``, with
            # the JSON serialised once per distinct answer (render is cached).
            return BoltResponse(status=200, body=rendered.ack_json,
                                headers={"content-type": "application/json"})
        # Several messages keep their order only when all go through response_url.
        await ack()
        self._later(self._send(rendered, respond))
        return None

    async def _on_action(self, ack: Any, body: dict[str, Any], action: dict[str, Any],
                         respond: Any) -> None:
        await ack()
        self._later(self._press(button_id(action.get("value") or ""), body, respond))

    async def _answer(self, text: str, body: dict[str, Any]) -> Response:
        try:
            context = await self._context(
                team=body.get("team_id", ""), channel=body.get("channel_id", ""),
                user=body.get("user_id", ""), name=body.get("user_name", ""),
                manager_check=self._needs_manager(text),
            )
            return await self.core.handle_text(text, context)
        except Exception:
            log.exception("slash command failed")
            return _failed()

    async def _press(self, pressed: str, body: dict[str, Any], respond: Any) -> None:
        user = body.get("user") or {}
        channel = (body.get("channel") or {}).get("id") or (
            body.get("container") or {}).get("channel_id", "")
        team = (body.get("team") or {}).get("id") or user.get("team_id", "")
        try:
            # A "run:" button is a command, checked like one. Other buttons (quiz answers,
            # review, forget) act for the clicker alone; a quiz answer in particular must
            # not wait on a lookup, as its speed scores. Prefixes whose handlers do need
            # the manager flag are listed in ``manager_button_prefixes``.
            check = (self._needs_manager(pressed[len(RUN_PREFIX):])
                     if pressed.startswith(RUN_PREFIX)
                     else pressed.split(":", 1)[0] in self.manager_button_prefixes)
            context = await self._context(
                team=team, channel=channel, user=user.get("id", ""),
                name=user.get("username") or user.get("name") or user.get("id", ""),
                manager_check=check,
            )
            response = await self.core.press(pressed, context)
        except Exception:
            log.exception("button press failed")
            response = _failed()
        await self._send(render(response), respond)
        self._share_image(response, channel, team)

    async def _follow_up(self, work: asyncio.Future[Response], respond: Any,
                         channel: str = "", team: str = "") -> None:
        response = await work
        await self._send(render(response), respond)
        self._share_image(response, channel, team)

    def _share_image(self, response: Response, channel: str, team: str = "") -> None:
        """A channel answer's chart (/trends), uploaded next to it: response_url cannot
        carry files. Private answers never put a file in the channel."""
        if response.image is None or response.visibility is not Visibility.CHANNEL or not channel:
            return
        image = response.image

        async def upload() -> None:
            poster = await self._poster(team)
            if poster is not None:
                await poster.upload(channel, image)
        self._later(upload())

    async def _send(self, rendered: Rendered, respond: Any) -> None:
        """Post through the request's response_url (bolt's ``respond`` names it)."""
        if getattr(respond, "response_url", None) is None:
            log.warning("response_url post failed: the request carries no response_url")
            return
        if self._replies is None or self._replies.closed:
            self._replies = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        reply = AsyncWebhookClient(respond.response_url, session=self._replies,
                                   logger=logging.getLogger("framework_coach.slack.web"))
        for message in rendered.messages:
            try:
                await reply.send(text=message["text"], blocks=message["blocks"],
                                 response_type=rendered.response_type, replace_original=False)
            except Exception as exc:  # response_url expired, network: nothing else to try
                log.warning("response_url post failed: %s", type(exc).__name__)
                return

    async def _context(self, *, team: str, channel: str, user: str, name: str,
                       manager_check: bool) -> Context:
        permissions = await self._permissions(team) if manager_check else None
        manager = (await permissions.is_manager(team, channel, user)
                   if permissions is not None else False)
        return Context(platform=PLATFORM, user_id=user, user_name=name or user,
                       channel_id=channel, tenant_id=team, is_manager=manager)

    def _needs_manager(self, text: str) -> bool:
        """Whether answering ``text`` needs to know if the user manages the channel.

        Yes for a manager-only command or subcommand, and for any command with subcommands:
        those are the stateful ones (``/quiz``, ``/digest``), where managers may do more
        than the spec says (``/quiz stop`` is for the starter *or* a manager). Plain
        lookups (``/framework``, ``/about``, ``/compare``, ``/fc-help``) never wait on it.
        """
        name = text.split(None, 1)[0].lstrip("/") if text.strip() else ""
        spec: CommandSpec | None = self.core.registry.by_platform_name(PLATFORM, name)
        return spec is not None and (spec.manager_only or bool(spec.subcommands))

    # ------------------------------------------------------------------ background work
    def _later(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout: float | None = None) -> None:
        """Wait for follow-ups in flight (tests, and a clean stop)."""
        while self._tasks:
            done, _ = await asyncio.wait(set(self._tasks), timeout=timeout)
            if not done:
                return


class _Resumed:
    """The rest of a coroutine that ``eager`` started, as an awaitable a Task can run."""

    __slots__ = ("coro", "first")

    def __init__(self, coro: Coroutine[Any, Any, Any], first: Any) -> None:
        self.coro, self.first = coro, first

    def __await__(self) -> Generator[Any, Any, Any]:
        value = self.first
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                self.coro.close()
                raise
            except BaseException as exc:  # noqa: BLE001 - handed to the coroutine
                try:
                    value = self.coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    value = self.coro.send(sent)
                except StopIteration as stop:
                    return stop.value


async def _await(awaitable: _Resumed) -> Any:
    return await awaitable


def eager(coro: Coroutine[Any, Any, Response]) -> Response | asyncio.Future[Response]:
    """Run ``coro`` now, up to its first real wait: its result if it never waits (most
    commands), else a Task running the rest. Saves a task and a loop round trip per command
    (Python 3.12's eager tasks do the same).

    Both parts run in one copied context, as a task would: a context variable set before
    the first wait (``log_context``) is then reset in the context that set it.
    """
    context = contextvars.copy_context()
    try:
        first = context.run(coro.send, None)
    except StopIteration as stop:
        return stop.value
    except BaseException:
        coro.close()
        raise
    return asyncio.get_running_loop().create_task(_await(_Resumed(coro, first)),
                                                  context=context)


def _not_installed() -> Delivery:
    return Delivery(ok=False, error=NOT_INSTALLED_REASON, permanent=True)


def _failed() -> Response:
    return error("Something went wrong on our side",
                 "The problem has been logged. Please try again, or try another command.")


async def start_slack(core: Core, settings: Settings, **options: Any) -> SlackAdapter:
    """Start the Slack adapter in the running loop (Socket Mode or HTTP mode per settings).

    Returns once connected (Socket Mode) or listening (HTTP mode); call ``stop()`` to end.
    """
    adapter = SlackAdapter(core, settings, **options)
    await adapter.start()
    return adapter
