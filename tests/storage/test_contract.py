"""The storage contract: what each call stores and returns, on every backend.

Each test runs once per backend (the ``backend`` fixture in conftest.py): the data directory,
and PostgreSQL on a throwaway database. ``backend.reopen`` is a restart of the process.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest

from bot.storage import (
    DailyAnswer,
    DailyDay,
    DailySub,
    Fold,
    GameResult,
    ReviewCard,
    Snapshot,
    Store,
    StoreClosed,
    Subscription,
    Tenant,
    iso_week,
)

from .conftest import answer

T = Tenant("discord", "1")
UTC = dt.UTC


# ---------------------------------------------------------------- settings


async def test_settings_merge_remove_and_copy(store: Store, clock, backend) -> None:
    assert await store.get_settings(T) == {}
    await store.update_settings(T, lang="en", digest={"top": 3})
    got = await store.update_settings(T, lang=None, tz="Europe/Berlin")
    assert got == {"digest": {"top": 3}, "tz": "Europe/Berlin"}
    got["tz"] = "mutated"
    (await store.get_settings(T))["digest"]["top"] = 99
    store = await backend.reopen(store)
    assert await store.get_settings(T) == {"digest": {"top": 3}, "tz": "Europe/Berlin"}
    await store.close()


async def test_non_json_values_are_refused_before_anything_changes(store: Store) -> None:
    with pytest.raises(ValueError, match="JSON"):
        await store.update_settings(T, bad={1, 2})
    with pytest.raises(ValueError):
        await store.update_settings(T, nan=float("nan"))
    assert await store.get_settings(T) == {}


# ---------------------------------------------------------------- subscriptions and digests


async def test_subscription_crud(store: Store, clock, backend) -> None:
    saved = await store.upsert_subscription(T, Subscription("c1", "daily", time="07:15"))
    assert saved.created_at == clock.now()
    await store.upsert_subscription(T, Subscription("c2", timezone="Asia/Tokyo", weekday=4))
    assert [s.channel_id for s in await store.list_subscriptions(T)] == ["c1", "c2"]
    store = await backend.reopen(store)
    assert await store.get_subscription(T, "c1") == saved
    assert await store.delete_subscription(T, "c1") is True
    assert await store.delete_subscription(T, "c1") is False
    assert await store.get_subscription(T, "c1") is None
    assert [(t, s.channel_id) for t, s in await store.all_subscriptions()] == [(T, "c2")]
    await store.close()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"cadence": "hourly"},
        {"weekday": 7},
        {"time": "9:00"},
        {"time": "24:00"},
        {"timezone": "Mars/Base"},
        {"created_at": dt.datetime(2026, 1, 1)},
    ],
)
def test_subscription_validation(kwargs) -> None:
    with pytest.raises(ValueError):
        Subscription("c1", **kwargs)


async def test_digest_claim_lifecycle(store: Store, clock, backend) -> None:
    await store.upsert_subscription(T, Subscription("c1"))
    assert await store.claim_digest_period(T, "c1", "2026-W02") is True
    assert await store.claim_digest_period(T, "c1", "2026-W02") is False  # posting
    await store.mark_digest_failed(T, "c1", "2026-W02", "timeout", permanent=False)
    assert await store.claim_digest_period(T, "c1", "2026-W02") is True  # retry allowed
    await clock.advance(60)
    await store.mark_digest_delivered(T, "c1", "2026-W02", message_id="m1")
    assert await store.claim_digest_period(T, "c1", "2026-W02") is False
    store = await backend.reopen(store)
    last = await store.last_digest(T, "c1")
    assert last is not None
    assert (last.status, last.attempts, last.message_id, last.error) == ("delivered", 2, "m1", None)
    assert last.delivered_at == clock.now()
    sub = await store.get_subscription(T, "c1")
    assert sub is not None and sub.last_run_at == clock.now() and sub.last_error is None

    assert await store.claim_digest_period(T, "c1", "2026-W03") is True
    await store.mark_digest_failed(T, "c1", "2026-W03", "channel deleted", permanent=True)
    assert await store.claim_digest_period(T, "c1", "2026-W03") is False
    sub = await store.get_subscription(T, "c1")
    assert sub is not None and not sub.enabled and sub.disabled_reason == "channel deleted"
    assert (await store.last_digest(T, "c1")).period_key == "2026-W03"  # type: ignore[union-attr]
    assert await store.last_digest(T, "other") is None
    await store.close()


async def test_digest_history_is_bounded(store: Store, clock) -> None:
    from bot.storage.digests import DIGEST_HISTORY

    for i in range(DIGEST_HISTORY + 5):
        await clock.advance(1)
        await store.claim_digest_period(T, "c1", f"p{i:04d}")
    history = await store.digest_history(T, "c1")
    assert len(history) == DIGEST_HISTORY and history[0].period_key == "p0005"


# ---------------------------------------------------------------- quiz sessions


async def test_quiz_sessions(store: Store, clock, backend) -> None:
    state = {"question": 3, "players": {"u1": 20}}
    await store.save_quiz_session(T, "c1", state)
    state["question"] = 99  # the store kept its own copy
    other = Tenant("slack", "T1")
    await store.save_quiz_session(other, "c9", {"question": 1})
    store = await backend.reopen(store)
    assert await store.load_quiz_session(T, "c1") == {"question": 3, "players": {"u1": 20}}
    active = await store.active_quiz_sessions()
    assert sorted((s.tenant.platform, s.channel_id) for s in active) == [
        ("discord", "c1"),
        ("slack", "c9"),
    ]
    assert await store.delete_quiz_session(T, "c1") is True
    assert await store.load_quiz_session(T, "c1") is None
    with pytest.raises(ValueError):
        await store.save_quiz_session(T, "c1", {"f": object()})
    await store.close()


async def test_quiz_answers_saved_one_by_one_until_the_state_is_saved(
    store: Store, clock, backend
) -> None:
    for channel in ("c1", "c2"):
        await store.save_quiz_session(T, channel, {"id": "g", "phase": "asking", "index": 0})
    for channel, user in (("c1", "u1"), ("c1", "u2"), ("c2", "u1")):
        assert await store.save_quiz_answer(
            T, channel, {"session_id": "g", "question": 0, "user_id": user, "option": 1}
        ) == "recorded"
    store = await backend.reopen(store)
    pending = {s.channel_id: s.answers for s in await store.active_quiz_sessions()}
    assert sorted(a["user_id"] for a in pending["c1"]) == ["u1", "u2"]
    assert [a["channel_id"] for a in pending["c2"]] == ["c2"]
    # The state now holds them (question 0 is over).
    await store.save_quiz_session(T, "c1", {"id": "g", "phase": "asking", "index": 1})
    assert await store.forget_user(T, "u1") == 1  # c2's unsaved answer
    store = await backend.reopen(store)
    assert {s.channel_id: s.answers for s in await store.active_quiz_sessions()} == {
        "c1": [],
        "c2": [],
    }


async def test_a_fold_of_answers_counts_once(store: Store, clock, backend) -> None:
    fold = Fold("c1", "game1", 0)
    assert await store.record_answers(T, [answer("u1", "q1")], fold) is True
    store = await backend.reopen(store)
    assert await store.record_answers(T, [answer("u1", "q1")], fold) is False
    assert await store.record_answers(T, [answer("u1", "q2")], Fold("c1", "game1", 1)) is True
    assert await store.record_answers(T, [answer("u1", "q1")], Fold("c1", "game2", 0)) is True
    assert (await store.user_stats(T, "u1")).answered == 3


async def test_a_quiz_step_replayed_after_a_crash_adds_only_what_is_missing(
    store: Store, clock, backend
) -> None:
    games = [GameResult("u1", "Ann", True), GameResult("u2", "Bob", False)]
    # The last question's answers were counted when it closed ...
    assert await store.record_quiz_step(T, Fold("c1", "g1", 1), [answer("u1", "q1")]) is True
    store = await backend.reopen(store)
    # ... then the game ends: the same answers come again with the game, in one write.
    over = Fold("c1", "g1", 1, game_over=True)
    assert await store.record_quiz_step(T, over, [answer("u1", "q1")], games) is True
    store = await backend.reopen(store)
    assert await store.record_quiz_step(T, over, [answer("u1", "q1")], games) is False
    ann, bob = await store.user_stats(T, "u1"), await store.user_stats(T, "u2")
    assert (ann.answered, ann.games_played, ann.games_won) == (1, 1, 1)
    assert (bob.answered, bob.games_played, bob.games_won) == (0, 1, 0)
    # A game that ends mid-question counts that question's answers and the game at once.
    cut = Fold("c1", "g2", 0, game_over=True)
    assert await store.record_quiz_step(T, cut, [answer("u1", "q2")], games[:1]) is True
    assert await store.record_quiz_step(T, cut, [answer("u1", "q2")], games[:1]) is False
    ann = await store.user_stats(T, "u1")
    assert (ann.answered, ann.games_played, ann.games_won) == (2, 2, 2)


# ---------------------------------------------------------------- scores


async def test_user_stats_and_channels(store: Store) -> None:
    later = dt.datetime(2026, 1, 5, 9, 5, tzinfo=UTC)  # the others are at 09:00
    await store.record_answer(T, answer("u1", "q1", True, channel="c1", response_ms=1000, streak=1))
    await store.record_answer(T, answer("u1", "q2", True, channel="c2", response_ms=3000, streak=2))
    await store.record_answer(T, answer("u1", "q3", False, channel="c2", name="Ann B.", when=later))
    await store.record_game_result(
        T, "c2", [GameResult("u1", "Ann B.", True), GameResult("u2", "Bob", False)]
    )
    everywhere = await store.user_stats(T, "u1")
    assert (everywhere.answered, everywhere.correct, everywhere.points) == (3, 2, 20)
    assert (everywhere.games_played, everywhere.games_won, everywhere.best_streak) == (1, 1, 2)
    assert everywhere.avg_response_ms == 2000 and everywhere.user_name == "Ann B."
    assert everywhere.accuracy == pytest.approx(2 / 3)
    assert everywhere.last_answered_at == later
    c1 = await store.user_stats(T, "u1", channel_id="c1")
    assert (c1.answered, c1.games_played) == (1, 0)
    bob = await store.user_stats(T, "u2")
    assert (bob.answered, bob.games_played, bob.games_won) == (0, 1, 0)
    nobody = await store.user_stats(T, "ghost")
    assert nobody.answered == 0 and nobody.accuracy == 0 and nobody.last_answered_at is None


async def test_leaderboard_windows_and_ties(store: Store) -> None:
    week1 = dt.datetime(2026, 1, 5, 12, tzinfo=UTC)  # 2026-W02
    week2 = week1 + dt.timedelta(weeks=1)
    assert iso_week(week1) == "2026-W02" and iso_week(week2) == "2026-W03"
    await store.record_answer(T, answer("a", "q", True, when=week1, points=30))
    await store.record_answer(T, answer("b", "q", True, when=week2, points=10, channel="c2"))
    await store.record_answer(T, answer("c", "q", True, when=week2, points=10))
    board = await store.leaderboard(T)
    assert [(e.rank, e.user_id, e.points) for e in board] == [
        (1, "a", 30),
        (2, "b", 10),
        (3, "c", 10),
    ]
    assert [e.user_id for e in await store.leaderboard(T, since_week="2026-W03")] == ["b", "c"]
    assert [e.user_id for e in await store.leaderboard(T, channel_id="c2")] == ["b"]
    assert [e.user_id for e in await store.leaderboard(T, "c1", "2026-W03")] == ["c"]
    assert [e.user_id for e in await store.leaderboard(T, limit=1)] == ["a"]
    assert await store.leaderboard(Tenant("discord", "empty")) == []


async def test_review_queue(store: Store) -> None:
    t0 = dt.datetime(2026, 1, 5, tzinfo=UTC)
    await store.record_answer(T, answer("u1", "q1", False, when=t0))
    await store.record_answer(T, answer("u1", "q1", False, when=t0 + dt.timedelta(hours=1)))
    await store.record_answer(T, answer("u1", "q2", False, when=t0))
    await store.record_answer(T, answer("u1", "q3", False, when=t0))
    await store.record_answer(T, answer("u1", "q3", True, when=t0 + dt.timedelta(hours=2)))
    await store.record_answer(T, answer("u1", "q2", True, when=t0 - dt.timedelta(hours=1)))  # older
    queue = await store.review_queue(T, "u1")
    assert [(r.question_id, r.misses) for r in queue] == [("q1", 2), ("q2", 1)]
    assert queue[0].last_missed_at == t0 + dt.timedelta(hours=1)


async def test_forget_user(store: Store, clock, backend) -> None:
    await store.upsert_subscription(T, Subscription("c1", created_by="u1"))
    await store.record_answer(T, answer("u1", "q1", False))
    await store.record_answer(T, answer("u2", "q1", True))
    assert await store.forget_user(T, "u1") == 4  # totals, weekly, review, subscription author
    store = await backend.reopen(store)
    assert (await store.user_stats(T, "u1")).answered == 0
    assert await store.review_queue(T, "u1") == []
    assert [e.user_id for e in await store.leaderboard(T)] == ["u2"]
    sub = await store.get_subscription(T, "c1")
    assert sub is not None and sub.created_by == ""
    assert await store.forget_user(Tenant("discord", "nobody"), "u1") == 0
    await store.close()


def test_answer_times_must_be_aware() -> None:
    with pytest.raises(ValueError):
        answer(when=dt.datetime(2026, 1, 5))


# ---------------------------------------------------------------- trend snapshots


async def test_snapshots_filters_and_overwrite(store: Store, clock, backend) -> None:
    t0 = dt.datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        Snapshot("pypi", "torch", "downloads", 10.0, t0),
        Snapshot("pypi", "jax", "downloads", 5.0, t0),
        Snapshot("github", "torch", "stars", 100.0, t0 + dt.timedelta(days=1)),
    ]
    await store.add_snapshots(rows)
    await store.add_snapshots([dataclasses.replace(rows[0], value=11.0)])  # same key: overwrite
    store = await backend.reopen(store)
    assert [s.value for s in await store.snapshots(framework="torch")] == [11.0, 100.0]
    assert [s.framework for s in await store.snapshots(source="pypi")] == ["jax", "torch"]
    assert await store.snapshots(metric="stars") == [rows[2]]
    assert await store.snapshots(since=t0 + dt.timedelta(hours=1)) == [rows[2]]
    assert len(await store.snapshots()) == 3
    with pytest.raises(ValueError):
        Snapshot("pypi", "torch", "downloads", float("inf"), t0)
    await store.close()


# ---------------------------------------------------------------- practice cards


async def test_a_review_card_is_saved_once_per_reviews_count(store: Store, clock, backend) -> None:
    t0 = dt.datetime(2026, 1, 5, tzinfo=UTC)
    await store.record_answer(T, answer("u1", "q1", False, when=t0))
    card = ReviewCard("q1", {"due": "2026-01-06"}, misses=1, reviews=1, channel_id="c1")
    assert await store.save_review_card(T, "u1", card, 0, folded_miss=t0) is True
    # A second press that read the same card (0 reviews) loses: that answer was counted.
    assert await store.save_review_card(T, "u1", card, 0, folded_miss=t0) is False
    store = await backend.reopen(store)
    assert await store.review_cards(T, "u1") == [card]
    assert await store.review_queue(T, "u1") == []  # the miss it folded in is gone
    again = dataclasses.replace(card, reviews=2, correct=1)
    assert await store.save_review_card(T, "u1", again, 1) is True
    assert await store.review_cards(T, "u1") == [again]
    assert await store.review_cards(T, "u2") == []


# ---------------------------------------------------------------- daily question


def _day(day: str = "2026-01-05", channel: str = "c1") -> DailyDay:
    at = dt.datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC)
    return DailyDay(channel, day, "posting", "q7", (2, 0, 1), at, at + dt.timedelta(hours=8))


async def test_daily_subscription_keeps_its_first_creation(store: Store, clock) -> None:
    first = await store.upsert_daily_sub(T, DailySub("c1", time="08:00"))
    await clock.advance(3600)
    changed = await store.upsert_daily_sub(T, DailySub("c1", time="10:00"), keep_created=True)
    assert changed.created_at == first.created_at and changed.time == "10:00"
    assert await store.get_daily_sub(T, "c1") == changed
    assert [(t, s.channel_id) for t, s in await store.all_daily_subs()] == [(T, "c1")]
    assert await store.delete_daily_sub(T, "c1") is True
    assert await store.delete_daily_sub(T, "c1") is False
    assert await store.get_daily_sub(T, "c1") is None


async def test_daily_day_claim_answer_close(store: Store, clock, backend) -> None:
    assert await store.claim_daily(T, _day()) is True
    assert await store.claim_daily(T, _day()) is False  # posting: never a second question
    at = dt.datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    ann = DailyAnswer("u1", "Ann", 0, True, at)
    assert await store.save_daily_answer(T, "c1", "2026-01-05", ann) == "closed"  # not open
    await store.update_daily_day(T, "c1", "2026-01-05", status="open", opened_at=at,
                                 message_id="m1")
    assert await store.save_daily_answer(T, "c1", "2026-01-05", ann) == "recorded"
    assert await store.save_daily_answer(T, "c1", "2026-01-05", ann) == "answered"
    bob = DailyAnswer("u2", "Bob", 1, False, at + dt.timedelta(minutes=1))
    assert await store.save_daily_answer(T, "c1", "2026-01-05", bob) == "recorded"
    store = await backend.reopen(store)
    assert await store.daily_answers(T, "c1", "2026-01-05") == [ann, bob]
    [(tenant, day)] = await store.all_daily_days("open")
    assert (tenant, day.status, day.message_id, day.order) == (T, "open", "m1", (2, 0, 1))

    closed = await store.close_daily(T, "c1", "2026-01-05")
    assert closed is not None and closed.day.status == "closed" and closed.answers == [ann, bob]
    assert [(s.user_id, s.current, s.best) for s in closed.streaks] == [("u1", 1, 1),
                                                                        ("u2", 0, 0)]
    assert await store.close_daily(T, "c1", "2026-01-05") is None  # a second close adds nothing
    assert await store.save_daily_answer(T, "c1", "2026-01-05", bob) == "closed"
    store = await backend.reopen(store)
    assert (await store.user_stats(T, "u1")).points == 100
    assert [r.question_id for r in await store.review_queue(T, "u2")] == ["q7"]
    assert [s.user_id for s in await store.daily_streaks(T, "c1")] == ["u1", "u2"]
    assert [d.status for d in await store.daily_days(T, "c1")] == ["closed"]
    assert await store.all_daily_days("open") == []


async def test_a_failed_daily_day_may_be_claimed_again(store: Store) -> None:
    assert await store.claim_daily(T, _day()) is True
    await store.update_daily_day(T, "c1", "2026-01-05", status="failed", error="timeout")
    assert await store.claim_daily(T, _day()) is True
    [day] = await store.daily_days(T, "c1")
    assert (day.status, day.attempts) == ("posting", 2)
    await store.update_daily_day(T, "c1", "2026-01-05", status="failed", permanent=True)
    assert await store.claim_daily(T, _day()) is False


async def test_a_closed_daily_day_is_claimed_for_its_reveal_once(store: Store, clock) -> None:
    """``expect`` makes the update a compare-and-set: of two processes revealing one closed
    day, one moves it on and the other is told no."""
    assert await store.update_daily_day(T, "c1", "2026-01-05", status="open") is False  # none
    await store.claim_daily(T, _day())
    assert await store.update_daily_day(T, "c1", "2026-01-05", status="open") is True
    assert await store.close_daily(T, "c1", "2026-01-05") is not None
    at = clock.now()
    first, second = await asyncio.gather(*(
        store.update_daily_day(T, "c1", "2026-01-05", expect="closed", status="revealing",
                               revealing_at=at) for _ in range(2)))
    assert sorted([first, second]) == [False, True]
    [day] = await store.daily_days(T, "c1")
    assert (day.status, day.revealing_at) == ("revealing", at)
    assert await store.update_daily_day(T, "c1", "2026-01-05", expect="closed",
                                        status="revealing") is False


async def test_forget_user_removes_daily_answers_streaks_and_cards(store: Store) -> None:
    at = dt.datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    await store.claim_daily(T, _day())
    await store.update_daily_day(T, "c1", "2026-01-05", status="open")
    await store.save_daily_answer(T, "c1", "2026-01-05", DailyAnswer("u1", "Ann", 0, True, at))
    await store.save_review_card(T, "u1", ReviewCard("q1", {}), 0)
    # the answer, the card (the streak only exists after a close)
    assert await store.forget_user(T, "u1") == 2
    assert await store.daily_answers(T, "c1", "2026-01-05") == []
    assert await store.review_cards(T, "u1") == []


async def test_tenants_lists_who_has_data(store: Store) -> None:
    await store.update_settings(Tenant("slack", "T1"), a=1)
    await store.record_answer(T, answer())
    assert await store.tenants() == [T, Tenant("slack", "T1")]


# ---------------------------------------------------------------- health


async def test_ping_answers_while_open_and_refuses_once_closed(store: Store, backend) -> None:
    await store.ping()  # returns: the store can serve calls
    await store.update_settings(T, lang="en")
    await store.ping()
    await store.close()
    with pytest.raises(StoreClosed):
        await store.ping()
    reopened = await backend.open()  # another process (or a restart) on the same data
    await reopened.ping()


async def test_a_shared_job_period_is_claimed_once_and_snapshots_move_the_version(
    store: Store, clock, backend
) -> None:
    other = store if backend.url is None else await backend.open()
    version = await other.trends_version()
    outcomes = [await s.claim_job("trends:collect", "2026-03-02T05")
                for s in (store, other, store)]
    assert outcomes == [True, False, False]
    assert await other.claim_job("trends:collect", "2026-03-03T05") is True
    await store.add_snapshots([Snapshot("pypi", "jax", "downloads", 1.0, clock.now())])
    assert await other.trends_version() != version  # another process sees the new figures
    for day in range(70):  # old claims are pruned, recent ones stay claimed
        await store.claim_job("daily", f"d{day:03}")
    assert await store.claim_job("daily", "d069") is False
    assert await store.claim_job("daily", "d000") is True  # long gone
