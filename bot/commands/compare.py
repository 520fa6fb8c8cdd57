"""/compare: two frameworks side by side, attribute by attribute, what decides first.

The table holds short values (each framework's ``glance``) so a row reads at a glance on
every platform; the long forms are one press away (``show:details``, the profiles, the
sources).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.commands._shared import bullets, framework_choices, recommender, unknown_value
from bot.commands.sources import cite
from bot.models import Button, Request, Response, Section, Table, TableRow, error
from bot.recommend import UnknownValue
from bot.registry import CommandSpec, OptionSpec
from knowledge.schema import GLANCE_CHARS, Framework

if TYPE_CHECKING:
    from bot.core import Core

ROLES_SHOWN = 2
VIEWS = (("table", "Side by side (short)"), ("details", "Full text"))


def _short(text: str) -> str:
    """A long knowledge text cut to a row's length at a word (for entries without a glance)."""
    first = text.split(". ")[0].rstrip(".")
    if len(first) <= GLANCE_CHARS:
        return first
    return first[: GLANCE_CHARS - 1].rsplit(" ", 1)[0] + "…"


def _row_values(fw: Framework, core: Core) -> list[tuple[str, str]]:
    """Attribute and short value, what most decides between two frameworks first."""
    roles = [core.knowledge.roles[r].name for r in fw.typical_roles if r in core.knowledge.roles]
    g = fw.glance
    return [
        ("Best for", g.best_for if g else _short(fw.pros[0])),
        ("Learning curve", fw.learning_curve),
        ("Watch out for", g.watch_out if g else _short(fw.cons[0])),
        ("Deployment", g.deployment if g else _short(fw.deployment)),
        ("Downloads", g.usage if g else _short(fw.community)),
        ("Released", f"{fw.year} by {g.maker if g else _short(fw.maker)}"),
        ("Typical roles", ", ".join(roles[:ROLES_SHOWN])),
    ]


def table(a: Framework, b: Framework, core: Core) -> Table:
    rows = [
        TableRow(label, (left, right))
        for (label, left), (_, right) in zip(_row_values(a, core), _row_values(b, core),
                                             strict=True)
    ]
    return Table(columns=(a.name, b.name), rows=tuple(rows))


def _long(label: str, pairs: Sequence[tuple[str, str]]) -> Section:
    return Section("\n".join(f"{name}: {text}" for name, text in pairs), heading=label)


def _lists(label: str, pairs: Sequence[tuple[str, Sequence[str]]]) -> Section:
    return Section("\n".join(f"{name}:\n{bullets(items)}" for name, items in pairs),
                   heading=label)


def details(a: Framework, b: Framework) -> tuple[Section, ...]:
    """The long form of every row, one attribute at a time, both frameworks together."""
    return (
        _long("What it is", [(a.name, a.summary), (b.name, b.summary)]),
        _lists("Key features", [(a.name, a.key_features), (b.name, b.key_features)]),
        _lists("Pros", [(a.name, a.pros), (b.name, b.pros)]),
        _lists("Cons", [(a.name, a.cons), (b.name, b.cons)]),
        _long("Learning curve", [(a.name, f"{a.learning_curve}. {a.learning_notes}"),
                                 (b.name, f"{b.learning_curve}. {b.learning_notes}")]),
        _long("Deployment", [(a.name, a.deployment), (b.name, b.deployment)]),
        _long("Community", [(a.name, a.community), (b.name, b.community)]),
    )


async def handle(request: Request, core: Core) -> Response:
    rec = recommender(core)
    picked: list[Framework] = []
    for option in ("a", "b"):
        fw = rec.resolve_framework("framework", request.option(option) or "")
        if isinstance(fw, UnknownValue):
            other = "b" if option == "a" else "a"
            typed = request.option(other) or "tensorflow"
            known = rec.resolve_framework(other, typed)
            # Never suggest comparing the other framework with itself.
            fw = replace(fw, suggestions=tuple(
                s for s in fw.suggestions if isinstance(known, UnknownValue) or s != known.id))
            pair = {option: "{value}", other: typed}
            return unknown_value(fw, f"/compare a:{pair['a']} b:{pair['b']}")
        picked.append(fw)
    a, b = picked
    if a.id == b.id:
        return error(
            "Pick two different frameworks",
            f"Both options name {a.name}.",
            f"/compare a:{a.id} b:{'tensorflow' if a.id != 'tensorflow' else 'pytorch'}",
        )
    view = (request.option("show") or "table").strip().lower()
    if view not in dict(VIEWS):
        return error("Unknown view", f"show:{view} is not one of: "
                     + ", ".join(v for v, _ in VIEWS) + ".", f"/compare a:{a.id} b:{b.id} "
                     "show:details")
    command = f"/compare a:{a.id} b:{b.id}"
    ids = [*a.sources, *b.sources]
    footer, sources_button = cite(core, ids, command)
    about = (Button(f"run:/about name:{a.id}", f"About {a.name}"),
             Button(f"run:/about name:{b.id}", f"About {b.name}"))
    if view == "details":
        return Response(
            title=f"{a.name} vs {b.name}: the full text",
            sections=details(a, b),
            buttons=(Button(f"run:{command}", "Side by side"), *about, sources_button),
            footer=footer,
            accent=a.id,
            sources=tuple(ids),
        )
    return Response(
        title=f"{a.name} vs {b.name}",
        table=table(a, b, core),
        buttons=(*about, Button(f"run:{command} show:details", "Full text"), sources_button),
        footer=footer,
        accent=a.id,
        sources=tuple(ids),
    )


COMMAND = CommandSpec(
    name="compare",
    description="Two frameworks side by side",
    example="/compare a:pytorch b:tensorflow",
    handler=handle,
    options=(
        OptionSpec("a", "The first framework", required=True, choices=framework_choices,
                   example="pytorch"),
        OptionSpec("b", "The second framework", required=True, choices=framework_choices,
                   example="tensorflow"),
        OptionSpec("show", "Side by side (default) or the full text",
                   choices=lambda core: VIEWS, example="details"),
    ),
    positional=("a", "b"),
    pure=True,
    order=30,
)
