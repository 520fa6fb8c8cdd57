"""A local fake of Slack for the adapter tests: Web API, response_url, Socket Mode, and a
client that sends correctly signed requests the way Slack does.

Everything listens on 127.0.0.1 with an OS-chosen port. The fake records every call and
lets tests await "the n-th call to X" (or any condition, ``until``) instead of sleeping;
failures (errors, 429 with Retry-After) can be scripted per method, and Socket Mode can be
dropped (``drop_socket``) or refused (``refuse_sockets``) to exercise reconnection.
"""

from __future__ import annotations

import asyncio
import base64
import html
import itertools
import json
import re
import time
import urllib.parse
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from tests.adapters.fakes.changes import Changes

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
SIGNING_SECRET = "test-signing-secret"
TEAM = "T1"
BOT_USER = "UBOT"
CLIENT_ID = "1111.2222"  # the app's OAuth credentials (any workspace installs it)
CLIENT_SECRET = "test-client-secret"
WAIT = 10.0  # seconds: a safety net for awaits, never a timing assumption


@dataclass
class Call:
    method: str
    data: dict[str, Any]
    headers: dict[str, str]
    reply: dict[str, Any] | None = None  # what the fake answered


@dataclass
class Failure:
    error: str
    status: int = 200
    retry_after: float | None = None


