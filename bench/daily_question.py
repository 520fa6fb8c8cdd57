"""The daily question and review practice at a busy server's scale, on a real store on disk.

- Answers: ``--players`` people press a button of one open daily question at once, through
  the service's real press path; each answer is fsynced (group commit) before it is
  confirmed. Reports the time to confirm them all and the median and p99 per answer.
- Close: closing that day folds every answer into the totals, weekly scores, review queue
  and daily streaks in one commit. Reports its time.
- Practice: one person with ``--cards`` practice cards; the time to build the queue (every
  card read back through FSRS) and to record one practice answer.

Usage: .venv/bin/python bench/daily_question.py [--players 1000] [--cards 300]
The last line of output is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bot.clock import FakeClock  # noqa: E402
from bot.delivery import Outbox  # noqa: E402
from bot.quiz import review  # noqa: E402
from bot.quiz.bank import QuestionBank  # noqa: E402
from bot.quiz.daily import DailyService  # noqa: E402
from bot.storage import AnswerRecord, DailyDay, DailySub, Store, Tenant  # noqa: E402

TENANT = Tenant("console", "bench")
DAY = "2026-03-10"


async def daily(players: int, data_dir: Path) -> dict[str, float]:
    clock = FakeClock(dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC))
    store = await Store.open(data_dir, clock)
    bank = QuestionBank.load()
    service = DailyService(store, Outbox(clock), bank, clock)
    question = next(iter(bank.shipped.values()))
    await store.upsert_daily_sub(TENANT, DailySub("room"))
    await store.claim_daily(TENANT, DailyDay(
        "room", DAY, "posting", question.id, tuple(range(len(question.options))), clock.now(),
        clock.now() + dt.timedelta(days=1)))
    await store.update_daily_day(TENANT, "room", DAY, status="open", opened_at=clock.now())
    latencies: list[float] = []

    async def press(n: int) -> None:
        started = time.perf_counter()
        done = await service.press(f"daily:{DAY}:{n % len(question.options)}", "console",
                                   "bench", "room", f"u{n}", f"User {n}")
        assert done.title.startswith("Answer"), done.title
        latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(press(n) for n in range(players)))
    answers_s = time.perf_counter() - started
    started = time.perf_counter()
    closed = await store.close_daily(TENANT, "room", DAY)
    close_s = time.perf_counter() - started
    assert closed is not None and len(closed.answers) == players
    await store.close()
    latencies.sort()
    return {"answers_s": answers_s, "answer_median_ms": statistics.median(latencies) * 1000,
            "answer_p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
            "close_ms": close_s * 1000}


async def practice(cards: int, data_dir: Path) -> dict[str, float]:
    clock = FakeClock(dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC))
    store = await Store.open(data_dir, clock)
    for n in range(cards):
        await store.record_answer(TENANT, AnswerRecord(
            channel_id="room", user_id="ann", user_name="Ann", question_id=f"q{n}",
            correct=False, points=0, answered_at=clock.now()))
    clock.set(clock.now() + dt.timedelta(hours=1))
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        items = review.practice(await store.review_cards(TENANT, "ann"),
                                await store.review_queue(TENANT, "ann"))
        due = review.due_now(items, clock.now())
        runs.append(time.perf_counter() - started)
    assert len(due) == cards
    started = time.perf_counter()
    outcome = review.answer(due[0], True, clock.now())
    assert await store.save_review_card(TENANT, "ann", outcome.saved, due[0].stored.reviews,
                                        due[0].folded_miss)
    answer_s = time.perf_counter() - started
    await store.close()
    return {"queue_ms": statistics.median(runs) * 1000, "practice_answer_ms": answer_s * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=1000)
    parser.add_argument("--cards", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        day = asyncio.run(daily(args.players, Path(tmp) / "daily"))
        cards = asyncio.run(practice(args.cards, Path(tmp) / "practice"))
    table = Table(title=f"Daily question ({args.players:,} players) and practice "
                        f"({args.cards} cards)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("all answers confirmed (fsynced)", f"{day['answers_s']:.2f} s")
    table.add_row("one answer: median / p99", f"{day['answer_median_ms']:.1f} / "
                  f"{day['answer_p99_ms']:.1f} ms")
    table.add_row("close the day (one commit)", f"{day['close_ms']:.1f} ms")
    table.add_row("build a review queue (median of 5)", f"{cards['queue_ms']:.1f} ms")
    table.add_row("record one practice answer (fsynced)", f"{cards['practice_answer_ms']:.1f} ms")
    Console().print(table)
    print(json.dumps({"bench": "daily_question", "players": args.players, "cards": args.cards,
                      **{k: round(v, 3) for k, v in {**day, **cards}.items()}}))


if __name__ == "__main__":
    main()
