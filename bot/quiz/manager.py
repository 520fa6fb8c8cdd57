"""Runs quiz sessions: one per channel, timed on the injected clock, persisted after each event.

The manager owns I/O around the pure ``QuizSession``: it posts questions through the outbox,
waits on the clock for deadlines, saves every accepted answer durably before confirming it
(one small write), saves the session state at each step so a restart resumes the game, and
adds a question's answers to the scores when it closes.

A kill may come between any two writes, so every transition is ordered the same way: first
the new state is saved (one write: the question is closed, the game is stopped or over), then
its scores are counted (one write, counted at most once per question and once per game, see
``Store.record_quiz_step``), then messages go out. A restart that finds a closed question or a
finished game replays the counting, which adds only what is missing, and never reopens the
question or resumes the game.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import random
import secrets
from dataclasses import dataclass, field

from bot.clock import Clock
from bot.delivery import Outbox
from bot.models import Context, Response, Section
from bot.quiz import faults, render
from bot.quiz.bank import QuestionBank, bank_key, in_order
from bot.quiz.session import Outcome, Phase, QuizSession
from bot.storage import AnswerRecord, Fold, GameResult, Store, Tenant
from bot.storage import QuizSession as SavedGame
from knowledge.schema import Question

log = logging.getLogger("framework_coach.quiz")

Key = tuple[str, str, str]  # platform, tenant, channel

DEFAULT_QUESTIONS = 10
DEFAULT_SECONDS = 20
REVEAL_PAUSE = 5.0  # seconds between an answer reveal and the next question
CLOSE_GRACE = 0.25  # answers time-stamped by the deadline may still be arriving
POST_ATTEMPTS = 3  # a question the platform refuses is tried this often, then the game ends
POST_RETRY = 5.0  # seconds between attempts, unless the platform says how long to wait


@dataclass
class _Running:
    session: QuizSession
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class QuizManager:
    def __init__(self, bank: QuestionBank, store: Store, outbox: Outbox, clock: Clock,
                 rng: random.Random | None = None, reveal_pause: float = REVEAL_PAUSE) -> None:
        self.bank = bank
        self.store = store
        self.outbox = outbox
        self.clock = clock
        self.rng = rng or random.Random()
        self.reveal_pause = reveal_pause
        self._running: dict[Key, _Running] = {}
        self._by_id: dict[str, Key] = {}
        self._loaded_imports: set[tuple[str, str]] = set()

    # ------------------------------------------------------------------ queries
    def running(self, platform: str, tenant: str, channel: str) -> QuizSession | None:
        found = self._running.get((platform, tenant, channel))
        return found.session if found else None

    async def questions_for(self, platform: str, tenant: str) -> None:
        """Load a server's imported questions into the bank once."""
        key = (platform, tenant)
        if key in self._loaded_imports:
            return
        settings = await self.store.get_settings(Tenant(platform, tenant))
        raw = settings.get("quiz_questions", [])
        questions = [Question.model_validate(q) for q in raw]
        self.bank.set_imported(bank_key(platform, tenant), questions)
        self._loaded_imports.add(key)

    # ------------------------------------------------------------------ commands
    async def start(self, ctx: Context, questions: list[Question], seconds: int,
                    topic: str | None) -> QuizSession:
        key = (ctx.platform, ctx.tenant_id, ctx.channel_id)
        # Options in a fresh order each game (from the manager's seeded rng), so the answer's
        # place says nothing; the order is saved with the game.
        orders = [self.rng.sample(range(len(q.options)), len(q.options)) for q in questions]
        session = QuizSession(
            id=secrets.token_hex(3),
            platform=ctx.platform,
            tenant_id=ctx.tenant_id,
            channel_id=ctx.channel_id,
            starter_id=ctx.user_id,
            question_ids=[q.id for q in questions],
            correct_options=[next(pos for pos, i in enumerate(order) if q.options[i].correct)
                             for q, order in zip(questions, orders, strict=True)],
            option_counts=[len(q.options) for q in questions],
            seconds=seconds,
            topic=topic,
            option_orders=orders,
        )
        session.open_question(self.clock.now())
        await self._save(session)
        self._launch(key, session)
        return session

    async def stop(self, ctx: Context) -> Response | None:
        """End the channel's quiz now; returns the final standings (or None if none runs)."""
        key = (ctx.platform, ctx.tenant_id, ctx.channel_id)
        running = self._running.get(key)
        if running is None:
            return None
        async with running.lock:
            session = running.session
            session.stop(ctx.user_id)  # saved with the close (or the finish) just below
            if session.phase is Phase.ASKING:
                await self._close_question(session, pause=0)
            session.finish()
            final = await self._finish(key, session)
        if running.task and running.task is not asyncio.current_task():
            running.task.cancel()
        return final

    async def press(self, button_id: str, ctx: Context) -> Response:
        """A quiz button: ``quiz:<session>:<question>:<option>``."""
        try:
            _, sid, question, option = button_id.split(":")
            q_index, o_index = int(question), int(option)
        except ValueError:
            return render.private("That button is not part of a quiz.")
        key = self._by_id.get(sid)
        running = self._running.get(key) if key else None
        if running is None:
            return render.private("That quiz has ended", "Start a new one with /quiz start.")
        async with running.lock:
            session = running.session
            now = self.clock.now()
            player = session.players.get(ctx.user_id)
            before = dataclasses.replace(player) if player else None
            result = session.answer(ctx.user_id, ctx.user_name, o_index, q_index, now)
            if result.outcome is Outcome.ACCEPTED:
                # Durable before it is confirmed: the press itself, which replays through the
                # state machine after a restart (one small write, not the whole state).
                try:
                    await self.store.save_quiz_answer(
                        Tenant(session.platform, session.tenant_id), session.channel_id,
                        {"session_id": session.id, "question": q_index,
                         "user_id": ctx.user_id, "user_name": ctx.user_name,
                         "option": o_index, "answered_at": now.isoformat()},
                    )
                except Exception:
                    session.withdraw(ctx.user_id, before)  # not saved, so not counted either
                    raise
                if session.everyone_answered():
                    running.wake.set()
        return _answer_reply(result.outcome, result.answer.option if result.answer else None)

    async def forget(self, platform: str, tenant: str, user_id: str) -> int:
        """Take the user out of running games in this server, then delete their stored data;
        returns how many stored records went. In this order, a question closing in between
        cannot count their answer again, and a kill in between leaves their data (they were
        not told it is gone) rather than a game that brings part of it back."""
        for (p, t, _), running in list(self._running.items()):
            if (p, t) == (platform, tenant):
                async with running.lock:
                    running.session.players.pop(user_id, None)
                    running.session.answers.pop(user_id, None)
                    await self._save(running.session)
        return await self.store.forget_user(Tenant(platform, tenant), user_id)

    async def abandon(self, platform: str, tenant: str) -> int:
        """End every game in the server without a word (the app was removed from it):
        timers stopped, saved games deleted so a restart does not resume them. Answers
        counted so far stay counted. Returns how many games ended."""
        ended = 0
        for key, running in list(self._running.items()):
            if key[:2] != (platform, tenant):
                continue
            if running.task and running.task is not asyncio.current_task():
                running.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await running.task
            self._running.pop(key, None)
            self._by_id.pop(running.session.id, None)
            ended += 1
        for saved in await self.store.active_quiz_sessions():
            if (saved.tenant.platform, saved.tenant.id) == (platform, tenant):
                await self.store.delete_quiz_session(saved.tenant, saved.channel_id)
        return ended

    # ------------------------------------------------------------------ lifecycle
    async def resume_all(self) -> int:
        """After a restart: pick up every saved game where it stood, after completing what a
        kill cut short (a close's counting, a stopped or finished game's end)."""
        count = 0
        for saved in await self.store.active_quiz_sessions():
            try:
                session = restore(saved)
            except (KeyError, TypeError, ValueError):
                log.warning("dropping unreadable quiz state in %s", saved.channel_id)
                await self.store.delete_quiz_session(saved.tenant, saved.channel_id)
                continue
            key = (session.platform, session.tenant_id, session.channel_id)
            if key in self._running:
                continue
            if session.phase is Phase.REVEALED:
                await self._count_answers(session)  # a no-op unless the kill came before it
                await self._edit_closed(session)
                if session.stopped_by is not None:
                    session.finish()
            if session.phase is Phase.FINISHED:
                await self._finish(key, session, recovered=True)
                continue
            self._launch(key, session)
            count += 1
        return count

    async def shutdown(self) -> None:
        """Stop the timers; the state is already saved, so the games resume at next start."""
        tasks = [r.task for r in self._running.values() if r.task]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._running.clear()
        self._by_id.clear()

    # ------------------------------------------------------------------ the driver
    def _launch(self, key: Key, session: QuizSession) -> None:
        running = _Running(session)
        self._running[key] = running
        self._by_id[session.id] = key
        running.task = asyncio.get_running_loop().create_task(
            self._drive(key, running), name=f"quiz-{session.id}"
        )

    async def _drive(self, key: Key, running: _Running) -> None:
        """Post, wait, reveal, advance, until the session finishes."""
        session = running.session
        try:
            while session.phase is not Phase.FINISHED:
                if session.phase is Phase.ASKING:
                    if session.message_id is None and not await self._post_question(session):
                        async with running.lock:
                            if session.phase is not Phase.FINISHED:
                                session.finish()
                                await self._finish(key, session)
                        return
                    await self._wait_for_close(running)
                    async with running.lock:
                        if session.due_to_close(self.clock.now()):
                            await self._close_question(session, self.reveal_pause)
                else:
                    assert session.next_at is not None
                    await self._sleep_until(session.next_at)
                    async with running.lock:
                        if session.phase is Phase.REVEALED:
                            if not session.advance(self.clock.now()):
                                await self._finish(key, session)
                                return
                            await self._save(session)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("quiz %s failed; closing it with its standings", session.id)
            session.finish()
            await self._finish(key, session)

    async def _wait_for_close(self, running: _Running) -> None:
        session = running.session
        assert session.deadline is not None
        running.wake.clear()
        if session.everyone_answered():
            return
        close_at = session.deadline + dt.timedelta(seconds=CLOSE_GRACE)
        sleeper = asyncio.ensure_future(self._sleep_until(close_at))
        waker = asyncio.ensure_future(running.wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pending in (sleeper, waker):
                pending.cancel()

    async def _sleep_until(self, when: dt.datetime) -> None:
        """Sleep to an absolute time, measured when the sleep starts (tasks start late)."""
        await self.clock.sleep(max(0.0, (when - self.clock.now()).total_seconds()))

    async def _post_question(self, session: QuizSession) -> bool:
        """Show the open question; False if the platform would not take it. Only a question
        on screen is marked posted, and its time runs from then: a refusal is retried
        (``POST_ATTEMPTS``, unless it is permanent), then the game ends with a message."""
        question = self._question(session)
        message = render.question_message(session, question)
        where = (session.platform, session.tenant_id, session.channel_id)
        result = await self.outbox.post(*where, message)
        for _ in range(POST_ATTEMPTS - 1):
            if result.ok or result.permanent:
                break
            log.warning("could not post quiz question in %s (%s); trying again",
                        session.channel_id, result.error)
            await self.clock.sleep(result.retry_after or POST_RETRY)
            result = await self.outbox.post(*where, message)
        if not result.ok:
            log.warning("could not post quiz question in %s: %s; ending the quiz",
                        session.channel_id, result.error)
            await self.outbox.post(*where, Response(
                title="The quiz had to stop",
                sections=(Section(f"I could not post question {session.index + 1} here "
                                  f"({result.error or 'refused'}). Scores so far are kept; "
                                  "start again with /quiz start once I can post."),)))
            return False
        if not session.answers:  # nobody could see it before: its time starts now
            session.open_question(self.clock.now())
        session.message_id = result.message_id or ""
        await self._save(session)
        return True

    async def _close_question(self, session: QuizSession, pause: float) -> None:
        question = self._question(session)
        session.close_question(self.clock.now(), pause)
        await self._save(session)  # closed for good: no answer is accepted after this
        faults.reached("close:after-state")
        await self._count_answers(session)
        faults.reached("close:after-scores")
        await self._edit_closed(session, question)
        if pause:
            await self.outbox.post(session.platform, session.tenant_id, session.channel_id,
                                   render.reveal_message(session, question))

    async def _edit_closed(self, session: QuizSession, question: Question | None = None) -> None:
        """The question's message without its buttons, the answer marked (idempotent)."""
        if session.message_id:
            try:
                question = question or self._question(session)
            except LookupError as exc:  # a bank edit between a kill and the restart
                log.warning("left quiz question %s as it was: %s", session.message_id, exc)
                return
            await self.outbox.edit(session.platform, session.tenant_id, session.channel_id,
                                   session.message_id, render.closed_message(session, question))

    async def _finish(self, key: Key, session: QuizSession, recovered: bool = False) -> Response:
        """End a finished session: saved as over, counted once, deleted, standings shown (to
        the channel, or as the reply to whoever stopped it unless a restart came between)."""
        tenant = Tenant(session.platform, session.tenant_id)
        if not recovered:
            await self._save(session)  # over for good: a restart completes this, never resumes
        faults.reached("finish:after-state")
        await self._count_answers(session, game_over=True)
        faults.reached("finish:after-scores")
        await self.store.delete_quiz_session(tenant, session.channel_id)
        faults.reached("finish:after-delete")
        self._running.pop(key, None)
        self._by_id.pop(session.id, None)
        final = render.final_message(session, stopped=session.stopped_by is not None)
        if session.stopped_by is None or recovered:
            await self.outbox.post(session.platform, session.tenant_id, session.channel_id, final)
        return final

    def _question(self, session: QuizSession) -> Question:
        """The current question with its options in this game's order (as shown and pressed;
        scores and reviews go by question id, never by position)."""
        qid = session.question_ids[session.index]
        found = self.bank.get(qid, bank_key(session.platform, session.tenant_id))
        if found is None:
            raise LookupError(f"question {qid} is no longer in the bank")
        order = session.order(session.index)
        if len(order) != len(found.options):
            raise LookupError(f"question {qid} changed its options during the game")
        return in_order(found, order)

    async def _count_answers(self, session: QuizSession, game_over: bool = False) -> None:
        """Add the current question's answers (and, at the end, the game) to the scores in one
        write, at most once: replaying it after a crash adds only what is still missing."""
        assert session.opened_at is not None
        records = [
            AnswerRecord(
                channel_id=session.channel_id, user_id=user_id, user_name=player.name,
                question_id=session.question_ids[session.index], correct=answer.correct,
                points=answer.points, response_ms=answer.response_ms, streak=player.streak,
                answered_at=session.opened_at + dt.timedelta(milliseconds=answer.response_ms),
            )
            for user_id, answer in session.answers.items()
            if (player := session.players.get(user_id)) is not None
        ]
        fold = Fold(session.channel_id, session.id, session.index, game_over)
        winners = {p.user_id for p in session.winners()}
        games = [GameResult(p.user_id, p.name, p.user_id in winners)
                 for p in session.players.values()] if game_over else []
        await self.store.record_quiz_step(Tenant(session.platform, session.tenant_id), fold,
                                          records, games)

    async def _save(self, session: QuizSession) -> None:
        await self.store.save_quiz_session(Tenant(session.platform, session.tenant_id),
                                           session.channel_id, session.to_dict())


def restore(saved: SavedGame) -> QuizSession:
    """A saved game as it stood: its state, then the answers saved after it, in order. The
    session is pure, so the replay recomputes exactly the points the players were told."""
    session = QuizSession.from_dict(saved.state)
    for answer in sorted(saved.answers, key=lambda a: a["answered_at"]):
        if answer.get("session_id") == session.id:
            session.answer(answer["user_id"], answer["user_name"], answer["option"],
                           answer["question"], dt.datetime.fromisoformat(answer["answered_at"]))
    return session


def _answer_reply(outcome: Outcome, option: int | None) -> Response:
    letter = render.LETTERS[option] if option is not None else "?"
    if outcome is Outcome.ACCEPTED:
        return render.private(f"Answer {letter} recorded",
                              "You'll see who got it right when the question closes.")
    if outcome is Outcome.ALREADY_ANSWERED:
        return render.private(f"You already answered {letter}",
                              "Your first answer is the one that counts.")
    if outcome is Outcome.TOO_LATE:
        return render.private("Time was up for that question",
                              "The answer is being revealed; catch the next one!")
    if outcome is Outcome.BAD_OPTION:
        return render.private("That option does not exist")
    return render.private("That quiz has ended", "Start a new one with /quiz start.")
