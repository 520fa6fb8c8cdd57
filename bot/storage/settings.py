"""A tenant's settings: one document in its ``settings`` partition."""

from __future__ import annotations

import copy
from typing import Any

from .partition import Partition

KEY = "tenant"


def values(p: Partition | None) -> dict[str, Any]:
    doc = p["settings"].get(KEY) if p else None
    return copy.deepcopy(doc["values"]) if doc else {}


def merge(p: Partition, clean: dict[str, Any], now: str) -> dict[str, Any]:
    """Merge JSON-checked ``clean`` values in; a value of None removes that key."""
    merged = {**values(p), **clean}
    merged = {k: v for k, v in merged.items() if v is not None}
    p.put("settings", {"scope": KEY, "values": merged, "updated_at": now})
    return copy.deepcopy(merged)
