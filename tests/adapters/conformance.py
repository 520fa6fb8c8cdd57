"""The adapter conformance suite: every platform must show what the core said, no more, no less.

An adapter's test module provides a ``harness`` fixture implementing ``Harness`` and does
``from tests.adapters.conformance import *`` to run these tests against it. The harness
drives the real adapter (console in-process, Slack and Discord against local fakes) and
reports what a person on that platform would see, as normalised plain text.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Protocol

import pytest

from bot.app import App, open_app
from bot.config import Settings
from bot.core import Core
from bot.models import Context, Request, Response, Visibility
from bot.quiz import render
from bot.quiz.bank import bank_key
from bot.quiz.session import QuizSession
from bot.storage import AnswerRecord, Subscription, Tenant
from knowledge.schema import Question

__all__ = [
    "Harness",
    "Seen",
    "test_same_request_same_content",
    "test_visibility_is_respected",
    "test_buttons_round_trip_to_the_core",
    "test_user_text_cannot_ping",
    "test_bad_input_gets_a_private_explanation",
    "test_guided_chooser_is_private_and_ends_in_the_card",
    "app",
    "test_typed_values_are_repeated_as_text",
    "test_names_in_scores_are_shown_as_text",
    "test_quiz_messages_show_names_and_imported_questions_as_text",
    "test_manager_inputs_are_repeated_as_text",
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
    # Every string of the platform payload with the syntax the platform reads it in (see
    # ``read``): "plain", "discord-markdown", "slack-plain", "slack-mrkdwn",
    # "slack-mrkdwn-verbatim".
    parts: tuple[tuple[str, str], ...] = ()


class Harness(Protocol):
    platform: str

    async def command(self, text: str, *, user: str, channel: str) -> list[Seen]: ...

    async def press(self, button_id: str, *, user: str, channel: str) -> list[Seen]: ...

    async def deliver(self, response: Response, *, channel: str) -> list[Seen]:
        """Post ``response`` to ``channel`` as the bot does without an interaction (quiz
        messages, digests), and return what the channel sees."""
        ...

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


# ---------------------------------------------------------------------------- people's text
# What people type or call themselves is shown as text: no link, markup or control character
# of theirs is live in any platform payload, and it still reads the same.

LONG = ("[name](https://evil.example) " * 400)[:10_000]
HOSTILE = [
    "[free nitro](https://evil.example/login)",  # a masked link
    "https://evil.example/steal <https://evil.example/x> evil.example",  # autolinks
    "# Winner: mallory",  # a header
    "-# small print",  # subtext
    "```js alert(1)``` and `tick`",  # code
    "||spoiler|| **bold** __under__ ~~strike~~ *it* _it_",  # spoilers and emphasis
    "> quoted >>> block",  # quotes
    "1. first - item",  # lists
    "[bold red]x[/] [link=https://evil.example]y[/link]",  # console (rich) markup
    "\u202eexe.gnp\u202c photo",  # a right-to-left override
    "a\u200db\u2066c\u2069d\ufeffe\u200ff\x1b[31mred\u061c",  # joiners, isolates, BOM, ESC
    LONG,  # 10,000 characters
]
SHOWN = 40  # compare the first characters: long text is capped with an ellipsis
_LOOKALIKE = {"∗": "*", "ˍ": "_", "∼": "~", "ˋ": "`"}  # Slack: characters that read the same
_INVISIBLE = {"\u200b", "\u00ad"}  # the zero-width space and soft hyphen adapters add


def typed_reads(text: str) -> str:
    """What a person should read of ``text``: without invisible format and control
    characters or noncharacters, whitespace as single spaces (a name is one line)."""
    visible = "".join(ch for ch in text if ch.isspace() or (
        unicodedata.category(ch) not in ("Cc", "Cf") and not "\ufdd0" <= ch <= "\ufdef"))
    return " ".join(visible.split())[:SHOWN].strip()


def read(syntax: str, raw: str) -> list[tuple[str, bool]]:
    """``raw`` as the platform shows it: each visible character, and whether it is live
    (markup, a link or a token the platform acts on) rather than plain text."""
    out: list[tuple[str, bool]] = []
    if syntax == "plain":
        return [(ch, False) for ch in raw if ch not in _INVISIBLE]
    slack = syntax.startswith("slack")
    linked = syntax == "slack-mrkdwn"  # Slack turns URLs and domains into links
    markup = syntax != "slack-plain"
    line_start, i = True, 0
    while i < len(raw):
        ch, rest = raw[i], raw[i + 1:]
        if slack and ch == "&" and rest.startswith(("lt;", "gt;", "amp;")):
            entity = rest.split(";", 1)[0]
            shown = {"lt": "<", "gt": ">", "amp": "&"}[entity]
            out.append((shown, markup and shown == ">" and line_start))
            i += len(entity) + 2
            line_start = False
            continue
        if not slack and ch == "\\" and rest and not (rest[0].isalnum() or rest[0].isspace()):
            out.append((rest[0], False))  # Discord: an escaped character is text
            i += 2
            line_start = False
            continue
        if ch in _INVISIBLE:
            i += 1
            if ch == "\u00ad":
                line_start = False
            continue
        if slack:
            live = markup and (ch in "*_~`<>" or ch == ">" and line_start)
        else:
            # At a line's start: "# ", "-# ", "> ", ">>> ", "- " and "1. " are markup.
            block = re.match(r"#{1,3}\s|-#?\s|>(>>)?\s|\d+\.\s", raw[i:]) is not None
            live = ch in "*_~|`[]<" or (line_start and block)
            live = live or (ch == ":" and rest.startswith("//"))  # an autolink
        if linked and ((ch == ":" and rest.startswith("//"))
                       or (ch == "." and out and out[-1][0].isalnum() and rest[:1].isalnum())):
            live = True
        out.append((_LOOKALIKE.get(ch, ch) if slack else ch, live))
        line_start = ch == "\n" or (line_start and ch in " \t")
        i += 1
    return out


def assert_inert(seen: list[Seen], typed: str) -> None:
    """Somewhere in ``seen`` the person's text reads as they wrote it, and wherever it
    shows, none of its characters is live; none of its control characters is sent."""
    want = typed_reads(typed)
    controls = {ch for ch in typed
                if unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\n\t"}
    found = 0
    for syntax, raw in (part for s in seen for part in s.parts):
        assert not controls & set(raw), f"control characters sent: {controls & set(raw)}"
        chars = read(syntax, raw)
        shown = "".join(ch for ch, _ in chars)
        start = shown.find(want)
        while want and start != -1:
            live = [ch for ch, on in chars[start:start + len(want)] if on]
            assert not live, f"live in {syntax} {raw[:300]!r}: {live}"
            found += 1
            start = shown.find(want, start + 1)
    assert found, f"{want!r} is not shown as typed in {[s.parts for s in seen]}"


@pytest.fixture
async def app(core: Core, tmp_path):  # noqa: ANN001, ANN201
    """The harness's core with its stateful services: quizzes, scores, digests."""
    opened = await open_app(Settings(_env_file=None, data_dir=tmp_path / "app"), core=core,
                            rng=random.Random(7))
    yield opened
    await opened.close()


