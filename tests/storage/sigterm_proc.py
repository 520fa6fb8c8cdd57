"""Graceful-shutdown helper for test_signals.

Uses a FakeClock and a commit delay, so after the first acknowledged batch every further
write stays pending (the flusher lingers on fake time that never moves) until SIGTERM makes
``install_signal_handlers`` close the store, which must flush them before the exit.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from bot.clock import FakeClock
from bot.storage import AnswerRecord, Store, Tenant, install_signal_handlers

T = Tenant("discord", "77")
ACKED, PENDING = 10, 40


def answer(clock: FakeClock, question: str) -> AnswerRecord:
    return AnswerRecord("c1", "u1", "Ann", question, True, 10, clock.now())


async def main(data_dir: str) -> int:
    clock = FakeClock()
    store = await Store.open(data_dir, clock, commit_delay=1.0)
    closed = install_signal_handlers(asyncio.get_running_loop(), store)

    first = [
        asyncio.create_task(store.record_answer(T, answer(clock, f"a{i}"))) for i in range(ACKED)
    ]
    while not all(t.done() for t in first):
        await clock.advance(1.0)  # ends the flusher's lingering: this batch is acknowledged
    await asyncio.gather(*first)
    print(f"ACKED {ACKED}", flush=True)

    pending = [
        asyncio.create_task(store.record_answer(T, answer(clock, f"p{i}"))) for i in range(PENDING)
    ]
    pending.append(asyncio.create_task(store.update_settings(T, lang="nl")))
    await asyncio.sleep(0.05)
    assert not any(t.done() for t in pending), "writes should still be waiting for the flusher"
    print(f"PENDING {len(pending)}", flush=True)

    await closed.wait()
    results = await asyncio.gather(*pending, return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    print(f"DONE {len(results) - len(failed)} FAILED {len(failed)}", flush=True)
    return 0 if not failed else 1


if __name__ == "__main__":
    signal.alarm(120)  # never outlive a test run that died without killing us
    sys.exit(asyncio.run(main(sys.argv[1])))
