"""Quiz messages as platform-neutral responses: question, closed question, reveal, podium.

Player names are people's words and go out marked (``bot.models.user_text``): a display name
written as a link, a header or a spoiler shows as text in the whole channel. Imported
questions come from the bank already marked (``QuestionBank.get``).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.models import Button, ButtonStyle, FieldItem, Response, Section, Visibility, user_text
from bot.quiz.session import Player, QuizSession
from knowledge.schema import Question

LETTERS = "ABCDE"
MEDALS = ("🥇", "🥈", "🥉")
DIFFICULTY = {1: "easy", 2: "medium", 3: "hard"}
BUTTON_TEXT = 75  # Slack's cap on button text; Discord allows 80


def button_id(session: QuizSession, option: int) -> str:
    """``quiz:<session>:<question>:<option>``: short, and enough to answer after a restart."""
    return f"quiz:{session.id}:{session.index}:{option}"


def who(player: Player) -> str:
    """A player's display name, marked as theirs."""
    return user_text(player.name)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def options_text(question: Question) -> str:
    return "\n".join(f"{LETTERS[i]}) {o.text}" for i, o in enumerate(question.options))


def option_buttons(question: Question, id_for: Callable[[int], str]) -> tuple[Button, ...]:
    """One button per option, labelled "A) text", with ids from ``id_for(option index)``."""
    return tuple(
        Button(id_for(i), _clip(f"{LETTERS[i]}) {o.text}", BUTTON_TEXT))
        for i, o in enumerate(question.options)
    )


def _heading(session: QuizSession, question: Question) -> str:
    return (
        f"Question {session.index + 1}/{len(session.question_ids)} · {question.topic} · "
        f"{DIFFICULTY[question.difficulty]}"
    )


def question_message(session: QuizSession, question: Question) -> Response:
    return Response(
        title=_heading(session, question),
        sections=(Section(question.prompt), Section(options_text(question))),
        buttons=option_buttons(question, lambda i: button_id(session, i)),
        footer=f"{session.seconds} s to answer · your first answer counts · /quiz stop ends it",
    )


def closed_message(session: QuizSession, question: Question) -> Response:
    """The question as it stays in the channel once closed: no buttons, answer marked."""
    lines = []
    for i, option in enumerate(question.options):
        mark = " ✓" if option.correct else ""
        lines.append(f"{LETTERS[i]}) {option.text}{mark}")
    count = len(session.answers)
    return Response(
        title=f"{_heading(session, question)} (closed)",
        sections=(Section(question.prompt), Section("\n".join(lines))),
        footer=f"{count} answer{'s' if count != 1 else ''} · closed",
    )


def reveal_message(session: QuizSession, question: Question) -> Response:
    correct = next(i for i, o in enumerate(question.options) if o.correct)
    right = [
        (session.players[uid], a) for uid, a in session.answers.items() if a.correct
    ]
    right.sort(key=lambda pa: -pa[1].points)
    got_it = (
        ", ".join(f"{who(p)} (+{a.points})" for p, a in right) if right else "Nobody this time."
    )
    streaks = [p for p in session.players.values() if p.streak >= 2]
    sections = [
        Section(question.explanation, heading="Why"),
        Section(got_it, heading="Got it right"),
    ]
    if streaks:
        sections.append(
            Section(", ".join(f"{who(p)} 🔥{p.streak}" for p in streaks), heading="Streaks")
        )
    sections.append(Section(_table(session.standings()[:5]), heading="Standings"))
    nxt = "Last question done." if session.is_last else "Next question in a moment."
    return Response(
        title=f"Answer: {LETTERS[correct]}) {question.options[correct].text}",
        sections=tuple(sections),
        footer=f"Source: {question.citation} · {nxt}",
    )


def _table(players: list[Player]) -> str:
    if not players:
        return "No answers yet."
    return "\n".join(
        f"{i}. {who(p)}: {p.points} pts ({p.correct}/{p.answered} right)"
        for i, p in enumerate(players, 1)
    )


def final_message(session: QuizSession, stopped: bool) -> Response:
    ranked = session.standings()
    total = len(session.question_ids)
    asked = session.index + 1 if session.answers or not stopped else session.index
    if not ranked:
        return Response(
            title="Quiz over",
            sections=(Section("Nobody answered this time. Start another with /quiz start."),),
        )
    podium = "\n".join(  # a medal needs points: 0 wins nothing
        f"{MEDALS[i]} {who(p)}: {p.points} pts" for i, p in enumerate(ranked[:3]) if p.points
    ) or "Nobody scored this time."
    fields = tuple(
        FieldItem(
            who(p),
            f"{p.points} pts · {p.correct}/{p.answered} right · best streak {p.best_streak}",
        )
        for p in ranked[:25]
    )
    noun = "question" if total == 1 else "questions"
    how = f"stopped after {asked} of {total} {noun}" if stopped else f"{total} {noun}"
    winners = session.winners()
    title = (
        f"Quiz over: {' and '.join(who(w) for w in winners)} win{'s' if len(winners) == 1 else ''}!"
        if winners
        else "Quiz over"
    )
    return Response(
        title=title,
        sections=(Section(podium, heading="Podium"),),
        fields=fields,
        footer=f"{how} · /quiz leaderboard for the all-time table · /quiz review to revisit misses",
    )


def private(title: str, text: str = "", buttons: tuple[Button, ...] = ()) -> Response:
    return Response(
        title=title,
        sections=(Section(text),) if text else (),
        buttons=buttons,
        visibility=Visibility.PRIVATE,
    )


def danger(button: str, label: str) -> Button:
    return Button(button, label, ButtonStyle.DANGER)
