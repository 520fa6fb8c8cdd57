"""The storage contract for running quiz games shared by several processes, on every backend.

A "process" here is a second store on the same data (PostgreSQL: a second connection pool;
the data directory: the same store, as only one process may open it) plus an owner name.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.storage import Lease, Store, Tenant

from .conftest import Backend

T = Tenant("slack", "T1")
A, B = "host-a:1:aa", "host-b:2:bb"


def game(index: int = 0, phase: str = "asking", held: tuple[str, ...] = (),
         game_id: str = "g1") -> dict:
    return {"id": game_id, "phase": phase, "index": index,
            "answers": {u: {"option": 0} for u in held}}


def press(user: str, question: int = 0, game_id: str = "g1") -> dict:
    return {"session_id": game_id, "question": question, "user_id": user, "option": 1,
            "user_name": user, "answered_at": "2026-01-05T09:00:01+00:00"}


def lease(clock, owner: str, seconds: float = 10) -> Lease:
    return Lease(owner, clock.now() + dt.timedelta(seconds=seconds))


async def second(backend: Backend, store: Store) -> Store:
    """Another process's view of the same data."""
    return store if backend.url is None else await backend.open()


async def test_a_first_answer_is_final_and_a_closed_question_refuses(store, clock) -> None:
    assert await store.save_quiz_session(T, "c1", game(), lease(clock, A), new=True)
    assert await store.save_quiz_answer(T, "c1", press("u1")) == "recorded"
    assert await store.save_quiz_answer(T, "c1", press("u1")) == "answered"
    assert await store.save_quiz_answer(T, "c1", press("u2", question=1)) == "closed"
    assert await store.save_quiz_answer(T, "c1", press("u2", game_id="old")) == "ended"
    assert await store.save_quiz_answer(T, "c9", press("u2")) == "ended"
    # The state holds u3's answer already (saved with it): a second one is refused too.
    assert await store.save_quiz_session(T, "c1", game(held=("u3",)), lease(clock, A))
    assert await store.save_quiz_answer(T, "c1", press("u3")) == "answered"
    (saved,) = await store.active_quiz_sessions()
    assert [a["user_id"] for a in saved.answers] == ["u1"]  # kept: the state does not hold it


async def test_a_sealed_question_takes_no_answer_and_gives_back_every_saved_one(
        store, clock, backend) -> None:
    other = await second(backend, store)
    assert await store.save_quiz_session(T, "c1", game(), lease(clock, A), new=True)
    assert await store.save_quiz_answer(T, "c1", press("u1")) == "recorded"
    assert await other.save_quiz_answer(T, "c1", press("u2")) == "recorded"
    assert await other.seal_quiz_question(T, "c1", "g1", 0, B) is None  # B does not hold it
    sealed = await store.seal_quiz_question(T, "c1", "g1", 0, A)
    assert sorted(a["user_id"] for a in sealed) == ["u1", "u2"]
    assert await other.save_quiz_answer(T, "c1", press("u3")) == "closed"
    assert await store.seal_quiz_question(T, "c1", "g1", 0, A) == sealed  # idempotent
    # The next question opens: the seal does not reach it.
    assert await store.save_quiz_session(T, "c1", game(index=1), lease(clock, A))
    assert await other.save_quiz_answer(T, "c1", press("u3", question=1)) == "recorded"


async def test_the_lease_fences_saves_until_it_runs_out(store, clock, backend) -> None:
    other = await second(backend, store)
    assert await store.save_quiz_session(T, "c1", game(), lease(clock, A), new=True)
    assert not await other.save_quiz_session(T, "c1", game(), lease(clock, B), new=True)
    assert not await other.save_quiz_session(T, "c1", game(), lease(clock, B))
    assert not await other.lease_quiz_game(T, "c1", "g1", lease(clock, B))
    assert await store.lease_quiz_game(T, "c1", "g1", lease(clock, A))  # renewed
    (saved,) = await other.active_quiz_sessions()
    assert (saved.owner, saved.lease_until) == (A, clock.now() + dt.timedelta(seconds=10))
    await clock.advance(10.5)  # A stopped renewing: B takes the game over
    assert await other.lease_quiz_game(T, "c1", "g1", lease(clock, B))
    assert not await store.save_quiz_session(T, "c1", game(index=1), lease(clock, A))
    assert await store.seal_quiz_question(T, "c1", "g1", 0, A) is None
    assert not await store.lease_quiz_game(T, "c1", "g1", lease(clock, A))
    assert await store.lease_quiz_game(T, "c1", "g1", lease(clock, A), force=True)  # /quiz stop
    assert not await other.save_quiz_session(T, "c1", game(index=1), lease(clock, B))
    assert await store.delete_quiz_session(T, "c1")
    assert not await store.save_quiz_session(T, "c1", game(index=1), lease(clock, A))  # gone
    assert not await store.lease_quiz_game(T, "c1", "g1", lease(clock, A))
    assert await store.quiz_game(T, "c1") is None


