"""Assemble the bot from settings: knowledge, storage, outbox, quiz manager, core.

This is the one place that decides what gets built; adapters and the CLI receive an ``App``.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.core import Core
from bot.delivery import Outbox
from bot.digests.refresh import REFRESH
from bot.digests.service import DigestService
from bot.quiz.bank import QuestionBank
from bot.quiz.daily import DailyService
from bot.quiz.manager import QuizManager
from bot.storage import DataDirLocked, Store, open_store
from bot.trends import collector
from bot.trends.digest import DigestBuilder
from knowledge import loader

log = logging.getLogger("framework_coach.app")


def build_core(settings: Settings, clock: Clock | None = None) -> Core:
    """Load (and so validate) the knowledge, then wire the core. Raises ``KnowledgeError``."""
    knowledge = loader.load(settings.knowledge_dir)
    return Core(knowledge=knowledge, clock=clock or SystemClock())


@dataclass
class App:
    core: Core
    outbox: Outbox
    store: Store | None = None
    quiz: QuizManager | None = None
    digests: DigestService | None = None
    daily: DailyService | None = None

    async def start_schedules(self) -> None:
        """Start the digest scheduler and resume quizzes: only for a long-running bot."""
        if self.digests is not None:
            await self.digests.start()
        if self.daily is not None:
            await self.daily.start()

    async def close(self) -> None:
        """Stop timers, then flush and release storage: nothing acknowledged is lost."""
        if self.daily is not None:
            await self.daily.stop()
        if self.digests is not None:
            await self.digests.stop()
        if self.quiz is not None:
            await self.quiz.shutdown()
        if self.store is not None:
            await self.store.close()


async def open_app(settings: Settings, clock: Clock | None = None, *,
                   require_store: bool = True, rng: random.Random | None = None,
                   core: Core | None = None) -> App:
    """Build everything. Raises ``KnowledgeError``, or ``DataDirLocked`` if ``require_store``.

    Without ``require_store`` a locked data directory only disables the stateful commands
    (a one-shot ``ask`` next to a running bot still answers /framework).
    """
    clock = core.clock if core else (clock or SystemClock())
    core = core or build_core(settings, clock)
    bank = QuestionBank.load(settings.knowledge_dir)
    outbox = Outbox(clock)
    try:
        store = await open_store(settings, clock)
    except DataDirLocked:
        if require_store:
            raise
        log.info("data directory in use by another process; quizzes are off for this call")
        return App(core, outbox)
    quiz = QuizManager(bank, store, outbox, clock, rng=rng)
    digests = _digest_service(settings, core, store, outbox, bank)
    # The daily question runs on the digests' scheduler: one scheduler, one claim rule, and
    # on a shared database the same re-reading of what other processes changed.
    daily = DailyService(store, outbox, bank, clock, grace=digests.grace,
                         scheduler=digests.scheduler,
                         default_timezone=digests.default_timezone,
                         load_imports=quiz.questions_for, refresh=digests.refresh)
    core.services.update(store=store, outbox=outbox, quiz=quiz, digests=digests, daily=daily)
    return App(core, outbox, store, quiz, digests, daily)


def _digest_service(settings: Settings, core: Core, store: Store, outbox: Outbox,
                    bank: QuestionBank) -> DigestService:
    knowledge, clock = core.knowledge, core.clock

    async def collect() -> None:
        reports = await collector.collect(store, settings, list(knowledge.frameworks.values()),
                                          clock)
        for r in reports:
            log.info("trend collection: %s", collector.format_report(r))

    return DigestService(
        store, outbox, DigestBuilder(knowledge, clock, store, bank), clock,
        grace=dt.timedelta(minutes=settings.digest_grace_minutes),
        collect=collect if settings.trends_collect else None,
        collect_time=settings.trends_collect_time,
        # On a shared database other processes change subscriptions too: re-read them.
        refresh=REFRESH if settings.database_url is not None else None,
        default_timezone=getattr(settings, "default_timezone", "UTC"),
    )
