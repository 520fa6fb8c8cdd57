"""Second-process helper for test_lock: open DATA_DIR, report, exit like the CLI would."""

from __future__ import annotations

import asyncio
import signal
import sys

from bot.clock import SystemClock
from bot.storage import DataDirLocked, Store


async def main(data_dir: str) -> int:
    try:
        store = await Store.open(data_dir, SystemClock())
    except DataDirLocked as exc:
        print(exc, file=sys.stderr)
        return 2
    print("OPENED", flush=True)
    if len(sys.argv) > 2 and sys.argv[2] == "hold":
        sys.stdin.readline()  # keep the lock until the test closes our stdin
    await store.close()
    return 0


if __name__ == "__main__":
    signal.alarm(120)  # never outlive a test run that died without killing us
    sys.exit(asyncio.run(main(sys.argv[1])))
