"""Digest fan-out: 10,000 subscriptions due at the same minute, posted at 50 posts/s.

The real digest service runs: the clocked APScheduler fires every job, each run claims
its period in a real store on disk (fsynced group commit), posts through the outbox to a
delivery stub capped at 50 posts/s, and records the delivery. The clock is *scaled*: its
seconds pass ``--scale`` times faster than real ones, so the 200 s the platform limit
imposes take 200/scale real seconds, while every real cost (storage, scheduling, rendering)
is counted at the same scale. Goal: all posts within 110% of the 200 s ceiling.

It also measures the cost of composing one digest from about six months of collected data.

Usage: .venv/bin/python bench/digest_fanout.py [--subs 10000] [--rate 50] [--scale 10]
The last line of output is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bot.delivery import Delivery, Outbox  # noqa: E402
from bot.digests.service import DigestService  # noqa: E402
from bot.models import Response  # noqa: E402
from bot.quiz.bank import QuestionBank  # noqa: E402
from bot.storage import Snapshot, Store, Subscription, Tenant  # noqa: E402
from bot.trends.digest import DigestBuilder, compose  # noqa: E402
from bot.trends.series import from_snapshots  # noqa: E402
from knowledge import loader  # noqa: E402

START = dt.datetime(2026, 11, 23, 8, 58, tzinfo=dt.UTC)  # a Monday, two minutes before
GOAL = 1.10


class ScaledClock:
    """Real time, sped up: ``scale`` clock seconds pass per real second."""

    def __init__(self, start: dt.datetime, scale: float) -> None:
        self.start, self.scale, self._t0 = start, scale, time.monotonic()

    def monotonic(self) -> float:
        return (time.monotonic() - self._t0) * self.scale

    def now(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=self.monotonic())

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.scale)


class Stub:
    """The platform: accepts every post, notes when it arrived on the clock."""

    def __init__(self, clock: ScaledClock, expected: int) -> None:
        self.clock, self.expected = clock, expected
        self.times: list[float] = []
        self.done = asyncio.Event()

    async def deliver(self, tenant_id: str, channel_id: str, response: Response) -> Delivery:
        self.times.append(self.clock.monotonic())
        if len(self.times) >= self.expected:
            self.done.set()
        return Delivery(ok=True, message_id=str(len(self.times)))

    async def edit(self, tenant_id: str, channel_id: str, message_id: str,
                   response: Response) -> Delivery:
        return Delivery(ok=True, message_id=message_id)


def history(knowledge, today: dt.date) -> list[Snapshot]:  # noqa: ANN001
    """About six months of daily downloads plus stars, questions and releases."""
    rng, snaps = random.Random(1), []
    base = {"pytorch": 2.9e6, "tensorflow": 7.5e5, "keras": 6e5, "jax": 6.4e5}
    for fw in knowledge.frameworks:
        for back in range(180):
            day = dt.datetime.combine(today - dt.timedelta(days=back + 1), dt.time(), dt.UTC)
            snaps.append(Snapshot("pypistats", fw, "downloads_day",
                                  base[fw] * rng.uniform(0.8, 1.2), day))
        for back in range(0, 60, 7):
            day = dt.datetime.combine(today - dt.timedelta(days=back), dt.time(), dt.UTC)
            snaps.append(Snapshot("github", fw, "stars", 1e5 - back * 30, day))
        for back in (0, 30):
            day = dt.datetime.combine(today - dt.timedelta(days=back), dt.time(), dt.UTC)
            snaps.append(Snapshot("stackexchange", fw, "questions_30d", 900 + back, day))
        snaps.append(Snapshot("github", fw, "release", START.timestamp() - 3 * 86400, START,
                              label="v1.0.0"))
    return snaps


async def fanout(args: argparse.Namespace, data_dir: Path) -> dict[str, float]:
    knowledge = loader.load()
    clock = ScaledClock(START, args.scale)
    store = await Store.open(data_dir, clock)
    await store.add_snapshots(history(knowledge, START.date()))
    tenants = [Tenant("stub", f"server{n}") for n in range(max(1, args.subs // 100))]
    subs = [(tenants[i % len(tenants)], Subscription(f"ch{i}", weekday=0, time="09:00",
                                                     created_at=START - dt.timedelta(days=1)))
            for i in range(args.subs)]
    await asyncio.gather(*(store.upsert_subscription(t, s) for t, s in subs))  # group commit
    outbox = Outbox(clock, rates={"stub": args.rate})
    stub = Stub(clock, args.subs)
    outbox.register("stub", stub)
    builder = DigestBuilder(knowledge, clock, store, QuestionBank.load())
    service = DigestService(store, outbox, builder, clock)
    t0 = time.perf_counter()
    await service.start()
    started = time.perf_counter() - t0
    due = (dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC) - START).total_seconds()
    wall0 = time.perf_counter()
    await asyncio.wait_for(stub.done.wait(), timeout=(due + args.subs / args.rate * 3)
                           / args.scale + 60)
    wall = time.perf_counter() - wall0
    await service.stop()
    sample = subs[:: max(1, args.subs // 200)]
    records = [await store.last_digest(t, s.channel_id) for t, s in sample]
    delivered = sum(1 for r in records if r is not None and r.status == "delivered")
    await store.close()
    first, last = stub.times[0] - due, stub.times[-1] - due
    return {"posts": len(stub.times), "first_post_s": first, "total_s": last,
            "ceiling_s": args.subs / args.rate, "compositions": builder.compositions,
            "wall_s": wall, "start_real_s": started, "sampled_delivered": delivered,
            "sampled": len(sample)}


def compose_cost(knowledge, repeats: int = 200) -> dict[str, float]:  # noqa: ANN001
    today = START.date()
    snaps = history(knowledge, today)
    bank = QuestionBank.load()
    series, full = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        data = from_snapshots(snaps, list(knowledge.frameworks), "weekly", today)
        t1 = time.perf_counter()
        compose(data, knowledge, today, bank)
        t2 = time.perf_counter()
        series.append((t1 - t0) * 1000)
        full.append((t2 - t0) * 1000)
    return {"series_ms": statistics.median(series), "compose_ms": statistics.median(full),
            "snapshots": len(snaps)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subs", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--scale", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(fanout(args, Path(tmp)))
    cost = compose_cost(loader.load())
    ratio = result["total_s"] / result["ceiling_s"]
    table = Table(title=f"Digest fan-out: {args.subs:,} subscriptions at {args.rate:g} posts/s "
                        f"(clock x{args.scale:g})")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("posts made", f"{result['posts']:,}")
    table.add_row("first post after due time", f"{result['first_post_s']:.2f} s")
    table.add_row("last post after due time", f"{result['total_s']:.1f} s")
    table.add_row("ceiling (subs / rate)", f"{result['ceiling_s']:.0f} s")
    table.add_row("total / ceiling", f"{ratio:.3f} (goal <= {GOAL:.2f})")
    table.add_row("digests composed", str(result["compositions"]))
    table.add_row("records delivered (sample)",
                  f"{result['sampled_delivered']}/{result['sampled']}")
    table.add_row("real time (from start to last post)", f"{result['wall_s']:.1f} s")
    table.add_row("rebuild jobs from storage (real)", f"{result['start_real_s']:.2f} s")
    table.add_row("compose one digest (median)", f"{cost['compose_ms']:.2f} ms "
                  f"({cost['snapshots']} snapshots; series {cost['series_ms']:.2f} ms)")
    Console().print(table)
    print(json.dumps({"bench": "digest_fanout", "subs": args.subs, "rate": args.rate,
                      "scale": args.scale, **{k: round(v, 3) for k, v in result.items()},
                      "ratio": round(ratio, 4), "goal_ratio": GOAL, "met": ratio <= GOAL,
                      "compose_ms": round(cost["compose_ms"], 3),
                      "series_ms": round(cost["series_ms"], 3)}))


if __name__ == "__main__":
    main()
