"""``framework-coach run`` as a real process, pointed at fakes of Slack and Discord.

The bot runs with a clean environment (no inherited tokens or proxies, no developer
``.env``: its working directory is a temporary one) and JSON logs on stderr, collected as
they come. Waiting is always on what a fake has seen (``BotProcess.until``), never a sleep;
a bot that exits early fails the wait at once, with its stderr in the message.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bot.clock import SystemClock
from bot.storage import Store, Subscription, Tenant
from tests.adapters.fakes import discord_fake, slack_api
from tests.adapters.fakes.changes import Changes
from tests.adapters.fakes.discord_fake import FakeDiscord
from tests.adapters.fakes.slack_api import FakeSlack

EXE = shutil.which("framework-coach", path=str(Path(sys.executable).parent))
ROOT = Path(__file__).resolve().parents[2]  # the checkout these tests belong to
# Shaped like real tokens, so the bot's configuration checks accept them from the
# environment; only the fakes take them. Not secrets: nothing real accepts them.
DISCORD_TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAx.Gfake0.e2e-fake-discord-token-0000000"
TOKENS = (slack_api.BOT_TOKEN, slack_api.APP_TOKEN, DISCORD_TOKEN)
SLACK_TENANT = Tenant("slack", slack_api.TEAM)  # the team auth.test and payloads report
DISCORD_TENANT = Tenant("discord", str(discord_fake.GUILD_ID))  # what the adapter uses

START_TIMEOUT = 90.0  # a cold start (imports, knowledge) on a busy 2-core machine
WAIT = 30.0  # one step (an answer, a post, a reconnect)
STOP_TIMEOUT = 30.0  # safety net; the tests assert the real bound themselves


class Watchable(Protocol):
    """Anything that can wait for a condition on what it has seen (the fakes, ``Changes``)."""

    def until(self, predicate: Callable[[], Any], timeout: float = ...) -> Awaitable[Any]: ...


class Launch(Protocol):
    """The ``launch`` fixture: start a bot on ``data_dir``."""

    def __call__(self, data_dir: Path, *, connect: bool = True,
                 env: dict[str, str] | None = None,
                 argv: Sequence[str] | None = None) -> Awaitable[BotProcess]: ...


@dataclass
class Fakes:
    slack: FakeSlack
    discord: FakeDiscord


@dataclass
class BotProcess:
    """A running ``framework-coach run``; its output lines are collected as they come."""

    proc: asyncio.subprocess.Process
    data_dir: Path
    stderr: list[str] = field(default_factory=list)
    stdout: list[str] = field(default_factory=list)
    readers: list[asyncio.Future[None]] = field(default_factory=list)
    output: Changes = field(default_factory=Changes)  # notified for every line

    @classmethod
    async def start(cls, fakes: Fakes, data_dir: Path, workdir: Path,
                    env: dict[str, str] | None = None,
                    argv: Sequence[str] | None = None) -> BotProcess:
        """Launch the bot (``env`` adds to or overrides ``bot_env``; ``argv`` replaces
        ``framework-coach run``); returns at once."""
        assert EXE, "the console script is installed with the package"
        proc = await asyncio.create_subprocess_exec(
            *(argv or (EXE, "run")), cwd=workdir,
            env={**bot_env(fakes, data_dir), **(env or {})},
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        bot = cls(proc, data_dir)
        bot.readers = [asyncio.ensure_future(bot._collect(proc.stderr, bot.stderr)),
                       asyncio.ensure_future(bot._collect(proc.stdout, bot.stdout))]
        return bot

    async def _collect(self, stream: asyncio.StreamReader | None, into: list[str]) -> None:
        if stream is None:
            return
        while line := await stream.readline():
            into.append(line.decode("utf-8", "replace").rstrip("\n"))
            await self.output.notify()

    async def connected(self, fakes: Fakes) -> None:
        """Both fakes saw the bot connect, and the bot says it is running (its scheduler
        started, quizzes resumed)."""
        await self.until(fakes.discord, lambda: fakes.discord.sessions >= 1, START_TIMEOUT)
        await self.until(fakes.slack, lambda: fakes.slack.socket_open, START_TIMEOUT)
        await self.until(self.output, lambda: self.logged("running: "), START_TIMEOUT)

    @property
    def stderr_text(self) -> str:
        return "\n".join(self.stderr)

    def logs(self) -> list[dict[str, Any]]:
        """The JSON log lines (``stderr_text`` has everything, JSON or not)."""
        found = []
        for line in self.stderr:
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if isinstance(entry, dict):
                    found.append(entry)
        return found

    def messages(self) -> list[str]:
        return [str(entry.get("message", "")) for entry in self.logs()]

    def logged(self, prefix: str) -> list[str]:
        """The log messages so far that start with ``prefix``."""
        return [m for m in self.messages() if m.startswith(prefix)]

    async def until(self, source: Watchable, predicate: Callable[[], Any],
                    timeout: float = WAIT) -> Any:
        """Wait until ``predicate()`` holds, checked whenever ``source`` (a fake, or this
        bot's ``output``) changes; fails at once with the bot's stderr if it exits, or after
        ``timeout`` if it never happens."""
        waiting = asyncio.ensure_future(source.until(predicate, timeout + 5.0))
        exited = asyncio.ensure_future(self.proc.wait())
        done, _ = await asyncio.wait({waiting, exited}, timeout=timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        exited.cancel()
        if waiting in done and waiting.exception() is None:
            return waiting.result()
        waiting.cancel()
        if exited in done:
            await asyncio.gather(*self.readers, return_exceptions=True)  # the whole stderr
            state = f"exited with {self.proc.returncode}"
        else:
            state = f"did not get there within {timeout:.0f} s"
        raise AssertionError(f"the bot {state}; its stderr:\n{self.stderr_text[-8000:]}")

    async def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        """Send ``sig`` and wait for the exit; returns the exit code."""
        self.proc.send_signal(sig)
        code = await asyncio.wait_for(self.proc.wait(), STOP_TIMEOUT)
        await asyncio.gather(*self.readers)
        return code

    async def kill(self) -> None:
        """After a failed test: never leave a bot running."""
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        await asyncio.gather(*self.readers, return_exceptions=True)


def bot_env(fakes: Fakes, data_dir: Path) -> dict[str, str]:
    """Only what the bot needs: nothing inherited that could point it at the real Slack or
    Discord (tokens, proxies, a developer's DATA_DIR). The bot's code is this checkout's
    (``PYTHONPATH``), whichever checkout the virtualenv was installed from."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ")}
    return {
        **keep,
        "PYTHONPATH": str(ROOT),
        "HOME": str(data_dir.parent),
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "INFO",
        "DATA_DIR": str(data_dir),
        "TRENDS_COLLECT": "false",  # digests use the shipped sample: nothing is fetched
        "SLACK_BOT_TOKEN": slack_api.BOT_TOKEN,
        "SLACK_APP_TOKEN": slack_api.APP_TOKEN,
        "SLACK_API_URL": fakes.slack.api_url,
        "DISCORD_TOKEN": DISCORD_TOKEN,
        "DISCORD_API_URL": fakes.discord.api_url,
        "DISCORD_GATEWAY_URL": fakes.discord.gateway_url,
    }


async def seed_weekly_digests(data_dir: Path, *subscribers: tuple[Tenant, str]) -> None:
    """Subscribe channels to a weekly digest whose latest run was a few minutes ago and
    never posted: the bot posts it right at start (within ``DIGEST_GRACE_MINUTES``)."""
    now = dt.datetime.now(dt.UTC)
    due = now - dt.timedelta(minutes=3)
    store = await Store.open(data_dir, SystemClock())
    try:
        for tenant, channel in subscribers:
            await store.upsert_subscription(tenant, Subscription(
                channel_id=channel, cadence="weekly", weekday=due.weekday(),
                time=due.strftime("%H:%M"), timezone="UTC", created_by="e2e",
                created_at=now - dt.timedelta(days=1),
            ))
    finally:
        await store.close()
