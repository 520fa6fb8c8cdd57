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

Several processes may share one database. A press may reach any of them: each answer is saved
with a compare-and-set (the first answer is final, a closed question refuses it), and the
process running the game merges the answers saved elsewhere, sealing the question before it
reveals it so that none confirmed is left out. The game's timer runs in one process at a time,
the holder of its lease (``LEASE``, renewed every ``KEEP_EVERY``); when a process dies, another
takes its games over once their leases run out, and a command that needs a game here now
(stop, forget) takes it at once. A process that finds its lease taken lets the game go
without a word.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import os
import random
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.clock import Clock
from bot.delivery import Outbox
from bot.models import Context, Response, Section
from bot.quiz import faults, render
from bot.quiz.bank import QuestionBank, bank_key, in_order
from bot.quiz.session import AnswerResult, Outcome, Phase, QuizSession, gate_saved
from bot.storage import AnswerRecord, Fold, GameResult, Lease, StorageError, Store, Tenant
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
LEASE = 10.0  # seconds a game stays with its process without a renewal
KEEP_EVERY = 3.0  # how often leases are renewed and dead processes' games taken over
MERGE_EVERY = 1.0  # how often an open question picks up answers saved by other processes


@dataclass
class _Running:
    session: QuizSession
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class _Lost(Exception):
    """Another process runs the game now, or it ended there: this process lets it go."""


