"""Reconnect waits: doubling from ``base``, capped, jittered within [half, full], reset on
success."""

from __future__ import annotations

import random

from adapters.backoff import Backoff


def test_waits_double_up_to_the_cap_with_jitter_between_half_and_full() -> None:
    backoff = Backoff(base=1.0, cap=60.0, rng=random.Random(8))
    ceilings = [1, 2, 4, 8, 16, 32, 60, 60, 60]
    for ceiling in ceilings:
        assert ceiling / 2 <= backoff.next() <= ceiling
    assert backoff.failures == len(ceilings)


def test_a_success_starts_the_next_outage_from_the_base() -> None:
    backoff = Backoff(base=0.5, cap=10.0, rng=random.Random(1))
    for _ in range(6):
        backoff.next()
    backoff.reset()
    assert 0.25 <= backoff.next() <= 0.5


def test_a_long_outage_never_overflows() -> None:
    backoff = Backoff(base=1.0, cap=30.0, failures=10_000)
    assert 15.0 <= backoff.next() <= 30.0
