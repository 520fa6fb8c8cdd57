"""Saved quiz games: documents of a tenant's ``quiz`` partition (state plus newer answers)."""

from __future__ import annotations

from .partition import Partition


def drop_answers(p: Partition, channel_id: str) -> None:
    """Forget the answers saved one by one: the game's state now holds them."""
    for doc in p["answers"].where("channel_id", channel_id):
        p.delete("answers", channel_id, doc["user_id"])
