"""What tests wait on in a fake platform: each recorded event notifies, ``until`` waits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


class Changes:
    def __init__(self) -> None:
        self._condition = asyncio.Condition()

    async def notify(self) -> None:
        async with self._condition:
            self._condition.notify_all()

    async def until(self, predicate: Callable[[], Any], timeout: float) -> Any:
        """``predicate()``'s value once truthy (checked at every notify); ``timeout`` is a
        safety net only."""
        async def arrived() -> Any:
            async with self._condition:
                await self._condition.wait_for(predicate)
                return predicate()
        return await asyncio.wait_for(arrived(), timeout)
