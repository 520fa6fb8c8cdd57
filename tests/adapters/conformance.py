"""The adapter conformance suite: every platform must show what the core said, no more, no less.

An adapter's test module provides a ``harness`` fixture implementing ``Harness`` and does
``from tests.adapters.conformance import *`` to run these tests against it. The harness
drives the real adapter (console in-process, Slack and Discord against local fakes) and
reports what a person on that platform would see, as normalised plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

import pytest

from bot.core import Core
from bot.models import Context, Response, Visibility

__all__ = [
    "Harness",
    "Seen",
    "test_same_request_same_content",
    "test_visibility_is_respected",
    "test_buttons_round_trip_to_the_core",
    "test_user_text_cannot_ping",
    "test_bad_input_gets_a_private_explanation",
    "test_guided_chooser_is_private_and_ends_in_the_card",
]

CASES = [
    "/framework role:ml-engineer",
    "/framework role:data-scientist experience:beginner goal:enterprise region:asia",
    "/framework",
    "/about name:jax",
    "/compare a:pytorch b:tensorflow",
    "/help",
]


@dataclass(frozen=True)
class Seen:
    """One message as a person on the platform sees it."""

    text: str
    button_ids: tuple[str, ...]
    visible_to: str | None  # a user id for only-to-requester messages, None for the channel


class Harness(Protocol):
    platform: str

    async def command(self, text: str, *, user: str, channel: str) -> list[Seen]: ...

    async def press(self, button_id: str, *, user: str, channel: str) -> list[Seen]: ...

    def context(self, *, user: str, channel: str) -> Context: ...


def flatten(text: str) -> str:
    """Collapse whitespace and drawing characters so layouts compare as plain words."""
    text = re.sub(r"[\u2500-\u257f\u2580-\u259f]", " ", text)
    return " ".join(text.split())


def assert_shows(response: Response, seen: list[Seen]) -> None:
    shown = flatten(" ".join(s.text for s in seen))
    for piece in response.texts():
        # "A · row" field names may be laid out as a table (column A, row "row").
        for line in piece.splitlines():
            for part in line.split(" · "):
                assert flatten(part) in shown, f"missing on the platform: {part!r}"
    assert [b.id for b in response.buttons] == [i for s in seen for i in s.button_ids]


@pytest.mark.parametrize("text", CASES)
async def test_same_request_same_content(harness: Harness, core: Core, text: str) -> None:
    expected = await core.handle_text(text, harness.context(user="u1", channel="c1"))
    seen = await harness.command(text, user="u1", channel="c1")
    assert_shows(expected, seen)


async def test_visibility_is_respected(harness: Harness, core: Core) -> None:
    for text in CASES:
        expected = await core.handle_text(text, harness.context(user="u1", channel="c1"))
        seen = await harness.command(text, user="u1", channel="c1")
        want = "u1" if expected.visibility is Visibility.PRIVATE else None
        assert {s.visible_to for s in seen} == {want}, text


async def test_buttons_round_trip_to_the_core(harness: Harness, core: Core) -> None:
    seen = await harness.command("/framework role:ml-engineer", user="u2", channel="c2")
    ids = [i for s in seen for i in s.button_ids]
    assert len(ids) >= 2
    for button_id in ids:
        # Press each button on a fresh copy of the message, as people do.
        await harness.command("/framework role:ml-engineer", user="u2", channel="c2")
        expected = await core.press(button_id, harness.context(user="u2", channel="c2"))
        pressed = await harness.press(button_id, user="u2", channel="c2")
        assert_shows(expected, pressed)


async def test_user_text_cannot_ping(harness: Harness) -> None:
    for text in ["/framework role:@everyone", "/about name:@here", "/framework role:<!channel>"]:
        shown = " ".join(s.text for s in await harness.command(text, user="u1", channel="c1"))
        lowered = shown.lower()
        assert "@everyone" not in lowered and "@here" not in lowered and "<!" not in lowered


async def test_bad_input_gets_a_private_explanation(harness: Harness) -> None:
    seen = await harness.command("/framework role:astronaut", user="u3", channel="c1")
    assert {s.visible_to for s in seen} == {"u3"}
    shown = flatten(" ".join(s.text for s in seen))
    assert "astronaut" in shown and "/framework role:" in shown
    assert "Traceback" not in shown


async def test_guided_chooser_is_private_and_ends_in_the_card(harness: Harness,
                                                            core: Core) -> None:
    """/framework without a role offers three questions as buttons; every step, the card
    at the end and its details are shown to the person choosing only."""
    ctx = harness.context(user="u4", channel="c4")
    seen = await harness.command("/framework", user="u4", channel="c4")
    assert "fwc:start" in [i for s in seen for i in s.button_ids]
    steps = ["fwc:start", "fwc:vision", "fwc:vision:beginner", "fwc:vision:beginner:enterprise"]
    for step in steps:
        expected = await core.press(step, ctx)
        seen = await harness.press(step, user="u4", channel="c4")
        assert {s.visible_to for s in seen} == {"u4"}, step
        assert_shows(expected, seen)
    shown = flatten(" ".join(s.text for s in seen))
    assert "Computer Vision Engineer (production)" in shown and "First step this week" in shown
    path = next(i for s in seen for i in s.button_ids if i.startswith("fw:path:"))
    pressed = await harness.press(path, user="u4", channel="c4")
    assert {s.visible_to for s in pressed} == {"u4"}
    assert "learning path" in flatten(" ".join(s.text for s in pressed))
