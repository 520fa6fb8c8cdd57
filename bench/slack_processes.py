"""One vs two Slack web processes on one PostgreSQL database, side by side in one run.

Real ``framework-coach run`` processes in Slack's HTTP mode (one workspace, signed requests)
share a throwaway database; this process is both Slack (a minimal loopback fake of the Web
API and of response_url) and the load balancer, spreading requests round-robin over the
processes that serve.

* Quiz answers: ``--games`` channels per configuration each run a one-question quiz (open
  for 120 s, so for the whole run; started round-robin too, so with two processes each owns
  half the games' timers). Each round, ``--players`` new people per channel press an
  option, all games at once, with ``--concurrency`` presses in flight. A press is
  acknowledged empty at once and answered through response_url; its latency runs from
  sending the press to that answer arriving. Only answers confirmed as recorded count
  towards answers/s and the latency; refusals ("That quiz has ended", from a process that
  cannot take the game's presses) are counted and shown.
* Slash commands: ``/framework`` (answered from the knowledge, no database) and
  ``/quiz stats`` (one database read), answered in the acknowledgement.

"one" sends everything to process A; "two" spreads it over A and B. B runs throughout
(idle during "one"), and rounds alternate which configuration goes first, so drift in the
machine's speed hits both alike. The figures are the sums over the rounds; "bot CPU ms" is
the CPU time both bot processes used during a measurement, per counted request (Linux).

Usage: .venv/bin/python bench/slack_processes.py [--games G] [--players N] [--rounds R]
Needs the PostgreSQL server of TEST_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/test); without it, it says so and stops. The last line
of output is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import shutil
import socket
import statistics
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
from aiohttp import web  # noqa: E402

from bench.slack_http import SECRET, signed  # noqa: E402
from bench.storage_backends import admin  # noqa: E402

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
TOKEN = "xoxb-bench-token"
TEAM = "T1"
STARTER = "UHOST"  # in SLACK_MANAGER_IDS: starts and stops the games, sends the commands
START_TIMEOUT = 90.0  # a cold start on a busy 2-core machine
REPLY_TIMEOUT = 30.0  # safety net for one response_url answer
START = "/quiz start questions:1 time:120"  # open for the whole run: nothing closes it
COMMANDS = (("/framework role:ml-engineer", b"PyTorch"), ("/quiz stats", b"Quiz stats"))
OUTCOMES = (("recorded", b"recorded"), ("already answered", b"already answered"),
            ("quiz ended", b"That quiz has ended"), ("too late", b"Time was up"))


# ---------------------------------------------------------------------------- Slack's side
class FakeSlack:
    """The Web API calls the bot makes here, and response_url: each answer wakes its press."""

    def __init__(self) -> None:
        self.questions: dict[str, asyncio.Future[list[str]]] = {}  # channel -> button values
        self.replies: dict[str, asyncio.Future[tuple[float, bytes]]] = {}  # response_url key
        self._ts = itertools.count(1)
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    def question(self, channel: str) -> asyncio.Future[list[str]]:
        return self.questions.setdefault(channel, asyncio.get_running_loop().create_future())

    def reply(self, key: str) -> asyncio.Future[tuple[float, bytes]]:
        return self.replies.setdefault(key, asyncio.get_running_loop().create_future())

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            data: dict[str, Any] = await request.json()
        else:
            data = dict(await request.post())
        if method == "auth.test":
            return _json({"ok": True, "team_id": TEAM, "user_id": "UBOT", "bot_id": "B1",
                          "team": "bench", "user": "framework-coach"})
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            blocks = data.get("blocks") or []
            if isinstance(blocks, str):
                blocks = json.loads(blocks)
            values = [e["value"] for b in blocks if b.get("type") == "actions"
                      for e in b.get("elements", ()) if str(e.get("value")).startswith("quiz:")]
            if method == "chat.postMessage" and values:
                found = self.question(str(data.get("channel")))
                if not found.done():
                    found.set_result(values)
            ts = data.get("ts") or f"1700000000.{next(self._ts):06d}"
            return _json({"ok": True, "channel": data.get("channel"), "ts": ts})
        return _json({"ok": False, "error": "not_in_bench"})

    async def _response(self, request: web.Request) -> web.Response:
        body = await request.read()
        found = self.reply(request.match_info["key"])
        if not found.done():
            found.set_result((time.perf_counter(), body))
        return web.Response(text="ok")


def _json(body: dict[str, Any]) -> web.Response:
    return web.Response(text=json.dumps(body), content_type="application/json")


# ---------------------------------------------------------------------------- the processes
def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    name: str
    port: int
    proc: asyncio.subprocess.Process
    log: Path


async def launch(name: str, database_url: str, api_url: str, tmp: Path) -> Process:
    """``framework-coach run`` in Slack's HTTP mode on its own port; returns at once."""
    exe = shutil.which("framework-coach", path=str(Path(sys.executable).parent))
    assert exe, "the console script is installed with the package"
    port = unused_port()
    home = tmp / name
    home.mkdir()
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ")}
    env = {**keep, "HOME": str(home), "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING",
           "DATA_DIR": str(home / "data"), "DATABASE_URL": database_url, "PORT": str(port),
           "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": api_url,
           "SLACK_MANAGER_IDS": STARTER, "TRENDS_COLLECT": "false"}
    log = home / "bot.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            exe, "run", cwd=home, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=out,
            stderr=asyncio.subprocess.STDOUT)
    return Process(name, port, proc, log)


