"""The quiz state machine on exact timestamps: no clock, no sleeping."""

from __future__ import annotations

import datetime as dt

from bot.quiz.session import Outcome, Phase, QuizSession

T0 = dt.datetime(2026, 5, 4, 18, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def session(questions: int = 3, seconds: int = 20) -> QuizSession:
    s = QuizSession(id="s1", platform="console", tenant_id="t", channel_id="c", starter_id="a",
                    question_ids=[f"q{i}" for i in range(questions)],
                    correct_options=[1] * questions, option_counts=[4] * questions,
                    seconds=seconds)
    s.open_question(T0)
    return s


def test_correct_fast_answers_earn_a_speed_bonus():
    """100 for a right answer, plus up to 50 in proportion to the time left (20 s here)."""
    s = session()
    points = {}
    for user, seconds in (("a", 0), ("b", 4), ("c", 10), ("d", 15), ("e", 19.9), ("f", 20)):
        points[user] = s.answer(user, user, 1, 0, at(seconds)).answer.points
    wrong = s.answer("w", "W", 2, 0, at(1))
    assert points == {"a": 150, "b": 140, "c": 125, "d": 112, "e": 100, "f": 100}
    assert wrong.outcome is Outcome.ACCEPTED and wrong.answer.points == 0


def test_first_answer_is_final_and_a_change_of_mind_is_reported():
    s = session()
    s.answer("a", "Ann", 2, 0, at(1))
    again = s.answer("a", "Ann", 1, 0, at(2))
    assert again.outcome is Outcome.ALREADY_ANSWERED and again.answer.option == 2
    assert s.players["a"].answered == 1 and s.players["a"].points == 0


def test_two_answers_at_the_same_instant_both_count():
    s = session()
    one, two = s.answer("a", "Ann", 1, 0, at(3)), s.answer("b", "Bob", 1, 0, at(3))
    assert one.outcome is two.outcome is Outcome.ACCEPTED
    assert one.answer.points == two.answer.points


def test_answer_exactly_at_the_deadline_counts_and_after_it_does_not():
    s = session()
    assert s.answer("a", "Ann", 1, 0, at(20)).outcome is Outcome.ACCEPTED
    assert s.answer("a", "Ann", 1, 0, at(20)).outcome is Outcome.ALREADY_ANSWERED
    assert s.answer("b", "Bob", 1, 0, at(20.001)).outcome is Outcome.TOO_LATE
    assert s.players["a"].points == 100  # no time left, no bonus


def test_answers_to_a_closed_or_other_question_are_refused():
    s = session()
    s.close_question(at(21), pause=5)
    assert s.answer("a", "Ann", 1, 0, at(22)).outcome is Outcome.TOO_LATE
    assert s.answer("a", "Ann", 1, 5, at(22)).outcome is Outcome.NOT_OPEN
    assert s.answer("a", "Ann", 9, 0, at(1)).outcome is Outcome.TOO_LATE


def test_bad_option_index_is_refused():
    assert session().answer("a", "Ann", 7, 0, at(1)).outcome is Outcome.BAD_OPTION


def test_question_one_runs_full_time_then_closes_early_when_everyone_answered():
    s = session()
    s.answer("a", "Ann", 1, 0, at(1))
    assert not s.due_to_close(at(2))  # nobody joined earlier: others may still join
    assert s.due_to_close(at(20.5))
    s.close_question(at(20.5), pause=5)
    s.advance(at(25))
    s.answer("a", "Ann", 1, 1, at(26))
    assert s.due_to_close(at(26))  # Ann was the only player, and she answered


def test_streaks_grow_and_break_on_wrong_or_missing_answers():
    s = session(questions=4)
    for q, option in enumerate([1, 1]):
        s.answer("a", "Ann", option, q, at(q * 30 + 1))
        s.close_question(at(q * 30 + 21), 5)
        s.advance(at(q * 30 + 30))
    assert s.players["a"].streak == 2
    s.close_question(at(81), 5)  # Ann missed question 3
    assert s.players["a"].streak == 0 and s.players["a"].best_streak == 2


def test_standings_tie_break_and_winners():
    s = session(questions=1)
    s.answer("b", "bob", 1, 0, at(10))
    s.answer("a", "ann", 1, 0, at(10))
    s.answer("c", "cy", 0, 0, at(1))
    assert [p.user_id for p in s.standings()] == ["a", "b", "c"]
    assert {p.user_id for p in s.winners()} == {"a", "b"}


def test_finishing_after_the_last_question():
    s = session(questions=1)
    s.close_question(at(21), 5)
    assert s.advance(at(26)) is False and s.phase is Phase.FINISHED


def test_state_round_trips_through_a_dict():
    s = session()
    s.answer("a", "Ann", 1, 0, at(2))
    copy = QuizSession.from_dict(s.to_dict())
    assert copy == s
