"""Private practice of missed questions, scheduled by FSRS (the ``fsrs`` package).

A question missed in a quiz (or a daily question) becomes a practice card, rated "Again" at
the time of the miss. Each practice answer rates it again: right is "Good", wrong is "Again",
and FSRS says when it is due next (10 minutes, then a day, two, six, eighteen...). Once a
right answer puts the next review three weeks or more away (Anki's "mature"), the question
counts as learned and leaves the queue; missing it in a later quiz brings it back.

Nothing here does I/O or reads a clock: callers pass ``now`` and store what comes back.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace

from fsrs import Card, Rating, Scheduler

from bot.quiz.bank import in_order
from bot.storage import ReviewCard, ReviewItem
from knowledge.schema import Question

LEARNED_AFTER = dt.timedelta(days=21)
STEP = dt.timedelta(minutes=10)
# No fuzzing: a chat review has a handful of cards per person, not thousands to spread out,
# and the same answers must give the same dates (tests, and what the user was told).
SCHEDULER = Scheduler(learning_steps=(STEP,), relearning_steps=(STEP,), enable_fuzzing=False)


@dataclass(frozen=True, slots=True)
class Practice:
    """One question in a user's practice: the stored card with any newer quiz miss folded in."""

    stored: ReviewCard
    card: Card
    folded_miss: dt.datetime | None  # the quiz miss folded in here, not yet in ``stored``

    @property
    def question_id(self) -> str:
        return self.stored.question_id

    @property
    def learned(self) -> bool:
        return self.stored.learned_at is not None

    def due(self, now: dt.datetime) -> bool:
        return not self.learned and self.card.due <= now


@dataclass(frozen=True, slots=True)
class Outcome:
    saved: ReviewCard
    correct: bool
    next_due: dt.datetime
    learned: bool


def _rate(card: Card, rating: Rating, when: dt.datetime) -> Card:
    return SCHEDULER.review_card(card, rating, when.astimezone(dt.UTC))[0]


def practice(cards: list[ReviewCard], misses: list[ReviewItem]) -> list[Practice]:
    """Every question the user practises: stored cards, with quiz misses not yet folded in
    rated "Again" at the time of the miss (a new card for a first miss)."""
    stored = {c.question_id: c for c in cards}
    by_miss = {m.question_id: m for m in misses}
    found = []
    for qid in sorted(stored.keys() | by_miss.keys()):
        base = stored.get(qid)
        card = Card.from_dict(base.card) if base else None  # type: ignore[arg-type]
        miss = by_miss.get(qid)
        folded = None
        if miss is not None and (card is None or card.last_review is None
                                 or miss.last_missed_at > card.last_review):
            card = _rate(card or Card(card_id=0, due=miss.last_missed_at), Rating.Again,
                         miss.last_missed_at)
            base = replace(base or ReviewCard(qid, {}, channel_id=miss.channel_id),
                           misses=(base.misses if base else 0) + miss.misses, learned_at=None)
            folded = miss.last_missed_at
        assert base is not None and card is not None
        found.append(Practice(base, card, folded))
    return found


def due_now(items: list[Practice], now: dt.datetime) -> list[Practice]:
    """Due questions, most-missed first, then the longest overdue."""
    return sorted((p for p in items if p.due(now)),
                  key=lambda p: (-p.stored.misses, p.card.due, p.question_id))


def next_due(items: list[Practice]) -> dt.datetime | None:
    waiting = [p.card.due for p in items if not p.learned]
    return min(waiting) if waiting else None


def answer(item: Practice, correct: bool, now: dt.datetime) -> Outcome:
    """Rate one practice answer; the caller saves ``saved`` (expecting ``item.stored``'s
    review count, so the same answer pressed twice counts once)."""
    card = _rate(item.card, Rating.Good if correct else Rating.Again, now)
    learned = correct and card.due - now >= LEARNED_AFTER
    saved = replace(
        item.stored, card=dict(card.to_dict()), reviews=item.stored.reviews + 1,
        correct=item.stored.correct + (1 if correct else 0),
        misses=item.stored.misses + (0 if correct else 1),
        learned_at=now if learned else None,
    )
    return Outcome(saved, correct, card.due, learned)


def shuffled(question: Question, seed: str) -> tuple[Question, tuple[int, ...]]:
    """The question with its options in a seeded order, and that order (the bank index shown
    at each position), so a repeated question does not keep its answer in one place."""
    order = list(range(len(question.options)))
    random.Random(seed).shuffle(order)
    return in_order(question, order), tuple(order)
