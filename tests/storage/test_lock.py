"""(4) One process owns a data directory; a second one exits with a message naming it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from bot.storage import DataDirLocked, Store

from .conftest import HERE, PYTHON, LineReader, subprocess_env


def run_second(data: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, str(HERE / "lock_proc.py"), str(data), *extra],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=30,
    )


async def test_second_process_exits_naming_the_holder(tmp_path: Path, clock) -> None:
    data = tmp_path / "data"
    async with await Store.open(data, clock):
        result = run_second(data)
        assert result.returncode == 2
        assert "OPENED" not in result.stdout
        message = result.stderr.strip()
        assert f"data directory {data} is already in use by pid {os.getpid()}" in message
        assert f"on host {socket.gethostname()}" in message
        assert "running since 2026-01-05T09:00:00" in message  # the holder's (fake) clock
    assert run_second(data).returncode == 0  # released on close


async def test_second_open_in_the_same_process_is_refused(tmp_path: Path, clock) -> None:
    data = tmp_path / "data"
    async with await Store.open(data, clock):
        with pytest.raises(DataDirLocked, match=f"pid {os.getpid()}"):
            await Store.open(data, clock)


async def test_lock_of_a_killed_holder_is_free_again(tmp_path: Path, clock) -> None:
    data = tmp_path / "data"
    holder = subprocess.Popen(
        [PYTHON, str(HERE / "lock_proc.py"), str(data), "hold"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
    )
    try:
        assert LineReader(holder).next() == "OPENED\n"
        with pytest.raises(DataDirLocked, match=f"pid {holder.pid} "):
            await Store.open(data, clock)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    async with await Store.open(data, clock):  # the kernel dropped the dead holder's flock
        pass
