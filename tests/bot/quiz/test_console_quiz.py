"""A newcomer can play a whole quiz in the console, answering with option letters."""

from __future__ import annotations

import asyncio
import io

from rich.console import Console

from adapters.console import ConsoleAdapter
from bot.quiz.manager import CLOSE_GRACE, REVEAL_PAUSE
from bot.quiz.session import Phase


async def until(condition, what: str) -> None:  # noqa: ANN001
    """Let the quiz task run until ``condition()`` holds (10 s safety net, no clock time)."""
    async with asyncio.timeout(10):
        while not condition():
            await asyncio.sleep(0.001)


async def test_a_whole_quiz_in_the_console(world):
    buffer = io.StringIO()
    console = ConsoleAdapter(world.core, Console(file=buffer, width=120), tenant_id="club")
    world.manager.outbox.register("console", console)
    await console.handle_line(":as ann")
    await console.handle_line(":in #study")
    await console.handle_line("/quiz start questions:2 time:15")
    session = world.manager.running("console", "club", "study")
    for number in range(2):
        await until(lambda n=number: session.index == n and session.phase is Phase.ASKING
                    and session.message_id, "question posted")
        letter = "ABCDE"[session.correct_options[session.index]]
        reply = await console.handle_line(letter.lower())
        assert reply is not None and reply.title == f"Answer {letter} recorded"
        await world.clock.advance(15 + CLOSE_GRACE)
        await until(lambda: session.phase is not Phase.ASKING, "revealed")
        await world.clock.advance(REVEAL_PAUSE)
    await until(lambda: "Quiz over" in buffer.getvalue(), "finished")
    out = buffer.getvalue()
    assert "Question 1/2" in out and "Question 2/2" in out
    assert "Answer: " in out and "(closed) (updated)" in out
    assert "Quiz over: ann wins!" in out
