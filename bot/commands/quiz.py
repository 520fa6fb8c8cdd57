"""/quiz: study-group quizzes: start, stop, leaderboard, stats, review, import, forget."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.commands import _daily
from bot.commands._shared import with_service
from bot.matching import Match, Matcher
from bot.models import (
    TEXT_LIMIT,
    Button,
    ButtonStyle,
    Context,
    FieldItem,
    Request,
    Response,
    Section,
    error,
    user_text,
)
from bot.quiz import render
from bot.quiz import review as practice
from bot.quiz.bank import TOPICS, bank_key
from bot.quiz.importer import ImportProblem, cue_warnings, parse_import
from bot.registry import CommandSpec, OptionSpec
from bot.storage import Tenant, iso_week

if TYPE_CHECKING:
    from bot.core import Core
    from bot.quiz.manager import QuizManager
    from bot.quiz.session import QuizSession

MAX_QUESTIONS, MIN_SECONDS, MAX_SECONDS = 30, 5, 120
TOPIC_NAMES = Matcher({
    "pytorch": ["torch", "pt"], "tensorflow": ["tf"], "keras": [], "jax": ["flax"],
    "concepts": ["concept", "theory"], "careers": ["career", "jobs", "roles"],
})
DIFFICULTIES = Matcher({"1": ["easy"], "2": ["medium", "normal"], "3": ["hard"]})
SORTS = ("points", "accuracy", "wins", "games")
MENTION = re.compile(r"^<@!?([A-Za-z0-9]+)(?:\|[^>]*)?>$")


def _manager(core: Core) -> QuizManager | None:
    return core.services.get("quiz")


def _needs_quiz_button(
    fn: Callable[..., Awaitable[Response]],
) -> Callable[..., Awaitable[Response]]:
    """A /quiz button handler that gets the manager, or a clear answer when there is none."""

    @functools.wraps(fn)
    async def handler(button_id: str, ctx: Context, core: Core) -> Response:
        manager = _manager(core)
        return await fn(button_id, ctx, core, manager) if manager else _unavailable()

    return handler


def _unavailable() -> Response:
    return error("Quizzes are not available here",
                 "This process has no data directory to keep scores in. Start the bot with "
                 "`framework-coach run` (or `make run`) to play.")


_needs_quiz = with_service("quiz", _unavailable)


def _tenant(ctx: Context) -> Tenant:
    return Tenant(ctx.platform, ctx.tenant_id)


# --------------------------------------------------------------------------- start / stop


@_needs_quiz
async def start(request: Request, core: Core, manager: QuizManager) -> Response:
    ctx = request.context
    running = await manager.current(ctx.platform, ctx.tenant_id, ctx.channel_id)
    if running is not None:
        return _already_running(running)
    topic = request.option("topic")
    if topic:
        found = TOPIC_NAMES.resolve(topic)
        if not isinstance(found, Match):
            return error("Unknown topic", f"'{user_text(topic)}' is not a quiz topic. Topics: "
                         f"{', '.join(TOPICS)}.", "/quiz start topic:jax")
        topic = found.key
    difficulty = None
    if request.option("difficulty"):
        found = DIFFICULTIES.resolve(request.option("difficulty") or "")
        if not isinstance(found, Match):
            return error("Unknown difficulty", "Use easy, medium or hard (or 1, 2, 3).",
                         f"/quiz start {f'topic:{topic} ' if topic else ''}difficulty:easy")
        difficulty = int(found.key)
    count = _number(request.option("questions"), 10, 1, MAX_QUESTIONS)
    seconds = _number(request.option("time"), 20, MIN_SECONDS, MAX_SECONDS)
    if isinstance(count, str) or isinstance(seconds, str):
        return error("Check the numbers", str(count if isinstance(count, str) else seconds),
                     "/quiz start questions:10 time:20")
    await manager.questions_for(ctx.platform, ctx.tenant_id)
    questions = manager.bank.pick(bank_key(ctx.platform, ctx.tenant_id), count, manager.rng,
                                  topic, difficulty)
    if not questions:
        return error("No questions match", "Try another topic or difficulty.", "/quiz start")
    started = await manager.start(ctx, questions, seconds, topic)
    if started is None:  # started in another process a moment ago
        return _already_running(await manager.current(ctx.platform, ctx.tenant_id,
                                                      ctx.channel_id))
    about = f"{len(questions)} question{'s' if len(questions) != 1 else ''}" + (
        f" on {topic}" if topic else "")
    if difficulty:
        about += f", {render.DIFFICULTY[difficulty]}"
    return Response(
        title=f"Quiz starting: {about}, {seconds} s each",
        sections=(Section("Press a button to answer: your first answer counts, faster correct "
                          "answers earn more points, and streaks are shown. Anyone here can "
                          "join at any question."),),
        footer=f"Started by {user_text(ctx.user_name)} · /quiz stop ends it early",
    )


def _already_running(running: QuizSession | None) -> Response:
    at = (f"Question {running.index + 1} of {len(running.question_ids)} is on. "
          if running is not None else "")
    return error("A quiz is already running here",
                 f"{at}Its starter or a channel manager can end it with /quiz stop.")


def _number(text: str | None, default: int, low: int, high: int) -> int | str:
    if text is None:
        return default
    if not text.strip().isdigit():
        return f"'{user_text(text)}' is not a whole number."
    value = int(text)
    if not low <= value <= high:
        return f"{value} is out of range: use {low} to {high}."
    return value


@_needs_quiz
async def stop(request: Request, core: Core, manager: QuizManager) -> Response:
    ctx = request.context
    running = await manager.current(ctx.platform, ctx.tenant_id, ctx.channel_id)
    if running is None:
        return error("No quiz is running here", "Start one with /quiz start.")
    if running.starter_id != ctx.user_id and not ctx.is_manager:
        return error("Only the starter or a channel manager can stop this quiz",
                     "Everyone else can simply stop answering.")
    final = await manager.stop(ctx)
    return final or error("No quiz is running here", "It has just finished.")


# --------------------------------------------------------------------------- scores


@_needs_quiz
async def leaderboard(request: Request, core: Core, manager: QuizManager) -> Response:
    ctx = request.context
    scope = (request.option("scope") or "channel").lower()
    period = (request.option("period") or "all").lower()
    sort = (request.option("sort") or "points").lower()
    for name, value, allowed in (("scope", scope, ("channel", "server")),
                                 ("period", period, ("week", "all")), ("sort", sort, SORTS)):
        if value not in allowed:
            return error(f"Unknown {name}", f"{name} is one of: {', '.join(allowed)}.",
                         "/quiz leaderboard scope:server period:week sort:accuracy")
    channel = ctx.channel_id if scope == "channel" else None
    since = iso_week(core.clock.now()) if period == "week" else None
    entries = await manager.store.leaderboard(_tenant(ctx), channel, since)
    rows = []
    for e in entries:
        stats = await manager.store.user_stats(_tenant(ctx), e.user_id, channel)
        accuracy = e.correct / e.answered if e.answered else 0.0
        rows.append((e, accuracy, stats.games_won, stats.games_played))
    key = {
        "points": lambda r: (-r[0].points, -r[1]),
        "accuracy": lambda r: (-r[1], -r[0].points),
        "wins": lambda r: (-r[2], -r[0].points),
        "games": lambda r: (-r[3], -r[0].points),
    }[sort]
    rows.sort(key=lambda r: (*key(r), r[0].user_name.casefold(), r[0].user_id))
    where = f"#{ctx.channel_id}" if channel else "this server"
    when = "this week" if since else "all time"
    if not rows:
        return Response(title=f"Leaderboard · {where} · {when}",
                        sections=(Section("No scores yet. Start a quiz with /quiz start."),))
    lines = [
        f"{i}. {user_text(e.user_name or e.user_id)}: {e.points} pts · {acc:.0%} right "
        f"({e.correct}/{e.answered}) · {wins} win{'s' if wins != 1 else ''} · {games} game"
        f"{'s' if games != 1 else ''}"
        for i, (e, acc, wins, games) in enumerate(rows[:25], 1)
    ]
    return Response(
        title=f"Leaderboard · {where} · {when} · by {sort}",
        sections=(Section("\n".join(lines)),),
        footer="Ties: points, then accuracy, then name. Wins and games count all time.",
    )


@_needs_quiz
async def stats(request: Request, core: Core, manager: QuizManager) -> Response:
    ctx = request.context
    who = request.option("user")
    user_id, label = ctx.user_id, ctx.user_name
    if who:
        mention = MENTION.match(who.strip())
        if mention:
            user_id, label = mention.group(1), who
        else:
            board = await manager.store.leaderboard(_tenant(ctx), None, None)
            named = [e for e in board if who.lstrip("@").casefold()
                     in (e.user_name.casefold(), e.user_id.casefold())]
            if not named:
                return error("No scores for that person", f"Nobody called '{user_text(who)}' "
                             "has played here yet.", "/quiz stats user:alice")
            user_id, label = named[0].user_id, named[0].user_name
    s = await manager.store.user_stats(_tenant(ctx), user_id)
    label = user_text(s.user_name or label)
    if not s.answered and not s.games_played:
        return Response(title=f"Quiz stats · {label}",
                        sections=(Section("No answers yet. Join the next /quiz start!"),))
    review_fields: tuple[FieldItem, ...] = ()
    if user_id == ctx.user_id:
        items = await _practice(manager, ctx)
        due = len(practice.due_now(items, core.clock.now()))
        review_fields = (FieldItem("Review due", str(due)),
                         FieldItem("Learned", str(sum(1 for p in items if p.learned))))
    return Response(
        title=f"Quiz stats · {label}",
        fields=(
            FieldItem("Games", str(s.games_played)), FieldItem("Wins", str(s.games_won)),
            FieldItem("Answers", str(s.answered)), FieldItem("Accuracy", f"{s.accuracy:.0%}"),
            FieldItem("Best streak", str(s.best_streak)), FieldItem("Points", str(s.points)),
            *review_fields,
        ),
        footer="Across every channel of this server."
        + (" /quiz review practises what is due." if review_fields else ""),
    )


# --------------------------------------------------------------------------- review


@_needs_quiz
async def review(request: Request, core: Core, manager: QuizManager) -> Response:
    ctx = request.context
    await manager.questions_for(ctx.platform, ctx.tenant_id)
    items = await _practice(manager, ctx)
    now = core.clock.now()
    tenant_key = bank_key(ctx.platform, ctx.tenant_id)
    chosen = [(p, q) for p in practice.due_now(items, now)
              if (q := manager.bank.get(p.question_id, tenant_key)) is not None]
    if not chosen:
        upcoming = practice.next_due(items)
        learned = sum(1 for p in items if p.learned)
        if upcoming is None:
            return render.private("Nothing to review", "You have no missed questions waiting. "
                                  "Questions you miss in a quiz come back here, the most-missed "
                                  "first." + (f" Learned so far: {learned}." if learned else ""))
        return render.private("Nothing due right now",
                              f"Your next review question is due {_when(upcoming, now)}. "
                              "Spacing the practice out is what makes it stick.")
    item, question = chosen[0]
    reviews = item.stored.reviews
    shown, _ = practice.shuffled(question, _review_seed(ctx, question.id, str(reviews)))
    buttons = render.option_buttons(shown, lambda i: f"review:{question.id}:{reviews}:{i}")
    rest = len(chosen) - 1
    text = f"{question.prompt}\n{render.options_text(shown)}"
    return render.private(
        f"Review · missed {item.stored.misses}× · {question.topic}",
        f"{text}\n\n{rest} more due after this one." if rest else text,
        buttons,
    )


def _review_seed(ctx: Context, question_id: str, reviews: str) -> str:
    """Options are shuffled anew for each review of a question, the same way on a re-run."""
    return f"{ctx.platform}:{ctx.tenant_id}:{ctx.user_id}:{question_id}:{reviews}"


async def _practice(manager: QuizManager, ctx: Context) -> list[practice.Practice]:
    cards = await manager.store.review_cards(_tenant(ctx), ctx.user_id)
    misses = await manager.store.review_queue(_tenant(ctx), ctx.user_id)
    return practice.practice(cards, misses)


def _when(when: dt.datetime, now: dt.datetime) -> str:
    left = when - now
    if left <= dt.timedelta(0):
        return "now"
    if left < dt.timedelta(hours=1):
        return f"in {max(1, round(left.total_seconds() / 60))} min"
    if left < dt.timedelta(hours=23, minutes=30):
        return f"in {round(left.total_seconds() / 3600)} h"
    days = round(left.total_seconds() / 86400)
    return f"in {days} day{'s' if days != 1 else ''}"


@_needs_quiz_button
async def press_review(button_id: str, ctx: Context, core: Core,
                       manager: QuizManager) -> Response:
    """``review:<question>:<reviews so far>:<option>`` (older buttons lack the count)."""
    parts = button_id.split(":")
    qid, option = parts[1], parts[-1]
    seen = parts[2] if len(parts) == 4 else None
    question = manager.bank.get(qid, bank_key(ctx.platform, ctx.tenant_id))
    if question is None or not option.isdigit() or int(option) >= len(question.options):
        return render.private("That review question is gone")
    item = next((p for p in await _practice(manager, ctx) if p.question_id == qid), None)
    if item is None or item.learned:
        return render.private("That question is not in your review queue",
                              "It was learned or forgotten. /quiz review shows what is due.")
    if seen is not None and seen != str(item.stored.reviews):
        return render.private("You already answered that one",
                              "Your first answer counted. /quiz review shows what is due next.")
    now = core.clock.now()
    if seen is not None:  # buttons made before shuffling (no count) show the bank's order
        question, _ = practice.shuffled(question, _review_seed(ctx, qid, seen))
    correct = next(i for i, o in enumerate(question.options) if o.correct)
    outcome = practice.answer(item, int(option) == correct, now)
    if not await manager.store.save_review_card(_tenant(ctx), ctx.user_id, outcome.saved,
                                                item.stored.reviews, item.folded_miss):
        return render.private("You already answered that one",
                              "Your first answer counted. /quiz review shows what is due next.")
    verdict = "Right!" if outcome.correct else (
        f"Not quite: the answer is {render.LETTERS[correct]}) {question.options[correct].text}")
    after = ("Learned: it leaves your review queue." if outcome.learned
             else f"It comes back {_when(outcome.next_due, now)}.")
    return render.private(verdict, f"{question.explanation}\nSource: {question.citation}\n{after}",
                          (Button("run:/quiz review", "Next review question",
                                  ButtonStyle.PRIMARY),))


# --------------------------------------------------------------------------- import / forget


@_needs_quiz
async def import_questions(request: Request, core: Core, manager: QuizManager) -> Response:
    ctx = request.context
    text = request.option("content") or ""
    await manager.questions_for(ctx.platform, ctx.tenant_id)
    tenant_key = bank_key(ctx.platform, ctx.tenant_id)
    existing = manager.bank.imported.get(tenant_key, {})
    parsed = parse_import(text, shipped_ids=set(manager.bank.shipped),
                          existing=len(existing))
    if isinstance(parsed, ImportProblem):
        return error("Nothing was imported",
                     "\n".join(user_text(p, TEXT_LIMIT) for p in parsed.problems[:15]),
                     "/quiz import content:\"questions: [...]\" (the same YAML as knowledge/quiz)")
    merged = {**existing, **{q.id: q for q in parsed}}
    await manager.store.update_settings(
        _tenant(ctx), quiz_questions=[q.model_dump(mode="json") for q in merged.values()])
    manager.bank.set_imported(tenant_key, list(merged.values()))
    cues = cue_warnings(parsed)
    return Response(
        title=f"Imported {len(parsed)} question{'s' if len(parsed) != 1 else ''}",
        sections=(Section(f"This server now has {len(merged)} questions of its own; only "
                          "this server sees them. They join /quiz start for their topics."),
                  *([Section("\n".join(f"• {w}" for w in cues), heading="Kept, but players "
                             "could guess some answers without knowing them")] if cues else [])),
    )


async def forget(request: Request, core: Core) -> Response:
    ctx = request.context
    return render.private(
        "Forget everything about you?",
        "This deletes your quiz answers, scores and review queue on this server, and removes "
        "you from the leaderboards. It cannot be undone.",
        (render.danger(f"forget:{ctx.user_id}", "Yes, forget me"),),
    )


@_needs_quiz_button
async def press_forget(button_id: str, ctx: Context, core: Core,
               manager: QuizManager) -> Response:
    if button_id != f"forget:{ctx.user_id}":
        return render.private("That button is for someone else",
                              "Use /quiz forget to delete your own data.")
    removed = await manager.forget(ctx.platform, ctx.tenant_id, ctx.user_id)
    return render.private("Done: you are forgotten",
                          f"{removed} stored record{'s' if removed != 1 else ''} deleted.")


@_needs_quiz_button
async def press_answer(button_id: str, ctx: Context, core: Core,
                       manager: QuizManager) -> Response:
    return await manager.press(button_id, ctx)


BUTTONS = {"quiz": press_answer, "review": press_review, "forget": press_forget,
           **_daily.BUTTONS}


def _topic_choices(core: Core) -> list[tuple[str, str]]:
    return [(t, t) for t in TOPICS]


def _fixed(*values: str):  # noqa: ANN202
    return lambda core: [(v, v) for v in values]


COMMAND = CommandSpec(
    name="quiz",
    description="Multiple-choice quizzes for the channel, with scores and leaderboards",
    example="/quiz start topic:pytorch questions:5",
    order=40,
    subcommands=(
        CommandSpec(
            name="start", description="Start a quiz in this channel",
            example="/quiz start topic:jax questions:5 time:30", handler=start,
            options=(
                OptionSpec("topic", "pytorch, tensorflow, keras, jax, concepts or careers",
                           choices=_topic_choices),
                OptionSpec("questions", "How many questions (1-30, default 10)"),
                OptionSpec("difficulty", "easy, medium or hard (default: mixed)",
                           choices=_fixed("easy", "medium", "hard")),
                OptionSpec("time", "Seconds per question (5-120, default 20)"),
            ),
            positional=("topic",),
        ),
        CommandSpec(name="stop", description="End this channel's quiz now (starter or managers)",
                    example="/quiz stop", handler=stop),
        CommandSpec(
            name="leaderboard", description="Top scores in this channel or server",
            example="/quiz leaderboard scope:server period:week", handler=leaderboard,
            options=(
                OptionSpec("scope", "channel or server", choices=_fixed("channel", "server")),
                OptionSpec("period", "week or all", choices=_fixed("week", "all")),
                OptionSpec("sort", "points, accuracy, wins or games", choices=_fixed(*SORTS)),
            ),
        ),
        CommandSpec(name="stats", description="Games, wins, accuracy, streaks and points",
                    example="/quiz stats", handler=stats,
                    options=(OptionSpec("user", "Whose stats (default: yours)"),),
                    positional=("user",)),
        CommandSpec(name="review",
                    description="Privately practise missed questions, spaced out until learned",
                    example="/quiz review", handler=review),
        CommandSpec(
            name="import", description="Add this server's own questions (channel managers)",
            example='/quiz import content:"questions: [...]"', handler=import_questions,
            options=(OptionSpec("content", "The questions, as YAML", required=True),),
            positional=("content",), manager_only=True,
        ),
        CommandSpec(name="forget", description="Delete everything stored about you",
                    example="/quiz forget", handler=forget),
        _daily.SUBCOMMAND,
    ),
)
