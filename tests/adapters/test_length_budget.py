"""Every shipped command's answer fits where it is read: inside each platform's limits, and
inside a length budget chosen for reading in a chat.

The budgets (characters are what a reader scrolls through: embed text on Discord, block text
on Slack):

- First answers, the ones a typed /compare, /about, /trends or /help gives: one message,
  at most ``GLANCE_CHARS`` characters, ``GLANCE_FIELDS`` Discord fields, one row of
  buttons and ``GLANCE_BLOCKS`` Slack blocks. About one screen of Discord at 900 px
  (discord-view: /compare 0.7, /about 0.8-0.9, /help 0.9, /trends 1.1 screens).
- Every other answer of every shipped command (details, source lists, /framework, quiz,
  digest): one message, at most ``ANSWER_CHARS`` characters and ``ANSWER_BLOCKS`` Slack
  blocks: well inside Discord's 6,000 and Slack's ~11,000, so nothing is ever split.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.discord import render as discord_render
from adapters.slack import render as slack_render
from bot.app import App, open_app
from bot.clock import FakeClock
from bot.config import Settings
from bot.models import Context, Response
from tests.adapters.test_discord_render import check as check_discord
from tests.adapters.test_slack_render import check_limits as check_slack

GLANCE_CHARS = 1_800
GLANCE_FIELDS = 10
GLANCE_BLOCKS = 15
ANSWER_CHARS = 4_500
ANSWER_BLOCKS = 25
PLATFORMS = ("discord", "slack")


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    app = await open_app(Settings(_env_file=None, data_dir=tmp_path / "data"), FakeClock())
    try:
        yield app
    finally:
        await app.close()


def glance_commands(app: App) -> list[str]:
    frameworks = list(app.core.knowledge.frameworks)
    return [
        *(f"/compare a:{a} b:{b}" for a, b in itertools.permutations(frameworks, 2)),
        *(f"/about name:{f}" for f in frameworks),
        "/trends",
        *(f"/trends framework:{f}" for f in frameworks),
        "/help",
    ]


def every_example(app: App) -> list[str]:
    """Each shipped command's example and each subcommand's, as /help shows them."""
    examples = []
    for spec in app.core.registry.commands():
        examples.append(spec.example)
        examples += [sub.example for sub in spec.subcommands]
    return examples


def context(platform: str) -> Context:
    return Context(platform=platform, user_id="u1", user_name="ada", channel_id="c1",
                   tenant_id="t1", is_manager=True)


async def ask(app: App, text: str, platform: str) -> Response:
    name, _, rest = text.removeprefix("/").partition(" ")
    spec = app.core.registry.get(name)
    typed = f"/{spec.name_on(platform)} {rest}".strip() if spec else text
    return await app.core.handle_text(typed, context(platform))


def measure(response: Response, platform: str, core_colour: str | None) -> dict[str, int]:
    """Check the platform's limits and return what the budget counts."""
    if platform == "discord":
        messages = discord_render.render(response, colour=core_colour)
        check_discord(messages)
        return {"messages": len(messages), "chars": sum(m.total() for m in messages),
                "fields": sum(len(e.fields) for m in messages for e in m.embeds),
                "button_rows": sum(-(-len(m.buttons) // 5) for m in messages), "blocks": 0}
    rendered = slack_render.render(response)
    for message in rendered.messages:
        check_slack(message)
    blocks = [b for m in rendered.messages for b in m["blocks"]]
    return {"messages": len(rendered.messages), "blocks": len(blocks), "fields": 0,
            "chars": sum(slack_render.block_text_length(b) for b in blocks),
            "button_rows": 0}


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_first_answers_fit_one_screen(app: App, platform: str) -> None:
    for text in glance_commands(app):
        response = await ask(app, text, platform)
        assert not response.is_error, text
        size = measure(response, platform, app.core.colour(response.accent))
        assert size["messages"] == 1, text
        assert size["chars"] <= GLANCE_CHARS, (text, size)
        assert size["fields"] <= GLANCE_FIELDS and size["button_rows"] <= 1, (text, size)
        assert size["blocks"] <= GLANCE_BLOCKS, (text, size)


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_every_shipped_answer_fits_one_message_and_the_budget(
    app: App, platform: str
) -> None:
    texts = [*every_example(app), *glance_commands(app)]
    for role in app.core.knowledge.roles:
        texts.append(f"/framework role:{role}")
    answers = [(t, await ask(app, t, platform)) for t in texts]
    for text, response in list(answers):  # and what each of their buttons answers
        for button in response.buttons:
            if button.id.startswith(("run:", "sources:")):
                answers.append((f"{text} → {button.label}",
                                await app.core.press(button.id, context(platform))))
    assert len(answers) > 100
    for text, response in answers:
        size = measure(response, platform, app.core.colour(response.accent))
        assert size["messages"] == 1, text
        assert size["chars"] <= ANSWER_CHARS, (text, size)
        assert size["blocks"] <= ANSWER_BLOCKS, (text, size)


async def test_no_answer_says_the_same_thing_twice(app: App) -> None:
    texts = [*every_example(app), *glance_commands(app)]
    texts += [f"/framework role:{role}" for role in app.core.knowledge.roles]
    answers = [(t, await ask(app, t, "discord")) for t in texts]
    for text, response in list(answers):
        answers += [(f"{text} → {b.label}", await app.core.press(b.id, context("discord")))
                    for b in response.buttons if b.id.startswith(("run:", "sources:"))]
    for text, response in answers:
        lines = [line.removeprefix("• ").strip() for piece in response.texts()
                 for line in piece.splitlines()]
        repeated = [line for line, n in Counter(lines).items() if n > 1 and len(line) >= 25]
        assert not repeated, (text, repeated)
        headings = [s.heading for s in response.sections if s.heading]
        assert len(headings) == len(set(headings)), (text, headings)
