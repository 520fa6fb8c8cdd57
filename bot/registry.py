"""The command set, declared once for every platform.

Each command module under ``bot.commands`` exposes ``COMMAND: CommandSpec``; the registry
collects them, binds parsed text to a ``Request``, and gives adapters what they need to
declare the commands natively (Discord's option types and choices, Slack's command list,
``/help``). Adding a command is adding one module.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from bot.matching import Matcher, NoMatch
from bot.models import Context, Request, Response, user_text
from bot.parser import ParsedCommand, ParseError

if TYPE_CHECKING:
    from bot.core import Core

Handler = Callable[[Request, "Core"], Awaitable[Response]]
ChoiceSource = Callable[["Core"], Sequence[tuple[str, str]]]  # (value, label) pairs
Completer = Callable[["Core", str], Sequence[tuple[str, str]]]


@dataclass(frozen=True, slots=True)
class OptionSpec:
    name: str
    description: str
    required: bool = False
    choices: ChoiceSource | None = None  # a fixed set, offered as a menu where possible
    autocomplete: Completer | None = None  # a large set, completed as the user types
    example: str = ""


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One command or subcommand: its options, how plain words map onto them, who may run it.

    A command has either ``options`` with a ``handler``, or ``subcommands`` (Discord allows
    one or the other, so the whole command set follows that rule everywhere).
    """

    name: str
    description: str
    example: str
    handler: Handler | None = None
    options: tuple[OptionSpec, ...] = ()
    positional: tuple[str, ...] = ()  # plain words fill these options in order; the last is greedy
    subcommands: tuple[CommandSpec, ...] = ()
    default_subcommand: str | None = None
    manager_only: bool = False
    pure: bool = False  # the answer depends only on the options and platform: cacheable
    order: int = 100
    platform_names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if self.subcommands and (self.options or self.handler):
            raise ValueError(f"/{self.name}: a command has options or subcommands, not both")
        if not self.subcommands and self.handler is None:
            raise ValueError(f"/{self.name}: needs a handler")
        unknown = set(self.positional) - {o.name for o in self.options}
        if unknown:
            raise ValueError(f"/{self.name}: positional names unknown options {unknown}")

    def subcommand(self, name: str) -> CommandSpec | None:
        return next((s for s in self.subcommands if s.name == name), None)

    def option(self, name: str) -> OptionSpec | None:
        return next((o for o in self.options if o.name == name), None)

    def name_on(self, platform: str) -> str:
        """The name users type on ``platform`` (some platforms reserve names like /help)."""
        return self.platform_names.get(platform, self.name)


