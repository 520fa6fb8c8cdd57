"""Platform-neutral requests and responses: the only language the core and adapters share.

Adapters translate a platform event into a ``Request`` and a ``Response`` into the
platform's message format; nothing else crosses the boundary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType


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
    image: Attachment | None = None  # shown with the text where the platform can

    def texts(self) -> Iterator[str]:
        """Every piece of visible text, in reading order (for fallbacks, search and tests)."""
        if self.title:
            yield self.title
        for section in self.sections:
            if section.heading:
                yield section.heading
            yield section.body
        for item in self.fields:
            yield item.name
            yield item.value
        for button in self.buttons:
            yield button.label
        if self.footer:
            yield self.footer

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
            buttons=tuple(Button(b.id, fn(b.label), b.style) for b in self.buttons),
            footer=fn(self.footer),
        )


def error(title: str, detail: str, example: str | None = None) -> Response:
    """A usage or input problem: private to the requester, says what is wrong and what works."""
    sections = [Section(detail)]
    if example:
        sections.append(Section(example, heading="Try"))
    return Response(
        title=title, sections=tuple(sections), visibility=Visibility.PRIVATE, is_error=True
    )