def _value(text: str) -> str:
    return text.replace('"', "'")


async def test_typed_values_are_repeated_as_text(harness: Harness, app: App) -> None:
    """Unknown values, wrong numbers, unknown people: the answer repeats them inertly."""
    for typed in HOSTILE:
        v = _value(typed)
        for command in (f'/framework role:"{v}"', f'/about name:"{v}"',
                        f'/compare a:pytorch b:"{v}"', f'/compare a:"{v}" b:jax',
                        f'/framework role:ml-engineer goal:"{v}"', f'/trends framework:"{v}"',
                        f'/quiz start topic:"{v}"', f'/quiz start questions:"{v}"',
                        f'/quiz stats user:"{v}"'):
            seen = await harness.command(command, user="u1", channel="c1")
            assert_inert(seen, v)
        if harness.platform != "discord":  # Discord's forms cannot send unknown words
            for command in (f'/quiz "{v}"', f'/help "{v}"'):
                seen = await harness.command(command, user="u1", channel="c1")
                assert_inert(seen, v)


async def test_names_in_scores_are_shown_as_text(harness: Harness, app: App) -> None:
    """Leaderboards and stats repeat the names people go by."""
    assert app.store is not None
    for n, typed in enumerate(HOSTILE):
        ctx = harness.context(user=f"player{n}", channel="c1")
        await app.store.record_answer(Tenant(ctx.platform, ctx.tenant_id), AnswerRecord(
            channel_id=ctx.channel_id, user_id=ctx.user_id, user_name=typed,
            question_id="q1", correct=True, points=100 + n, answered_at=app.core.clock.now()))
        stats = await harness.command("/quiz stats", user=f"player{n}", channel="c1")
        assert_inert(stats, typed)
    board = await harness.command("/quiz leaderboard", user="u1", channel="c1")
    for typed in HOSTILE:
        assert_inert(board, typed)