@dataclass
class FakeSlack:
    """The Slack side: start() it, point SLACK_API_URL at ``api_url``."""

    reply_peers: list[Any] = field(default_factory=list)  # who posted each response_url
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # users.info answers
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)  # conversations.info
    # The bot token's scopes, sent as X-OAuth-Scopes on every answer (as Slack does).
    scopes: str = "commands,chat:write,files:write,users:read,channels:read,groups:read"
    calls: list[Call] = field(default_factory=list)
    socket_replies: asyncio.Queue[dict[str, Any]] | None = None
    # bot token -> team: the tokens Slack accepts (an OAuth install adds one, an uninstall
    # revokes its team's); auth.test answers for the token's own team
    tokens: dict[str, str] = field(default_factory=lambda: {BOT_TOKEN: TEAM})
    rotating: bool = False  # installs hand out expiring tokens with a refresh token

    def __post_init__(self) -> None:
        self._failures: dict[str, deque[Failure]] = defaultdict(deque)
        self._changed = Changes()
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_ready = asyncio.Event()
        self.socket_replies = asyncio.Queue()
        self.socket_messages: list[dict[str, Any]] = []  # every reply, kept (not consumed)
        self.refused = 0  # apps.connections.open answered 503 while ``refuse_sockets`` is on
        self._refusing = False
        self.port = 0
        self.uploads: dict[str, bytes] = {}  # file id -> bytes POSTed to its upload URL
        self._file_ids = itertools.count(1)
        self._grants: dict[str, str] = {}  # OAuth code -> team it installs into
        self._refresh: dict[str, str] = {}  # refresh token -> team
        self._serial = itertools.count(1)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner:
            await self._runner.cleanup()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, key: str) -> str:
        return f"{self.base}/response/{key}"

    # ------------------------------------------------------------------ scripting
    def fail_next(self, method: str, error: str, *, status: int = 200,
                  retry_after: float | None = None, times: int = 1) -> None:
        for _ in range(times):
            self._failures[method].append(Failure(error, status, retry_after))

    def grant(self, team: str) -> str:
        """The code Slack puts on the redirect after someone in ``team`` approved the
        install (exchanged once through oauth.v2.access)."""
        code = f"code-{team}-{next(self._serial)}"
        self._grants[code] = team
        return code

    def revoke(self, team: str) -> None:
        """What Slack does on an uninstall: the team's tokens stop working."""
        self.tokens = {t: owner for t, owner in self.tokens.items() if owner != team}

    def token_of(self, call: Call) -> str:
        return call.headers.get("Authorization", "").removeprefix("Bearer ")

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1) -> list[Call]:
        """The first ``count`` calls to ``method``, once they have arrived."""
        await self._changed.until(lambda: len(self.of(method)) >= count, WAIT)
        return self.of(method)[:count]

    async def until(self, predicate: Callable[[], Any], timeout: float = WAIT) -> Any:
        """Wait until ``predicate()`` is truthy (checked after every call, socket connection
        and socket message) and return its value; ``timeout`` is only a safety net."""
        return await self._changed.until(predicate, timeout)

    @property
    def sockets(self) -> int:
        """Socket Mode connections opened so far."""
        return len(self._sockets)

    @property
    def socket_open(self) -> bool:
        return bool(self._sockets) and not self._sockets[-1].closed

    def refuse_sockets(self, refuse: bool = True) -> None:
        """While on, ``apps.connections.open`` answers 503 (Slack is down for the app)."""
        self._refusing = refuse

    async def drop_socket(self) -> None:
        """Close the app's Socket Mode connection from Slack's side."""
        assert self.socket_open, "no socket connected"
        await self._sockets[-1].close()
        await self._notify()

    async def _notify(self) -> None:
        await self._changed.notify()

    async def _record(self, call: Call) -> None:
        self.calls.append(call)
        await self._changed.notify()

    # ------------------------------------------------------------------ Web API
    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        data: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                data.update(await request.json())
            else:
                data.update(await request.post())
        call = Call(method, data, dict(request.headers))
        await self._record(call)
        token = request.headers.get("Authorization", "")
        status, headers = 200, {}
        if method == "oauth.v2.access":
            call.reply = self._oauth(token, data)
        elif (token != f"Bearer {APP_TOKEN}" if method == "apps.connections.open"
                else token.removeprefix("Bearer ") not in self.tokens):
            call.reply = {"ok": False, "error": "invalid_auth"}
        elif method == "apps.connections.open" and self._refusing:
            self.refused += 1
            status, call.reply = 503, {"ok": False, "error": "service_unavailable"}
            await self._notify()
        elif self._failures[method]:
            failure = self._failures[method].popleft()
            if failure.retry_after is not None:
                headers = {"Retry-After": str(failure.retry_after)}
            status, call.reply = failure.status, {"ok": False, "error": failure.error}
        else:
            call.reply = self._answer(method, data, token.removeprefix("Bearer "))
        if token.removeprefix("Bearer ") in self.tokens:  # a bot token: its scopes, as Slack
            headers = {**headers, "x-oauth-scopes": self.scopes}
        return _json(call.reply, status, headers)

    def _oauth(self, authorization: str, data: dict[str, Any]) -> dict[str, Any]:
        """oauth.v2.access: a code (once) or, with rotation, a refresh token -> a bot token.
        The app authenticates with HTTP Basic (client id and secret)."""
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if authorization != f"Basic {expected}":
            return {"ok": False, "error": "invalid_client_id"}
        if data.get("grant_type") == "refresh_token":
            team = self._refresh.pop(str(data.get("refresh_token")), None)
        else:
            team = self._grants.pop(str(data.get("code")), None)
        if team is None:
            return {"ok": False, "error": "invalid_grant" if data.get("grant_type")
                    else "invalid_code"}
        token = f"xoxb-{team}-{next(self._serial)}"
        self.tokens[token] = team
        reply: dict[str, Any] = {
            "ok": True, "app_id": "A1", "access_token": token, "token_type": "bot",
            "scope": "commands,chat:write", "bot_user_id": f"UBOT{team}",
            "team": {"id": team, "name": f"Team {team}"}, "enterprise": None,
            "is_enterprise_install": False, "authed_user": {"id": f"UADMIN{team}"}}
        if self.rotating:
            refresh = f"xoxe-1-{team}-{next(self._serial)}"
            self._refresh[refresh] = team
            reply.update(refresh_token=refresh, expires_in=43200)
        return reply

    def _answer(self, method: str, data: dict[str, Any], token: str = "") -> dict[str, Any]:
        if method == "auth.test":
            team = self.tokens.get(token, TEAM)
            return {"ok": True, "url": "https://fake.slack.com/",
                    "team": "Fake" if team == TEAM else f"Team {team}",
                    "user": "framework-coach", "team_id": team,
                    "user_id": BOT_USER if team == TEAM else f"UBOT{team}",
                    "bot_id": "B1" if team == TEAM else f"B{team}"}
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            ts = data.get("ts") or f"1700000000.{next(self._ts):06d}"
            return {"ok": True, "channel": data.get("channel"), "ts": ts,
                    "message": {"text": data.get("text", ""), "blocks": data.get("blocks")}}
        if method == "users.info":
            user = self.users.get(data.get("user", ""))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "conversations.info":
            channel = self.channels.get(data.get("channel", ""))
            return ({"ok": True, "channel": channel} if channel
                    else {"ok": False, "error": "channel_not_found"})
        if method == "files.getUploadURLExternal":  # files_upload_v2, step 1
            if not data.get("filename") or not str(data.get("length", "")).isdigit():
                return {"ok": False, "error": "invalid_arguments"}
            file_id = f"F{next(self._file_ids):08d}"
            return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}",
                    "file_id": file_id}
        if method == "files.completeUploadExternal":  # step 3, after the bytes were POSTed
            files = json.loads(data.get("files") or "[]")
            if not files or any(f.get("id") not in self.uploads for f in files):
                return {"ok": False, "error": "file_not_found"}
            return {"ok": True, "files": [
                {"id": f["id"], "title": f.get("title"), "size": len(self.uploads[f["id"]]),
                 "channels": [data["channel_id"]] if data.get("channel_id") else []}
                for f in files]}
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}
        return {"ok": False, "error": "unknown_method"}

    async def _upload(self, request: web.Request) -> web.Response:
        """files_upload_v2, step 2: the raw bytes, POSTed to the URL from step 1."""
        self.uploads[request.match_info["file_id"]] = await request.read()
        await self._notify()
        return web.Response(text=f"OK - {len(self.uploads[request.match_info['file_id']])}")

    async def _response_url(self, request: web.Request) -> web.Response:
        data = await request.json()
        self.reply_peers.append(request.transport.get_extra_info("peername")
                                if request.transport else None)
        await self._record(Call(f"response_url:{request.match_info['key']}", data,
                                dict(request.headers)))
        return web.Response(text="ok")

    # ------------------------------------------------------------------ Socket Mode
    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1,
                            "debug_info": {"host": "fake"}, "connection_info": {"app_id": "A1"}})
        self._socket_ready.set()
        await self._notify()
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                reply = json.loads(msg.data)
                self.socket_messages.append(reply)
                await self.socket_replies.put(reply)  # type: ignore[union-attr]
                await self._notify()
        await self._notify()
        return ws

    async def send_envelope(self, envelope: dict[str, Any]) -> None:
        await asyncio.wait_for(self._socket_ready.wait(), WAIT)
        await self.until(lambda: self.socket_open)
        await self._sockets[-1].send_json(envelope)

    async def socket_reply(self) -> dict[str, Any]:
        assert self.socket_replies is not None
        return await asyncio.wait_for(self.socket_replies.get(), WAIT)