async def ready(process: Process) -> None:
    """Wait until its /healthz answers 200 (or fail with its log if it exits)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.proc.returncode is not None:
            raise RuntimeError(f"process {process.name} exited: "
                               f"{process.log.read_text()[-3000:]}")
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", process.port)
        except OSError:
            await asyncio.sleep(0.2)
            continue
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        status = (await reader.read()).split(b" ", 2)[1:2]
        writer.close()
        if status == [b"200"]:
            return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"process {process.name} not ready in {START_TIMEOUT:.0f} s")


async def stop(process: Process) -> None:
    if process.proc.returncode is None:
        process.proc.terminate()
        try:
            await asyncio.wait_for(process.proc.wait(), 30)
        except TimeoutError:
            process.proc.kill()
            await process.proc.wait()


# ---------------------------------------------------------------------------- requests
_keys = itertools.count(1)


def command(port: int, fake: FakeSlack, text: str, *, user: str, channel: str) -> bytes:
    name, _, rest = text.partition(" ")
    return signed(port, urllib.parse.urlencode({
        "token": "x", "team_id": TEAM, "team_domain": "bench", "channel_id": channel,
        "channel_name": channel, "user_id": user, "user_name": user, "command": name,
        "text": rest, "api_app_id": "A1", "is_enterprise_install": "false",
        "response_url": f"http://127.0.0.1:{fake.port}/response/cmd-{next(_keys)}",
        "trigger_id": f"t{next(_keys)}"}))


def press(port: int, fake: FakeSlack, value: str, *, user: str,
          channel: str) -> tuple[bytes, str]:
    """A click on a quiz option, as Slack sends it; and its response_url key."""
    key = f"act-{next(_keys)}"
    payload = {
        "type": "block_actions", "user": {"id": user, "username": user, "team_id": TEAM},
        "api_app_id": "A1", "token": "x", "trigger_id": f"t{next(_keys)}",
        "container": {"type": "message", "message_ts": "1700000000.000001",
                      "channel_id": channel, "is_ephemeral": False},
        "team": {"id": TEAM, "domain": "bench"}, "enterprise": None,
        "is_enterprise_install": False, "channel": {"id": channel, "name": channel},
        "response_url": f"http://127.0.0.1:{fake.port}/response/{key}",
        "actions": [{"action_id": "fc:0", "block_id": "b", "value": value, "type": "button",
                     "text": {"type": "plain_text", "text": "A"}, "action_ts": "1"}],
    }
    return signed(port, urllib.parse.urlencode({"payload": json.dumps(payload)})), key


async def exchange(conn: tuple[asyncio.StreamReader, asyncio.StreamWriter],
                   request: bytes) -> tuple[int, bytes]:
    reader, writer = conn
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    return status, await reader.readexactly(length)


@dataclass
class Job:
    """One request: to which process, and (a press) which response_url answers it."""

    process: int
    request: bytes
    key: str | None = None


@dataclass
class Measured:
    latencies_ms: list[float] = field(default_factory=list)  # the counted ones only
    outcomes: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    cpu: float = 0.0  # CPU seconds the bot processes used meanwhile (Linux; else 0)


BOT_PIDS: list[int] = []  # whose CPU time each measurement reads


def cpu_seconds() -> float:
    """User + system CPU time of the bot processes so far (0 where /proc is missing)."""
    total = 0
    for pid in BOT_PIDS:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


async def run_jobs(ports: list[int], fake: FakeSlack, jobs: list[Job], concurrency: int,
                   expect: bytes | None = None) -> Measured:
    """Send ``jobs`` with ``concurrency`` in flight, each worker keeping one connection per
    process. A press waits for its response_url answer; a command for its acknowledgement
    (which must contain ``expect``)."""
    measured = Measured()
    queue = iter(jobs)

    async def worker() -> None:
        conns = [await asyncio.open_connection("127.0.0.1", port) for port in ports]
        try:
            for job in queue:
                reply = fake.reply(job.key) if job.key else None
                started = time.perf_counter()
                status, body = await exchange(conns[job.process], job.request)
                if status != 200:
                    raise RuntimeError(f"HTTP {status}: {body[:300]!r}")
                if reply is None:
                    if expect is not None and expect not in body:
                        raise RuntimeError(f"unexpected answer: {body[:300]!r}")
                    measured.outcomes["answered"] += 1
                    measured.latencies_ms.append((time.perf_counter() - started) * 1000)
                    continue
                arrived, text = await asyncio.wait_for(reply, REPLY_TIMEOUT)
                fake.replies.pop(job.key or "", None)
                outcome = next((name for name, mark in OUTCOMES if mark in text), "other")
                measured.outcomes[outcome] += 1
                if outcome == "recorded":
                    measured.latencies_ms.append((arrived - started) * 1000)
        finally:
            for _, writer in conns:
                writer.close()

    started, cpu = time.perf_counter(), cpu_seconds()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    measured.seconds = time.perf_counter() - started
    measured.cpu = cpu_seconds() - cpu
    return measured


# ---------------------------------------------------------------------------- one round
async def start_games(ports: list[int], fake: FakeSlack, label: str, games: int,
                      concurrency: int) -> list[str]:
    """Start one-question quizzes, round-robin over ``ports``; returns at once with their
    channels. Their questions' buttons come later: ``questions`` waits for them."""
    channels = [f"C{label}{g}" for g in range(games)]
    starts = [Job(g % len(ports), command(ports[g % len(ports)], fake, START, user=STARTER,
                                          channel=c)) for g, c in enumerate(channels)]
    await run_jobs(ports, fake, starts, min(concurrency, games), expect=b"Quiz starting")
    return channels


