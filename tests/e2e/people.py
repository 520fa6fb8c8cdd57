"""People using the bot on both platforms, through the fakes: commands and clicks in,
what the requester sees out. Every wait goes through ``BotProcess.until``."""

from __future__ import annotations

import itertools
from typing import Any

from bot.quiz.bank import load_files
from knowledge.loader import DEFAULT_DIR
from tests.adapters.fakes.discord_fake import FakeDiscord, command_data, seen_text
from tests.adapters.fakes.slack_api import FakeSlack, slash_payload, visible_text
from tests.e2e.process import BotProcess

ADA = 980000000000000001  # a Discord user
SLACK_ADA = "U0ADA"
_envelopes = itertools.count(1)


async def slack_command(bot: BotProcess, slack: FakeSlack, command: str, text: str,
                        *, channel: str) -> dict[str, Any]:
    """A slash command through Socket Mode; returns the acknowledgement's payload (which
    carries the answer)."""
    envelope_id = f"e2e-{next(_envelopes)}"
    payload = slash_payload(slack, command, text, user=SLACK_ADA, channel=channel)
    await slack.send_envelope({"envelope_id": envelope_id, "type": "slash_commands",
                               "accepts_response_payload": True, "payload": payload})
    reply = await bot.until(slack, lambda: _socket_reply(slack, envelope_id))
    return reply.get("payload") or {}


def slack_text(payload: dict[str, Any]) -> str:
    return visible_text(payload).replace("*", "")


def _socket_reply(slack: FakeSlack, envelope_id: str) -> dict[str, Any] | None:
    return next((r for r in slack.socket_messages if r.get("envelope_id") == envelope_id),
                None)


def discord_command(discord: FakeDiscord, name: str, sub: str | None,
                    options: dict[str, str], *, channel: int) -> dict[str, Any]:
    """The interaction Discord sends when Ada submits the command form."""
    return discord.interaction(2, command_data(name, sub, options), user_id=ADA,
                               user_name="ada", channel_id=channel)


async def discord_interaction(bot: BotProcess, discord: FakeDiscord,
                              payload: dict[str, Any]) -> str:
    """Send an interaction; returns what the requester sees once the bot has answered
    (a deferred answer counts once its content is there)."""
    iid = int(payload["id"])
    await discord.dispatch(payload)

    def answered() -> str | None:
        shown = [seen_text(p.message) for p in discord.posts_for(iid)]
        return "\n".join(shown) if any(shown) else None

    return str(await bot.until(discord, answered))


def correct_button(message: dict[str, Any]) -> str:
    """The custom_id of the right answer on a posted quiz question."""
    return option_button(message, right=True)


def option_button(message: dict[str, Any], *, right: bool) -> str:
    """The custom_id of the right (or a wrong) option on a posted quiz question, found in the
    shipped question bank by the question's text and the button's (maybe clipped) label:
    options are shuffled, so a letter says nothing."""
    text = seen_text(message)
    question = next(q for q in load_files((DEFAULT_DIR / "quiz").glob("*.yaml"))
                    if q.prompt in text)
    wanted = [o.text for o in question.options if o.correct == right]
    for row in message["components"]:
        for button in row["components"]:
            shown = button["label"].split(") ", 1)[1]
            if any(w == shown or (shown.endswith("…") and w.startswith(shown[:-1]))
                   for w in wanted):
                return str(button["custom_id"])
    raise AssertionError(f"no {'right' if right else 'wrong'} option on {text!r}")