def _json(body: dict[str, Any], status: int = 200,
          headers: dict[str, str] | None = None) -> web.Response:
    # Exactly application/json (some clients parse JSON only then).
    return web.Response(text=json.dumps(body), status=status, headers=headers,
                        content_type="application/json")


# ---------------------------------------------------------------------- requests as Slack sends
_keys = itertools.count(1)


def sign(body: str, timestamp: int | None = None,
         secret: str = SIGNING_SECRET) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded"}


def slash_payload(fake: FakeSlack, command: str, text: str, *, user: str, channel: str,
                  team: str = TEAM) -> dict[str, str]:
    """A slash command's fields (Slack escapes &, < and > in ``text``)."""
    return {
        "token": "legacy-verification-token", "team_id": team, "team_domain": "fake",
        "channel_id": channel, "channel_name": channel, "user_id": user, "user_name": user,
        "command": command, "text": html.escape(text, quote=False), "api_app_id": "A1",
        "is_enterprise_install": "false",
        "response_url": fake.response_url(f"cmd-{next(_keys)}"),
        "trigger_id": f"trigger-{next(_keys)}",
    }


def split_command(text: str) -> tuple[str, str]:
    """'/help foo' -> ('/fc-help', 'foo'): the command as typed on Slack, and its text."""
    command, _, rest = text.strip().partition(" ")
    if command == "/help":
        command = "/fc-help"
    return command, rest.strip()


