"""`/digest subscribe` typed into the console posts the digest there on schedule."""

from __future__ import annotations

import datetime as dt
import io

from rich.console import Console

from adapters.console import ConsoleAdapter
from bot.core import Core

from .conftest import TENANT, World


async def test_console_subscription_posts_on_schedule(world: World, knowledge) -> None:  # noqa: ANN001
    core = Core(knowledge=knowledge, clock=world.clock)
    core.services.update(store=world.store, digests=world.service)
    buffer = io.StringIO()
    adapter = ConsoleAdapter(core, console=Console(file=buffer, width=200, no_color=True),
                             tenant_id=TENANT.id)
    world.service.outbox.register("console", adapter)
    await adapter.handle_line(":as ann admin")
    await adapter.handle_line(":in #news")
    reply = await adapter.handle_line("/digest subscribe day:mon time:09:00 timezone:UTC")
    assert reply is not None and not reply.is_error
    buffer.seek(0)
    buffer.truncate()
    await world.run_until(dt.datetime(2026, 3, 2, 8, 59, tzinfo=dt.UTC))
    assert "Framework trends" not in buffer.getvalue()
    await world.run_until(dt.datetime(2026, 3, 2, 9, 1, tzinfo=dt.UTC))
    shown = buffer.getvalue()
    assert "#news" in shown and "Framework trends (sample data to" in shown
    status = await adapter.handle_line("/digest status")
    assert status is not None and "delivered (2026-W10)" in status.plain_text()
    assert "Can post here\nyes" in status.plain_text()  # the console adapter's own answer
