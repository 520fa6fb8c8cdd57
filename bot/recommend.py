"""Which framework(s) to learn for a role, and how experience, region and goal shift that.

Scoring is deliberately simple so every answer can explain itself: the role's picks start
at 3 (primary), 2 and 1.5 (secondaries); each chosen modifier adds its weights. The highest
score is the main pick; others at 1.5 or more are also recommended. Every modifier's reason
is shown, and any change of ranking is spelled out. Everything else in the answer (learning
path, pairings, "since the article" notes) is derived from the final ranking, so the answer
never starts a path with a framework it did not pick.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.matching import Match, Matcher, NoMatch
from knowledge.loader import Knowledge
from knowledge.schema import Dimension, Framework, ModifierOption, Role, Update

BASE_SCORES = (3.0, 2.0, 1.5)
SECONDARY_MIN = 1.5
MAX_SECONDARY = 2
DIMENSIONS = ("experience", "region", "goal")
MAX_STEPS = 6  # a derived path: the main pick's first steps, then the role's own


@dataclass(frozen=True, slots=True)
class Ranked:
    framework: Framework
    score: float
    why: str


@dataclass(frozen=True, slots=True)
class Applied:
    dimension: Dimension
    option: ModifierOption


@dataclass(frozen=True, slots=True)
class Note:
    """A "since the article" update chosen for this answer, with the framework it is about."""

    framework: Framework
    update: Update


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one chosen option did: its reason, and where the frameworks it favours ended up."""

    applied: Applied
    result: str