def action_payload(fake: FakeSlack, message: dict[str, Any], value: str, *, user: str,
                   channel: str, team: str = TEAM, ephemeral: bool = False) -> dict[str, Any]:
    """A block_actions payload for clicking the button whose value is ``value``."""
    element, block = _find_button(message, value)
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user, "name": user, "team_id": team},
        "api_app_id": "A1", "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": "1700000000.000001",
                      "channel_id": channel, "is_ephemeral": ephemeral},
        "trigger_id": f"trigger-{next(_keys)}",
        "team": {"id": team, "domain": "fake"},
        "enterprise": None, "is_enterprise_install": False,
        "channel": {"id": channel, "name": channel},
        "message": {"type": "message", "ts": "1700000000.000001", "text": message.get("text"),
                    "blocks": message.get("blocks")},
        "state": {"values": {}},
        "response_url": fake.response_url(f"act-{next(_keys)}"),
        "actions": [{
            "action_id": element["action_id"], "block_id": block.get("block_id", "b"),
            "text": element["text"], "value": element["value"], "type": "button",
            "action_ts": f"{time.time():.6f}",
        }],
    }


def _find_button(message: dict[str, Any], value: str) -> tuple[dict[str, Any], dict[str, Any]]:
    for block in message.get("blocks") or ():
        if block.get("type") == "actions":
            for element in block["elements"]:
                if element.get("value") == value:
                    return element, block
    raise AssertionError(f"no button with value {value!r} on the message")


# ---------------------------------------------------------------------- what people see
_BOLD_LINE = re.compile(r"^\*(.*)\*$")


def visible_text(message: dict[str, Any]) -> str:
    """A message's blocks as a person reads them: bold marks gone, entities decoded."""
    lines: list[str] = []

    def add(text: str) -> None:
        for line in text.split("\n"):
            bold = _BOLD_LINE.match(line)
            lines.append(bold.group(1) if bold else line)

    for block in message.get("blocks") or ():
        text = block.get("text")
        if isinstance(text, dict):
            add(text["text"])
        for item in block.get("fields", ()):
            add(item["text"])
        for element in block.get("elements", ()):
            inner = element.get("text")
            if isinstance(inner, dict):
                add(inner["text"])
            elif isinstance(inner, str):
                add(inner)
    joined = "\n".join(lines)
    return joined.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def text_parts(message: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Every text object of a message's blocks, with the syntax Slack reads it in."""
    parts: list[tuple[str, str]] = []

    def add(obj: dict[str, Any]) -> None:
        if obj.get("type") == "plain_text":
            parts.append(("slack-plain", obj["text"]))
        else:
            parts.append(("slack-mrkdwn-verbatim" if obj.get("verbatim") else "slack-mrkdwn",
                          obj["text"]))

    for block in message.get("blocks") or ():
        if isinstance(block.get("text"), dict):
            add(block["text"])
        for item in block.get("fields", ()):
            add(item)
        for element in block.get("elements", ()):
            if isinstance(element.get("text"), dict):
                add(element["text"])
            elif element.get("type") in ("mrkdwn", "plain_text"):
                add(element)
    return tuple(parts)


def button_values(message: dict[str, Any]) -> list[str]:
    return [e["value"] for b in message.get("blocks") or () if b.get("type") == "actions"
            for e in b["elements"]]


async def post_form(session: aiohttp.ClientSession, url: str, fields: dict[str, str],
                    headers: dict[str, str] | None = None,
                    timestamp: int | None = None) -> aiohttp.ClientResponse:
    body = urllib.parse.urlencode(fields)
    sent = sign(body, timestamp) if headers is None else headers
    return await session.post(url, data=body.encode(), headers=sent)


async def post_event(session: aiohttp.ClientSession, url: str, team: str,
                     event: dict[str, Any]) -> aiohttp.ClientResponse:
    """An Events API delivery (JSON, signed) of ``event`` in ``team``."""
    body = json.dumps({
        "token": "legacy-verification-token", "team_id": team, "api_app_id": "A1",
        "event": {**event, "event_ts": f"{time.time():.6f}"}, "type": "event_callback",
        "event_id": f"Ev{next(_keys)}", "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": team, "user_id": f"UBOT{team}",
                            "is_bot": True, "is_enterprise_install": False}],
    })
    headers = dict(sign(body), **{"Content-Type": "application/json"})
    return await session.post(url, data=body.encode(), headers=headers)


