"""A core ``Response`` as Discord messages: embeds plus a persistent view of buttons.

Layout: the title on the first embed, the sections as its description (a heading becomes a
bold line), the fields as embed fields, the footer on the last embed, the colour from the
response's framework (red for errors). Discord's limits are enforced here, never left to
Discord to reject: long descriptions are split over several embeds at paragraph, line or
word boundaries, long field values over several fields, and a response too big for one
message is split into several (footer and buttons travel with the content they follow). When
only one message is possible (editing a message), the rest is cut and marked.

People's words (marked by the core, ``bot.models.user_text``) are escaped first, in one pass
(``escape_user_text``): no markdown, masked link, autolink or ``<…>`` token of theirs is live,
while the bot's own text keeps its formatting.

Buttons carry the core's ``Button.id`` as their ``custom_id`` (a short hash, remembered in
memory, when an id is too long), and are ``DynamicItem``s matched by a template, so a click
after a restart still reaches ``Core.press``.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import discord

from bot.models import Button, ButtonStyle, FieldItem, Response, Table

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits,
# .../interactions/message-components). Sizes are counted in UTF-16 code units, never fewer
# than Discord's own count, so an emoji cannot push a message over.
TITLE = 256
DESCRIPTION = 4096
FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
EMBEDS_PER_MESSAGE = 10
MESSAGE_TOTAL = 6000
BUTTONS_PER_ROW = 5
ROWS = 5
BUTTONS_PER_MESSAGE = BUTTONS_PER_ROW * ROWS
LABEL = 80
CUSTOM_ID = 100

CUT = "… (cut: too long for one Discord message)"
BLANK = "\u200b"  # Discord rejects empty field names and values
SPACER = FieldItem(BLANK, BLANK, inline=False)  # ends a row of inline fields

ERROR_COLOUR = discord.Colour.red()
DEFAULT_COLOUR = discord.Colour.blurple()

STYLES = {
    ButtonStyle.PRIMARY: discord.ButtonStyle.primary,
    ButtonStyle.SECONDARY: discord.ButtonStyle.secondary,
    ButtonStyle.SUCCESS: discord.ButtonStyle.success,
    ButtonStyle.DANGER: discord.ButtonStyle.danger,
}

# A core button id is "<prefix>:<rest>" (Core.press routes on the prefix); ids of any other
# shape, or longer than Discord allows, travel as "fc-hash:<digest>".
TEMPLATE = re.compile(r"(?s)[A-Za-z0-9_.\-]{1,40}:.+")
HASH_PREFIX = "fc-hash:"
# The client event a click on a CoreButton becomes (handled as ``on_core_button``).
CLICK_EVENT = "core_button"


# Beyond ``discord.utils.escape_markdown``: brackets (masked links, even split over two
# people's names), "<" (custom emoji, timestamps, command mentions, <url>), the ":" of
# "scheme://" (an escaped colon is no autolink), and "1." list items. Escape pairs already
# made are matched first and kept as they are.
_MORE = re.compile(r"\\.|[\[\]<]|:(?=//)|^\s*\d+(?=\.\s)", re.MULTILINE)


def escape_user_text(text: str) -> str:
    """A person's words as Discord shows plain text: every markdown character escaped."""
    escaped = discord.utils.escape_markdown(text, ignore_links=False)

    def more(match: re.Match[str]) -> str:
        found = match.group(0)
        if found.startswith("\\"):
            return found
        return found + "\\" if found[-1].isdigit() else "\\" + found

    return _MORE.sub(more, escaped)


def size(text: str) -> int:
    """Length as Discord may count it (UTF-16 code units; never less than code points)."""
    return len(text.encode("utf-16-le")) // 2


def prefix(text: str, limit: int) -> str:
    """The longest start of ``text`` of at most ``limit`` UTF-16 units (whole characters)."""
    return text.encode("utf-16-le")[: 2 * max(0, limit)].decode("utf-16-le", errors="ignore")


