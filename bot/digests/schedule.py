"""When a subscription's digest is due, and which period a run belongs to.

The period key ("2026-W13" for weekly, "2026-03-29" for daily, both in the channel's time
zone) is what storage claims before delivery: one key, at most one post.
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.storage import Subscription

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_LOOKBACK = {"weekly": dt.timedelta(days=8), "daily": dt.timedelta(days=2)}


class ForwardCronTrigger(CronTrigger):
    """A cron trigger whose next fire time is always after the previous one.

    For a time inside the hour repeated when summer time ends (02:30 on 25 October in
    Berlin), APScheduler 3.11's ``CronTrigger`` answers the previous fire time again, and the
    scheduler's catch-up loop spins on it forever. Digests fire at most daily, so searching
    again from an hour later is safe; the period key keeps the day to one post.
    """

    def __init__(self, **fields: object) -> None:
        super().__init__(**fields)
        self._memo: dict[tuple[dt.datetime | None, dt.datetime], dt.datetime | None] = {}

    def get_next_fire_time(
        self, previous_fire_time: dt.datetime | None, now: dt.datetime
    ) -> dt.datetime | None:
        """Memoised: subscriptions with the same schedule share this trigger, and the
        scheduler asks each of their jobs the same question when they fall due together."""
        key = (previous_fire_time, now)
        if key not in self._memo:
            if len(self._memo) > 64:
                self._memo.clear()
            self._memo[key] = self._next_after(previous_fire_time, now)
        return self._memo[key]

    def _next_after(
        self, previous_fire_time: dt.datetime | None, now: dt.datetime
    ) -> dt.datetime | None:
        found = super().get_next_fire_time(previous_fire_time, now)
        # Same zone on both sides, so Python compares wall-clock times: the repeated 02:30
        # counts as "not after" the first one and the next day's run is returned.
        if found is not None and previous_fire_time is not None and found <= previous_fire_time:
            later = max(now, previous_fire_time + dt.timedelta(hours=1))
            found = super().get_next_fire_time(None, later)
        return found


def trigger_for(sub: Subscription) -> CronTrigger:
    """A cron trigger in the channel's zone: APScheduler keeps 09:00 at 09:00 across DST."""
    weekday = None if sub.cadence == "daily" else sub.weekday
    return _trigger(weekday, sub.time, sub.timezone)


@functools.lru_cache(maxsize=4096)
def _trigger(weekday: int | None, time: str, timezone: str) -> ForwardCronTrigger:
    """One shared trigger per distinct schedule."""
    hour, minute = (int(x) for x in time.split(":"))
    zone = ZoneInfo(timezone)
    if weekday is None:
        return ForwardCronTrigger(hour=hour, minute=minute, timezone=zone)
    return ForwardCronTrigger(day_of_week=WEEKDAYS[weekday], hour=hour, minute=minute,
                              timezone=zone)


def period_key(sub: Subscription, fire_time: dt.datetime) -> str:
    local = fire_time.astimezone(ZoneInfo(sub.timezone)).date()
    if sub.cadence == "daily":
        return local.isoformat()
    year, week, _ = local.isocalendar()
    return f"{year:04d}-W{week:02d}"


def next_fire(sub: Subscription, now: dt.datetime) -> dt.datetime | None:
    """The first scheduled time strictly after ``now``."""
    return trigger_for(sub).get_next_fire_time(None, now + dt.timedelta(microseconds=1))


def last_fire(sub: Subscription, now: dt.datetime) -> dt.datetime | None:
    """The latest scheduled time at or before ``now`` (cron triggers only look forward)."""
    trigger = trigger_for(sub)
    found = None
    when = trigger.get_next_fire_time(None, now - _LOOKBACK[sub.cadence])
    while when is not None and when <= now:
        found = when
        when = trigger.get_next_fire_time(when, when + dt.timedelta(seconds=1))
    return found
