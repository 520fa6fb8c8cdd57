"""The PostgreSQL backend of the storage contract: any number of processes, one database.

Each write method is one transaction: take the advisory lock of the tenant's kind of data
(the unit the data directory serialises too), load the documents it needs, apply the rules
shared with the data directory, write back what changed, commit, and only then return. So a
claim or a first answer that one process wins is refused in every other, and an answer that
was acknowledged is committed. A database that cannot be reached raises
``StorageUnavailable`` (the user is told to try again); the pool opens fresh connections on
the next call, so the process carries on once the database is back.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any

import asyncpg

from bot.clock import Clock

from .. import cards, daily, digests, installations, quiz, scores, settings
from .. import snapshots as snapshots_docs
from ..codec import dt_to_str, iso_week, json_clone, require_aware
from ..contract import Store
from ..errors import StorageUnavailable, StoreClosed
from ..partition import TENANT_KINDS, Partition
from ..records import (
    GLOBAL_PLATFORM,
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
from . import schema
from .docs import Want, Work

log = logging.getLogger("framework_coach.storage")

# What an unreachable or restarting server raises: a short "try again", never a traceback.
UNREACHABLE = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
)


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads,
                              schema="pg_catalog")


async def create_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """A connection pool whose jsonb values are Python objects; migrated before it is used."""
    try:
        pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size,
                                         init=_init_connection, command_timeout=30, timeout=10)
    except UNREACHABLE as exc:
        raise StorageUnavailable(f"cannot reach the database: {exc}") from exc
    try:
        async with pool.acquire() as conn:
            applied = await schema.migrate(conn)
    except BaseException:
        await pool.close()
        raise
    if applied:
        log.info("database schema migrated to version %d", applied[-1])
    return pool


async def lock_kinds(conn: asyncpg.Connection, tenant: Tenant, kinds: Iterable[str]) -> None:
    """Take the transaction's write locks of a tenant's kinds of data, in a fixed order."""
    for kind in sorted(set(kinds)):
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            f"{len(tenant.platform)}:{tenant.platform}/{tenant.id}/{kind}",
        )


class PostgresStore(Store):
    """Storage in one PostgreSQL database, shared by every process that names it."""

    def __init__(self, pool: asyncpg.Pool, clock: Clock) -> None:
        self._pool = pool
        self._clock = clock
        self._closed = False

    @classmethod
    async def open(  # type: ignore[override]
        cls, url: str, clock: Clock, *, min_size: int = 1, max_size: int = 10
    ) -> PostgresStore:
        """Connect, create or migrate the schema, and return the store."""
        return cls(await create_pool(url, min_size=min_size, max_size=max_size), clock)

    async def close(self) -> None:
        """Wait for calls in progress (each commits or rolls back), then close the pool."""
        if not self._closed:
            self._closed = True
            await self._pool.close()

    async def flush(self) -> None:
        """Nothing to wait for: every write has committed by the time it returns."""

    @property
    def closed(self) -> bool:
        return self._closed

    async def ping(self) -> None:
        """One round trip on a pooled connection."""
        async with self._conn() as conn:
            await conn.fetchval("SELECT 1")

    async def tenants(self) -> list[Tenant]:
        async with self._conn() as conn:
            rows = await conn.fetch(
                "SELECT DISTINCT platform, tenant FROM fc_docs WHERE platform <> $1"
                " ORDER BY platform, tenant", GLOBAL_PLATFORM)
        return [Tenant(r["platform"], r["tenant"]) for r in rows]

    # ------------------------------------------------------------------ plumbing

    @contextlib.asynccontextmanager
    async def _conn(self) -> AsyncIterator[asyncpg.Connection]:
        if self._closed:
            raise StoreClosed("the store is closed; nothing was read or written")
        try:
            async with self._pool.acquire() as conn:
                yield conn
        except UNREACHABLE as exc:
            log.warning("database unreachable: %s", exc)
            raise StorageUnavailable(
                "the database cannot be reached just now; nothing was changed"
            ) from exc

    @contextlib.asynccontextmanager
    async def _tx(self, tenant: Tenant, *kinds: str) -> AsyncIterator[asyncpg.Connection]:
        """One transaction holding the write locks of ``kinds`` (taken in a fixed order)."""
        async with self._conn() as conn, conn.transaction():
            await lock_kinds(conn, tenant, kinds)
            yield conn

    @contextlib.asynccontextmanager
    async def _write(self, tenant: Tenant, kind: str, *wants: Want) -> AsyncIterator[Work]:
        """Load ``wants`` under the kind's lock, let the body change them, save, commit."""
        async with self._tx(tenant, kind) as conn:
            work = Work(conn, tenant, kind)
            await work.load(*wants)
            yield work
            await work.save()

    async def _read(self, tenant: Tenant, kind: str, *wants: Want) -> Partition:
        if tenant != GLOBAL_TENANT:
            check_tenant(tenant)
        async with self._conn() as conn:
            return await Work(conn, tenant, kind).load(*wants)

    async def _every(self, table: str, extra: str = "", *args: Any) -> list[tuple[Tenant, dict]]:
        """A table's documents across all tenants, ordered by tenant and key."""
        async with self._conn() as conn:
            rows = await conn.fetch(
                "SELECT platform, tenant, doc FROM fc_docs WHERE tbl = $1 AND platform <> $2"
                + extra + " ORDER BY platform, tenant, k1, k2, k3, k4",
                table, GLOBAL_PLATFORM, *args)
        return [(Tenant(r["platform"], r["tenant"]), r["doc"]) for r in rows]

    def _now(self) -> str:
        return dt_to_str(self._clock.now())  # type: ignore[return-value]

    # ------------------------------------------------------------------ settings

    async def get_settings(self, tenant: Tenant) -> dict[str, Any]:
        return settings.values(await self._read(tenant, "settings", _settings()))

    async def update_settings(self, tenant: Tenant, **values: Any) -> dict[str, Any]:
        check_tenant(tenant)
        clean = json_clone(values, "settings")
        async with self._write(tenant, "settings", _settings()) as w:
            return settings.merge(w.part, clean, self._now())

    # ------------------------------------------------------------------ subscriptions

    async def upsert_subscription(self, tenant: Tenant, sub: Subscription) -> Subscription:
        check_tenant(tenant)
        if sub.created_at is None:
            sub = dataclasses.replace(sub, created_at=self._clock.now())
        async with self._write(tenant, "digests") as w:
            w.part.put("subscriptions", digests.sub_to_doc(sub))
        return sub

    async def get_subscription(self, tenant: Tenant, channel_id: str) -> Subscription | None:
        p = await self._read(tenant, "digests", _sub(channel_id))
        doc = p["subscriptions"].get(channel_id)
        return digests.doc_to_sub(doc) if doc else None

    async def delete_subscription(self, tenant: Tenant, channel_id: str) -> bool:
        check_tenant(tenant)
        async with self._write(tenant, "digests", _sub(channel_id)) as w:
            return w.part.delete("subscriptions", channel_id)

    async def list_subscriptions(self, tenant: Tenant) -> list[Subscription]:
        p = await self._read(tenant, "digests", Want("subscriptions"))
        return sorted((digests.doc_to_sub(d) for d in p["subscriptions"]),
                      key=lambda s: s.channel_id)

    async def all_subscriptions(self) -> list[tuple[Tenant, Subscription]]:
        return [(t, digests.doc_to_sub(d)) for t, d in await self._every("subscriptions")]

    # ------------------------------------------------------------------ posted digests

    async def claim_digest_period(self, tenant: Tenant, channel_id: str, period_key: str) -> bool:
        check_tenant(tenant)
        async with self._write(tenant, "digests", _posted(channel_id)) as w:
            return digests.claim(w.part, channel_id, period_key, self._now())

    async def mark_digest_delivered(
        self, tenant: Tenant, channel_id: str, period_key: str, message_id: str | None = None
    ) -> None:
        check_tenant(tenant)
        async with self._write(tenant, "digests", _posted(channel_id, period_key),
                               _sub(channel_id)) as w:
            digests.delivered(w.part, channel_id, period_key, self._now(), message_id)

    async def mark_digest_failed(
        self, tenant: Tenant, channel_id: str, period_key: str, error: str, permanent: bool
    ) -> None:
        check_tenant(tenant)
        async with self._write(tenant, "digests", _posted(channel_id, period_key),
                               _sub(channel_id)) as w:
            digests.failed(w.part, channel_id, period_key, self._now(), error, permanent)

    async def last_digest(self, tenant: Tenant, channel_id: str) -> DigestRecord | None:
        records = await self.digest_history(tenant, channel_id)
        return records[-1] if records else None

    async def digest_period(
        self, tenant: Tenant, channel_id: str, period_key: str
    ) -> DigestRecord | None:
        p = await self._read(tenant, "digests", _posted(channel_id, period_key))
        doc = p["posted"].get(channel_id, period_key)
        return digests.to_record(doc) if doc else None

    async def digest_history(self, tenant: Tenant, channel_id: str) -> list[DigestRecord]:
        return digests.history(await self._read(tenant, "digests", _posted(channel_id)),
                               channel_id)

    # ------------------------------------------------------------------ quiz sessions

    async def save_quiz_session(
        self, tenant: Tenant, channel_id: str, state: dict[str, Any],
        lease: Lease | None = None, *, new: bool = False,
    ) -> bool:
        check_tenant(tenant)
        state = json_clone(state, "quiz state")
        async with self._write(tenant, "quiz", *_game(channel_id)) as w:
            return quiz.save(w.part, channel_id, state, self._clock.now(), lease, new,
                             quiz.never_void)

    async def save_quiz_answer(
        self, tenant: Tenant, channel_id: str, answer: dict[str, Any],
        check: quiz.Check | None = None,
    ) -> str:
        check_tenant(tenant)
        answer = json_clone(answer, "quiz answer")
        mine = Want("answers", {"channel_id": channel_id, "user_id": answer.get("user_id")})
        async with self._write(tenant, "quiz", Want("sessions", {"channel_id": channel_id}),
                               mine) as w:
            return quiz.add_answer(w.part, channel_id, answer, check)

    async def seal_quiz_question(
        self, tenant: Tenant, channel_id: str, game_id: str, question: int, owner: str
    ) -> list[dict[str, Any]] | None:
        check_tenant(tenant)
        async with self._write(tenant, "quiz", *_game(channel_id)) as w:
            return quiz.seal(w.part, channel_id, game_id, question, owner, self._clock.now(),
                             quiz.never_void)

    async def lease_quiz_game(
        self, tenant: Tenant, channel_id: str, game_id: str, lease: Lease, *,
        force: bool = False,
    ) -> bool:
        check_tenant(tenant)
        async with self._write(tenant, "quiz", Want("sessions", {"channel_id": channel_id})) as w:
            return quiz.take(w.part, channel_id, game_id, lease, force, self._clock.now(),
                             quiz.never_void)

    async def quiz_game(self, tenant: Tenant, channel_id: str) -> QuizSession | None:
        p = await self._read(tenant, "quiz", *_game(channel_id))
        doc = p["sessions"].get(channel_id)
        if doc is None:
            return None
        return quiz.to_record(tenant, doc, p["answers"].where("channel_id", channel_id),
                              quiz.never_void)

    async def delete_quiz_session(self, tenant: Tenant, channel_id: str) -> bool:
        check_tenant(tenant)
        async with self._write(tenant, "quiz", *_game(channel_id)) as w:
            return quiz.drop_game(w.part, channel_id)

    async def active_quiz_sessions(self) -> list[QuizSession]:
        answers: dict[tuple[Tenant, str], list[dict[str, Any]]] = {}
        for t, d in await self._every("answers"):
            answers.setdefault((t, d["channel_id"]), []).append(d)
        return [quiz.to_record(t, d, answers.get((t, d["channel_id"]), []), quiz.never_void)
                for t, d in await self._every("sessions")]

    # ------------------------------------------------------------------ scores

    async def record_quiz_step(
        self,
        tenant: Tenant,
        fold: Fold | None,
        answers: Iterable[AnswerRecord],
        games: Iterable[GameResult] = (),
    ) -> bool:
        check_tenant(tenant)
        answers, games = list(answers), list(games)
        wants = [w for a in answers for w in _answer_wants(a)]
        wants += [_total(fold.channel_id, g.user_id) for g in games] if fold else []
        if fold is not None:
            wants.append(Want("folds", {"channel_id": fold.channel_id}))
        async with self._write(tenant, "scores", *wants) as w:
            return scores.quiz_step(w.part, fold, answers, games)

    async def record_game_result(
        self, tenant: Tenant, channel_id: str, results: Iterable[GameResult]
    ) -> None:
        check_tenant(tenant)
        results = list(results)
        async with self._write(tenant, "scores",
                               *(_total(channel_id, g.user_id) for g in results)) as w:
            scores.apply_games(w.part, channel_id, results)

    async def user_stats(
        self, tenant: Tenant, user_id: str, channel_id: str | None = None
    ) -> UserStats:
        p = await self._read(tenant, "scores", Want("totals", {"user_id": user_id}))
        return scores.user_stats(p, user_id, channel_id)

    async def leaderboard(
        self,
        tenant: Tenant,
        channel_id: str | None = None,
        since_week: str | None = None,
        limit: int | None = None,
    ) -> list[LeaderboardEntry]:
        # Every total: a player's name is the one of their latest answer in any channel.
        wants = [Want("totals")]
        if since_week is not None:
            wants.append(Want("weekly", {"channel_id": channel_id} if channel_id else {},
                              at_least=("week", since_week)))
        p = await self._read(tenant, "scores", *wants)
        return scores.leaderboard(p, channel_id, since_week, limit)

    async def review_queue(self, tenant: Tenant, user_id: str) -> list[ReviewItem]:
        p = await self._read(tenant, "scores", Want("reviews", {"user_id": user_id}))
        return scores.review_queue(p, user_id)

    # ------------------------------------------------------------------ practice cards

    async def review_cards(self, tenant: Tenant, user_id: str) -> list[ReviewCard]:
        p = await self._read(tenant, "scores", Want("cards", {"user_id": user_id}))
        return sorted((cards.to_card(d) for d in p["cards"]), key=lambda c: c.question_id)

    async def save_review_card(
        self, tenant: Tenant, user_id: str, card: ReviewCard, expected_reviews: int,
        folded_miss: dt.datetime | None = None,
    ) -> bool:
        check_tenant(tenant)
        key = {"user_id": user_id, "question_id": card.question_id}
        async with self._write(tenant, "scores", Want("cards", key), Want("reviews", key)) as w:
            return cards.save(w.part, user_id, card, expected_reviews, dt_to_str(folded_miss),
                              self._now())

    # ------------------------------------------------------------------ daily question

    async def upsert_daily_sub(
        self, tenant: Tenant, sub: DailySub, *, keep_created: bool = False
    ) -> DailySub:
        check_tenant(tenant)
        async with self._write(tenant, "scores", _daily_sub(sub.channel_id)) as w:
            return daily.put_sub(w.part, sub, keep_created, self._clock.now())

    async def get_daily_sub(self, tenant: Tenant, channel_id: str) -> DailySub | None:
        p = await self._read(tenant, "scores", _daily_sub(channel_id))
        doc = p["daily_subs"].get(channel_id)
        return daily.doc_to_sub(doc) if doc else None

    async def delete_daily_sub(self, tenant: Tenant, channel_id: str) -> bool:
        check_tenant(tenant)
        async with self._write(tenant, "scores", _daily_sub(channel_id)) as w:
            return w.part.delete("daily_subs", channel_id)

    async def all_daily_subs(self) -> list[tuple[Tenant, DailySub]]:
        return [(t, daily.doc_to_sub(d)) for t, d in await self._every("daily_subs")]

    async def claim_daily(self, tenant: Tenant, day: DailyDay) -> bool:
        check_tenant(tenant)
        channel = {"channel_id": day.channel_id}
        async with self._write(tenant, "scores", Want("daily_days", channel),
                               Want("daily_answers", channel)) as w:
            return daily.claim(w.part, day, self._now())

    async def update_daily_day(
        self, tenant: Tenant, channel_id: str, day: str, *, expect: str | None = None,
        **changes: Any
    ) -> bool:
        check_tenant(tenant)
        clean = {k: dt_to_str(v) if isinstance(v, dt.datetime) else v for k, v in changes.items()}
        async with self._write(tenant, "scores", _day(channel_id, day)) as w:
            return daily.update_day(w.part, channel_id, day, expect, **clean)

    async def daily_days(self, tenant: Tenant, channel_id: str) -> list[DailyDay]:
        p = await self._read(tenant, "scores", Want("daily_days", {"channel_id": channel_id}))
        return daily.days(p, channel_id)

    async def all_daily_days(self, *statuses: str) -> list[tuple[Tenant, DailyDay]]:
        found = await self._every("daily_days", " AND doc->>'status' = ANY($3::text[])",
                                  list(statuses))
        return [(t, daily.doc_to_day(d)) for t, d in found]

    async def save_daily_answer(
        self, tenant: Tenant, channel_id: str, day: str, answer: DailyAnswer
    ) -> str:
        check_tenant(tenant)
        mine = Want("daily_answers", {"channel_id": channel_id, "day": day,
                                      "user_id": answer.user_id})
        async with self._write(tenant, "scores", _day(channel_id, day), mine) as w:
            return daily.answer(w.part, channel_id, day, answer)

    async def daily_answers(self, tenant: Tenant, channel_id: str, day: str) -> list[DailyAnswer]:
        p = await self._read(tenant, "scores", _day_answers(channel_id, day))
        return daily.answers(p, channel_id, day)

    async def close_daily(self, tenant: Tenant, channel_id: str, day: str) -> DailyClose | None:
        check_tenant(tenant)
        async with self._write(tenant, "scores", _day(channel_id, day),
                               _day_answers(channel_id, day)) as w:
            doc = w.part["daily_days"].get(channel_id, day)
            if doc is None or doc["status"] != "open":
                return None
            # Second step, same transaction and lock: what the close folds the answers into.
            given = daily.answers(w.part, channel_id, day)
            await w.load(
                Want("daily_streaks", {"channel_id": channel_id}),
                *(want for a in given for want in _answer_wants(AnswerRecord(
                    channel_id=channel_id, user_id=a.user_id, user_name=a.user_name,
                    question_id=doc["question_id"], correct=a.correct, points=0,
                    answered_at=a.answered_at))),
            )
            return daily.close(w.part, channel_id, day, self._now())

    async def daily_streaks(self, tenant: Tenant, channel_id: str) -> list[DailyStreak]:
        p = await self._read(tenant, "scores", Want("daily_streaks", {"channel_id": channel_id}))
        return daily.streaks(p, channel_id)

    async def forget_user(self, tenant: Tenant, user_id: str) -> int:
        check_tenant(tenant)
        user = {"user_id": user_id}
        count = 0
        async with self._tx(tenant, "scores", "quiz", "digests") as conn:
            s = Work(conn, tenant, "scores")
            p = await s.load(*(Want(t, user) for t in (
                "totals", "weekly", "reviews", "cards", "daily_answers", "daily_streaks")))
            count += scores.forget_user(p, user_id) + daily.forget(p, user_id)
            q = Work(conn, tenant, "quiz")
            for doc in list((await q.load(Want("answers", user)))["answers"]):
                count += q.part.delete("answers", doc["channel_id"], user_id)
            d = Work(conn, tenant, "digests")
            for doc in list((await d.load(Want("subscriptions")))["subscriptions"]):
                if doc.get("created_by") == user_id:
                    d.part.put("subscriptions", {**doc, "created_by": ""})
                    count += 1
            for work in (s, q, d):
                await work.save()
        return count

    # ------------------------------------------------------------------ installations

    async def save_installation(self, tenant: Tenant, installation: dict[str, Any]) -> None:
        check_tenant(tenant)
        async with self._write(tenant, "settings", _installation()) as w:
            installations.put(w.part, installation, self._clock.now())

    async def find_installation(self, tenant: Tenant) -> dict[str, Any] | None:
        return installations.get(await self._read(tenant, "settings", _installation()))

    async def delete_installation(self, tenant: Tenant) -> bool:
        check_tenant(tenant)
        async with self._write(tenant, "settings", _installation()) as w:
            return installations.delete(w.part)

    async def issue_oauth_state(self, state: str, expires_at: dt.datetime) -> None:
        if not state:
            raise ValueError("an OAuth state must not be empty")
        expires_at = require_aware(expires_at, "expires_at")
        async with self._conn() as conn, conn.transaction():
            await conn.execute("DELETE FROM fc_oauth_states WHERE expires_at <= $1",
                               self._clock.now())
            await conn.execute(
                "INSERT INTO fc_oauth_states (state, expires_at) VALUES ($1, $2)"
                " ON CONFLICT (state) DO UPDATE SET expires_at = EXCLUDED.expires_at",
                state, expires_at)

    async def consume_oauth_state(self, state: str) -> bool:
        async with self._conn() as conn:  # one statement: of several consumers, one row back
            expires_at = await conn.fetchval(
                "DELETE FROM fc_oauth_states WHERE state = $1 RETURNING expires_at", state)
        return expires_at is not None and self._clock.now() < expires_at

    async def delete_tenant(self, tenant: Tenant) -> bool:
        check_tenant(tenant)
        async with self._tx(tenant, *TENANT_KINDS) as conn:
            status = await conn.execute(
                "DELETE FROM fc_docs WHERE platform = $1 AND tenant = $2",
                tenant.platform, tenant.id)
        return status != "DELETE 0"

    # ------------------------------------------------------------------ trend snapshots

    async def add_snapshots(self, snapshots: Iterable[Snapshot]) -> None:
        snapshots = list(snapshots)
        if not snapshots:
            return
        async with self._write(GLOBAL_TENANT, "trends", _STAMP) as w:
            snapshots_docs.put(w.part, snapshots)

    async def trends_version(self) -> int:
        return snapshots_docs.version(await self._read(GLOBAL_TENANT, "trends", _STAMP))

    async def claim_job(self, job: str, period: str) -> bool:
        async with self._write(GLOBAL_TENANT, "trends", Want("claims", {"job": job})) as w:
            return snapshots_docs.claim(w.part, job, period, self._now())

    async def snapshots(
        self,
        source: str | None = None,
        framework: str | None = None,
        metric: str | None = None,
        since: Any = None,
    ) -> list[Snapshot]:
        eq = {k: v for k, v in (("source", source), ("framework", framework),
                                ("metric", metric)) if v is not None}
        since_at = None if since is None else ("fetched_at", dt_to_str(
            require_aware(since, "since")))
        p = await self._read(GLOBAL_TENANT, "trends", Want("snapshots", eq, since_at))
        return snapshots_docs.to_list(p["snapshots"])


