"""Second review of quizzes across processes: races and failures around the game's timer.

Same two-process world as ``test_processes`` (its ``pair`` fixture, on both backends).
"""

from __future__ import annotations

import asyncio

from bot.quiz.manager import CLOSE_GRACE, REVEAL_PAUSE
from bot.storage import StorageUnavailable
from tests.bot.quiz.test_processes import (  # noqa: F401 - pair is a fixture
    TENANT,
    WHERE,
    Pair,
    _correct,
    _started,
    open_question,
    pair,
    until,
)


def _drivers(game: str) -> list[asyncio.Task]:
    return [t for t in asyncio.all_tasks() if t.get_name() == f"quiz-{game}" and not t.done()]


async def test_a_keeper_round_landing_during_a_start_leaves_one_timer(
        pair: Pair, monkeypatch):  # noqa: F811
    """The keeper reads the saved games while /quiz start is still saving its new game (the
    game is in the store, not yet among the running ones): it must not start a second
    driver for it."""
    manager = pair.a.manager
    original = manager.store.save_quiz_session
    rounds: list[asyncio.Task] = []

    async def save(*args, **kw):  # noqa: ANN002, ANN003
        saved = await original(*args, **kw)
        if kw.get("new"):
            rounds.append(asyncio.create_task(manager._take_over_orphans()))
            await asyncio.wait(rounds, timeout=0.5)
        return saved

    monkeypatch.setattr(manager.store, "save_quiz_session", save)
    game = await _started(pair)
    await until(lambda: bool(rounds) and rounds[0].done())
    monkeypatch.undo()
    for _ in range(20):
        await asyncio.sleep(0)
    assert len(_drivers(game)) == 1
    assert len(pair.a.recorder.posts) == 1  # question 1, once


async def test_a_game_ended_by_a_failure_counts_answers_acknowledged_in_another_process(
        pair: Pair, monkeypatch):  # noqa: F811
    """A failure while a question is open ends the game with its standings; an answer that
    another process confirmed (saved, not merged yet) must be part of them."""
    game = await _started(pair)
    assert "recorded" in (await pair.b.press(game, 0, _correct(pair), "bob")).title
    await open_question(pair)
    original = pair.a.store.seal_quiz_question
    blips: list[int] = []

    async def unreadable(*args, **kw):  # noqa: ANN002, ANN003
        raise StorageUnavailable("blip")  # the owner's merges never see Bob's answer

    async def flaky(*args, **kw):  # noqa: ANN002, ANN003
        if not blips:  # the close meets a database blip: the driver fails
            blips.append(1)
            raise StorageUnavailable("blip")
        return await original(*args, **kw)

    monkeypatch.setattr(pair.a.store, "quiz_game", unreadable)
    monkeypatch.setattr(pair.a.store, "seal_quiz_question", flaky)
    await pair.clock.advance(20 + CLOSE_GRACE)
    posts = await pair.a.recorder.wait_posts(2)
    assert blips and posts[-1].title == "Quiz over: Bob wins!"
    bob = await pair.b.store.user_stats(TENANT, "bob")
    assert (bob.answered, bob.correct, bob.games_played) == (1, 1, 1)


async def test_a_driver_that_could_not_even_end_its_game_does_not_hold_it_forever(
        pair: Pair, monkeypatch):  # noqa: F811
    """The database is away for a moment: the driver fails and cannot save the end either.
    Its process is alive and keeps renewing the lease, so no other process takes the game:
    the game must still go on (or end) once the database is back, not hang."""
    for p in (pair.a, pair.b):
        assert await p.manager.resume_all() == 0
    game = await _started(pair)
    assert "recorded" in (await pair.b.press(game, 0, _correct(pair), "bob")).title
    await open_question(pair)
    store = pair.a.store
    down = [True]
    for name in ("quiz_game", "save_quiz_session", "seal_quiz_question", "record_quiz_step"):
        method = getattr(store, name)

        async def failing(*args, _method=method, **kw):  # noqa: ANN002, ANN003
            if down[0]:
                raise StorageUnavailable("down")
            return await _method(*args, **kw)

        monkeypatch.setattr(store, name, failing)
    driver = pair.a.manager._running[WHERE].task
    assert driver is not None
    await pair.clock.advance(20 + CLOSE_GRACE)  # the close fails, then ending the game
    await until(driver.done)
    down[0] = False
    for _ in range(80):
        await pair.step(1)
        if any(r.title.startswith("Quiz over") for _, r in
               pair.a.recorder.posts + pair.b.recorder.posts):
            break
    titles = [r.title for _, r in pair.a.recorder.posts + pair.b.recorder.posts]
    assert any(t.startswith("Quiz over") for t in titles), titles
    bob = await pair.b.store.user_stats(TENANT, "bob")
    assert (bob.answered, bob.correct, bob.games_played) == (1, 1, 1)


