"""Soak: both platforms in one process under a steady mixed load, watching memory (issue #8).

Everything runs in ONE process and ONE event loop, with the real parts:

- the bot from ``bot.app.open_app``: real store in a temporary folder (fsynced group
  commits), quiz manager, digest service with its scheduler started (trend collection off:
  there is no internet);
- Slack: the real adapter in HTTP mode on a loopback port, its Web API pointed at the local
  fake (``tests/adapters/fakes/slack_api.py``), which also receives ``response_url`` posts;
- Discord: the real adapter (discord.py) logged in to the local fake's REST API and gateway
  (``tests/adapters/fakes/discord_fake.py``); interactions are pushed through the fake's
  gateway and answered through its interaction-callback endpoint;
- the load generator: coroutines in the same loop. Slack requests are signed like Slack's
  and sent over a small keep-alive HTTP/1.1 client pool (cheaper than aiohttp's client, so
  the generator takes little of the CPU the servers need).

The load is open-loop: commands are issued at a fixed offered rate whatever the answers
take, and each latency is measured from the moment the request was *due*, so a stalled
loop shows up as latency instead of silently lowering the rate. Commands mix
``/framework`` (roles, aliases, typos, options), ``/about``, ``/compare``, ``/trends``,
``/help``, ``/quiz leaderboard|stats`` and ``/digest status|preview``. Quizzes run in a few
channels per platform in real time (``time:5``); a keeper starts a new one when a channel's
quiz ends. When a question message reaches a fake, each player of that channel presses an
option (Slack ``block_actions``, Discord component interactions) at a random moment
inside the answer window.

Latency ends when the answer reaches the fake platform: the HTTP acknowledgement (or the
``response_url`` post, for clicks and for answers sent after the ack) on Slack, the
interaction callback on Discord. An error is any non-OK outcome: a non-200, a missing or
late answer (10 s), an exception, the crash answer ("Something went wrong on our side") as
the platform shows it, or another core response flagged ``is_error`` (counted by a thin
wrapper on ``Core.handle``/``Core.press``, which changes nothing else). Errors are counted
and the first few printed; they are not in the latency figures.

Memory: RSS (``VmRSS`` from ``/proc/self/status``) every ``--sample-seconds`` after the
warm-up; start and end samples are taken after a ``gc.collect()``, with the count of live
tasks and of discord.py ``View`` timeout tasks beside them. To explain latency tails, a
10 ms timer measures event-loop lag and ``gc.callbacks`` times every collection (both
cheap, unlike tracemalloc, which is not used). The benchmark keeps its
own figures in fixed-size histograms, and every ``--trim-seconds`` it empties the fakes'
recorded calls (Slack ``calls``; Discord ``requests``, ``posts``, ``callbacks``) and drops
their per-message/per-interaction maps older than one trim period, so neither the fakes nor
the benchmark grow with the number of operations.

Usage: .venv/bin/python bench/soak.py [--minutes 10] [--warmup SECONDS] [--rate 200]
``--minutes`` is the whole run; the warm-up (default 10% of it, at most 60 s) is part of it
and is not measured. The last line of output is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import gc
import json
import logging
import math
import os
import random
import sys
import tempfile
import time
import tracemalloc
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from adapters.slack.app import EVENTS_PATH  # noqa: E402
from adapters.slack.render import button_id  # noqa: E402
from bot.app import App, open_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.memory import tune_allocator  # noqa: E402
from bot.models import Request, Response  # noqa: E402
from bot.parser import ParseError, parse  # noqa: E402
from bot.storage import Tenant  # noqa: E402
from tests.adapters.fakes import slack_api  # noqa: E402
from tests.adapters.fakes.discord_fake import (  # noqa: E402
    GUILD_ID,
    DiscordHarness,
    FakeDiscord,
    command_data,
    running_adapter,
)

TIMEOUT = 10.0  # seconds before an unanswered operation counts as an error
GOAL_GROWTH_PCT = 10.0
FAILED = "Something went wrong on our side"  # the title of the answer to a crash
MANAGE_CHANNELS = 1 << 4
SLACK_TEAM = slack_api.TEAM
DISCORD_TENANT = str(GUILD_ID)

# (weight, texts): the command mix, the same texts on both platforms.
MIX: list[tuple[int, list[str]]] = [
    (30, ["/framework", "/framework role:ml-engineer", "/framework role:MLE",
          '/framework role:"data sci" experience:beginner', "/framework role:reseacher",
          "/framework role:nlp-llm-engineer region:europe goal:startup",
          "/framework role:student experience:beginner goal:prototyping",
          "/framework role:mlops-engineer experience:advanced region:asia goal:enterprise",
          "/framework role:cv-researcher goal:research"]),
    (10, ["/about name:pytorch", "/about name:tensorflow", "/about name:keras",
          "/about name:jax"]),
    (8, ["/compare a:pytorch b:tensorflow", "/compare keras jax", "/compare a:jax b:pytorch"]),
    (8, ["/trends", "/trends jax", "/trends framework:pytorch"]),
    (4, ["/help"]),
    (12, ["/quiz leaderboard", "/quiz leaderboard scope:server period:week",
          "/quiz leaderboard sort:accuracy", "/quiz leaderboard scope:server sort:wins"]),
    (6, ["/quiz stats"]),
    (8, ["/digest status"]),
    (6, ["/digest preview"]),
]
TOPICS = ["", " topic:pytorch", " topic:jax", " topic:concepts", " difficulty:easy"]


# ---------------------------------------------------------------------------- figures
class Histogram:
    """Latencies in fixed log-spaced buckets (1% wide): constant memory whatever the count."""

    LOW_MS, RATIO, BUCKETS = 0.01, 1.01, 1400  # 0.01 ms .. about 11 minutes

    def __init__(self) -> None:
        self.counts = [0] * (self.BUCKETS + 1)
        self.n = 0
        self.max_ms = 0.0

    def add(self, ms: float) -> None:
        i = 0 if ms <= self.LOW_MS else int(math.log(ms / self.LOW_MS, self.RATIO)) + 1
        self.counts[min(i, self.BUCKETS)] += 1
        self.n += 1
        self.max_ms = max(self.max_ms, ms)

    def merge(self, other: Histogram) -> None:
        self.counts = [a + b for a, b in zip(self.counts, other.counts, strict=True)]
        self.n += other.n
        self.max_ms = max(self.max_ms, other.max_ms)

    def pct(self, q: float) -> float:
        """The upper edge of the bucket holding the q-quantile (at most 1% high)."""
        if not self.n:
            return 0.0
        rank, seen = math.ceil(q * self.n), 0
        for i, count in enumerate(self.counts):
            seen += count
            if seen >= rank:
                return min(self.LOW_MS * self.RATIO ** i, self.max_ms)
        return self.max_ms


@dataclass
class Figures:
    """What the soak measured after the warm-up, in bounded structures only."""

    by_kind: dict[tuple[str, str], Histogram] = field(default_factory=dict)
    by_label: dict[tuple[str, str], Histogram] = field(default_factory=dict)
    errors: int = 0
    error_examples: list[str] = field(default_factory=list)
    offered: dict[str, int] = field(default_factory=dict)
    skipped: int = 0  # not sent: too many operations already in flight
    outcomes: dict[str, int] = field(default_factory=dict)  # quiz press replies, whole run
    deferred: int = 0  # Discord answers deferred ("thinking…") before their callback
    loop_lag: Histogram = field(default_factory=Histogram)  # oversleep of a 10 ms timer
    gc_pauses: dict[int, Histogram] = field(default_factory=dict)  # by generation
    warnings: int = 0  # WARNING+ log records from the bot and libraries, whole run
    warning_examples: list[str] = field(default_factory=list)

    def latency(self, platform: str, kind: str, label: str, ms: float) -> None:
        self.by_kind.setdefault((platform, kind), Histogram()).add(ms)
        self.by_label.setdefault((platform, label), Histogram()).add(ms)

    def error(self, text: str) -> None:
        self.errors += 1
        if len(self.error_examples) < 8:
            self.error_examples.append(text[:300])

    def count(self, table: dict[str, int], key: str) -> None:
        table[key] = table.get(key, 0) + 1


class WarningCounter(logging.Handler):
    """Counts what the bot logs at WARNING and above, keeping the first few lines."""

    def __init__(self, figures: Figures) -> None:
        super().__init__(logging.WARNING)
        self.figures = figures

    def emit(self, record: logging.LogRecord) -> None:
        self.figures.warnings += 1
        if len(self.figures.warning_examples) < 5:
            cause = ""
            if record.exc_info and record.exc_info[1] is not None:
                exc = record.exc_info[1]
                cause = f" ({type(exc).__name__}: {exc})"
            self.figures.warning_examples.append(
                f"{record.name}: {record.getMessage()}{cause}"[:300])


def print_growth(start: tracemalloc.Snapshot, end: tracemalloc.Snapshot, top: int = 15) -> None:
    """Where Python allocations grew over the measured window (``--trace-memory``)."""
    stats = end.compare_to(start, "traceback")
    table = Table(title="Allocation growth, start -> end of the measured window")
    table.add_column("KiB", justify="right")
    table.add_column("blocks", justify="right")
    table.add_column("allocated at (innermost last)")
    for stat in stats[:top]:
        frames = " <- ".join(f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno}"
                             for f in reversed(stat.traceback[-4:]))
        table.add_row(f"{stat.size_diff / 1024:+,.0f}", f"{stat.count_diff:+,}", frames)
    Console(width=160).print(table)


def rss_bytes() -> int:
    """Resident set size now: /proc is cheap enough to read every few seconds."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


