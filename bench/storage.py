"""Benchmark: cost of recording a quiz answer as the stored history grows.

Run alone: ``.venv/bin/python bench/storage.py`` (about a minute). For each history size
(1,000 / 100,000 / 1,000,000 answers already stored) it prefills a store, then times:

* concurrent: 200 players (the same ids at every size) answering 50 questions each, every
  answer awaited until durable (what a busy quiz channel does; group commit batches them).
  10,000 answers is enough journal to trigger background compactions even at 1M, and the
  run waits for one there, so their cost is included;
* sequential: one coroutine awaiting 200 answers one after the other (one fsync each).

Beside it, naive TinyDB: the default ``JSONStorage`` and one ``insert`` per answer into a
database already holding 1,000 and 100,000 answer documents (a few dozen inserts timed).
Each size is measured three times on fresh copies of its store; the median run is shown
(with the min-max range of its rate). The last line printed is one JSON object.

The prefill folds synthetic answers through the store's own aggregate code (no I/O) and
writes the resulting partition as one snapshot, so the store really holds that history.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tinydb import TinyDB  # noqa: E402

from bot.clock import SystemClock  # noqa: E402
from bot.storage import AnswerRecord, Store, Tenant  # noqa: E402
from bot.storage.codec import dt_to_str  # noqa: E402
from bot.storage.embedded.atomic import write_tables  # noqa: E402
from bot.storage.embedded.disk import ensure_tenant_dir  # noqa: E402
from bot.storage.embedded.paths import snapshot_path, tenant_dir  # noqa: E402
from bot.storage.partition import META_TABLE, Partition  # noqa: E402
from bot.storage.scores import apply_answer  # noqa: E402

SIZES = (1_000, 100_000, 1_000_000)
NAIVE_SIZES = {1_000: 200, 100_000: 24}  # history size -> inserts timed
CONCURRENT_USERS, ANSWERS_EACH = 200, 50
SEQUENTIAL = 200
REPEATS = 3  # each size is measured on 3 fresh copies of its prefilled store; median kept
CHANNELS = ("quiz-1", "quiz-2", "quiz-3", "general")
BANK = 1_500
TENANT = Tenant("discord", "424242")
START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def history_shape(n: int) -> tuple[int, int]:
    """(weeks, users) of a server that has seen ``n`` answers: ~10k answers a week."""
    return max(1, n // 10_000), min(3_000, 50 + n // 300)


def prefill(data_dir: Path, n: int, seed: int) -> dict[str, int]:
    """Fold ``n`` synthetic answers into a scores partition and write it as a snapshot."""
    rng = random.Random(seed)
    weeks, users = history_shape(n)
    directory = tenant_dir(data_dir, TENANT)
    part = Partition(TENANT, "scores", directory)
    span = weeks * 7 * 86_400
    for i in range(n):
        user = min(int(rng.paretovariate(1.2)) - 1, users - 1)  # a few very active players
        when = START + dt.timedelta(seconds=span * i // n)
        apply_answer(
            part,
            AnswerRecord(
                CHANNELS[user % len(CHANNELS)],
                f"u{user}",
                f"player {user}",
                f"q{rng.randrange(BANK)}",
                rng.random() < 0.65,
                10,
                when,
                response_ms=4_000,
            ),
        )
        if len(part.pending) > 50_000:
            part.take_pending()
    part.take_pending()
    ensure_tenant_dir(directory, TENANT)
    meta = part.meta(1, 1, dt_to_str(START))
    size = write_tables(snapshot_path(directory, "scores"), {META_TABLE: {"1": meta}, **part.raw})
    return {
        "docs": sum(len(t) for t in part.raw.values()),
        "snapshot_bytes": size,
        "weeks": weeks,
        "users": users,
    }


async def loop_lag(stop: asyncio.Event, worst: list[float]) -> None:
    """Largest delay of a 1 ms timer: how long the event loop was blocked at worst."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        before = loop.time()
        await asyncio.sleep(0.001)
        worst[0] = max(worst[0], loop.time() - before - 0.001)


async def measure(data_dir: Path, n: int) -> dict[str, float]:
    clock = SystemClock()
    weeks, users = history_shape(n)
    now = START + dt.timedelta(weeks=weeks)
    rng = random.Random(n)
    t0 = time.perf_counter()
    store = await Store.open(data_dir, clock)
    load_s = time.perf_counter() - t0

    def one(user: int, k: int) -> AnswerRecord:
        return AnswerRecord(
            CHANNELS[user % len(CHANNELS)],
            f"u{user}",
            f"player {user}",
            f"q{rng.randrange(BANK)}",
            rng.random() < 0.65,
            10,
            now + dt.timedelta(seconds=k),
            response_ms=3_000,
        )

    for k in range(50):  # warm-up
        await store.record_answer(TENANT, one(k, k))
    latencies: list[float] = []

    async def player(user: int) -> None:
        for k in range(ANSWERS_EACH):
            started = time.perf_counter()
            await store.record_answer(TENANT, one(user, k))
            latencies.append(time.perf_counter() - started)

    stop, worst = asyncio.Event(), [0.0]
    lag = asyncio.create_task(loop_lag(stop, worst))
    before = dataclasses.replace(store.commit_stats)
    t0 = time.perf_counter()
    await asyncio.gather(*(player(u) for u in range(CONCURRENT_USERS)))
    await store.flush()
    while store.commit_stats.compactions == before.compactions and n == SIZES[-1]:
        await asyncio.sleep(0.01)  # wait for a compaction at 1M rather than leave it uncounted
    concurrent_s = time.perf_counter() - t0
    batches = store.commit_stats.batches - before.batches
    compactions = store.commit_stats.compactions - before.compactions
    journal_bytes = store.commit_stats.bytes - before.bytes
    stop.set()
    await lag
    t0 = time.perf_counter()
    for k in range(SEQUENTIAL):
        await store.record_answer(TENANT, one(0, k))
    sequential_s = time.perf_counter() - t0
    await store.close()
    total = CONCURRENT_USERS * ANSWERS_EACH
    latencies.sort()
    return {
        "load_s": load_s,
        "rate": total / concurrent_s,
        "sequential_rate": SEQUENTIAL / sequential_s,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "max_loop_lag_ms": worst[0] * 1000,
        "answers_per_batch": total / max(1, batches),
        "compactions": compactions,
        "journal_bytes_per_answer": journal_bytes / total,
    }


