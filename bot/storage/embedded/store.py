"""The typed, async storage API the rest of the core uses (nothing else touches TinyDB).

Every tenant-scoped call takes the ``Tenant`` first and only ever looks inside that tenant's
partitions, which live in that tenant's own folder. A write changes the in-memory state
synchronously (so two coroutines can never interleave inside one update), then waits for the
group commit: when ``await store.record_answer(...)`` returns, the answer is on disk.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tinydb import Query, TinyDB

from bot.clock import Clock

from .. import cards, daily, digests, installations, quiz, scores, settings
from .. import snapshots as snapshots_docs
from ..codec import dt_to_str, json_clone, require_aware
from ..contract import Store
from ..errors import StorageUnavailable, StoreClosed
from ..partition import GLOBAL_KINDS, TENANT_KINDS, LiveStorage, Partition
from ..records import (
    GLOBAL_TENANT,
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
    check_tenant,
)
from .atomic import make_dirs
from .committer import CommitStats, Committer
from .disk import LoadReport, discover_tenants, load_partition, remove_temp_files
from .lock import DataDirLock
from .paths import tenant_dir

log = logging.getLogger("framework_coach.storage")



def data_dir_from_env(environ: Mapping[str, str] | None = None) -> Path:
    """``DATA_DIR`` from the environment, defaulting to ``./data``."""
    return Path((environ if environ is not None else os.environ).get("DATA_DIR", "./data"))


class EmbeddedStore(Store):
    """The data-directory backend of the storage contract (the default, one process)."""

    def __init__(
        self,
        data_dir: Path,
        clock: Clock,
        lock: DataDirLock,
        parts: dict[tuple[Tenant, str], Partition],
        committer: Committer,
        reports: list[tuple[Tenant, str, LoadReport]],
    ) -> None:
        self.data_dir = data_dir
        self._clock = clock
        self._lock = lock
        self._parts = parts
        self._committer = committer
        self.load_reports = reports  # what recovery/migration did at open (for logs and tests)
        self._closed = False
        self._close_task: asyncio.Task[None] | None = None
        self._oauth_states = installations.OAuthStates()
        # Owners that took a quiz lease through this store: the data directory's lock means
        # any other owner's lease was held by a process that is gone.
        self._lease_owners: set[str] = set()

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    async def open(
        cls,
        data_dir: Path | str,
        clock: Clock,
        *,
        commit_delay: float = 0.0,
        compact_min_bytes: int = 1 << 20,
        keep_backups: int = 3,
    ) -> EmbeddedStore:
        """Lock ``data_dir``, then load, recover and migrate every partition in it.

        ``commit_delay`` (seconds on ``clock``) lets the flusher wait to gather bigger batches;
        the default 0 still batches whatever arrives while a write is in progress.
        Raises ``DataDirLocked`` if another process owns the directory.
        """
        data_dir = Path(data_dir)
        await asyncio.to_thread(make_dirs, data_dir)
        lock = DataDirLock(data_dir)
        await asyncio.to_thread(lock.acquire, clock)
        try:
            started = clock.monotonic()
            parts, reports = await asyncio.to_thread(
                _load_all, data_dir, clock, compact_min_bytes, keep_backups
            )
        except BaseException:
            lock.release()
            raise
        log.info(
            "opened %s: %d partitions of %d tenants in %.2fs",
            data_dir,
            len(parts),
            len({t for t, _ in parts}),
            clock.monotonic() - started,
        )
        committer = Committer(
            clock,
            commit_delay=commit_delay,
            compact_min_bytes=compact_min_bytes,
            keep_backups=keep_backups,
        )
        committer.start()
        return cls(data_dir, clock, lock, parts, committer, reports)

    async def close(self) -> None:
        """Flush every pending write, finish compactions, then release the directory lock."""
        if self._close_task is None:
            self._closed = True
            self._close_task = asyncio.get_running_loop().create_task(self._do_close())
        await asyncio.shield(self._close_task)

    async def _do_close(self) -> None:
        try:
            await self._committer.close()
        finally:
            self._lock.release()
            log.info("closed %s", self.data_dir)

    async def flush(self) -> None:
        """Wait until every write started so far is on disk."""
        await self._committer.flush()

    async def checkpoint(self) -> None:
        """Flush, then fold every journal into its snapshot.

        Afterwards the ``*.json`` files alone hold all data: call it before copying DATA_DIR
        for an off-site backup. Normal operation never needs it (compaction is automatic).
        """
        await self._committer.checkpoint(list(self._parts.values()))

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def commit_stats(self) -> CommitStats:
        return self._committer.stats

    async def ping(self) -> None:
        """Open and its data directory still there (an unmounted volume fails here)."""
        if self._closed:
            raise StoreClosed("the store is closed")
        if not await asyncio.to_thread(self.data_dir.is_dir):
            raise StorageUnavailable(f"the data directory {self.data_dir} is gone")

    async def tenants(self) -> list[Tenant]:
        return sorted(
            {t for t, _ in self._parts if t != GLOBAL_TENANT}, key=lambda t: (t.platform, t.id)
        )

    def partitions(self) -> list[tuple[Tenant, str, dict[str, list[dict[str, Any]]]]]:
        """Every partition's documents by table, global data included: what
        ``storage migrate`` copies into a database."""
        return [
            (tenant, kind, {name: list(table) for name, table in part.tables.items()})
            for (tenant, kind), part in sorted(
                self._parts.items(), key=lambda kv: (kv[0][0].platform, kv[0][0].id, kv[0][1]))
        ]

    # ------------------------------------------------------------------ internals

    def _read(self, tenant: Tenant, kind: str) -> Partition | None:
        check_tenant(tenant)
        return self._parts.get((tenant, kind))

    def _write(self, tenant: Tenant, kind: str) -> Partition:
        if self._closed:
            raise StoreClosed("the store is closed; the write was not made")
        part = self._parts.get((tenant, kind))
        if part is None:
            part = Partition(tenant, kind, tenant_dir(self.data_dir, tenant))
            self._parts[(tenant, kind)] = part
        return part

    def _all(self, kind: str) -> list[Partition]:
        return [p for (t, k), p in self._parts.items() if k == kind and t != GLOBAL_TENANT]

    def _now(self) -> str:
        return dt_to_str(self._clock.now())  # type: ignore[return-value]

    async def _commit(self, *parts: Partition) -> None:
        await self._committer.commit(*parts)

    # ------------------------------------------------------------------ settings

    async def get_settings(self, tenant: Tenant) -> dict[str, Any]:
        return settings.values(self._read(tenant, "settings"))

    async def update_settings(self, tenant: Tenant, **values: Any) -> dict[str, Any]:
        """Merge ``values`` into the tenant's settings; a value of None removes that key."""
        check_tenant(tenant)
        clean = json_clone(values, "settings")
        p = self._write(tenant, "settings")
        merged = settings.merge(p, clean, self._now())
        await self._commit(p)
        return merged

    # ------------------------------------------------------------------ subscriptions

    async def upsert_subscription(self, tenant: Tenant, sub: Subscription) -> Subscription:
        check_tenant(tenant)
        if sub.created_at is None:
            sub = dataclasses.replace(sub, created_at=self._clock.now())
        p = self._write(tenant, "digests")
        p.put("subscriptions", digests.sub_to_doc(sub))
        await self._commit(p)
        return sub

    async def get_subscription(self, tenant: Tenant, channel_id: str) -> Subscription | None:
        p = self._read(tenant, "digests")
        doc = p["subscriptions"].get(channel_id) if p else None
        return digests.doc_to_sub(doc) if doc else None

    async def delete_subscription(self, tenant: Tenant, channel_id: str) -> bool:
        check_tenant(tenant)
        p = self._write(tenant, "digests")
        removed = p.delete("subscriptions", channel_id)
        await self._commit(p)
        return removed

    async def list_subscriptions(self, tenant: Tenant) -> list[Subscription]:
        p = self._read(tenant, "digests")
        if p is None:
            return []
        docs = TinyDB(p, storage=LiveStorage).table("subscriptions", cache_size=0).all()
        return sorted((digests.doc_to_sub(d) for d in docs), key=lambda s: s.channel_id)

    async def all_subscriptions(self) -> list[tuple[Tenant, Subscription]]:
        """Every tenant's subscriptions (for the scheduler at start-up)."""
        return [
            (p.tenant, digests.doc_to_sub(d))
            for p in sorted(self._all("digests"), key=lambda p: (p.tenant.platform, p.tenant.id))
            for d in sorted(p["subscriptions"], key=lambda d: d["channel_id"])
        ]

    # ------------------------------------------------------------------ posted digests

    async def claim_digest_period(self, tenant: Tenant, channel_id: str, period_key: str) -> bool:
        """Durably mark a period as 'posting' before delivery; False if it was already claimed.

        A period whose earlier attempt failed *temporarily* can be claimed again. A period left
        'posting' by a crash stays claimed: the message may have gone out, and a duplicate
        digest is worse than a missed one (check ``last_digest`` to decide).
        """
        check_tenant(tenant)
        p = self._write(tenant, "digests")
        if not digests.claim(p, channel_id, period_key, self._now()):
            return False
        await self._commit(p)
        return True

    async def mark_digest_delivered(
        self, tenant: Tenant, channel_id: str, period_key: str, message_id: str | None = None
    ) -> None:
        """Record delivery, and stamp the subscription's ``last_run_at``."""
        check_tenant(tenant)
        p = self._write(tenant, "digests")
        digests.delivered(p, channel_id, period_key, self._now(), message_id)
        await self._commit(p)

    async def mark_digest_failed(
        self, tenant: Tenant, channel_id: str, period_key: str, error: str, permanent: bool
    ) -> None:
        """Record a failed delivery. A permanent failure also disables the subscription."""
        check_tenant(tenant)
        p = self._write(tenant, "digests")
        digests.failed(p, channel_id, period_key, self._now(), error, permanent)
        await self._commit(p)

    async def last_digest(self, tenant: Tenant, channel_id: str) -> DigestRecord | None:
        records = digests.history(self._read(tenant, "digests"), channel_id)
        return records[-1] if records else None

    async def digest_period(
        self, tenant: Tenant, channel_id: str, period_key: str
    ) -> DigestRecord | None:
        """The record of one period, if it was ever claimed."""
        p = self._read(tenant, "digests")
        doc = p["posted"].get(channel_id, period_key) if p else None
        return digests.to_record(doc) if doc else None

    async def digest_history(self, tenant: Tenant, channel_id: str) -> list[DigestRecord]:
        """Posted-digest records of a channel, oldest claim first (the last 200 are kept)."""
        return digests.history(self._read(tenant, "digests"), channel_id)

    # ------------------------------------------------------------------ quiz sessions

    async def save_quiz_session(
        self, tenant: Tenant, channel_id: str, state: dict[str, Any],
        lease: Lease | None = None, *, new: bool = False,
    ) -> bool:
        """Save the whole game; answers saved one by one that it now holds are dropped."""
        check_tenant(tenant)
        state = json_clone(state, "quiz state")
        p = self._write(tenant, "quiz")
        if lease is not None:
            self._lease_owners.add(lease.owner)
        if not quiz.save(p, channel_id, state, self._clock.now(), lease, new, self._void):
            return False
        await self._commit(p)
        return True

    async def save_quiz_answer(
        self, tenant: Tenant, channel_id: str, answer: dict[str, Any],
        check: quiz.Check | None = None,
    ) -> str:
        """Save one first answer to the open question without rewriting the whole state: a
        small write, in the same partition as the state."""
        check_tenant(tenant)
        p = self._write(tenant, "quiz")
        outcome = quiz.add_answer(p, channel_id, json_clone(answer, "quiz answer"), check)
        if outcome == "recorded":
            await self._commit(p)
        return outcome

    async def seal_quiz_question(
        self, tenant: Tenant, channel_id: str, game_id: str, question: int, owner: str
    ) -> list[dict[str, Any]] | None:
        check_tenant(tenant)
        p = self._write(tenant, "quiz")
        answers = quiz.seal(p, channel_id, game_id, question, owner, self._clock.now(),
                            self._void)
        if answers is not None:
            await self._commit(p)
        return answers

    async def lease_quiz_game(
        self, tenant: Tenant, channel_id: str, game_id: str, lease: Lease, *,
        force: bool = False,
    ) -> bool:
        check_tenant(tenant)
        p = self._write(tenant, "quiz")
        self._lease_owners.add(lease.owner)
        if not quiz.take(p, channel_id, game_id, lease, force, self._clock.now(), self._void):
            return False
        await self._commit(p)
        return True

    async def quiz_game(self, tenant: Tenant, channel_id: str) -> QuizSession | None:
        p = self._read(tenant, "quiz")
        doc = p["sessions"].get(channel_id) if p else None
        if p is None or doc is None:
            return None
        return quiz.to_record(tenant, doc, p["answers"].where("channel_id", channel_id),
                              self._void)

    async def delete_quiz_session(self, tenant: Tenant, channel_id: str) -> bool:
        check_tenant(tenant)
        p = self._write(tenant, "quiz")
        removed = quiz.drop_game(p, channel_id)
        await self._commit(p)
        return removed

    async def active_quiz_sessions(self) -> list[QuizSession]:
        """Every tenant's saved games (to resume or take over)."""
        return [
            quiz.to_record(p.tenant, d, p["answers"].where("channel_id", d["channel_id"]),
                           self._void)
            for p in self._all("quiz")
            for d in p["sessions"]
        ]

    def _void(self, owner: str) -> bool:
        return owner not in self._lease_owners

    # ------------------------------------------------------------------ scores

    async def record_quiz_step(
        self,
        tenant: Tenant,
        fold: Fold | None,
        answers: Iterable[AnswerRecord],
        games: Iterable[GameResult] = (),
    ) -> bool:
        """One scoring step of a quiz game as one atomic write: a question's answers and, when
        ``fold.game_over``, one game (and win) for each of ``games``.

        Counted at most once per ``fold``: a step replayed after a crash adds only what it had
        not added yet, so the manager can replay any step it cannot prove finished. (Every
        backend keeps this contract: the file store writes one journal line, a database one
        transaction.) Returns False when nothing was left to count.
        """
        check_tenant(tenant)
        answers, games = list(answers), list(games)
        p = self._write(tenant, "scores")
        if not scores.quiz_step(p, fold, answers, games):
            return False
        await self._commit(p)
        return True

    async def record_game_result(
        self, tenant: Tenant, channel_id: str, results: Iterable[GameResult]
    ) -> None:
        """Count one finished game for each player (played, and won if ``won``)."""
        check_tenant(tenant)
        results = list(results)
        p = self._write(tenant, "scores")
        scores.apply_games(p, channel_id, results)
        await self._commit(p)

    async def user_stats(
        self, tenant: Tenant, user_id: str, channel_id: str | None = None
    ) -> UserStats:
        return scores.user_stats(self._read(tenant, "scores"), user_id, channel_id)

    async def leaderboard(
        self,
        tenant: Tenant,
        channel_id: str | None = None,
        since_week: str | None = None,
        limit: int | None = None,
    ) -> list[LeaderboardEntry]:
        """Ranking by points; ``since_week`` ('YYYY-Www', see ``iso_week``) starts the window."""
        return scores.leaderboard(self._read(tenant, "scores"), channel_id, since_week, limit)

    async def review_queue(self, tenant: Tenant, user_id: str) -> list[ReviewItem]:
        return scores.review_queue(self._read(tenant, "scores"), user_id)

    # ------------------------------------------------------------------ practice cards

    async def review_cards(self, tenant: Tenant, user_id: str) -> list[ReviewCard]:
        """Every question the user practises, learned ones included."""
        p = self._read(tenant, "scores")
        if p is None:
            return []
        found = [cards.to_card(d) for d in p["cards"].where("user_id", user_id)]
        return sorted(found, key=lambda c: c.question_id)

    async def save_review_card(
        self, tenant: Tenant, user_id: str, card: ReviewCard, expected_reviews: int,
        folded_miss: dt.datetime | None = None,
    ) -> bool:
        """Save a practised card, and drop the quiz miss it folded in (``folded_miss``, its
        time), in one commit. False, writing nothing, when the stored card no longer has
        ``expected_reviews`` reviews: that answer was already counted."""
        check_tenant(tenant)
        p = self._write(tenant, "scores")
        if not cards.save(p, user_id, card, expected_reviews, dt_to_str(folded_miss),
                          self._now()):
            return False
        await self._commit(p)
        return True

    # ------------------------------------------------------------------ daily question

    async def upsert_daily_sub(
        self, tenant: Tenant, sub: DailySub, *, keep_created: bool = False
    ) -> DailySub:
        """Store a channel's daily question; ``keep_created`` keeps the first creation time
        of a subscription that is being changed (days before it are never caught up)."""
        check_tenant(tenant)
        p = self._write(tenant, "scores")
        sub = daily.put_sub(p, sub, keep_created, self._clock.now())
        await self._commit(p)
        return sub

    async def get_daily_sub(self, tenant: Tenant, channel_id: str) -> DailySub | None:
        p = self._read(tenant, "scores")
        doc = p["daily_subs"].get(channel_id) if p else None
        return daily.doc_to_sub(doc) if doc else None

    async def delete_daily_sub(self, tenant: Tenant, channel_id: str) -> bool:
        check_tenant(tenant)
        if self._read(tenant, "scores") is None:
            return False
        p = self._write(tenant, "scores")
        removed = p.delete("daily_subs", channel_id)
        await self._commit(p)
        return removed

    async def all_daily_subs(self) -> list[tuple[Tenant, DailySub]]:
        return [
            (p.tenant, daily.doc_to_sub(d))
            for p in sorted(self._all("scores"), key=lambda p: (p.tenant.platform, p.tenant.id))
            for d in sorted(p["daily_subs"], key=lambda d: d["channel_id"])
        ]

    async def claim_daily(self, tenant: Tenant, day: DailyDay) -> bool:
        """Durably claim a channel's day before posting its question; False if taken."""
        check_tenant(tenant)
        p = self._write(tenant, "scores")
        if not daily.claim(p, day, self._now()):
            return False
        await self._commit(p)
        return True

    async def update_daily_day(
        self, tenant: Tenant, channel_id: str, day: str, *, expect: str | None = None,
        **changes: Any
    ) -> bool:
        """Record what happened to a claimed day (posted: 'open'; 'failed'; 'revealed');
        with ``expect``, only if its status is that one."""
        check_tenant(tenant)
        p = self._write(tenant, "scores")
        clean = {k: dt_to_str(v) if isinstance(v, dt.datetime) else v for k, v in changes.items()}
        if not daily.update_day(p, channel_id, day, expect, **clean):
            return False
        await self._commit(p)
        return True

    async def daily_days(self, tenant: Tenant, channel_id: str) -> list[DailyDay]:
        """The channel's recent days, oldest first."""
        return daily.days(self._read(tenant, "scores"), channel_id)

    async def all_daily_days(self, *statuses: str) -> list[tuple[Tenant, DailyDay]]:
        """Every tenant's days in one of ``statuses`` (open questions to close after a start)."""
        return [
            (p.tenant, daily.doc_to_day(d))
            for p in self._all("scores")
            for d in p["daily_days"]
            if d["status"] in statuses
        ]

    async def save_daily_answer(
        self, tenant: Tenant, channel_id: str, day: str, answer: DailyAnswer
    ) -> str:
        """Store a first answer to an open day durably: 'recorded'; or, writing nothing,
        'answered' (the person had answered) or 'closed' (the day is not open)."""
        check_tenant(tenant)
        p = self._write(tenant, "scores")
        outcome = daily.answer(p, channel_id, day, answer)
        if outcome == "recorded":
            await self._commit(p)
        return outcome

    async def daily_answers(self, tenant: Tenant, channel_id: str, day: str) -> list[DailyAnswer]:
        return daily.answers(self._read(tenant, "scores"), channel_id, day)

    async def close_daily(self, tenant: Tenant, channel_id: str, day: str) -> DailyClose | None:
        """Close an open day in one commit: answers scored, streaks moved, day closed. None
        when it was not open (a second close adds nothing)."""
        check_tenant(tenant)
        p = self._write(tenant, "scores")
        closed = daily.close(p, channel_id, day, self._now())
        if closed is None:
            return None
        await self._commit(p)
        return closed

    async def daily_streaks(self, tenant: Tenant, channel_id: str) -> list[DailyStreak]:
        return daily.streaks(self._read(tenant, "scores"), channel_id)

    async def forget_user(self, tenant: Tenant, user_id: str) -> int:
        """Delete the user's scores, reviews and unsaved quiz answers, and drop their name from
        subscriptions they made.

        Returns the number of documents removed or anonymised. Quiz session state is opaque to
        the store: the quiz engine must remove the user from a running game itself.
        """
        check_tenant(tenant)
        touched: list[Partition] = []
        count = 0
        if self._read(tenant, "scores") is not None:
            p = self._write(tenant, "scores")
            count += scores.forget_user(p, user_id)
            count += daily.forget(p, user_id)
            touched.append(p)
        if self._read(tenant, "quiz") is not None:
            p = self._write(tenant, "quiz")
            for doc in [d for d in p["answers"] if d["user_id"] == user_id]:
                count += p.delete("answers", doc["channel_id"], user_id)
            touched.append(p)
        if self._read(tenant, "digests") is not None:
            p = self._write(tenant, "digests")
            for doc in list(p["subscriptions"]):
                if doc.get("created_by") == user_id:
                    p.put("subscriptions", {**doc, "created_by": ""})
                    count += 1
            touched.append(p)
        if touched:
            await self._commit(*touched)
        return count

    # ------------------------------------------------------------------ installations

    async def save_installation(self, tenant: Tenant, installation: dict[str, Any]) -> None:
        """Store (replace) the tenant's app installation: an opaque JSON document."""
        check_tenant(tenant)
        p = self._write(tenant, "settings")
        installations.put(p, installation, self._clock.now())
        await self._commit(p)

    async def find_installation(self, tenant: Tenant) -> dict[str, Any] | None:
        return installations.get(self._read(tenant, "settings"))

    async def delete_installation(self, tenant: Tenant) -> bool:
        """Remove the tenant's installation (its tokens) and nothing else; False if none."""
        check_tenant(tenant)
        if installations.get(self._read(tenant, "settings")) is None:
            return False
        p = self._write(tenant, "settings")
        installations.delete(p)
        await self._commit(p)
        return True

    async def issue_oauth_state(self, state: str, expires_at: dt.datetime) -> None:
        """Remember an OAuth ``state`` until ``expires_at`` (aware), for one consume."""
        self._oauth_states.issue(state, require_aware(expires_at, "expires_at"),
                                 self._clock.now())

    async def consume_oauth_state(self, state: str) -> bool:
        """True exactly once for an issued, unexpired state; atomic (first caller wins)."""
        return self._oauth_states.consume(state, self._clock.now())

    async def delete_tenant(self, tenant: Tenant) -> bool:
        """Delete everything stored for ``tenant`` (installation, settings, subscriptions,
        quizzes, scores); False if there was nothing. For the operator's command: stop
        the tenant's timers first, nothing may write to it meanwhile."""
        check_tenant(tenant)
        await self.flush()
        gone = [key for key in self._parts if key[0] == tenant]
        for key in gone:
            del self._parts[key]
        directory = tenant_dir(self.data_dir, tenant)
        exists = await asyncio.to_thread(directory.exists)
        if exists:
            await asyncio.to_thread(shutil.rmtree, directory)
        return bool(gone) or exists

    # ------------------------------------------------------------------ trend snapshots

    async def add_snapshots(self, snapshots: Iterable[Snapshot]) -> None:
        """Store trend measurements (global); re-adding the same measurement overwrites it."""
        snapshots = list(snapshots)
        if not snapshots:
            return
        p = self._write(GLOBAL_TENANT, "trends")
        snapshots_docs.put(p, snapshots)
        await self._commit(p)

    async def trends_version(self) -> int:
        """Changes whenever trend snapshots are written: a cheap key for derived caches."""
        return snapshots_docs.version(self._parts.get((GLOBAL_TENANT, "trends")))

    async def claim_job(self, job: str, period: str) -> bool:
        p = self._write(GLOBAL_TENANT, "trends")
        if not snapshots_docs.claim(p, job, period, self._now()):
            return False
        await self._commit(p)
        return True

    async def snapshots(
        self,
        source: str | None = None,
        framework: str | None = None,
        metric: str | None = None,
        since: Any = None,
    ) -> list[Snapshot]:
        """Measurements matching every given filter, oldest first."""
        p = self._parts.get((GLOBAL_TENANT, "trends"))
        if p is None:
            return []
        q = Query()
        cond = q.noop()
        if source is not None:
            cond &= q.source == source
        if framework is not None:
            cond &= q.framework == framework
        if metric is not None:
            cond &= q.metric == metric
        if since is not None:
            cond &= q.fetched_at >= dt_to_str(require_aware(since, "since"))
        return snapshots_docs.to_list(
            TinyDB(p, storage=LiveStorage).table("snapshots", cache_size=0).search(cond))


# ---------------------------------------------------------------------- helpers


def _load_all(
    data_dir: Path, clock: Clock, compact_min_bytes: int, keep_backups: int
) -> tuple[dict[tuple[Tenant, str], Partition], list[tuple[Tenant, str, LoadReport]]]:
    parts: dict[tuple[Tenant, str], Partition] = {}
    reports = []
    for tenant, directory in discover_tenants(data_dir, clock).items():
        remove_temp_files(directory)
        for kind in GLOBAL_KINDS if tenant == GLOBAL_TENANT else TENANT_KINDS:
            part, report = load_partition(
                directory,
                tenant,
                kind,
                clock,
                compact_min_bytes=compact_min_bytes,
                keep_backups=keep_backups,
            )
            if part is not None:
                parts[(tenant, kind)] = part
            if report.recovered or report.migrated_from is not None or report.torn_bytes:
                reports.append((tenant, kind, report))
    return parts, reports