async def test_the_final_standings_are_posted_when_a_lease_round_meets_the_finish(
        pair: Pair, monkeypatch):  # noqa: F811
    """The keeper renews leases while the driver ends the game: a renewal refused because
    the driver has just deleted the finished game must not cut the driver off before it
    posts the final standings."""
    game = await _started(pair, "/quiz start questions:1 time:20")
    manager = pair.a.manager
    original = manager.store.delete_quiz_session

    async def delete(*args, **kw):  # noqa: ANN002, ANN003
        removed = await original(*args, **kw)
        await asyncio.create_task(manager._renew_leases())  # a keeper round lands here
        return removed

    monkeypatch.setattr(manager.store, "delete_quiz_session", delete)
    assert "recorded" in (await pair.a.press(game, 0, _correct(pair), "bob")).title
    await open_question(pair)
    await pair.clock.advance(20 + CLOSE_GRACE)
    await pair.a.recorder.wait_posts(2)
    await pair.clock.advance(REVEAL_PAUSE)
    posts = await pair.a.recorder.wait_posts(3)
    assert posts[2].title == "Quiz over: Bob wins!"


async def test_forget_in_a_process_whose_game_was_just_taken_by_another_one(
        pair: Pair):  # noqa: F811
    """Bob's /quiz forget in B takes the game over from A; Cy's, in A a moment later (before
    A has noticed), must still take Cy out of the game and delete Cy's data."""
    game = await _started(pair)
    right = _correct(pair)
    for user in ("bob", "cy"):
        assert "recorded" in (await pair.a.press(game, 0, right, user)).title
    await open_question(pair)
    await pair.b.manager.forget("console", "club", "bob")
    assert pair.b.manager.running(*WHERE) is not None
    assert pair.a.manager.running(*WHERE) is not None  # A has not noticed yet
    await pair.a.manager.forget("console", "club", "cy")
    def a_alone() -> bool:
        return [p.manager.running(*WHERE) is None for p in (pair.a, pair.b)] == [False, True]

    for _ in range(5):  # the process that lost the game notices at its next merge
        await pair.clock.advance(1.0)
        if a_alone():
            break
    await until(a_alone)
    saved = await pair.a.store.quiz_game(TENANT, "study")
    assert saved is not None and {"bob", "cy"}.isdisjoint(saved.state["players"])
    assert {a["user_id"] for a in saved.answers}.isdisjoint({"bob", "cy"})


async def test_a_stop_that_fails_in_another_process_leaves_the_game_running(
        pair: Pair, monkeypatch):  # noqa: F811
    """/quiz stop in B takes the game from A, then meets a database blip: the game must not
    stay in B without a timer (B renewing its lease, so nobody else runs it either)."""
    for p in (pair.a, pair.b):
        assert await p.manager.resume_all() == 0
    game = await _started(pair)
    assert "recorded" in (await pair.a.press(game, 0, _correct(pair), "bob")).title
    await open_question(pair)
    original = pair.b.store.seal_quiz_question
    blips: list[int] = []

    async def flaky(*args, **kw):  # noqa: ANN002, ANN003
        if not blips:
            blips.append(1)
            raise StorageUnavailable("blip")
        return await original(*args, **kw)

    monkeypatch.setattr(pair.b.store, "seal_quiz_question", flaky)
    failed = await pair.b.say("/quiz stop", user="ann")
    assert failed.is_error and blips

    def revealed() -> bool:
        return any(r.title.startswith("Answer: ") for _, r in
                   pair.a.recorder.posts + pair.b.recorder.posts)

    for _ in range(30):
        await pair.step(1)
        if revealed():
            break
    assert revealed()


async def test_a_question_closing_during_a_forget_does_not_bring_the_player_back(
        pair: Pair, monkeypatch):  # noqa: F811
    """Cy's /quiz forget takes Cy out of the running game, then deletes Cy's data. The
    question closing in between must not take Cy's saved answer back into the game (and
    count it, and count the game for Cy at its end)."""
    game = await _started(pair, "/quiz start questions:1 time:20")
    right = _correct(pair)
    for user in ("bob", "cy"):
        assert "recorded" in (await pair.a.press(game, 0, right, user)).title
    await open_question(pair)
    original = pair.a.store.forget_user

    async def forget_user(*args, **kw):  # noqa: ANN002, ANN003
        await pair.clock.advance(20 + CLOSE_GRACE)  # the question closes in between
        for _ in range(50):
            await asyncio.sleep(0.001)
        return await original(*args, **kw)

    monkeypatch.setattr(pair.a.store, "forget_user", forget_user)
    await pair.a.manager.forget("console", "club", "cy")
    await pair.a.recorder.wait_posts(2)
    await pair.clock.advance(REVEAL_PAUSE)
    posts = await pair.a.recorder.wait_posts(3)
    assert posts[2].title == "Quiz over: Bob wins!" and "Cy" not in posts[2].plain_text()
    cy = await pair.a.store.user_stats(TENANT, "cy")
    assert (cy.answered, cy.games_played) == (0, 0)
