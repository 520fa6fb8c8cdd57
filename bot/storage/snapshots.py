"""Trend measurements: documents of the global ``trends`` partition."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .codec import dt_to_str, str_to_dt
from .partition import Partition
from .records import Snapshot


def put(p: Partition, snapshots: Iterable[Snapshot]) -> None:
    """Store measurements; the same (source, framework, metric, time) overwrites."""
    for s in snapshots:
        p.put("snapshots", {
            "source": s.source, "framework": s.framework, "metric": s.metric,
            "value": float(s.value), "fetched_at": dt_to_str(s.fetched_at), "label": s.label,
        })


def to_list(docs: Iterable[Mapping[str, Any]]) -> list[Snapshot]:
    """Measurements oldest first (ties in a fixed order)."""
    ordered = sorted(docs, key=lambda d: (d["fetched_at"], d["source"], d["framework"],
                                          d["metric"]))
    return [Snapshot(d["source"], d["framework"], d["metric"], d["value"],
                     str_to_dt(d["fetched_at"]), d.get("label"))  # type: ignore[arg-type]
            for d in ordered]