def clip(text: str, limit: int, marker: str = "…") -> str:
    """``text`` cut to ``limit`` (UTF-16 units) at a word boundary where possible, marked."""
    if size(text) <= limit:
        return text
    cut = prefix(text, limit - size(marker))
    space = cut.rfind(" ")
    if space > len(cut) * 0.6:
        cut = cut[:space]
    return cut.rstrip() + marker


def split_text(text: str, limit: int, first: int | None = None) -> list[str]:
    """``text`` in chunks of at most ``limit`` (the first at most ``first``), cut at
    paragraphs, lines, then words."""
    chunks: list[str] = []
    rest = text
    while size(rest) > (limit if chunks or first is None else first):
        limit_now = limit if chunks or first is None else first
        head = prefix(rest, limit_now)
        cut = -1
        for sep in ("\n\n", "\n", " "):
            cut = head.rfind(sep)
            if cut > len(head) // 3:  # a boundary, but not one that leaves a tiny chunk
                break
        if cut <= len(head) // 3:
            cut = max(1, len(head))
        piece = rest[:cut].rstrip()
        if piece.strip():  # whitespace-only pieces are dropped, not sent as empty chunks
            chunks.append(piece)
        rest = rest[cut:].lstrip("\n ")
    if rest.strip() or not chunks:
        chunks.append(rest)
    return chunks


class CustomIds:
    """Core button ids <-> Discord custom_ids. Short ids are used as they are (and so survive
    restarts); long ones become a hash remembered here, for the most recent ``capacity``."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._long: OrderedDict[str, str] = OrderedDict()
        self._capacity = capacity

    def encode(self, button_id: str) -> str:
        if size(button_id) <= CUSTOM_ID and TEMPLATE.fullmatch(button_id):
            return button_id
        custom_id = HASH_PREFIX + hashlib.sha256(button_id.encode()).hexdigest()[:32]
        self._long[custom_id] = button_id
        self._long.move_to_end(custom_id)
        while len(self._long) > self._capacity:
            self._long.popitem(last=False)
        return custom_id

    def decode(self, custom_id: str) -> str:
        """The core's id; an unknown hash passes through and the core calls it expired."""
        return self._long.get(custom_id, custom_id)


@dataclass(frozen=True)
class ButtonSpec:
    custom_id: str
    label: str
    style: discord.ButtonStyle


