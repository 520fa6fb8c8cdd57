"""Capped exponential backoff with jitter, for reconnecting to a platform that went away.

Why not a fixed pace: retrying every few seconds hammers a platform that is down (and gets
a bot rate-limited the moment it comes back); doubling the wait backs off instead. Why a
cap: so that recovery is noticed within a minute however long the outage was. Why jitter:
so that many clients cut off at once do not all come back at the same instant.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

MAX_DOUBLINGS = 30  # far past any useful cap; keeps the float finite


@dataclass
class Backoff:
    base: float = 1.0  # seconds before the first retry (at most)
    cap: float = 60.0  # the longest wait between two attempts
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0  # consecutive failed attempts so far

    def next(self) -> float:
        """The wait before the next attempt, counting one more failure: ``base`` doubled per
        failure, capped at ``cap``, times a random factor in [0.5, 1] (never near zero, so a
        dead platform is not hammered; never above the cap)."""
        ceiling = min(self.cap, self.base * 2 ** min(self.failures, MAX_DOUBLINGS))
        self.failures += 1
        return ceiling * self.rng.uniform(0.5, 1.0)

    def reset(self) -> None:
        """Connected again: the next outage starts from ``base``."""
        self.failures = 0
