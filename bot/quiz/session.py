"""One quiz in one channel, as a state machine driven by events: answer, tick, stop.

The session does no I/O and never reads a clock: every event carries ``now``. The manager
feeds it events, persists its state after each one, and turns what it returns into
messages. That keeps the rules (one answer per person, deadlines, scoring, early close)
in one place that tests drive with exact timestamps.

Rules
- Answers time-stamped at or before the deadline count; later ones are refused politely.
- A person's first answer to a question is final; another press is reported, not applied.
- Correct answers earn ``BASE_POINTS`` plus a speed bonus of up to ``SPEED_BONUS``, in
  proportion to the time left. Wrong or missing answers break a streak.
- A question closes at its deadline, or as soon as everyone who joined on an earlier
  question has answered it (question 1 always runs its full time, so people can join).
- After the last question, or on stop, the session is finished with its standings. A stop
  is part of the saved state from the first save after it: a stopped game never resumes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

BASE_POINTS = 100
SPEED_BONUS = 50


class Phase(StrEnum):
    ASKING = "asking"  # a question is open for answers
    REVEALED = "revealed"  # the answer is shown; the next question comes after a pause
    FINISHED = "finished"


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    ALREADY_ANSWERED = "already_answered"
    TOO_LATE = "too_late"
    NOT_OPEN = "not_open"
    BAD_OPTION = "bad_option"


@dataclass
class Player:
    user_id: str
    name: str
    joined_at_question: int
    points: int = 0
    correct: int = 0
    answered: int = 0
    streak: int = 0
    best_streak: int = 0


@dataclass
class Answer:
    option: int
    correct: bool
    points: int
    response_ms: int


@dataclass(frozen=True)
class AnswerResult:
    outcome: Outcome
    answer: Answer | None = None  # the recorded answer (the earlier one if already answered)
    player: Player | None = None


@dataclass
class QuizSession:
    id: str
    platform: str
    tenant_id: str
    channel_id: str
    starter_id: str
    question_ids: list[str]
    correct_options: list[int]  # position of the correct option (as shown) for each question
    option_counts: list[int]
    seconds: int
    topic: str | None = None
    index: int = 0
    phase: Phase = Phase.ASKING
    opened_at: dt.datetime | None = None
    deadline: dt.datetime | None = None
    next_at: dt.datetime | None = None  # when the next question opens (phase REVEALED)
    answers: dict[str, Answer] = field(default_factory=dict)  # current question, by user
    players: dict[str, Player] = field(default_factory=dict)
    message_id: str | None = None  # the current question's message, to edit on close
    stopped_by: str | None = None
    # Per question, the bank's option index shown at each position (drawn once per game and
    # saved, so a restart shows the same order; empty: the bank's order, as older saves had).
    option_orders: list[list[int]] = field(default_factory=list)

    # ------------------------------------------------------------------ events
    def open_question(self, now: dt.datetime) -> None:
        """Open the question at ``index`` for ``seconds``."""
        self.phase = Phase.ASKING
        self.answers = {}
        self.opened_at = now
        self.deadline = now + dt.timedelta(seconds=self.seconds)
        self.next_at = None
        self.message_id = None

    def answer(self, user_id: str, name: str, option: int, question: int,
               now: dt.datetime) -> AnswerResult:
        """Someone pressed an option of question number ``question``."""
        refused = gate(self.phase, self.index, self.deadline, self.option_counts, question,
                       option, now)
        if refused is not None:
            return AnswerResult(refused)
        assert self.opened_at is not None
        player = self.players.get(user_id)
        if player is None:
            player = self.players[user_id] = Player(user_id, name, self.index)
        if user_id in self.answers:
            return AnswerResult(Outcome.ALREADY_ANSWERED, self.answers[user_id], player)
        elapsed = (now - self.opened_at).total_seconds()
        correct = option == self.correct_options[self.index]
        points = 0
        if correct:
            left = max(0.0, 1.0 - elapsed / self.seconds)
            points = BASE_POINTS + round(SPEED_BONUS * left)
        answer = Answer(option, correct, points, int(elapsed * 1000))
        self.answers[user_id] = answer
        player.answered += 1
        player.points += points
        if correct:
            player.correct += 1
            player.streak += 1
            player.best_streak = max(player.best_streak, player.streak)
        else:
            player.streak = 0
        return AnswerResult(Outcome.ACCEPTED, answer, player)

    def withdraw(self, user_id: str, before: Player | None) -> None:
        """Undo an accepted answer that could not be saved (the person was told it failed):
        the player is back as they were ``before`` it (None: they had not played yet)."""
        self.answers.pop(user_id, None)
        if before is None:
            self.players.pop(user_id, None)
        else:
            self.players[user_id] = before

    def everyone_answered(self) -> bool:
        """True when every player who joined before this question has answered it."""
        earlier = [p for p in self.players.values() if p.joined_at_question < self.index]
        return bool(earlier) and all(p.user_id in self.answers for p in earlier)

    def due_to_close(self, now: dt.datetime) -> bool:
        return self.phase is Phase.ASKING and (
            (self.deadline is not None and now > self.deadline) or self.everyone_answered()
        )

    def close_question(self, now: dt.datetime, pause: float) -> None:
        """Reveal: players who did not answer lose their streak."""
        for player in self.players.values():
            if player.user_id not in self.answers:
                player.streak = 0
        self.phase = Phase.REVEALED
        self.next_at = now + dt.timedelta(seconds=pause)

    @property
    def is_last(self) -> bool:
        return self.index >= len(self.question_ids) - 1

    def advance(self, now: dt.datetime) -> bool:
        """Move to the next question; False (and finished) when there is none, or the game
        was stopped."""
        if self.is_last or self.stopped_by is not None:
            self.finish()
            return False
        self.index += 1
        self.open_question(now)
        return True

    def stop(self, by: str) -> None:
        """Someone stopped the game: it ends once the open question (if any) is closed. Saved
        with the state, so a restart finishes the game instead of resuming it."""
        self.stopped_by = by

    def finish(self, stopped_by: str | None = None) -> None:
        self.phase = Phase.FINISHED
        self.stopped_by = stopped_by or self.stopped_by

    def order(self, index: int) -> list[int]:
        """The bank's option indexes in the order question ``index`` shows them."""
        if index < len(self.option_orders):
            return self.option_orders[index]
        return list(range(self.option_counts[index]))

    # ------------------------------------------------------------------ results
    def standings(self) -> list[Player]:
        """Points, then correct answers, then best streak, then name: ties are rare and stable."""
        return sorted(
            self.players.values(),
            key=lambda p: (-p.points, -p.correct, -p.best_streak, p.name.casefold()),
        )

    def winners(self) -> list[Player]:
        ranked = self.standings()
        if not ranked or ranked[0].points <= 0:
            return []
        top = ranked[0].points
        return [p for p in ranked if p.points == top]

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data. Hand-written: ``dataclasses.asdict`` deep-copies recursively
        and cost milliseconds per answer for a 30-player session."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("question_ids", "correct_options", "option_counts"):
            data[name] = list(data[name])
        data["option_orders"] = [list(order) for order in self.option_orders]
        data["answers"] = {u: vars(a).copy() for u, a in self.answers.items()}
        data["players"] = {u: vars(p).copy() for u, p in self.players.items()}
        data["phase"] = self.phase.value
        for key in ("opened_at", "deadline", "next_at"):
            value = getattr(self, key)
            data[key] = value.isoformat() if value else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QuizSession:
        data = dict(data)
        data["phase"] = Phase(data["phase"])
        for key in ("opened_at", "deadline", "next_at"):
            data[key] = dt.datetime.fromisoformat(data[key]) if data.get(key) else None
        data["answers"] = {u: Answer(**a) for u, a in data.get("answers", {}).items()}
        data["players"] = {u: Player(**p) for u, p in data.get("players", {}).items()}
        return cls(**data)


def gate(phase: Phase, index: int, deadline: dt.datetime | None, option_counts: list[int],
         question: int, option: int, now: dt.datetime) -> Outcome | None:
    """Why a press cannot be taken whoever pressed (None: it can): the question is not the
    open one, its time is up, or the option does not exist."""
    if phase is not Phase.ASKING or question != index:
        late = phase is not Phase.FINISHED and question <= index
        return Outcome.TOO_LATE if late else Outcome.NOT_OPEN
    if deadline is None or now > deadline:
        return Outcome.TOO_LATE
    if not 0 <= option < option_counts[index]:
        return Outcome.BAD_OPTION
    return None


def gate_saved(state: dict[str, Any], question: int, option: int,
               now: dt.datetime) -> Outcome | None:
    """``gate`` on a saved state, without rebuilding the game (a press that reaches a
    process not running the game costs the same however many people play)."""
    deadline = dt.datetime.fromisoformat(state["deadline"]) if state.get("deadline") else None
    return gate(Phase(state["phase"]), state["index"], deadline, state["option_counts"],
                question, option, now)