# ---------------------------------------------------------------------------- the fakes
class WatchedSlack(slack_api.FakeSlack):
    """The Slack fake, telling the soak about answers and quiz questions as they arrive."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.on_call: Callable[[slack_api.Call], None] = lambda call: None

    async def _record(self, call: slack_api.Call) -> None:
        await super()._record(call)
        self.on_call(call)

    def trim(self) -> None:
        self.calls.clear()


class WatchedDiscord(FakeDiscord):
    """The Discord fake, telling the soak about quiz questions and trimmable."""

    def __init__(self) -> None:
        super().__init__()
        self.on_channel_post: Callable[[dict[str, Any], list[str]], None] = lambda m, ids: None
        self._mark = 0

    async def _channel_send(self, request: Any) -> Any:
        answer = await super()._channel_send(request)
        post = self.posts[-1]  # appended just now, with no await in between
        self.on_channel_post(post.message, post.custom_ids)
        return answer

    def trim(self) -> None:
        """Forget recorded calls, and messages/interactions older than the previous trim:
        a quiz question younger than one trim period can still be edited when it closes."""
        old, self._mark = self._mark, self.next_id()
        self.requests.clear()
        self.posts.clear()
        self.callbacks.clear()
        self.messages = {k: v for k, v in self.messages.items() if k >= old}
        self._originals = {k: v for k, v in self._originals.items() if v >= old}
        self._tokens = {k: v for k, v in self._tokens.items() if v >= old}
        self._channel_of = {k: v for k, v in self._channel_of.items() if k >= old}
        self._waiters = {k: v for k, v in self._waiters.items() if k >= old}


# ---------------------------------------------------------------------------- Slack client
class SlackClient:
    """Keep-alive HTTP/1.1 connections to the adapter, at most ``size`` requests at once."""

    def __init__(self, port: int, size: int = 32) -> None:
        self.port = port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(size)

    async def post(self, body: str) -> tuple[int, bytes]:
        head = (f"POST {EVENTS_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                + "".join(f"{k}: {v}\r\n" for k, v in slack_api.sign(body).items())
                + f"Content-Length: {len(body.encode())}\r\n\r\n")
        request = head.encode() + body.encode()
        async with self.slots:
            for attempt in (0, 1):
                reused = bool(self.idle)
                conn = self.idle.pop() if reused else await asyncio.open_connection(
                    "127.0.0.1", self.port)
                try:
                    answer = await _exchange(*conn, request)
                except (asyncio.IncompleteReadError, ConnectionError):
                    conn[1].close()
                    if reused and attempt == 0:  # the server closed an idle connection
                        continue
                    raise
                except BaseException:
                    conn[1].close()
                    raise
                self.idle.append(conn)
                return answer
        raise ConnectionError("unreachable")

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    request: bytes) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length, chunked = 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
        elif name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if not chunked:
        return status, await reader.readexactly(length)
    body = b""
    while True:
        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
        body += await reader.readexactly(size + 2)
        body = body[:-2]
        if size == 0:
            return status, body


def slack_title(message: dict[str, Any]) -> str:
    for block in message.get("blocks") or ():
        if block.get("type") == "header":
            return str(block["text"]["text"])
    return str(message.get("text") or "")


def discord_title(body: dict[str, Any]) -> str:
    data = body.get("data") or {}
    embeds = data.get("embeds") or []
    return str(embeds[0].get("title") or "") if embeds else str(data.get("content") or "")


# ---------------------------------------------------------------------------- the soak
@dataclass
class QuizChannel:
    platform: str
    channel: str  # the platform's channel id
    players: list[tuple[str, str]]  # (user id or harness name, display name)
    starting: bool = False


class Soak:
    def __init__(self, args: argparse.Namespace, app: App, figures: Figures,
                 slack: WatchedSlack, slack_port: int, discord: WatchedDiscord,
                 harness: DiscordHarness) -> None:
        self.args, self.app, self.figures = args, app, figures
        self.slack, self.discord, self.harness = slack, discord, harness
        self.client = SlackClient(slack_port)
        self.rng = random.Random(args.seed)
        self.tasks: set[asyncio.Task[None]] = set()
        self.max_in_flight = 0
        self.pending_urls: dict[str, asyncio.Future[tuple[float, dict[str, Any]]]] = {}
        self.measure_from = math.inf  # perf_counter time the warm-up ends
        self.end_at = math.inf
        self.loading = False
        self.samples: list[tuple[float, int]] = []
        self.task_samples: list[tuple[int, int]] = []  # (all tasks, discord.py view timers)
        self.trims = 0
        self.quiz_starts = 0
        self.questions_seen = 0
        self.recorded_total = 0  # quiz answers confirmed "recorded", whole run
        slack.on_call = self._slack_call
        discord.on_channel_post = self._discord_post
        # The people and places.
        self.slack_users = [f"U{n:03d}" for n in range(40)]
        self.discord_users = [f"user{n:03d}" for n in range(40)]
        self.slack_channels = [f"C{n:03d}" for n in range(12)]
        self.discord_channels = [str(harness.snowflake(f"chan{n:03d}")) for n in range(12)]
        self.quiz: dict[tuple[str, str], QuizChannel] = {}
        for platform, count, users in (
            ("slack", args.slack_quiz_channels, self.slack_users),
            ("discord", args.discord_quiz_channels, self.discord_users),
        ):
            for n in range(count):
                channel = (f"CQ{n:02d}" if platform == "slack"
                           else str(harness.snowflake(f"quiz{n:02d}")))
                players = [(users[(n * 7 + k) % len(users)],) * 2 for k in range(args.players)]
                self.quiz[(platform, channel)] = QuizChannel(platform, channel, players)
        for user in self.slack_users + ["UADMIN"]:
            slack.users[user] = {"id": user, "name": user, "is_admin": user == "UADMIN"}
        for channel in self.slack_channels + [c for p, c in self.quiz if p == "slack"]:
            slack.channels[channel] = {"id": channel, "name": channel, "creator": "UADMIN"}
        # Each text parsed and bound once; Discord's command form data built from it.
        self.texts: list[tuple[str, dict[str, Any]]] = []
        weights: list[float] = []
        for weight, texts in MIX:
            for text in texts:
                self.texts.append((text, self._discord_data(text)))
                weights.append(weight / len(texts))
        self.cumulative = [sum(weights[: i + 1]) for i in range(len(weights))]

    # ------------------------------------------------------------------ helpers
    def _discord_data(self, text: str, channel: str = "c") -> dict[str, Any]:
        parsed = parse(text)
        assert not isinstance(parsed, ParseError), (text, parsed)
        bound = self.app.core.registry.bind(parsed, self.harness.context(user="u",
                                                                         channel=channel))
        assert isinstance(bound, Request), (text, bound)
        spec = self.app.core.registry.get(bound.command)
        return command_data(spec.name_on("discord"), bound.subcommand, dict(bound.options))

    def _pick(self) -> tuple[str, dict[str, Any]]:
        i = bisect.bisect(self.cumulative, self.rng.random() * self.cumulative[-1])
        return self.texts[min(i, len(self.texts) - 1)]

    @staticmethod
    def label(text: str) -> str:
        words = text.split()
        if words[0] in ("/quiz", "/digest") and len(words) > 1:
            return " ".join(words[:2])
        return words[0]

    def spawn(self, platform: str, op: Awaitable[None]) -> None:
        if len(self.tasks) >= self.args.max_in_flight:
            self.figures.skipped += 1
            if hasattr(op, "close"):
                op.close()  # type: ignore[attr-defined]
            return
        self.figures.count(self.figures.offered, platform)
        task = asyncio.ensure_future(op)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        self.max_in_flight = max(self.max_in_flight, len(self.tasks))

    def done(self, platform: str, kind: str, label: str, due: float, error: str | None) -> None:
        """One operation finished (``due``: when it was meant to be sent)."""
        if due < self.measure_from:
            return
        if error is not None:
            self.figures.error(f"{platform} {label}: {error}")
        else:
            self.figures.latency(platform, kind, label, (time.perf_counter() - due) * 1000)

    # ------------------------------------------------------------------ fake-side events
    def _slack_call(self, call: slack_api.Call) -> None:
        if call.method.startswith("response_url:"):
            waiter = self.pending_urls.pop(call.method.split(":", 1)[1], None)
            if waiter is not None and not waiter.done():
                waiter.set_result((time.perf_counter(), call.data))
        elif call.method == "chat.postMessage":
            values = slack_api.button_values(call.data)
            buttons = [(button_id(v), v) for v in values]
            if any(b.startswith("quiz:") for b, _ in buttons):
                self._question("slack", str(call.data.get("channel")), call.data, buttons)

    def _discord_post(self, message: dict[str, Any], custom_ids: list[str]) -> None:
        buttons = [(self.harness.adapter.ids.decode(c), c) for c in custom_ids]
        if any(b.startswith("quiz:") for b, _ in buttons):
            self._question("discord", str(message["channel_id"]), message, buttons)

    def _question(self, platform: str, channel: str, message: dict[str, Any],
                  buttons: list[tuple[str, str]]) -> None:
        """A question was posted: its channel's players answer within the window."""
        room = self.quiz.get((platform, channel))
        if room is None or not self.loading:
            return
        self.questions_seen += 1
        quiz = [(b.split(":"), raw) for b, raw in buttons if b.startswith("quiz:")]
        sid, question = quiz[0][0][1], int(quiz[0][0][2])
        tenant = SLACK_TEAM if platform == "slack" else DISCORD_TENANT
        session = self.app.quiz.running(platform, tenant, channel) if self.app.quiz else None
        correct = (session.correct_options[question]
                   if session is not None and session.id == sid else None)
        loop = asyncio.get_running_loop()
        window = self.args.question_seconds * 0.7
        for user, name in room.players:
            if self.rng.random() >= self.args.answer_probability:
                continue
            pick = (correct if correct is not None and self.rng.random() < 0.6
                    else self.rng.randrange(len(quiz)))
            _, raw = next(((p, r) for p, r in quiz if int(p[3]) == pick), quiz[0])
            delay = self.rng.uniform(0.2, window)
            due = time.perf_counter() + delay
            loop.call_later(delay, self._press_now, platform, channel, user, name, message,
                            raw, due)

    def _press_now(self, platform: str, channel: str, user: str, name: str,
                   message: dict[str, Any], raw: str, due: float) -> None:
        if not self.loading:
            return
        op = (self.slack_press(channel, user, message, raw, due) if platform == "slack"
              else self.discord_press(channel, user, message, raw, due))
        self.spawn(platform, op)

    # ------------------------------------------------------------------ operations
    async def slack_command(self, text: str, user: str, channel: str, due: float) -> None:
        label, error = self.label(text), None
        command, rest = slack_api.split_command(text)
        fields = slack_api.slash_payload(self.slack, command, rest, user=user, channel=channel)
        key = fields["response_url"].rsplit("/", 1)[1]
        waiter = self.pending_urls[key] = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(TIMEOUT):
                status, body = await self.client.post(urllib.parse.urlencode(fields))
                if status != 200:
                    error = f"HTTP {status}: {body[:120]!r}"
                elif not body:  # answered after the ack, through response_url
                    _, data = await waiter
                    if slack_title(data) == FAILED:
                        error = f"answered {FAILED!r}"
                elif FAILED.encode() in body and slack_title(json.loads(body)) == FAILED:
                    error = f"answered {FAILED!r}"
        except TimeoutError:
            error = "no answer within the timeout"
        except Exception as exc:  # noqa: BLE001 - every failure is a figure
            error = f"{type(exc).__name__}: {exc}"
        finally:
            self.pending_urls.pop(key, None)
        self.done("slack", "command", label, due, error)

    async def slack_press(self, channel: str, user: str, message: dict[str, Any], value: str,
                          due: float) -> None:
        error, label = None, "quiz answer"
        payload = slack_api.action_payload(self.slack, message, value, user=user,
                                           channel=channel)
        key = payload["response_url"].rsplit("/", 1)[1]
        waiter = self.pending_urls[key] = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(TIMEOUT):
                status, body = await self.client.post(
                    urllib.parse.urlencode(slack_api.action_form(payload)))
                if status != 200:
                    error = f"HTTP {status}: {body[:120]!r}"
                else:
                    _, data = await waiter
                    if slack_title(data) == FAILED:
                        error = f"answered {FAILED!r}"
                    label = self._outcome(slack_title(data))
        except TimeoutError:
            error = "no answer within the timeout"
        except Exception as exc:  # noqa: BLE001
            error = f"{type(exc).__name__}: {exc}"
        finally:
            self.pending_urls.pop(key, None)
        self.done("slack", "button", label, due, error)

    async def discord_command(self, text: str, data: dict[str, Any], user: str,
                              channel: str, due: float) -> None:
        payload = self.discord.interaction(2, data, user_id=self.harness.snowflake(user),
                                           user_name=user, channel_id=int(channel))
        await self._discord_run(payload, "command", self.label(text), due)

    async def discord_press(self, channel: str, user: str, message: dict[str, Any],
                            custom_id: str, due: float) -> None:
        payload = self.discord.interaction(
            3, {"custom_id": custom_id, "component_type": 2},
            user_id=self.harness.snowflake(user), user_name=user, channel_id=int(channel),
            message=message)
        await self._discord_run(payload, "button", "quiz answer", due)

    async def _discord_run(self, payload: dict[str, Any], kind: str, label: str,
                           due: float) -> None:
        error = None
        try:
            async with asyncio.timeout(TIMEOUT):
                body = await (await self.discord.dispatch(payload))
            if body.get("type") == 5:
                self.figures.deferred += 1
            elif body.get("type") != 4:
                error = f"unexpected callback type {body.get('type')}"
            elif discord_title(body) == FAILED:
                error = f"answered {FAILED!r}"
            elif kind == "button":
                label = self._outcome(discord_title(body))
        except TimeoutError:
            error = "no callback within the timeout"
        except Exception as exc:  # noqa: BLE001
            error = f"{type(exc).__name__}: {exc}"
        finally:
            self.discord._waiters.pop(int(payload["id"]), None)
        self.done("discord", kind, label, due, error)

    def _outcome(self, title: str) -> str:
        """Counts a quiz press's reply; returns the latency label for it."""
        if title.startswith("Answer") and title.endswith("recorded"):
            key = "recorded"
            self.recorded_total += 1
        elif title.startswith("You already answered"):
            key = "already answered"
        elif title.startswith("Time was up"):
            key = "too late"
        else:
            key = title or "(empty)"
        self.figures.count(self.figures.outcomes, key)
        return "quiz answer" if key == "recorded" else f"quiz answer ({key})"

    async def start_quiz(self, room: QuizChannel) -> None:
        """Keeper: a channel whose quiz ended gets a new one, through the platform."""
        room.starting = True
        try:
            text = (f"/quiz start questions:{self.args.questions} "
                    f"time:{self.args.question_seconds}{self.rng.choice(TOPICS)}")
            starter = self.rng.choice(room.players)[0]
            due = time.perf_counter()
            if room.platform == "slack":
                await self.slack_command(text, starter, room.channel, due)
            else:
                await self.discord_command(text, self._discord_data(text), starter,
                                           room.channel, due)
            self.quiz_starts += 1
        finally:
            room.starting = False

    # ------------------------------------------------------------------ drivers
    async def generator(self, platform: str, rate: float, until: float) -> None:
        """Commands at a fixed offered rate (open loop: never waits for answers)."""
        if rate <= 0:
            return
        interval = 1.0 / rate
        due = time.perf_counter() + self.rng.random() * interval
        users = self.slack_users if platform == "slack" else self.discord_users
        channels = (self.slack_channels if platform == "slack" else self.discord_channels)
        channels = channels + [c for p, c in self.quiz if p == platform]
        while due < until:
            wait = due - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            text, data = self._pick()
            user, channel = self.rng.choice(users), self.rng.choice(channels)
            if platform == "slack":
                self.spawn(platform, self.slack_command(text, user, channel, due))
            else:
                self.spawn(platform, self.discord_command(text, data, user, channel, due))
            due += interval

    async def keeper(self, until: float) -> None:
        while time.perf_counter() < until:
            for room in self.quiz.values():
                tenant = SLACK_TEAM if room.platform == "slack" else DISCORD_TENANT
                assert self.app.quiz is not None
                if not room.starting and self.app.quiz.running(room.platform, tenant,
                                                               room.channel) is None:
                    self.spawn(room.platform, self.start_quiz(room))
            await asyncio.sleep(0.5)

    async def lag_probe(self, until: float) -> None:
        """How late a 10 ms timer fires: stalls of the whole loop (GC, GIL-bound threads)."""
        while time.perf_counter() < until:
            asked = time.perf_counter()
            await asyncio.sleep(0.01)
            if asked >= self.measure_from:
                self.figures.loop_lag.add((time.perf_counter() - asked - 0.01) * 1000)

    def gc_timer(self, phase: str, info: dict[str, int]) -> None:
        """``gc.callbacks`` hook: the duration of each collection after the warm-up."""
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif self.loading and time.perf_counter() >= self.measure_from:
            ms = (time.perf_counter() - self._gc_started) * 1000
            self.figures.gc_pauses.setdefault(info["generation"], Histogram()).add(ms)

    async def housekeeping(self, until: float) -> None:
        """Trim the fakes' records; sample RSS after the warm-up."""
        next_trim = time.perf_counter() + self.args.trim_seconds
        next_sample, collected = self.measure_from, False
        while time.perf_counter() < until:
            now = time.perf_counter()
            if not collected and now >= self.measure_from - 1.0:
                # The start sample's collection runs in the warm-up, so its pause is not
                # in the measured latencies (the end sample's runs after the load).
                gc.collect()
                collected = True
                if tracemalloc.is_tracing():
                    self.traced_start = tracemalloc.take_snapshot()
            if now >= next_trim:
                self.slack.trim()
                self.discord.trim()
                self.trims += 1
                next_trim = now + self.args.trim_seconds
            if now >= next_sample:
                self.samples.append((now - self.measure_from, rss_bytes()))
                self.task_samples.append(task_counts())
                next_sample += self.args.sample_seconds
            await asyncio.sleep(0.25)

    async def run(self, seconds: float, warmup: float) -> dict[str, Any]:
        self.traced_start: tracemalloc.Snapshot | None = None
        if self.args.trace_memory:
            tracemalloc.start(self.args.trace_memory)
        self.rss_before = rss_bytes()
        self.loading = True
        t0 = time.perf_counter()
        self.measure_from = t0 + warmup
        self.end_at = t0 + seconds
        cpu0: os.times_result | None = None

        async def mark_cpu() -> None:
            nonlocal cpu0
            await asyncio.sleep(warmup)
            cpu0 = os.times()

        share = self.args.slack_share
        self._gc_started = 0.0
        gc.callbacks.append(self.gc_timer)
        await asyncio.gather(
            self.generator("slack", self.args.rate * share, self.end_at),
            self.generator("discord", self.args.rate * (1 - share), self.end_at),
            self.keeper(self.end_at),
            self.housekeeping(self.end_at),
            self.lag_probe(self.end_at),
            mark_cpu(),
        )
        gc.callbacks.remove(self.gc_timer)
        cpu1 = os.times()
        gc.collect()
        self.samples.append((time.perf_counter() - self.measure_from, rss_bytes()))
        self.task_samples.append(task_counts())
        if self.traced_start is not None:
            print_growth(self.traced_start, tracemalloc.take_snapshot())
        self.loading = False
        window = self.end_at - self.measure_from
        # Answers in flight finish (and count) before the figures are read.
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=TIMEOUT + 5)
        cpu = ((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)) if cpu0 else 0.0
        return {"window_s": window, "cpu_s": cpu}


