"""The daily question's messages: the question, the question once closed, the reveal."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.models import Response, Section, Visibility
from bot.quiz import render
from bot.storage import DailyClose, DailyDay
from knowledge.schema import Question

PREFIX = "daily"  # button ids: daily:<day>:<position>
NAMES_SHOWN = 20


def local_time(when: dt.datetime, zone: str) -> str:
    local = when.astimezone(ZoneInfo(zone))
    return f"{local:%a %d %b %H:%M} ({zone})"


def question_message(question: Question, day: DailyDay, zone: str) -> Response:
    shown = question.model_copy(update={"options": [question.options[i] for i in day.order]})
    late = " (posted late: the bot was offline at its time)" if day.late else ""
    return Response(
        title=f"Daily question · {day.day} · {question.topic} · "
              f"{render.DIFFICULTY[question.difficulty]}",
        sections=(Section(question.prompt), Section(render.options_text(shown))),
        buttons=render.option_buttons(shown, lambda i: f"{PREFIX}:{day.day}:{i}"),
        footer=f"Open until {local_time(day.closes_at, zone)}{late} · your first answer "
               "counts · answers stay private until the reveal",
    )


def closed_message(question: Question, day: DailyDay, count: int) -> Response:
    lines = [f"{render.LETTERS[i]}) {question.options[o].text}"
             + (" ✓" if question.options[o].correct else "") for i, o in enumerate(day.order)]
    return Response(
        title=f"Daily question · {day.day} (closed)",
        sections=(Section(question.prompt), Section("\n".join(lines))),
        footer=f"{count} answer{'s' if count != 1 else ''} · closed",
    )


def _got_it(closed: DailyClose) -> Section:
    right = [a.user_name or a.user_id for a in closed.answers if a.correct]
    shown = ", ".join(right[:NAMES_SHOWN]) + (
        f" and {len(right) - NAMES_SHOWN} more" if len(right) > NAMES_SHOWN else "")
    total = len(closed.answers)
    return Section(f"{shown} ({len(right)} of {total})" if right
                   else ("Nobody this time." if total else "Nobody answered."),
                   heading="Got it right")


def gone_message(closed: DailyClose) -> Response:
    return Response(title=f"Daily question · {closed.day.day} · closed",
                    sections=(Section("This question has since been removed from the "
                                      "server's questions, so its answer is not shown."),
                              _got_it(closed)))


def reveal_message(question: Question, closed: DailyClose) -> Response:
    day = closed.day
    position = next(i for i, o in enumerate(day.order) if question.options[o].correct)
    sections = [Section(question.explanation, heading="Why"), _got_it(closed)]
    streaks = [s for s in closed.streaks if s.current >= 2]
    if streaks:
        sections.append(Section(", ".join(f"{s.user_name or s.user_id} 🔥{s.current}"
                                          for s in streaks[:10]), heading="Daily streaks"))
    return Response(
        title=f"Daily question · {day.day} · answer: {render.LETTERS[position]}) "
              f"{question.options[day.order[position]].text}",
        sections=tuple(sections),
        footer=f"Source: {question.source} · right answers score 100 points on the "
               "leaderboard · missed ones join your /quiz review",
        visibility=Visibility.CHANNEL,
    )
