"""The daily question's documents, in the tenant's ``scores`` partition.

A day is claimed ('posting') durably before its question is posted, so a restart never
posts a second question for the same day. Closing a day is one commit: its answers join the
totals, weekly scores and review queue, the channel's daily streaks move on, and the day is
marked closed; a crash before that commit loses nothing (the answers are stored one by one
as they come), and a second close finds the day closed and adds nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from . import scores
from .codec import dt_to_str, str_to_dt
from .partition import Doc, Partition
from .records import (
    AnswerRecord,
    DailyAnswer,
    DailyClose,
    DailyDay,
    DailyStreak,
    DailySub,
)

DAILY_POINTS = 100  # a correct daily answer; no speed bonus for a question open for hours
DAY_HISTORY = 60  # day records kept per channel (question choice avoids recent repeats)
_SUB_TIMES = ("created_at",)
_DAY_TIMES = ("claimed_at", "closes_at", "opened_at", "revealing_at")


def sub_to_doc(sub: DailySub) -> Doc:
    doc = {f.name: getattr(sub, f.name) for f in dataclasses.fields(sub)}
    doc["created_at"] = dt_to_str(sub.created_at)
    doc["skipped"] = list(sub.skipped)
    return doc


def doc_to_sub(doc: Mapping[str, Any]) -> DailySub:
    names = {f.name for f in dataclasses.fields(DailySub)}
    values = {k: v for k, v in doc.items() if k in names}
    values["created_at"] = str_to_dt(values.get("created_at"))
    values["skipped"] = tuple(values.get("skipped", ()))
    return DailySub(**values)


def put_sub(p: Partition, sub: DailySub, keep_created: bool, now: dt.datetime) -> DailySub:
    """Store a channel's daily question; ``keep_created`` keeps the first creation time."""
    old = p["daily_subs"].get(sub.channel_id)
    if keep_created and old is not None and old.get("created_at"):
        sub = dataclasses.replace(sub, created_at=str_to_dt(old["created_at"]))
    if sub.created_at is None:
        sub = dataclasses.replace(sub, created_at=now)
    p.put("daily_subs", sub_to_doc(sub))
    return sub


def doc_to_day(doc: Mapping[str, Any]) -> DailyDay:
    names = {f.name for f in dataclasses.fields(DailyDay)}
    values = {k: v for k, v in doc.items() if k in names}
    for name in _DAY_TIMES:
        values[name] = str_to_dt(values.get(name))
    values["order"] = tuple(values["order"])
    return DailyDay(**values)


def claim(p: Partition, day: DailyDay, now: str) -> bool:
    """Claim ``day.day`` for the channel unless it is taken (a temporary failure may retry)."""
    old = p["daily_days"].get(day.channel_id, day.day)
    if old is not None and not (old["status"] == "failed" and not old.get("permanent")):
        return False
    doc = {f.name: getattr(day, f.name) for f in dataclasses.fields(day)}
    for name in _DAY_TIMES:
        doc[name] = dt_to_str(doc[name])
    doc.update(order=list(day.order), status="posting", claimed_at=now,
               attempts=(old["attempts"] if old else 0) + 1)
    p.put("daily_days", doc)
    _prune(p, day.channel_id)
    return True


def update_day(p: Partition, channel_id: str, day: str, expect: str | None = None,
               **changes: Any) -> bool:
    """Change a stored day; with ``expect``, only if its status is that one (a claim: of
    two processes revealing the same closed day, one moves it on and the other is told no)."""
    old = p["daily_days"].get(channel_id, day)
    if old is None or (expect is not None and old["status"] != expect):
        return False
    p.put("daily_days", {**old, **changes})
    return True


def answer(p: Partition, channel_id: str, day: str, a: DailyAnswer) -> str:
    """Store a first answer to an open day: 'recorded', else (nothing written) 'answered'
    when the person already answered, or 'closed' when the day is no longer open (so an
    answer confirmed is always one the close counts)."""
    doc = p["daily_days"].get(channel_id, day)
    if doc is None or doc["status"] != "open":
        return "closed"
    if p["daily_answers"].get(channel_id, day, a.user_id) is not None:
        return "answered"
    p.put("daily_answers", {
        "channel_id": channel_id, "day": day, "user_id": a.user_id, "user_name": a.user_name,
        "option": a.option, "correct": a.correct, "answered_at": dt_to_str(a.answered_at),
    })
    return "recorded"


