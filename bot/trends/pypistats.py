"""PyPI downloads from pypistats.org: daily history plus the rolling day/week/month totals.

Daily rows are dated by pypistats, so storing them under their own date makes re-collecting
idempotent; the rolling totals are a reading taken ``now``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import partial

from bot.storage import Snapshot
from knowledge.schema import Framework

from .http import Fetched, JsonClient, Step, run_steps

NAME = "pypistats"
_RECENT = {"last_day": "downloads_last_day", "last_week": "downloads_last_week",
           "last_month": "downloads_last_month"}


async def fetch(
    client: JsonClient, base_url: str, frameworks: Sequence[Framework], now: dt.datetime
) -> Fetched:
    """Every framework's daily downloads (without mirrors) and its recent totals."""
    base = base_url.rstrip("/")
    steps: list[Step] = []
    for fw in frameworks:
        label = f"pypistats {fw.pypi_package}"
        steps.append((label, partial(_overall, client, base, fw)))
        steps.append((label, partial(_recent, client, base, fw, now)))
    return await run_steps(steps)


async def _overall(client: JsonClient, base: str, fw: Framework) -> list[Snapshot]:
    path = f"/packages/{fw.pypi_package}/overall"
    data = await client.get_json(f"{base}{path}", params={"mirrors": "false"},
                                 what=f"pypistats {path}")
    return [
        Snapshot(NAME, fw.id, "downloads_day", int(row["downloads"]), _midnight(row["date"]))
        for row in data["data"]
        if row["category"] == "without_mirrors"
    ]


async def _recent(
    client: JsonClient, base: str, fw: Framework, now: dt.datetime
) -> list[Snapshot]:
    path = f"/packages/{fw.pypi_package}/recent"
    data = await client.get_json(f"{base}{path}", what=f"pypistats {path}")
    totals = data["data"]
    return [Snapshot(NAME, fw.id, metric, int(totals[key]), now) for key, metric in _RECENT.items()]


def _midnight(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), tzinfo=dt.UTC)
