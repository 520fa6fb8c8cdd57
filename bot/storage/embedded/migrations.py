"""Schema versions and the forward migrations between them.

Every partition snapshot records the schema version it was written with (in its ``_meta``
table) and every journal line carries the version of its documents. Loading replays the
journal and runs, in order, each migration between the stored version and
``SCHEMA_VERSION``; the result is written back as a fresh snapshot (the old file stays in the
backups). Migrations are self-contained on purpose: they must keep producing the format of
the version they target even after the live code has moved on.

History:
  1. First layout. ``scores`` kept an unbounded ``answers`` log plus ``games`` counters;
     ``digests.subscriptions`` stored ``hour``/``minute`` integers and an ``active`` flag.
  2. ``scores`` keeps aggregates only (``totals`` per channel+user, ``weekly`` per
     channel+user+ISO week, ``reviews`` per user+missed question); subscriptions store
     ``time`` as 'HH:MM' and ``enabled``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ..errors import SchemaTooNew

SCHEMA_VERSION = 2

RawTables = dict[str, dict[str, dict[str, Any]]]
Migration = Callable[[str, RawTables], RawTables]


def _utc(value: str) -> str:
    return dt.datetime.fromisoformat(value).astimezone(dt.UTC).isoformat(timespec="microseconds")


def _week(value: str) -> str:
    year, week, _ = dt.datetime.fromisoformat(value).astimezone(dt.UTC).isocalendar()
    return f"{year:04d}-W{week:02d}"


def _v1_to_v2(kind: str, tables: RawTables) -> RawTables:
    if kind == "digests":
        subs = {}
        for doc_id, doc in tables.get("subscriptions", {}).items():
            new = {k: v for k, v in doc.items() if k not in ("hour", "minute", "active")}
            new["time"] = f"{int(doc.get('hour', 9)):02d}:{int(doc.get('minute', 0)):02d}"
            new["enabled"] = bool(doc.get("active", True))
            subs[doc_id] = new
        return {**tables, "subscriptions": subs}
    if kind != "scores":
        return tables
    totals: dict[tuple[str, str], dict[str, Any]] = {}
    weekly: dict[tuple[str, str, str], dict[str, Any]] = {}
    reviews: dict[tuple[str, str], dict[str, Any]] = {}
    answers = sorted(tables.get("answers", {}).values(), key=lambda a: _utc(a["answered_at"]))
    for a in answers:
        ch, user, when = a["channel_id"], a["user_id"], _utc(a["answered_at"])
        correct, points = bool(a["correct"]), int(a.get("points", 0))
        t = totals.setdefault((ch, user), _empty_total(ch, user))
        t["user_name"] = a.get("user_name") or t["user_name"]
        t["answered"] += 1
        t["correct"] += correct
        t["points"] += points
        if a.get("response_ms") is not None:
            t["response_ms_total"] += int(a["response_ms"])
            t["response_count"] += 1
        t["first_answered_at"] = t["first_answered_at"] or when
        t["last_answered_at"] = when
        week = _week(a["answered_at"])
        w = weekly.setdefault(
            (ch, user, week),
            {
                "channel_id": ch,
                "user_id": user,
                "week": week,
                "answered": 0,
                "correct": 0,
                "points": 0,
            },
        )
        w["answered"] += 1
        w["correct"] += correct
        w["points"] += points
        key = (user, a["question_id"])
        if correct:
            reviews.pop(key, None)
        else:
            r = reviews.setdefault(
                key, {"user_id": user, "question_id": a["question_id"], "misses": 0}
            )
            r["misses"] += 1
            r["last_missed_at"] = when
            r["channel_id"] = ch
    for g in tables.get("games", {}).values():
        t = totals.setdefault(
            (g["channel_id"], g["user_id"]), _empty_total(g["channel_id"], g["user_id"])
        )
        t["user_name"] = t["user_name"] or g.get("user_name", "")
        t["games_played"] += int(g.get("played", 0))
        t["games_won"] += int(g.get("won", 0))
    rest = {k: v for k, v in tables.items() if k not in ("answers", "games")}
    return {
        **rest,
        "totals": _numbered(totals.values()),
        "weekly": _numbered(weekly.values()),
        "reviews": _numbered(reviews.values()),
    }


def _empty_total(channel_id: str, user_id: str) -> dict[str, Any]:
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


def _numbered(docs: Any) -> dict[str, dict[str, Any]]:
    return {str(i): doc for i, doc in enumerate(docs, start=1)}


MIGRATIONS: dict[int, Migration] = {1: _v1_to_v2}


def migrate(
    kind: str, tables: RawTables, from_version: int, to_version: int = SCHEMA_VERSION
) -> RawTables:
    """Bring ``tables`` of a ``kind`` partition from ``from_version`` up to ``to_version``."""
    found = max(from_version, to_version)
    if found > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"{kind} data has schema version {found}, newer than this build "
            f"understands ({SCHEMA_VERSION}); upgrade the bot instead of downgrading it"
        )
    for version in range(from_version, to_version):
        tables = MIGRATIONS[version](kind, tables)
    return tables