async def questions(fake: FakeSlack, channels: list[str]) -> list[list[str]]:
    """Each game's option buttons, once posted (a process posts one message a second)."""
    return [await asyncio.wait_for(fake.question(c), START_TIMEOUT) for c in channels]


async def press_round(ports: list[int], fake: FakeSlack, games: list[tuple[str, list[str]]],
                      label: str, players: int, concurrency: int) -> Measured:
    """``players`` new people press an option in every game, all games at once; each press
    goes to the next process in turn, whichever process started the game."""
    jobs = []
    for p, g in itertools.product(range(players), range(len(games))):
        channel, values = games[g]
        process = (p + g) % len(ports)
        request, key = press(ports[process], fake, values[(p + g) % len(values)],
                             user=f"{label}U{p}", channel=channel)
        jobs.append(Job(process, request, key))
    return await run_jobs(ports, fake, jobs, concurrency)


async def command_round(ports: list[int], fake: FakeSlack, text: str, expect: bytes,
                        count: int, concurrency: int) -> Measured:
    jobs = [Job(i % len(ports), command(ports[i % len(ports)], fake, text, user=STARTER,
                                        channel=f"C{i % 50}")) for i in range(count)]
    return await run_jobs(ports, fake, jobs, concurrency, expect=expect)


# ---------------------------------------------------------------------------- the run
def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def summary(runs: list[Measured], counted: str) -> dict[str, Any]:
    latencies = [v for r in runs for v in r.latencies_ms]
    outcomes: Counter[str] = sum((r.outcomes for r in runs), Counter())
    seconds = sum(r.seconds for r in runs)
    cpu = sum(r.cpu for r in runs)
    return {
        "sent": sum(outcomes.values()),
        "outcomes": dict(outcomes),
        "per_s": round(outcomes[counted] / seconds, 1) if seconds else 0.0,
        "bot_cpu_ms_each": round(cpu * 1000 / outcomes[counted], 2) if outcomes[counted]
        else None,
        "p50_ms": round(statistics.median(latencies), 2) if latencies else None,
        "p99_ms": round(pct(latencies, 0.99), 2) if latencies else None,
    }


