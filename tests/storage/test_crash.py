"""(1) SIGKILL a writer at random moments; every acknowledged write must survive.

One data directory is reused across all trials, so later trials also start from whatever an
earlier kill left behind (torn journal tails, interrupted compactions, temp files).
"""

from __future__ import annotations

import logging
import random
import signal
import subprocess
import threading
import time
from collections import defaultdict
from pathlib import Path

from bot.clock import SystemClock
from bot.storage import Store

from .conftest import HERE, PYTHON, subprocess_env
from .writer_proc import ANSWER_TASKS, COMPACT_MIN_BYTES, TENANTS

TRIALS = 60
SEED = 20260105
ACKS_BEFORE_KILL = 80  # on average, in the trials that kill a running writer


class Acks:
    """Drains the writer's stdout in a thread so a full pipe never throttles it."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[list[str]] = []
        self.ready = threading.Event()
        self._grew = threading.Condition()
        self._thread = threading.Thread(target=self._drain, args=(proc,), daemon=True)
        self._thread.start()

    def _drain(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if not line.endswith("\n"):
                break  # cut off mid-line by the kill: not a complete acknowledgement
            if line == "READY\n":
                self.ready.set()
            with self._grew:
                self.lines.append(line.split())
                self._grew.notify_all()

    def wait_for(self, count: int, timeout: float) -> bool:
        """Block until ``count`` lines arrived: kills land after a set amount of work, not
        after a set time, so a loaded machine tests as much as an idle one."""
        with self._grew:
            return self._grew.wait_for(lambda: len(self.lines) >= count, timeout)

    def join(self) -> None:
        self._thread.join(timeout=10)


def _last_acks(lines: list[list[str]]) -> tuple[dict[int, int], dict[str, list[int]]]:
    answers: dict[int, int] = defaultdict(int)
    others: dict[str, list[int]] = defaultdict(list)
    for parts in lines:
        if parts[0] == "A":
            answers[int(parts[1])] = max(answers[int(parts[1])], int(parts[2]))
        elif parts[0] in "QSTD":
            others[parts[0]].append(int(parts[1]))
    return answers, others


async def _verify(data_dir: Path, trial: int, lines: list[list[str]], base: dict[int, int]) -> None:
    acked, others = _last_acks(lines)
    store = await Store.open(data_dir, SystemClock(), compact_min_bytes=COMPACT_MIN_BYTES)
    try:
        for k in range(ANSWER_TASKS):
            stats = await store.user_stats(TENANTS[k % 2], f"u{k}")
            low = base[k] + acked[k]
            assert low <= stats.answered <= low + 1, (
                f"trial {trial}: user u{k} has {stats.answered} answers, "
                f"expected {low} acknowledged (+1 in flight)"
            )
            base[k] = stats.answered
        if others["Q"]:
            state = await store.load_quiz_session(TENANTS[0], "c")
            assert state is not None and state["trial"] == trial
            assert state["n"] in (max(others["Q"]), max(others["Q"]) + 1)
        if others["S"]:
            last = (await store.get_settings(TENANTS[1]))["last"]
            assert last[0] == trial and last[1] in (max(others["S"]), max(others["S"]) + 1)
        if others["T"]:
            kept = {
                int(s.value) for s in await store.snapshots(source="crash", framework=f"t{trial}")
            }
            assert set(others["T"]) <= kept, (
                f"trial {trial}: lost snapshots {set(others['T']) - kept}"
            )
        if others["D"]:
            history = await store.digest_history(TENANTS[0], f"c{trial}")
            claimed = {int(r.period_key[1:]) for r in history}
            assert set(others["D"]) <= claimed, f"trial {trial}: lost claims"
    finally:
        await store.close()


async def test_sigkill_never_loses_acknowledged_writes(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="framework_coach.storage")
    rng = random.Random(SEED)
    data_dir = tmp_path / "data"
    base: dict[int, int] = defaultdict(int)
    for trial in range(TRIALS):
        proc = subprocess.Popen(
            [PYTHON, str(HERE / "writer_proc.py"), str(data_dir), str(trial)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=subprocess_env(),
        )
        acks = Acks(proc)
        if trial % 6 == 5:
            time.sleep(rng.uniform(0.0, 0.2))  # often lands during start-up and recovery
        else:
            target = rng.randint(ACKS_BEFORE_KILL // 4, ACKS_BEFORE_KILL * 7 // 4)
            assert acks.wait_for(target, 60), (
                proc.stderr.read() if proc.poll() is not None else f"slow: {len(acks.lines)}"
            )
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        acks.join()
        stderr = proc.stderr.read() if proc.stderr else ""
        assert proc.returncode == -signal.SIGKILL, f"writer died on its own: {stderr}"
        await _verify(data_dir, trial, acks.lines, base)

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    assert not list(data_dir.rglob("*.corrupt-*")), "a crash must never corrupt a file"
