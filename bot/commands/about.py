"""/about: one framework's profile. The essentials on one screen (what it is, its features,
pros and cons); the longer prose (learning, community, deployment, what changed since the
article, links) one press away with ``show:details``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands._shared import (
    bullets,
    correction_lines,
    framework_choices,
    recommender,
    unknown_value,
)
from bot.commands.sources import cite
from bot.models import Button, ButtonStyle, FieldItem, Request, Response, Section, error
from bot.recommend import UnknownValue
from bot.registry import CommandSpec, OptionSpec
from knowledge.schema import Framework

if TYPE_CHECKING:
    from bot.core import Core

VIEWS = (("essentials", "The essentials"), ("details", "Learning, community, deployment, links"))


def essentials(fw: Framework) -> tuple[tuple[Section, ...], tuple[FieldItem, ...]]:
    sections = (
        Section(fw.summary),
        Section(bullets(fw.key_features), heading="Key features"),
        Section(bullets(fw.pros), heading="Pros"),
        Section(bullets(fw.cons), heading="Cons"),
    )
    maker = fw.glance.maker if fw.glance else fw.maker
    fields = (
        FieldItem("Released", f"{fw.year} by {maker}"),
        FieldItem("Learning curve", fw.learning_curve),
        FieldItem("Install", f"pip install {fw.pypi_package}"),
    )
    return sections, fields


def details(fw: Framework, core: Core) -> tuple[Section, ...]:
    roles = [core.knowledge.roles[r].name for r in fw.typical_roles if r in core.knowledge.roles]
    sections = [
        Section(f"{fw.maker}; first released in {fw.year}.", heading="Made by"),
        Section(f"{fw.learning_curve.capitalize()}. {fw.learning_notes}",
                heading="Learning curve"),
        Section(fw.community, heading="Community"),
        Section(fw.deployment, heading="Deployment"),
    ]
    if fw.updates:
        sections.append(Section(correction_lines(fw.updates), heading="Since the article"))
    sections.append(Section(", ".join(roles), heading="Typical roles"))
    sections.append(Section(bullets([f"{link.label}: {link.url}" for link in fw.links]),
                            heading="Official links"))
    return tuple(sections)


async def handle(request: Request, core: Core) -> Response:
    name = request.option("name") or ""
    fw = recommender(core).resolve_framework("framework", name)
    if isinstance(fw, UnknownValue):
        return unknown_value(fw, "/about name:{value}")
    view = (request.option("show") or "essentials").strip().lower()
    if view not in dict(VIEWS):
        return error("Unknown view", f"show:{view} is not one of: "
                     + ", ".join(v for v, _ in VIEWS) + ".", f"/about name:{fw.id} show:details")
    command = f"/about name:{fw.id}"
    footer, sources_button = cite(core, fw.sources, command)
    if view == "details":
        return Response(
            title=f"{fw.name} in detail",
            sections=details(fw, core),
            buttons=(Button(f"run:{command}", "The essentials"), sources_button),
            footer=footer,
            accent=fw.id,
            sources=tuple(fw.sources),
        )
    others = [f for f in core.knowledge.frameworks.values() if f.id != fw.id]
    sections, fields = essentials(fw)
    return Response(
        title=fw.name,
        sections=sections,
        fields=fields,
        buttons=(
            Button(f"run:{command} show:details", "Details", ButtonStyle.PRIMARY),
            sources_button,
            *(Button(f"run:/compare a:{fw.id} b:{o.id}", f"vs {o.name}")
              for o in others),
        ),
        footer=footer,
        accent=fw.id,
        sources=tuple(fw.sources),
    )


COMMAND = CommandSpec(
    name="about",
    description="A framework's profile: maker, features, pros and cons, learning curve",
    example="/about name:pytorch",
    handler=handle,
    options=(
        OptionSpec("name", "The framework", required=True, choices=framework_choices,
                   example="pytorch"),
        OptionSpec("show", "The essentials (default) or the details",
                   choices=lambda core: VIEWS, example="details"),
    ),
    positional=("name",),
    pure=True,
    order=20,
)
