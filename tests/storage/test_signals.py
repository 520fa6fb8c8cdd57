"""Graceful close: SIGTERM/SIGINT flush pending writes before the process exits."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from bot.storage import Store

from .conftest import HERE, PYTHON, LineReader, subprocess_env
from .sigterm_proc import ACKED, PENDING, T


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_signal_flushes_pending_writes_before_exit(tmp_path: Path, clock, sig) -> None:
    data = tmp_path / "data"
    proc = subprocess.Popen(
        [PYTHON, str(HERE / "sigterm_proc.py"), str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
    )
    lines = LineReader(proc)
    try:
        assert lines.next() == f"ACKED {ACKED}\n"
        assert lines.next() == f"PENDING {PENDING + 1}\n"
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == 0, proc.stderr.read() if proc.stderr else ""
        assert lines.next() == f"DONE {PENDING + 1} FAILED 0\n"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    async with await Store.open(data, clock) as store:
        assert (await store.user_stats(T, "u1")).answered == ACKED + PENDING
        assert await store.get_settings(T) == {"lang": "nl"}


async def test_writes_after_close_are_refused(tmp_path: Path, clock) -> None:
    from bot.storage import StoreClosed

    store = await Store.open(tmp_path / "data", clock)
    await store.close()
    await store.close()  # idempotent
    with pytest.raises(StoreClosed):
        await store.update_settings(T, lang="x")