class QuizManager:
    def __init__(self, bank: QuestionBank, store: Store, outbox: Outbox, clock: Clock,
                 rng: random.Random | None = None, reveal_pause: float = REVEAL_PAUSE,
                 owner: str | None = None) -> None:
        self.bank = bank
        self.store = store
        self.outbox = outbox
        self.clock = clock
        self.rng = rng or random.Random()
        self.reveal_pause = reveal_pause
        self._running: dict[Key, _Running] = {}
        self._by_id: dict[str, Key] = {}
        self._loaded_imports: set[tuple[str, str]] = set()
        # Names this process in the games' leases (unique per start, readable in the database).
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._keeper: asyncio.Task[None] | None = None
        # Held while a game comes to run here (started, or taken by the keeper or a command),
        # so that no two of them start a driver for the same game.
        self._arriving = asyncio.Lock()

    # ------------------------------------------------------------------ queries
    def running(self, platform: str, tenant: str, channel: str) -> QuizSession | None:
        """The channel's game if this process runs its timer."""
        found = self._running.get((platform, tenant, channel))
        return found.session if found else None

    async def current(self, platform: str, tenant: str, channel: str) -> QuizSession | None:
        """The channel's game, run here or (as last saved) by another process."""
        local = self.running(platform, tenant, channel)
        if local is not None:
            return local
        saved = await self.store.quiz_game(Tenant(platform, tenant), channel)
        try:
            return restore(saved) if saved is not None else None
        except (KeyError, TypeError, ValueError):
            return None

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
                    topic: str | None) -> QuizSession | None:
        """Start a game; None if the channel has one already (started in another process)."""
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
        async with self._arriving:
            try:
                await self._save(session, new=True)
            except _Lost:
                return None
            self._launch(key, _Running(session))
        return session

    async def stop(self, ctx: Context) -> Response | None:
        """End the channel's quiz now; returns the final standings (or None if none runs).
        A game another process runs is taken over first, so this process can end it."""
        key = (ctx.platform, ctx.tenant_id, ctx.channel_id)
        running = (self._running.get(key) or await self._take_here(key, force=True)
                   or self._running.get(key))  # or the keeper took it here meanwhile
        if running is None:
            return None
        try:
            async with running.lock:
                session = running.session
                if session.phase is Phase.FINISHED:
                    return None
                session.stop(ctx.user_id)  # saved with the close (or the finish) just below
                if session.phase is Phase.ASKING:
                    await self._close_question(session, pause=0)
                session.finish()
                final = await self._finish(key, session)
        except _Lost:
            self._let_go(key, running)
            return None
        except Exception:
            if running.task is None:  # taken for this stop: no timer here, so run it again
                self._drop(key, running)  # from its saved state (the keeper takes it)
            raise
        if running.task and running.task is not asyncio.current_task():
            running.task.cancel()
        return final

    async def press(self, button_id: str, ctx: Context) -> Response:
        """A quiz button: ``quiz:<session>:<question>:<option>``, in whichever process."""
        try:
            _, sid, question, option = button_id.split(":")
            q_index, o_index = int(question), int(option)
        except ValueError:
            return render.private("That button is not part of a quiz.")
        key = self._by_id.get(sid)
        running = self._running.get(key) if key else None
        if running is None:
            return await self._press_saved(sid, q_index, o_index, ctx)
        async with running.lock:
            session = running.session
            now = self.clock.now()
            player = session.players.get(ctx.user_id)
            before = dataclasses.replace(player) if player else None
            result = session.answer(ctx.user_id, ctx.user_name, o_index, q_index, now)
            if result.outcome is not Outcome.ACCEPTED:
                return _answer_reply(result.outcome, _option(result))
            # Durable before it is confirmed: the press itself, which replays through the
            # state machine after a restart (one small write, not the whole state).
            try:
                stored = await self._save_answer(
                    Tenant(session.platform, session.tenant_id), session.channel_id,
                    session.id, q_index, o_index, now, ctx)
            except Exception:
                session.withdraw(ctx.user_id, before)  # not saved, so not counted either
                raise
            if stored != "recorded":  # answered or closed in another process
                session.withdraw(ctx.user_id, before)
                return await self._refusal(sid, q_index, o_index, ctx)
            if session.everyone_answered():
                running.wake.set()
        return _answer_reply(Outcome.ACCEPTED, o_index)

    async def _press_saved(self, sid: str, q_index: int, o_index: int, ctx: Context) -> Response:
        """A press for a game whose timer runs in another process: one compare-and-set that
        also checks the saved state's time and options (``gate_saved``); that process
        merges it. Its cost does not grow with the players."""
        now = self.clock.now()

        def check(state: dict[str, Any]) -> str | None:
            try:
                refused = gate_saved(state, q_index, o_index, now)
            except (KeyError, TypeError, ValueError, IndexError):
                refused = Outcome.NOT_OPEN
            return refused.value if refused is not None else None

        stored = await self._save_answer(Tenant(ctx.platform, ctx.tenant_id), ctx.channel_id,
                                         sid, q_index, o_index, now, ctx, check)
        if stored == "recorded":
            return _answer_reply(Outcome.ACCEPTED, o_index)
        if stored in (Outcome.TOO_LATE, Outcome.BAD_OPTION, Outcome.NOT_OPEN):
            return _answer_reply(Outcome(stored), None)
        if stored == "ended":
            return _answer_reply(Outcome.NOT_OPEN, None)
        return await self._refusal(sid, q_index, o_index, ctx)

    async def _refusal(self, sid: str, q_index: int, o_index: int, ctx: Context) -> Response:
        """What the store's refusal means for this person, read from the saved game."""
        session = await self._saved_session(sid, ctx)
        if session is None:
            return _answer_reply(Outcome.NOT_OPEN, None)
        result = session.answer(ctx.user_id, ctx.user_name, o_index, q_index, self.clock.now())
        if result.outcome is Outcome.ACCEPTED:  # sealed, so closed although its time is not up
            return _answer_reply(Outcome.TOO_LATE, None)
        return _answer_reply(result.outcome, _option(result))

    async def _saved_session(self, sid: str, ctx: Context) -> QuizSession | None:
        saved = await self.store.quiz_game(Tenant(ctx.platform, ctx.tenant_id), ctx.channel_id)
        if saved is None or saved.state.get("id") != sid:
            return None
        try:
            return restore(saved)
        except (KeyError, TypeError, ValueError):
            return None

    async def _save_answer(self, tenant: Tenant, channel_id: str, sid: str, q_index: int,
                           o_index: int, now: dt.datetime, ctx: Context,
                           check: Callable[[dict[str, Any]], str | None] | None = None) -> str:
        return await self.store.save_quiz_answer(
            tenant, channel_id,
            {"session_id": sid, "question": q_index, "user_id": ctx.user_id,
             "user_name": ctx.user_name, "option": o_index, "answered_at": now.isoformat()},
            check,
        )

    async def forget(self, platform: str, tenant: str, user_id: str) -> int:
        """Take the user out of running games in this server, then delete their stored data;
        returns how many stored records went. In this order, a question closing in between
        cannot count their answer again, and a kill in between leaves their data (they were
        not told it is gone) rather than a game that brings part of it back. Games another
        process runs are taken over first, so their state is changed in one place."""
        for saved in await self.store.active_quiz_sessions():
            key = (saved.tenant.platform, saved.tenant.id, saved.channel_id)
            if (platform, tenant) != key[:2]:
                continue
            stale = self._running.get(key)
            if stale is not None and saved.owner not in (None, self.owner):
                self._let_go(key, stale)  # taken over a moment ago: taken back just below
            if key not in self._running:
                taken = await self._take_here(key, force=True)
                if taken is not None:
                    self._launch(key, taken)
        # The games stay locked until the data is gone: a question closing in between would
        # take the user's saved answer (deleted below) back into the game.
        async with contextlib.AsyncExitStack() as locked:
            for key, running in list(self._running.items()):
                if key[:2] == (platform, tenant):
                    await locked.enter_async_context(running.lock)
                    try:
                        await self._merge(running.session)
                        running.session.players.pop(user_id, None)
                        running.session.answers.pop(user_id, None)
                        await self._save(running.session)
                    except _Lost:  # it ended meanwhile
                        self._let_go(key, running)
            return await self.store.forget_user(Tenant(platform, tenant), user_id)

    async def abandon(self, platform: str, tenant: str) -> int:
        """End every game in the server without a word (the app was removed from it):
        timers stopped, saved games deleted so no process resumes them (one running them
        lets them go at its next save). Answers counted so far stay counted. Returns how
        many games ended here."""
        ended = 0
        for key, running in list(self._running.items()):
            if key[:2] != (platform, tenant):
                continue
            if running.task and running.task is not asyncio.current_task():
                running.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await running.task
            self._drop(key, running)
            ended += 1
        for saved in await self.store.active_quiz_sessions():
            if (saved.tenant.platform, saved.tenant.id) == (platform, tenant):
                await self.store.delete_quiz_session(saved.tenant, saved.channel_id)
        return ended

    # ------------------------------------------------------------------ lifecycle
    async def resume_all(self) -> int:
        """At start: run every saved game no live process runs (completing what a kill cut
        short), then keep this process's leases and take over the games of processes that
        die (every ``KEEP_EVERY``). Returns how many games this process now runs."""
        resumed = await self._take_over_orphans()
        if self._keeper is None:
            self._keeper = asyncio.get_running_loop().create_task(self._keep(),
                                                                  name="quiz-leases")
        return resumed

    async def shutdown(self) -> None:
        """Stop the timers and hand the games back (their leases end now), so another
        process, or this one at its next start, picks them up where they stood."""
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._keeper
            self._keeper = None
        running = list(self._running.values())
        for r in running:
            if r.task:
                r.task.cancel()
        for r in running:
            if r.task:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await r.task
        self._running.clear()
        self._by_id.clear()
        for r in running:
            s = r.session
            with contextlib.suppress(Exception):  # the lease runs out by itself otherwise
                await self.store.lease_quiz_game(Tenant(s.platform, s.tenant_id), s.channel_id,
                                                 s.id, Lease(self.owner, self.clock.now()))

    async def _keep(self) -> None:
        while True:
            await self.clock.sleep(KEEP_EVERY)
            try:
                await self._renew_leases()
                taken = await self._take_over_orphans()
                if taken:
                    log.info("took over %d quiz game(s) from a process that stopped", taken)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a database blip: try again next round
                log.warning("quiz leases: %s; trying again in %.0f s", exc, KEEP_EVERY)

    async def _renew_leases(self) -> None:
        for key, running in list(self._running.items()):
            s = running.session
            if running.task is not None and running.task.done():
                # Its driver failed, even to end the game: run it again from its saved state
                # (just below, or in another process) rather than keep it here forever.
                if not running.task.cancelled():
                    log.warning("quiz %s stopped (%r); resuming it", s.id,
                                running.task.exception())
                self._drop(key, running)
                continue
            if s.phase is Phase.FINISHED:
                continue  # being ended here (and deleted): letting go would cut that short
            if not await self.store.lease_quiz_game(Tenant(s.platform, s.tenant_id),
                                                    s.channel_id, s.id, self._lease()):
                self._let_go(key, running)

    async def _take_over_orphans(self) -> int:
        """Run the saved games whose lease has run out (their process stopped)."""
        count = 0
        now = self.clock.now()
        for saved in await self.store.active_quiz_sessions():
            key = (saved.tenant.platform, saved.tenant.id, saved.channel_id)
            if key in self._running or (saved.lease_until is not None and saved.lease_until > now
                                        and saved.owner != self.owner):
                continue
            running = await self._take_here(key)
            if running is not None:
                self._launch(key, running)
                count += 1
        return count

    async def _take_here(self, key: Key, force: bool = False) -> _Running | None:
        """Take a saved game's lease (``force``: even from a live process, for a command
        here), then restore it as it stands, completing what a kill cut short. None if there
        is no game to run (none, not taken, unreadable, or just finished), or if it runs here
        already."""
        async with self._arriving:
            if key in self._running:
                return None
            return await self._take(key, force)

    async def _take(self, key: Key, force: bool) -> _Running | None:
        tenant = Tenant(key[0], key[1])
        saved = await self.store.quiz_game(tenant, key[2])
        if saved is None:
            return None
        game_id = str(saved.state.get("id"))
        if not await self.store.lease_quiz_game(tenant, key[2], game_id, self._lease(),
                                                force=force):
            return None
        saved = await self.store.quiz_game(tenant, key[2])  # as it stands under our lease
        if saved is None:
            return None
        try:
            session = restore(saved)
        except (KeyError, TypeError, ValueError):
            log.warning("dropping unreadable quiz state in %s", key[2])
            await self.store.delete_quiz_session(tenant, key[2])
            return None
        if session.phase is Phase.REVEALED:
            await self._count_answers(session)  # a no-op unless the kill came before it
            await self._edit_closed(session)
            if session.stopped_by is not None:
                session.finish()
        if session.phase is Phase.FINISHED:
            await self._finish(key, session, recovered=True)
            return None
        running = _Running(session)
        self._running[key] = running
        self._by_id[session.id] = key
        return running

    def _let_go(self, key: Key, running: _Running) -> None:
        """Another process runs the game now: stop its timer here without a word."""
        log.info("quiz %s in %s: another process runs it now, or it ended there",
                 running.session.id, key[2])
        if running.task and running.task is not asyncio.current_task():
            running.task.cancel()
        self._drop(key, running)

    def _drop(self, key: Key, running: _Running) -> None:
        if self._running.get(key) is running:
            self._running.pop(key, None)
        if self._by_id.get(running.session.id) == key:
            self._by_id.pop(running.session.id, None)

    def _lease(self) -> Lease:
        return Lease(self.owner, self.clock.now() + dt.timedelta(seconds=LEASE))

    # ------------------------------------------------------------------ the driver
    def _launch(self, key: Key, running: _Running) -> None:
        self._running[key] = running
        self._by_id[running.session.id] = key
        running.task = asyncio.get_running_loop().create_task(
            self._drive(key, running), name=f"quiz-{running.session.id}"
        )

    async def _drive(self, key: Key, running: _Running) -> None:
        """Post, wait, reveal, advance, until the session finishes."""
        session = running.session
        try:
            while session.phase is not Phase.FINISHED:
                if session.phase is Phase.ASKING:
                    if session.message_id is None and not await self._post_question(running):
                        async with running.lock:
                            if session.phase is not Phase.FINISHED:
                                await self._seal(session)
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
        except _Lost:
            self._let_go(key, running)
        except Exception:
            log.exception("quiz %s failed; closing it with its standings", session.id)
            with contextlib.suppress(_Lost):
                if session.phase is Phase.ASKING:
                    await self._seal(session)  # answers confirmed elsewhere count too
                session.finish()
                await self._finish(key, session)

    async def _wait_for_close(self, running: _Running) -> None:
        """Until the deadline (and its grace), or everyone has answered, here or in another
        process (their answers are merged every ``MERGE_EVERY``)."""
        session = running.session
        assert session.deadline is not None
        running.wake.clear()
        if session.everyone_answered():
            return
        close_at = session.deadline + dt.timedelta(seconds=CLOSE_GRACE)
        loop = asyncio.get_running_loop()
        waits = {loop.create_task(self._sleep_until(close_at)),
                 loop.create_task(running.wake.wait()),
                 loop.create_task(self._merge_while_open(running),
                                  name=f"quiz-{session.id}-merge")}
        try:
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pending in waits:
                pending.cancel()
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]

    async def _merge_while_open(self, running: _Running) -> None:
        """Only speeds a close up: a read that fails (a database blip) is tried next time,
        and the question still closes at its deadline."""
        while True:
            await self.clock.sleep(MERGE_EVERY)
            async with running.lock:
                try:
                    await self._merge(running.session)
                except StorageError as exc:
                    log.warning("quiz %s: could not read answers from other processes (%s); "
                                "trying again", running.session.id, exc)
                    continue
                if running.session.everyone_answered():
                    return

    async def _merge(self, session: QuizSession) -> None:
        """Replay into the game the answers other processes saved for it; raises ``_Lost``
        when the game is no longer this process's (taken over, or ended elsewhere)."""
        saved = await self.store.quiz_game(Tenant(session.platform, session.tenant_id),
                                           session.channel_id)
        if saved is None or saved.state.get("id") != session.id or (
                saved.owner not in (None, self.owner)):
            raise _Lost(session.id)
        replay(session, saved.answers)

    async def _sleep_until(self, when: dt.datetime) -> None:
        """Sleep to an absolute time, measured when the sleep starts (tasks start late)."""
        await self.clock.sleep(max(0.0, (when - self.clock.now()).total_seconds()))

    async def _post_question(self, running: _Running) -> bool:
        """Show the open question; False if the platform would not take it. Only a question
        on screen is marked posted, and its time runs from then: a refusal is retried
        (``POST_ATTEMPTS``, unless it is permanent), then the game ends with a message."""
        session = running.session
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
        async with running.lock:
            await self._merge(session)  # a process that died after posting it had answers
            if not session.answers:  # nobody could see it before: its time starts now
                session.open_question(self.clock.now())
            session.message_id = result.message_id or ""
            await self._save(session)
        return True

    async def _close_question(self, session: QuizSession, pause: float) -> None:
        """Seal the question (no answer is accepted after this, in any process), take in
        every answer saved for it, then save, count and reveal."""
        question = self._question(session)
        await self._seal(session)
        session.close_question(self.clock.now(), pause)
        await self._save(session)  # closed for good
        faults.reached("close:after-state")
        await self._count_answers(session)
        faults.reached("close:after-scores")
        await self._edit_closed(session, question)
        if pause:
            await self.outbox.post(session.platform, session.tenant_id, session.channel_id,
                                   render.reveal_message(session, question))

    async def _seal(self, session: QuizSession) -> None:
        """Close the open question to answers in every process and take in those saved for
        it, so that every confirmed answer is part of the state saved next."""
        answers = await self.store.seal_quiz_question(
            Tenant(session.platform, session.tenant_id), session.channel_id, session.id,
            session.index, self.owner)
        if answers is None:
            raise _Lost(session.id)
        replay(session, answers)

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

    async def _save(self, session: QuizSession, new: bool = False) -> None:
        """Save the game under this process's lease (renewing it); ``_Lost`` if refused."""
        if not await self.store.save_quiz_session(
                Tenant(session.platform, session.tenant_id), session.channel_id,
                session.to_dict(), self._lease(), new=new):
            raise _Lost(session.id)


def restore(saved: SavedGame) -> QuizSession:
    """A saved game as it stood: its state, then the answers saved after it, in order. The
    session is pure, so the replay recomputes exactly the points the players were told."""
    session = QuizSession.from_dict(saved.state)
    replay(session, saved.answers)
    return session


def replay(session: QuizSession, answers: list[dict[str, Any]]) -> None:
    """Apply answers saved one by one (here or by another process) in the order given;
    one the game already holds changes nothing."""
    for answer in sorted(answers, key=lambda a: a["answered_at"]):
        if answer.get("session_id") == session.id:
            session.answer(answer["user_id"], answer["user_name"], answer["option"],
                           answer["question"], dt.datetime.fromisoformat(answer["answered_at"]))


def _option(result: AnswerResult) -> int | None:
    return result.answer.option if result.answer else None


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
