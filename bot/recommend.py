"""Which framework(s) to learn for a role, and how experience, region and goal shift that.

Scoring is deliberately simple so every answer can explain itself: the role's picks start
at 3 (primary), 2 and 1.5 (secondaries); each chosen modifier adds its weights. The highest
score is the main pick; others at 1.5 or more are also recommended. Every modifier's reason
is shown, and any change of ranking is spelled out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.matching import Match, Matcher, NoMatch
from knowledge.loader import Knowledge
from knowledge.schema import Dimension, Framework, ModifierOption, Role, Update

BASE_SCORES = (3.0, 2.0, 1.5)
SECONDARY_MIN = 1.5
MAX_SECONDARY = 2
DIMENSIONS = ("experience", "region", "goal")


@dataclass(frozen=True, slots=True)
class Ranked:
    framework: Framework
    score: float
    why: str


@dataclass(frozen=True, slots=True)
class Applied:
    dimension: Dimension
    option: ModifierOption


@dataclass(frozen=True)
class Recommendation:
    role: Role
    primary: Ranked
    secondary: tuple[Ranked, ...]
    applied: tuple[Applied, ...]
    changes: tuple[str, ...]
    learning_path: tuple[str, ...]
    updates: tuple[Update, ...]
    sources: tuple[str, ...]

    @property
    def picks(self) -> tuple[Ranked, ...]:
        return (self.primary, *self.secondary)


@dataclass(frozen=True, slots=True)
class UnknownValue:
    """A role or modifier value nobody recognised, with the closest real ones."""

    option: str
    value: str
    suggestions: tuple[str, ...]


class Recommender:
    """Resolves names with the fuzzy matcher and scores frameworks for a role."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge
        self.roles = Matcher({r.id: (r.name, *r.aliases) for r in knowledge.roles.values()})
        self.frameworks = Matcher(
            {
                f.id: (f.name, f.pypi_package, f.github_repo.split("/")[-1], *f.aliases)
                for f in knowledge.frameworks.values()
            }
        )
        self.modifiers = {
            dim.id: Matcher({o.id: (o.name, *o.aliases) for o in dim.options})
            for dim in knowledge.dimensions.values()
        }

    def resolve_role(self, text: str) -> Role | UnknownValue:
        found = self.roles.resolve(text)
        if isinstance(found, Match):
            return self.knowledge.roles[found.key]
        return UnknownValue("role", text, found.suggestions)

    def resolve_framework(self, option: str, text: str) -> Framework | UnknownValue:
        found = self.frameworks.resolve(text)
        if isinstance(found, Match):
            return self.knowledge.frameworks[found.key]
        return UnknownValue(option, text, found.suggestions or tuple(self.frameworks.keys))

    def resolve_modifiers(self, given: Mapping[str, str]) -> list[Applied] | UnknownValue:
        applied = []
        for dim_id in DIMENSIONS:
            if dim_id not in given or dim_id not in self.modifiers:
                continue
            found = self.modifiers[dim_id].resolve(given[dim_id])
            if isinstance(found, NoMatch):
                every = tuple(self.modifiers[dim_id].keys)
                return UnknownValue(dim_id, given[dim_id], every)
            dim = self.knowledge.dimensions[dim_id]
            applied.append(Applied(dim, self.knowledge.option(dim_id, found.key)))
        return applied

    def recommend(self, role: Role, applied: list[Applied]) -> Recommendation:
        order = list(self.knowledge.frameworks)
        base: dict[str, float] = {}
        why: dict[str, str] = {}
        for pick, score in zip((role.primary, *role.secondary), BASE_SCORES, strict=False):
            base[pick.framework] = score
            why[pick.framework] = pick.why
        scores = dict(base)
        for item in applied:
            for fw, weight in item.option.weights.items():
                scores[fw] = scores.get(fw, 0.0) + weight
                why.setdefault(fw, item.option.reason)

        def rank(table: dict[str, float]) -> list[str]:
            # Ties keep the role's own order, then the knowledge file's order.
            tie = {fw: i for i, fw in enumerate([*base, *order])}
            return sorted(table, key=lambda fw: (-table[fw], tie.get(fw, len(tie))))

        final = rank(scores)
        primary, *rest = final
        secondary = [fw for fw in rest if scores[fw] >= SECONDARY_MIN][:MAX_SECONDARY]
        chosen = [primary, *secondary]
        changes = _describe_changes(self.knowledge, rank(base), chosen, applied)
        path = [step for item in applied if (step := _first_step(item.option, primary))]
        frameworks = self.knowledge.frameworks
        updates = tuple(u for fw in chosen for u in frameworks[fw].updates)
        return Recommendation(
            role=role,
            primary=Ranked(frameworks[primary], scores[primary], why[primary]),
            secondary=tuple(Ranked(frameworks[fw], scores[fw], why[fw]) for fw in secondary),
            applied=tuple(applied),
            changes=tuple(changes),
            learning_path=(*path, *role.learning_path),
            updates=updates,
            sources=tuple(
                dict.fromkeys(
                    [
                        *role.sources,
                        *(s for i in applied for s in i.option.sources),
                        *(s for u in updates for s in u.sources),
                    ]
                )
            ),
        )


def _first_step(option: ModifierOption, primary: str) -> str | None:
    """An option's extra first step, unless it is about the framework already leading.

    "Start with Keras for quick wins" helps a beginner researcher; for a role whose main pick
    is Keras anyway, the role's own path already starts there.
    """
    if not option.first_step:
        return None
    favoured = max(option.weights, key=lambda fw: option.weights[fw], default=None)
    return None if favoured == primary else option.first_step


def _describe_changes(
    knowledge: Knowledge, before: list[str], after: list[str], applied: list[Applied]
) -> list[str]:
    """Sentences that say how the chosen options moved the ranking, if they did."""
    if not applied:
        return []
    name = {fw.id: fw.name for fw in knowledge.frameworks.values()}
    options = ", ".join(f"{a.dimension.id}: {a.option.name}" for a in applied)
    lines = []
    if before[0] != after[0]:
        lines.append(f"With {options}, {name[after[0]]} moves ahead of {name[before[0]]}.")
    for fw in after[1:]:
        if fw not in before:
            lines.append(f"{name[fw]} joins the answer because of {options}.")
    for fw in before:
        if fw not in after:
            lines.append(f"{name[fw]} drops out of the answer with {options}.")
    if not lines:
        lines.append(f"With {options}, the picks stay the same; the notes below still apply.")
    return lines