async def send_command(session: aiohttp.ClientSession, url: str, fake: FakeSlack, team: str,
                       text: str, *, user: str = "U1",
                       channel: str = "C1") -> tuple[aiohttp.ClientResponse, str]:
    """A slash command typed in ``team`` (``text`` as typed), posted to the app at ``url``:
    its HTTP response, and the key of its response_url."""
    command, _, rest = text.partition(" ")
    payload = slash_payload(fake, command, rest, user=user, channel=channel, team=team)
    resp = await post_form(session, url, payload)
    assert resp.status == 200, await resp.text()
    return resp, payload["response_url"].rsplit("/", 1)[1]


async def ack_body(resp: aiohttp.ClientResponse) -> dict[str, Any] | str:
    """The acknowledgement's body: a message (JSON) or plain text (often empty)."""
    body = await resp.text()
    return await resp.json() if body.startswith("{") else body


OAUTH_COOKIE = "slack-app-oauth-state"  # bolt's state cookie


async def install_page(session: aiohttp.ClientSession, base: str) -> tuple[str, str, str]:
    """GET /slack/install of the app at ``base``: the "Add to Slack" link, the state it
    carries and the state cookie's value."""
    resp = await session.get(f"{base}/slack/install")
    assert resp.status == 200, await resp.text()
    link = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"',
                     await resp.text())
    assert link, await resp.text()
    cookie = resp.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie
    url = html.unescape(link.group(1))
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["state"][0]
    return url, state, cookie.split(";")[0].split("=", 1)[1]


async def oauth_redirect(session: aiohttp.ClientSession, base: str, code: str, state: str,
                         cookie: str | None) -> aiohttp.ClientResponse:
    """Slack sending the installer's browser back to /slack/oauth_redirect at ``base``."""
    headers = {"Cookie": f"{OAUTH_COOKIE}={cookie}"} if cookie is not None else {}
    query = urllib.parse.urlencode({"code": code, "state": state})
    return await session.get(f"{base}/slack/oauth_redirect?{query}", headers=headers)


def action_form(payload: dict[str, Any]) -> dict[str, str]:
    return {"payload": json.dumps(payload)}


# ---------------------------------------------------------------------- conformance harness
@dataclass
class Shown:
    """One message the app sent, with who sees it."""

    message: dict[str, Any]
    ephemeral: bool
    via: str  # "ack" or "response_url"