def instrument(app: App, figures: Figures, soak_ref: list[Soak]) -> None:
    """Count core answers flagged as errors (refusals, bad input). ``handle`` sees every
    command (``handle_text`` and ``run:`` buttons end there); ``press`` is counted for
    other buttons only."""
    core = app.core
    handle, press = core.handle, core.press

    def note(platform: str, what: str, response: Response) -> None:
        # A crash's answer (FAILED) is counted where the platform shows it, not twice.
        if (response.is_error and response.title != FAILED and soak_ref
                and time.perf_counter() >= soak_ref[0].measure_from):
            figures.error(f"{platform} {what}: core answered {response.title!r}")

    async def counted_handle(request: Request) -> Response:
        response = await handle(request)
        note(request.platform, f"/{request.command} {request.subcommand or ''}".strip(),
             response)
        return response

    async def counted_press(button_id: str, context: Any) -> Response:
        response = await press(button_id, context)
        if not button_id.startswith("run:"):
            note(context.platform, f"button {button_id}", response)
        return response

    core.handle = counted_handle  # type: ignore[method-assign]
    core.press = counted_press  # type: ignore[method-assign]


# ---------------------------------------------------------------------------- setup, report
async def soak(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    from adapters.slack import start_slack
    from adapters.slack.delivery import Pacer

    load_before = os.getloadavg()[0]  # other work on the shared machine skews every figure
    figures = Figures()
    logging.getLogger().addHandler(WarningCounter(figures))
    logging.getLogger().setLevel(logging.WARNING)
    settings = Settings(_env_file=None, data_dir=folder / "data", trends_collect=False)
    if not args.default_malloc:
        tune_allocator()  # as ``framework-coach run`` does
    app = await open_app(settings, rng=random.Random(args.seed))
    soak_ref: list[Soak] = []
    instrument(app, figures, soak_ref)
    slack = WatchedSlack()
    await slack.start()
    discord_fake = WatchedDiscord()
    await discord_fake.start()
    slack_adapter = await start_slack(
        app.core, slack_api.settings_for(slack, "http", slack_manager_ids="UADMIN"),
        host="127.0.0.1", pacer=Pacer())
    try:
        async with running_adapter(app.core, discord_fake, folder / "data") as adapter:
            harness = DiscordHarness(discord_fake, adapter, app.core)
            app.outbox.register("slack", slack_adapter)
            app.outbox.register("discord", adapter)
            await app.start_schedules()
            runner = Soak(args, app, figures, slack, slack_adapter.port, discord_fake, harness)
            soak_ref.append(runner)
            await subscribe(runner)
            total = args.minutes * 60
            warmup = args.warmup if args.warmup is not None else min(60.0, total * 0.1)
            timing = await runner.run(total, warmup)
            stored = 0
            if app.store is not None:
                for tenant in (Tenant("slack", SLACK_TEAM), Tenant("discord", DISCORD_TENANT)):
                    stored += sum(e.answered for e in await app.store.leaderboard(tenant))
            runner.client.close()
            tasks_left = task_census()
            objects = len(gc.get_objects())
    finally:
        await slack_adapter.stop()
        await app.close()
        await slack.stop()
        await discord_fake.close()
    result = summarise(args, runner, timing, warmup, stored, tasks_left, objects)
    result["load_average_before"] = round(load_before, 2)
    return result


async def subscribe(runner: Soak) -> None:
    """One subscribed channel per platform, so /digest status has a schedule to show; the
    day is three days away, so no digest falls inside the run."""
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(time.gmtime().tm_wday + 3) % 7]
    text = f"/digest subscribe day:{day} time:09:00 timezone:UTC"
    await runner.slack_command(text, "UADMIN", runner.slack_channels[0], time.perf_counter())
    payload = runner.discord.interaction(
        2, runner._discord_data(text), user_id=runner.harness.snowflake("admin"),
        user_name="admin", channel_id=int(runner.discord_channels[0]),
        permissions=MANAGE_CHANNELS)
    await asyncio.wait_for(await runner.discord.dispatch(payload), TIMEOUT)


