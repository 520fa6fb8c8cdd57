"""Bot processes in Slack's HTTP mode, reached the way Slack and browsers reach them.

Each process listens on its own OS-chosen loopback port (``serve``); several of them on one
database stand for web processes behind a load balancer (``start_webs`` starts them at
once). ``Web`` sends them signed slash commands and button presses from the loopback fake
of Slack and returns what the person sees. Every wait goes through ``BotProcess.until``.
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp

from adapters.slack.install import NOT_INSTALLED
from tests.adapters.fakes.slack_api import (
    SIGNING_SECRET,
    TEAM,
    FakeSlack,
    ack_body,
    action_form,
    action_payload,
    button_values,
    post_form,
    send_command,
    visible_text,
)
from tests.e2e.process import START_TIMEOUT, BotProcess, Fakes, Launch

LISTENING = re.compile(r"^Slack: HTTP mode, listening on [^:]+:(\d+)/slack/events\b")


def single_workspace(database_url: str) -> dict[str, str]:
    """The environment of a web process for one workspace (the fake's bot token), over
    HTTP, on the database at ``database_url``; no Discord."""
    return {"DATABASE_URL": database_url, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_APP_TOKEN": "", "DISCORD_TOKEN": ""}  # empty is "not set"


class Web:
    """One bot process as Slack and browsers reach it: its HTTP base URL."""

    def __init__(self, bot: BotProcess, port: int, session: aiohttp.ClientSession,
                 fake: FakeSlack) -> None:
        self.bot, self.base, self.session, self.fake = bot, f"http://127.0.0.1:{port}", \
            session, fake

    async def command(self, team: str, text: str, *, user: str = "U1",
                      channel: str = "C1") -> tuple[dict[str, Any] | str, str]:
        """A slash command from ``team``: the acknowledgement, and its response_url key."""
        resp, key = await send_command(self.session, f"{self.base}/slack/events", self.fake,
                                       team, text, user=user, channel=channel)
        return await ack_body(resp), key

    async def shown(self, text: str, *, user: str, channel: str, team: str = TEAM) -> str:
        """What the person who typed ``text`` sees: the acknowledgement's message, or the
        first message sent to its response_url when the acknowledgement was empty."""
        ack, key = await self.command(team, text, user=user, channel=channel)
        if isinstance(ack, dict):
            return visible_text(ack)
        (reply, *_) = await self.bot.until(self.fake, lambda: self.fake.of(f"response_url:{key}"))
        return visible_text(reply.data)

    async def press(self, message: dict[str, Any], value: str, *, user: str, channel: str,
                    team: str = TEAM) -> str:
        """A click on the button ``value`` of a posted ``message``: what the clicker is shown
        (clicks are acknowledged empty, then answered through response_url)."""
        payload = action_payload(self.fake, message, value, user=user, channel=channel,
                                 team=team)
        key = payload["response_url"].rsplit("/", 1)[1]
        resp = await post_form(self.session, f"{self.base}/slack/events",
                               action_form(payload))
        assert resp.status == 200, await resp.text()
        assert await resp.text() == ""
        (reply, *_) = await self.bot.until(self.fake, lambda: self.fake.of(f"response_url:{key}"))
        return visible_text(reply.data)

    async def answers(self, team: str) -> None:
        """``/framework`` from ``team`` is answered in the acknowledgement."""
        ack, _ = await self.command(team, "/framework role:ml-engineer")
        assert isinstance(ack, dict) and "PyTorch" in visible_text(ack), ack

    async def refuses(self, team: str) -> None:
        """A command from ``team`` gets the "not installed" answer, and nothing else."""
        ack, key = await self.command(team, "/framework role:ml-engineer")
        assert ack == ""
        (reply,) = await self.bot.until(self.fake, lambda: self.fake.of(f"response_url:{key}"))
        assert reply.data["text"] == NOT_INSTALLED


def posted(fake: FakeSlack, channel: str, *, buttons: bool | None = None) -> list[Any]:
    """The ``chat.postMessage`` calls to ``channel`` (only those with buttons, or only those
    without, when ``buttons`` says so)."""
    return [c for c in fake.of("chat.postMessage") if c.data.get("channel") == channel
            and (buttons is None or bool(button_values(c.data)) == buttons)]


def unused_port() -> int:
    """A loopback port the OS chose and nobody holds now (PORT=0 is not a setting)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def serve(launch: Launch, data_dir: Path, env: dict[str, str],
                argv: Sequence[str] | None = None) -> tuple[BotProcess, int]:
    """Start a bot listening on an unused port; should another program take that port
    between the choice and the bind, a new one is chosen (never a guess that can fail)."""
    for _ in range(5):
        port = unused_port()
        bot = await launch(data_dir, connect=False, env={**env, "PORT": str(port)}, argv=argv)
        try:
            await bot.until(bot.output, lambda b=bot: b.logged("running: "), START_TIMEOUT)
        except AssertionError:
            if bot.proc.returncode is None or "in use" not in bot.stderr_text:
                raise
            continue
        (line,) = bot.logged("Slack: HTTP mode, listening on")
        assert LISTENING.match(line) and f":{port}/slack/events" in line, line
        return bot, port
    raise AssertionError("no free loopback port in 5 tries")


async def start_webs(launch: Launch, fakes: Fakes, session: aiohttp.ClientSession,
                     data_dirs: Sequence[Path], env: dict[str, str],
                     argv: Sequence[str] | None = None) -> list[Web]:
    """One web process per data directory, started at once, each on its own port; returns
    once every one of them is running."""
    served = await asyncio.gather(*(serve(launch, d, env, argv) for d in data_dirs))
    return [Web(bot, port, session, fakes.slack) for bot, port in served]
