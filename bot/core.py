"""The core: one entry point for every adapter, from raw text or a bound request to a response.

It owns the command registry, the knowledge and the injected clock, and enforces what must
hold on every platform: bad input becomes a clear private answer, a failing command never
leaks a traceback, manager-only commands are refused to others, and no text can ping.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.clock import Clock, SystemClock
from bot.logs import log_context
from bot.mentions import neutralise
from bot.models import Context, Request, Response, error
from bot.parser import ParseError, parse
from bot.registry import CommandSpec, Registry, discover, discover_buttons
from bot.storage import StorageUnavailable
from knowledge.loader import Knowledge

log = logging.getLogger("framework_coach.core")

ButtonHandler = Callable[[str, Context, "Core"], Awaitable[Response]]
RUN_PREFIX = "run:"


@dataclass
class Core:
    """Everything a command handler may use, and the dispatch that calls it."""

    knowledge: Knowledge
    clock: Clock = field(default_factory=SystemClock)
    registry: Registry = field(default_factory=lambda: Registry(discover()))
    services: dict[str, Any] = field(default_factory=dict)
    button_handlers: dict[str, ButtonHandler] = field(default_factory=discover_buttons)
    cache_size: int = 1024
    _answers: OrderedDict[tuple[Any, ...], Response] = field(
        default_factory=OrderedDict, init=False, repr=False
    )
    _typed: OrderedDict[tuple[str, str], Response] = field(
        default_factory=OrderedDict, init=False, repr=False
    )

    async def handle_text(self, text: str, context: Context) -> Response:
        """Console and Slack entry point: parse, bind, dispatch.

        A text that named a ``pure`` command is remembered as typed, so a repeat skips the
        parse and the fuzzy matching too (half the core's cost of a cached answer)."""
        typed = (context.platform, text)
        cached = self._typed.get(typed)
        if cached is not None:
            self._typed.move_to_end(typed)
            return cached
        parsed = parse(text)
        if isinstance(parsed, ParseError):
            return self._finish(_parse_error(parsed))
        bound = self.registry.bind(parsed, context)
        if isinstance(bound, ParseError):
            return self._finish(_parse_error(bound))
        response = await self.handle(bound)
        if self._pure(bound):
            self._keep(self._typed, typed, response)
        return response

    async def handle(self, request: Request) -> Response:
        """Entry point for adapters that receive options already split (Discord).

        Answers of ``pure`` commands (knowledge lookups: the same options always give the
        same answer) are kept in a bounded LRU, so a busy channel costs one lookup each."""
        spec = self.registry.get(request.command)
        if spec is None:
            return self._finish(error("Unknown command", f"/{request.command} does not exist."))
        target = spec.subcommand(request.subcommand) if request.subcommand else spec
        if target is None or target.handler is None:
            return self._finish(
                error("Unknown command", f"/{request.command} {request.subcommand} does not exist.")
            )
        if (spec.manager_only or target.manager_only) and not request.context.is_manager:
            return self._finish(
                error(
                    "Only channel managers can do that",
                    f"/{spec.name_on(request.platform)} {target.name if target is not spec else ''}"
                    .strip()
                    + " changes the channel for everyone, so it is limited to people who "
                    "manage this channel.",
                )
            )
        if not target.pure:
            return await self._run(target, request)
        key = (request.platform, spec.name, target.name, tuple(sorted(request.options.items())))
        cached = self._answers.get(key)
        if cached is None:
            cached = await self._run(target, request)
            self._keep(self._answers, key, cached)
        else:
            self._answers.move_to_end(key)
        return cached

    def _pure(self, request: Request) -> bool:
        spec = self.registry.get(request.command)
        target = spec.subcommand(request.subcommand) if spec and request.subcommand else spec
        return target is not None and target.pure

    def _keep(self, cache: OrderedDict[Any, Response], key: Any, response: Response) -> None:
        """Remember an answer in a bounded LRU (``cache_size`` entries)."""
        cache[key] = response
        while len(cache) > self.cache_size:
            cache.popitem(last=False)

    async def press(self, button_id: str, context: Context) -> Response:
        """A button was clicked: route its id to the command or feature that made it."""
        if button_id.startswith(RUN_PREFIX):
            return await self.handle_text(button_id[len(RUN_PREFIX) :], context)
        prefix = button_id.split(":", 1)[0]
        handler = self.button_handlers.get(prefix)
        if handler is None:
            return self._finish(
                error("That button has expired", "It belongs to something that has ended.")
            )
        with log_context(platform=context.platform, tenant=context.tenant_id,
                         channel=context.channel_id, command=f"button {prefix}",
                         user=context.user_id):
            try:
                return self._finish(await handler(button_id, context, self))
            except StorageUnavailable as exc:
                log.warning("button %s: %s", prefix, exc)
                return self._finish(_try_again())
            except Exception:
                log.exception("button %s failed", prefix)
                return self._finish(_internal_error())

    def colour(self, accent: str | None) -> str | None:
        """The hex colour for a response's accent (a framework id), for adapters that tint."""
        fw = self.knowledge.frameworks.get(accent) if accent else None
        return fw.colour if fw else None

    def choices(self, spec: CommandSpec, option: str) -> Sequence[tuple[str, str]]:
        opt = spec.option(option)
        return opt.choices(self) if opt and opt.choices else ()

    def complete(self, spec: CommandSpec, option: str, partial: str) -> Sequence[tuple[str, str]]:
        """As-you-type suggestions for an option (Discord autocomplete, console tab)."""
        opt = spec.option(option)
        if opt is None:
            return ()
        if opt.autocomplete:
            return opt.autocomplete(self, partial)[:25]
        return [c for c in self.choices(spec, option) if partial.lower() in c[1].lower()][:25]

    async def _run(self, spec: CommandSpec, request: Request) -> Response:
        assert spec.handler is not None
        command = f"{request.command} {request.subcommand or ''}".strip()
        with log_context(platform=request.platform, tenant=request.tenant_id,
                         channel=request.channel_id, command=command, user=request.user_id):
            try:
                response = await spec.handler(request, self)
            except StorageUnavailable as exc:
                log.warning("command /%s: %s", command, exc)
                response = _try_again()
            except Exception:
                log.exception("command /%s failed", command)
                response = _internal_error()
        return self._finish(response)

    @staticmethod
    def _finish(response: Response) -> Response:
        return response.map_text(neutralise)


def _parse_error(problem: ParseError) -> Response:
    return error("I could not read that command", problem.message, problem.example)


def _try_again() -> Response:
    return error("Please try again in a moment",
                 "Storage could not be reached just now, so this was not done.")


def _internal_error() -> Response:
    return error(
        "Something went wrong on our side",
        "The problem has been logged. Please try again, or try another command.",
    )
