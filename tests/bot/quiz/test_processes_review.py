"""Second review of quizzes across processes: races and failures around the game's timer.

Same two-process world as ``test_processes`` (its ``pair`` fixture, on both backends).
"""

from __future__ import annotations

import asyncio

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
