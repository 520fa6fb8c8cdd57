"""Posting without a triggering interaction: "send this response to that channel on that platform".

Quiz questions, reveals and digests leave the core through the ``Outbox``. Each platform's
adapter registers as a ``Deliverer``; the outbox paces posts to the platform's published
rate (on the injected clock, so tests and benchmarks can run on virtual time) and
neutralises mentions once more, whatever the adapter does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.clock import Clock
from bot.mentions import neutralise
from bot.models import Response

# Posts per second a bot may make per platform, with a little headroom: Slack allows about
# one message per second per channel plus a workspace limit; Discord's global limit is 50/s.
DEFAULT_RATES = {"slack": 1.0, "discord": 45.0, "console": 1000.0}


@dataclass(frozen=True, slots=True)
class Delivery:
    """How a post went, in terms the core can act on.

    ``permanent`` failures (channel gone, bot removed) must not be retried; others may be,
    after ``retry_after`` seconds when the platform said so.
    """

    ok: bool
    message_id: str | None = None
    error: str | None = None
    permanent: bool = False
    retry_after: float | None = None


class Deliverer(Protocol):
    async def deliver(self, tenant_id: str, channel_id: str, response: Response) -> Delivery: ...

    async def edit(
        self, tenant_id: str, channel_id: str, message_id: str, response: Response
    ) -> Delivery: ...


class Pacer:
    """A token bucket on the injected clock: at most ``rate`` acquisitions per second.

    Each caller reserves its slot before waiting (no lock), so every waiter sleeps on the
    clock itself and a fake clock can wake them in order.
    """

    def __init__(self, clock: Clock, rate: float, burst: int = 1) -> None:
        self.clock = clock
        self.interval = 1.0 / rate
        self.burst = burst
        self._next = clock.monotonic()

    async def acquire(self) -> None:
        now = self.clock.monotonic()
        slot = max(self._next, now)
        self._next = slot + self.interval
        start = slot - (self.burst - 1) * self.interval
        if start > now:
            await self.clock.sleep(start - now)


class Outbox:
    """Routes posts to the adapter of each platform, paced per platform."""

    def __init__(self, clock: Clock, rates: dict[str, float] | None = None) -> None:
        self.clock = clock
        self.rates = {**DEFAULT_RATES, **(rates or {})}
        self._deliverers: dict[str, Deliverer] = {}
        self._pacers: dict[str, Pacer] = {}

    def register(self, platform: str, deliverer: Deliverer) -> None:
        self._deliverers[platform] = deliverer
        self._pacers[platform] = Pacer(self.clock, self.rates.get(platform, 1.0))

    def platforms(self) -> list[str]:
        return list(self._deliverers)

    def deliverer(self, platform: str) -> Deliverer | None:
        return self._deliverers.get(platform)

    async def wait_turn(self, platform: str) -> None:
        """Take the platform's next posting slot now, for a ``post(..., paced=False)`` soon.

        Digests use it to record their claim right before the post, not before the wait.
        """
        pacer = self._pacers.get(platform)
        if pacer is not None:
            await pacer.acquire()

    async def post(
        self, platform: str, tenant_id: str, channel_id: str, response: Response,
        *, paced: bool = True,
    ) -> Delivery:
        deliverer = self._deliverers.get(platform)
        if deliverer is None:
            return Delivery(ok=False, error=f"{platform} is not connected", permanent=False)
        if paced:
            await self._pacers[platform].acquire()
        return await deliverer.deliver(tenant_id, channel_id, response.map_text(neutralise))

    async def edit(
        self, platform: str, tenant_id: str, channel_id: str, message_id: str, response: Response
    ) -> Delivery:
        deliverer = self._deliverers.get(platform)
        if deliverer is None:
            return Delivery(ok=False, error=f"{platform} is not connected")
        await self._pacers[platform].acquire()
        safe = response.map_text(neutralise)
        return await deliverer.edit(tenant_id, channel_id, message_id, safe)
