"""One quiz, two processes on one database: presses reach either, one runs the timer, and a
dead process's game is taken over.

Each "process" is its own core, quiz manager (its own lease owner) and outbox; they share the
fake clock and the data: on PostgreSQL each has its own connection pool, and in a data
directory (which only one process may open) they share the store, which still exercises the
same claims and leases.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.core import Core
from bot.delivery import Outbox
from bot.models import Context, Response, unmark
from bot.quiz.bank import QuestionBank
from bot.quiz.manager import CLOSE_GRACE, KEEP_EVERY, LEASE, MERGE_EVERY, REVEAL_PAUSE, QuizManager
from bot.quiz.render import LETTERS
from bot.storage import Store, Tenant
from bot.storage.postgres.store import PostgresStore
from tests.bot.quiz.conftest import Recorder
from tests.postgres import empty_database

TENANT = Tenant("console", "club")
WHERE = ("console", "club", "study")


@dataclass
class Process:
    name: str
    core: Core
    store: Store
    manager: QuizManager
    recorder: Recorder

    async def say(self, text: str, user: str = "ann", **kw: bool) -> Response:
        ctx = Context(platform="console", user_id=user, user_name=user.capitalize(),
                      channel_id="study", tenant_id="club", **kw)
        return (await self.core.handle_text(text, ctx)).map_text(unmark)

    async def press(self, game: str, question: int, option: int, user: str) -> Response:
        ctx = Context(platform="console", user_id=user, user_name=user.capitalize(),
                      channel_id="study", tenant_id="club")
        return await self.core.press(f"quiz:{game}:{question}:{option}", ctx)

    def kill(self) -> None:
        """SIGKILL as far as the game is concerned: timers gone, nothing handed back."""
        tasks = [r.task for r in self.manager._running.values() if r.task]
        for task in [*tasks, self.manager._keeper]:
            if task is not None:
                task.cancel()
        self.manager._running.clear()
        self.manager._by_id.clear()
        self.manager._keeper = None


@dataclass
class Pair:
    clock: FakeClock
    a: Process
    b: Process

    async def step(self, seconds: float) -> None:
        """Move the clock, then let each live keeper finish its round (it sleeps again)."""
        await self.clock.advance(seconds)
        async with asyncio.timeout(10):
            for p in (self.a, self.b):
                keeper = p.manager._keeper
                while keeper is not None and not keeper.done() and keeper not in self.clock.parked:
                    await asyncio.sleep(0.001)


async def until(condition) -> None:  # noqa: ANN001
    """Wait (safety net 10 s) for work on real I/O (a database round trip) to show."""
    async with asyncio.timeout(10):
        while not condition():
            await asyncio.sleep(0.001)


async def open_question(pair: Pair) -> None:
    """Wait until the game's process waits for the open question to close (so a step of the
    clock reaches its timers)."""
    await until(lambda: any(t.get_name().endswith("-merge") for t in pair.clock.parked))


async def _process(name: str, store: Store, clock: FakeClock, knowledge) -> Process:  # noqa: ANN001
    recorder = Recorder()
    outbox = Outbox(clock, rates={"console": 1e9})
    outbox.register("console", recorder)
    manager = QuizManager(QuestionBank.load(), store, outbox, clock, rng=random.Random(7),
                          owner=f"process-{name}")
    core = Core(knowledge=knowledge, clock=clock)
    core.services.update(store=store, quiz=manager, outbox=outbox)
    return Process(name, core, store, manager, recorder)


@pytest.fixture(params=["embedded", "postgres"])
async def pair(request, knowledge, tmp_path: Path) -> AsyncIterator[Pair]:  # noqa: ANN001
    clock = FakeClock()
    if request.param == "postgres":
        url = request.getfixturevalue("pg_url")
        await empty_database(url)
        stores = [await PostgresStore.open(url, clock), await PostgresStore.open(url, clock)]
    else:
        shared = await Store.open(tmp_path / "data", clock)
        stores = [shared, shared]
    a = await _process("a", stores[0], clock, knowledge)
    b = await _process("b", stores[1], clock, knowledge)
    yield Pair(clock, a, b)
    for p in (a, b):
        await p.manager.shutdown()
    for store in {id(s): s for s in stores}.values():
        await store.close()


async def _started(pair: Pair, text: str = "/quiz start questions:2 time:20") -> str:
    started = await pair.a.say(text)
    assert not started.is_error, started
    await pair.a.recorder.wait_posts(1)
    game = pair.a.manager.running(*WHERE)
    assert game is not None
    return game.id


def _correct(pair: Pair, question: int = 0) -> int:
    game = pair.a.manager.running(*WHERE) or pair.b.manager.running(*WHERE)
    assert game is not None
    return game.correct_options[question]


async def test_presses_on_either_process_count_once_and_the_first_answer_is_final(pair):
    game = await _started(pair)
    right = _correct(pair)
    wrong = (right + 1) % 2
    assert "recorded" in (await pair.b.press(game, 0, right, "bob")).title
    again = await pair.a.press(game, 0, wrong, "bob")  # the owner had not seen Bob's answer
    assert again.title == f"You already answered {LETTERS[right]}"
    assert "recorded" in (await pair.a.press(game, 0, wrong, "cy")).title
    again = await pair.b.press(game, 0, right, "cy")
    assert again.title == f"You already answered {LETTERS[wrong]}"
    await open_question(pair)
    await pair.clock.advance(20 + CLOSE_GRACE)
    posts = await pair.a.recorder.wait_posts(2)
    assert posts[1].title.startswith("Answer: ") and "Bob" in posts[1].plain_text()
    late = await pair.b.press(game, 0, right, "dan")
    assert late.title == "Time was up for that question"
    await pair.clock.advance(REVEAL_PAUSE)
    await pair.a.recorder.wait_posts(3)
    assert "recorded" in (await pair.b.press(game, 1, _correct(pair, 1), "bob")).title
    await open_question(pair)
    await pair.clock.advance(20 + CLOSE_GRACE)
    await pair.a.recorder.wait_posts(4)
    await pair.clock.advance(REVEAL_PAUSE)
    posts = await pair.a.recorder.wait_posts(5)
    assert posts[4].title == "Quiz over: Bob wins!"
    bob = await pair.a.store.user_stats(TENANT, "bob")
    cy = await pair.b.store.user_stats(TENANT, "cy")
    assert (bob.answered, bob.correct, bob.games_played) == (2, 2, 1)
    assert (cy.answered, cy.correct, cy.games_played) == (1, 0, 1)
    assert pair.b.recorder.posts == []  # the timer ran in one process only


async def test_a_question_closes_early_when_everyone_answered_through_another_process(pair):
    game = await _started(pair, "/quiz start questions:2 time:30")
    await pair.b.press(game, 0, _correct(pair), "bob")
    await open_question(pair)
    await pair.clock.advance(30 + CLOSE_GRACE)
    await pair.a.recorder.wait_posts(2)
    await pair.clock.advance(REVEAL_PAUSE)
    await pair.a.recorder.wait_posts(3)
    await pair.b.press(game, 1, _correct(pair, 1), "bob")  # Bob is the only player
    await open_question(pair)
    await pair.clock.advance(MERGE_EVERY)
    posts = await pair.a.recorder.wait_posts(4)
    assert posts[3].title.startswith("Answer: ")


async def test_a_dead_process_game_is_taken_over_within_15_seconds_and_finishes(pair):
    for p in (pair.a, pair.b):
        assert await p.manager.resume_all() == 0
    game = await _started(pair)
    assert "recorded" in (await pair.a.press(game, 0, _correct(pair), "bob")).title
    assert "recorded" in (await pair.b.press(game, 0, _correct(pair), "cy")).title
    await pair.step(2)
    pair.a.kill()
    waited = 0.0
    while pair.b.manager.running(*WHERE) is None:
        assert waited < 15, "nobody took the game over"
        await pair.step(1)
        waited += 1
    assert waited > LEASE - KEEP_EVERY  # not while A's lease was still good
    await open_question(pair)
    await pair.clock.advance(20)
    posts = await pair.b.recorder.wait_posts(1)
    assert posts[0].title.startswith("Answer: ")
    assert "Bob" in posts[0].plain_text() and "Cy" in posts[0].plain_text()
    await pair.clock.advance(REVEAL_PAUSE)
    await pair.b.recorder.wait_posts(2)
    await open_question(pair)
    await pair.clock.advance(20 + CLOSE_GRACE)
    await pair.b.recorder.wait_posts(3)
    await pair.clock.advance(REVEAL_PAUSE)
    posts = await pair.b.recorder.wait_posts(4)
    assert posts[3].title.startswith("Quiz over")
    for user in ("bob", "cy"):
        stats = await pair.b.store.user_stats(TENANT, user)
        assert (stats.answered, stats.correct, stats.games_played) == (1, 1, 1), user
    assert len(pair.a.recorder.posts) == 1  # A posted question 1, then died


async def test_a_live_process_keeps_its_game_while_others_start(pair):
    assert await pair.a.manager.resume_all() == 0
    await _started(pair, "/quiz start questions:2 time:60")
    assert await pair.b.manager.resume_all() == 0
    for _ in range(8):
        await pair.step(KEEP_EVERY)
        assert pair.b.manager.running(*WHERE) is None
    refused = await pair.b.say("/quiz start", user="bob")
    assert refused.is_error and "Question 1 of 2 is on" in refused.plain_text()


async def test_stop_through_another_process_ends_the_game_and_the_owner_lets_go(pair):
    game = await _started(pair, "/quiz start questions:3 time:20")
    await pair.b.press(game, 0, _correct(pair), "bob")
    refused = await pair.b.say("/quiz stop", user="bob")
    assert refused.is_error and "starter or a channel manager" in refused.title
    stopped = await pair.b.say("/quiz stop", user="ann")
    assert stopped.title == "Quiz over: Bob wins!" and "stopped after 1 of 3" in stopped.footer
    assert [m for m, _ in pair.b.recorder.edits] == ["m1"]  # question 1 closed, by B
    await pair.clock.advance(MERGE_EVERY)
    await until(lambda: pair.a.manager.running(*WHERE) is None)
    await pair.clock.advance(60)
    assert len(pair.a.recorder.posts) == 1 and pair.b.recorder.posts == []
    assert (await pair.a.store.user_stats(TENANT, "bob")).games_played == 1
    assert await pair.a.store.quiz_game(TENANT, "study") is None


async def test_another_process_refuses_a_press_after_the_deadline_or_for_no_such_option(pair):
    game = await _started(pair, "/quiz start questions:2 time:20")
    bad = await pair.b.press(game, 0, 7, "bob")
    assert bad.title == "That option does not exist"
    await open_question(pair)
    await pair.clock.advance(20 + CLOSE_GRACE / 2)  # time is up; the owner has not closed yet
    late = await pair.b.press(game, 0, _correct(pair), "bob")
    assert late.title == "Time was up for that question"
    await pair.clock.advance(CLOSE_GRACE)
    posts = await pair.a.recorder.wait_posts(2)
    assert "Bob" not in posts[1].plain_text()
