"""Which missed questions to review now: the more often missed, the sooner it comes back.

A question missed once waits a day before it is due again, twice half a day, three times or
more it is due at once. Due questions come first, most-missed first; if fewer than a set are
due, the next ones to fall due fill it, so a review is never empty while misses remain.
"""

from __future__ import annotations

import datetime as dt

from bot.storage import ReviewItem

SET_SIZE = 5
INTERVALS = {1: dt.timedelta(days=1), 2: dt.timedelta(hours=12)}


def due_at(item: ReviewItem) -> dt.datetime:
    return item.last_missed_at + INTERVALS.get(item.misses, dt.timedelta(0))


def due_items(items: list[ReviewItem], now: dt.datetime) -> list[ReviewItem]:
    due = sorted((i for i in items if due_at(i) <= now),
                 key=lambda i: (-i.misses, due_at(i), i.question_id))
    later = sorted((i for i in items if due_at(i) > now), key=lambda i: (due_at(i), -i.misses))
    return (due + later)[:SET_SIZE]
