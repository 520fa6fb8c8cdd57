"""(3) Corrupt or unreadable files at start: set aside, restore a backup, say what was lost."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.storage import Store, Tenant

from .conftest import answer

T = Tenant("discord", "42")


def folder(data: Path) -> Path:
    return data / "discord" / "42"


async def write_history(data: Path, clock) -> None:
    """Four single-answer batches: snapshot@1, checkpoint@2, checkpoint@3, journal@4."""
    async with await Store.open(data, clock) as store:
        await store.record_answer(T, answer(question="a1"))
        await store.record_answer(T, answer(question="a2"))
        await store.checkpoint()
        await store.record_answer(T, answer(question="a3"))
        await store.checkpoint()
        await store.record_answer(T, answer(question="a4", correct=False))


async def test_corrupt_snapshot_is_set_aside_and_newest_backup_restored(tmp_path, clock, caplog):
    data = tmp_path / "data"
    await write_history(data, clock)
    snap = folder(data) / "scores.json"
    snap.write_bytes(snap.read_bytes()[:40])  # truncated, as an in-place write would leave it

    caplog.set_level(logging.INFO, logger="framework_coach.storage")
    async with await Store.open(data, clock) as store:
        # Backup (a1, a2) + journal (batch 4). Journal ops are whole documents, so the totals
        # written by batch 4 already count a3; only documents touched solely by batch 3
        # (none here: a3 was correct, so it made no review entry) fall back.
        stats = await store.user_stats(T, "u1")
        assert (stats.answered, stats.correct) == (4, 3)
        assert [r.question_id for r in await store.review_queue(T, "u1")] == ["a4"]
        ((_, kind, report),) = store.load_reports
        assert kind == "scores" and report.restored_from is not None
        assert len(report.lost) == 1 and report.lost[0].startswith("write batches 3..3")

    aside = list(folder(data).glob("scores.json.corrupt-*"))
    assert [p.name for p in aside] == ["scores.json.corrupt-20260105T090000Z"]
    assert aside[0].read_bytes() == b'{\n"_meta": {\n"1": {"schema":2,"kind":"score'[:40]
    text = caplog.text
    assert "is corrupt" in text and "set aside as scores.json.corrupt-20260105T090000Z" in text
    assert "restored backup scores.s000000000002." in text and "lost write batches 3..3" in text

    async with await Store.open(data, clock) as store:  # the repair itself was durable
        assert store.load_reports == []
        assert (await store.user_stats(T, "u1")).answered == 4


async def test_corrupt_snapshot_without_backup_starts_empty_loudly(tmp_path, clock, caplog):
    data = tmp_path / "data"
    async with await Store.open(data, clock, keep_backups=0) as store:
        await store.update_settings(T, lang="de")
    settings = folder(data) / "settings.json"
    settings.write_text("this is not json")

    caplog.set_level(logging.ERROR, logger="framework_coach.storage")
    async with await Store.open(data, clock) as store:
        assert await store.get_settings(T) == {}
        assert (
            "no readable backup" in caplog.text and "starting this partition empty" in caplog.text
        )
        await store.update_settings(T, lang="en")  # writing again works, nothing clobbered
    kept = list(folder(data).glob("settings.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_text() == "this is not json"
    async with await Store.open(data, clock) as store:
        assert await store.get_settings(T) == {"lang": "en"}


async def test_wrong_shape_json_counts_as_corrupt(tmp_path, clock):
    data = tmp_path / "data"
    async with await Store.open(data, clock) as store:
        await store.update_settings(T, lang="de")
    (folder(data) / "settings.json").write_text('{"settings": [1, 2, 3]}')
    async with await Store.open(data, clock) as store:
        assert store.load_reports and store.load_reports[0][1] == "settings"
    assert list(folder(data).glob("settings.json.corrupt-*"))


async def test_damaged_journal_line_loses_only_that_batch(tmp_path, clock, caplog):
    data = tmp_path / "data"
    async with await Store.open(data, clock) as store:
        for q in ("a1", "a2", "a3", "a4"):
            await store.record_answer(T, answer(question=q, correct=False))
    (journal,) = folder(data).glob("scores.journal.*")
    lines = journal.read_bytes().split(b"\n")
    assert len(lines) == 4  # a2, a3, a4 and the empty tail after the last newline
    lines[1] = lines[1].replace(b'"a3"', b'"XX"')  # bit rot: checksum no longer matches
    journal.write_bytes(b"\n".join(lines))

    caplog.set_level(logging.ERROR, logger="framework_coach.storage")
    async with await Store.open(data, clock) as store:
        queue = [r.question_id for r in await store.review_queue(T, "u1")]
        assert queue == ["a1", "a2", "a4"]  # a3 is gone with its damaged line
        assert "fail their checksum" in caplog.text
    assert list(folder(data).glob("scores.journal.*.corrupt-*")), "damaged journal kept aside"


async def test_torn_last_line_is_dropped_and_trimmed(tmp_path, clock, caplog):
    data = tmp_path / "data"
    async with await Store.open(data, clock) as store:
        await store.record_answer(T, answer(question="a1"))
        await store.record_answer(T, answer(question="a2"))
    (journal,) = folder(data).glob("scores.journal.*")
    good = journal.read_bytes()
    journal.write_bytes(good + b'0badc0de {"seq":3,"v":2,"ops":[["tot')

    caplog.set_level(logging.WARNING, logger="framework_coach.storage")
    async with await Store.open(data, clock) as store:
        assert (await store.user_stats(T, "u1")).answered == 2
        assert "incomplete last write" in caplog.text
        assert journal.read_bytes() == good
        await store.record_answer(T, answer(question="a3"))
    caplog.clear()
    async with await Store.open(data, clock) as store:
        assert (await store.user_stats(T, "u1")).answered == 3
    assert "incomplete" not in caplog.text


async def test_leftover_temp_files_are_removed(tmp_path, clock):
    data = tmp_path / "data"
    async with await Store.open(data, clock) as store:
        await store.update_settings(T, lang="de")
    leftover = folder(data) / "settings.json.1234abcd.tmp"
    leftover.write_text('{"half": ')
    async with await Store.open(data, clock) as store:
        assert await store.get_settings(T) == {"lang": "de"}
    assert not leftover.exists()


async def test_tenant_marker_lost_identity_comes_from_snapshot(tmp_path, clock):
    data = tmp_path / "data"
    slack = Tenant("slack", "T0UPPER")
    async with await Store.open(data, clock) as store:
        await store.update_settings(slack, lang="pt")
    (marker,) = data.glob("slack/*/tenant.json")
    marker.write_text("garbage")
    async with await Store.open(data, clock) as store:
        assert await store.get_settings(slack) == {"lang": "pt"}


async def test_unidentifiable_folder_is_set_aside_not_overwritten(tmp_path, clock, caplog):
    data = tmp_path / "data"
    async with await Store.open(data, clock) as store:
        await store.update_settings(Tenant("slack", "T0UPPER"), lang="pt")
    (tdir,) = data.glob("slack/*")
    (tdir / "tenant.json").unlink()
    (tdir / "settings.json").write_text("garbage")
    caplog.set_level(logging.ERROR, logger="framework_coach.storage")
    async with await Store.open(data, clock):
        assert "cannot tell which tenant" in caplog.text
    assert list(data.glob("slack/*.corrupt-*"))


async def test_backups_rotate(tmp_path, clock):
    data = tmp_path / "data"
    async with await Store.open(data, clock, keep_backups=2) as store:
        for i in range(6):
            await store.record_answer(T, answer(question=f"q{i}"))
            await store.checkpoint()
    backups = sorted(p.name for p in (folder(data) / "backups").iterdir())
    assert len(backups) == 2
    assert backups[-1].startswith("scores.s000000000005.")  # newest = snapshot before the last


async def test_foreign_folders_are_left_alone(tmp_path, clock):
    data = tmp_path / "data"
    foreign = data / "notes" / "drafts"
    foreign.mkdir(parents=True)
    (foreign / "todo.txt").write_text("mine")
    async with await Store.open(data, clock) as store:
        assert await store.tenants() == []
    assert (foreign / "todo.txt").read_text() == "mine"


def test_data_dir_comes_from_the_environment():
    from bot.storage import data_dir_from_env

    assert data_dir_from_env({}) == Path("./data")
    assert data_dir_from_env({"DATA_DIR": "/srv/coach"}) == Path("/srv/coach")
