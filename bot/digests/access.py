"""Whether the bot can post a digest in a channel, as each adapter finds out, with the fix.

Adapters answer ``check_channel(tenant_id, channel_id)`` with a ``ChannelAccess``; the core
shows it in ``/digest status`` ("Can post here") and in the notice of a paused subscription.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChannelAccess:
    """``ok``: True (posting works), False (it cannot), None (the check itself failed).

    ``problem`` says what is wrong (with ``ok`` True: what is lost, e.g. the chart) and
    ``fix`` what a channel manager or the bot's operator can do about it.
    """

    ok: bool | None
    problem: str = ""
    fix: str = ""

    def describe(self) -> str:
        """One line for "Can post here": yes / no / could not check, the problem, the fix."""
        head = {True: "yes", False: "no", None: "could not check"}[self.ok]
        text = f"{head}, but {self.problem}" if self.ok and self.problem else head
        if not self.ok and self.problem:
            text += f": {self.problem}"
        if self.fix:
            text += f". Fix: {self.fix}"
        return text


CAN_POST = ChannelAccess(True)
