"""Practice cards: a user's spaced-repetition state per question, in the ``scores`` partition.

A card is saved together with the removal of the miss it folded in (one commit), and only
if nobody answered the same card in between, so a double press counts once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .codec import dt_to_str, str_to_dt
from .partition import Doc, Partition
from .records import ReviewCard


def to_card(doc: Mapping[str, Any]) -> ReviewCard:
    return ReviewCard(
        question_id=doc["question_id"],
        card=dict(doc["card"]),
        misses=doc.get("misses", 0),
        reviews=doc.get("reviews", 0),
        correct=doc.get("correct", 0),
        learned_at=str_to_dt(doc.get("learned_at")),
        channel_id=doc.get("channel_id", ""),
    )


def save(p: Partition, user_id: str, card: ReviewCard, expected_reviews: int,
         folded_miss: str | None, now: str) -> bool:
    """Store ``card`` unless the stored one has moved on; drop the miss it folded in."""
    old = p["cards"].get(user_id, card.question_id)
    if (old["reviews"] if old else 0) != expected_reviews:
        return False
    doc: Doc = {
        "user_id": user_id,
        "question_id": card.question_id,
        "card": dict(card.card),
        "misses": card.misses,
        "reviews": card.reviews,
        "correct": card.correct,
        "learned_at": dt_to_str(card.learned_at),
        "channel_id": card.channel_id,
        "updated_at": now,
    }
    p.put("cards", doc)
    miss = p["reviews"].get(user_id, card.question_id)
    if miss is not None and folded_miss is not None and miss["last_missed_at"] <= folded_miss:
        p.delete("reviews", user_id, card.question_id)
    return True
