"""Quiz sessions end to end through the core: commands, buttons, timers, storage, restart."""

from __future__ import annotations

import asyncio

from bot.delivery import Delivery
from bot.models import Visibility
from bot.quiz.manager import CLOSE_GRACE, REVEAL_PAUSE
from bot.storage import StorageError, StorageUnavailable, Tenant
from tests.bot.quiz.conftest import make_world

TENANT = Tenant("console", "club")


async def test_start_posts_a_question_with_one_button_per_option(world):
    started = await world.say("/quiz start topic:jax questions:3 time:20")
    assert not started.is_error and "3 questions on jax" in started.title
    [question] = await world.recorder.wait_posts(1)
    assert question.title.startswith("Question 1/3 · jax")
    assert 2 <= len(question.buttons) <= 5
    assert all(b.id.startswith("quiz:") for b in question.buttons)


async def test_one_session_per_channel(world):
    await world.say("/quiz start questions:2")
    second = await world.say("/quiz start", user="bob")
    assert second.is_error and "/quiz stop" in second.plain_text()
    other_channel = await world.say("/quiz start questions:2", channel="other")
    assert not other_channel.is_error


async def test_answer_once_and_a_changed_mind_is_reported(world):
    await world.say("/quiz start questions:2")
    await world.recorder.wait_posts(1)
    first = await world.press(world.correct(), "bob")
    assert first.visibility is Visibility.PRIVATE and "recorded" in first.title
    again = await world.press((world.correct() + 1) % 2, "bob")
    assert "already answered" in again.title
    await world.clock.advance(20 + CLOSE_GRACE)
    await world.recorder.wait_posts(2)
    stats = await world.store.user_stats(TENANT, "bob")
    assert stats.answered == 1 and stats.correct == 1 and stats.points > 100


async def test_scores_count_an_answer_only_once_its_question_is_revealed(world):
    await world.say("/quiz start questions:2 time:20")
    await world.recorder.wait_posts(1)
    await world.press(world.correct(), "bob")
    peek = await world.say("/quiz leaderboard", user="cy")
    assert "Bob" not in peek.plain_text()  # no hint of who got the open question right
    await world.clock.advance(20 + CLOSE_GRACE)
    await world.recorder.wait_posts(2)
    board = await world.say("/quiz leaderboard", user="cy")
    assert "Bob" in board.plain_text()


async def test_two_answers_at_the_same_instant_are_both_recorded(world):
    await world.say("/quiz start questions:2")
    await world.recorder.wait_posts(1)
    good = world.correct()
    a, b = await asyncio.gather(world.press(good, "bob"), world.press(good, "cy"))
    assert "recorded" in a.title and "recorded" in b.title
    await world.clock.advance(20 + CLOSE_GRACE)
    await world.recorder.wait_posts(2)
    board = await world.store.leaderboard(TENANT)
    assert {e.user_id for e in board} == {"bob", "cy"}
    assert board[0].points == board[1].points


async def test_answer_exactly_at_the_deadline_counts_then_late_ones_are_refused(world):
    await world.say("/quiz start questions:2 time:20")
    await world.recorder.wait_posts(1)
    await world.clock.advance(20)
    on_time = await world.press(world.correct(), "bob")
    assert "recorded" in on_time.title
    await world.clock.advance(CLOSE_GRACE)
    await world.recorder.wait_posts(2)  # the reveal
    late = await world.press(world.correct(), "cy", question=0)
    assert "Time was up" in late.title


async def test_close_edits_the_question_reveals_and_moves_on(world):
    await world.say("/quiz start questions:2 time:20")
    await world.recorder.wait_posts(1)
    good = world.correct()
    await world.press(good, "bob")
    await world.press((good + 1) % 2, "cy")
    await world.clock.advance(20 + CLOSE_GRACE)
    posts = await world.recorder.wait_posts(2)
    reveal = posts[1]
    assert reveal.title.startswith("Answer: ")
    sections = {s.heading: s.body for s in reveal.sections}
    assert "Bob (+" in sections["Got it right"] and "Cy" not in sections["Got it right"]
    assert sections["Why"]
    [(message_id, closed)] = world.recorder.edits
    assert message_id == "m1" and closed.title.endswith("(closed)") and not closed.buttons
    await world.clock.advance(REVEAL_PAUSE)
    posts = await world.recorder.wait_posts(3)
    assert posts[2].title.startswith("Question 2/2")


