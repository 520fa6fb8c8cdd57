"""Trend measurements: documents of the global ``trends`` partition, with the stamp that
changes on every write and the claims of process-wide jobs (the daily collection)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .codec import dt_to_str, str_to_dt
from .partition import Partition
from .records import Snapshot

KEEP_CLAIMS = 60  # a job's claimed periods kept (two months of daily collections)


def put(p: Partition, snapshots: Iterable[Snapshot]) -> None:
    """Store measurements; the same (source, framework, metric, time) overwrites. The
    stamp moves in the same write, so every process sees that the figures changed."""
    for s in snapshots:
        p.put("snapshots", {
            "source": s.source, "framework": s.framework, "metric": s.metric,
            "value": float(s.value), "fetched_at": dt_to_str(s.fetched_at), "label": s.label,
        })
    p.put("stamps", {"name": "snapshots", "writes": version(p) + 1})


def version(p: Partition | None) -> int:
    doc = p["stamps"].get("snapshots") if p is not None else None
    return int(doc["writes"]) if doc else 0


def claim(p: Partition, job: str, period: str, at: str) -> bool:
    """Claim ``period`` of ``job`` unless it was claimed; keeps the latest ``KEEP_CLAIMS``."""
    if p["claims"].get(job, period) is not None:
        return False
    p.put("claims", {"job": job, "period": period, "claimed_at": at})
    for old in sorted(p["claims"].where("job", job), key=lambda d: d["period"])[:-KEEP_CLAIMS]:
        p.delete("claims", job, old["period"])
    return True


def to_list(docs: Iterable[Mapping[str, Any]]) -> list[Snapshot]:
    """Measurements oldest first (ties in a fixed order)."""
    ordered = sorted(docs, key=lambda d: (d["fetched_at"], d["source"], d["framework"],
                                          d["metric"]))
    return [Snapshot(d["source"], d["framework"], d["metric"], d["value"],
                     str_to_dt(d["fetched_at"]), d.get("label"))  # type: ignore[arg-type]
            for d in ordered]
