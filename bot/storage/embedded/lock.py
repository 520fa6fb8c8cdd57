"""One owner per data directory, via ``flock`` on ``DATA_DIR/.lock``.

The kernel drops an ``flock`` when its holder dies (even by SIGKILL), so a crash never leaves
a stale lock behind. The holder writes its pid, host and start time into the file so a second
process can say who is in the way. Note: ``flock`` is not reliable on network filesystems;
keep DATA_DIR on a local disk.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from pathlib import Path

from bot.clock import Clock

from ..codec import dt_to_str
from ..errors import DataDirLocked
from .paths import LOCK_NAME


class DataDirLock:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self, clock: Clock) -> None:
        """Take the lock or raise ``DataDirLocked`` naming the current holder."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _describe_holder(fd)
            os.close(fd)
            raise DataDirLocked(str(self.data_dir), holder) from None
        except BaseException:
            os.close(fd)
            raise
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": dt_to_str(clock.now()),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
        except OSError:
            pass
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None


def _describe_holder(fd: int) -> str:
    try:
        raw = os.pread(fd, 4096, 0)
        info = json.loads(raw)
        return f"pid {info['pid']} on host {info['host']} (running since {info['started_at']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process (it has not written its pid yet)"