def naive(work: Path, n: int, inserts: int) -> dict[str, float]:
    """TinyDB's default JSONStorage, one insert per answer, into ``n`` existing answers."""
    path = work / f"naive-{n}.json"
    doc = {
        "platform": "discord",
        "tenant": TENANT.id,
        "channel_id": "quiz-1",
        "user_id": "u1",
        "user_name": "player 1",
        "question_id": "q1",
        "correct": True,
        "points": 10,
        "answered_at": dt_to_str(START),
        "response_ms": 4000,
    }
    path.write_text(json.dumps({"_default": {str(i): doc for i in range(1, n + 1)}}))
    db = TinyDB(path)
    t0 = time.perf_counter()
    for _ in range(inserts):
        db.insert(doc)
    elapsed = time.perf_counter() - t0
    db.close()
    return {"rate": inserts / elapsed, "inserts": inserts, "file_mb": path.stat().st_size / 1e6}


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-storage-"))
    started = time.perf_counter()
    ours: dict[int, dict[str, float]] = {}
    try:
        for n in SIZES:
            data_dir = work / f"store-{n}"
            t0 = time.perf_counter()
            shape = prefill(data_dir, n, seed=n)
            prefill_s = time.perf_counter() - t0
            runs = []
            for rep in range(REPEATS):
                copy = work / f"run-{n}-{rep}"
                shutil.copytree(data_dir, copy)
                runs.append(asyncio.run(measure(copy, n)))
                shutil.rmtree(copy)
            runs.sort(key=lambda r: r["rate"])
            median = runs[len(runs) // 2]
            ours[n] = {
                **shape,
                "prefill_s": prefill_s,
                **median,
                "rate_min": runs[0]["rate"],
                "rate_max": runs[-1]["rate"],
            }
            shutil.rmtree(data_dir)
        base = {n: naive(work, n, k) for n, k in NAIVE_SIZES.items()}
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"\nRecording quiz answers (each awaited until fsynced), {CONCURRENT_USERS} concurrent "
        f"players x {ANSWERS_EACH} answers; sequential = one awaited answer at a time\n"
    )
    head = (
        f"{'history':>10} {'docs':>8} {'snapshot':>9} {'load':>6} {'answers/s':>10} "
        f"{'(min-max)':>15} "
        f"{'seq/s':>7} {'p50':>7} {'p99':>7} {'loop lag':>9} {'per batch':>9} {'compact':>7}"
    )
    print(head)
    print("-" * len(head))
    for n, r in ours.items():
        print(
            f"{n:>10,} {int(r['docs']):>8,} {r['snapshot_bytes'] / 1e6:>7.1f}MB "
            f"{r['load_s']:>5.1f}s {r['rate']:>10,.0f} "
            f"{r['rate_min'] / 1000:>6.1f}k-{r['rate_max'] / 1000:.1f}k "
            f"{r['sequential_rate']:>7,.0f} "
            f"{r['p50_ms']:>5.1f}ms {r['p99_ms']:>5.1f}ms {r['max_loop_lag_ms']:>7.1f}ms "
            f"{r['answers_per_batch']:>9.1f} {int(r['compactions']):>7}"
        )
    print("\nNaive TinyDB (default JSONStorage, insert per answer)\n")
    for n, r in base.items():
        print(
            f"{n:>10,} answers stored ({r['file_mb']:.1f} MB): {r['rate']:>9,.1f} answers/s "
            f"({int(r['inserts'])} inserts timed)"
        )
    flat = ours[SIZES[-1]]["rate"] / ours[SIZES[0]]["rate"]
    vs_naive = ours[100_000]["rate"] / base[100_000]["rate"]
    vs_naive_seq = ours[100_000]["sequential_rate"] / base[100_000]["rate"]
    print(f"\nrate at 1M / rate at 1k: {flat:.2f}  (goal: >= 0.5, i.e. within 2x)")
    print(
        f"ours / naive at 100k:   {vs_naive:,.0f}x  (goal: >= 100x; sequential alone "
        f"{vs_naive_seq:,.0f}x)"
    )
    print(f"total bench time: {time.perf_counter() - started:.0f}s\n")
    print(
        json.dumps(
            {
                "ours": {str(n): {k: round(v, 3) for k, v in r.items()} for n, r in ours.items()},
                "naive": {str(n): {k: round(v, 3) for k, v in r.items()} for n, r in base.items()},
                "ratio_1m_over_1k": round(flat, 3),
                "ours_over_naive_100k": round(vs_naive, 1),
                "sequential_over_naive_100k": round(vs_naive_seq, 1),
                "goals_met": flat >= 0.5 and vs_naive >= 100,
            }
        )
    )


if __name__ == "__main__":
    main()
