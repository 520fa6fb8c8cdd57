"""A core ``Response`` as Slack messages: Block Kit blocks plus a plain ``text`` fallback.

Layout: a header (the title), one section per core section (its heading as a *bold* line),
inline fields side by side (up to 10 per section), a context block for the footer, and
actions blocks for the buttons. Every string is escaped (``&``, ``<``, ``>``), so nothing a
user typed can become a link, a mention or ``<!channel>``.

People's words (marked by the core, ``bot.models.user_text``) are made inert first, in one
pass (``inert_user_text``): mrkdwn has no escape character, so its formatting characters
become look-alikes and a leading ">" gets an invisible soft hyphen, and every mrkdwn text
that carries them is ``verbatim`` (Slack then links no URL or channel name in it). The
bot's own text keeps its formatting.

Block Kit's limits are enforced here, never left to Slack to reject: over-long texts are
cut at a line or word boundary and marked, long sections are split over several blocks, and
a response too big for one message is split into several messages (buttons and footer go
on the last). Past ``MAX_MESSAGES`` the rest is dropped with a marker.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bot.models import (
    USER_CLOSE,
    USER_OPEN,
    Button,
    ButtonStyle,
    Response,
    Table,
    Visibility,
    unmark,
)

# Block Kit limits (https://docs.slack.dev/reference/block-kit) and our own margins.
MAX_BLOCKS = 50
HEADER_TEXT = 150
SECTION_TEXT = 3000
FIELD_TEXT = 2000
FIELDS_PER_SECTION = 10
CONTEXT_TEXT = 3000
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
ACTION_ID = 255
# Slack has rejected messages well below 50 full blocks (``msg_blocks_too_long`` near 13k
# characters of block text), so a message carries at most this much text.
MESSAGE_TEXT = 11_000
FALLBACK_TEXT = 3000
MAX_MESSAGES = 4

ACTION_PREFIX = "fc:"
LONG_ID_PREFIX = "fc-long:"
CUT = "…"
TRUNCATED = "… (truncated)"
CONTINUED = "(continued)"

Message = dict[str, Any]


def escape(text: str) -> str:
    """Slack's three control characters as entities; nothing else changes."""
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


# mrkdwn formatting characters and look-alikes that read the same but format nothing
# (the substitutions jsx-slack's <Escape> uses).
_LOOKALIKES = str.maketrans({"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"})
_QUOTE = re.compile(r"^(?=>)", re.MULTILINE)
SOFT_HYPHEN = "\u00ad"


def inert_user_text(text: str) -> str:
    """A person's words as plain mrkdwn, still marked so the text object holding them is
    sent ``verbatim``. ``&``, ``<`` and ``>`` are escaped with everything else later."""
    return USER_OPEN + _QUOTE.sub(SOFT_HYPHEN, text.translate(_LOOKALIKES)) + USER_CLOSE


def unescape(text: str) -> str:
    """Slack sends slash-command text with the same three characters escaped."""
    if "&" in text:
        text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text


def truncate(text: str, limit: int, marker: str = CUT) -> str:
    """``text`` if it fits, else cut at a word boundary with ``marker`` appended.

    Never cuts inside an entity such as ``&amp;``.
    """
    if len(text) <= limit:
        return text
    room = max(0, limit - len(marker))
    cut = text[:room]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space > room * 0.6:
        cut = cut[:space]
    return cut.rstrip() + marker


def split_text(text: str, limit: int) -> list[str]:
    """Split ``text`` into chunks of at most ``limit`` characters at line, then word, breaks."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single line longer than a chunk: split between words
            head = line[:limit]
            amp = head.rfind("&")
            if amp != -1 and ";" not in head[amp:]:
                head = head[:amp]
            space = head.rfind(" ")
            if space > limit * 0.6:
                head = head[:space]
            if current:
                chunks.append(current)
                current = ""
            chunks.append(head.rstrip())
            line = line[len(head):].lstrip(" ")
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
        else:
            chunks.append(current)
            current = line
    if current or not chunks:
        chunks.append(current)
    return chunks


# ---------------------------------------------------------------------------- button values
_LONG_IDS: OrderedDict[str, str] = OrderedDict()
_LONG_IDS_KEPT = 4096


def button_value(button_id: str) -> str:
    """The button's ``value``: its id, or a stand-in for ids longer than Slack allows."""
    if len(button_id) <= BUTTON_VALUE:
        return button_id
    key = LONG_ID_PREFIX + hashlib.sha256(button_id.encode()).hexdigest()
    _LONG_IDS[key] = button_id
    _LONG_IDS.move_to_end(key)
    while len(_LONG_IDS) > _LONG_IDS_KEPT:
        _LONG_IDS.popitem(last=False)
    return key


