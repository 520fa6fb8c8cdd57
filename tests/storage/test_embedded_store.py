"""What only the data-directory backend promises: journal lines and TinyDB files."""

from __future__ import annotations

from pathlib import Path

import pytest
from tinydb import TinyDB

from bot.storage import Fold, GameResult, Store, Tenant
from bot.storage.embedded.journal import read_journal
from bot.storage.embedded.paths import journal_gens, journal_path, tenant_dir
from bot.storage.partition import LiveStorage

from .conftest import answer

T = Tenant("discord", "1")


@pytest.fixture
async def store(tmp_path: Path, clock):
    s = await Store.open(tmp_path / "data", clock)
    yield s
    await s.close()


async def test_a_quiz_step_is_one_journal_line(store: Store) -> None:
    """All of a step or none of it: a kill can only tear the last line, which loading drops."""
    await store.record_answer(T, answer("u0", "q0"))  # the partition's first write: a snapshot
    directory = tenant_dir(store.data_dir, T)
    [gen] = journal_gens(directory, "scores") or [1]
    journal = journal_path(directory, "scores", gen)
    before = read_journal(journal).entries if journal.exists() else []
    games = [GameResult("u1", "Ann", True), GameResult("u2", "Bob", False)]
    await store.record_quiz_step(T, Fold("c1", "g1", 0, game_over=True),
                                 [answer("u1", "q1"), answer("u2", "q1")], games)
    [entry] = read_journal(journal).entries[len(before):]
    tables = sorted({table for table, _, _ in entry.ops})
    assert tables == ["folds", "totals", "weekly"]
    totals = [doc for table, _, doc in entry.ops if table == "totals"]
    assert {(d["user_id"], d["answered"], d["games_played"]) for d in totals} == {
        ("u1", 1, 1), ("u2", 1, 1)}


async def test_files_are_tinydb_databases(store: Store, clock) -> None:
    await store.record_answer(T, answer("u1", "q1", False))
    await store.record_answer(T, answer("u2", "q1", True))
    await store.checkpoint()
    folder = store.data_dir / "discord" / "1"
    db = TinyDB(folder / "scores.json", access_mode="r")
    try:
        assert sorted(d["user_id"] for d in db.table("totals").all()) == ["u1", "u2"]
        assert db.table("_meta").get(doc_id=1)["schema"] == 2  # type: ignore[index]
    finally:
        db.close()


async def test_live_view_refuses_writes(store: Store) -> None:
    await store.update_settings(T, a=1)
    part = store._parts[(T, "settings")]
    db = TinyDB(part, storage=LiveStorage)
    assert db.table("settings", cache_size=0).all()[0]["values"] == {"a": 1}
    with pytest.raises(TypeError, match="read-only"):
        db.table("settings").insert({"x": 1})