async def test_question_closes_early_once_everyone_who_joined_answered(world):
    await world.say("/quiz start questions:3 time:30")
    await world.recorder.wait_posts(1)
    await world.press(world.correct(), "bob")
    await world.clock.advance(30 + CLOSE_GRACE)
    await world.recorder.wait_posts(2)
    await world.clock.advance(REVEAL_PAUSE)
    await world.recorder.wait_posts(3)
    await world.press(world.correct(), "bob")  # Bob is the only player: no need to wait
    posts = await world.recorder.wait_posts(4)
    assert posts[3].title.startswith("Answer: ")


async def test_full_game_ends_with_the_podium_and_records_the_game(world):
    await world.say("/quiz start questions:2 time:10")
    for q in range(2):
        await world.recorder.wait_posts(1 + 2 * q)
        await world.press(world.correct(), "bob")
        await world.press((world.correct() + 1) % 2, "cy")
        await world.clock.advance(10 + CLOSE_GRACE)
        await world.recorder.wait_posts(2 + 2 * q)
        await world.clock.advance(REVEAL_PAUSE)
    posts = await world.recorder.wait_posts(5)
    final = posts[4]
    assert final.title == "Quiz over: Bob wins!"
    assert "🥇 Bob" in final.sections[0].body and {f.name for f in final.fields} == {"Bob", "Cy"}
    bob = await world.store.user_stats(TENANT, "bob")
    cy = await world.store.user_stats(TENANT, "cy")
    assert (bob.games_played, bob.games_won, bob.best_streak) == (1, 1, 2)
    assert (cy.games_played, cy.games_won) == (1, 0)
    assert world.manager.running("console", "club", "study") is None
    assert await world.store.load_quiz_session(TENANT, "study") is None


async def test_stop_is_for_the_starter_or_managers_and_shows_standings(world):
    await world.say("/quiz start questions:5", user="ann")
    await world.recorder.wait_posts(1)
    await world.press(world.correct(), "bob")
    refused = await world.say("/quiz stop", user="bob")
    assert refused.is_error and "starter or a channel manager" in refused.title
    stopped = await world.say("/quiz stop", user="mod", manager=True)
    assert stopped.title == "Quiz over: Bob wins!" and "stopped after 1 of 5" in stopped.footer
    assert world.manager.running("console", "club", "study") is None


async def test_a_restart_mid_session_keeps_the_scores_and_resumes(world, knowledge):
    await world.say("/quiz start questions:3 time:20")
    await world.recorder.wait_posts(1)
    await world.press(world.correct(), "bob")
    # The process goes away: timers stop, storage is flushed and released.
    await world.manager.shutdown()
    await world.store.close()
    again = await make_world(knowledge, world.data_dir, world.clock)
    try:
        assert await again.manager.resume_all() == 1
        session = again.manager.running("console", "club", "study")
        assert session.players["bob"].points > 100 and session.index == 0
        await again.clock.advance(20 + CLOSE_GRACE)
        posts = await again.recorder.wait_posts(1)
        assert posts[0].title.startswith("Answer: ") and "Bob" in posts[0].plain_text()
        await again.clock.advance(REVEAL_PAUSE)
        posts = await again.recorder.wait_posts(2)
        assert posts[1].title.startswith("Question 2/3")
    finally:
        await again.manager.shutdown()
        await again.store.close()
        world.store = await again.store.open(world.data_dir, world.clock)  # for teardown


async def test_a_crash_after_a_close_is_saved_counts_its_answers_once_and_never_reopens(
    world, knowledge
):
    await world.say("/quiz start questions:2 time:20")
    await world.recorder.wait_posts(1)
    await world.press(world.correct(), "bob")
    session = world.manager.running("console", "club", "study")
    # /quiz stop got as far as saving the closed question; the process died before counting.
    session.stop("ann")
    session.close_question(world.clock.now(), 0)
    await world.manager._save(session)
    await world.manager.shutdown()
    await world.store.close()
    again = await make_world(knowledge, world.data_dir, world.clock)
    try:
        assert await again.manager.resume_all() == 0  # stopped: finished, not resumed
        [final] = await again.recorder.wait_posts(1)
        assert final.title == "Quiz over: Bob wins!"
        late = await again.core.press(f"quiz:{session.id}:0:0", again.ctx("cy"))
        assert "ended" in late.title
        bob = await again.store.user_stats(TENANT, "bob")
        assert (bob.answered, bob.correct, bob.games_played, bob.games_won) == (1, 1, 1, 1)
        assert await again.store.load_quiz_session(TENANT, "study") is None
    finally:
        await again.manager.shutdown()
        await again.store.close()
        world.store = await again.store.open(world.data_dir, world.clock)  # for teardown


