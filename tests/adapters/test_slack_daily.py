"""The daily question and review practice on Slack, through the real app wiring (the daily
question shares the digests' scheduler): a manager subscribes with a slash command, the
question is posted with chat.postMessage at its time, a click is answered privately, and
the next day the question is updated with chat.update and revealed. Slack is the fake."""

from __future__ import annotations

import datetime as dt

from adapters.slack.delivery import Pacer
from bot.app import open_app
from bot.clock import FakeClock
from bot.config import Settings
from bot.storage import AnswerRecord, Tenant
from tests.adapters.fakes.slack_api import Running, button_values, visible_text
from tests.adapters.test_discord_daily import advance_until
from tests.bot.quiz.test_review import right_position

TENANT = Tenant("slack", "T1")


async def test_a_daily_question_round_on_slack(tmp_path):
    clock = FakeClock(dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC))
    app = await open_app(Settings(_env_file=None, data_dir=tmp_path / "data"), clock)
    try:
        await app.start_schedules()
        async with Running(app.core, pacer=Pacer(per_channel=0, overall=0)) as h:
            app.outbox.register("slack", h.adapter)
            h.fake.users["UADMIN"] = {"id": "UADMIN", "is_admin": True}
            h.fake.users["U2"] = {"id": "U2"}
            refused = await h.command_shown("/quiz daily subscribe", user="U2", channel="C1")
            assert "Only channel managers" in visible_text(refused[0].message)
            saved = await h.command_shown("/quiz daily subscribe time:09:30 timezone:UTC",
                                          user="UADMIN", channel="C1")
            assert "Daily question saved" in visible_text(saved[0].message)

            await clock.advance(30 * 60)
            (question,) = await h.fake.wait_for("chat.postMessage")
            assert question.data["channel"] == "C1"
            (day,) = await app.store.daily_days(TENANT, "C1")
            bank = app.daily.bank.get(day.question_id)
            right = next(i for i, o in enumerate(day.order) if bank.options[o].correct)
            assert f"daily:2026-01-05:{right}" in button_values(question.data)

            h.latest["C1"].append(question.data)
            (confirmation,) = await h.press_shown(f"daily:2026-01-05:{right}", user="U2",
                                                  channel="C1")
            assert confirmation.ephemeral and "recorded" in visible_text(confirmation.message)

            await clock.advance(24 * 3600)
            await advance_until(clock, lambda: len(h.fake.of("chat.postMessage")) >= 3)
            posts = h.fake.of("chat.postMessage")  # the question, its reveal, day 2's question
            (update,) = h.fake.of("chat.update")
            assert question.reply and update.data["ts"] == question.reply["ts"]
            assert not button_values(update.data)  # a closed question takes no more clicks
            assert "answer:" in visible_text(posts[1].data)
            assert "1 of 1" in visible_text(posts[1].data)
            assert "Daily question · 2026-01-06" in visible_text(posts[2].data)
        points = {e.user_id: e.points for e in await app.store.leaderboard(TENANT, "C1")}
        assert points == {"U2": 100}
    finally:
        await app.close()


async def test_review_practice_on_slack_is_private(tmp_path):
    clock = FakeClock(dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC))
    app = await open_app(Settings(_env_file=None, data_dir=tmp_path / "data"), clock)
    try:
        qid = sorted(app.quiz.bank.shipped)[0]
        await app.store.record_answer(TENANT, AnswerRecord(
            channel_id="C1", user_id="U2", user_name="U2", question_id=qid,
            correct=False, points=0, answered_at=clock.now() - dt.timedelta(hours=1)))
        async with Running(app.core, pacer=Pacer(per_channel=0, overall=0)) as h:
            h.fake.users["U2"] = {"id": "U2"}
            (shown,) = await h.command_shown("/quiz review", user="U2", channel="C1")
            assert shown.ephemeral
            values = button_values(shown.message)
            question = app.quiz.bank.get(qid)
            good = right_position(app.quiz.bank, visible_text(shown.message), qid)
            h.latest["C1"].append(shown.message)
            (reply,) = await h.press_shown(f"review:{qid}:0:{good}", user="U2",
                                           channel="C1")
            assert len(values) == len(question.options)
            assert reply.ephemeral and "Right!" in visible_text(reply.message)
            assert "comes back in 1 day" in visible_text(reply.message)
    finally:
        await app.close()
