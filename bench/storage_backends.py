"""Benchmark: quiz answers on PostgreSQL beside the data directory, in one run.

Run alone: ``.venv/bin/python bench/storage_backends.py`` (a minute or two; needs the
PostgreSQL server of ``TEST_POSTGRES_URL``, default postgresql://postgres@127.0.0.1:5432/test,
in which it creates a throwaway database and drops it at the end).

For each store it times ``record_answer`` (a closed question's answers joining the scores)
and ``save_quiz_answer`` (a press, checked against the running game's document and saved
before it is confirmed), every call awaited until durable, as the bot does:

* paced: 600 answers arriving at 200 a second (a busy quiz), each its own task; p50/p99 of
  the time until it is acknowledged (presses: 20 games of 30 players);
* burst: 200 players answering 10 questions each, all at once; answers per second
  (presses: 2,000 players pressing at once, 100 in each of 20 games).

Every store is filled first and then measured in five rounds that take the stores in turn;
the median run (by burst rate) is shown.

Stores: the data directory and PostgreSQL with 1,000 answers stored, and PostgreSQL with
1,000,000 answers stored (folded into the aggregates by the shared scoring code and loaded
as rows, so the database really holds that history). The last line printed is one JSON object.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg  # noqa: E402

from bot.clock import SystemClock  # noqa: E402
from bot.quiz.session import QuizSession  # noqa: E402
from bot.storage import AnswerRecord, Store, Tenant  # noqa: E402
from bot.storage.partition import Partition  # noqa: E402
from bot.storage.postgres.docs import key_row, upsert  # noqa: E402
from bot.storage.postgres.store import PostgresStore, create_pool  # noqa: E402
from bot.storage.scores import apply_answer  # noqa: E402

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
TENANT = Tenant("discord", "424242")
CHANNELS = ("quiz-1", "quiz-2", "quiz-3", "general")
BANK = 1_500
START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
PACED_COUNT, PACED_RATE = 600, 200.0
BURST_PLAYERS, BURST_EACH = 200, 10
REPEATS = 5  # rounds over all stores; the median run of each is shown


def synthetic(n: int, seed: int) -> Callable[[int], AnswerRecord]:
    """Answers of a server that has seen ``n``: ~10k a week, a few very active players."""
    rng = random.Random(seed)
    weeks, users = max(1, n // 10_000), min(3_000, 50 + n // 300)
    span = weeks * 7 * 86_400

    def one(i: int) -> AnswerRecord:
        user = min(int(rng.paretovariate(1.2)) - 1, users - 1)
        return AnswerRecord(CHANNELS[user % len(CHANNELS)], f"u{user}", f"player {user}",
                            f"q{rng.randrange(BANK)}", rng.random() < 0.65, 10,
                            START + dt.timedelta(seconds=span * i // max(n, 1)),
                            response_ms=4_000)

    return one


def folded(n: int) -> Partition:
    part = Partition(TENANT, "scores", Path())
    one = synthetic(n, seed=n)
    for i in range(n):
        apply_answer(part, one(i))
        if len(part.pending) > 50_000:
            part.take_pending()
    part.take_pending()
    return part


async def prefill_postgres(url: str, n: int) -> int:
    part = folded(n)
    rows = [(TENANT.platform, TENANT.id, table, *key_row("scores", table, d), d)
            for table, docs in part.raw.items() for d in docs.values()]
    pool = await create_pool(url, max_size=1)
    async with pool.acquire() as conn:
        await conn.execute("DELETE FROM fc_docs")
        for i in range(0, len(rows), 5_000):
            async with conn.transaction():
                await upsert(conn, rows[i:i + 5_000])
        await conn.execute("VACUUM ANALYZE fc_docs")  # no autovacuum in the middle of a run
        await conn.execute("CHECKPOINT")  # the load's writes flushed before timing starts
    await pool.close()
    return len(rows)


async def prefill_embedded(data_dir: Path, n: int) -> None:
    async with await Store.open(data_dir, SystemClock()) as store:
        one = synthetic(n, seed=n)
        await store.record_answers(TENANT, [one(i) for i in range(n)])


def answer_at(k: int, user: int) -> AnswerRecord:
    return AnswerRecord(CHANNELS[user % len(CHANNELS)], f"u{user}", f"player {user}",
                        f"q{(k * 7 + user) % BANK}", k % 3 != 0, 10,
                        START + dt.timedelta(weeks=200, seconds=k), response_ms=3_000)


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """The median run of each kind (by its burst rate), answers and presses apart."""
    answers = sorted(runs, key=lambda r: r["burst_answers_per_s"])[len(runs) // 2]
    presses = sorted(runs, key=lambda r: r["burst_presses_per_s"])[len(runs) // 2]
    return {**{k: v for k, v in answers.items() if not k.startswith(("press", "burst_p"))},
            **{k: v for k, v in presses.items() if k.startswith(("press", "burst_p"))}}


GAMES, GAME_PLAYERS, BURST_PRESSERS = 20, 30, 100


async def open_games(store: Store, tag: str) -> list[tuple[str, str]]:
    """``GAMES`` running games at question 2 of 10, each with ``GAME_PLAYERS`` players (the
    document a press is checked against); returns (channel, game id) pairs."""
    games = []
    for g in range(GAMES):
        session = QuizSession(f"{tag}-{g}", TENANT.platform, TENANT.id, f"live-{g}", "u0",
                              [f"q{i}" for i in range(10)], [0] * 10, [4] * 10, 20)
        session.open_question(START)
        for p in range(GAME_PLAYERS):
            session.answer(f"p{p}", f"player {p}", p % 4, 0, START)
        session.close_question(START, 0)
        session.advance(START)
        await store.save_quiz_session(TENANT, session.channel_id, session.to_dict())
        games.append((session.channel_id, session.id))
    return games


def press(game: str, user: str) -> dict[str, object]:
    return {"session_id": game, "question": 1, "user_id": user, "user_name": user,
            "option": 2, "answered_at": START.isoformat()}


async def measure_presses(store: Store, run: int) -> dict[str, float]:
    games = await open_games(store, f"paced{run}")
    latencies: list[float] = []

    async def timed(channel: str, game: str, user: str) -> None:
        started = time.perf_counter()
        outcome = await store.save_quiz_answer(TENANT, channel, press(game, user))
        latencies.append(time.perf_counter() - started)
        assert outcome == "recorded", outcome

    tasks, t0 = [], time.perf_counter()
    for k in range(PACED_COUNT):
        channel, game = games[k % GAMES]
        await asyncio.sleep(max(0.0, t0 + k / PACED_RATE - time.perf_counter()))
        tasks.append(asyncio.create_task(timed(channel, game, f"p{k // GAMES}")))
    await asyncio.gather(*tasks)
    latencies.sort()

    games = await open_games(store, f"burst{run}")
    t0 = time.perf_counter()
    outcomes = await asyncio.gather(*(
        store.save_quiz_answer(TENANT, channel, press(game, f"b{u}"))
        for channel, game in games for u in range(BURST_PRESSERS)))
    burst = len(outcomes) / (time.perf_counter() - t0)
    assert set(outcomes) == {"recorded"}, set(outcomes)
    return {
        "press_p50_ms": round(statistics.median(latencies) * 1000, 2),
        "press_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "burst_presses_per_s": round(burst),
    }


async def measure_once(store: Store) -> dict[str, float]:
    for k in range(50):  # warm-up: connections, caches
        await store.record_answer(TENANT, answer_at(k, k))
    latencies: list[float] = []

    async def timed(record: AnswerRecord) -> None:
        started = time.perf_counter()
        await store.record_answer(TENANT, record)
        latencies.append(time.perf_counter() - started)

    tasks, t0 = [], time.perf_counter()
    for k in range(PACED_COUNT):
        await asyncio.sleep(max(0.0, t0 + k / PACED_RATE - time.perf_counter()))
        tasks.append(asyncio.create_task(timed(answer_at(k, k % 300))))
    await asyncio.gather(*tasks)
    latencies.sort()

    async def player(user: int) -> None:
        for k in range(BURST_EACH):
            await store.record_answer(TENANT, answer_at(k, user))

    t0 = time.perf_counter()
    await asyncio.gather(*(player(u) for u in range(BURST_PLAYERS)))
    burst = BURST_PLAYERS * BURST_EACH / (time.perf_counter() - t0)
    return {
        "paced_p50_ms": round(statistics.median(latencies) * 1000, 2),
        "paced_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "burst_answers_per_s": round(burst),
    }


async def admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def main() -> dict[str, object]:
    """Every store is filled first, then measured in rounds that take the stores in turn
    (each round in another order), so a slow moment of the shared machine or of PostgreSQL
    (a checkpoint, autovacuum) falls on all of them alike instead of on one."""
    names = {n: f"fc_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}" for n in (1_000, 1_000_000)}
    urls = {n: urllib.parse.urlsplit(ADMIN_URL)._replace(path="/" + name).geturl()
            for n, name in names.items()}
    for name in names.values():
        await admin(f'CREATE DATABASE "{name}"')
    runs: dict[str, list[dict[str, float]]] = {}
    rows: dict[str, int] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            await prefill_embedded(Path(tmp) / "data", 1_000)
            stores: dict[str, Store] = {
                "data directory, 1k stored": await Store.open(Path(tmp) / "data", SystemClock())}
            for n, label in ((1_000, "PostgreSQL, 1k stored"),
                             (1_000_000, "PostgreSQL, 1M stored")):
                t0 = time.perf_counter()
                rows[label] = await prefill_postgres(urls[n], n)
                print(f"prefilled {label}: {rows[label]:,} rows in "
                      f"{time.perf_counter() - t0:.1f}s", flush=True)
                stores[label] = await PostgresStore.open(urls[n], SystemClock())
            try:
                labels = list(stores)
                for run in range(REPEATS):
                    for label in labels[run % len(labels):] + labels[:run % len(labels)]:
                        result = await measure_once(stores[label])
                        result.update(await measure_presses(stores[label], run))
                        runs.setdefault(label, []).append(result)
            finally:
                for store in stores.values():
                    await store.close()
    finally:
        for name in names.values():
            await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    results: dict[str, dict[str, float]] = {}
    for label, measured in runs.items():
        results[label] = median_run(measured)
        if label in rows:
            results[label]["rows"] = rows[label]
    return results


if __name__ == "__main__":
    results = asyncio.run(main())
    print(f"\n{'store':<28}{'paced p50':>11}{'paced p99':>11}{'burst answers/s':>17}"
          f"{'press p50':>11}{'press p99':>11}{'burst presses/s':>17}")
    for label, r in results.items():
        print(f"{label:<28}{r['paced_p50_ms']:>9.1f}ms{r['paced_p99_ms']:>9.1f}ms"
              f"{r['burst_answers_per_s']:>17,.0f}{r['press_p50_ms']:>9.1f}ms"
              f"{r['press_p99_ms']:>9.1f}ms{r['burst_presses_per_s']:>17,.0f}")
    small, big = results["PostgreSQL, 1k stored"], results["PostgreSQL, 1M stored"]
    ratio = small["burst_answers_per_s"] / big["burst_answers_per_s"]
    print(f"\nPostgreSQL burst rate, 1k vs 1M stored: {ratio:.2f}x "
          f"({'within' if ratio <= 2 else 'NOT within'} 2x)")
    print(json.dumps({"bench": "storage_backends", "results": results,
                      "pg_1k_over_1m_burst": round(ratio, 2), "within_2x": ratio <= 2}))
