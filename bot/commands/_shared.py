"""Helpers the knowledge commands share: choices, the recommender, and common replies."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from bot.models import Button, Request, Response, Section, Visibility, user_text
from bot.recommend import Recommender, UnknownValue
from knowledge.schema import Update

if TYPE_CHECKING:
    from bot.core import Core


def recommender(core: Core) -> Recommender:
    """One recommender per core: its matchers are built once from the knowledge."""
    found = core.services.get("recommender")
    if not isinstance(found, Recommender) or found.knowledge is not core.knowledge:
        found = core.services["recommender"] = Recommender(core.knowledge)
    return found


def framework_choices(core: Core) -> Sequence[tuple[str, str]]:
    return [(f.id, f.name) for f in core.knowledge.frameworks.values()]


def dimension_choices(dimension: str):  # noqa: ANN201 - returns a ChoiceSource
    def choices(core: Core) -> Sequence[tuple[str, str]]:
        dim = core.knowledge.dimensions.get(dimension)
        return [(o.id, o.name) for o in dim.options] if dim else []

    return choices


def unknown_value(unknown: UnknownValue, command_for: str) -> Response:
    """'I don't know X' plus the closest real values as ready-to-copy commands and buttons.

    ``command_for`` is a template with ``{value}``, e.g. "/framework role:{value}".
    """
    commands = [command_for.format(value=s) for s in unknown.suggestions[:3]]
    value = user_text(unknown.value)
    body = (
        f"'{value}' is not a {unknown.option} I know. Closest matches:"
        if commands
        else f"'{value}' is not a {unknown.option} I know."
    )
    # A suggested command may carry another option as typed (/compare's other framework).
    lines = "\n".join(f"• {user_text(c, 200)}" for c in commands)
    return Response(
        title=f"Unknown {unknown.option}: {value}",
        sections=(Section(f"{body}\n{lines}".strip()),),
        buttons=tuple(
            Button(f"run:{c}", s) for c, s in zip(commands, unknown.suggestions, strict=False)
        ),
        footer="Copy one of the commands above, or press its button.",
        visibility=Visibility.PRIVATE,
        is_error=True,
    )


def correction_lines(updates: Sequence[Update]) -> str:
    """Where the article is out of date: today's fact, its date, and the article's claim."""
    return bullets([
        f"{u.now} (as of {u.as_of.isoformat()}; the article said: {u.article_says})"
        for u in updates
    ])


def bullets(items: Sequence[str]) -> str:
    return "\n".join(f"• {item}" for item in items)


def numbered(items: Sequence[str]) -> str:
    return "\n".join(f"{i}. {item}" for i, item in enumerate(items, 1))


Handler = Callable[..., Awaitable[Response]]


def with_service(name: str, unavailable: Callable[[], Response]) -> Callable[[Handler], Handler]:
    """A command handler that also receives ``core.services[name]``, or answers
    ``unavailable()`` where this process runs without it (``ask`` has no data directory)."""

    def wrap(fn: Handler) -> Handler:
        @functools.wraps(fn)
        async def handler(request: Request, core: Core) -> Response:
            service: Any = core.services.get(name)
            return await fn(request, core, service) if service is not None else unavailable()

        return handler

    return wrap
