"""Typed records the rest of the core exchanges with the store (never raw TinyDB documents)."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .codec import require_aware

Cadence = Literal["weekly", "daily"]
DigestStatus = Literal["posting", "delivered", "failed"]

_TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
GLOBAL_PLATFORM = "global"


@dataclass(frozen=True, slots=True, order=True)
class Tenant:
    """A platform workspace (Slack team, Discord guild): the unit of data isolation."""

    platform: str
    id: str

    def __post_init__(self) -> None:
        for name in ("platform", "id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value or len(value) > 256 or "\x00" in value:
                raise ValueError(
                    f"Tenant.{name} must be a string of 1-256 chars without NUL: {value!r}"
                )


GLOBAL_TENANT = Tenant(GLOBAL_PLATFORM, "global")
"""Reserved owner of data shared by every tenant (trend snapshots)."""


def check_tenant(tenant: Tenant) -> None:
    """Refuse a non-Tenant, and the reserved global tenant, as the owner of tenant data."""
    if not isinstance(tenant, Tenant):
        raise TypeError(f"expected a Tenant, got {tenant!r}")
    if tenant.platform == GLOBAL_PLATFORM:
        raise ValueError(f"platform '{GLOBAL_PLATFORM}' is reserved for shared data")


@dataclass(frozen=True, slots=True)
class Subscription:
    """A channel's digest schedule plus the outcome of its last run."""

    channel_id: str
    cadence: Cadence = "weekly"
    weekday: int = 0  # 0 = Monday; ignored for daily digests
    time: str = "09:00"  # local time 'HH:MM' in ``timezone``
    timezone: str = "UTC"
    created_by: str = ""
    created_at: dt.datetime | None = None  # filled in by the store when None
    enabled: bool = True
    disabled_reason: str | None = None
    last_run_at: dt.datetime | None = None
    last_error: str | None = None

    def __post_init__(self) -> None:
        if not self.channel_id:
            raise ValueError("Subscription.channel_id is required")
        if self.cadence not in ("weekly", "daily"):
            raise ValueError(f"cadence must be 'weekly' or 'daily', got {self.cadence!r}")
        if not (isinstance(self.weekday, int) and 0 <= self.weekday <= 6):
            raise ValueError(f"weekday must be 0..6 (Monday=0), got {self.weekday!r}")
        if not _TIME_RE.match(self.time):
            raise ValueError(f"time must be 'HH:MM', got {self.time!r}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {self.timezone!r}") from exc
        for name in ("created_at", "last_run_at"):
            value = getattr(self, name)
            if value is not None:
                require_aware(value, f"Subscription.{name}")


@dataclass(frozen=True, slots=True)
class DigestRecord:
    """One digest period of one channel: claimed before delivery, then delivered or failed."""

    channel_id: str
    period_key: str
    status: DigestStatus
    claimed_at: dt.datetime
    attempts: int = 1
    delivered_at: dt.datetime | None = None
    message_id: str | None = None
    error: str | None = None
    permanent: bool = False


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    """One quiz answer; the store folds it into aggregates and does not keep it as such."""

    channel_id: str
    user_id: str
    user_name: str
    question_id: str
    correct: bool
    points: int
    answered_at: dt.datetime
    response_ms: int | None = None
    streak: int | None = None

    def __post_init__(self) -> None:
        for name in ("channel_id", "user_id", "question_id"):
            if not getattr(self, name):
                raise ValueError(f"AnswerRecord.{name} is required")
        require_aware(self.answered_at, "AnswerRecord.answered_at")


@dataclass(frozen=True, slots=True)
class Fold:
    """Which question of which game a batch of answers belongs to (counted at most once), and
    whether the batch ends the game (its games and wins are then counted, also at most once)."""

    channel_id: str
    session_id: str
    question: int
    game_over: bool = False


@dataclass(frozen=True, slots=True)
class GameResult:
    """A player's outcome in one finished quiz game."""

    user_id: str
    user_name: str
    won: bool


@dataclass(frozen=True, slots=True)
class UserStats:
    user_id: str
    user_name: str = ""
    answered: int = 0
    correct: int = 0
    points: int = 0
    games_played: int = 0
    games_won: int = 0
    best_streak: int = 0
    avg_response_ms: float | None = None
    first_answered_at: dt.datetime | None = None
    last_answered_at: dt.datetime | None = None

    @property
    def accuracy(self) -> float:
        return self.correct / self.answered if self.answered else 0.0


