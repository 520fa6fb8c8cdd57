"""The question bank: shipped YAML under knowledge/quiz/ plus each server's own imports.

Validation reuses the knowledge loader, so a bad question is reported with its file, line
and question id, and duplicate ids across files are rejected.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.models import TEXT_LIMIT, user_text
from knowledge.loader import DEFAULT_DIR, KnowledgeError, read_yaml, validate
from knowledge.schema import Question, QuizFile

TOPICS = ("pytorch", "tensorflow", "keras", "jax", "concepts", "careers")


def load_files(paths: Iterable[Path]) -> list[Question]:
    """Questions from YAML files, every problem reported with file, line and question id."""
    questions: list[Question] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in sorted(paths):
        try:
            doc = read_yaml(path)
            parsed = validate(doc, QuizFile)
        except KnowledgeError as exc:
            problems.extend(exc.problems)
            continue
        for i, question in enumerate(parsed.questions):
            if question.id in seen:
                line = doc.line_of(("questions", i, "id"))
                problems.append(
                    f"{path.name} line {line}, question '{question.id}': duplicate id "
                    f"(also in {seen[question.id]})"
                )
            seen.setdefault(question.id, path.name)
            questions.append(question)
    if problems:
        raise KnowledgeError(problems)
    return questions


def _marked(question: Question) -> Question:
    """``question`` with every text a server's manager wrote marked as theirs."""
    return question.model_copy(update={
        "prompt": user_text(question.prompt, TEXT_LIMIT, multiline=True),
        "explanation": user_text(question.explanation, TEXT_LIMIT, multiline=True),
        "source": user_text(question.source, TEXT_LIMIT),
        "source_url": question.source_url and user_text(str(question.source_url), TEXT_LIMIT),
        "options": [o.model_copy(update={"text": user_text(o.text, TEXT_LIMIT)})
                    for o in question.options],
    })


def in_order(question: Question, order: Sequence[int]) -> Question:
    """``question`` with its options shown in ``order`` (the bank index at each position):
    a game's shuffle and a review's shuffle both show questions this way."""
    return question.model_copy(update={"options": [question.options[i] for i in order]})


def bank_key(platform: str, tenant: str) -> str:
    """Whose imported questions: one server on one platform."""
    return f"{platform}:{tenant}"


@dataclass
class QuestionBank:
    """Shipped questions for everyone, imported ones only for the server that added them."""

    shipped: dict[str, Question]
    imported: dict[str, dict[str, Question]] = field(default_factory=dict)  # tenant -> id -> q

    @classmethod
    def load(cls, directory: Path | None = None) -> QuestionBank:
        folder = (directory or DEFAULT_DIR) / "quiz"
        return cls({q.id: q for q in load_files(folder.glob("*.yaml"))})

    def get(self, question_id: str, tenant: str | None = None) -> Question | None:
        """A question to show. An imported one comes back with its words marked as people's
        text (``bot.models.user_text``), so every platform shows them inertly."""
        found = self.shipped.get(question_id)
        if found is None and tenant is not None:
            found = self.imported.get(tenant, {}).get(question_id)
            return _marked(found) if found is not None else None
        return found

    def available(self, tenant: str, topic: str | None = None,
                  difficulty: int | None = None) -> list[Question]:
        pool = [*self.shipped.values(), *self.imported.get(tenant, {}).values()]
        return [q for q in pool
                if (topic is None or q.topic == topic)
                and (difficulty is None or q.difficulty == difficulty)]

    def pick(self, tenant: str, count: int, rng: random.Random, topic: str | None = None,
             difficulty: int | None = None) -> list[Question]:
        pool = self.available(tenant, topic, difficulty)
        return rng.sample(pool, min(count, len(pool)))

    def set_imported(self, tenant: str, questions: Sequence[Question]) -> None:
        self.imported[tenant] = {q.id: q for q in questions}

    def counts(self) -> dict[str, int]:
        return {t: sum(1 for q in self.shipped.values() if q.topic == t) for t in TOPICS}