@dataclass(frozen=True)
class Recommendation:
    role: Role
    primary: Ranked
    secondary: tuple[Ranked, ...]
    applied: tuple[Applied, ...]
    changes: tuple[str, ...]
    learning_path: tuple[str, ...]
    pair_with: tuple[str, ...]
    notes: tuple[Note, ...]
    outcomes: tuple[Outcome, ...]
    sources: tuple[str, ...]

    @property
    def picks(self) -> tuple[Ranked, ...]:
        return (self.primary, *self.secondary)

    @property
    def needs_framework(self) -> bool:
        return self.role.needs_framework


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
        self.roles = Matcher({r.id: (r.name, *r.aliases) for r in knowledge.roles.values()},
                             {r.id: f"{r.name} {r.hint.split(';')[0]}"
                              for r in knowledge.roles.values()})
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
        self._about: dict[str, str | None] = {}
        self._owner: dict[str, str] = {}
        for fw in knowledge.frameworks.values():
            for term in (fw.name, *fw.aliases, *knowledge.ecosystem.get(fw.id, ())):
                self._owner.setdefault(term.casefold(), fw.id)
        terms = sorted(self._owner, key=len, reverse=True)
        self._names = re.compile(
            r"(?<![\w.])(?:" + "|".join(re.escape(t) for t in terms) + r")(?![\w])",
            re.IGNORECASE)

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

    def named(self, text: str) -> list[str]:
        """Framework ids a text names (directly, by alias or through a tool of its
        ecosystem), in the order they first appear."""
        found = [(m.start(), self._owner[m.group(0).casefold()])
                 for m in self._names.finditer(text)]
        return list(dict.fromkeys(fw for _, fw in sorted(found)))

    def about(self, text: str) -> str | None:
        """The framework a step or pairing is about: the first one it names.

        Remembered per text: steps and pairings are a fixed set from the knowledge files."""
        if text not in self._about:
            named = self.named(text)
            self._about[text] = named[0] if named else None
        return self._about[text]

    def recommend(self, role: Role, applied: list[Applied]) -> Recommendation:
        """Score, rank, and make everything else (path, pairings, notes) follow the ranking."""
        if not role.needs_framework:
            # The work needs no framework: options cannot make one necessary.
            scores = {role.primary.framework: BASE_SCORES[0]}
            return self._build(role, applied, scores, [role.primary.framework],
                               {role.primary.framework: role.primary.why}, changes=[])
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
                if fw in item.option.why:
                    why.setdefault(fw, item.option.why[fw])

        def rank(table: dict[str, float]) -> list[str]:
            # Ties keep the role's own order, then the knowledge file's order.
            tie = {fw: i for i, fw in enumerate([*base, *order])}
            return sorted(table, key=lambda fw: (-table[fw], tie.get(fw, len(tie))))

        final = rank(scores)
        primary, *rest = final
        secondary = [fw for fw in rest if scores[fw] >= SECONDARY_MIN][:MAX_SECONDARY]
        chosen = [primary, *secondary]
        changes = _describe_changes(self.knowledge, rank(base), chosen)
        return self._build(role, applied, scores, chosen, why, changes)

    def _build(self, role: Role, applied: list[Applied], scores: dict[str, float],
               chosen: list[str], why: dict[str, str], changes: list[str]) -> Recommendation:
        frameworks = self.knowledge.frameworks
        primary, *secondary = chosen
        notes = self._notes(role, applied, chosen)
        outcomes = tuple(Outcome(a, _result(self.knowledge, a, chosen, role)) for a in applied)
        return Recommendation(
            role=role,
            primary=Ranked(frameworks[primary], scores[primary], why[primary]),
            secondary=tuple(Ranked(frameworks[fw], scores[fw], why[fw]) for fw in secondary),
            applied=tuple(applied),
            changes=tuple(changes),
            learning_path=tuple(self._path(role, applied, chosen)),
            pair_with=tuple(sorted(
                (p for p in role.pair_with if self.about(p) in (None, *chosen)),
                key=lambda p: self.about(p) != primary)),
            notes=notes,
            outcomes=outcomes,
            sources=tuple(
                dict.fromkeys(
                    [
                        *role.sources,
                        *(s for i in applied if role.needs_framework for s in i.option.sources),
                        *(s for n in notes for s in n.update.sources),
                    ]
                )
            ),
        )

    def _path(self, role: Role, applied: list[Applied], chosen: list[str]) -> list[str]:
        """The role's steps about picked frameworks, starting with the main pick.

        A step is about the first framework it names; steps about a framework the answer
        did not pick are left out. When options made another framework the main pick, and
        the role has no path written for it (``paths``), the main pick's own first steps
        (``start_with``) lead, followed by the role's other steps.
        """
        main = chosen[0]
        own = role.paths.get(main, role.learning_path)
        steps = [s for s in own if self.about(s) in (None, *chosen)]
        if not role.needs_framework:
            return steps
        if main != role.primary.framework and main not in role.paths:
            steps = [*self.knowledge.start_with[main],
                     *(s for s in steps if self.about(s) != main)][:MAX_STEPS]
        elif not steps or self.about(steps[0]) not in (None, main):
            steps = [*self.knowledge.start_with[main], *steps][:MAX_STEPS]
        name = self.knowledge.frameworks[main].name
        extra = [a.option.first_step.format(main=name) for a in applied if a.option.first_step]
        return [*extra, *steps]

    def _notes(self, role: Role, applied: list[Applied], chosen: list[str]) -> tuple[Note, ...]:
        """Notes about the picked frameworks that the role or an option marks as relevant,
        most important first, taking turns (the role's first, then each option's first, …)
        so that an option's own note is not crowded out; each note once."""
        lists = [role.notes, *(a.option.notes for a in applied)]
        wanted = [n for turn in itertools.zip_longest(*lists) for n in turn if n]
        picked = chosen if role.needs_framework else []
        notes: list[Note] = []
        for note_id in dict.fromkeys(wanted):
            found = self.knowledge.update(note_id)
            # Two frameworks' notes can answer the same point of the article: keep one.
            if found and found[0].id in picked and all(
                    n.update.article_says != found[1].article_says for n in notes):
                notes.append(Note(*found))
        return tuple(notes)


def _result(knowledge: Knowledge, item: Applied, chosen: list[str], role: Role) -> str:
    """Where the frameworks an option favours ended up, in words."""
    if not role.needs_framework:
        return "It does not change this answer: the work needs no deep-learning framework."
    favoured = [fw for fw, w in item.option.weights.items() if w > 0]
    if not favoured:
        return "It does not change the picks."
    places = ("your main pick", "your second pick", "your third pick")
    parts = []
    for fw in favoured:
        name = knowledge.frameworks[fw].name
        if fw in chosen:
            parts.append(f"{name} is {places[chosen.index(fw)]}")
        else:
            parts.append(f"{name} still does not make the picks for this role")
    return "Result: " + "; ".join(parts) + "."


def _describe_changes(knowledge: Knowledge, before: list[str], after: list[str]) -> list[str]:
    """Short clauses that say how the chosen options moved the ranking, if they did."""
    name = {fw.id: fw.name for fw in knowledge.frameworks.values()}
    lines = []
    if before[0] != after[0]:
        lines.append(f"{name[after[0]]} moves ahead of {name[before[0]]}")
    for fw in after[1:]:
        if fw not in before:
            lines.append(f"{name[fw]} joins")
    for fw in before:
        if fw not in after:
            lines.append(f"{name[fw]} drops out")
    return lines
