"""Test-only fault injection: make the process die between two named steps of a game.

``QUIZ_KILL_AT=<step>`` in the environment makes the process SIGKILL itself the first time it
reaches that step, exactly as an operator's ``kill -9`` would, so the subprocess tests in
``tests/e2e/test_kill_points.py`` can walk every step of closing a question and finishing a
game. Unset (always, outside those tests) ``reached`` is a dictionary lookup and nothing else.
"""

from __future__ import annotations

import logging
import os
import signal
import sys

log = logging.getLogger("framework_coach.quiz")

ENV = "QUIZ_KILL_AT"

# Every named step, in the order a question's close and a game's finish pass them.
STEPS = (
    "close:after-state",  # the closed question is saved, its answers not yet counted
    "close:after-scores",  # the answers are counted, the reveal not yet shown
    "finish:after-state",  # the finished game is saved, not yet counted
    "finish:after-scores",  # the game is counted, its saved state not yet deleted
    "finish:after-delete",  # the game is gone from storage, the standings not yet posted
)


def reached(step: str) -> None:
    """Die here if the environment asks for it (tests only)."""
    if os.environ.get(ENV) == step:
        log.warning("fault injection: killing the process at %s", step)
        for handler in logging.getLogger().handlers + log.handlers:
            handler.flush()
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)
