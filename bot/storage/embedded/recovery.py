"""Backups and quarantine: what to do when a file on disk cannot be trusted.

Never start empty over unreadable data: the bad file is renamed aside as
``<name>.corrupt-<UTC timestamp>`` (kept for inspection), the newest readable backup is
restored, and the log says what happened and which writes, if any, were lost.
Backups cost almost nothing: before a snapshot is replaced, the old file is hard-linked into
``backups/`` (the rename then leaves that inode to the backup), and only the newest few are
kept.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path
from typing import Any

from bot.clock import Clock

from ..errors import CorruptFile
from .atomic import fsync_dir, make_dirs, read_tables
from .paths import BACKUP_DIR

log = logging.getLogger("framework_coach.storage")

_BACKUP_RE = re.compile(r"^(?P<kind>[a-z]+)\.s(?P<seq>\d+)\.(?P<ts>\d{8}T\d{6}Z)\.json$")


def stamp(clock: Clock) -> str:
    return clock.now().strftime("%Y%m%dT%H%M%SZ")


def quarantine(path: Path, clock: Clock) -> Path:
    """Rename ``path`` aside with a timestamped ``.corrupt-`` suffix; never delete it."""
    base = f"{path.name}.corrupt-{stamp(clock)}"
    target = path.with_name(base)
    n = 1
    while target.exists():
        target = path.with_name(f"{base}.{n}")
        n += 1
    os.replace(path, target)
    fsync_dir(path.parent)
    return target


def backup_dir(directory: Path) -> Path:
    return directory / BACKUP_DIR


def backup_current(snapshot: Path, kind: str, seq: int, clock: Clock, keep: int) -> None:
    """Keep the snapshot about to be replaced as the newest backup; prune to ``keep``."""
    if keep <= 0 or not snapshot.exists():
        return
    folder = backup_dir(snapshot.parent)
    make_dirs(folder)
    target = folder / f"{kind}.s{seq:012d}.{stamp(clock)}.json"
    if not target.exists():
        try:
            os.link(snapshot, target)
        except OSError:  # filesystems without hard links
            shutil.copyfile(snapshot, target)
            with open(target, "rb") as handle:
                os.fsync(handle.fileno())
    for old in list_backups(snapshot.parent, kind)[keep:]:
        old.unlink(missing_ok=True)
    fsync_dir(folder)


def list_backups(directory: Path, kind: str) -> list[Path]:
    """Backups of ``kind``, newest (highest seq) first."""
    folder = backup_dir(directory)
    if not folder.is_dir():
        return []
    found = []
    for entry in folder.iterdir():
        m = _BACKUP_RE.match(entry.name)
        if m and m["kind"] == kind:
            found.append((int(m["seq"]), m["ts"], entry))
    return [p for _, _, p in sorted(found, reverse=True)]


def restore_newest_backup(directory: Path, kind: str) -> tuple[dict[str, Any] | None, Path | None]:
    """The newest backup that still parses, or (None, None) when none does."""
    for candidate in list_backups(directory, kind):
        try:
            data = read_tables(candidate)
        except CorruptFile as exc:
            log.error("backup %s is unreadable too (%s); trying an older one", candidate, exc)
            continue
        if data is not None:
            return data, candidate
    return None, None
