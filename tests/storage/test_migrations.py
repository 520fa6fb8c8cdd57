"""(6) Schema migrations, from a checked-in schema-1 fixture."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tinydb import TinyDB

from bot.storage import SCHEMA_VERSION, SchemaTooNew, Store, Tenant
from bot.storage.embedded.atomic import read_tables
from bot.storage.embedded.migrations import MIGRATIONS, migrate

FIXTURE = Path(__file__).parent / "fixtures" / "v1"
TENANT = Tenant("discord", "555")


@pytest.fixture
def v1_dir(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(FIXTURE, target)
    return target


def test_every_version_has_a_migration() -> None:
    assert sorted(MIGRATIONS) == list(range(1, SCHEMA_VERSION))


async def test_schema_1_fixture_is_migrated_on_open(v1_dir: Path, clock) -> None:
    async with await Store.open(v1_dir, clock) as store:
        ann = await store.user_stats(TENANT, "u1")
        bob = await store.user_stats(TENANT, "u2")
        assert (ann.answered, ann.correct, ann.points) == (3, 1, 10)  # 2 in snapshot, 1 journal
        assert (ann.games_played, ann.games_won, ann.user_name) == (2, 1, "Ann")
        assert (bob.answered, bob.correct, bob.points) == (3, 1, 10)
        assert (await store.user_stats(TENANT, "u9")).answered == 0  # seq 3 <= snapshot: skipped

        assert [(r.question_id, r.misses) for r in await store.review_queue(TENANT, "u1")] == [
            ("q2", 2)
        ]
        assert [r.question_id for r in await store.review_queue(TENANT, "u2")] == ["q3"]

        board = await store.leaderboard(TENANT)
        assert [(e.user_id, e.points) for e in board] == [("u1", 10), ("u2", 10)]
        week2 = await store.leaderboard(TENANT, since_week="2026-W02")
        assert [(e.user_id, e.points, e.answered) for e in week2] == [("u2", 10, 3), ("u1", 0, 2)]

        sub = await store.get_subscription(TENANT, "c1")
        assert sub is not None
        assert (sub.time, sub.enabled, sub.disabled_reason) == (
            "08:30",
            False,
            "missing permission",
        )
        assert await store.get_settings(TENANT) == {"lang": "fr"}
        kinds = {(kind, report.migrated_from) for _, kind, report in store.load_reports}
        assert ("scores", 1) in kinds and ("digests", 1) in kinds

    folder = v1_dir / "discord" / "555"
    scores = read_tables(folder / "scores.json")
    assert scores is not None
    assert scores["_meta"]["1"]["schema"] == SCHEMA_VERSION
    assert "answers" not in scores and len(scores["totals"]) == 2
    assert not list(folder.glob("scores.journal.*")), "journal folded into the new snapshot"
    old = list((folder / "backups").glob("scores.*.json"))
    assert len(old) == 1 and json.loads(old[0].read_text())["_meta"]["1"]["schema"] == 1

    async with await Store.open(v1_dir, clock) as store:  # second open: nothing left to do
        assert store.load_reports == []
        assert (await store.user_stats(TENANT, "u1")).answered == 3


async def test_migrated_files_are_plain_tinydb(v1_dir: Path, clock) -> None:
    await (await Store.open(v1_dir, clock)).close()
    db = TinyDB(v1_dir / "discord" / "555" / "scores.json", access_mode="r")
    try:
        assert {d["user_id"] for d in db.table("totals").all()} == {"u1", "u2"}
    finally:
        db.close()


async def test_newer_schema_is_refused_untouched(tmp_path: Path, clock) -> None:
    target = tmp_path / "data"
    shutil.copytree(FIXTURE, target)
    path = target / "discord" / "555" / "settings.json"
    data = json.loads(path.read_text())
    data["_meta"]["1"]["schema"] = SCHEMA_VERSION + 1
    path.write_text(json.dumps(data))
    before = path.read_bytes()
    with pytest.raises(SchemaTooNew, match="newer than this build"):
        await Store.open(target, clock)
    assert path.read_bytes() == before
    async with await Store.open(tmp_path / "other", clock):  # the lock was released
        pass
    with pytest.raises(SchemaTooNew):
        await Store.open(target, clock)


def test_migrate_is_a_no_op_at_current_version() -> None:
    tables = {"totals": {"1": {"channel_id": "c", "user_id": "u"}}}
    assert migrate("scores", tables, SCHEMA_VERSION) == tables
