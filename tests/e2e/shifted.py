"""``framework-coach`` for end-to-end tests whose schedule must come round within seconds.

``python -m tests.e2e.shifted run`` is ``framework-coach run`` with two test-only changes,
read from the environment before the bot starts:

* ``E2E_CLOCK_OFFSET``: seconds added to the bot's clock (``SystemClock.now``). Digest
  times have a minute's resolution, so a test sets the same offset on every process to put
  the next minute a few seconds ahead of them, instead of waiting up to a minute.
* ``E2E_DIGEST_REFRESH``: seconds between re-reads of the stored digest (and daily
  question) subscriptions on a shared database (a minute in production), so a subscription
  made through one process reaches the others at once.

Only the clock's reading moves: sleeps and the monotonic clock are real, and so is
everything else the bot does.
"""

from __future__ import annotations

import datetime as dt
import os
import sys


def shift() -> None:
    offset = float(os.environ.get("E2E_CLOCK_OFFSET") or 0)
    if offset:
        from bot.clock import SystemClock

        real_now = SystemClock.now
        delta = dt.timedelta(seconds=offset)
        SystemClock.now = lambda self: real_now(self) + delta  # type: ignore[method-assign]
    refresh = os.environ.get("E2E_DIGEST_REFRESH")
    if refresh:
        import bot.app

        assert hasattr(bot.app, "REFRESH"), "the digest refresh interval moved"
        bot.app.REFRESH = dt.timedelta(seconds=float(refresh))  # type: ignore[attr-defined]


if __name__ == "__main__":
    shift()
    from bot.cli import main

    sys.exit(main())
