"""Atomic file replacement and the snapshot layout TinyDB reads."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.storage import CorruptFile
from bot.storage.embedded.atomic import atomic_write, iter_tables_json, read_tables

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
tables = st.dictionaries(
    st.text(min_size=1, max_size=8),
    st.dictionaries(
        st.integers(1, 10**6).map(str),
        st.dictionaries(st.text(), json_values, max_size=4),
        max_size=12,
    ),
    max_size=3,
)


@settings(derandomize=True, max_examples=60, deadline=None)
@given(tables)
def test_line_layout_is_plain_json(data) -> None:
    text = "".join(iter_tables_json(data))
    assert json.loads(text) == data


def test_failed_write_leaves_old_content_and_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    atomic_write(path, iter(["old"]))

    def chunks():
        yield "new and half"
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        atomic_write(path, chunks())
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["db.json"]


def test_failed_rename_leaves_old_content(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "db.json"
    atomic_write(path, iter(["old"]))

    def boom(*_):
        raise OSError("rename failed")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write(path, iter(["new"]))
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["db.json"]


def test_new_content_and_rename_are_fsynced(tmp_path: Path, monkeypatch) -> None:
    synced: list[str] = []
    real = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    atomic_write(tmp_path / "db.json", iter(["x"]))
    assert synced[0].endswith(".tmp") and synced[-1] == str(tmp_path)


def test_must_not_exist_refuses_to_clobber(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    path.write_text("precious")
    with pytest.raises(FileExistsError):
        atomic_write(path, iter(["x"]), must_not_exist=True)
    assert path.read_text() == "precious"


@pytest.mark.parametrize("content", [b"", b"{", b"[1, 2]", b'{"t": {"1": 5}}', b"\xff\xfe"])
def test_unusable_files_raise_corrupt(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "db.json"
    path.write_bytes(content)
    with pytest.raises(CorruptFile):
        read_tables(path)


def test_missing_file_reads_as_none(tmp_path: Path) -> None:
    assert read_tables(tmp_path / "nope.json") is None