async def test_pressing_a_button_of_an_ended_quiz(world):
    response = await world.core.press("quiz:abcdef:0:1", world.ctx("bob"))
    assert "ended" in response.title


def _shown(response) -> list[str]:  # noqa: ANN001
    """The options as a question message lists them ("A) text" lines), texts only."""
    lines = response.sections[1].body.splitlines()
    return [line.split(") ", 1)[1].removesuffix(" ✓") for line in lines]


async def test_options_are_shuffled_per_game_and_a_restart_shows_the_same_order(
    world, knowledge
):
    await world.say("/quiz start questions:10 time:20")
    [question] = await world.recorder.wait_posts(1)
    session = world.manager.running("console", "club", "study")
    bank = [world.manager.bank.get(qid) for qid in session.question_ids]
    # Over a game the right answer moves around, and some questions are not in bank order.
    places = [[o.correct for o in q.options].index(True) for q in bank]
    assert len(set(session.correct_options)) > 1
    assert session.correct_options != places
    shown = _shown(question)
    assert sorted(shown) == sorted(o.text for o in bank[0].options)
    right = next(o.text for o in bank[0].options if o.correct)
    await world.manager.shutdown()
    await world.store.close()
    again = await make_world(knowledge, world.data_dir, world.clock)
    try:
        assert await again.manager.resume_all() == 1
        # Cy presses where the right answer was shown before the restart: it is still there.
        pressed = await again.core.press(f"quiz:{session.id}:0:{shown.index(right)}",
                                         again.ctx("cy"))
        assert "recorded" in pressed.title
        await again.clock.advance(20 + CLOSE_GRACE)
        await again.recorder.wait_posts(1)
        [(_, closed)] = again.recorder.edits
        assert _shown(closed) == shown  # same order, answer marked on the same line
        marked = closed.sections[1].body.splitlines()[shown.index(right)]
        assert marked.endswith(" ✓")
        cy = await again.store.user_stats(TENANT, "cy")
        assert (cy.answered, cy.correct) == (1, 1)
    finally:
        await again.manager.shutdown()
        await again.store.close()
        world.store = await again.store.open(world.data_dir, world.clock)  # for teardown


async def test_two_games_of_the_same_questions_show_different_orders(world):
    orders = []
    for _ in range(2):
        await world.say("/quiz start questions:30 time:20", manager=True)
        session = world.manager.running("console", "club", "study")
        orders.append(dict(zip(session.question_ids, session.option_orders, strict=True)))
        await world.say("/quiz stop", manager=True)
    common = orders[0].keys() & orders[1].keys()
    assert common and any(orders[0][q] != orders[1][q] for q in common)


async def test_a_question_refused_for_a_moment_is_retried_and_timed_from_when_it_shows(world):
    world.recorder.refuse.append(Delivery(ok=False, error="rate limited", retry_after=3.0))
    await world.say("/quiz start questions:2 time:20")
    await world.recorder.wait_for(lambda: world.recorder.refused)
    session = world.manager.running("console", "club", "study")
    assert session.message_id is None  # not on screen, so not marked posted
    await world.clock.advance(3.0)  # the wait the platform asked for
    [question] = await world.recorder.wait_posts(1)
    assert question.title.startswith("Question 1/2")
    assert session.message_id == "m1"
    await world.clock.advance(19.0)  # 22 s after the start, 19 s after it showed
    assert "recorded" in (await world.press(world.correct(), "bob")).title


async def test_a_question_the_platform_keeps_refusing_ends_the_game_with_a_message(world):
    world.recorder.refuse.append(Delivery(ok=False, error="Missing Access", permanent=True))
    await world.say("/quiz start questions:2 time:20")
    [notice, final] = await world.recorder.wait_posts(2)
    assert notice.title == "The quiz had to stop" and "Missing Access" in notice.plain_text()
    assert final.title == "Quiz over" and len(world.recorder.refused) == 1  # not retried
    assert world.manager.running("console", "club", "study") is None
    assert await world.store.load_quiz_session(TENANT, "study") is None
    assert not (await world.say("/quiz start questions:1")).is_error


