"""/about: one framework's profile, from maker to deployment story."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands._shared import (
    bullets,
    correction_lines,
    framework_choices,
    recommender,
    unknown_value,
)
from bot.models import Button, FieldItem, Request, Response, Section
from bot.recommend import UnknownValue
from bot.registry import CommandSpec, OptionSpec

if TYPE_CHECKING:
    from bot.core import Core


async def handle(request: Request, core: Core) -> Response:
    name = request.option("name") or ""
    fw = recommender(core).resolve_framework("framework", name)
    if isinstance(fw, UnknownValue):
        return unknown_value(fw, "/about name:{value}")
    roles = [core.knowledge.roles[r].name for r in fw.typical_roles if r in core.knowledge.roles]
    sections = [
        Section(fw.summary),
        Section(bullets(fw.key_features), heading="Key features"),
        Section(bullets(fw.pros), heading="Pros"),
        Section(bullets(fw.cons), heading="Cons"),
        Section(f"{fw.learning_curve.capitalize()}. {fw.learning_notes}", heading="Learning curve"),
        Section(fw.community, heading="Community"),
        Section(fw.deployment, heading="Deployment"),
    ]
    if fw.updates:
        sections.append(Section(correction_lines(fw.updates), heading="Since the article"))
    sections.append(Section(", ".join(roles), heading="Typical roles"))
    sections.append(Section(bullets([f"{link.label}: {link.url}" for link in fw.links]),
                            heading="Official links"))
    others = [f for f in core.knowledge.frameworks.values() if f.id != fw.id]
    return Response(
        title=f"{fw.name} — {fw.maker}, {fw.year}",
        sections=tuple(sections),
        fields=(
            FieldItem("Maker", fw.maker),
            FieldItem("First released", str(fw.year)),
            FieldItem("Learning curve", fw.learning_curve),
            FieldItem("Install", f"pip install {fw.pypi_package}"),
        ),
        buttons=tuple(
            Button(f"run:/compare a:{fw.id} b:{o.id}", f"Compare with {o.name}") for o in others
        ),
        footer="Sources: " + "; ".join(core.knowledge.source_titles(fw.sources)),
        accent=fw.id,
    )


COMMAND = CommandSpec(
    name="about",
    description="A framework's profile: maker, features, pros and cons, learning curve",
    example="/about name:pytorch",
    handler=handle,
    options=(
        OptionSpec("name", "The framework", required=True, choices=framework_choices,
                   example="pytorch"),
    ),
    positional=("name",),
    pure=True,
    order=20,
)