def task_counts() -> tuple[int, int, int]:
    """Live tasks, those of them that are discord.py View timeouts (each holds a View), and
    Python's live memory blocks (flat blocks under growing RSS point below Python)."""
    tasks = asyncio.all_tasks()
    views = sum(1 for t in tasks
                if getattr(t.get_coro(), "__qualname__", "").endswith("timeout_task_impl"))
    return len(tasks), views, sys.getallocatedblocks()


def task_census() -> dict[str, int]:
    """Tasks alive after the load, by coroutine name (a leak shows up as a big count)."""
    names: dict[str, int] = {}
    for task in asyncio.all_tasks():
        coro = task.get_coro()
        name = getattr(coro, "__qualname__", type(coro).__name__)
        names[name] = names.get(name, 0) + 1
    return dict(sorted(names.items(), key=lambda kv: -kv[1])[:6])


def summarise(args: argparse.Namespace, soak: Soak, timing: dict[str, float], warmup: float,
              stored: int, tasks_left: dict[str, int],
              objects: int) -> dict[str, Any]:
    f, window = soak.figures, timing["window_s"]
    mb = 1024 * 1024
    rss = [r for _, r in soak.samples]
    start, end = rss[0], rss[-1]
    growth = (end - start) / start * 100
    # Least-squares slope of RSS over the measured window, in MB per minute.
    ts = [t for t, _ in soak.samples]
    if len(ts) > 1:
        mt, mr = sum(ts) / len(ts), sum(rss) / len(rss)
        var = sum((t - mt) ** 2 for t in ts)
        slope = sum((t - mt) * (r - mr) for t, r in zip(ts, rss, strict=True)) / var * 60 / mb
    else:
        slope = 0.0
    kinds: dict[str, dict[str, Any]] = {}
    per_platform: dict[str, Histogram] = {}
    for (platform, kind), h in sorted(f.by_kind.items()):
        per_platform.setdefault(platform, Histogram()).merge(h)
        kinds.setdefault(platform, {})[kind] = figures_of(h, window)
    total = Histogram()
    for h in per_platform.values():
        total.merge(h)
    labels = {f"{p} {label}": figures_of(h, window)
              for (p, label), h in sorted(f.by_label.items())}
    return {
        "bench": "soak", "cores": os.cpu_count(), "minutes": args.minutes,
        "warmup_s": round(warmup, 1), "measured_s": round(window, 1),
        "offered_commands_per_s": args.rate,
        "ops": total.n, "ops_per_s": round(total.n / window, 1),
        "per_platform": {p: figures_of(h, window) for p, h in per_platform.items()},
        "latency": kinds, "by_command": labels,
        "errors": f.errors, "error_examples": f.error_examples,
        "skipped_overload": f.skipped, "max_in_flight": soak.max_in_flight,
        "discord_deferred": f.deferred,
        "quiz": {"starts": soak.quiz_starts, "questions_seen": soak.questions_seen,
                 "answers_recorded": soak.recorded_total, "answers_stored": stored,
                 "press_outcomes": f.outcomes},
        "rss_mb": {"before_load": round(soak.rss_before / mb, 1), "start": round(start / mb, 1),
                   "end": round(end / mb, 1), "max": round(max(rss) / mb, 1),
                   "min": round(min(rss) / mb, 1)},
        "rss_growth_pct": round(growth, 2), "rss_slope_mb_per_min": round(slope, 3),
        "rss_samples_mb": [round(r / mb, 1) for r in rss],
        "goal_growth_pct": GOAL_GROWTH_PCT, "met": growth <= GOAL_GROWTH_PCT,
        "cpu_util_pct": round(timing["cpu_s"] / window * 100, 1),
        "loop_lag_ms": {"p50": round(f.loop_lag.pct(0.5), 2), "p99": round(f.loop_lag.pct(0.99), 2),
                        "max": round(f.loop_lag.max_ms, 2)},
        "gc_pauses": {f"gen{g}": {"count": h.n, "p99_ms": round(h.pct(0.99), 2),
                                  "max_ms": round(h.max_ms, 2)}
                      for g, h in sorted(f.gc_pauses.items())},
        "fake_trims": soak.trims,
        "tasks_start_end": [soak.task_samples[0][0], soak.task_samples[-1][0]],
        "discord_view_timers_start_end": [soak.task_samples[0][1], soak.task_samples[-1][1]],
        "python_blocks_start_end": [soak.task_samples[0][2], soak.task_samples[-1][2]],
        "tasks_at_end": tasks_left, "gc_objects_at_end": objects,
        "log_warnings": f.warnings, "log_warning_examples": f.warning_examples,
    }


