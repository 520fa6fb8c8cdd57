"""Platform-neutral requests and responses: the only language the core and adapters share.

Adapters translate a platform event into a ``Request`` and a ``Response`` into the
platform's message format; nothing else crosses the boundary.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType

from bot.mentions import MARKERS, inert

# People's words inside the core's strings sit between these two Unicode noncharacters
# (reserved for a program's internal use, never sent anywhere as they are). Each adapter's
# one final text pass shows what is between them inertly for its platform and drops the
# markers; ``Response.plain_text()`` and ``texts()`` drop them too.
USER_OPEN, USER_CLOSE = MARKERS
NAME_LIMIT = 80  # a display name or an echoed option value
TEXT_LIMIT = 1000  # an imported question's prompt or explanation, an import problem
_SPAN = re.compile(f"{USER_OPEN}([^{MARKERS}]*){USER_CLOSE}?|{USER_CLOSE}")


def user_text(text: str, limit: int = NAME_LIMIT, *, multiline: bool = False) -> str:
    """``text`` marked as a person's words: cleaned (``bot.mentions.inert``), capped at
    ``limit`` and shown as text, never as markup or links, on every platform."""
    cleaned = inert(text, limit, multiline=multiline)
    return f"{USER_OPEN}{cleaned}{USER_CLOSE}" if cleaned else ""


def render_user_text(text: str, render: Callable[[str], str]) -> str:
    """``text`` with every marked span replaced by ``render(span)``; a span cut short (its
    end clipped off) runs to the end, and a stray end marker is dropped."""
    if USER_OPEN not in text and USER_CLOSE not in text:
        return text
    return _SPAN.sub(lambda m: render(m.group(1)) if m.group(1) is not None else "", text)


def unmark(text: str) -> str:
    """``text`` as a person reads it, where no markup is parsed: the markers dropped."""
    return text.replace(USER_OPEN, "").replace(USER_CLOSE, "") if text else text


class Visibility(StrEnum):
    """Who sees a response: only the person who asked, or the whole channel."""

    PRIVATE = "private"
    CHANNEL = "channel"


class ButtonStyle(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    SUCCESS = "success"
    DANGER = "danger"


@dataclass(frozen=True, slots=True)
class Context:
    """Who asked, where, on which platform: everything about a request except its words."""

    platform: str = "console"
    user_id: str = "you"
    user_name: str = "you"
    channel_id: str = "general"
    tenant_id: str = "local"
    is_manager: bool = False


@dataclass(frozen=True, slots=True)
class Request:
    """One command as the core sees it, whatever platform it came from."""

    command: str
    subcommand: str | None = None
    options: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    context: Context = field(default_factory=Context)

    @property
    def user_id(self) -> str:
        return self.context.user_id

    @property
    def channel_id(self) -> str:
        return self.context.channel_id

    @property
    def tenant_id(self) -> str:
        return self.context.tenant_id

    @property
    def platform(self) -> str:
        return self.context.platform

    def option(self, name: str, default: str | None = None) -> str | None:
        return self.options.get(name, default)


@dataclass(frozen=True, slots=True)
class Section:
    """A block of text, optionally headed. Lines starting with '• ' or '1. ' are list items."""

    body: str
    heading: str | None = None


@dataclass(frozen=True, slots=True)
class FieldItem:
    """A short key/value pair; adapters lay inline fields side by side."""

    name: str
    value: str
    inline: bool = True


@dataclass(frozen=True, slots=True)
class TableRow:
    """One attribute of a comparison: its label and one short value per column."""

    label: str
    cells: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Table:
    """Values meant to be read across, attribute by attribute (a comparison of frameworks).

    Adapters keep each row's cells together on one line or row, whatever their layout.
    """

    columns: tuple[str, ...]
    rows: tuple[TableRow, ...]


@dataclass(frozen=True, slots=True)
class Button:
    """A clickable choice. ``id`` round-trips to the core through ``Core.press``."""

    id: str
    label: str
    style: ButtonStyle = ButtonStyle.SECONDARY


@dataclass(frozen=True, slots=True)
class Attachment:
    """An image sent with a response (a digest chart): PNG bytes, its file name, alt text.

    Adapters deliver it as the platform allows (a file upload, an embed image, a saved file);
    a response must read fully without it, since an upload can fail on its own.
    """

    data: bytes = field(repr=False)
    filename: str
    alt: str


@dataclass(frozen=True, slots=True)
class Response:
    """What the core answers: adapters render it, they never add content of their own."""

    title: str = ""
    sections: tuple[Section, ...] = ()
    fields: tuple[FieldItem, ...] = ()
    buttons: tuple[Button, ...] = ()
    footer: str = ""
    visibility: Visibility = Visibility.CHANNEL
    accent: str | None = None  # a framework id, for per-framework colours
    is_error: bool = False
    table: Table | None = None  # shown after the sections, before the fields
    sources: tuple[str, ...] = ()  # knowledge source ids behind the answer, listed on request
    image: Attachment | None = None  # shown with the text where the platform can

    def _texts(self) -> Iterator[str]:
        if self.title:
            yield self.title
        for section in self.sections:
            if section.heading:
                yield section.heading
            yield section.body
        if self.table:
            yield from self.table.columns
            for row in self.table.rows:
                yield row.label
                yield from row.cells
        for item in self.fields:
            yield item.name
            yield item.value
        for button in self.buttons:
            yield button.label
        if self.footer:
            yield self.footer

    def texts(self) -> Iterator[str]:
        """Every piece of visible text as a person reads it, in reading order (for
        fallbacks, search and tests)."""
        return (unmark(text) for text in self._texts())

    def plain_text(self) -> str:
        """A readable plain-text rendering: notification fallbacks and logs use it."""
        return "\n".join(self.texts())

    def map_text(self, fn: Callable[[str], str]) -> Response:
        """The same response with ``fn`` applied to every user-visible string."""
        return replace(
            self,
            title=fn(self.title),
            sections=tuple(
                Section(fn(s.body), fn(s.heading) if s.heading else None) for s in self.sections
            ),
            fields=tuple(FieldItem(fn(f.name), fn(f.value), f.inline) for f in self.fields),
            table=self.table and Table(
                tuple(fn(c) for c in self.table.columns),
                tuple(TableRow(fn(r.label), tuple(fn(c) for c in r.cells))
                      for r in self.table.rows),
            ),
            buttons=tuple(Button(b.id, fn(b.label), b.style) for b in self.buttons),
            footer=fn(self.footer),
        )

    def render_user_text(
        self, render: Callable[[str], str], plain: Collection[str] = ("footer", "buttons")
    ) -> Response:
        """The response as an adapter sends it: every marked span of people's words replaced
        by ``render(span)`` (escaped for the platform's markup), except in the ``plain``
        parts ("title", "footer", "buttons"), which the platform shows without markup and
        which only lose the markers."""
        if not any(USER_OPEN in t or USER_CLOSE in t for t in self._texts()):
            return self  # most answers repeat nobody's words

        def rich(text: str) -> str:
            return render_user_text(text, render)

        def slot(name: str) -> Callable[[str], str]:
            return unmark if name in plain else rich

        title, footer, label = slot("title"), slot("footer"), slot("buttons")
        return replace(
            self.map_text(rich),
            title=title(self.title),
            footer=footer(self.footer),
            buttons=tuple(Button(b.id, label(b.label), b.style) for b in self.buttons),
        )


def error(title: str, detail: str, example: str | None = None) -> Response:
    """A usage or input problem: private to the requester, says what is wrong and what works."""
    sections = [Section(detail)]
    if example:
        sections.append(Section(example, heading="Try"))
    return Response(
        title=title, sections=tuple(sections), visibility=Visibility.PRIVATE, is_error=True
    )
