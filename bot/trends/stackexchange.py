"""Stack Overflow questions per framework tag, from the Stack Exchange API 2.3.

Question volume has fallen a lot in recent years, so besides each tag's all-time total we
count questions in two 30-day windows ending at today's midnight UTC: a monthly signal that
stays comparable, and idempotent to re-collect on the same day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import partial

from bot.storage import Snapshot
from knowledge.schema import Framework

from .http import Fetched, JsonClient, Step, run_steps

NAME = "stackexchange"
SITE = "stackoverflow"
WINDOW = dt.timedelta(days=30)
WINDOWS = 2


async def fetch(
    client: JsonClient,
    base_url: str,
    frameworks: Sequence[Framework],
    now: dt.datetime,
    *,
    key: str | None = None,
) -> Fetched:
    """Every tag's question total at ``now`` and its questions in the last two 30-day windows."""
    base = base_url.rstrip("/")
    common = {"site": SITE, **({"key": key} if key else {})}
    missing: list[str] = []
    steps: list[Step] = [
        ("Stack Exchange tags", partial(_totals, client, base, common, frameworks, now, missing))
    ]
    day = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for fw in frameworks:
        for n in range(WINDOWS):
            end = day - n * WINDOW
            steps.append((f"Stack Exchange [{fw.stackoverflow_tag}]",
                          partial(_window, client, base, common, fw, end)))
    result = await run_steps(steps)
    result.errors.extend(f"Stack Exchange: no tag [{tag}] on {SITE}" for tag in missing)
    return result


async def _totals(
    client: JsonClient,
    base: str,
    common: dict[str, str],
    frameworks: Sequence[Framework],
    now: dt.datetime,
    missing: list[str],
) -> list[Snapshot]:
    """One call for every tag's all-time question count; unknown tags go to ``missing``."""
    tags = ";".join(fw.stackoverflow_tag for fw in frameworks)
    path = f"/tags/{tags}/info"
    data = await client.get_json(f"{base}{path}", params={**common, "pagesize": 100},
                                 what=f"Stack Exchange {path}")
    counts = {item["name"]: int(item["count"]) for item in data["items"]}
    found = []
    for fw in frameworks:
        if fw.stackoverflow_tag in counts:
            found.append(Snapshot(NAME, fw.id, "questions_total", counts[fw.stackoverflow_tag],
                                  now))
        else:
            missing.append(fw.stackoverflow_tag)
    return found


async def _window(
    client: JsonClient, base: str, common: dict[str, str], fw: Framework, end: dt.datetime
) -> list[Snapshot]:
    """Questions created in [end - 30 days, end); ``todate`` is inclusive, hence the -1."""
    start = end - WINDOW
    params = {**common, "tagged": fw.stackoverflow_tag, "fromdate": int(start.timestamp()),
              "todate": int(end.timestamp()) - 1, "filter": "total"}
    what = f"Stack Exchange /questions [{fw.stackoverflow_tag}] {start:%Y-%m-%d}..{end:%Y-%m-%d}"
    data = await client.get_json(f"{base}/questions", params=params, what=what)
    return [Snapshot(NAME, fw.id, "questions_30d", int(data["total"]), end)]