def figures_of(h: Histogram, window: float) -> dict[str, Any]:
    return {"ops": h.n, "ops_per_s": round(h.n / window, 1), "p50_ms": round(h.pct(0.5), 2),
            "p99_ms": round(h.pct(0.99), 2), "max_ms": round(h.max_ms, 2)}


def report(result: dict[str, Any]) -> None:
    console = Console()
    rss = result["rss_mb"]
    table = Table(title=f"Soak: Slack (HTTP) + Discord in one process, "
                        f"{result['measured_s']:.0f} s measured after {result['warmup_s']:.0f} s "
                        f"warm-up, {result['offered_commands_per_s']:g} commands/s offered "
                        f"+ quiz presses ({result['cores']} cores)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("operations completed", f"{result['ops']:,}")
    table.add_row("throughput", f"{result['ops_per_s']:,.1f} ops/s")
    for platform, fig in result["per_platform"].items():
        table.add_row(f"  {platform}", f"{fig['ops_per_s']:,.1f} ops/s ({fig['ops']:,})")
    table.add_row("errors", f"{result['errors']:,}")
    table.add_row("skipped (too many in flight)", f"{result['skipped_overload']:,}")
    table.add_row("most operations in flight", f"{result['max_in_flight']:,}")
    quiz = result["quiz"]
    table.add_row("quizzes started / questions posted",
                  f"{quiz['starts']:,} / {quiz['questions_seen']:,}")
    table.add_row("quiz answers recorded (confirmed / in storage)",
                  f"{quiz['answers_recorded']:,} / {quiz['answers_stored']:,}")
    table.add_row("other press outcomes", ", ".join(
        f"{k}: {v}" for k, v in quiz["press_outcomes"].items() if k != "recorded") or "none")
    table.add_row("RSS before load", f"{rss['before_load']:.1f} MB")
    table.add_row("RSS start (after warm-up) / end", f"{rss['start']:.1f} / {rss['end']:.1f} MB")
    table.add_row("RSS min / max", f"{rss['min']:.1f} / {rss['max']:.1f} MB")
    table.add_row("RSS growth end vs start",
                  f"{result['rss_growth_pct']:+.2f}% (goal <= {GOAL_GROWTH_PCT:g}%: "
                  f"{'met' if result['met'] else 'MISSED'})")
    table.add_row("RSS trend (least squares)", f"{result['rss_slope_mb_per_min']:+.3f} MB/min")
    table.add_row("CPU used (of one core)", f"{result['cpu_util_pct']:.0f}%")
    lag = result["loop_lag_ms"]
    table.add_row("event-loop lag p50 / p99 / max",
                  f"{lag['p50']:.2f} / {lag['p99']:.2f} / {lag['max']:.1f} ms")
    gen2 = result["gc_pauses"].get("gen2")
    if gen2:
        table.add_row("full GC (gen 2) pauses: count, max",
                      f"{gen2['count']:,}, {gen2['max_ms']:.1f} ms")
    tasks, views = result["tasks_start_end"], result["discord_view_timers_start_end"]
    table.add_row("live tasks start / end", f"{tasks[0]:,} / {tasks[1]:,}")
    table.add_row("  of them discord.py View timeouts", f"{views[0]:,} / {views[1]:,}")
    blocks = result["python_blocks_start_end"]
    table.add_row("Python memory blocks start / end", f"{blocks[0]:,} / {blocks[1]:,}")
    table.add_row("log warnings", f"{result['log_warnings']:,}")
    table.add_row("fake record trims", f"{result['fake_trims']:,}")
    console.print(table)

    lat = Table(title="Latency from due time to the answer at the fake platform")
    for col in ("platform", "kind", "ops", "ops/s", "p50 ms", "p99 ms", "max ms"):
        lat.add_column(col, justify="left" if col in ("platform", "kind") else "right")
    for platform, kinds in result["latency"].items():
        for kind, fig in kinds.items():
            lat.add_row(platform, kind, f"{fig['ops']:,}", f"{fig['ops_per_s']:.1f}",
                        f"{fig['p50_ms']:.2f}", f"{fig['p99_ms']:.2f}", f"{fig['max_ms']:.2f}")
    for platform, fig in result["per_platform"].items():
        lat.add_row(platform, "all", f"{fig['ops']:,}", f"{fig['ops_per_s']:.1f}",
                    f"{fig['p50_ms']:.2f}", f"{fig['p99_ms']:.2f}", f"{fig['max_ms']:.2f}")
    console.print(lat)

    per = Table(title="By command")
    for col in ("platform and command", "ops", "p50 ms", "p99 ms", "max ms"):
        per.add_column(col, justify="left" if col.startswith("platform") else "right")
    for name, fig in result["by_command"].items():
        per.add_row(name, f"{fig['ops']:,}", f"{fig['p50_ms']:.2f}", f"{fig['p99_ms']:.2f}",
                    f"{fig['max_ms']:.2f}")
    console.print(per)
    for example in result["error_examples"]:
        console.print(f"error: {example}", markup=False)
    for example in result["log_warning_examples"]:
        console.print(f"log: {example}", markup=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="whole run, warm-up included")
    parser.add_argument("--warmup", type=float, default=None,
                        help="seconds not measured (default: 10%% of the run, at most 60)")
    parser.add_argument("--rate", type=float, default=200.0,
                        help="commands per second offered, both platforms together")
    parser.add_argument("--slack-share", type=float, default=0.5)
    parser.add_argument("--slack-quiz-channels", type=int, default=2,
                        help="Slack's outbox posts 1 message/s per process: keep this small")
    parser.add_argument("--discord-quiz-channels", type=int, default=6)
    parser.add_argument("--players", type=int, default=12, help="per quiz channel")
    parser.add_argument("--answer-probability", type=float, default=0.9)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--question-seconds", type=int, default=5)
    parser.add_argument("--sample-seconds", type=float, default=5.0)
    parser.add_argument("--trim-seconds", type=float, default=10.0)
    parser.add_argument("--max-in-flight", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--default-malloc", action="store_true",
                        help="leave glibc's malloc thresholds alone (to compare)")
    parser.add_argument("--trace-memory", type=int, default=0, metavar="FRAMES",
                        help="tracemalloc with this many frames: print where memory grew "
                             "(slows everything down; for finding leaks, not for figures)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(soak(args, Path(tmp)))
    report(result)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
