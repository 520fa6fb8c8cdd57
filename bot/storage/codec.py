"""Value conversions shared by the store: timestamps as sortable UTC strings, JSON checks.

Datetimes are stored as fixed-width UTC ISO strings (microsecond precision), so plain string
comparison orders them correctly inside TinyDB queries and indexes.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any


def require_aware(value: dt.datetime, what: str) -> dt.datetime:
    """Reject naive datetimes: a stored time without a zone is ambiguous forever."""
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got {value!r}")
    return value


def dt_to_str(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    require_aware(value, "timestamp")
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def str_to_dt(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    return dt.datetime.fromisoformat(value).astimezone(dt.UTC)


def iso_week(when: dt.datetime) -> str:
    """ISO week of a UTC instant as 'YYYY-Www' (zero-padded, so strings sort by time)."""
    year, week, _ = require_aware(when, "when").astimezone(dt.UTC).isocalendar()
    return f"{year:04d}-W{week:02d}"


def json_clone(value: Any, what: str) -> Any:
    """Deep-copy a JSON value, failing now (in the caller) rather than later in the flusher.

    The copy also means a caller mutating its dict after saving cannot change stored state
    behind the journal's back.
    """
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be JSON-serialisable: {exc}") from exc