@dataclass
class Message:
    """One Discord message: up to 10 embeds within 6,000 characters, up to 25 buttons."""

    embeds: list[discord.Embed] = field(default_factory=list)
    buttons: list[ButtonSpec] = field(default_factory=list)

    def total(self) -> int:
        return sum(embed_size(e) for e in self.embeds)

    def view(self) -> discord.ui.View | None:
        return make_view(self.buttons)

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``send``/``edit``: embeds, and a view when there are buttons."""
        out: dict[str, Any] = {"embeds": self.embeds}
        view = self.view()
        if view is not None:
            out["view"] = view
        return out


def release(kwargs: dict[str, Any]) -> None:
    """Stop a sent message's View: clicks reach ``CoreButton`` through its id template, so
    discord.py need not keep the View (it keeps a private reply's for 15 minutes and a
    channel message's for ever, with a timer task each: memory that grows with traffic)."""
    view = kwargs.get("view")
    if view is not None:
        view.stop()


def embed_size(embed: discord.Embed) -> int:
    total = size(embed.title or "") + size(embed.description or "")
    for f in embed.fields:
        total += size(f.name or "") + size(f.value or "")
    total += size(embed.footer.text or "")
    return total


def render(
    response: Response,
    *,
    colour: str | None = None,
    ids: CustomIds | None = None,
    single: bool = False,
) -> list[Message]:
    """``response`` as one or more Discord messages within every limit.

    ``single``: everything must fit one message (an edit); what does not is cut and marked.
    """
    ids = ids or CustomIds()
    response = response.render_user_text(escape_user_text)  # footer and labels: plain text
    tint = _colour(response, colour)
    footer = clip(response.footer, FOOTER) if response.footer else ""
    title = clip(response.title, TITLE) if response.title else ""
    # Every embed leaves room for the footer, so whichever embed ends up last can carry it.
    budget = MESSAGE_TOTAL - size(footer)

    embeds: list[discord.Embed] = []

    def new_embed(with_title: bool) -> discord.Embed:
        embed = discord.Embed(colour=tint, title=(title or None) if with_title else None)
        embeds.append(embed)
        return embed

    # Description: the sections, split over embeds.
    text = "\n\n".join(_section_text(s.heading, s.body) for s in response.sections if s.body
                       or s.heading)
    room = min(DESCRIPTION, budget)
    text = text.strip()
    chunks = split_text(text, room, first=min(room, budget - size(title))) if text else []
    for i, chunk in enumerate(chunks):
        new_embed(i == 0).description = chunk
    if not chunks and (title or response.fields or footer):
        new_embed(True)

    # Fields: onto the last embed while they fit, then onto continuation embeds.
    for name, value, inline in _fields(response):
        embed = embeds[-1] if embeds else new_embed(True)
        cost = size(name) + size(value)
        if len(embed.fields) >= FIELDS or embed_size(embed) + cost > budget:
            embed = new_embed(False)
        embed.add_field(name=name, value=value, inline=inline)

    if footer:
        embeds[-1].set_footer(text=footer)

    messages = _pack(embeds)
    buttons = [
        ButtonSpec(ids.encode(b.id), clip(b.label, LABEL) or BLANK, STYLES[b.style])
        for b in response.buttons
    ]
    if single:
        return [_squeeze(messages, buttons, tint)]
    for start in range(0, len(buttons), BUTTONS_PER_MESSAGE):
        chunk = buttons[start:start + BUTTONS_PER_MESSAGE]
        if start == 0 and messages:
            messages[-1].buttons = chunk
        else:
            messages.append(Message(embeds=[], buttons=chunk))
    return messages or [Message(embeds=[discord.Embed(colour=tint, description=BLANK)])]


def _colour(response: Response, colour: str | None) -> discord.Colour:
    if response.is_error:
        return ERROR_COLOUR
    if colour:
        try:
            return discord.Colour.from_str(colour)
        except ValueError:
            pass
    return DEFAULT_COLOUR


def _section_text(heading: str | None, body: str) -> str:
    if heading:
        return f"**{heading}**\n{body}" if body else f"**{heading}**"
    return body


def _table_fields(table: Table) -> Iterator[FieldItem]:
    """One full-width field per row: the attribute as its name, then each column's value on
    its own line after the column's name. Inline fields would sit three to a row on desktop
    (so pairs drift apart) and stack one by one on phones (so values lose their column);
    a row in one field keeps its pair together and aligned on both."""
    for row in table.rows:
        lines = [f"**{column}** · {cell}" for column, cell in zip(table.columns, row.cells,
                                                                  strict=False)]
        value = "\n".join(lines)
        if size(value) <= FIELD_VALUE:
            yield FieldItem(row.label, value, inline=False)
        else:  # too long for one field: a field per column, in order, rather than a cut cell
            for i, line in enumerate(lines):
                yield FieldItem(row.label if i == 0 else BLANK, line, inline=False)


def _balanced(fields: tuple[FieldItem, ...]) -> Iterator[FieldItem]:
    """The fields, with a row break in each run of four inline ones: Discord lays inline
    fields three to a row, which leaves the fourth alone; two rows of two (each half the
    embed wide) read as a set."""
    for inline, group in itertools.groupby(fields, key=lambda f: f.inline):
        run = list(group)
        yield from ([*run[:2], SPACER, *run[2:]] if inline and len(run) == 4 else run)


def _fields(response: Response) -> Iterator[tuple[str, str, bool]]:
    """Every field within the name and value limits; long values continue in more fields."""
    table = tuple(_table_fields(response.table)) if response.table else ()
    for item in (*table, *_balanced(response.fields)):
        name = clip(item.name, FIELD_NAME) or BLANK
        parts = split_text(item.value, FIELD_VALUE) if item.value else [BLANK]
        for i, part in enumerate(parts):
            yield (name if i == 0 else BLANK), (part or BLANK), item.inline


def _pack(embeds: list[discord.Embed]) -> list[Message]:
    messages: list[Message] = []
    for embed in embeds:
        cur = messages[-1] if messages else None
        if (cur is None or len(cur.embeds) >= EMBEDS_PER_MESSAGE
                or cur.total() + embed_size(embed) > MESSAGE_TOTAL):
            cur = Message()
            messages.append(cur)
        cur.embeds.append(embed)
    return messages


def _squeeze(messages: list[Message], buttons: list[ButtonSpec], tint: discord.Colour) -> Message:
    """Everything in one message: the first message's embeds, the rest cut and marked."""
    if not messages:
        return Message(embeds=[discord.Embed(colour=tint, description=BLANK)],
                       buttons=buttons[:BUTTONS_PER_MESSAGE])
    first = messages[0]
    last_embed = messages[-1].embeds[-1]
    footer = last_embed.footer.text or ""
    cut = len(messages) > 1 or len(buttons) > BUTTONS_PER_MESSAGE
    if cut:
        keep = first.embeds[-1]
        note = f"{clip(footer, FOOTER - size(CUT) - 1)}\n{CUT}" if footer else CUT
        while first.total() - size(keep.footer.text or "") + size(note) > MESSAGE_TOTAL:
            # Make room for the marker by shortening the last embed's description or fields.
            if keep.fields:
                keep.remove_field(len(keep.fields) - 1)
            elif keep.description:
                keep.description = clip(keep.description, max(1, size(keep.description) - 200),
                                        "…")
            else:  # pragma: no cover - an embed of title only cannot exceed the total
                break
        keep.set_footer(text=note)
    return Message(embeds=first.embeds, buttons=buttons[:BUTTONS_PER_MESSAGE])


# ---------------------------------------------------------------------------- buttons


class CoreButton(discord.ui.DynamicItem[discord.ui.Button], template=TEMPLATE):
    """Every button the bot sends. Registered once per client (``add_dynamic_items``), it
    matches clicks by ``custom_id`` alone, so messages sent before a restart keep working."""

    def __init__(self, custom_id: str, label: str = BLANK,
                 style: discord.ButtonStyle = discord.ButtonStyle.secondary,
                 row: int | None = None) -> None:
        super().__init__(discord.ui.Button(custom_id=custom_id, label=label, style=style),
                         row=row)

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item,
                             match: re.Match[str], /) -> CoreButton:
        button = item if isinstance(item, discord.ui.Button) else None
        return cls(match.group(0), label=(button.label if button else None) or BLANK)

    async def callback(self, interaction: discord.Interaction) -> None:
        # A client event rather than a call: rendering knows nothing of who answers clicks
        # (the client's ``on_core_button`` hands it to the adapter).
        interaction.client.dispatch(CLICK_EVENT, interaction, self.custom_id)


def make_view(buttons: list[ButtonSpec]) -> discord.ui.View | None:
    """A persistent view (no timeout) of at most 25 buttons, five to a row."""
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for i, b in enumerate(buttons[:BUTTONS_PER_MESSAGE]):
        view.add_item(CoreButton(b.custom_id, b.label, b.style, row=i // BUTTONS_PER_ROW))
    return view


def payload_text(message: Message) -> str:
    """Everything a person reads in ``message`` (tests and logs)."""
    parts: list[str] = []
    for e in message.embeds:
        parts += [e.title or "", e.description or ""]
        for f in e.fields:
            parts += [f.name or "", f.value or ""]
        parts.append(e.footer.text or "")
    parts += [b.label for b in message.buttons]
    return "\n".join(p for p in parts if p)


__all__ = [
    "Button",
    "ButtonSpec",
    "CoreButton",
    "CustomIds",
    "Message",
    "make_view",
    "render",
    "size",
]
