"""GitHub repository figures (stars, forks, open issues) and each framework's latest release.

A release is stored at its own ``published_at``, so collecting twice never duplicates it,
and a repository without releases (404) is simply no data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import partial

from bot.storage import Snapshot
from knowledge.schema import Framework

from .http import Fetched, JsonClient, NotFound, Step, run_steps

NAME = "github"
_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
_REPO_FIELDS = {"stargazers_count": "stars", "forks_count": "forks",
                "open_issues_count": "open_issues"}


async def fetch(
    client: JsonClient,
    base_url: str,
    frameworks: Sequence[Framework],
    now: dt.datetime,
    *,
    token: str | None = None,
) -> Fetched:
    """Repository counts at ``now`` and the latest release of every framework's repository."""
    base = base_url.rstrip("/")
    headers = dict(_HEADERS)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    steps: list[Step] = []
    for fw in frameworks:
        label = f"GitHub {fw.github_repo}"
        steps.append((label, partial(_repo, client, base, headers, fw, now)))
        steps.append((label, partial(_release, client, base, headers, fw)))
    return await run_steps(steps)


async def _repo(
    client: JsonClient, base: str, headers: dict[str, str], fw: Framework, now: dt.datetime
) -> list[Snapshot]:
    path = f"/repos/{fw.github_repo}"
    data = await client.get_json(f"{base}{path}", headers=headers, what=f"GitHub {path}")
    return [Snapshot(NAME, fw.id, metric, int(data[key]), now)
            for key, metric in _REPO_FIELDS.items()]


async def _release(
    client: JsonClient, base: str, headers: dict[str, str], fw: Framework
) -> list[Snapshot]:
    path = f"/repos/{fw.github_repo}/releases/latest"
    try:
        data = await client.get_json(f"{base}{path}", headers=headers, what=f"GitHub {path}")
    except NotFound:
        return []  # the repository publishes no releases
    if not data.get("published_at"):
        return []
    published = dt.datetime.fromisoformat(data["published_at"]).astimezone(dt.UTC)
    return [Snapshot(NAME, fw.id, "release", published.timestamp(), published,
                     label=str(data["tag_name"]))]
