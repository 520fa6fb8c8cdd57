"""Append-only write-ahead journal: one fsynced, checksummed line per committed batch.

Appending a few hundred bytes and fsyncing costs the same whatever the partition holds, which
is what keeps one quiz answer's cost flat. A line is ``<crc32 hex> <json>\\n`` with json
``{"seq": n, "v": schema, "ops": [[table, doc_id, doc_or_null], ...]}``: ops are whole
documents (or deletions), so replaying a line twice is harmless. A crash can only tear the
last line, which was never acknowledged; readers drop it.
"""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .atomic import fsync_dir

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
_datasync = getattr(os, "fdatasync", os.fsync)

Op = tuple[str, str, dict[str, Any] | None]


def encode_entry(seq: int, version: int, ops: list[Op]) -> bytes:
    payload = _encode({"seq": seq, "v": version, "ops": ops}).encode("utf-8")
    return b"%08x " % zlib.crc32(payload) + payload + b"\n"


@dataclass
class Entry:
    seq: int
    version: int
    ops: list[Op]


@dataclass
class JournalRead:
    entries: list[Entry] = field(default_factory=list)
    good_bytes: int = 0  # length of the prefix that ends with the last good line
    torn_tail: int = 0  # bytes after the last good line when only the tail is bad
    bad_lines: list[int] = field(default_factory=list)  # 1-based numbers of bad middle lines


def _parse_line(line: bytes) -> Entry | None:
    if len(line) < 10 or line[8:9] != b" ":
        return None
    payload = line[9:]
    try:
        if int(line[:8], 16) != zlib.crc32(payload):
            return None
        obj = json.loads(payload)
        ops = [(str(t), str(i), d) for t, i, d in obj["ops"]]
        return Entry(int(obj["seq"]), int(obj.get("v", 1)), ops)
    except (ValueError, KeyError, TypeError):
        return None


def read_journal(path: Path) -> JournalRead:
    """Parse every intact line; report a torn tail separately from damage in the middle."""
    result = JournalRead()
    with open(path, "rb") as handle:
        data = handle.read()
    lines = data.split(b"\n")
    offset = 0
    pending_bad: list[tuple[int, int]] = []  # bad lines not yet known to be in the middle
    for number, line in enumerate(lines, start=1):
        is_last = number == len(lines)
        end = offset + len(line) + (0 if is_last else 1)
        if line:
            entry = _parse_line(line) if not is_last else None  # no newline: never completed
            if entry is None:
                pending_bad.append((number, offset))
            else:
                result.bad_lines.extend(n for n, _ in pending_bad)
                pending_bad.clear()
                result.entries.append(entry)
                result.good_bytes = end
        offset = end
    if pending_bad:
        # Appends are fsynced one at a time, so a crash can damage only the last line;
        # any other bad line at the end is damage, not a torn write.
        result.bad_lines.extend(n for n, _ in pending_bad[:-1])
        result.torn_tail = len(data) - result.good_bytes
    return result


class JournalWriter:
    """Appends to one journal file; used from one flusher thread at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def append(self, line: bytes) -> int:
        """Write and fsync ``line``; on failure cut the file back so no partial line remains."""
        if self._fd is None:
            self._open()
        fd = self._fd
        assert fd is not None
        start = os.lseek(fd, 0, os.SEEK_END)
        try:
            view = memoryview(line)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            _datasync(fd)
        except BaseException:
            try:
                os.ftruncate(fd, start)
            except OSError:
                pass
            self.close()
            raise
        return len(line)

    def _open(self) -> None:
        try:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o644)
            fsync_dir(self.path.parent)  # the new file's name must survive a crash too
        except FileExistsError:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def truncate_to(path: Path, size: int) -> None:
    """Drop a torn tail so later appends do not sit behind garbage."""
    fd = os.open(path, os.O_WRONLY)
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    finally:
        os.close(fd)
