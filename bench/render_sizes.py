"""How big the knowledge answers are where they are read: Slack Block Kit and Discord embeds.

For each command text it asks the core (as the platform would), renders the answer with the
platform's own renderer and counts what a reader scrolls through: Slack messages, blocks,
characters of block text and of the JSON body; Discord messages, embeds, fields and
characters of embed text. Sizes, not timings: run it before and after a layout change.

Usage: .venv/bin/python bench/render_sizes.py [COMMAND ...]
The last line of output is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from adapters.discord import render as discord_render  # noqa: E402
from adapters.slack import render as slack_render  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from bot.core import Core  # noqa: E402
from bot.models import Context  # noqa: E402
from knowledge import loader  # noqa: E402

COMMANDS = [
    "/compare a:pytorch b:tensorflow",
    "/compare a:keras b:jax",
    "/about name:jax",
    "/about name:pytorch",
    "/trends",
    "/trends framework:jax",
    "/help",
    "/framework role:ml-engineer",
]


async def measure(core: Core, text: str) -> dict[str, int]:
    slack = slack_render.render(await core.handle_text(text, Context(platform="slack")))
    blocks = [b for m in slack.messages for b in m["blocks"]]
    answer = await core.handle_text(text, Context(platform="discord"))
    messages = discord_render.render(answer, colour=core.colour(answer.accent))
    return {
        "slack_messages": len(slack.messages),
        "slack_blocks": len(blocks),
        "slack_text_chars": sum(slack_render.block_text_length(b) for b in blocks),
        "slack_json_chars": sum(len(json.dumps(m, ensure_ascii=False)) for m in slack.messages),
        "discord_messages": len(messages),
        "discord_embeds": sum(len(m.embeds) for m in messages),
        "discord_fields": sum(len(e.fields) for m in messages for e in m.embeds),
        "discord_chars": sum(m.total() for m in messages),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("commands", nargs="*", default=COMMANDS)
    args = parser.parse_args()
    core = Core(knowledge=loader.load(), clock=FakeClock())
    figures = {text: asyncio.run(measure(core, text)) for text in args.commands}

    columns = list(next(iter(figures.values())))
    table = Table(title="Answer sizes where they are read")
    table.add_column("command")
    for column in columns:
        table.add_column(column.replace("_", " "), justify="right")
    for text, row in figures.items():
        table.add_row(text, *(f"{row[c]:,}" for c in columns))
    Console(width=200).print(table)
    print(json.dumps({"bench": "render_sizes", "commands": figures}))


if __name__ == "__main__":
    main()
