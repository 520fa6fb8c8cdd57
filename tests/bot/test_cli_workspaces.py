"""``framework-coach`` and workspaces that install the app: the configuration mistake of
mixing the two Slack modes stops the start with one line, and an operator deletes what is
kept for a workspace with ``delete-workspace``."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from bot.clock import FakeClock
from bot.storage import Store, Subscription, Tenant
from tests.bot.test_cli import EXE, run

T1, T2 = Tenant("slack", "T0001"), Tenant("slack", "T0002")


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    return {**env, "DATA_DIR": str(tmp_path / "data"), **extra}


def test_a_bot_token_and_the_oauth_variables_together_stop_the_start(tmp_path: Path):
    import subprocess

    assert EXE
    env = _clean_env(tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s",
                     SLACK_CLIENT_ID="1.2", SLACK_CLIENT_SECRET="secret-value-123")
    result = subprocess.run([EXE, "run"], capture_output=True, text=True, timeout=60,
                            env=env, cwd=tmp_path, input="")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Cannot start: Slack: SLACK_BOT_TOKEN and SLACK_CLIENT_ID")
    assert "secret-value-123" not in result.stderr and "Traceback" not in result.stderr


async def _fill(data: Path) -> None:
    async with await Store.open(data, FakeClock()) as store:
        for tenant in (T1, T2):
            await store.save_installation(tenant, {"team_id": tenant.id, "bot_token": "x"})
            await store.upsert_subscription(tenant, Subscription("C1"))


async def _kept(data: Path) -> list[Tenant]:
    async with await Store.open(data, FakeClock()) as store:
        return await store.tenants()


def test_delete_workspace_removes_one_workspace_and_refuses_while_the_bot_runs(tmp_path):
    data = tmp_path / "data"
    asyncio.run(_fill(data))
    env = _clean_env(tmp_path)
    done = run("delete-workspace", "slack", T1.id, env=env)
    assert done.returncode == 0, done.stderr
    assert f"Deleted everything kept for slack workspace {T1.id}" in done.stdout
    assert asyncio.run(_kept(data)) == [T2]
    again = run("delete-workspace", "slack", T1.id, env=env)
    assert again.returncode == 0 and "Nothing is kept" in again.stdout

    async def while_running() -> object:
        async with await Store.open(data, FakeClock()):
            return await asyncio.to_thread(run, "delete-workspace", "slack", T2.id, env=env)

    locked = asyncio.run(while_running())
    assert locked.returncode == 2 and "stop the bot first" in locked.stderr
    assert asyncio.run(_kept(data)) == [T2]
