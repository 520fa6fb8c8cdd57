"""Crash-test writer: writes in a loop and prints each write once it is acknowledged.

Run as ``python writer_proc.py DATA_DIR TRIAL``. ``test_crash`` kills it with SIGKILL at a
random moment, then checks that every write printed here is on disk. Output lines:
``A <task> <i>`` answer i of user u<task>; ``Q <i>`` quiz state n=i; ``S <i>`` setting
last=[trial, i]; ``T <i>`` trend snapshot value i; ``D <i>`` digest period claimed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import sys

from bot.clock import SystemClock
from bot.storage import AnswerRecord, Snapshot, Store, Tenant

TENANTS = (Tenant("discord", "1001"), Tenant("slack", "T0CRASH"))
ANSWER_TASKS = 8
DIGEST_CLAIMS = 150  # stays under the 200 records kept per channel
COMPACT_MIN_BYTES = 4096  # compact often, so kills also land inside compactions
PLAYERS = 1000


def ack(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def main(data_dir: str, trial: int) -> None:
    clock = SystemClock()
    store = await Store.open(data_dir, clock, compact_min_bytes=COMPACT_MIN_BYTES)
    ack("READY")
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=trial)

    async def answers(k: int) -> None:
        i = 0
        while True:
            i += 1
            record = AnswerRecord(
                "c", f"u{k}", f"user {k}", f"q{i % 7}", i % 3 != 0, 10, clock.now()
            )
            await store.record_answer(TENANTS[k % 2], record)
            ack(f"A {k} {i}")

    async def sessions() -> None:
        # A big state (~40 KB): its partition is re-snapshotted every couple of saves, in
        # several write() calls, so many kills land in the middle of a snapshot rewrite.
        players = [{"id": f"p{j}", "name": f"player {j}", "score": j} for j in range(PLAYERS)]
        i = 0
        while True:
            i += 1
            await store.save_quiz_session(
                TENANTS[0], "c", {"trial": trial, "n": i, "players": players}
            )
            ack(f"Q {i}")

    async def settings() -> None:
        i = 0
        while True:
            i += 1
            await store.update_settings(TENANTS[1], last=[trial, i])
            ack(f"S {i}")

    async def trends() -> None:
        i = 0
        while True:
            i += 1
            when = base + dt.timedelta(microseconds=i)
            await store.add_snapshots([Snapshot("crash", f"t{trial}", "n", float(i), when)])
            ack(f"T {i}")

    async def digests() -> None:
        for i in range(1, DIGEST_CLAIMS + 1):
            if await store.claim_digest_period(TENANTS[0], f"c{trial}", f"p{i}"):
                ack(f"D {i}")
        await asyncio.Event().wait()

    tasks = [answers(k) for k in range(ANSWER_TASKS)]
    await asyncio.gather(*tasks, sessions(), settings(), trends(), digests())


if __name__ == "__main__":
    signal.alarm(120)  # never outlive a test run that died without killing us
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
