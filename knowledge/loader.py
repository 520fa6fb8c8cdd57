"""Load and check the knowledge files; fail early with the file, line, entry and reason.

Content editors change YAML, not code, so every mistake must be reported in their terms:
``roles.yaml line 42, role 'ml-engineer', primary.framework: unknown framework 'pytorh'``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from knowledge.schema import (
    BuildChoice,
    Dimension,
    Framework,
    FrameworksFile,
    ModifierOption,
    ModifiersFile,
    Role,
    RoleGroup,
    RolesFile,
    Source,
    SourcesFile,
    TrendSampleFile,
    Update,
)

DEFAULT_DIR = Path(__file__).resolve().parent
MAX_FILE_BYTES = 2_000_000

M = TypeVar("M", bound=BaseModel)


class KnowledgeError(Exception):
    """One or more problems in the knowledge files; ``str()`` lists them one per line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class _Doc:
    """A parsed YAML file with its node tree, so errors can point at lines."""

    path: Path
    data: Any
    node: yaml.Node | None

    def line_of(self, loc: Iterable[int | str]) -> int:
        """The 1-based line of the deepest node reachable along ``loc``."""
        node = self.node
        line = node.start_mark.line + 1 if node is not None else 1
        for key in loc:
            if isinstance(node, yaml.MappingNode):
                found = next(
                    (v for k, v in node.value if getattr(k, "value", None) == str(key)), None
                )
                if found is None:
                    break
                line = found.start_mark.line + 1
                # A missing scalar's error reads best on its key's line.
                node = found
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
                if not 0 <= key < len(node.value):
                    break
                node = node.value[key]
                line = node.start_mark.line + 1
            else:
                break
        return line

    @property
    def name(self) -> str:
        return self.path.name


def read_yaml(path: Path) -> _Doc:
    """Parse one YAML file safely (no object construction); raise ``KnowledgeError``."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KnowledgeError([f"{path.name}: cannot be read ({exc.strerror})"]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise KnowledgeError([f"{path.name}: larger than {MAX_FILE_BYTES} bytes"])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KnowledgeError([f"{path.name}: not UTF-8 text ({exc.reason})"]) from None
    return parse_yaml(text, path)


def parse_yaml(text: str, path: Path) -> _Doc:
    """Parse YAML text safely (plain data only, never objects); errors name the line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f" line {mark.line + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise KnowledgeError([f"{path.name}{line}: YAML syntax error: {problem}"]) from None
    except yaml.YAMLError as exc:
        raise KnowledgeError([f"{path.name}: YAML error: {exc}"]) from None
    return _Doc(path, data, node)


def _entry_label(doc: _Doc, loc: tuple[int | str, ...]) -> tuple[str, tuple[int | str, ...]]:
    """Describe the list entry an error sits in ("role 'ml-engineer'") and the rest of loc."""
    if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(doc.data, dict):
        items = doc.data.get(str(loc[0]))
        kind = str(loc[0]).rstrip("s")
        if isinstance(items, list) and 0 <= loc[1] < len(items):
            item = items[loc[1]]
            ident = item.get("id") if isinstance(item, dict) else None
            label = f"{kind} '{ident}'" if ident else f"{kind} #{loc[1] + 1}"
            return label, loc[2:]
    return "", loc


def validate(doc: _Doc, model: type[M]) -> M:
    """Validate a document against its file model; every error names file, line and entry."""
    if not isinstance(doc.data, dict):
        raise KnowledgeError([f"{doc.name} line 1: expected a mapping at the top of the file"])
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            label, rest = _entry_label(doc, loc)
            where = ".".join(str(p) for p in rest) or "(entry)"
            prefix = f"{doc.name} line {doc.line_of(loc)}"
            if label:
                prefix += f", {label}"
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{prefix}, {where}: {msg}")
        raise KnowledgeError(problems) from None


@dataclass(frozen=True)
class Knowledge:
    """Everything the recommendation commands know, indexed for quick lookup."""

    frameworks: dict[str, Framework]
    roles: dict[str, Role]
    groups: dict[str, RoleGroup]
    dimensions: dict[str, Dimension]
    sources: dict[str, Source]
    directory: Path
    trend_sample: TrendSampleFile | None = None
    start_with: dict[str, list[str]] = field(default_factory=dict)
    ecosystem: dict[str, list[str]] = field(default_factory=dict)
    chooser: list[BuildChoice] = field(default_factory=list)

    def framework(self, framework_id: str) -> Framework:
        return self.frameworks[framework_id]

    def source_titles(self, ids: Iterable[str]) -> list[str]:
        return [self.sources[i].title for i in dict.fromkeys(ids) if i in self.sources]

    def update(self, update_id: str) -> tuple[Framework, Update] | None:
        """A "since the article" note by id, with the framework it is about."""
        for fw in self.frameworks.values():
            for upd in fw.updates:
                if upd.id == update_id:
                    return fw, upd
        return None

    def option(self, dimension: str, option_id: str) -> ModifierOption:
        return next(o for o in self.dimensions[dimension].options if o.id == option_id)


