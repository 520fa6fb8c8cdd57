"""A quiz world: real TinyDB store on disk, fake clock, outbox recording every post."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.core import Core
from bot.delivery import Delivery, Outbox
from bot.models import Context, Response, unmark
from bot.quiz.bank import QuestionBank
from bot.quiz.manager import QuizManager
from bot.storage import Store


@dataclass
class Recorder:
    """A deliverer that keeps what was posted and edited (as people read it, like an
    adapter: without the marks on people's words), and lets tests await it."""

    posts: list[tuple[str, Response]] = field(default_factory=list)
    edits: list[tuple[str, Response]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    refuse: list[Delivery] = field(default_factory=list)  # the next posts fail like this
    refused: list[Response] = field(default_factory=list)

    async def deliver(self, tenant_id: str, channel_id: str, response: Response) -> Delivery:
        if self.refuse:
            self.refused.append(response.map_text(unmark))
            self.changed.set()
            return self.refuse.pop(0)
        self.posts.append((channel_id, response.map_text(unmark)))
        self.changed.set()
        return Delivery(ok=True, message_id=f"m{len(self.posts)}")

    async def edit(self, tenant_id, channel_id, message_id, response) -> Delivery:  # noqa: ANN001
        self.edits.append((message_id, response.map_text(unmark)))
        self.changed.set()
        return Delivery(ok=True, message_id=message_id)

    async def wait_posts(self, count: int) -> list[Response]:
        """Wait (safety net 10 s) until ``count`` posts were made."""
        await self.wait_for(lambda: len(self.posts) >= count)
        return [r for _, r in self.posts]

    async def wait_for(self, condition) -> None:  # noqa: ANN001
        """Wait (safety net 10 s) until ``condition()`` holds after a post or an edit."""
        async with asyncio.timeout(10):
            while not condition():
                self.changed.clear()
                await self.changed.wait()


@dataclass
class World:
    core: Core
    clock: FakeClock
    store: Store
    manager: QuizManager
    recorder: Recorder
    data_dir: Path

    def ctx(self, user: str, manager: bool = False, channel: str = "study") -> Context:
        return Context(platform="console", user_id=user, user_name=user.capitalize(),
                       channel_id=channel, tenant_id="club", is_manager=manager)

    async def say(self, text: str, user: str = "ann", **kw) -> Response:  # noqa: ANN003
        """The answer as people read it (without the marks on people's words)."""
        return (await self.core.handle_text(text, self.ctx(user, **kw))).map_text(unmark)

    async def press(self, option: int, user: str, question: int | None = None) -> Response:
        session = self.manager.running("console", "club", "study")
        assert session is not None
        q = session.index if question is None else question
        return await self.core.press(f"quiz:{session.id}:{q}:{option}", self.ctx(user))

    def correct(self) -> int:
        session = self.manager.running("console", "club", "study")
        return session.correct_options[session.index]


async def make_world(knowledge, data_dir: Path, clock: FakeClock) -> World:  # noqa: ANN001
    store = await Store.open(data_dir, clock)
    recorder = Recorder()
    outbox = Outbox(clock, rates={"console": 1e9})
    outbox.register("console", recorder)
    manager = QuizManager(QuestionBank.load(), store, outbox, clock, rng=random.Random(7))
    core = Core(knowledge=knowledge, clock=clock)
    core.services.update(store=store, quiz=manager, outbox=outbox)
    return World(core, clock, store, manager, recorder, data_dir)


@pytest.fixture
async def world(knowledge, tmp_path: Path):  # noqa: ANN001
    w = await make_world(knowledge, tmp_path / "data", FakeClock())
    yield w
    await w.manager.shutdown()
    await w.store.close()


__all__ = ["Recorder", "World", "make_world", "replace"]
