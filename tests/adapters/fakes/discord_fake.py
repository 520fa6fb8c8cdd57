"""A local fake of Discord's REST API and gateway, enough for the real discord.py client.

It speaks what ``shared/facts.md`` lists: ``GET /users/@me`` and
``/oauth2/applications/@me`` for login; a gateway WebSocket with HELLO, heartbeat ACKs,
IDENTIFY and READY; bulk command overwrite (``PUT .../commands``); interaction callbacks
(``?with_response=1``), the original response and follow-ups; channel messages (send, edit).
Replies have ``Content-Type: application/json`` exactly (discord.py parses nothing else), and
429s carry ``Via`` (without it discord.py takes a 429 for a Cloudflare ban).

Tests push interactions through ``dispatch`` and read what the client sent in ``posts``.
Failures are injected with ``fail_next``; the gateway can be dropped (``drop_gateway``) or
refused (``refuse_gateway``) to exercise reconnection, and a client that comes back may
RESUME its session. ``until`` waits for any condition on what the fake has seen, without
sleeping. Everything listens on 127.0.0.1, port chosen by the OS.

Shards: ``GET /gateway/bot`` recommends ``recommended_shards``; IDENTIFY's ``shard`` field
([id, count]) names the connection's shard (none means [0, 1]), READY lists that shard's
``guilds`` (each then arrives as GUILD_CREATE), and guild events go to the connection of
the guild's shard, ``(guild_id >> 22) % count``, as Discord routes them (DMs to shard 0). A
shard id not below its count is closed with 4010 (invalid shard).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.adapters.fakes.changes import Changes

TOKEN = "fake-bot-token"  # not a real token: the fake only compares it
APP_ID = 900000000000000001
BOT_ID = APP_ID
GUILD_ID = 910000000000000001
BODY: web.RequestKey[Any] = web.RequestKey("body", object)
EPHEMERAL = 1 << 6
LOADING = 1 << 7
WAIT = 10.0  # seconds: a safety net for awaits, never a timing assumption

BOT_USER = {
    "id": str(BOT_ID),
    "username": "framework-coach",
    "discriminator": "0",
    "global_name": "framework-coach",
    "avatar": None,
    "bot": True,
    "flags": 0,
    "verified": True,
    "mfa_enabled": False,
}


@dataclass
class Post:
    """One message the client created or changed, as the fake stored it."""

    kind: str  # "callback" | "followup" | "original-edit" | "channel" | "channel-edit"
    message: dict[str, Any]
    interaction_id: int | None = None
    body: dict[str, Any] = field(default_factory=dict)
    deleted: bool = False

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.message.get("flags") or 0) & EPHEMERAL)

    @property
    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for row in self.message.get("components", [])
                for c in row.get("components", []) if "custom_id" in c]


@dataclass
class Upload:
    """A file the client attached (multipart ``files[n]``), and the message it went with."""

    filename: str
    data: bytes
    content_type: str
    path: str


@dataclass
class Failure:
    method: str
    path: re.Pattern[str]
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json": aiohttp's json_response adds "; charset=utf-8", which
    # discord.py does not parse as JSON.
    return web.Response(body=json.dumps(body).encode(), status=status,
                        headers={"Content-Type": "application/json", **(headers or {})})


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends a guild's events to."""
    return (guild_id >> 22) % shard_count


def guild_on_shard(shard_id: int, shard_count: int, n: int = 0) -> int:
    """The ``n``-th guild id (a snowflake from 2026) that lands on ``shard_id``."""
    base = (GUILD_ID >> 22) + n * shard_count
    return ((base - base % shard_count + shard_id) << 22) | 1


