"""``storage migrate``: a data directory copied into PostgreSQL, whole tenants or none."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bot.storage import Snapshot, Store, Subscription, Tenant
from bot.storage.postgres.migrate import migrate_command
from bot.storage.postgres.store import PostgresStore

from .conftest import answer

A, B = Tenant("discord", "1"), Tenant("slack", "T9")


async def _fill(data: Path, clock, answers: int) -> None:
    async with await Store.open(data, clock) as store:
        for i in range(answers):
            await store.record_answer(A, answer("u1", f"q{i}", i % 2 == 0))
        await store.record_answer(B, answer("u2", "q1", False, channel="c9"))
        await store.upsert_subscription(B, Subscription("c9", created_by="u2"))
        await store.update_settings(A, tz="Europe/Paris")
        await store.add_snapshots([Snapshot("pypi", "torch", "downloads", 5.0,
                                            dt.datetime(2026, 1, 1, tzinfo=dt.UTC))])


async def test_copies_every_tenant_idempotently(tmp_path: Path, clock, pg) -> None:
    data = tmp_path / "data"
    await _fill(data, clock, answers=5)
    lines: list[str] = []
    assert await migrate_command(data, pg.url, clock, lines.append) == 0
    assert lines == [
        "copied  discord/1: 5 documents (reviews 2, settings 1, totals 1, weekly 1); "
        "counts checked",
        "copied  global/global: 2 documents (snapshots 1, stamps 1); counts checked",
        "copied  slack/T9: 4 documents (reviews 1, subscriptions 1, totals 1, weekly 1); "
        "counts checked",
        f"3 of 3 tenants copied from {data}, 11 documents",
    ]
    again: list[str] = []
    assert await migrate_command(data, pg.url, clock, again.append) == 0
    assert again == lines  # a second copy finds everything in place and adds nothing

    store = await pg.open()
    assert isinstance(store, PostgresStore)
    stats = await store.user_stats(A, "u1")
    assert (stats.answered, stats.correct) == (5, 3)
    assert [r.question_id for r in await store.review_queue(A, "u1")] == ["q1", "q3"]
    assert await store.get_settings(A) == {"tz": "Europe/Paris"}
    [(tenant, sub)] = await store.all_subscriptions()
    assert (tenant, sub.channel_id, sub.created_by) == (B, "c9", "u2")
    assert [s.value for s in await store.snapshots(framework="torch")] == [5.0]


async def test_a_tenant_that_cannot_be_copied_is_left_out_whole(
    tmp_path: Path, clock, pg
) -> None:
    data = tmp_path / "data"
    await _fill(data, clock, answers=1)
    assert await migrate_command(data, pg.url, clock, lambda _: None) == 0
    store = await pg.open()
    await store.upsert_subscription(A, Subscription("new-in-db"))  # the bot wrote here since
    async with await Store.open(data, clock) as folder:  # and the folder moved on too
        await folder.record_answer(A, answer("u1", "q7"))
        await folder.record_answer(B, answer("u2", "q2", channel="c9"))
    lines: list[str] = []
    assert await migrate_command(data, pg.url, clock, lines.append) == 1
    assert lines[0].startswith("FAILED  discord/1: the database already holds other documents")
    assert lines[-1].endswith("; 1 failed and were left out whole")
    assert (await store.user_stats(A, "u1")).answered == 1  # none of A's new copy landed
    assert (await store.user_stats(B, "u2")).answered == 2  # B was copied


def test_the_command_copies_and_says_what(tmp_path: Path, pg_url: str) -> None:
    data = tmp_path / "data"
    shutil.copytree(Path(__file__).parent / "fixtures" / "v1", data)
    exe = shutil.which("framework-coach", path=str(Path(sys.executable).parent))
    assert exe, "the console script is installed with the package"
    env = {**os.environ, "DATA_DIR": str(data), "LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([exe, "storage", "migrate", "--to", pg_url], capture_output=True,
                          text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "copied  discord/555: 9 documents (reviews 2, settings 1, subscriptions 1, totals 2, "
        "weekly 3); counts checked",
        f"1 of 1 tenants copied from {data}, 9 documents",
    ]
    wrong = subprocess.run([exe, "storage", "migrate", "--to", "mysql://db/x"],
                           capture_output=True, text=True, timeout=60, env=env)
    assert wrong.returncode == 2 and "postgresql://" in wrong.stderr and not wrong.stdout