async def bench(args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    fake = FakeSlack()
    await fake.start()
    api_url = f"http://127.0.0.1:{fake.port}/api/"
    with tempfile.TemporaryDirectory() as tmp:
        processes = []
        try:
            processes = [await launch(n, database_url, api_url, Path(tmp)) for n in "ab"]
            await asyncio.gather(*(ready(p) for p in processes))
            BOT_PIDS[:] = [p.proc.pid for p in processes]
            configs = {"one": [processes[0].port], "two": [p.port for p in processes]}
            # The games stay open through the run (120 s to answer, no one closes them).
            channels = {name: await start_games(ports, fake, name, args.games,
                                                args.concurrency)
                        for name, ports in configs.items()}
            for ports in configs.values():  # warm-up while the questions are posted
                for text, expect in COMMANDS:
                    await command_round(ports, fake, text, expect, 200, args.concurrency)
            games = {name: list(zip(c, await questions(fake, c), strict=True))
                     for name, c in channels.items()}
            runs: dict[str, dict[str, list[Measured]]] = {
                c: {"answers": [], "framework": [], "stats": []} for c in configs}
            for name, ports in configs.items():
                await press_round(ports, fake, games[name], "w", 20, args.concurrency)
            for r in range(args.rounds):
                order = list(configs) if r % 2 == 0 else list(reversed(configs))
                for name in order:
                    ports = configs[name]
                    runs[name]["answers"].append(await press_round(
                        ports, fake, games[name], f"r{r}", args.players, args.concurrency))
                    for kind, (text, expect) in zip(("framework", "stats"), COMMANDS,
                                                    strict=True):
                        runs[name][kind].append(await command_round(
                            ports, fake, text, expect, args.commands, args.concurrency))
                print(f"round {r + 1}/{args.rounds} done", flush=True)
        finally:
            for process in processes:
                await stop(process)
            await fake.stop()
    return {name: {"answers": summary(kinds["answers"], "recorded"),
                   "framework": summary(kinds["framework"], "answered"),
                   "quiz_stats": summary(kinds["stats"], "answered")}
            for name, kinds in runs.items()}


async def main(args: argparse.Namespace) -> dict[str, Any] | str:
    name = f"fc_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        await admin(f'CREATE DATABASE "{name}"')
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        return (f"PostgreSQL not reachable at {re.sub(r'//[^@/]*@', '//', ADMIN_URL)} "
                f"({type(exc).__name__}); set TEST_POSTGRES_URL to an admin URL")
    try:
        return await bench(args, urllib.parse.urlsplit(ADMIN_URL)._replace(
            path="/" + name).geturl())
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def report(args: argparse.Namespace, figures: dict[str, Any], load_before: float) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Slack web processes on one PostgreSQL database ({os.cpu_count()} "
                        f"cores, {args.rounds} rounds, concurrency {args.concurrency})")
    for col in ("processes", "what", "sent", "counted/s", "p50 ms", "p99 ms", "bot CPU ms",
                "refused"):
        table.add_column(col, justify="left" if col in ("processes", "what") else "right")
    for name, kinds in figures.items():
        for kind, label in (("answers", "quiz answers (recorded)"),
                            ("framework", "/framework"), ("quiz_stats", "/quiz stats")):
            f = kinds[kind]
            refused = sum(v for k, v in f["outcomes"].items() if k not in ("recorded",
                                                                            "answered"))
            table.add_row(name, label, f"{f['sent']:,}", f"{f['per_s']:,.0f}",
                          f"{f['p50_ms']:.1f}" if f["p50_ms"] is not None else "-",
                          f"{f['p99_ms']:.1f}" if f["p99_ms"] is not None else "-",
                          f"{f['bot_cpu_ms_each']:.2f}" if f["bot_cpu_ms_each"] else "-",
                          f"{refused:,}" if kind == "answers" else "")
    console = Console(width=max(110, Console().width))  # the table on one line a row
    console.print(table)
    for name, kinds in figures.items():
        console.print(f"{name}: press outcomes {kinds['answers']['outcomes']}")
    ratios = {kind: round(figures["two"][kind]["per_s"] / figures["one"][kind]["per_s"], 2)
              if figures["one"][kind]["per_s"] else None for kind in figures["one"]}
    console.print(f"two/one throughput: answers {ratios['answers']}, /framework "
                  f"{ratios['framework']}, /quiz stats {ratios['quiz_stats']} "
                  f"(load average before: {load_before:.2f})")
    print(json.dumps({"bench": "slack_processes", "cores": os.cpu_count(),
                      "rounds": args.rounds, "concurrency": args.concurrency,
                      "games": args.games, "players": args.players, "commands": args.commands,
                      "one": figures["one"], "two": figures["two"], "two_over_one": ratios,
                      "load_average_before": round(load_before, 2)}))


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--games", type=int, default=6,
                        help="quizzes per configuration, all running at once")
    parser.add_argument("--players", type=int, default=100,
                        help="new players per game and round")
    parser.add_argument("--commands", type=int, default=1000, help="of each command")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]  # other work on the machine skews every figure
    result = asyncio.run(main(args))
    if isinstance(result, str):
        print(f"skipped: {result}")
        print(json.dumps({"bench": "slack_processes", "skipped": result}))
        return
    report(args, result, load_before)


if __name__ == "__main__":
    cli()