async def test_saving_the_state_keeps_answers_it_does_not_hold(store, clock, backend) -> None:
    other = await second(backend, store)
    assert await store.save_quiz_session(T, "c1", game(), lease(clock, A), new=True)
    for user in ("u1", "u2"):
        assert await other.save_quiz_answer(T, "c1", press(user)) == "recorded"
    assert await store.save_quiz_session(T, "c1", game(held=("u1",)), lease(clock, A))
    saved = await other.quiz_game(T, "c1")
    assert saved is not None and [a["user_id"] for a in saved.answers] == ["u2"]
    assert await store.save_quiz_session(T, "c1", game(phase="revealed", held=("u1", "u2")),
                                         lease(clock, A))
    saved = await other.quiz_game(T, "c1")
    assert saved is not None and saved.answers == []


async def test_two_processes_pressing_at_once_record_one_answer(store, clock, backend) -> None:
    other = await second(backend, store)
    assert await store.save_quiz_session(T, "c1", game(), lease(clock, A), new=True)
    outcomes = await asyncio.gather(*(s.save_quiz_answer(T, "c1", press("u1"))
                                      for s in (store, other) * 5))
    assert sorted(outcomes) == ["answered"] * 9 + ["recorded"]
    # Seal and answers racing: each answer is either sealed in, or refused.
    await store.save_quiz_session(T, "c1", game(index=1), lease(clock, A))
    results = await asyncio.gather(
        *(other.save_quiz_answer(T, "c1", press(f"u{i}", question=1)) for i in range(20)),
        store.seal_quiz_question(T, "c1", "g1", 1, A))
    *answers, sealed = results
    recorded = {f"u{i}" for i, outcome in enumerate(answers) if outcome == "recorded"}
    assert recorded == {a["user_id"] for a in sealed}
    assert {o for o in answers} <= {"recorded", "closed"}


async def test_a_lease_from_before_a_restart_is_void_only_in_a_data_directory(
        store, clock, backend) -> None:
    assert await store.save_quiz_session(T, "c1", game(), lease(clock, A), new=True)
    store = await backend.reopen(store)
    (saved,) = await store.active_quiz_sessions()
    if backend.url is None:  # the directory lock proves A is gone
        assert (saved.owner, saved.lease_until) == (None, None)
        assert await store.lease_quiz_game(T, "c1", "g1", lease(clock, B))
    else:  # another process may be alive and holding it
        assert saved.owner == A
        assert not await store.lease_quiz_game(T, "c1", "g1", lease(clock, B))


async def test_an_answer_can_be_checked_against_the_saved_state_in_its_write(store, clock) -> None:
    assert await store.save_quiz_session(T, "c1", {**game(), "deadline": "09:00:20"},
                                         lease(clock, A), new=True)
    seen: list[dict] = []

    def too_late(state: dict) -> str | None:
        seen.append(state)
        return "too_late"

    assert await store.save_quiz_answer(T, "c1", press("u1"), too_late) == "too_late"
    assert seen[0]["deadline"] == "09:00:20"
    saved = await store.quiz_game(T, "c1")
    assert saved is not None and saved.answers == []  # nothing written
    assert await store.save_quiz_answer(T, "c1", press("u1"), lambda state: None) == "recorded"
    # The store's own refusals come first: the check is not asked about a closed question.
    assert await store.save_quiz_answer(T, "c1", press("u2", question=1), too_late) == "closed"
    assert len(seen) == 1
