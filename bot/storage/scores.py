"""Quiz aggregates: how one answer or game changes a tenant's ``scores`` partition.

No answer log is kept. An answer updates three small documents (the user's totals in that
channel, the user's totals for that ISO week, and the review entry for a missed question),
so recording one costs the same whether the server has seen a thousand answers or a million.
Review entries exist only while a question is still missed: a later correct answer removes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .codec import dt_to_str, iso_week, str_to_dt
from .partition import Doc, Partition
from .records import AnswerRecord, Fold, GameResult, LeaderboardEntry, ReviewItem, UserStats

_COUNTERS = (
    "answered",
    "correct",
    "points",
    "games_played",
    "games_won",
    "response_ms_total",
    "response_count",
)


def empty_total(channel_id: str, user_id: str) -> Doc:
    return {
        "channel_id": channel_id,
        "user_id": user_id,
        "user_name": "",
        "answered": 0,
        "correct": 0,
        "points": 0,
        "games_played": 0,
        "games_won": 0,
        "best_streak": 0,
        "response_ms_total": 0,
        "response_count": 0,
        "first_answered_at": None,
        "last_answered_at": None,
    }


def mark_fold(p: Partition, fold: Fold) -> tuple[bool, bool]:
    """Note that ``fold``'s answers (and its game, if it ends one) are counted; returns whether
    the answers, and whether the game, were not counted before."""
    last = p["folds"].get(fold.channel_id)
    same = last is not None and last["session_id"] == fold.session_id
    answers = not (same and last["question"] >= fold.question)
    game = fold.game_over and not (same and last.get("game_over", False))
    if answers or game:
        p.put("folds", {
            "channel_id": fold.channel_id,
            "session_id": fold.session_id,
            "question": max(fold.question, last["question"]) if same else fold.question,
            "game_over": fold.game_over or (same and last.get("game_over", False)),
        })
    return answers, game


def quiz_step(p: Partition, fold: Fold | None, answers: list[AnswerRecord],
              games: list[GameResult]) -> bool:
    """Count what ``fold`` has not counted yet (all of it without a fold); False if nothing."""
    new_answers, new_game = mark_fold(p, fold) if fold else (True, False)
    if not (new_answers or new_game):
        return False
    if new_answers:
        for answer in answers:
            apply_answer(p, answer)
    if new_game and fold is not None:
        apply_games(p, fold.channel_id, games)
    return True


def apply_answer(p: Partition, a: AnswerRecord) -> None:
    when = dt_to_str(a.answered_at)
    correct = 1 if a.correct else 0
    t = dict(p["totals"].get(a.channel_id, a.user_id) or empty_total(a.channel_id, a.user_id))
    t["user_name"] = a.user_name or t["user_name"]
    t["answered"] += 1
    t["correct"] += correct
    t["points"] += a.points
    t["best_streak"] = max(t["best_streak"], a.streak or 0)
    if a.response_ms is not None:
        t["response_ms_total"] += a.response_ms
        t["response_count"] += 1
    t["first_answered_at"] = min(filter(None, (t["first_answered_at"], when)))
    t["last_answered_at"] = max(filter(None, (t["last_answered_at"], when)))
    p.put("totals", t)

    week = iso_week(a.answered_at)
    w = dict(
        p["weekly"].get(a.channel_id, a.user_id, week)
        or {
            "channel_id": a.channel_id,
            "user_id": a.user_id,
            "week": week,
            "answered": 0,
            "correct": 0,
            "points": 0,
        }
    )
    w["answered"] += 1
    w["correct"] += correct
    w["points"] += a.points
    p.put("weekly", w)

    review = p["reviews"].get(a.user_id, a.question_id)
    if not a.correct:
        r = dict(
            review
            or {
                "user_id": a.user_id,
                "question_id": a.question_id,
                "misses": 0,
                "last_missed_at": when,
            }
        )
        r["misses"] += 1
        r["last_missed_at"] = max(r["last_missed_at"], when)
        r["channel_id"] = a.channel_id
        p.put("reviews", r)
    elif review is not None and when >= review["last_missed_at"]:
        p.delete("reviews", a.user_id, a.question_id)


def apply_games(p: Partition, channel_id: str, results: Iterable[GameResult]) -> None:
    for g in results:
        t = dict(p["totals"].get(channel_id, g.user_id) or empty_total(channel_id, g.user_id))
        t["user_name"] = g.user_name or t["user_name"]
        t["games_played"] += 1
        t["games_won"] += 1 if g.won else 0
        p.put("totals", t)


def user_stats(p: Partition | None, user_id: str, channel_id: str | None) -> UserStats:
    docs = (
        []
        if p is None
        else [
            d
            for d in p["totals"].where("user_id", user_id)
            if channel_id is None or d["channel_id"] == channel_id
        ]
    )
    if not docs:
        return UserStats(user_id=user_id)
    sums = {k: sum(d.get(k, 0) for d in docs) for k in _COUNTERS}
    latest = max(docs, key=lambda d: (d.get("last_answered_at") or "", d["channel_id"]))
    firsts = [d["first_answered_at"] for d in docs if d.get("first_answered_at")]
    lasts = [d["last_answered_at"] for d in docs if d.get("last_answered_at")]
    return UserStats(
        user_id=user_id,
        user_name=latest.get("user_name", ""),
        answered=sums["answered"],
        correct=sums["correct"],
        points=sums["points"],
        games_played=sums["games_played"],
        games_won=sums["games_won"],
        best_streak=max(d.get("best_streak", 0) for d in docs),
        avg_response_ms=(
            sums["response_ms_total"] / sums["response_count"] if sums["response_count"] else None
        ),
        first_answered_at=str_to_dt(min(firsts)) if firsts else None,
        last_answered_at=str_to_dt(max(lasts)) if lasts else None,
    )


def leaderboard(
    p: Partition | None, channel_id: str | None, since_week: str | None, limit: int | None
) -> list[LeaderboardEntry]:
    if p is None:
        return []
    totals = p["totals"]
    if since_week is None:
        rows: Iterable[Doc] = (
            totals.where("channel_id", channel_id) if channel_id is not None else totals
        )
    else:
        weekly = p["weekly"]
        rows = [
            d
            for week in sorted(w for w in weekly.field_values("week") if w >= since_week)
            for d in weekly.where("week", week)
            if channel_id is None or d["channel_id"] == channel_id
        ]
    board: dict[str, list[int]] = {}
    for d in rows:
        acc = board.setdefault(d["user_id"], [0, 0, 0])
        acc[0] += d["points"]
        acc[1] += d["correct"]
        acc[2] += d["answered"]
    names = _names(p, board)
    ordered = sorted(board.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
    if limit is not None:
        ordered = ordered[:limit]
    return [
        LeaderboardEntry(
            rank=i,
            user_id=user,
            user_name=names.get(user, ""),
            points=v[0],
            correct=v[1],
            answered=v[2],
        )
        for i, (user, v) in enumerate(ordered, start=1)
    ]


def _names(p: Partition, users: Iterable[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for user in users:
        docs = p["totals"].where("user_id", user)
        if docs:
            names[user] = max(
                docs, key=lambda d: (d.get("last_answered_at") or "", d["channel_id"])
            )["user_name"]
    return names


def review_queue(p: Partition | None, user_id: str) -> list[ReviewItem]:
    if p is None:
        return []
    items = [
        ReviewItem(
            question_id=d["question_id"],
            misses=d["misses"],
            last_missed_at=str_to_dt(d["last_missed_at"]),
            channel_id=d.get("channel_id", ""),
        )
        for d in p["reviews"].where("user_id", user_id)
    ]
    items.sort(key=lambda r: (-r.misses, -r.last_missed_at.timestamp(), r.question_id))
    return items


def forget_user(p: Partition, user_id: str) -> int:
    """Delete every aggregate about ``user_id``; returns how many documents went."""
    removed = 0
    for table, fields in (
        ("totals", ("channel_id", "user_id")),
        ("weekly", ("channel_id", "user_id", "week")),
        ("reviews", ("user_id", "question_id")),
    ):
        for doc in list(p[table].where("user_id", user_id)):
            key: tuple[Any, ...] = tuple(doc[f] for f in fields)
            removed += p.delete(table, *key)
    return removed
