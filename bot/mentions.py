"""Neutralise mass and role pings in any text the bot repeats.

Adapters also tell their platform not to ping (Discord ``allowed_mentions``, Slack escaping),
but the core strips the syntax as well, so a forgotten flag in one adapter cannot turn a
user's "@everyone" into a ping for a whole server.
"""

from __future__ import annotations

import re

_ZWSP = "\u200b"

# @everyone / @here (Discord, plain text), Slack's <!channel>, <!here>, <!everyone>,
# <!subteam^ID>, and Discord's <@&role> / <@user> mention tokens.
_MASS = re.compile(r"@(everyone|here|channel)\b", re.IGNORECASE)
_ANGLE = re.compile(r"<([!@#])")


def neutralise(text: str) -> str:
    """Return ``text`` with every mention token broken by a zero-width space.

    The text still reads the same to people; platforms no longer parse it as a mention.
    """
    if not text or ("@" not in text and "<" not in text):
        return text
    text = _MASS.sub(lambda m: "@" + _ZWSP + m.group(1), text)
    return _ANGLE.sub(lambda m: "<" + _ZWSP + m.group(1), text)