# ---------------------------------------------------------------------- what methods load


_STAMP = Want("stamps", {"name": "snapshots"})


def _settings() -> Want:
    return Want("settings", {"scope": settings.KEY})


def _installation() -> Want:
    return Want("settings", {"scope": installations.INSTALLATION_KEY})


def _sub(channel_id: str) -> Want:
    return Want("subscriptions", {"channel_id": channel_id})


def _posted(channel_id: str, period_key: str | None = None) -> Want:
    key = {"channel_id": channel_id}
    return Want("posted", key if period_key is None else {**key, "period_key": period_key})


def _game(channel_id: str) -> tuple[Want, Want]:
    return (Want("sessions", {"channel_id": channel_id}),
            Want("answers", {"channel_id": channel_id}))


def _total(channel_id: str, user_id: str) -> Want:
    return Want("totals", {"channel_id": channel_id, "user_id": user_id})


def _answer_wants(a: AnswerRecord) -> tuple[Want, Want, Want]:
    """The three documents one answer changes (see scores.apply_answer)."""
    return (
        _total(a.channel_id, a.user_id),
        Want("weekly", {"channel_id": a.channel_id, "user_id": a.user_id,
                        "week": iso_week(a.answered_at)}),
        Want("reviews", {"user_id": a.user_id, "question_id": a.question_id}),
    )


def _daily_sub(channel_id: str) -> Want:
    return Want("daily_subs", {"channel_id": channel_id})


def _day(channel_id: str, day: str) -> Want:
    return Want("daily_days", {"channel_id": channel_id, "day": day})


def _day_answers(channel_id: str, day: str) -> Want:
    return Want("daily_answers", {"channel_id": channel_id, "day": day})

