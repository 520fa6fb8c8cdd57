"""Turn command text ("/framework role:ml-engineer") into a ``ParsedCommand``.

This is the one text grammar the console and Slack share (Discord delivers options already
split). It only tokenises; whether a command or option exists is the registry's business.

Grammar, forgiving the way people type:
    /name [sub] [key:value | key=value | key:"quoted value" | positional words]...
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_INPUT = 70_000  # room for a pasted /quiz import; the importer has its own limits

_OPTION = re.compile(r"^([A-Za-z][A-Za-z0-9_-]{0,31})[:=](.*)$", re.DOTALL)
_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019"}


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    """A tokenised command. ``after[i]`` is the option key that ``words[i]`` followed, if any,
    so "role:ml eng" can be read as one value when no other option wants the word."""

    name: str
    words: tuple[str, ...] = ()
    options: tuple[tuple[str, str], ...] = ()
    after: tuple[str | None, ...] = ()


@dataclass(frozen=True, slots=True)
class ParseError:
    """Why the text is not a command, and an example of what would be."""

    message: str
    example: str = "/framework role:ml-engineer experience:beginner"
    suggestions: tuple[str, ...] = field(default=())


def _tokens(text: str) -> list[str] | ParseError:
    """Split on whitespace, keeping quoted runs (also inside ``key:"a b"``) together."""
    tokens: list[str] = []
    current: list[str] = []
    in_token = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in _QUOTES:
            close = _QUOTES[ch]
            end = text.find(close, i + 1)
            if end == -1:
                return ParseError(
                    f"A quote ({ch}) is opened but never closed.",
                    example='/framework role:"ml engineer"',
                )
            current.append(text[i + 1 : end])
            in_token = True
            i = end + 1
            continue
        if ch.isspace():
            if in_token:
                tokens.append("".join(current))
                current, in_token = [], False
        else:
            current.append(ch)
            in_token = True
        i += 1
    if in_token:
        tokens.append("".join(current))
    return tokens


def parse(text: str) -> ParsedCommand | ParseError:
    """Parse one line of command text. Never raises: bad input becomes a ``ParseError``."""
    if not isinstance(text, str):
        return ParseError("A command must be text.")
    text = text.strip()
    if not text:
        return ParseError("There is no command here. Commands start with '/'.", example="/help")
    if len(text) > MAX_INPUT:
        return ParseError(f"That command is too long (over {MAX_INPUT} characters).")
    if not text.startswith("/"):
        return ParseError(
            "Commands start with '/'. Type /help to see them all.", example="/help"
        )
    tokens = _tokens(text[1:])
    if isinstance(tokens, ParseError):
        return tokens
    if not tokens or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", tokens[0]):
        return ParseError("A command name follows the '/', like /framework.", example="/help")
    name, rest = tokens[0].lower(), tokens[1:]
    words: list[str] = []
    after: list[str | None] = []
    options: list[tuple[str, str]] = []
    for token in rest:
        match = _OPTION.match(token)
        if match and not token.startswith(("http://", "https://")):
            key = match.group(1).lower().replace("-", "_")
            # An empty value may be followed by its words ("role: ml engineer"); the
            # registry refuses one that stays empty, with a real example.
            options.append((key, match.group(2).strip()))
        elif token:
            words.append(token)
            after.append(options[-1][0] if options else None)
    return ParsedCommand(name, tuple(words), tuple(options), tuple(after))
