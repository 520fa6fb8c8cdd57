"""The console adapter against the shared conformance suite, plus its own conveniences."""

from __future__ import annotations

import asyncio
import io

import pytest
from rich.console import Console

from adapters.console import ConsoleAdapter
from bot.core import Core
from bot.models import Context, Response
from tests.adapters.conformance import *  # noqa: F403
from tests.adapters.conformance import Seen


class ConsoleHarness:
    platform = "console"

    def __init__(self, core: Core) -> None:
        self.buffer = io.StringIO()
        # Wide enough that nothing wraps: the suite compares words, not layout.
        console = Console(file=self.buffer, width=4000, no_color=True, color_system=None)
        self.adapter = ConsoleAdapter(core, console=console, tenant_id="t1")

    def context(self, *, user: str, channel: str) -> Context:
        return Context(platform="console", user_id=user, user_name=user, channel_id=channel,
                       tenant_id="t1", is_manager=False)

    async def _seat(self, user: str, channel: str) -> None:
        await self.adapter.handle_line(f":as {user}")
        await self.adapter.handle_line(f":in #{channel}")
        self.buffer.seek(0)
        self.buffer.truncate()

    def _seen(self, channel: str) -> list[Seen]:
        out = self.buffer.getvalue()
        header, _, body = out.partition("\n")
        only = header.split("only ", 1)
        visible_to = only[1].removesuffix(" can see this").strip() if len(only) == 2 else None
        buttons = self.adapter._buttons.get(channel, ()) if "[A]" in body else ()
        return [Seen(text=body, button_ids=tuple(b.id for b in buttons), visible_to=visible_to,
                     parts=(("plain", body),))]

    async def command(self, text: str, *, user: str, channel: str) -> list[Seen]:
        await self._seat(user, channel)
        await self.adapter.handle_line(text)
        return self._seen(channel)

    async def deliver(self, response: Response, *, channel: str) -> list[Seen]:
        self.buffer.seek(0)
        self.buffer.truncate()
        await self.adapter.deliver("t1", channel, response)
        return self._seen(channel)

    async def press(self, button_id: str, *, user: str, channel: str) -> list[Seen]:
        await self._seat(user, channel)
        letters = [b.id for b in self.adapter._buttons.get(channel, ())]
        letter = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[letters.index(button_id)]
        await self.adapter.handle_line(letter)
        return self._seen(channel)


@pytest.fixture
def harness(core: Core) -> ConsoleHarness:
    return ConsoleHarness(core)


async def test_one_terminal_plays_several_people_in_several_channels(harness):
    await harness.adapter.handle_line(":as alice")
    await harness.adapter.handle_line(":in #study-group")
    ctx = harness.adapter.context()
    assert (ctx.user_id, ctx.channel_id, ctx.is_manager) == ("alice", "study-group", False)
    await harness.adapter.handle_line(":as bob admin")
    assert harness.adapter.context().is_manager


async def test_commands_work_without_the_slash_and_letters_press_buttons(harness):
    response = await harness.adapter.handle_line("framework ml engineer")
    assert response is not None and "PyTorch" in response.title
    pressed = await harness.adapter.handle_line("a")
    assert pressed is not None and pressed.title.endswith("learning path")


async def test_a_letter_without_a_button_is_explained(harness):
    await harness.adapter.handle_line(":in #empty")
    assert await harness.adapter.handle_line("c") is None
    assert "no button C" in harness.buffer.getvalue()


async def test_delivered_posts_are_labelled_with_their_channel(harness, core):
    response = await core.handle_text("/about jax", harness.context(user="u", channel="x"))
    result = await harness.adapter.deliver("t1", "digests", response)
    assert result.ok and "#digests" in harness.buffer.getvalue()


async def test_interactive_loop_reads_until_eof(core):
    buffer = io.StringIO()
    adapter = ConsoleAdapter(core, console=Console(file=buffer, width=120))
    lines = iter(["/help", ":quit"])
    await adapter.run(read=lambda prompt: next(lines))
    assert "framework-coach commands" in buffer.getvalue()


async def test_a_post_while_the_prompt_waits_starts_on_its_own_line(core):
    buffer = io.StringIO()
    adapter = ConsoleAdapter(core, console=Console(file=buffer, width=120, no_color=True,
                                                   color_system=None))
    loop = asyncio.get_running_loop()

    def read(prompt: str) -> str:
        buffer.write(prompt)  # as input() does, leaving the cursor after the prompt
        posted = adapter.deliver("t1", "news", Response(title="Quiz question"))
        asyncio.run_coroutine_threadsafe(posted, loop).result(timeout=30)
        raise EOFError

    await adapter.run(read=read)
    out = buffer.getvalue()
    assert "you@#general> \n#news\n" in out  # not "you@#general> #news"
    assert out.rstrip().endswith("you@#general>")  # asked again below the post


async def test_the_welcome_and_console_help_fit_an_80_column_terminal(core):
    from adapters.console import HELP

    buffer = io.StringIO()
    adapter = ConsoleAdapter(core, console=Console(file=buffer, width=80, no_color=True,
                                                   color_system=None))
    lines = iter([":help", ":quit"])
    await adapter.run(read=lambda prompt: next(lines))
    out = buffer.getvalue()
    for line in HELP.splitlines():
        assert line in out.splitlines()  # each line whole: nothing wrapped mid-sentence
    assert "Type :help for console commands." in out.splitlines()


async def test_a_private_answer_says_who_can_see_it(harness):
    await harness.adapter.handle_line("/quiz review")
    assert "#general · only you can see this" in harness.buffer.getvalue()


def test_a_comparison_is_a_table_with_aligned_columns():
    from adapters.console import render_to_text
    from bot.models import Response, Table, TableRow

    table = Table(("PyTorch", "TensorFlow"), (TableRow("Best for", ("research", "production")),
                                              TableRow("Learning curve", ("moderate", "steep")),
                                              TableRow("[bold]x[/bold]", ("[red]a", "b]"))))
    lines = render_to_text(Response(title="PyTorch vs TensorFlow", table=table)).splitlines()
    header = next(line for line in lines if "PyTorch" in line and "┃" in line)  # the head
    starts = [header.index("PyTorch"), header.index("TensorFlow")]
    for row in table.rows:
        (line,) = [line for line in lines if row.label in line]  # markup stays text
        assert [line.index(cell) for cell in row.cells] == starts, line


async def test_console_help_says_how_to_act_as_a_channel_manager(harness):
    await harness.adapter.handle_line(":help")
    assert ":as NAME admin" in harness.buffer.getvalue()
    assert "channel manager" in harness.buffer.getvalue()


async def test_a_refused_manager_command_explains_the_console_way_in(harness):
    await harness.adapter.handle_line(":as bob")
    refused = await harness.adapter.handle_line("/digest subscribe")
    assert refused is not None and refused.is_error
    assert "type ':as bob admin'" in " ".join(harness.buffer.getvalue().split())
    harness.buffer.seek(0)
    harness.buffer.truncate()
    # A member's ordinary mistake gets no such hint.
    await harness.adapter.handle_line("/framework role:astronaut")
    assert ":as" not in harness.buffer.getvalue()