def _question(**texts: str) -> Question:
    return Question.model_validate({
        "id": "club-q", "topic": "jax", "difficulty": 1,
        "prompt": texts.get("prompt", "Which one?"),
        "options": [{"text": texts.get("right", "this"), "correct": True},
                    {"text": texts.get("wrong", "that")}],
        "explanation": texts.get("explanation", "Because."),
        "source": texts.get("source", "the club"),
    })


async def test_quiz_messages_show_names_and_imported_questions_as_text(
    harness: Harness, app: App
) -> None:
    """Who got it right, streaks, standings, the podium, the winners, and a server's own
    questions: posted to the whole channel, every one inert."""
    assert app.quiz is not None
    bank, key = app.quiz.bank, bank_key(harness.platform, "club")
    for typed in HOSTILE:
        bank.set_imported(key, [_question(prompt=typed[:500], right=typed[:200],
                                          wrong="x " + typed[:190],
                                          explanation=typed[:1000], source=typed)])
        question = bank.get("club-q", key)
        assert question is not None
        now = app.core.clock.now()
        session = QuizSession(id="s1", platform=harness.platform, tenant_id="club",
                              channel_id="c1", starter_id="p1", question_ids=["club-q"] * 3,
                              correct_options=[0] * 3, option_counts=[2] * 3, seconds=20)
        session.open_question(now)
        for index in range(2):  # two right in a row: a streak
            session.answer("p1", typed, 0, index, now)
            session.answer("p2", "Ann", 1, index, now)
            session.close_question(now, 0)
            session.advance(now)
        for response in (render.question_message(session, question),
                         render.closed_message(session, question),
                         render.reveal_message(session, question),
                         render.final_message(session, stopped=False),
                         render.final_message(session, stopped=True)):
            assert_inert(await harness.deliver(response, channel="c1"), typed)


async def test_manager_inputs_are_repeated_as_text(harness: Harness, app: App) -> None:
    """Import problems, schedule problems, and a channel's digest status and last run after
    a platform error that repeats them."""
    assert app.store is not None
    for n, typed in enumerate(HOSTILE, 1):
        ctx = replace(harness.context(user="mod", channel="c1"), is_manager=True)
        imported = json.dumps({"questions": [{"id": typed, "topic": "jax"}]})
        for command, options in (("import", {"content": imported}),
                                 ("subscribe", {"cadence": typed}),
                                 ("subscribe", {"day": typed}),
                                 ("subscribe", {"time": typed}),
                                 ("subscribe", {"timezone": typed})):
            name = "quiz" if command == "import" else "digest"
            response = await app.core.handle(Request(name, command, options, ctx))
            assert response.is_error
            assert_inert(await harness.deliver(response, channel="c1"), typed)
        tenant, period = Tenant(ctx.platform, ctx.tenant_id), f"2026-W{n:02d}"
        await app.store.upsert_subscription(tenant, Subscription(channel_id=ctx.channel_id))
        assert await app.store.claim_digest_period(tenant, ctx.channel_id, period)
        await app.store.mark_digest_failed(tenant, ctx.channel_id, period, typed, permanent=True)
        for command in ("status", "last"):
            response = await app.core.handle(Request("digest", command, {}, ctx))
            assert_inert(await harness.deliver(response, channel="c1"), typed)