def button_id(value: str) -> str:
    """The core's button id for a pressed button's ``value`` (unknown stand-ins stay as
    they are, and the core answers that the button has expired)."""
    if value.startswith(LONG_ID_PREFIX):
        return _LONG_IDS.get(value, value)
    return value


# ---------------------------------------------------------------------------- blocks
def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(escape(unmark(text)), limit), "emoji": True}


def _mrkdwn(text: str) -> dict[str, Any]:
    if USER_OPEN in text or USER_CLOSE in text:  # people's words: link nothing in them
        return {"type": "mrkdwn", "text": unmark(text), "verbatim": True}
    return {"type": "mrkdwn", "text": text}


def _bold(text: str) -> str:
    """A heading line: *bold*, with its own asterisks softened so the markup holds."""
    return f"*{escape(text).replace('*', '∗')}*"


def _body(text: str) -> str:
    """The core's plain text as mrkdwn: escaped; '• ' and '1. ' lines already read as lists."""
    return escape(text.strip("\n"))


def _section_blocks(heading: str | None, body: str) -> Iterator[dict[str, Any]]:
    text = _body(body)
    if heading:
        text = f"{_bold(heading)}\n{text}" if text else _bold(heading)
    for chunk in split_text(text, SECTION_TEXT):
        if chunk.strip():
            yield {"type": "section", "text": _mrkdwn(chunk)}


def _field_text(name: str, value: str) -> str:
    head = _bold(name)
    return truncate(f"{head}\n{escape(value)}", FIELD_TEXT, TRUNCATED)


def _button(index: int, button: Button) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "action_id": f"{ACTION_PREFIX}{index}"[:ACTION_ID],
        "text": _plain(button.label or " ", BUTTON_TEXT),
        "value": button_value(button.id),
    }
    if button.style in (ButtonStyle.PRIMARY, ButtonStyle.SUCCESS):
        element["style"] = "primary"
    elif button.style is ButtonStyle.DANGER:
        element["style"] = "danger"
    return element


def _table_blocks(table: Table) -> Iterator[dict[str, Any]]:
    """The column names once, then one section per row: its label as the text and its
    cells as fields, which Slack lays out side by side, so each pair shares a row."""
    for start in range(0, len(table.columns), FIELDS_PER_SECTION):
        heads = table.columns[start:start + FIELDS_PER_SECTION]
        yield {"type": "section",
               "fields": [_mrkdwn(truncate(_bold(c), FIELD_TEXT)) for c in heads]}
    for row in table.rows:
        cells = [truncate(escape(c), FIELD_TEXT) or "—" for c in row.cells]
        for start in range(0, max(len(cells), 1), FIELDS_PER_SECTION):
            block: dict[str, Any] = {
                "type": "section",
                "text": _mrkdwn(truncate(_bold(row.label), SECTION_TEXT)),
            }
            if cells:
                block["fields"] = [_mrkdwn(c) for c in cells[start:start + FIELDS_PER_SECTION]]
            yield block


def _body_blocks(response: Response) -> list[dict[str, Any]]:
    """Everything between the header and the footer, in reading order."""
    blocks: list[dict[str, Any]] = []
    for section in response.sections:
        blocks.extend(_section_blocks(section.heading, section.body))
    if response.table:
        blocks.extend(_table_blocks(response.table))
    inline: list[str] = []

    def flush() -> None:
        for i in range(0, len(inline), FIELDS_PER_SECTION):
            group = inline[i:i + FIELDS_PER_SECTION]
            blocks.append({"type": "section", "fields": [_mrkdwn(t) for t in group]})
        inline.clear()

    for item in response.fields:
        if item.inline:
            inline.append(_field_text(item.name, item.value))
        else:
            flush()
            blocks.extend(_section_blocks(item.name, item.value))
    flush()
    return blocks


def _footer_block(footer: str) -> dict[str, Any] | None:
    if not footer.strip():
        return None
    parts = split_text(escape(footer), CONTEXT_TEXT)
    if len(parts) > CONTEXT_ELEMENTS:
        parts = [*parts[:CONTEXT_ELEMENTS - 1], truncate(parts[CONTEXT_ELEMENTS - 1] + " x",
                                                          CONTEXT_TEXT, TRUNCATED)]
    return {"type": "context", "elements": [_mrkdwn(p) for p in parts]}


def _actions_blocks(buttons: tuple[Button, ...]) -> list[dict[str, Any]]:
    elements = [_button(i, b) for i, b in enumerate(buttons)]
    return [
        {"type": "actions", "elements": elements[i:i + ACTIONS_ELEMENTS]}
        for i in range(0, len(elements), ACTIONS_ELEMENTS)
    ]


