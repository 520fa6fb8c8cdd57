"""The write-ahead journal: framing, torn tails, damage, failed appends."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.storage.embedded.journal import JournalWriter, encode_entry, read_journal


def write_lines(path: Path, n: int) -> list[bytes]:
    lines = [encode_entry(i, 2, [("t", str(i), {"v": i})]) for i in range(1, n + 1)]
    writer = JournalWriter(path)
    for line in lines:
        writer.append(line)
    writer.close()
    return lines


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "j"
    write_lines(path, 3)
    got = read_journal(path)
    assert [(e.seq, e.version, e.ops) for e in got.entries] == [
        (i, 2, [("t", str(i), {"v": i})]) for i in (1, 2, 3)
    ]
    assert got.good_bytes == path.stat().st_size and got.torn_tail == 0 and got.bad_lines == []


@pytest.mark.parametrize("tail", [b"0000", b'1234abcd {"seq":4', b"deadbeef {}\n"])
def test_torn_tail_is_reported_not_applied(tmp_path: Path, tail: bytes) -> None:
    path = tmp_path / "j"
    write_lines(path, 2)
    size = path.stat().st_size
    with open(path, "ab") as handle:
        handle.write(tail)
    got = read_journal(path)
    assert [e.seq for e in got.entries] == [1, 2]
    assert (got.good_bytes, got.torn_tail, got.bad_lines) == (size, len(tail), [])


def test_damage_in_the_middle_is_not_mistaken_for_a_torn_tail(tmp_path: Path) -> None:
    path = tmp_path / "j"
    lines = write_lines(path, 4)
    data = path.read_bytes().replace(lines[1], lines[1].replace(b'"v":2', b'"v":9'))
    path.write_bytes(data)
    got = read_journal(path)
    assert [e.seq for e in got.entries] == [1, 3, 4]
    assert got.bad_lines == [2] and got.torn_tail == 0


def test_only_the_very_last_bad_line_counts_as_torn(tmp_path: Path) -> None:
    path = tmp_path / "j"
    write_lines(path, 2)
    with open(path, "ab") as handle:
        handle.write(b"garbage one\ngarbage two")
    got = read_journal(path)
    assert got.bad_lines == [3] and got.torn_tail == len(b"garbage one\ngarbage two")


def test_failed_append_leaves_no_partial_line(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "j"
    write_lines(path, 1)
    size = path.stat().st_size
    writer = JournalWriter(path)
    real_write = os.write

    def half_then_fail(fd: int, data) -> int:
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", half_then_fail)
    with pytest.raises(OSError):
        writer.append(encode_entry(2, 2, [("t", "2", {"v": 2})]))
    monkeypatch.undo()
    assert path.stat().st_size == size
    writer.append(encode_entry(3, 2, [("t", "3", {"v": 3})]))  # reopens and carries on
    writer.close()
    assert [e.seq for e in read_journal(path).entries] == [1, 3]
