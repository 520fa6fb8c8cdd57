"""Shared helpers for the storage tests."""

from __future__ import annotations

import datetime as dt
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.storage import AnswerRecord

HERE = Path(__file__).parent
PYTHON = sys.executable


def subprocess_env() -> dict[str, str]:
    """Environment for helper scripts: the repository root importable, output unbuffered."""
    root = str(HERE.parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


class LineReader:
    """Reads a child's stdout in a thread, so a test can wait for a line with a timeout."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self._lines: queue.Queue[str] = queue.Queue()
        assert proc.stdout is not None
        self._thread = threading.Thread(target=self._pump, args=(proc.stdout,), daemon=True)
        self._thread.start()

    def _pump(self, stream) -> None:  # type: ignore[no-untyped-def]
        for line in stream:
            self._lines.put(line)
        self._lines.put("")

    def next(self, timeout: float = 20) -> str:
        return self._lines.get(timeout=timeout)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC))


def answer(
    user: str = "u1",
    question: str = "q1",
    correct: bool = True,
    *,
    channel: str = "c1",
    points: int | None = None,
    when: dt.datetime | None = None,
    name: str | None = None,
    **extra: object,
) -> AnswerRecord:
    return AnswerRecord(
        channel_id=channel,
        user_id=user,
        user_name=name if name is not None else f"name-{user}",
        question_id=question,
        correct=correct,
        points=(10 if correct else 0) if points is None else points,
        answered_at=when or dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC),
        **extra,  # type: ignore[arg-type]
    )