def answers(p: Partition | None, channel_id: str, day: str) -> list[DailyAnswer]:
    if p is None:
        return []
    docs = [d for d in p["daily_answers"].where("channel_id", channel_id) if d["day"] == day]
    docs.sort(key=lambda d: (d["answered_at"], d["user_id"]))
    return [DailyAnswer(d["user_id"], d["user_name"], d["option"], d["correct"],
                        str_to_dt(d["answered_at"]))  # type: ignore[arg-type]
            for d in docs]


def close(p: Partition, channel_id: str, day: str, now: str) -> DailyClose | None:
    """Fold an open day's answers into the scores and streaks and mark it closed, all in
    this partition's next commit. None when the day is not open (closed already, or never
    posted)."""
    doc = p["daily_days"].get(channel_id, day)
    if doc is None or doc["status"] != "open":
        return None
    given = answers(p, channel_id, day)
    for a in given:
        scores.apply_answer(p, AnswerRecord(
            channel_id=channel_id, user_id=a.user_id, user_name=a.user_name,
            question_id=doc["question_id"], correct=a.correct,
            points=DAILY_POINTS if a.correct else 0, answered_at=a.answered_at))
    by_user = {a.user_id: a for a in given}
    streaks: list[DailyStreak] = []
    users = {d["user_id"] for d in p["daily_streaks"].where("channel_id", channel_id)}
    for user_id in sorted(users | set(by_user)):
        old = p["daily_streaks"].get(channel_id, user_id) or {
            "channel_id": channel_id, "user_id": user_id, "user_name": "", "current": 0,
            "best": 0}
        got = by_user.get(user_id)
        current = old["current"] + 1 if got is not None and got.correct else 0
        new = {**old, "current": current, "best": max(old["best"], current),
               "user_name": got.user_name if got else old["user_name"], "last_day": day}
        p.put("daily_streaks", new)
        streaks.append(DailyStreak(user_id, new["user_name"], current, new["best"]))
    p.put("daily_days", {**doc, "status": "closed", "closed_at": now})
    return DailyClose(doc_to_day({**doc, "status": "closed"}), given, streaks)


def streaks(p: Partition | None, channel_id: str) -> list[DailyStreak]:
    if p is None:
        return []
    found = [DailyStreak(d["user_id"], d["user_name"], d["current"], d["best"])
             for d in p["daily_streaks"].where("channel_id", channel_id)]
    return sorted(found, key=lambda s: (-s.current, -s.best, s.user_name.casefold()))


def days(p: Partition | None, channel_id: str) -> list[DailyDay]:
    if p is None:
        return []
    return sorted((doc_to_day(d) for d in p["daily_days"].where("channel_id", channel_id)),
                  key=lambda d: d.day)


def forget(p: Partition, user_id: str) -> int:
    removed = 0
    for doc in list(p["daily_answers"].where("user_id", user_id)):
        removed += p.delete("daily_answers", doc["channel_id"], doc["day"], user_id)
    for doc in list(p["daily_streaks"].where("user_id", user_id)):
        removed += p.delete("daily_streaks", doc["channel_id"], user_id)
    for doc in list(p["cards"].where("user_id", user_id)):
        removed += p.delete("cards", user_id, doc["question_id"])
    return removed


def _prune(p: Partition, channel_id: str) -> None:
    docs = p["daily_days"].where("channel_id", channel_id)
    if len(docs) > DAY_HISTORY:
        docs.sort(key=lambda d: d["day"])
        for d in docs[: len(docs) - DAY_HISTORY]:
            if d["status"] not in ("open", "posting"):
                p.delete("daily_days", channel_id, d["day"])
                for a in [x for x in p["daily_answers"].where("channel_id", channel_id)
                          if x["day"] == d["day"]]:
                    p.delete("daily_answers", channel_id, d["day"], a["user_id"])
