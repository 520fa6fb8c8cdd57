"""The allocator tuning `framework-coach run` applies before it opens anything."""

from __future__ import annotations

import platform
import sys

import pytest

from bot import memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_glibc_takes_the_fixed_thresholds() -> None:
    assert memory.tune_allocator() is True
    assert memory.tune_allocator() is True  # idempotent: a second run (tests) changes nothing


def test_elsewhere_it_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert memory.tune_allocator() is False
