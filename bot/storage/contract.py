"""The storage contract: every method the core may call, whichever backend is behind it.

Two backends implement it side by side: ``embedded`` (a data directory, the default) and
``postgres`` (``DATABASE_URL``). Code above storage types against ``Store`` and gets one from
``open_store``; it never learns which backend it has. One contract test suite
(tests/storage/contract) runs against both.

Every write method is atomic: it is one journal line in the data directory and one
transaction in PostgreSQL, and it returns only after that is durable. The claim methods
(``claim_digest_period``, ``claim_daily``, ``save_review_card``, ``save_daily_answer``,
``record_quiz_step`` with a fold, ``close_daily``) are compare-and-set: of two callers, in
one process or several, exactly one wins.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from bot.clock import Clock

from .records import (
    AnswerRecord,
    DailyAnswer,
    DailyClose,
    DailyDay,
    DailyStreak,
    DailySub,
    DigestRecord,
    Fold,
    GameResult,
    LeaderboardEntry,
    Lease,
    QuizSession,
    ReviewCard,
    ReviewItem,
    Snapshot,
    Subscription,
    Tenant,
    UserStats,
)


class Store(abc.ABC):
    """Durable, tenant-partitioned storage. Get one from ``open_store(settings, clock)``."""

    @classmethod
    async def open(cls, data_dir: Path | str, clock: Clock, **options: Any) -> Store:
        """Open the embedded store of ``data_dir`` (tools and tests that work on a folder)."""
        from .embedded.store import EmbeddedStore

        return await EmbeddedStore.open(data_dir, clock, **options)

    # ------------------------------------------------------------------ lifecycle

    @abc.abstractmethod
    async def close(self) -> None:
        """Finish every write in progress, then release the backend (lock, connections)."""

    @abc.abstractmethod
    async def flush(self) -> None:
        """Wait until every write started so far is durable."""

    @property
    @abc.abstractmethod
    def closed(self) -> bool: ...

    @abc.abstractmethod
    async def ping(self) -> None:
        """Return if the store can serve calls now (cheap: a health check may call it every
        few seconds); raise ``StoreClosed`` or ``StorageUnavailable`` if it cannot."""

    @abc.abstractmethod
    async def tenants(self) -> list[Tenant]:
        """Tenants with stored data (sorted); a snapshot, not a live view."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ------------------------------------------------------------------ settings

    @abc.abstractmethod
    async def get_settings(self, tenant: Tenant) -> dict[str, Any]: ...

    @abc.abstractmethod
    async def update_settings(self, tenant: Tenant, **values: Any) -> dict[str, Any]:
        """Merge ``values`` into the tenant's settings; a value of None removes that key."""

    # ------------------------------------------------------------------ digest subscriptions

    @abc.abstractmethod
    async def upsert_subscription(self, tenant: Tenant, sub: Subscription) -> Subscription: ...

    @abc.abstractmethod
    async def get_subscription(self, tenant: Tenant, channel_id: str) -> Subscription | None: ...

    @abc.abstractmethod
    async def delete_subscription(self, tenant: Tenant, channel_id: str) -> bool: ...

    @abc.abstractmethod
    async def list_subscriptions(self, tenant: Tenant) -> list[Subscription]: ...

    @abc.abstractmethod
    async def all_subscriptions(self) -> list[tuple[Tenant, Subscription]]: ...

    # ------------------------------------------------------------------ posted digests

    @abc.abstractmethod
    async def claim_digest_period(self, tenant: Tenant, channel_id: str, period_key: str) -> bool:
        """Durably mark a period 'posting' before delivery; False if it was already claimed."""

    @abc.abstractmethod
    async def mark_digest_delivered(
        self, tenant: Tenant, channel_id: str, period_key: str, message_id: str | None = None
    ) -> None: ...

    @abc.abstractmethod
    async def mark_digest_failed(
        self, tenant: Tenant, channel_id: str, period_key: str, error: str, permanent: bool
    ) -> None: ...

    @abc.abstractmethod
    async def last_digest(self, tenant: Tenant, channel_id: str) -> DigestRecord | None: ...

    @abc.abstractmethod
    async def digest_period(
        self, tenant: Tenant, channel_id: str, period_key: str
    ) -> DigestRecord | None: ...

    @abc.abstractmethod
    async def digest_history(self, tenant: Tenant, channel_id: str) -> list[DigestRecord]: ...

    # ------------------------------------------------------------------ quiz sessions
    # A running game may be pressed in any process; its timer runs in the one holding its
    # lease. See bot/storage/quiz.py for the document and its rules.

    @abc.abstractmethod
    async def save_quiz_session(
        self, tenant: Tenant, channel_id: str, state: dict[str, Any],
        lease: Lease | None = None, *, new: bool = False,
    ) -> bool:
        """Save the whole game, folding in the answers it now holds. With ``lease`` (the quiz
        engine's saves) the write also renews the lease, and is refused (False) while another
        process holds the game, when a ``new`` game finds one already in the channel, or when
        the game is no longer there. Without a lease it always saves (tools and tests)."""

    @abc.abstractmethod
    async def save_quiz_answer(
        self, tenant: Tenant, channel_id: str, answer: dict[str, Any],
        check: Callable[[dict[str, Any]], str | None] | None = None,
    ) -> str:
        """A first answer (keys ``session_id``, ``question``, ``user_id``) to the open
        question: 'recorded'; or, writing nothing, 'answered', 'closed', 'ended', or the
        reason ``check`` gave when shown the saved state in the same transaction."""

    @abc.abstractmethod
    async def seal_quiz_question(
        self, tenant: Tenant, channel_id: str, game_id: str, question: int, owner: str
    ) -> list[dict[str, Any]] | None:
        """Close ``question`` to answers for good and return its answers saved one by one
        (from every process); None if ``owner`` does not hold the game."""

    @abc.abstractmethod
    async def lease_quiz_game(
        self, tenant: Tenant, channel_id: str, game_id: str, lease: Lease, *,
        force: bool = False,
    ) -> bool:
        """Take or renew a game's lease; False while another process holds it (unless
        ``force``) or once the game is gone."""

    @abc.abstractmethod
    async def quiz_game(self, tenant: Tenant, channel_id: str) -> QuizSession | None:
        """The channel's saved game, its answers saved since, and its lease."""

    async def load_quiz_session(
        self, tenant: Tenant, channel_id: str
    ) -> dict[str, Any] | None:
        game = await self.quiz_game(tenant, channel_id)
        return game.state if game else None

    @abc.abstractmethod
    async def delete_quiz_session(self, tenant: Tenant, channel_id: str) -> bool: ...

    @abc.abstractmethod
    async def active_quiz_sessions(self) -> list[QuizSession]: ...

    # ------------------------------------------------------------------ scores

    async def record_answer(self, tenant: Tenant, answer: AnswerRecord) -> None:
        """Fold one answer into the aggregates; returns once it is durable."""
        await self.record_quiz_step(tenant, None, [answer])

    async def record_answers(
        self, tenant: Tenant, answers: Iterable[AnswerRecord], fold: Fold | None = None
    ) -> bool:
        """Several answers, one write; with ``fold`` counted at most once."""
        return await self.record_quiz_step(tenant, fold, answers)

    @abc.abstractmethod
    async def record_quiz_step(
        self,
        tenant: Tenant,
        fold: Fold | None,
        answers: Iterable[AnswerRecord],
        games: Iterable[GameResult] = (),
    ) -> bool:
        """One scoring step of a game, atomic and counted at most once per ``fold``."""

    @abc.abstractmethod
    async def record_game_result(
        self, tenant: Tenant, channel_id: str, results: Iterable[GameResult]
    ) -> None: ...

    @abc.abstractmethod
    async def user_stats(
        self, tenant: Tenant, user_id: str, channel_id: str | None = None
    ) -> UserStats: ...

    @abc.abstractmethod
    async def leaderboard(
        self,
        tenant: Tenant,
        channel_id: str | None = None,
        since_week: str | None = None,
        limit: int | None = None,
    ) -> list[LeaderboardEntry]: ...

    @abc.abstractmethod
    async def review_queue(self, tenant: Tenant, user_id: str) -> list[ReviewItem]: ...

    # ------------------------------------------------------------------ practice cards

    @abc.abstractmethod
    async def review_cards(self, tenant: Tenant, user_id: str) -> list[ReviewCard]: ...

    @abc.abstractmethod
    async def save_review_card(
        self, tenant: Tenant, user_id: str, card: ReviewCard, expected_reviews: int,
        folded_miss: dt.datetime | None = None,
    ) -> bool:
        """Save a card (and drop the miss it folded in) unless it moved on; False if it had."""

    # ------------------------------------------------------------------ daily question

    @abc.abstractmethod
    async def upsert_daily_sub(
        self, tenant: Tenant, sub: DailySub, *, keep_created: bool = False
    ) -> DailySub: ...

    @abc.abstractmethod
    async def get_daily_sub(self, tenant: Tenant, channel_id: str) -> DailySub | None: ...

    @abc.abstractmethod
    async def delete_daily_sub(self, tenant: Tenant, channel_id: str) -> bool: ...

    @abc.abstractmethod
    async def all_daily_subs(self) -> list[tuple[Tenant, DailySub]]: ...

    @abc.abstractmethod
    async def claim_daily(self, tenant: Tenant, day: DailyDay) -> bool:
        """Durably claim a channel's day before posting its question; False if taken."""

    @abc.abstractmethod
    async def update_daily_day(
        self, tenant: Tenant, channel_id: str, day: str, *, expect: str | None = None,
        **changes: Any
    ) -> bool:
        """Change a stored day; with ``expect``, compare-and-set on its status. False when
        nothing changed (no such day, or another status)."""

    @abc.abstractmethod
    async def daily_days(self, tenant: Tenant, channel_id: str) -> list[DailyDay]: ...

    @abc.abstractmethod
    async def all_daily_days(self, *statuses: str) -> list[tuple[Tenant, DailyDay]]: ...

    @abc.abstractmethod
    async def save_daily_answer(
        self, tenant: Tenant, channel_id: str, day: str, answer: DailyAnswer
    ) -> str:
        """'recorded', or (writing nothing) 'answered' or 'closed'."""

    @abc.abstractmethod
    async def daily_answers(
        self, tenant: Tenant, channel_id: str, day: str
    ) -> list[DailyAnswer]: ...

    @abc.abstractmethod
    async def close_daily(self, tenant: Tenant, channel_id: str, day: str) -> DailyClose | None:
        """Close an open day atomically; None when it was not open."""

    @abc.abstractmethod
    async def daily_streaks(self, tenant: Tenant, channel_id: str) -> list[DailyStreak]: ...

    # ------------------------------------------------------------------ privacy

    @abc.abstractmethod
    async def forget_user(self, tenant: Tenant, user_id: str) -> int:
        """Delete the user's data in the tenant atomically; returns documents touched."""

    # ------------------------------------------------------------------ installations

    @abc.abstractmethod
    async def save_installation(self, tenant: Tenant, installation: dict[str, Any]) -> None:
        """Store (replace) the tenant's app installation: an opaque JSON document."""

    @abc.abstractmethod
    async def find_installation(self, tenant: Tenant) -> dict[str, Any] | None: ...

    @abc.abstractmethod
    async def delete_installation(self, tenant: Tenant) -> bool:
        """Remove the installation (its tokens) and nothing else; False if there was none."""

    @abc.abstractmethod
    async def issue_oauth_state(self, state: str, expires_at: dt.datetime) -> None:
        """Remember an OAuth ``state`` until ``expires_at`` (aware), for one consume."""

    @abc.abstractmethod
    async def consume_oauth_state(self, state: str) -> bool:
        """True exactly once for an issued, unexpired state: of concurrent callers, in one
        process or several, one wins; the state is gone afterwards whatever the answer."""

    @abc.abstractmethod
    async def delete_tenant(self, tenant: Tenant) -> bool:
        """Delete everything stored for ``tenant`` at once; False if there was nothing."""

    # ------------------------------------------------------------------ trend snapshots

    @abc.abstractmethod
    async def add_snapshots(self, snapshots: Iterable[Snapshot]) -> None: ...

    @abc.abstractmethod
    async def trends_version(self) -> int:
        """Changes whenever any process writes trend snapshots (a key for derived caches)."""

    @abc.abstractmethod
    async def claim_job(self, job: str, period: str) -> bool:
        """Claim one period of a job done once for all tenants (the daily trend
        collection): of any number of callers, in one process or several, one gets True."""

    @abc.abstractmethod
    async def snapshots(
        self,
        source: str | None = None,
        framework: str | None = None,
        metric: str | None = None,
        since: Any = None,
    ) -> list[Snapshot]: ...
