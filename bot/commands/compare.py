"""/compare: two frameworks side by side, row by row."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands._shared import framework_choices, recommender, unknown_value
from bot.models import Button, FieldItem, Request, Response, Section, error
from bot.recommend import UnknownValue
from bot.registry import CommandSpec, OptionSpec
from knowledge.schema import Framework

if TYPE_CHECKING:
    from bot.core import Core


def _rows(fw: Framework, core: Core) -> list[tuple[str, str]]:
    roles = [core.knowledge.roles[r].name for r in fw.typical_roles if r in core.knowledge.roles]
    return [
        ("Maker", f"{fw.maker}, {fw.year}"),
        ("Learning curve", fw.learning_curve),
        ("Key features", "; ".join(fw.key_features[:3])),
        ("Best at", "; ".join(fw.pros[:2])),
        ("Watch out for", "; ".join(fw.cons[:2])),
        ("Deployment", fw.deployment),
        ("Community", fw.community),
        ("Typical roles", ", ".join(roles[:4])),
    ]


async def handle(request: Request, core: Core) -> Response:
    rec = recommender(core)
    picked: list[Framework] = []
    for option in ("a", "b"):
        fw = rec.resolve_framework(option, request.option(option) or "")
        if isinstance(fw, UnknownValue):
            other = "b" if option == "a" else "a"
            return unknown_value(
                fw, f"/compare {option}:{{value}} {other}:{request.option(other) or 'tensorflow'}"
            )
        picked.append(fw)
    a, b = picked
    if a.id == b.id:
        return error(
            "Pick two different frameworks",
            f"Both options name {a.name}.",
            f"/compare a:{a.id} b:{'tensorflow' if a.id != 'tensorflow' else 'pytorch'}",
        )
    fields = []
    for (label, left), (_, right) in zip(_rows(a, core), _rows(b, core), strict=True):
        fields.append(FieldItem(f"{a.name} · {label}", left))
        fields.append(FieldItem(f"{b.name} · {label}", right))
    return Response(
        title=f"{a.name} vs {b.name}",
        sections=(Section(f"{a.name}: {a.summary}\n{b.name}: {b.summary}"),),
        fields=tuple(fields),
        buttons=(
            Button(f"run:/about name:{a.id}", f"About {a.name}"),
            Button(f"run:/about name:{b.id}", f"About {b.name}"),
        ),
        footer="Sources: " + "; ".join(core.knowledge.source_titles([*a.sources, *b.sources])),
        accent=a.id,
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
    ),
    positional=("a", "b"),
    pure=True,
    order=30,
)