def block_text_length(block: dict[str, Any]) -> int:
    """Characters of text a block carries (what ``msg_blocks_too_long`` counts)."""
    total = 0
    text = block.get("text")
    if isinstance(text, dict):
        total += len(text.get("text", ""))
    for item in block.get("fields", ()):
        total += len(item.get("text", ""))
    for element in block.get("elements", ()):
        inner = element.get("text")
        if isinstance(inner, dict):
            total += len(inner.get("text", ""))
        elif isinstance(inner, str):
            total += len(inner)
    return total


def _fallback(blocks: list[dict[str, Any]]) -> str:
    """The message's plain ``text``: what notifications and screen readers fall back to."""
    pieces: list[str] = []
    for block in blocks:
        if block["type"] == "actions":
            continue
        text = block.get("text")
        if isinstance(text, dict):
            pieces.append(text["text"])
        pieces.extend(f["text"] for f in block.get("fields", ()))
        pieces.extend(e["text"] for e in block.get("elements", ()) if "text" in e
                      and isinstance(e["text"], str))
    return truncate("\n".join(pieces).replace("*", ""), FALLBACK_TEXT) or " "


@dataclass(frozen=True, slots=True)
class Rendered:
    """One response as one or more Slack messages, and who sees them."""

    messages: tuple[Message, ...]
    ephemeral: bool
    ack_json: str  # the first message as a slash command's acknowledgement body, serialised

    @property
    def response_type(self) -> str:
        return "ephemeral" if self.ephemeral else "in_channel"


def render(response: Response, *, max_messages: int = MAX_MESSAGES) -> Rendered:
    """``response`` as Slack messages within every Block Kit limit.

    A pure function of the (immutable) response, so popular answers are rendered once;
    callers must not mutate what it returns (copy a message before adding fields to it).
    """
    try:
        return _cached(response, max_messages)
    except TypeError:  # unhashable (a list where a tuple belongs): render it uncached
        return _render(response, max_messages)


@functools.lru_cache(maxsize=256)
def _cached(response: Response, max_messages: int) -> Rendered:
    return _render(response, max_messages)


def _render(response: Response, max_messages: int) -> Rendered:
    response = response.render_user_text(inert_user_text, plain=("title", "buttons"))
    head: list[dict[str, Any]] = []
    if response.title.strip():
        head.append({"type": "header", "text": _plain(response.title, HEADER_TEXT)})
    body = _body_blocks(response)
    tail: list[dict[str, Any]] = []
    footer = _footer_block(response.footer)
    if footer:
        tail.append(footer)
    tail.extend(_actions_blocks(response.buttons))
    messages = _pack(head, body, tail, max_messages) or [{"blocks": [_note(CUT)]}]
    for message in messages:
        message["text"] = _fallback(message["blocks"])
    ephemeral = response.visibility is Visibility.PRIVATE
    ack = {"response_type": "ephemeral" if ephemeral else "in_channel", **messages[0]}
    return Rendered(tuple(messages), ephemeral, json.dumps(ack, ensure_ascii=False))


def _greedy(blocks: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Fill messages in order, opening a new one (marked as continued) when one is full."""
    pages: list[list[dict[str, Any]]] = [[]]
    size = 0
    for block in blocks:
        length = block_text_length(block)
        if pages[-1] and (len(pages[-1]) >= MAX_BLOCKS or size + length > MESSAGE_TEXT):
            pages.append([_note(CONTINUED)])
            size = len(CONTINUED)
        pages[-1].append(block)
        size += length
    return pages


def _note(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_mrkdwn(text)]}


def _pack(
    head: list[dict[str, Any]],
    body: list[dict[str, Any]],
    tail: list[dict[str, Any]],
    max_messages: int,
) -> list[Message]:
    """Messages in reading order; when they would be too many, the body is cut short with a
    marker so the footer and the buttons (the tail) always survive."""
    pages = _greedy(head + body + tail)
    keep = len(body)
    while len(pages) > max_messages and keep > 0:
        keep -= 1
        dropped = len(body) - keep
        marker = _note(f"{TRUNCATED}: {dropped} more part{'s' if dropped != 1 else ''} "
                       "did not fit in Slack's message limits.")
        pages = _greedy(head + body[:keep] + [marker] + tail)
    while len(pages) > max_messages and tail:  # only absurd numbers of buttons get here
        tail = tail[:-1]
        pages = _greedy(head + [_note(f"{TRUNCATED}: some buttons did not fit.")] + tail)
    return [{"blocks": page} for page in pages[:max_messages] if page]
