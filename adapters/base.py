"""The contract every platform adapter fulfils, so the core behaves the same everywhere.

An adapter turns platform events into ``Request``s (or raw command text) for the core,
renders ``Response``s in the platform's format, and delivers scheduled posts. It adds no
content of its own; the shared conformance suite in ``tests/adapters`` checks exactly that.
"""

from __future__ import annotations

from typing import Protocol

from bot.delivery import Delivery
from bot.models import Response

__all__ = ["Adapter", "Delivery"]


class Adapter(Protocol):
    platform: str

    async def start(self) -> None:
        """Connect and begin taking interactions; returns once running, or once the platform
        turns out to be unreachable (it then keeps reconnecting in the background, with
        backoff, so one platform's outage never holds up the others). Raises only for a
        configuration the platform refuses (a rejected token), which no retry can fix."""

    async def stop(self) -> None:
        """Stop taking interactions, stop reconnecting, and close connections."""

    async def deliver(self, tenant_id: str, channel_id: str, response: Response) -> Delivery:
        """Post a response to a channel without a triggering interaction (digests, quiz)."""

    async def edit(
        self, tenant_id: str, channel_id: str, message_id: str, response: Response
    ) -> Delivery:
        """Replace a message the bot posted earlier (a quiz question when it closes)."""
