"""Saved quiz games: the documents of a tenant's ``quiz`` partition and the rules both
backends apply to them, so a game behaves the same in one process or in several.

A game is one ``sessions`` document per channel:

- ``state``: the quiz engine's own document. The store reads four of its keys: ``id`` (the
  game), ``phase`` and ``index`` (question ``index`` takes answers while the phase is
  "asking") and ``answers`` (the people whose answer to it the state already holds).
- ``owner`` and ``lease_until``: the process that runs the game's timer, and until when.
  Another process may take the game over once the lease has run out.
- ``sealed``: the last question closed to answers. The owner seals a question before it
  reveals the answer and gets back every answer saved for it, from any process; an answer
  arriving after that is refused, so every answer that was confirmed is counted.

Answers are ``answers`` documents, one per person, saved one by one (by any process) between
two saves of the state, and dropped once a saved state holds them.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

from .codec import dt_to_str, str_to_dt
from .partition import Doc, Partition
from .records import Lease, QuizSession, Tenant

# Whether a lease's owner is known to be gone whatever its time says: the data directory's
# lock proves that no process but this one has held a lease since the store was opened.
Void = Callable[[str], bool]


# The engine's check of a press against the saved state (its time, its option): None to
# accept, else the reason, returned by ``save_quiz_answer`` as it is.
Check = Callable[[dict[str, Any]], str | None]


def never_void(owner: str) -> bool:
    return False


def held_elsewhere(doc: Doc, owner: str, now: dt.datetime, void: Void) -> bool:
    """True while a process other than ``owner`` holds the game's lease."""
    holder = doc.get("owner")
    if holder is None or holder == owner or void(holder):
        return False
    until = doc.get("lease_until")
    return until is not None and str_to_dt(until) > now


def save(p: Partition, channel_id: str, state: dict[str, Any], now: dt.datetime,
         lease: Lease | None, new: bool, void: Void) -> bool:
    """Save a game's state; with ``lease`` (the engine's own saves) only as its holder: a
    ``new`` game only into an empty channel, a running one only while it is still there."""
    doc = p["sessions"].get(channel_id)
    same_game = doc is not None and doc["state"].get("id") == state.get("id")
    if lease is not None:
        if new and doc is not None:
            return False
        if not new and (not same_game or held_elsewhere(doc, lease.owner, now, void)):
            return False
    fresh: Doc = {"channel_id": channel_id, "state": state, "updated_at": dt_to_str(now)}
    if lease is not None:
        fresh.update(owner=lease.owner, lease_until=dt_to_str(lease.until))
    if same_game and doc is not None and doc.get("sealed") is not None:
        fresh["sealed"] = doc["sealed"]
    p.put("sessions", fresh)
    _drop_held(p, channel_id, state)
    return True


def _drop_held(p: Partition, channel_id: str, state: dict[str, Any]) -> None:
    """Drop the answers the state now holds (or that belong to no open question), keeping
    those saved by another process that this state has not seen yet."""
    held = state.get("answers") or {}
    open_question = state.get("index") if state.get("phase") == "asking" else None
    for doc in p["answers"].where("channel_id", channel_id):
        still_open = (doc.get("session_id") == state.get("id")
                      and doc.get("question") == open_question)
        if not still_open or doc["user_id"] in held:
            p.delete("answers", channel_id, doc["user_id"])


def drop_game(p: Partition, channel_id: str) -> bool:
    removed = p.delete("sessions", channel_id)
    for doc in p["answers"].where("channel_id", channel_id):
        p.delete("answers", channel_id, doc["user_id"])
    return removed


def add_answer(p: Partition, channel_id: str, answer: dict[str, Any],
               check: Check | None = None) -> str:
    """A person's first answer to the open question: 'recorded'; or, writing nothing,
    'answered' (they had answered it), 'closed' (it no longer takes answers), 'ended', or
    what ``check`` (the engine's own rules, on the saved state) refused it for."""
    doc = p["sessions"].get(channel_id)
    if doc is None or doc["state"].get("id") != answer.get("session_id"):
        return "ended"
    state, question = doc["state"], answer.get("question")
    sealed = doc.get("sealed")
    if (state.get("phase") != "asking" or state.get("index") != question
            or (sealed is not None and question <= sealed)):
        return "closed"
    refused = check(state) if check is not None else None
    if refused is not None:
        return refused
    earlier = p["answers"].get(channel_id, answer["user_id"])
    if answer["user_id"] in (state.get("answers") or {}) or (
            earlier is not None and earlier.get("session_id") == answer["session_id"]
            and earlier.get("question") == question):
        return "answered"
    p.put("answers", {**answer, "channel_id": channel_id})
    return "recorded"


def seal(p: Partition, channel_id: str, game_id: str, question: int, owner: str,
         now: dt.datetime, void: Void) -> list[dict[str, Any]] | None:
    """Close ``question`` to answers for good; its answers saved one by one, or None if
    ``owner`` does not hold the game (any more)."""
    doc = p["sessions"].get(channel_id)
    if doc is None or doc["state"].get("id") != game_id or held_elsewhere(doc, owner, now, void):
        return None
    if doc.get("sealed") is None or doc["sealed"] < question:
        p.put("sessions", {**doc, "sealed": question})
    return [copy.deepcopy(a) for a in p["answers"].where("channel_id", channel_id)
            if a.get("session_id") == game_id and a.get("question") == question]


def take(p: Partition, channel_id: str, game_id: str, lease: Lease, force: bool,
         now: dt.datetime, void: Void) -> bool:
    """Take or renew the game's lease; refused while another process holds it (unless
    ``force``: a command here needs the game now) or when the game is gone."""
    doc = p["sessions"].get(channel_id)
    if doc is None or doc["state"].get("id") != game_id:
        return False
    if not force and held_elsewhere(doc, lease.owner, now, void):
        return False
    p.put("sessions", {**doc, "owner": lease.owner, "lease_until": dt_to_str(lease.until)})
    return True


def to_record(tenant: Tenant, doc: Doc, answers: list[Doc], void: Void) -> QuizSession:
    owner = doc.get("owner")
    live = owner is not None and not void(owner) and doc.get("lease_until") is not None
    return QuizSession(
        tenant, doc["channel_id"], copy.deepcopy(doc["state"]), str_to_dt(doc["updated_at"]),
        [copy.deepcopy(a) for a in answers], owner if live else None,
        str_to_dt(doc["lease_until"]) if live else None,
    )