class SlackHarness:
    """Drives the real adapter as Slack would, over HTTP or Socket Mode, and reports what
    people in the channel see (see ``tests/adapters/conformance.py``)."""

    platform = "slack"

    def __init__(self, fake: FakeSlack, adapter: Any, mode: str,
                 session: aiohttp.ClientSession | None = None) -> None:
        self.fake, self.adapter, self.mode, self.session = fake, adapter, mode, session
        self.latest: dict[str, list[dict[str, Any]]] = defaultdict(list)  # channel -> messages
        self._envelopes = itertools.count(1)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.adapter.port}/slack/events"

    def context(self, *, user: str, channel: str) -> Any:
        from bot.models import Context

        return Context(platform="slack", user_id=user, user_name=user, channel_id=channel,
                       tenant_id=TEAM, is_manager=False)

    async def send(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Deliver a slash command ("slash_commands") or click ("interactive"); return the
        acknowledgement's body (None when empty) once all follow-ups are sent."""
        if self.mode == "http":
            assert self.session is not None
            fields = payload if kind == "slash_commands" else action_form(payload)
            resp = await post_form(self.session, self.url, fields)
            assert resp.status == 200, await resp.text()
            text = await resp.text()
            ack = json.loads(text) if text.startswith("{") else ({"text": text} if text else None)
        else:
            envelope_id = f"env-{next(self._envelopes)}"
            await self.fake.send_envelope({"envelope_id": envelope_id, "type": kind,
                                           "accepts_response_payload": kind == "slash_commands",
                                           "payload": payload})
            reply = await self.fake.socket_reply()
            assert reply["envelope_id"] == envelope_id
            ack = reply.get("payload")
        await self.adapter.drain(timeout=WAIT)
        return ack

    def _shown(self, ack: dict[str, Any] | None, response_url: str) -> list[Shown]:
        shown = []
        if ack and (ack.get("blocks") or ack.get("text")):
            shown.append(Shown(ack, ack.get("response_type") != "in_channel", "ack"))
        key = response_url.rsplit("/", 1)[1]
        for call in self.fake.of(f"response_url:{key}"):
            shown.append(Shown(call.data, call.data.get("response_type") != "in_channel",
                               "response_url"))
        return shown

    def _seen(self, shown: list[Shown], user: str, channel: str) -> list[Any]:
        from adapters.slack.render import button_id
        from tests.adapters.conformance import Seen

        seen = []
        for item in shown:
            if button_values(item.message):
                self.latest[channel].append(item.message)
            seen.append(Seen(
                text=visible_text(item.message),
                button_ids=tuple(button_id(v) for v in button_values(item.message)),
                visible_to=user if item.ephemeral else None,
                parts=text_parts(item.message),
            ))
        return seen

    async def deliver(self, response: Any, *, channel: str) -> list[Any]:
        """Post ``response`` as the bot does unprompted; what the channel sees."""
        before = len(self.fake.of("chat.postMessage"))
        result = await self.adapter.deliver(TEAM, channel, response)
        assert result.ok, result.error
        posted = self.fake.of("chat.postMessage")[before:]
        return self._seen([Shown(c.data, False, "chat.postMessage") for c in posted], "", channel)

    async def command_shown(self, text: str, *, user: str, channel: str) -> list[Shown]:
        command, rest = split_command(text)
        payload = slash_payload(self.fake, command, rest, user=user, channel=channel)
        ack = await self.send("slash_commands", payload)
        return self._shown(ack, payload["response_url"])

    async def command(self, text: str, *, user: str, channel: str) -> list[Any]:
        return self._seen(await self.command_shown(text, user=user, channel=channel),
                          user, channel)

    async def press_shown(self, button_id: str, *, user: str, channel: str) -> list[Shown]:
        from adapters.slack.render import button_id as resolve

        for message in reversed(self.latest[channel]):
            values = [v for v in button_values(message) if resolve(v) == button_id]
            if values:
                payload = action_payload(self.fake, message, values[0], user=user,
                                         channel=channel)
                ack = await self.send("interactive", payload)
                assert not ack or not ack.get("blocks"), "clicks are answered via response_url"
                return self._shown(None, payload["response_url"])
        raise AssertionError(f"no message in {channel} has the button {button_id}")

    async def press(self, button_id: str, *, user: str, channel: str) -> list[Any]:
        return self._seen(await self.press_shown(button_id, user=user, channel=channel),
                          user, channel)


def settings_for(fake: FakeSlack, mode: str, **extra: Any) -> Any:
    """Settings as the environment would give them, pointing at ``fake``; nothing read from
    the real environment or a .env file."""
    from bot.config import Settings

    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_app_token": APP_TOKEN if mode == "socket" else None,
        "slack_signing_secret": SIGNING_SECRET if mode == "http" else None,
        "slack_api_url": fake.api_url,
        "port": 0,
    }
    return Settings(_env_file=None, **{**values, **extra})


class Running:
    """``async with Running(core, mode) as h:`` a fake Slack, the adapter started against
    it (HTTP on a loopback port, or Socket Mode through the fake), and a harness."""

    def __init__(self, core: Any, mode: str = "http", *, settings: dict[str, Any] | None = None,
                 **adapter_options: Any) -> None:
        self.core, self.mode = core, mode
        self.settings, self.options = settings or {}, adapter_options

    async def __aenter__(self) -> SlackHarness:
        from adapters.slack import start_slack

        self.fake = FakeSlack()
        await self.fake.start()
        self.session = aiohttp.ClientSession()
        settings = settings_for(self.fake, self.mode, **self.settings)
        self.options.setdefault("host", "127.0.0.1")
        self.adapter = await start_slack(self.core, settings, **self.options)
        return SlackHarness(self.fake, self.adapter, self.mode, self.session)

    async def __aexit__(self, *exc: object) -> None:
        await self.adapter.stop()
        await self.session.close()
        await self.fake.stop()