class _CrossCheck:
    """Collects reference errors with the line of the offending entry."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def need(self, ok: bool, doc: _Doc, loc: tuple[int | str, ...], message: str) -> None:
        if not ok:
            label, _ = _entry_label(doc, loc)
            where = f", {label}" if label else ""
            self.problems.append(f"{doc.name} line {doc.line_of(loc)}{where}: {message}")


def _unique(check: _CrossCheck, doc: _Doc, key: str, ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for i, ident in enumerate(ids):
        check.need(ident not in seen, doc, (key, i, "id"), f"duplicate {what} id '{ident}'")
        seen.add(ident)


def _cross_check(
    docs: dict[str, _Doc],
    sources: SourcesFile,
    frameworks: FrameworksFile,
    roles: RolesFile,
    modifiers: ModifiersFile,
) -> None:
    check = _CrossCheck()
    src_ids = {s.id for s in sources.sources}
    fw_ids = {f.id for f in frameworks.frameworks}
    role_ids = {r.id for r in roles.roles}
    group_ids = {g.id for g in roles.groups}
    s_doc, f_doc, r_doc, m_doc = (
        docs["sources"],
        docs["frameworks"],
        docs["roles"],
        docs["modifiers"],
    )

    _unique(check, s_doc, "sources", [s.id for s in sources.sources], "source")
    _unique(check, f_doc, "frameworks", [f.id for f in frameworks.frameworks], "framework")
    _unique(check, r_doc, "roles", [r.id for r in roles.roles], "role")
    _unique(check, r_doc, "groups", [g.id for g in roles.groups], "group")

    def sources_ok(doc: _Doc, loc: tuple[int | str, ...], ids: list[str]) -> None:
        for j, sid in enumerate(ids):
            check.need(sid in src_ids, doc, (*loc, j), f"unknown source '{sid}'")

    update_ids: set[str] = set()
    for i, fw in enumerate(frameworks.frameworks):
        check.need(fw.id in roles.start_with, r_doc, ("start_with",),
                   f"start_with has no first step for framework '{fw.id}'")
        sources_ok(f_doc, ("frameworks", i, "sources"), fw.sources)
        for j, rid in enumerate(fw.typical_roles):
            loc = ("frameworks", i, "typical_roles", j)
            check.need(rid in role_ids, f_doc, loc, f"typical_roles names unknown role '{rid}'")
        for j, upd in enumerate(fw.updates):
            loc = ("frameworks", i, "updates", j)
            check.need(upd.id not in update_ids, f_doc, loc, f"duplicate update id '{upd.id}'")
            update_ids.add(upd.id)
            sources_ok(f_doc, (*loc, "sources"), upd.sources)

    names: dict[str, str] = {}
    for i, role in enumerate(roles.roles):
        loc = ("roles", i)
        check.need(role.group in group_ids, r_doc, (*loc, "group"), f"unknown group '{role.group}'")
        picks = [role.primary, *role.secondary]
        for j, pick in enumerate(picks):
            where = (*loc, "primary") if j == 0 else (*loc, "secondary", j - 1)
            check.need(
                pick.framework in fw_ids,
                r_doc,
                (*where, "framework"),
                f"unknown framework '{pick.framework}' (known: {', '.join(sorted(fw_ids))})",
            )
        sources_ok(r_doc, (*loc, "sources"), role.sources)
        for fw in role.paths:
            check.need(fw in fw_ids, r_doc, (*loc, "paths", fw), f"unknown framework '{fw}'")
        for j, note in enumerate(role.notes):
            check.need(note in update_ids, r_doc, (*loc, "notes", j), f"unknown update '{note}'")
        if role.basis == "article":
            check.need(
                "article" in role.sources, r_doc, (*loc, "sources"), "basis 'article' must cite it"
            )
        for j, term in enumerate([role.id, role.name, *role.aliases]):
            key = " ".join(term.lower().replace("-", " ").replace("_", " ").split())
            owner = names.get(key)
            where = (*loc, "aliases", j - 2) if j >= 2 else (*loc, "id" if j == 0 else "name")
            check.need(
                owner in (None, role.id),
                r_doc,
                where,
                f"'{term}' already names role '{owner}'",
            )
            names.setdefault(key, role.id)

    for key in (*roles.start_with, *roles.ecosystem):
        check.need(key in fw_ids, r_doc, ("start_with" if key in roles.start_with
                                          else "ecosystem", key), f"unknown framework '{key}'")
    for i, choice in enumerate(roles.chooser):
        check.need(choice.role in role_ids, r_doc, ("chooser", i, "role"),
                   f"unknown role '{choice.role}'")

    seen_dims: set[str] = set()
    for i, dim in enumerate(modifiers.dimensions):
        loc = ("dimensions", i)
        check.need(dim.id not in seen_dims, m_doc, (*loc, "id"), f"duplicate dimension '{dim.id}'")
        seen_dims.add(dim.id)
        for j, opt in enumerate(dim.options):
            oloc = (*loc, "options", j)
            for fw in opt.weights:
                check.need(
                    fw in fw_ids, m_doc, (*oloc, "weights", fw), f"unknown framework '{fw}'"
                )
            for fw, weight in opt.weights.items():
                check.need(weight <= 0 or fw in opt.why, m_doc, (*oloc, "weights", fw),
                           f"'{fw}' gains weight but has no one-sentence 'why'")
            for fw in opt.why:
                check.need(fw in fw_ids, m_doc, (*oloc, "why", fw), f"unknown framework '{fw}'")
            for j, note in enumerate(opt.notes):
                check.need(note in update_ids, m_doc, (*oloc, "notes", j),
                           f"unknown update '{note}'")
            sources_ok(m_doc, (*oloc, "sources"), opt.sources)
    if check.problems:
        raise KnowledgeError(check.problems)


def load(directory: Path | None = None) -> Knowledge:
    """Load every knowledge file from ``directory`` (the shipped data by default)."""
    directory = directory or DEFAULT_DIR
    files = {
        "sources": SourcesFile,
        "frameworks": FrameworksFile,
        "roles": RolesFile,
        "modifiers": ModifiersFile,
        "trends_sample": TrendSampleFile,
    }
    docs: dict[str, _Doc] = {}
    models: dict[str, BaseModel] = {}
    problems: list[str] = []
    for stem, model in files.items():
        try:
            docs[stem] = read_yaml(directory / f"{stem}.yaml")
            models[stem] = validate(docs[stem], model)
        except KnowledgeError as exc:
            problems.extend(exc.problems)
    if problems:
        raise KnowledgeError(problems)
    sources, frameworks, roles, modifiers = (
        models["sources"],
        models["frameworks"],
        models["roles"],
        models["modifiers"],
    )
    assert isinstance(sources, SourcesFile) and isinstance(frameworks, FrameworksFile)
    assert isinstance(roles, RolesFile) and isinstance(modifiers, ModifiersFile)
    sample = models["trends_sample"]
    assert isinstance(sample, TrendSampleFile)
    _cross_check(docs, sources, frameworks, roles, modifiers)
    _check_sample(docs["trends_sample"], sample, sources, frameworks)
    return Knowledge(
        frameworks={f.id: f for f in frameworks.frameworks},
        roles={r.id: r for r in roles.roles},
        groups={g.id: g for g in roles.groups},
        dimensions={d.id: d for d in modifiers.dimensions},
        sources={s.id: s for s in sources.sources},
        directory=directory,
        trend_sample=sample,
        start_with={fw: list(steps) for fw, steps in roles.start_with.items()},
        ecosystem={fw: list(tools) for fw, tools in roles.ecosystem.items()},
        chooser=list(roles.chooser),
    )


def _check_sample(
    doc: _Doc, sample: TrendSampleFile, sources: SourcesFile, frameworks: FrameworksFile
) -> None:
    """The sample history may only name known sources and frameworks."""
    check = _CrossCheck()
    src_ids = {s.id for s in sources.sources}
    fw_ids = {f.id for f in frameworks.frameworks}
    for key in ("downloads_30d", "stars"):
        series = getattr(sample, key)
        check.need(series.source in src_ids, doc, (key, "source"),
                   f"unknown source '{series.source}'")
        for i, row in enumerate(series.rows):
            for fw in row.values:
                check.need(fw in fw_ids, doc, (key, "rows", i, "values", fw),
                           f"unknown framework '{fw}'")
    for fw in sample.releases.tags:
        check.need(fw in fw_ids, doc, ("releases", "tags", fw), f"unknown framework '{fw}'")
    if check.problems:
        raise KnowledgeError(check.problems)