class Registry:
    """All commands by name, plus button handlers by id prefix."""

    def __init__(self, commands: Sequence[CommandSpec] = ()) -> None:
        self._commands: dict[str, CommandSpec] = {}
        for spec in commands:
            self.add(spec)

    def add(self, spec: CommandSpec) -> None:
        if spec.name in self._commands:
            raise ValueError(f"/{spec.name} is registered twice")
        self._commands[spec.name] = spec

    def get(self, name: str) -> CommandSpec | None:
        return self._commands.get(name)

    def commands(self) -> list[CommandSpec]:
        return sorted(self._commands.values(), key=lambda s: (s.order, s.name))

    def by_platform_name(self, platform: str, name: str) -> CommandSpec | None:
        """Find a command by the name a platform delivered (e.g. Slack's /fc-help)."""
        return next(
            (s for s in self._commands.values() if s.name_on(platform) == name),
            self._commands.get(name),
        )

    def bind(self, parsed: ParsedCommand, context: Context) -> Request | ParseError:
        """Check a parsed command against its spec and produce a ``Request``."""
        spec = self.by_platform_name(context.platform, parsed.name)
        if spec is None:
            return self._unknown_command(parsed.name, context.platform)
        words = list(parsed.words)
        sub: CommandSpec | None = None
        target = spec
        if spec.subcommands:
            if words and spec.subcommand(words[0].lower()):
                sub = spec.subcommand(words.pop(0).lower())
            elif not words and spec.default_subcommand:
                sub = spec.subcommand(spec.default_subcommand)
            else:
                return self._bad_subcommand(spec, words[0] if words else None, context.platform)
            assert sub is not None
            target = sub
        after = list(parsed.after[len(parsed.words) - len(words):]) or [None] * len(words)
        options = self._bind_options(target, spec, parsed.options, words, after,
                                     context.platform)
        if isinstance(options, ParseError):
            return options
        return Request(
            command=spec.name,
            subcommand=sub.name if sub else None,
            options=MappingProxyType(options),
            context=context,
        )

    def _bind_options(
        self,
        target: CommandSpec,
        parent: CommandSpec,
        given: Sequence[tuple[str, str]],
        words: list[str],
        after: list[str | None],
        platform: str,
    ) -> dict[str, str] | ParseError:
        shown = _display_name(parent, target, platform)
        known = [o.name for o in target.options]
        options: dict[str, str] = {}
        for key, value in given:
            if key not in known:
                hint = Matcher({k: () for k in known}).closest(key) if known else None
                did_you = f" Did you mean '{hint}'?" if hint else ""
                listed = ", ".join(known) if known else "none"
                return ParseError(
                    f"{shown} has no option '{user_text(key)}'.{did_you} Its options: {listed}.",
                    example=target.example,
                )
            if key in options:
                return ParseError(f"The option '{key}' is given twice.", example=target.example)
            options[key] = value
        if words:
            leftover = _fill_positionals(target, options, words)
            for word, key in zip(leftover, after, strict=False):
                # "role:ml eng": a word no positional wants continues the option before it.
                if key is None or key not in options:
                    return ParseError(
                        f"{shown} did not expect the words '{user_text(' '.join(leftover))}'.",
                        example=target.example,
                    )
                options[key] = f"{options[key]} {word}".strip()
        for key, value in options.items():
            if not value:
                option = target.option(key)
                example = target.example
                if f" {key}:" not in example and option and option.example:
                    example = f"{example} {key}:{option.example}"
                return ParseError(f"The option '{key}' has no value after the ':'.",
                                  example=example)
        missing = [o.name for o in target.options if o.required and o.name not in options]
        if missing:
            return ParseError(
                f"{shown} needs the option '{missing[0]}'.", example=target.example
            )
        return options

    def _unknown_command(self, name: str, platform: str) -> ParseError:
        names = {s.name_on(platform): () for s in self.commands()}
        guess = Matcher(names).resolve(name)
        suggestions = guess.suggestions if isinstance(guess, NoMatch) else (guess.key,)
        best = self.by_platform_name(platform, suggestions[0]) if suggestions else None
        listed = ", ".join(f"/{s}" for s in suggestions)
        return ParseError(
            f"There is no command /{user_text(name)}. Closest: {listed}. /help lists them all.",
            example=best.example if best else "/help",
            suggestions=suggestions,
        )

    def _bad_subcommand(self, spec: CommandSpec, word: str | None, platform: str) -> ParseError:
        names = " | ".join(s.name for s in spec.subcommands)
        shown = f"/{spec.name_on(platform)}"
        if word is None:
            return ParseError(f"{shown} needs one of: {names}.", example=spec.example)
        hint = Matcher({s.name: () for s in spec.subcommands}).closest(word)
        meant = spec.subcommand(hint) if hint else None
        did_you = f" Did you mean '{hint}'?" if meant else ""
        return ParseError(
            f"{shown} has no subcommand '{user_text(word)}'.{did_you} Choose one of: {names}.",
            example=meant.example if meant else spec.example,
        )


def _fill_positionals(target: CommandSpec, options: dict[str, str], words: list[str]) -> list[str]:
    """Put plain words into the positional options not given by name; return the rest.

    Every free positional but the last takes one word; the last takes all remaining words.
    """
    free = [p for p in target.positional if p not in options]
    if not free:
        return list(words)
    rest = list(words)
    for i, name in enumerate(free):
        chunk, rest = (rest, []) if i == len(free) - 1 else (rest[:1], rest[1:])
        if chunk:
            options[name] = " ".join(chunk)
    return []


def _display_name(parent: CommandSpec, target: CommandSpec, platform: str) -> str:
    base = f"/{parent.name_on(platform)}"
    return base if target is parent else f"{base} {target.name}"


def discover_buttons(package: str = "bot.commands") -> dict[str, Any]:
    """Button handlers by id prefix, from each command module's optional ``BUTTONS``."""
    handlers: dict[str, Any] = {}
    pkg = importlib.import_module(package)
    for info in pkgutil.iter_modules(pkg.__path__):
        if not info.name.startswith("_"):
            module = importlib.import_module(f"{package}.{info.name}")
            handlers.update(getattr(module, "BUTTONS", {}))
    return handlers


def discover(package: str = "bot.commands") -> list[CommandSpec]:
    """Every ``COMMAND`` defined by a module of ``package``: drop a module in to add one."""
    pkg = importlib.import_module(package)
    specs = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        spec = getattr(module, "COMMAND", None)
        if isinstance(spec, CommandSpec):
            specs.append(spec)
    return specs