async def test_a_second_question_refused_three_times_ends_the_game_and_counts_it(world):
    await world.say("/quiz start questions:2 time:20")
    await world.recorder.wait_posts(1)
    await world.press(world.correct(), "bob")
    await world.clock.advance(20 + CLOSE_GRACE)
    await world.recorder.wait_posts(2)  # the reveal
    world.recorder.refuse.extend([Delivery(ok=False, error="HTTP 503")] * 3)
    await world.clock.advance(REVEAL_PAUSE)
    for attempt in (1, 2):
        await world.recorder.wait_for(lambda n=attempt: len(world.recorder.refused) == n)
        await world.clock.advance(5.0)
    posts = await world.recorder.wait_posts(4)
    assert [p.title for p in posts[2:]] == ["The quiz had to stop", "Quiz over: Bob wins!"]
    assert len(world.recorder.refused) == 3
    bob = await world.store.user_stats(TENANT, "bob")
    assert (bob.answered, bob.games_played, bob.games_won) == (1, 1, 1)


async def test_forget_during_a_running_game_takes_the_player_out_for_good(world):
    await world.say("/quiz start questions:2 time:20", user="ann")
    await world.recorder.wait_posts(1)
    await world.press(world.correct(), "bob")
    await world.press(world.correct(), "cy")
    done = await world.core.press("forget:bob", world.ctx("bob"))
    assert done.title.startswith("Done")
    await world.clock.advance(20 + CLOSE_GRACE)
    [_, reveal] = await world.recorder.wait_posts(2)
    assert "Cy" in reveal.plain_text() and "Bob" not in reveal.plain_text()
    stopped = await world.say("/quiz stop", user="ann")
    assert [f.name for f in stopped.fields] == ["Cy"]
    bob = await world.store.user_stats(TENANT, "bob")
    assert (bob.answered, bob.games_played) == (0, 0)
    assert (await world.store.user_stats(TENANT, "cy")).answered == 1


async def test_nobody_wins_a_game_nobody_scored_in(world):
    await world.say("/quiz start questions:1 time:10")
    await world.recorder.wait_posts(1)
    await world.press((world.correct() + 1) % 2, "bob")
    await world.clock.advance(10 + CLOSE_GRACE)
    await world.recorder.wait_posts(2)
    await world.clock.advance(REVEAL_PAUSE)
    final = (await world.recorder.wait_posts(3))[2]
    assert final.title == "Quiz over" and "win" not in final.title
    assert final.footer.startswith("1 question ·")  # not "1 questions"
    assert "🥇" not in final.plain_text()  # no medal for 0 points in a game nobody won
    assert "Nobody scored this time." in final.plain_text()
    bob = await world.store.user_stats(TENANT, "bob")
    assert (bob.games_played, bob.games_won, bob.points) == (1, 0, 0)


async def test_an_answer_the_store_could_not_save_is_refused_politely_and_not_counted(
    world, monkeypatch
):
    await world.say("/quiz start questions:2 time:20")
    await world.recorder.wait_posts(1)
    real = world.store.save_quiz_answer

    async def disk_full(*args, **kwargs):  # noqa: ANN002, ANN003
        raise StorageError("write not saved: [Errno 28] No space left on device")

    monkeypatch.setattr(world.store, "save_quiz_answer", disk_full)
    failed = await world.press(world.correct(), "bob")
    assert failed.is_error and failed.title == "Something went wrong on our side"
    assert "Traceback" not in failed.plain_text()
    monkeypatch.setattr(world.store, "save_quiz_answer", real)
    wrong = (world.correct() + 1) % 2
    again = await world.press(wrong, "bob")  # a fresh answer, not "already answered"
    assert "recorded" in again.title
    await world.clock.advance(20 + CLOSE_GRACE)
    await world.recorder.wait_posts(2)
    bob = await world.store.user_stats(TENANT, "bob")
    assert (bob.answered, bob.correct, bob.points) == (1, 0, 0)


async def test_a_database_blip_while_a_question_is_open_does_not_end_the_game(world, monkeypatch):
    """The once-a-second merge of other processes' answers only speeds a close up: when it
    cannot read, the question goes on and closes at its time."""
    await world.say("/quiz start questions:2 time:20")
    await world.recorder.wait_posts(1)
    await world.press(world.correct(), "bob")
    real = world.store.quiz_game
    failures = []

    async def unreachable(*args, **kwargs):  # noqa: ANN002, ANN003
        failures.append(world.clock.now())
        raise StorageUnavailable("the database cannot be reached just now")

    monkeypatch.setattr(world.store, "quiz_game", unreachable)
    await world.clock.advance(3)
    assert failures  # the merge ran into it
    monkeypatch.setattr(world.store, "quiz_game", real)
    await world.clock.advance(17 + CLOSE_GRACE)
    posts = await world.recorder.wait_posts(2)
    assert posts[1].title.startswith("Answer: ") and "Bob" in posts[1].plain_text()
    assert world.manager.running("console", "club", "study") is not None
