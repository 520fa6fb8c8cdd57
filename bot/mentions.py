"""Neutralise what people typed in any text the bot repeats.

``neutralise`` breaks mass and role pings everywhere. Adapters also tell their platform not
to ping (Discord ``allowed_mentions``, Slack escaping), but the core strips the syntax as
well, so a forgotten flag in one adapter cannot turn a user's "@everyone" into a ping for a
whole server.

``inert`` cleans one piece of a person's text before it is marked as theirs
(``bot.models.user_text``): invisible format characters (bidi overrides, zero-width joiners),
control characters and line breaks go, and the length is capped, so a name cannot reorder,
hide or flood what the bot says around it. Markup is the adapters' job: each escapes
marked text for its own platform.
"""

from __future__ import annotations

import re
import unicodedata

_ZWSP = "\u200b"

# @everyone / @here (Discord, plain text), Slack's <!channel>, <!here>, <!everyone>,
# <!subteam^ID>, and Discord's <@&role> / <@user> mention tokens.
_MASS = re.compile(r"@(everyone|here|channel)\b", re.IGNORECASE)
_ANGLE = re.compile(r"<([!@#])")

# The two characters that mark people's text inside the core's strings (bot.models). A
# person's own copy of them is dropped, so nobody can open or close a span of their own.
MARKERS = "\ufdd0\ufdd1"
ELLIPSIS = "…"
_DROP = frozenset(("Cc", "Cf", "Cs"))  # controls, invisible format characters, surrogates
_BREAKS = frozenset(("Zl", "Zp"))  # U+2028 line and U+2029 paragraph separators
_SPACES = re.compile(r"[ \t]+")


def neutralise(text: str) -> str:
    """Return ``text`` with every mention token broken by a zero-width space.

    The text still reads the same to people; platforms no longer parse it as a mention.
    """
    if not text or ("@" not in text and "<" not in text):
        return text
    text = _MASS.sub(lambda m: "@" + _ZWSP + m.group(1), text)
    return _ANGLE.sub(lambda m: "<" + _ZWSP + m.group(1), text)


def inert(text: str, limit: int, *, multiline: bool = False) -> str:
    """``text`` as plain visible characters, at most ``limit`` long (ellipsis when cut).

    Whitespace of any kind becomes one space, except line breaks where ``multiline`` (an
    imported question's prompt keeps its lines).
    """
    if not (text.isascii() and text.isprintable()):
        text = "".join(_visible(ch, multiline) for ch in text.replace("\r\n", "\n"))
    if multiline:
        lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    else:
        text = " ".join(text.split())
    if len(text) > limit:
        text = text[: max(0, limit - len(ELLIPSIS))].rstrip() + ELLIPSIS
    return text


def _visible(ch: str, multiline: bool) -> str:
    if ch in MARKERS:
        return ""
    category = unicodedata.category(ch)
    if ch == "\n" or category in _BREAKS:
        return "\n" if multiline else " "
    if ch.isspace():  # tabs, vertical tabs, no-break and other spaces read as a space
        return " "
    return "" if category in _DROP else ch
