"""The console adapter: the whole product in a terminal, no account needed.

Like errbot's text backend, one terminal can play several people in several channels:
``:as alice`` switches user, ``:in #study-group`` switches channel, so a group quiz or a
channel digest can be tried alone. Buttons show as lettered choices; typing the letter
presses the button on the latest message in the current channel.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from adapters.base import Delivery
from bot.core import Core
from bot.digests.access import CAN_POST, ChannelAccess
from bot.models import Attachment, Button, Context, Response, Visibility, unmark
from bot.models import Table as ComparisonTable

log = logging.getLogger("framework_coach.console")

LETTERS = string.ascii_uppercase
HELP = """Console commands:
  /help                 every bot command
  :as NAME              speak as another person, as a channel member
  :as NAME admin        speak as a channel manager: the one who may subscribe
                        the channel to digests, import quiz questions or stop
                        others' quizzes
  :in #CHANNEL          move to another channel
  :who                  who and where you are
  A, B, C …             press that button on the latest message here
  :quit                 leave (Ctrl-D works too)"""


@dataclass
class _Seat:
    user: str = "you"
    channel: str = "general"
    manager: bool = True


def render(response: Response, *, colour: str | None = None) -> RenderableType:
    """A response as rich renderables: panel, headed sections, field table, lettered buttons.

    Every string goes in as ``rich.text.Text``, never as console markup, so people's words
    (their marks dropped; the core has already cleaned them) print as they are."""
    response = response.map_text(unmark)
    parts: list[RenderableType] = []
    for section in response.sections:
        if section.heading:
            parts.append(Text(section.heading, style="bold"))
        parts.append(Text(section.body))
    if response.table:
        parts.append(_comparison(response.table))
    if response.fields:
        parts.append(_fields_table(response))
    if response.buttons:
        parts.append(Text("  ".join(f"[{LETTERS[i]}] {b.label}"
                                    for i, b in enumerate(response.buttons[:26])),
                          style="cyan"))
    if response.footer:
        parts.append(Text(response.footer, style="dim"))
    border = "red" if response.is_error else (colour or "blue")
    return Panel(Group(*parts), title=Text(response.title, style="bold"),
                 title_align="left", border_style=border)


def _fields_table(response: Response) -> Table:
    """Fields as a borderless name/value table."""
    table = Table(show_header=False, box=None, padding=(0, 2))
    for item in response.fields:
        table.add_row(Text(item.name, style="bold"), Text(item.value))
    return table


def _comparison(table: ComparisonTable) -> Table:
    """A comparison as a terminal table: one column per subject, one line per attribute."""
    out = Table(show_lines=True, expand=True)
    for column in ("", *table.columns):
        out.add_column(Text(column))
    for row in table.rows:
        out.add_row(Text(row.label, style="bold"), *(Text(c) for c in row.cells))
    return out


class ConsoleAdapter:
    """Reads lines, plays any user in any channel, prints responses with rich."""

    platform = "console"

    def __init__(self, core: Core, console: Console | None = None, tenant_id: str = "local",
                 log_file: Path | None = None, charts_dir: Path | None = None):
        self.core = core
        self.log_file = log_file
        self.console = console or Console()
        self.tenant_id = tenant_id
        self.charts_dir = charts_dir  # where images (digest charts) are saved; None: not
        self.seat = _Seat()
        self._buttons: dict[str, tuple[Button, ...]] = {}
        self._running = False
        self._prompt: str | None = None  # written by input(), which waits for a line

    # ------------------------------------------------------------------ contract
    async def start(self) -> None:
        self._running = True

    async def stop(self) -> None:
        self._running = False

    async def deliver(self, tenant_id: str, channel_id: str, response: Response) -> Delivery:
        """Scheduled posts land in the terminal, labelled with their channel."""
        self._show(response, channel_id, audience=None)
        return Delivery(ok=True, message_id=f"console-{channel_id}")

    async def check_channel(self, tenant_id: str, channel_id: str) -> ChannelAccess:
        """Every console channel is this terminal: posting always works."""
        return CAN_POST

    async def edit(
        self, tenant_id: str, channel_id: str, message_id: str, response: Response
    ) -> Delivery:
        """A terminal cannot rewrite history: the new version is printed, marked as updated."""
        self._show(replace(response, title=f"{response.title} (updated)"), channel_id, None)
        return Delivery(ok=True, message_id=message_id)

    # ------------------------------------------------------------------ interaction
    def context(self) -> Context:
        return Context(
            platform=self.platform,
            user_id=self.seat.user,
            user_name=self.seat.user,
            channel_id=self.seat.channel,
            tenant_id=self.tenant_id,
            is_manager=self.seat.manager,
        )

    async def handle_line(self, line: str) -> Response | None:
        """One typed line: a console command, a button letter, or a bot command."""
        line = line.strip()
        if not line:
            return None
        if line.startswith(":"):
            self._console_command(line)
            return None
        if len(line) == 1 and line.upper() in LETTERS:
            return await self.press_letter(line.upper())
        if not line.startswith("/"):
            line = "/" + line  # "help" and "framework ml engineer" work without the slash
        response = await self.core.handle_text(line, self.context())
        self.show(response)
        if response.is_error and not self.seat.manager and self._manager_only(line):
            self.console.print(f"In the console, type ':as {self.seat.user} admin' to act as "
                               "a manager of this channel, then try again.", style="yellow")
        return response

    def _manager_only(self, line: str) -> bool:
        """Whether the typed command is one only channel managers may run."""
        words = line.lstrip("/").split()
        spec = self.core.registry.get(words[0]) if words else None
        if spec is None:
            return False
        sub = spec.subcommand(words[1]) if len(words) > 1 else None
        return spec.manager_only or bool(sub and sub.manager_only)

    async def press_letter(self, letter: str) -> Response | None:
        buttons = self._buttons.get(self.seat.channel, ())
        index = LETTERS.index(letter)
        if index >= len(buttons):
            self.console.print(f"There is no button {letter} on the latest message here.",
                               style="yellow")
            return None
        response = await self.core.press(buttons[index].id, self.context())
        self.show(response)
        return response

    def show(self, response: Response) -> None:
        audience = self.seat.user if response.visibility is Visibility.PRIVATE else None
        self._show(response, self.seat.channel, audience)

    def _show(self, response: Response, channel: str, audience: str | None) -> None:
        if response.buttons:
            self._buttons[channel] = response.buttons
        where = f"#{channel}" + (f" · only {audience} can see this" if audience else "")
        waiting = self._prompt
        if waiting is not None:
            self.console.print()  # a post while the prompt waits starts on a line of its own
        self.console.print(Text(where, style="dim"))
        colour = self.core.colour(response.accent)
        self.console.print(render(response, colour=colour))
        if response.image is not None and self.charts_dir is not None:
            saved = self._save(response.image)
            if saved is not None:
                self.console.print(Text(f"Chart: {saved}", style="cyan"))
        if waiting is not None:
            self.console.print(Text(waiting), end="")  # and the prompt is asked again below

    def _save(self, image: Attachment) -> Path | None:
        """A terminal shows no pictures: the PNG goes under the data directory, named by
        its content (the same chart is one file, however often it is shown)."""
        assert self.charts_dir is not None
        stem, dot, ext = image.filename.rpartition(".")
        digest = hashlib.sha256(image.data).hexdigest()[:12]
        path = self.charts_dir / f"{stem or ext}-{digest}{dot}{ext if stem else 'png'}"
        try:
            if not path.exists():
                self.charts_dir.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp")
                tmp.write_bytes(image.data)
                tmp.replace(path)
        except OSError as exc:
            log.warning("could not save the chart to %s: %s", path, exc)
            return None
        return path

    def _console_command(self, line: str) -> None:
        word, _, rest = line[1:].partition(" ")
        rest = rest.strip()
        if word == "as" and rest:
            name, _, role = rest.partition(" ")
            self.seat = replace(self.seat, user=name.lstrip("@"), manager=role.strip() == "admin")
        elif word == "in" and rest:
            self.seat = replace(self.seat, channel=rest.lstrip("#"))
        elif word == "who":
            pass
        elif word in ("quit", "exit", "q"):
            self._running = False
            return
        else:
            self.console.print(HELP)
            return
        role = "admin" if self.seat.manager else "member"
        self.console.print(f"You are {self.seat.user} ({role}) in #{self.seat.channel}.",
                           style="green")

    async def run(self, read: Callable[[str], str] = input) -> None:
        """The interactive loop. Lines are read on a daemon thread, so quiz timers and
        digests keep running while the prompt waits, and a shutdown never waits on input."""
        _enable_history()
        await self.start()
        self.console.print(
            "framework-coach console. Try /framework role:ml-engineer, or /help.\n"
            "Type :help for console commands.", style="bold"
        )
        if self.log_file:
            self.console.print(f"Background messages go to {self.log_file}.", style="dim")
        loop = asyncio.get_running_loop()
        while self._running:
            prompt = f"{self.seat.user}@#{self.seat.channel}> "
            self._prompt = prompt
            try:
                line = await _read_line(loop, read, prompt)
            finally:
                self._prompt = None
            if line is None:
                break
            await self.handle_line(line)
        await self.stop()


async def _read_line(
    loop: asyncio.AbstractEventLoop, read: Callable[[str], str], prompt: str
) -> str | None:
    """One line from ``read`` on a daemon thread; None at end of input."""
    future: asyncio.Future[str | None] = loop.create_future()

    def reader() -> None:
        try:
            line: str | None = read(prompt)
        except (EOFError, KeyboardInterrupt, StopIteration):
            line = None
        if not loop.is_closed():
            loop.call_soon_threadsafe(lambda: future.done() or future.set_result(line))

    threading.Thread(target=reader, name="console-input", daemon=True).start()
    return await future


def _enable_history() -> None:
    """Arrow-key history and line editing where the platform has readline."""
    try:
        import readline  # noqa: F401
    except ImportError:  # pragma: no cover - Windows without pyreadline
        pass


def render_to_text(response: Response, width: int = 100) -> str:
    """Plain text of a rendered response, for ``ask`` output and tests."""
    buffer = io.StringIO()
    Console(file=buffer, width=width, no_color=True, color_system=None).print(render(response))
    return buffer.getvalue()
