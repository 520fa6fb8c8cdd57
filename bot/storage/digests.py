"""Subscriptions and posted-digest records: documents of a tenant's ``digests`` partition.

A digest period is claimed (status 'posting') durably *before* delivery, so a restart can
never post the same period twice; delivery or failure then updates that record and the
subscription's last-run fields in the same commit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .codec import dt_to_str, str_to_dt
from .partition import Doc, Partition
from .records import DigestRecord, Subscription

DIGEST_HISTORY = 200  # posted-digest records kept per channel
_SUB_TIMES = ("created_at", "last_run_at")


def claim(p: Partition, channel_id: str, period_key: str, now: str) -> bool:
    """Mark the period 'posting' unless already claimed (a temporary failure may retry)."""
    old = p["posted"].get(channel_id, period_key)
    if old is not None and not (old["status"] == "failed" and not old.get("permanent")):
        return False
    p.put(
        "posted",
        {
            **_new_record(channel_id, period_key, now),
            "attempts": (old["attempts"] if old else 0) + 1,
        },
    )
    _prune(p, channel_id)
    return True


def delivered(
    p: Partition, channel_id: str, period_key: str, now: str, message_id: str | None
) -> None:
    _update(
        p,
        channel_id,
        period_key,
        now,
        status="delivered",
        delivered_at=now,
        message_id=message_id,
        error=None,
        permanent=False,
    )
    _touch_subscription(p, channel_id, last_run_at=now, last_error=None)


def failed(
    p: Partition, channel_id: str, period_key: str, now: str, error: str, permanent: bool
) -> None:
    """A permanent failure (channel gone, no permission) also disables the subscription."""
    _update(p, channel_id, period_key, now, status="failed", error=error, permanent=permanent)
    changes: dict[str, Any] = {"last_run_at": now, "last_error": error}
    if permanent:
        changes.update(enabled=False, disabled_reason=error)
    _touch_subscription(p, channel_id, **changes)


def history(p: Partition | None, channel_id: str) -> list[DigestRecord]:
    if p is None:
        return []
    docs = sorted(
        p["posted"].where("channel_id", channel_id),
        key=lambda d: (d["claimed_at"], d["period_key"]),
    )
    return [to_record(d) for d in docs]


def _new_record(channel_id: str, period_key: str, now: str) -> Doc:
    return {
        "channel_id": channel_id,
        "period_key": period_key,
        "status": "posting",
        "claimed_at": now,
        "attempts": 1,
        "delivered_at": None,
        "message_id": None,
        "error": None,
        "permanent": False,
    }


def _update(p: Partition, channel_id: str, period_key: str, now: str, **changes: Any) -> None:
    old = p["posted"].get(channel_id, period_key) or _new_record(channel_id, period_key, now)
    p.put("posted", {**old, **changes})


def _touch_subscription(p: Partition, channel_id: str, **changes: Any) -> None:
    old = p["subscriptions"].get(channel_id)
    if old is not None:
        p.put("subscriptions", {**old, **changes})


def _prune(p: Partition, channel_id: str) -> None:
    docs = p["posted"].where("channel_id", channel_id)
    if len(docs) > DIGEST_HISTORY:
        docs.sort(key=lambda d: (d["claimed_at"], d["period_key"]))
        for d in docs[: len(docs) - DIGEST_HISTORY]:
            p.delete("posted", channel_id, d["period_key"])


def sub_to_doc(sub: Subscription) -> Doc:
    doc = {f.name: getattr(sub, f.name) for f in dataclasses.fields(sub)}
    for name in _SUB_TIMES:
        doc[name] = dt_to_str(doc[name])
    return doc


def doc_to_sub(doc: Mapping[str, Any]) -> Subscription:
    names = {f.name for f in dataclasses.fields(Subscription)}
    values = {k: v for k, v in doc.items() if k in names}
    for name in _SUB_TIMES:
        values[name] = str_to_dt(values.get(name))
    return Subscription(**values)


def to_record(doc: Mapping[str, Any]) -> DigestRecord:
    return DigestRecord(
        channel_id=doc["channel_id"],
        period_key=doc["period_key"],
        status=doc["status"],
        claimed_at=str_to_dt(doc["claimed_at"]),  # type: ignore[arg-type]
        attempts=doc.get("attempts", 1),
        delivered_at=str_to_dt(doc.get("delivered_at")),
        message_id=doc.get("message_id"),
        error=doc.get("error"),
        permanent=bool(doc.get("permanent")),
    )
