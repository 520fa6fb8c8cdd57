"""Signed /framework slash commands against the Slack adapter's HTTP mode, on loopback.

Three servers run in one child process (so the load generator has the other core):
  ours  the real adapter (``start_slack``): signature check, bolt, core, Block Kit render;
  stub  the same adapter over a core that answers from a table: the adapter's own cost;
  bare  a bare slack-bolt ``AsyncApp`` that acks every command with a constant text.
Both are served the same way (aiohttp runner, no access log, ``process_before_response``)
and use a local fake Web API for the one ``auth.test`` bolt makes. The ratio ours/bare is
what our own code costs on top of the framework.

The client is a minimal asyncio HTTP/1.1 keep-alive client (bounded concurrency), so the
load generator costs little next to the servers. Rounds alternate ours/bare so drift in the
machine's speed hits both alike.

Usage: .venv/bin/python bench/slack_http.py [--requests N] [--concurrency C]
The last line of output is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
PATH = "/slack/events"
TEXTS = [
    "role:ml-engineer",
    "role:MLE",
    "data sci",
    "role:data-scientist experience:beginner region:asia goal:enterprise",
    "role:reseacher",
    "role:astronaut",
]
GOALS = {"rps": 2000.0, "p99_ms": 20.0, "ratio": 0.8}


# ---------------------------------------------------------------------------- server side
async def serve() -> None:
    from aiohttp import web
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    from adapters.slack import start_slack
    from bot.app import build_core
    from bot.config import Settings

    logging.basicConfig(level=logging.WARNING)

    async def auth_test(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "team_id": "T1", "user_id": "UBOT",
                                  "bot_id": "B1", "team": "bench", "user": "bot"},
                                 content_type="application/json")

    api = web.Application()
    api.router.add_post("/api/auth.test", auth_test)
    api_runner = web.AppRunner(api, access_log=None)
    await api_runner.setup()
    api_site = web.TCPSite(api_runner, "127.0.0.1", 0)
    await api_site.start()
    api_url = f"http://127.0.0.1:{api_site._server.sockets[0].getsockname()[1]}/api/"

    settings = Settings(_env_file=None, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                        slack_app_token=None, slack_api_url=api_url, port=0)
    core = build_core(settings)
    ours = await start_slack(core, settings, host="127.0.0.1")

    # The same adapter over a core that answers from a table: what the adapter costs alone.
    from bot.models import Context

    ctx = Context(platform="slack", user_id="U1", channel_id="C1", tenant_id="T1")
    table = {f"/framework {t}": await core.handle_text(f"/framework {t}", ctx) for t in TEXTS}
    stub_core = build_core(settings)

    async def from_table(text: str, context: Context):  # noqa: ANN202
        return table[text]

    stub_core.handle_text = from_table  # type: ignore[method-assign]
    stub = await start_slack(stub_core, settings, host="127.0.0.1")

    bare = AsyncApp(client=AsyncWebClient(token=TOKEN, base_url=api_url),
                    signing_secret=SECRET, process_before_response=True)

    @bare.command("/framework")
    async def constant(ack) -> None:  # noqa: ANN001
        await ack("ok")

    bare_runner = web.AppRunner(bare.web_app(path=PATH), access_log=None)
    await bare_runner.setup()
    bare_site = web.TCPSite(bare_runner, "127.0.0.1", 0)
    await bare_site.start()
    ports = {"ours": ours.port, "stub": stub.port,
             "bare": bare_site._server.sockets[0].getsockname()[1]}
    print(json.dumps(ports), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes our stdin
    await ours.stop()
    await stub.stop()
    await bare_runner.cleanup()
    await api_runner.cleanup()


# ---------------------------------------------------------------------------- client side
def signed_request(port: int, text: str, i: int) -> bytes:
    body = urllib.parse.urlencode({
        "token": "x", "team_id": "T1", "team_domain": "bench", "channel_id": f"C{i % 50}",
        "channel_name": "bench", "user_id": f"U{i % 200}", "user_name": "bench",
        "command": "/framework", "text": text, "api_app_id": "A1",
        "response_url": "http://127.0.0.1:9/unused", "trigger_id": f"t{i}",
    })
    return signed(port, body)


def signed(port: int, body: str) -> bytes:
    """A raw HTTP request carrying ``body``, signed as Slack signs it."""
    from slack_sdk.signature import SignatureVerifier

    ts = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
    head = (f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"X-Slack-Request-Timestamp: {ts}\r\nX-Slack-Signature: {signature}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body.encode()


async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
              request: bytes) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = await reader.readexactly(length)
    return status, body


async def load(port: int, requests: list[bytes], concurrency: int,
               expect: bytes) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue = iter(requests)

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for request in queue:
                start = time.perf_counter()
                status, body = await one(reader, writer, request)
                latencies.append((time.perf_counter() - start) * 1000)
                if status != 200 or expect not in body:
                    raise RuntimeError(f"bad answer {status}: {body[:200]!r}")
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(ports: dict[str, int], total: int, concurrency: int, rounds: int) -> dict:
    expect = {"ours": b'"blocks"', "stub": b'"blocks"', "bare": b"ok"}
    per_round = total // rounds
    names = list(ports)
    for name in names:  # warm up: first auth.test, caches, matchers
        reqs = [signed_request(ports[name], TEXTS[i % len(TEXTS)], i) for i in range(600)]
        await load(ports[name], reqs, concurrency, expect[name])
    figures: dict[str, dict] = {n: {"seconds": 0.0, "latencies": []} for n in ports}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]  # rotate who goes first
        for name in order:
            reqs = [signed_request(ports[name], TEXTS[i % len(TEXTS)], i)
                    for i in range(per_round)]
            seconds, latencies = await load(ports[name], reqs, concurrency, expect[name])
            figures[name]["seconds"] += seconds
            figures[name]["latencies"] += latencies
    out = {}
    for name, f in figures.items():
        lat = f["latencies"]
        out[name] = {
            "requests": len(lat),
            "rps": round(len(lat) / f["seconds"], 1),
            "p50_ms": round(statistics.median(lat), 2),
            "p99_ms": round(pct(lat, 0.99), 2),
            "max_ms": round(max(lat), 2),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000, help="per app")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve())
        return

    load_before = os.getloadavg()[0]  # other work on the machine skews every figure
    server = subprocess.Popen([sys.executable, __file__, "--serve"], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert server.stdout is not None
        ports = json.loads(server.stdout.readline())
        figures = asyncio.run(run(ports, args.requests, args.concurrency, args.rounds))
    finally:
        if server.stdin:
            server.stdin.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()

    from rich.console import Console
    from rich.table import Table

    ours, bare = figures["ours"], figures["bare"]
    ratio = ours["rps"] / bare["rps"]
    table = Table(title=f"Signed /framework over HTTP on loopback "
                        f"({args.requests:,} requests each, concurrency {args.concurrency}, "
                        f"{os.cpu_count()} cores)")
    for col in ("app", "requests", "req/s", "p50 ms", "p99 ms", "max ms"):
        table.add_column(col, justify="left" if col == "app" else "right")
    for name, label in (("ours", "framework-coach adapter"),
                        ("stub", "  same, core from a table"),
                        ("bare", "bare slack-bolt ack")):
        f = figures[name]
        table.add_row(label, f"{f['requests']:,}", f"{f['rps']:,.0f}", f"{f['p50_ms']:.2f}",
                      f"{f['p99_ms']:.2f}", f"{f['max_ms']:.2f}")
    console = Console()
    console.print(table)
    verdict = {
        "rps": ours["rps"] >= GOALS["rps"],
        "p99_ms": ours["p99_ms"] < GOALS["p99_ms"],
        "ratio": ratio >= GOALS["ratio"],
    }
    console.print(f"ours/bare throughput ratio: {ratio:.2f}  goals: ≥{GOALS['rps']:,.0f} req/s "
                  f"{'met' if verdict['rps'] else 'MISSED'}, p99 < {GOALS['p99_ms']:.0f} ms "
                  f"{'met' if verdict['p99_ms'] else 'MISSED'}, ratio ≥ {GOALS['ratio']} "
                  f"{'met' if verdict['ratio'] else 'MISSED'}")
    stub_ratio = figures["stub"]["rps"] / bare["rps"]
    console.print(f"adapter alone (core from a table) / bare: {stub_ratio:.2f}; the rest of the "
                  "gap is the core's own /framework work (parse, match, recommend)")
    print(json.dumps({"bench": "slack_http", "cores": os.cpu_count(),
                      "concurrency": args.concurrency, "ours": ours, "bare": bare,
                      "ours_core_from_table": figures["stub"], "ratio": round(ratio, 3),
                      "ratio_core_from_table": round(stub_ratio, 3),
                      "load_average_before": round(load_before, 2), "goals": GOALS,
                      "met": verdict}))


if __name__ == "__main__":
    main()
