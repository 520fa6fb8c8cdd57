"""/framework: which framework(s) to learn for a role, tailored by experience, region, goal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands._shared import (
    bullets,
    correction_lines,
    dimension_choices,
    numbered,
    recommender,
    unknown_value,
)
from bot.models import Button, ButtonStyle, FieldItem, Request, Response, Section, Visibility
from bot.recommend import Recommendation, UnknownValue
from bot.registry import CommandSpec, OptionSpec

if TYPE_CHECKING:
    from bot.core import Core

MAX_UPDATES = 4


async def handle(request: Request, core: Core) -> Response:
    rec = recommender(core)
    role_text = request.option("role")
    if not role_text:
        return role_menu(core)
    role = rec.resolve_role(role_text)
    if isinstance(role, UnknownValue):
        return unknown_value(role, "/framework role:{value}")
    applied = rec.resolve_modifiers(request.options)
    if isinstance(applied, UnknownValue):
        return unknown_value(applied, f"/framework role:{role.id} {applied.option}:{{value}}")
    return render(core, rec.recommend(role, applied))


def role_menu(core: Core) -> Response:
    """The roles, grouped, each with its one-line hint: where a newcomer starts."""
    knowledge = core.knowledge
    sections = []
    for group in knowledge.groups.values():
        roles = [r for r in knowledge.roles.values() if r.group == group.id]
        if roles:
            lines = bullets([f"{r.id}: {r.hint}" for r in roles])
            sections.append(Section(lines, heading=group.title))
    dims = " ".join(
        f"{d.id}:{'|'.join(o.id for o in d.options)}" for d in knowledge.dimensions.values()
    )
    sections.append(Section(f"Add any of {dims}", heading="Tailor the answer"))
    return Response(
        title="Which framework should you learn? Pick your role",
        sections=tuple(sections),
        footer="Example: /framework role:data-scientist experience:beginner goal:enterprise",
        visibility=Visibility.PRIVATE,
    )


def render(core: Core, rec: Recommendation) -> Response:
    role = rec.role
    names = " + ".join(p.framework.name for p in rec.picks)
    sections = [Section(rec.primary.why, heading=f"Main pick: {rec.primary.framework.name}")]
    sections += [Section(p.why, heading=f"Also learn: {p.framework.name}") for p in rec.secondary]
    if rec.applied:
        reasons = [f"{a.dimension.title} ({a.option.name}): {a.option.reason}" for a in rec.applied]
        sections.append(
            Section(bullets([*rec.changes, *reasons]), heading="How your options shape this")
        )
    sections.append(Section(numbered(rec.learning_path), heading="Learning path"))
    if role.pair_with:
        sections.append(Section(", ".join(role.pair_with), heading="Pair it with"))
    sections.append(Section(role.market_note, heading="Job market"))
    if rec.updates:
        sections.append(
            Section(correction_lines(rec.updates[:MAX_UPDATES]), heading="Since the article")
        )
    fields = [FieldItem("Main pick", rec.primary.framework.name)]
    if rec.secondary:
        fields.append(FieldItem("Also learn", ", ".join(p.framework.name for p in rec.secondary)))
    fields.append(FieldItem("Learning curve", rec.primary.framework.learning_curve))
    fields.append(
        FieldItem("Based on", "the career article" if role.basis == "article" else "cited sources")
    )
    buttons = [
        Button(f"run:/about name:{p.framework.id}", f"About {p.framework.name}") for p in rec.picks
    ]
    if rec.secondary:
        a, b = rec.primary.framework, rec.secondary[0].framework
        buttons.append(
            Button(f"run:/compare a:{a.id} b:{b.id}", f"Compare {a.name} and {b.name}",
                   ButtonStyle.PRIMARY)
        )
    sources = "; ".join(core.knowledge.source_titles(rec.sources))
    return Response(
        title=f"{role.name}: {names}",
        sections=tuple(sections),
        fields=tuple(fields),
        buttons=tuple(buttons),
        footer=f"Sources: {sources}",
        accent=rec.primary.framework.id,
    )


def complete_role(core: Core, partial: str) -> list[tuple[str, str]]:
    """Role suggestions as the user types: aliases and typos count, 25 at most."""
    roles = core.knowledge.roles
    return [(rid, roles[rid].name) for rid in recommender(core).roles.complete(partial, 25)]


COMMAND = CommandSpec(
    name="framework",
    description="Which framework(s) to learn for a job role, and why",
    example="/framework role:ml-engineer experience:beginner",
    handler=handle,
    options=(
        OptionSpec("role", "Your target job role (e.g. ml-engineer, data scientist)",
                   autocomplete=complete_role, example="ml-engineer"),
        OptionSpec("experience", "How much deep-learning experience you have",
                   choices=dimension_choices("experience"), example="beginner"),
        OptionSpec("region", "Where you are looking for work",
                   choices=dimension_choices("region"), example="europe"),
        OptionSpec("goal", "What you want the skills for",
                   choices=dimension_choices("goal"), example="research"),
    ),
    positional=("role",),
    pure=True,
    order=10,
)
