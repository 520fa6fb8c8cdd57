"""The daily question on a controlled clock, through the real APScheduler and real storage
files: a month of days across a DST change, restarts mid-day and across missed days."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.delivery import Outbox
from bot.quiz.daily import DailyService
from bot.storage import DailyDay, DailySub, Tenant
from tests.bot.digests.conftest import Platform, World, shipped_bank

TENANT = Tenant("console", "club")
BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC


class DailyWorld(World):
    """The digests' test world (fake clock, scripted platform, crash and restart), running
    the daily-question service instead."""

    service: DailyService | None  # type: ignore[assignment]

    async def start(self) -> DailyService:  # type: ignore[override]
        self.store = await self.open_store()
        outbox = Outbox(self.clock, rates={"console": 1000.0})
        outbox.register("console", self.platform)
        self.service = DailyService(self.store, outbox, shipped_bank(), self.clock,
                                    grace=self.grace, refresh=self.refresh)
        await self.service.start()
        await self.settle()
        return self.service

    async def settle(self) -> None:
        """The digests' settle, until nothing is left in flight: a scheduler wake-up queued by
        a job's last step (``add_job``) runs after that job is done, and may start a run or
        a timer; both must be seen before the clock moves on."""
        while True:
            await super().settle()
            for _ in range(3):
                await asyncio.sleep(0)
            timer = self.service.scheduler._timer if self.service else None
            busy = [f for f in (self.service.busy() if self.service else [])
                    if f not in self.clock.parked]
            if not busy and (timer is None or timer.done() or timer in self.clock.parked):
                return

    async def restart_at(self, when: dt.datetime) -> None:
        """Start again at ``when`` and let the resume (late reveals, late posts) finish."""
        self.clock.set(when)
        await self.start()
        await self.run_until(when + dt.timedelta(seconds=1))

    async def daily(self, channel: str = "quiz", **kw) -> DailySub:  # noqa: ANN003
        assert self.service
        sub = await self.service.subscribe(TENANT, DailySub(channel_id=channel, **kw))
        await self.settle()
        return sub

    def questions(self, channel: str = "quiz") -> list[tuple[dt.datetime, str]]:
        """(time, day) of every question posted in ``channel``."""
        return [(t, r.title.split(" · ")[1]) for c, t, r in self.platform.posts
                if c == channel and "answer:" not in r.title]

    def reveals(self, channel: str = "quiz") -> list[tuple[dt.datetime, str]]:
        return [(t, r.title.split(" · ")[1]) for c, t, r in self.platform.posts
                if c == channel and "answer:" in r.title]

    async def right_and_wrong(self, day: str, channel: str = "quiz") -> tuple[int, int]:
        """Button positions of the right option and of a wrong one, from the bank itself."""
        assert self.store
        record = next(d for d in await self.store.daily_days(TENANT, channel) if d.day == day)
        question = shipped_bank().get(record.question_id)
        right = next(i for i, o in enumerate(record.order) if question.options[o].correct)
        return right, (right + 1) % len(record.order)

    async def answer(self, user: str, day: str, right: bool, channel: str = "quiz") -> str:
        assert self.service
        good, bad = await self.right_and_wrong(day, channel)
        done = await self.service.press(f"daily:{day}:{good if right else bad}", "console",
                                        "club", channel, user, user.capitalize())
        await self.settle()
        return done.title


@pytest.fixture
async def world(knowledge, tmp_path):  # noqa: ANN001
    from bot.clock import FakeClock

    clock = FakeClock(dt.datetime(2026, 3, 10, 6, 0, tzinfo=UTC))
    w = DailyWorld(clock, tmp_path / "data", knowledge, Platform(clock))
    await w.start()
    yield w
    if w.service is not None:
        await w.stop()


def near(when: dt.datetime, expected: dt.datetime) -> bool:
    """Within the second after ``expected`` (posts are paced a millisecond apart)."""
    return dt.timedelta(0) <= when - expected < dt.timedelta(seconds=1)


def at(day: dt.date, hour: int, minute: int = 0, zone: ZoneInfo = BERLIN) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)


async def test_a_month_of_daily_questions_across_the_spring_dst_change(world):
    """Berlin moves to summer time on 29 March 2026: 09:00 local is 08:00 UTC, then 07:00."""
    await world.daily(time="09:00", timezone="Europe/Berlin")
    first = dt.date(2026, 3, 10)
    days = [first + dt.timedelta(days=n) for n in range(31)]
    for n, day in enumerate(days):
        await world.run_until(at(day, 12).astimezone(UTC))
        assert await world.answer("ann", day.isoformat(), right=True) == "Answer " \
            f"{'ABCDE'[(await world.right_and_wrong(day.isoformat()))[0]]} recorded"
        await world.answer("bob", day.isoformat(), right=n % 3 != 2)  # wrong every third day
    await world.run_until(at(days[-1] + dt.timedelta(days=1), 9, 30).astimezone(UTC))

    posted = world.questions()
    assert [d for _, d in posted] == [d.isoformat() for d in days] + ["2026-04-10"]
    assert {t.astimezone(BERLIN).strftime("%H:%M") for t, _ in posted} == {"09:00"}
    assert {t.astimezone(UTC).hour for t, _ in posted if t.date() < dt.date(2026, 3, 29)} == {8}
    assert {t.astimezone(UTC).hour for t, _ in posted if t.date() > dt.date(2026, 3, 29)} == {7}
    # Each day is revealed once, when the next question is posted, and before it.
    reveals = world.reveals()
    assert [d for _, d in reveals] == [d.isoformat() for d in days]
    order = [(c, r.title) for c, _, r in world.platform.posts]
    for day in days[1:]:
        shown = [i for i, (_, title) in enumerate(order) if day.isoformat() in title]
        previous = [i for i, (_, title) in enumerate(order)
                    if (day - dt.timedelta(days=1)).isoformat() in title and "answer:" in title]
        assert previous[0] < shown[0]
    # Scores: 100 a right answer, on the leaderboard; misses join the review queue.
    board = {e.user_id: e for e in await world.store.leaderboard(TENANT, "quiz")}
    assert (board["ann"].points, board["ann"].correct, board["ann"].answered) == (3100, 31, 31)
    assert (board["bob"].points, board["bob"].answered) == (2100, 31)
    assert len(await world.store.review_queue(TENANT, "bob")) >= 1
    streaks = {s.user_id: s for s in await world.store.daily_streaks(TENANT, "quiz")}
    assert (streaks["ann"].current, streaks["ann"].best) == (31, 31)
    assert (streaks["bob"].current, streaks["bob"].best) == (1, 2)
    last = world.platform.posts[-2][2]  # the reveal of 9 April, before the 10 April question
    assert "Ann 🔥31" in last.plain_text() and "Why" in [s.heading for s in last.sections]


async def test_restart_mid_day_keeps_the_question_and_its_answers(world):
    await world.daily(time="09:00", timezone="UTC")
    day = "2026-03-10"
    await world.run_until(dt.datetime(2026, 3, 10, 10, 0, tzinfo=UTC))
    assert await world.answer("ann", day, right=True) != "You already answered"
    await world.crash()  # mid-day: the process dies
    await world.restart_at(dt.datetime(2026, 3, 10, 14, 0, tzinfo=UTC))
    assert len(world.questions()) == 1  # not posted again after the restart
    assert (await world.answer("ann", day, right=False)).startswith("You already answered")
    await world.answer("bob", day, right=True)
    await world.stop()  # and a graceful restart, too
    await world.start()
    await world.run_until(dt.datetime(2026, 3, 11, 9, 1, tzinfo=UTC))
    assert [d for _, d in world.questions()] == ["2026-03-10", "2026-03-11"]
    (reveal_time, _), = world.reveals()
    assert near(reveal_time, dt.datetime(2026, 3, 11, 9, 0, tzinfo=UTC))
    reveal = next(r for _, _, r in world.platform.posts if "answer:" in r.title)
    assert "Ann, Bob (2 of 2)" in reveal.plain_text()
    board = {e.user_id: e.points for e in await world.store.leaderboard(TENANT, "quiz")}
    assert board == {"ann": 100, "bob": 100}  # counted once, whatever the restarts


async def test_a_crash_between_closing_and_revealing_reveals_once_and_scores_once(world):
    await world.daily(time="09:00", timezone="UTC")
    await world.run_until(dt.datetime(2026, 3, 10, 10, 0, tzinfo=UTC))
    await world.answer("ann", "2026-03-10", right=True)
    await world.store.close_daily(TENANT, "quiz", "2026-03-10")  # the close's commit...
    await world.crash()  # ...and the process dies before posting the reveal
    await world.restart_at(dt.datetime(2026, 3, 10, 11, 0, tzinfo=UTC))
    assert len(world.reveals()) == 1
    await world.run_until(dt.datetime(2026, 3, 11, 9, 30, tzinfo=UTC))
    assert len(world.reveals()) == 1
    board = {e.user_id: e.points for e in await world.store.leaderboard(TENANT, "quiz")}
    assert board == {"ann": 100}


async def test_missed_days_are_posted_late_within_the_grace_or_skipped_with_a_note(world):
    await world.daily(time="09:00", timezone="UTC")  # grace: 6 hours
    await world.run_until(dt.datetime(2026, 3, 10, 10, 0, tzinfo=UTC))
    await world.crash()
    await world.restart_at(dt.datetime(2026, 3, 11, 11, 0, tzinfo=UTC))  # 2 h late
    when, day = world.questions()[-1]
    assert day == "2026-03-11" and near(when, dt.datetime(2026, 3, 11, 11, 0, tzinfo=UTC))
    late = world.platform.posts[-1][2]
    assert "posted late" in late.footer
    assert [d for _, d in world.reveals()] == ["2026-03-10"]  # closed while down: revealed now
    await world.crash()
    await world.restart_at(dt.datetime(2026, 3, 14, 18, 0, tzinfo=UTC))  # 12th-14th missed
    assert [d for _, d in world.questions()] == ["2026-03-10", "2026-03-11"]
    assert [d for _, d in world.reveals()] == ["2026-03-10", "2026-03-11"]
    status = await world.service.status(TENANT, "quiz")
    assert status.sub.skipped == ("2026-03-12", "2026-03-13", "2026-03-14")
    assert "Skipped" in status.sub.note and "grace" in status.sub.note
    await world.run_until(dt.datetime(2026, 3, 15, 9, 30, tzinfo=UTC))
    when, day = world.questions()[-1]
    assert day == "2026-03-15" and near(when, dt.datetime(2026, 3, 15, 9, 0, tzinfo=UTC))
    days = [d for _, d in world.questions()]
    assert len(days) == len(set(days))


async def test_moving_the_time_later_the_same_day_does_not_post_twice(world):
    await world.daily(time="09:00", timezone="UTC")
    await world.run_until(dt.datetime(2026, 3, 10, 10, 0, tzinfo=UTC))
    await world.daily(time="15:00", timezone="UTC")  # a manager changes it after the post
    await world.run_until(dt.datetime(2026, 3, 11, 16, 0, tzinfo=UTC))
    assert [(t.hour, d) for t, d in world.questions()] == [
        (9, "2026-03-10"), (15, "2026-03-11")]
    (when, day), = world.reveals()  # still at the closing time it was posted with
    assert day == "2026-03-10" and near(when, dt.datetime(2026, 3, 11, 9, 0, tzinfo=UTC))


async def test_a_set_closing_time_reveals_the_same_day_and_refuses_later_answers(world):
    await world.daily(time="08:00", close="18:00", timezone="Europe/Berlin")
    await world.run_until(dt.datetime(2026, 3, 10, 16, 0, tzinfo=UTC))  # 17:00 Berlin
    await world.answer("ann", "2026-03-10", right=True)
    await world.run_until(dt.datetime(2026, 3, 10, 17, 30, tzinfo=UTC))
    (when, day), = world.reveals()
    assert day == "2026-03-10" and near(when, dt.datetime(2026, 3, 10, 17, 0, tzinfo=UTC))
    assert (await world.answer("bob", "2026-03-10", right=True)).endswith("has closed")


async def test_repeated_autumn_hour_posts_once(world):
    """02:30 happens twice in Berlin on 25 October 2026."""
    world.clock.set(dt.datetime(2026, 10, 22, tzinfo=UTC))
    await world.daily(time="02:30", timezone="Europe/Berlin")
    await world.run_until(dt.datetime(2026, 10, 28, tzinfo=UTC))
    days = [d for _, d in world.questions()]
    assert days == ["2026-10-22", "2026-10-23", "2026-10-24", "2026-10-25", "2026-10-26",
                    "2026-10-27"]


def core_for(world):  # noqa: ANN001, ANN201
    from bot.core import Core

    core = Core(knowledge=world.knowledge, clock=world.clock)
    core.services.update(daily=world.service, store=world.store)
    return core


async def test_daily_commands_subscribe_status_unsubscribe(world):
    from bot.models import Context, Visibility

    core = core_for(world)
    member = Context(platform="console", user_id="ann", user_name="Ann", channel_id="quiz",
                     tenant_id="club")
    mod = Context(platform="console", user_id="mo", user_name="Mo", channel_id="quiz",
                  tenant_id="club", is_manager=True)
    refused = await core.handle_text("/quiz daily subscribe time:08:00", member)
    assert refused.is_error and "channel managers" in refused.title
    bad = await core.handle_text("/quiz daily subscribe time:25:00 timezone:Mars/Base "
                                 "topic:cooking", mod)
    assert bad.is_error and bad.plain_text().count("•") == 3
    saved = await core.handle_text("/quiz daily subscribe time:7pm timezone:berlin topic:jax",
                                   mod)
    assert saved.title == "Daily question saved", saved.plain_text()
    assert "19:00 (Europe/Berlin)" in saved.plain_text() and "jax" in saved.plain_text()
    status = await core.handle_text("/quiz daily status", member)
    fields = {f.name: f.value for f in status.fields}
    assert status.visibility is Visibility.PRIVATE
    assert fields["Next question"].startswith("Tue 10 Mar 2026, 19:00 CET")
    assert fields["Last question"] == "none yet"
    await world.run_until(dt.datetime(2026, 3, 10, 18, 30, tzinfo=UTC))
    (_, _, posted), = world.platform.posts
    assert world.service.bank.get(
        (await world.store.daily_days(TENANT, "quiz"))[0].question_id).topic == "jax"
    assert "Open until Wed 11 Mar 19:00 (Europe/Berlin)" in posted.footer
    fields = {f.name: f.value for f in (await core.handle_text("/quiz daily", member)).fields}
    assert fields["Last question"] == "2026-03-10: open for answers"
    gone = await core.handle_text("/quiz daily unsubscribe", mod)
    assert gone.title == "Daily question stopped"
    # The open question still closes and is revealed at its time, and nothing more is posted.
    await world.run_until(dt.datetime(2026, 3, 13, tzinfo=UTC))
    assert [d for _, d in world.reveals()] == ["2026-03-10"]
    assert len(world.questions()) == 1
    none = await core.handle_text("/quiz daily status", member)
    assert none.title == "No daily question here"


async def test_the_daily_question_in_the_console_with_letter_buttons(world):
    import io

    from rich.console import Console

    from adapters.console import ConsoleAdapter

    buffer = io.StringIO()
    console = ConsoleAdapter(core_for(world), Console(file=buffer, width=120),
                             tenant_id="club")
    world.service.outbox.register("console", console)
    await console.handle_line(":as mo admin")
    await console.handle_line(":in #quiz")
    saved = await console.handle_line("/quiz daily subscribe time:09:00 timezone:UTC")
    assert saved is not None and saved.title == "Daily question saved"
    await world.run_until(dt.datetime(2026, 3, 10, 9, 5, tzinfo=UTC))
    right, wrong = await world.right_and_wrong("2026-03-10")
    await console.handle_line(":as ann")
    first = await console.handle_line("ABCDE"[right].lower())
    again = await console.handle_line("ABCDE"[wrong].lower())
    assert first is not None and first.title == f"Answer {'ABCDE'[right]} recorded"
    assert again is not None and again.title.startswith("You already answered")
    await world.run_until(dt.datetime(2026, 3, 11, 9, 5, tzinfo=UTC))
    out = buffer.getvalue()
    assert "Daily question · 2026-03-10 (closed) (updated)" in out
    assert "answer: " + "ABCDE"[right] in out and "ann (1 of 1)" in out
    late = await console.handle_line("ABCDE"[right].lower())  # now on the 11 March question
    assert late is not None and late.title.startswith("Answer")


async def test_forget_removes_daily_answers_and_streaks(world):
    await world.daily(time="09:00", timezone="UTC")
    await world.run_until(dt.datetime(2026, 3, 10, 10, 0, tzinfo=UTC))
    await world.answer("ann", "2026-03-10", right=True)
    await world.run_until(dt.datetime(2026, 3, 11, 10, 0, tzinfo=UTC))
    await world.answer("ann", "2026-03-11", right=True)
    assert await world.store.daily_streaks(TENANT, "quiz")
    assert await world.store.forget_user(TENANT, "ann") >= 3  # totals, weekly, streak, answer
    assert await world.store.daily_streaks(TENANT, "quiz") == []
    assert await world.store.daily_answers(TENANT, "quiz", "2026-03-11") == []


async def test_an_answer_is_never_confirmed_for_a_day_already_closed(world):
    from bot.storage import DailyAnswer

    await world.daily(time="09:00", timezone="UTC")
    await world.run_until(dt.datetime(2026, 3, 10, 10, 0, tzinfo=UTC))
    late = DailyAnswer("cy", "Cy", 0, True, world.clock.now())
    assert await world.store.close_daily(TENANT, "quiz", "2026-03-10") is not None
    assert await world.store.save_daily_answer(TENANT, "quiz", "2026-03-10", late) == "closed"
    assert (await world.answer("cy", "2026-03-10", right=True)).endswith("has closed")
    assert await world.store.close_daily(TENANT, "quiz", "2026-03-10") is None  # once only


async def test_a_servers_own_question_is_revealed_after_a_restart(knowledge, tmp_path):  # noqa: ANN001
    """Imported questions load lazily; the reveal after a restart must still find them."""
    import yaml

    from bot.app import open_app
    from bot.clock import FakeClock
    from bot.config import Settings
    from bot.models import Context
    from tests.bot.quiz.conftest import Recorder

    own = {"questions": [{
        "id": "club-daily", "topic": "pytorch", "difficulty": 1,
        "prompt": "Which framework does our club's course use?",
        "options": [{"text": "PyTorch", "correct": True}, {"text": "Caffe"}],
        "explanation": "The course notes say so.", "source": "club course notes"}]}
    clock = FakeClock(dt.datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    mod = Context(platform="console", user_id="mo", user_name="Mo", channel_id="quiz",
                  tenant_id="club", is_manager=True)
    app = await open_app(settings, clock)
    try:
        imported = await app.core.handle_text(
            f"/quiz import content:\"{yaml.safe_dump(own, default_flow_style=True).strip()}\"",
            mod)
        assert imported.title.startswith("Imported 1"), imported.plain_text()
        await app.store.claim_daily(TENANT, DailyDay(
            "quiz", "2026-03-10", "posting", "club-daily", (1, 0), clock.now(),
            clock.now() + dt.timedelta(hours=2)))
        await app.store.update_daily_day(TENANT, "quiz", "2026-03-10", status="open")
    finally:
        await app.close()
    clock.set(dt.datetime(2026, 3, 10, 12, 0, tzinfo=UTC))  # closed while the bot was down
    app = await open_app(settings, clock)
    recorder = Recorder()
    app.outbox.register("console", recorder)
    try:
        await app.start_schedules()
        (post,) = await recorder.wait_posts(1)
        assert post.title == "Daily question · 2026-03-10 · answer: B) PyTorch"
        assert "The course notes say so." in post.plain_text()
    finally:
        await app.close()