class FakeDiscord:
    def __init__(self, token: str | None = None, *, recommended_shards: int = 1,
                 guilds: tuple[int, ...] = ()) -> None:
        # What the fake expects after "Bot "; default: the module's TOKEN, read per request.
        # (A bot process checks the token's shape, so it needs one shaped like a real one.)
        self.token = token
        self._ids = itertools.count(950000000000000001)
        self.requests: list[tuple[str, str, dict[str, Any] | None]] = []
        self.syncs: list[tuple[str, list[dict[str, Any]]]] = []  # (scope, payload)
        self.posts: list[Post] = []
        self.uploads: list[Upload] = []  # every attached file, in arrival order
        self.messages: dict[int, dict[str, Any]] = {}
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.refused = 0  # gateway connections answered 503 while ``refuse_gateway`` is on
        self._refusing = False
        self._sessions: dict[str, int] = {}  # session id -> shard id
        self._changed = Changes()
        self.gateway_queries: list[dict[str, str]] = []
        self.callbacks: dict[int, dict[str, Any]] = {}
        self._originals: dict[str, int] = {}  # interaction token -> original message id
        self._tokens: dict[str, int] = {}  # interaction token -> interaction id
        self._channel_of: dict[int, int] = {}  # interaction id -> channel id
        self._failures: list[Failure] = []
        self._waiters: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._ws: web.WebSocketResponse | None = None  # the latest session
        self.recommended_shards = recommended_shards
        # Servers the bot is in, each announced after READY (GUILD_CREATE, as with the guilds
        # intent) to the shard that owns it: an id (see guild_payload) or a payload (guild()).
        self.guilds: list[int | dict[str, Any]] = list(guilds)
        self.shard_count = 1  # as the latest IDENTIFY said
        self._shards: dict[int, web.WebSocketResponse] = {}  # shard id -> its connection
        self._seq = 1
        self._identified = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base = ""

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> FakeDiscord:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/gateway", self._gateway)
        api = "/api/v10"
        app.router.add_get(f"{api}/users/@me", self._me)
        app.router.add_get(f"{api}/gateway/bot", self._gateway_bot)
        app.router.add_get(f"{api}/oauth2/applications/@me", self._application)
        app.router.add_put(f"{api}/applications/{{app}}/commands", self._sync)
        app.router.add_put(f"{api}/applications/{{app}}/guilds/{{guild}}/commands", self._sync)
        app.router.add_post(f"{api}/interactions/{{iid}}/{{token}}/callback", self._callback)
        app.router.add_patch(f"{api}/webhooks/{{app}}/{{token}}/messages/@original",
                             self._edit_original)
        app.router.add_delete(f"{api}/webhooks/{{app}}/{{token}}/messages/@original",
                              self._delete_original)
        app.router.add_post(f"{api}/webhooks/{{app}}/{{token}}", self._followup)
        app.router.add_post(f"{api}/channels/{{channel}}/messages", self._channel_send)
        app.router.add_patch(f"{api}/channels/{{channel}}/messages/{{message}}",
                             self._channel_edit)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.base.removeprefix('http://')}/gateway"

    # ------------------------------------------------------------------ test controls
    def fail_next(self, method: str, path: str, status: int, body: dict[str, Any] | None = None,
                  headers: dict[str, str] | None = None) -> None:
        """The next ``method`` request whose path matches ``path`` (a regex) gets ``status``."""
        self._failures.append(Failure(method.upper(), re.compile(path), status,
                                      body or {"message": "injected", "code": 0},
                                      headers or {}))

    def rate_limit_next(self, method: str, path: str, retry_after: float) -> None:
        self.fail_next(method, path, 429,
                       {"message": "You are being rate limited.", "retry_after": retry_after,
                        "global": False},
                       {"Via": "1.1 google", "Retry-After": str(retry_after),
                        "X-RateLimit-Scope": "user"})

    async def wait_identified(self, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self._identified.wait(), timeout)

    async def until(self, predicate: Callable[[], Any], timeout: float = WAIT) -> Any:
        """Wait until ``predicate()`` is truthy (checked after every request and gateway
        event) and return its value; ``timeout`` is only a safety net."""
        return await self._changed.until(predicate, timeout)

    @property
    def sessions(self) -> int:
        """Gateway sessions established or resumed so far (IDENTIFY + RESUME)."""
        return len(self.identifies) + len(self.resumes)

    def refuse_gateway(self, refuse: bool = True) -> None:
        """While on, every gateway connection attempt is answered 503 (Discord is down)."""
        self._refusing = refuse

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close the client's gateway connection from Discord's side (4000: unknown error,
        which a client may resume)."""
        ws = self._ws
        assert ws is not None and not ws.closed, "no client connected"
        self._ws = None
        await ws.close(code=code)

    def reset_gateway(self) -> None:
        """Before a client restart: the next IDENTIFY is awaited afresh."""
        self._identified = asyncio.Event()

    def next_id(self) -> int:
        return next(self._ids)

    def interaction(
        self,
        type: int,
        data: dict[str, Any],
        *,
        user_id: int,
        user_name: str,
        channel_id: int,
        guild_id: int | None = GUILD_ID,
        permissions: int = 0,
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE payload as Discord sends it."""
        iid = self.next_id()
        token = f"interaction-token-{iid}"
        self._tokens[token] = iid
        self._channel_of[iid] = channel_id
        user = {"id": str(user_id), "username": user_name, "discriminator": "0",
                "global_name": user_name, "avatar": None}
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(APP_ID),
            "type": type,
            "data": data,
            "token": token,
            "version": 1,
            "channel_id": str(channel_id),
            "locale": "en-US",
            "app_permissions": str(permissions),
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild_id or user_id)},
            "context": 0 if guild_id else 1,
            "attachment_size_limit": 8 * 1024 * 1024,
        }
        if guild_id:
            payload["guild_id"] = str(guild_id)
            payload["guild_locale"] = "en-US"
            payload["guild"] = {"id": str(guild_id), "locale": "en-US", "features": []}
            payload["channel"] = {
                "id": str(channel_id), "type": 0, "guild_id": str(guild_id),
                "name": f"channel-{channel_id}", "position": 0, "permission_overwrites": [],
                "nsfw": False, "parent_id": None, "topic": None, "rate_limit_per_user": 0,
                "last_message_id": None, "flags": 0,
            }
            payload["member"] = {
                "user": user, "roles": [], "joined_at": "2026-01-01T00:00:00+00:00",
                "deaf": False, "mute": False, "flags": 0, "nick": None,
                "permissions": str(permissions),
            }
        else:
            payload["channel"] = {"id": str(channel_id), "type": 1,
                                  "recipients": [user], "last_message_id": None, "flags": 0}
            payload["user"] = user
        if message is not None:
            payload["message"] = message
        return payload

    async def dispatch(self, payload: dict[str, Any], timeout: float = WAIT) -> asyncio.Future:
        """Send an INTERACTION_CREATE to the shard of its guild (a DM: shard 0); returns a
        future for the client's callback body."""
        guild_id = payload.get("guild_id")
        shard = shard_of(int(guild_id), self.shard_count) if guild_id else 0
        ws = self._shards.get(shard)
        assert ws is not None and not ws.closed, f"no client runs shard {shard}"
        iid = int(payload["id"])
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiters[iid] = waiter
        self._seq += 1
        await ws.send_str(json.dumps(
            {"op": 0, "t": "INTERACTION_CREATE", "s": self._seq, "d": payload}))
        return waiter

    @property
    def shards(self) -> list[list[int]]:
        """The [id, count] of every IDENTIFY so far, in order."""
        return [list(frame.get("shard") or [0, 1]) for frame in self.identifies]

    def posts_for(self, interaction_id: int) -> list[Post]:
        """What an interaction left on screen (deleted messages are gone)."""
        return [p for p in self.posts if p.interaction_id == interaction_id and not p.deleted]

    def channel_posts(self, channel_id: int) -> list[Post]:
        return [p for p in self.posts if p.kind == "channel"
                and int(p.message["channel_id"]) == channel_id]

    # ------------------------------------------------------------------ gateway
    async def _notify(self) -> None:
        await self._changed.notify()

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        if self._refusing:
            self.refused += 1
            await self._notify()
            return _json({"message": "Service Unavailable", "code": 0}, 503)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.gateway_queries.append(dict(request.query))
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 45000},
                                      "s": None, "t": None}))
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            op = frame.get("op")
            if op == 1:  # heartbeat
                await ws.send_str(json.dumps({"op": 11, "d": None}))
            elif op == 2:  # identify
                shard_id, count = frame["d"].get("shard") or (0, 1)
                if not 0 <= shard_id < count:
                    await ws.close(code=4010, message=b"Invalid shard.")
                    break
                self.identifies.append(frame["d"])
                self._ws = self._shards[shard_id] = ws
                self.shard_count = count
                self._seq = 1
                session = f"session-{self.next_id()}"
                self._sessions[session] = shard_id
                payloads = [g if isinstance(g, dict) else guild_payload(g) for g in self.guilds]
                mine = [g for g in payloads if shard_of(int(g["id"]), count) == shard_id]
                ready = {
                    "v": 10,
                    "user": BOT_USER,
                    "guilds": [{"id": g["id"], "unavailable": True} for g in mine],
                    "session_id": session,
                    "resume_gateway_url": self.gateway_url,
                    "application": {"id": str(APP_ID), "flags": 0},
                    "shard": [shard_id, count],
                }
                await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": 1, "d": ready}))
                for guild in mine:
                    self._seq += 1
                    await ws.send_str(json.dumps({"op": 0, "t": "GUILD_CREATE", "s": self._seq,
                                                  "d": guild}))
                self._identified.set()
                await self._notify()
            elif op == 6 and frame["d"].get("session_id") in self._sessions:  # resume
                self.resumes.append(frame["d"])
                self._ws = self._shards[self._sessions[frame["d"]["session_id"]]] = ws
                self._seq += 1
                await ws.send_str(json.dumps({"op": 0, "t": "RESUMED", "s": self._seq,
                                              "d": {}}))
                await self._notify()
            elif op == 6:  # resume of a session this fake never issued: start a new one
                await ws.send_str(json.dumps({"op": 9, "d": False}))
        return ws

    # ------------------------------------------------------------------ REST
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path == "/gateway":
            return await handler(request)
        body = None
        if request.content_type == "multipart/form-data":
            body = await self._multipart(request)
        elif request.can_read_body:
            text = await request.text()
            body = json.loads(text) if text else None
        self.requests.append((request.method, request.path_qs, body))
        request[BODY] = body
        try:
            return await self._answer(request, handler)
        finally:
            await self._notify()

    async def _multipart(self, request: web.Request) -> dict[str, Any]:
        """A message with files, as discord.py sends it: ``payload_json`` plus ``files[n]``.
        The files land in ``uploads`` and, as ``_files``, in the body the handlers see."""
        body: dict[str, Any] = {}
        files: list[Upload] = []
        reader = await request.multipart()
        async for part in reader:
            if part.name == "payload_json":
                body.update(json.loads(await part.text()))
            elif part.name and part.name.startswith("files["):
                files.append(Upload(part.filename or "", bytes(await part.read()),
                                    part.headers.get("Content-Type", ""), request.path))
        self.uploads.extend(files)
        body["_files"] = files
        return body

    async def _answer(self, request: web.Request, handler: Any) -> web.StreamResponse:
        for failure in list(self._failures):
            if failure.method == request.method and failure.path.search(request.path):
                self._failures.remove(failure)
                return _json(failure.body, failure.status, failure.headers)
        webhook = request.path.startswith(("/api/v10/webhooks/", "/api/v10/interactions/"))
        if not webhook and request.headers.get("Authorization") != f"Bot {self.token or TOKEN}":
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        return await handler(request)

    async def _me(self, request: web.Request) -> web.Response:
        return _json(BOT_USER)

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        return _json({
            "url": self.gateway_url, "shards": self.recommended_shards,
            "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0,
                                    "max_concurrency": 1},
        })

    async def _application(self, request: web.Request) -> web.Response:
        return _json({
            "id": str(APP_ID), "name": "framework-coach", "icon": None,
            "description": "", "bot_public": True, "bot_require_code_grant": False,
            "owner": BOT_USER, "verify_key": "0" * 64, "flags": 0, "summary": "",
            "interactions_endpoint_url": None,
        })

    async def _sync(self, request: web.Request) -> web.Response:
        payload = request[BODY] or []
        guild = request.match_info.get("guild")
        self.syncs.append((f"guild:{guild}" if guild else "global", payload))
        out = []
        for command in payload:
            stored = {**command, "id": str(self.next_id()), "application_id": str(APP_ID),
                      "version": "1"}
            if guild:
                stored["guild_id"] = guild
            out.append(stored)
        return _json(out)

    def _message(self, channel_id: int, body: dict[str, Any], flags: int = 0) -> dict[str, Any]:
        mid = self.next_id()
        message = {
            "id": str(mid), "channel_id": str(channel_id), "type": 0,
            "content": body.get("content") or "", "author": BOT_USER,
            "timestamp": "2026-01-01T00:00:00+00:00", "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": [], "mention_roles": [],
            "attachments": [
                {"id": str(self.next_id()), "filename": f.filename, "size": len(f.data),
                 "url": f"https://cdn.example/{f.filename}", "proxy_url": "",
                 "content_type": f.content_type}
                for f in body.get("_files") or ()
            ],
            "embeds": body.get("embeds") or [], "pinned": False,
            "flags": flags | int(body.get("flags") or 0),
            "components": body.get("components") or [],
        }
        self.messages[mid] = message
        return message

    async def _callback(self, request: web.Request) -> web.Response:
        iid = int(request.match_info["iid"])
        token = request.match_info["token"]
        body = request[BODY] or {}
        self.callbacks[iid] = body
        kind = body.get("type")
        data = body.get("data") or {}
        resource: dict[str, Any] = {"type": kind}
        interaction = {"id": str(iid), "type": 2}
        if kind in (4, 5):
            flags = LOADING if kind == 5 else 0
            message = self._message(self._channel_of.get(iid, 0), data, flags)
            self._originals[token] = int(message["id"])
            if kind == 4:
                self.posts.append(Post("callback", message, iid, body))
            resource["message"] = message
            interaction.update(response_message_id=message["id"],
                               response_message_loading=kind == 5,
                               response_message_ephemeral=bool(message["flags"] & EPHEMERAL))
        waiter = self._waiters.pop(iid, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(body)
        if "with_response" not in request.query:
            return web.Response(status=204)
        return _json({"interaction": interaction, "resource": resource})

    async def _edit_original(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        mid = self._originals.get(token)
        if mid is None:
            return _json({"message": "Unknown Webhook", "code": 10015}, 404)
        message = self.messages[mid]
        body = request[BODY] or {}
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = body[key] or ([] if key != "content" else "")
        message["flags"] = int(message["flags"]) & ~LOADING
        message["edited_timestamp"] = "2026-01-01T00:00:01+00:00"
        self.posts.append(Post("original-edit", message, self._tokens.get(token), body))
        return _json(message)

    async def _delete_original(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        mid = self._originals.pop(token, None)
        if mid is None:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        self.messages.pop(mid, None)
        for post in self.posts:
            if int(post.message["id"]) == mid:
                post.deleted = True
        return web.Response(status=204)

    async def _followup(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        iid = self._tokens.get(token)
        if iid is None:
            return _json({"message": "Unknown Webhook", "code": 10015}, 404)
        body = request[BODY] or {}
        message = self._message(self._channel_of.get(iid, 0), body)
        self.posts.append(Post("followup", message, iid, body))
        return _json(message)

    async def _channel_send(self, request: web.Request) -> web.Response:
        channel = int(request.match_info["channel"])
        body = request[BODY] or {}
        message = self._message(channel, body)
        self.posts.append(Post("channel", message, None, body))
        return _json(message)

    async def _channel_edit(self, request: web.Request) -> web.Response:
        mid = int(request.match_info["message"])
        message = self.messages.get(mid)
        if message is None:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        body = request[BODY] or {}
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = body[key] if body[key] is not None else (
                    "" if key == "content" else [])
        message["edited_timestamp"] = "2026-01-01T00:00:01+00:00"
        self.posts.append(Post("channel-edit", message, None, body))
        return _json(message)


def guild_payload(guild_id: int) -> dict[str, Any]:
    """A GUILD_CREATE for a server with one text channel, as the ``guilds`` intent sends it."""
    return {
        "id": str(guild_id), "name": f"server-{guild_id}", "icon": None, "splash": None,
        "discovery_splash": None, "owner_id": "1", "afk_channel_id": None, "afk_timeout": 300,
        "verification_level": 0, "default_message_notifications": 0,
        "explicit_content_filter": 0, "roles": [{
            "id": str(guild_id), "name": "@everyone", "color": 0, "hoist": False,
            "position": 0, "permissions": "0", "managed": False, "mentionable": False,
            "flags": 0}],
        "emojis": [], "stickers": [], "features": [], "mfa_level": 0, "system_channel_id": None,
        "system_channel_flags": 0, "rules_channel_id": None, "vanity_url_code": None,
        "description": None, "banner": None, "premium_tier": 0, "preferred_locale": "en-US",
        "public_updates_channel_id": None, "nsfw_level": 0, "premium_progress_bar_enabled": False,
        "joined_at": "2026-01-01T00:00:00+00:00", "large": False, "unavailable": False,
        "member_count": 2, "members": [], "voice_states": [], "presences": [], "threads": [],
        "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
        "channels": [{"id": str(guild_id + 1), "type": 0, "name": "general", "position": 0,
                      "permission_overwrites": [], "nsfw": False, "parent_id": None,
                      "topic": None, "rate_limit_per_user": 0, "last_message_id": None,
                      "flags": 0}],
    }


# ---------------------------------------------------------------------------- a driver


def guild(channels: dict[int, list[dict[str, Any]]], *, everyone: int, bot_role: int = 0,
          guild_id: int = GUILD_ID) -> dict[str, Any]:
    """A GUILD_CREATE payload: text channels (id -> permission overwrites), the @everyone
    role's permissions, and the bot as a member with one role of its own."""
    role_id = guild_id + 1

    def role(rid: int, name: str, permissions: int, position: int) -> dict[str, Any]:
        return {"id": str(rid), "name": name, "permissions": str(permissions),
                "position": position, "color": 0, "hoist": False, "managed": False,
                "mentionable": False}

    return {
        "id": str(guild_id), "name": "Study group", "owner_id": "1", "unavailable": False,
        "member_count": 2, "large": False, "features": [], "emojis": [], "stickers": [],
        "roles": [role(guild_id, "@everyone", everyone, 0),
                  role(role_id, "framework-coach", bot_role, 1)],
        "channels": [{"id": str(cid), "type": 0, "name": f"channel-{cid}", "position": n,
                      "permission_overwrites": overwrites, "guild_id": str(guild_id)}
                     for n, (cid, overwrites) in enumerate(channels.items())],
        "members": [{"user": BOT_USER, "roles": [str(role_id)],
                     "joined_at": "2026-01-01T00:00:00+00:00", "deaf": False, "mute": False,
                     "flags": 0}],
        "threads": [], "voice_states": [], "presences": [],
    }


def command_data(name: str, subcommand: str | None, options: dict[str, str],
                 focused: str | None = None) -> dict[str, Any]:
    """``data`` of an application-command interaction, as Discord builds it from the form."""
    opts: list[dict[str, Any]] = []
    for key, value in options.items():
        opt: dict[str, Any] = {"name": key, "type": 3, "value": value}
        if key == focused:
            opt["focused"] = True
        opts.append(opt)
    if subcommand:
        opts = [{"name": subcommand, "type": 1, "options": opts}]
    return {"id": "1", "name": name, "type": 1, "options": opts}


def seen_text(message: dict[str, Any]) -> str:
    """Everything a person reads in a stored message: embeds and button labels."""
    parts: list[str] = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        for f in embed.get("fields") or []:
            parts += [f.get("name") or "", f.get("value") or ""]
        parts.append((embed.get("footer") or {}).get("text") or "")
    for row in message.get("components") or []:
        parts += [c.get("label") or "" for c in row.get("components", [])]
    return "\n".join(p for p in parts if p)


def text_parts(message: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Every string of a stored message, with the syntax Discord reads it in: markdown in
    the content, embed titles, descriptions and fields; plain text in footers and labels."""
    parts: list[tuple[str, str]] = [("discord-markdown", message.get("content") or "")]
    for embed in message.get("embeds") or []:
        parts += [("discord-markdown", embed.get("title") or ""),
                  ("discord-markdown", embed.get("description") or "")]
        for f in embed.get("fields") or []:
            parts += [("discord-markdown", f.get("name") or ""),
                      ("discord-markdown", f.get("value") or "")]
        parts.append(("plain", (embed.get("footer") or {}).get("text") or ""))
    for row in message.get("components") or []:
        parts += [("plain", c.get("label") or "") for c in row.get("components", [])]
    return tuple((syntax, text) for syntax, text in parts if text)


@contextlib.asynccontextmanager
async def running_adapter(core: Any, fake: FakeDiscord, data_dir: Any, **options: Any
                          ) -> AsyncIterator[Any]:
    """A started ``DiscordAdapter`` talking to ``fake``; globals it overrides are restored."""
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

    from adapters.discord import DiscordAdapter
    from bot.config import Settings

    saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    settings = Settings(
        _env_file=None, discord_token=TOKEN, discord_application_id=APP_ID,
        discord_guild_id=options.pop("guild_id", None), discord_api_url=fake.api_url,
        discord_gateway_url=fake.gateway_url, data_dir=data_dir,
        discord_shard_count=options.pop("shard_count", None),
        discord_shard_ids=options.pop("shard_ids", None),
    )
    options.setdefault("guild_ready_timeout", 0.01)
    options.setdefault("ready_timeout", 10.0)
    fake.reset_gateway()
    adapter = DiscordAdapter(core, settings, **options)
    try:
        await adapter.start()
        yield adapter
    finally:
        await adapter.stop()
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved


class DiscordHarness:
    """Plays people on Discord: command text → interaction through the fake gateway; what
    the client posted back → ``Seen``. Names map to fixed snowflakes."""

    platform = "discord"

    def __init__(self, fake: FakeDiscord, adapter: Any, core: Any) -> None:
        self.fake, self.adapter, self.core = fake, adapter, core
        self._snowflakes: dict[str, int] = {}
        self._done: dict[int, asyncio.Future[None]] = {}
        adapter.after_reply = self._replied

    def snowflake(self, name: str) -> int:
        return self._snowflakes.setdefault(name, 960000000000000001 + len(self._snowflakes))

    def name_of(self, snowflake: int) -> str:
        return next(n for n, s in self._snowflakes.items() if s == snowflake)

    def context(self, *, user: str, channel: str, manager: bool = False) -> Any:
        from bot.models import Context

        return Context(platform="discord", user_id=str(self.snowflake(user)), user_name=user,
                       channel_id=str(self.snowflake(channel)), tenant_id=str(GUILD_ID),
                       is_manager=manager)

    def _replied(self, interaction_id: int) -> None:
        waiter = self._done.pop(interaction_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def interaction_for(self, text: str, *, user: str, channel: str, permissions: int = 0
                        ) -> dict[str, Any]:
        """The interaction Discord sends when ``user`` submits ``text`` in the command form."""
        from bot.models import Request
        from bot.parser import ParseError, parse

        parsed = parse(text)
        assert not isinstance(parsed, ParseError), parsed
        bound = self.core.registry.bind(parsed, self.context(user=user, channel=channel))
        assert isinstance(bound, Request), f"{text!r} cannot be typed on Discord: {bound}"
        spec = self.core.registry.get(bound.command)
        data = command_data(spec.name_on("discord"), bound.subcommand, dict(bound.options))
        return self.fake.interaction(2, data, user_id=self.snowflake(user), user_name=user,
                                     channel_id=self.snowflake(channel),
                                     permissions=permissions)

    async def run(self, payload: dict[str, Any], user: str, timeout: float = 10.0) -> list[Any]:
        """Dispatch ``payload`` and return what ``user`` sees once the adapter has replied."""
        iid = int(payload["id"])
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._done[iid] = done
        await self.fake.dispatch(payload)
        await asyncio.wait_for(done, timeout)
        return [self.seen(p, user) for p in self.fake.posts_for(iid)]

    def seen(self, post: Post, user: str) -> Any:
        from tests.adapters.conformance import Seen

        return Seen(text=seen_text(post.message),
                    button_ids=tuple(self.adapter.ids.decode(c) for c in post.custom_ids),
                    visible_to=user if post.ephemeral else None,
                    parts=text_parts(post.message))

    async def deliver(self, response: Any, *, channel: str) -> list[Any]:
        """Post ``response`` as the bot does unprompted; what the channel sees."""
        before = len(self.fake.posts)
        result = await self.adapter.deliver(str(GUILD_ID), str(self.snowflake(channel)),
                                            response)
        assert result.ok, result.error
        return [self.seen(p, "") for p in self.fake.posts[before:]]

    async def command(self, text: str, *, user: str, channel: str, permissions: int = 0
                      ) -> list[Any]:
        payload = self.interaction_for(text, user=user, channel=channel,
                                       permissions=permissions)
        return await self.run(payload, user)

    def click_payload(self, button_id: str, *, user: str, channel: str,
                      message: dict[str, Any] | None = None) -> dict[str, Any]:
        """A type 3 interaction for a click on ``button_id`` in the latest message showing it
        in ``channel`` (or in ``message``)."""
        custom_id = self.adapter.ids.encode(button_id)
        channel_id = self.snowflake(channel)
        if message is None:
            message = next(
                p.message for p in reversed(self.fake.posts)
                if int(p.message["channel_id"]) == channel_id and custom_id in p.custom_ids
            )
        return self.fake.interaction(3, {"custom_id": custom_id, "component_type": 2},
                                     user_id=self.snowflake(user), user_name=user,
                                     channel_id=channel_id, message=message)

    async def press(self, button_id: str, *, user: str, channel: str) -> list[Any]:
        return await self.run(self.click_payload(button_id, user=user, channel=channel), user)