@dataclass(frozen=True, slots=True)
class LeaderboardEntry:
    rank: int
    user_id: str
    user_name: str
    points: int
    correct: int
    answered: int


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A question the user missed and has not answered correctly since."""

    question_id: str
    misses: int
    last_missed_at: dt.datetime
    channel_id: str


@dataclass(frozen=True, slots=True)
class QuizSession:
    """A saved game: the engine's state, the answers saved one by one since, and its lease."""

    tenant: Tenant
    channel_id: str
    state: dict[str, Any] = field(default_factory=dict)
    updated_at: dt.datetime | None = None
    answers: list[dict[str, Any]] = field(default_factory=list)  # saved after ``state``
    owner: str | None = None  # the process running the game's timer
    lease_until: dt.datetime | None = None  # None: nobody (alive) holds the game


@dataclass(frozen=True, slots=True)
class Lease:
    """A process's claim on a running game's timer, until ``until`` unless renewed."""

    owner: str
    until: dt.datetime


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One trend measurement (global data, shared by all tenants)."""

    source: str
    framework: str
    metric: str
    value: float
    fetched_at: dt.datetime
    label: str | None = None  # a text that goes with the value, e.g. a release's tag

    def __post_init__(self) -> None:
        if not (self.source and self.framework and self.metric):
            raise ValueError("Snapshot.source, framework and metric are required")
        if not isinstance(self.value, int | float) or not math.isfinite(self.value):
            raise ValueError(f"Snapshot.value must be a finite number, got {self.value!r}")
        require_aware(self.fetched_at, "Snapshot.fetched_at")


@dataclass(frozen=True, slots=True)
class ReviewCard:
    """A question a user practises: its spaced-repetition state (opaque to the store) plus
    counts. ``reviews`` changes with every practice answer, so a repeated press is spotted."""

    question_id: str
    card: dict[str, Any]
    misses: int = 0
    reviews: int = 0
    correct: int = 0
    learned_at: dt.datetime | None = None
    channel_id: str = ""


@dataclass(frozen=True, slots=True)
class DailySub:
    """A channel's daily question: posted at ``time`` local time, revealed at ``close`` (or,
    when None, when the next one is posted)."""

    channel_id: str
    time: str = "09:00"
    timezone: str = "UTC"
    topic: str | None = None
    close: str | None = None
    created_by: str = ""
    created_at: dt.datetime | None = None  # filled in by the store when None
    enabled: bool = True
    disabled_reason: str | None = None
    skipped: tuple[str, ...] = ()  # local days missed while the bot was down (latest last)
    note: str | None = None  # why the last day was skipped or failed, for status

    def __post_init__(self) -> None:
        if not self.channel_id:
            raise ValueError("DailySub.channel_id is required")
        for name in ("time", "close"):
            value = getattr(self, name)
            if value is not None and not _TIME_RE.match(value):
                raise ValueError(f"{name} must be 'HH:MM', got {value!r}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {self.timezone!r}") from exc


@dataclass(frozen=True, slots=True)
class DailyDay:
    """One channel's question of one local day: claimed before it is posted (never twice)."""

    channel_id: str
    day: str  # local date 'YYYY-MM-DD' in the subscription's zone
    status: str  # posting | open | failed | closed | revealing | revealed
    question_id: str
    order: tuple[int, ...]  # bank option index shown at each button position
    claimed_at: dt.datetime
    closes_at: dt.datetime
    opened_at: dt.datetime | None = None
    message_id: str | None = None
    error: str | None = None
    permanent: bool = False
    attempts: int = 1
    late: bool = False  # posted after its time (a restart inside the grace)
    revealing_at: dt.datetime | None = None  # when a process claimed the reveal


@dataclass(frozen=True, slots=True)
class DailyAnswer:
    user_id: str
    user_name: str
    option: int  # button position pressed
    correct: bool
    answered_at: dt.datetime


@dataclass(frozen=True, slots=True)
class DailyStreak:
    user_id: str
    user_name: str
    current: int
    best: int


@dataclass(frozen=True, slots=True)
class DailyClose:
    """What closing a day did, for the reveal: every answer, and the streaks after it."""

    day: DailyDay
    answers: list[DailyAnswer]
    streaks: list[DailyStreak]
