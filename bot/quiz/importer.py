"""A server's own questions, pasted as YAML: validated whole, limited, never executed.

The YAML is parsed with the safe loader (plain data only, no object construction), after a
size check and before a count check, so a hostile upload is refused cheaply. Either every
question is valid and all are kept, or nothing is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.quiz.cues import figures, length_problems, question_warnings
from knowledge.loader import KnowledgeError, parse_yaml, validate
from knowledge.schema import Question, QuizFile

MAX_BYTES = 64_000
MAX_QUESTIONS_PER_IMPORT = 100
MAX_QUESTIONS_PER_SERVER = 500
MAX_NESTING = 20


@dataclass(frozen=True)
class ImportProblem:
    problems: list[str]


def _too_deep(text: str) -> bool:
    """Refuse deeply nested flow collections before the parser recurses into them."""
    depth = deepest = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest > MAX_NESTING


def _id_problems(raw: list[object], shipped_ids: set[str]) -> list[str]:
    """Id clashes, found on the raw entries so they are reported with schema errors too."""
    problems = []
    seen: set[str] = set()
    for entry in raw:
        qid = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(qid, str):
            continue
        if qid in shipped_ids:
            problems.append(f"question '{qid}': id is taken by a built-in question; rename it")
        if qid in seen:
            problems.append(f"question '{qid}': duplicate id in this import")
        seen.add(qid)
    return problems


def parse_import(text: str, shipped_ids: set[str], existing: int) -> list[Question] | ImportProblem:
    size = len(text.encode("utf-8"))
    if not text.strip():
        return ImportProblem(["The import is empty: paste YAML with a 'questions:' list."])
    if size > MAX_BYTES:
        return ImportProblem([f"The import is {size:,} bytes; the limit is {MAX_BYTES:,}."])
    if _too_deep(text) or text.count("&") > 50 or text.count("*") > 200:
        return ImportProblem(["The YAML is too deeply nested or uses too many aliases."])
    try:
        doc = parse_yaml(text, Path("import.yaml"))
        raw = doc.data.get("questions") if isinstance(doc.data, dict) else None
        if isinstance(raw, list) and len(raw) > MAX_QUESTIONS_PER_IMPORT:
            return ImportProblem([f"{len(raw)} questions in one import; the limit is "
                                  f"{MAX_QUESTIONS_PER_IMPORT}."])
    except KnowledgeError as exc:
        return ImportProblem(exc.problems)
    problems = _id_problems(raw if isinstance(raw, list) else [], shipped_ids)
    try:
        parsed = validate(doc, QuizFile)
    except KnowledgeError as exc:
        return ImportProblem(exc.problems + problems)
    seen = {q.id for q in parsed.questions}
    if existing + len(seen) > MAX_QUESTIONS_PER_SERVER:
        problems.append(f"a server may keep {MAX_QUESTIONS_PER_SERVER} questions; this import "
                        f"would make {existing + len(seen)}")
    return ImportProblem(problems) if problems else list(parsed.questions)


MIN_FOR_LENGTH_FIGURES = 5  # fewer questions say little about a bank's option lengths


def cue_warnings(questions: list[Question], limit: int = 10) -> list[str]:
    """Answer cues in an import (see bot.quiz.cues), told to the importer; nothing is refused.

    Bank-wide length figures come first, then at most ``limit`` lines in all.
    """
    found = length_problems(figures(questions)) if len(questions) >= MIN_FOR_LENGTH_FIGURES else []
    found += [w for q in questions for w in question_warnings(q)]
    if len(found) > limit:
        found = [*found[:limit - 1], f"and {len(found) - limit + 1} more"]
    return found
