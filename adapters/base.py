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
        """Connect and begin taking interactions; returns once running."""

    async def stop(self) -> None:
        """Stop taking interactions and close connections."""

    async def deliver(self, tenant_id: str, channel_id: str, response: Response) -> Delivery:
        """Post a response to a channel without a triggering interaction (digests, quiz)."""

    async def edit(
        self, tenant_id: str, channel_id: str, message_id: str, response: Response
    ) -> Delivery:
        """Replace a message the bot posted earlier (a quiz question when it closes)."""
