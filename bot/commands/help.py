"""/help: every command with an example, generated from the registry for the asking platform."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.models import Request, Response, Section, Visibility
from bot.registry import CommandSpec

if TYPE_CHECKING:
    from bot.core import Core


async def handle(request: Request, core: Core) -> Response:
    platform = request.platform
    sections = []
    renamed = []
    for spec in core.registry.commands():
        shown = spec.name_on(platform)
        if shown != spec.name:
            renamed.append(f"/{spec.name} is /{shown} here ({platform} reserves /{spec.name}).")
        example = spec.example.replace(f"/{spec.name}", f"/{shown}", 1)
        lines = [spec.description, *(f"• {sub.name}: {sub.description}"
                                     for sub in spec.subcommands)]
        # The example heads the entry: it names the command and shows it in use.
        sections.append(Section("\n".join(lines), heading=example))
    footer = " ".join([*renamed, "Options go as name:value; quotes keep spaces together."])
    return Response(
        title="framework-coach commands",
        sections=tuple(sections),
        footer=footer,
        visibility=Visibility.PRIVATE,
    )


COMMAND = CommandSpec(
    name="help",
    description="Every command, with an example",
    example="/help",
    handler=handle,
    pure=True,
    order=90,
    platform_names={"slack": "fc-help"},
)
