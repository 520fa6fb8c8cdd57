"""A real quiz on Slack: /quiz start, the question posted with chat.postMessage, a click
answered privately, the question updated with chat.update when it closes, the reveal and
the final standings posted to the channel. The quiz runs on a fake clock; Slack is the fake."""

from __future__ import annotations

import random

from adapters.slack.delivery import Pacer
from bot.app import open_app
from bot.clock import FakeClock
from bot.config import Settings
from bot.models import Button, Context, Response, Visibility
from bot.quiz.manager import CLOSE_GRACE, REVEAL_PAUSE
from tests.adapters.fakes.slack_api import Running, button_values, visible_text


async def test_a_whole_quiz_round_on_slack(tmp_path):
    clock = FakeClock()
    app = await open_app(Settings(_env_file=None, data_dir=tmp_path / "data"), clock,
                         rng=random.Random(7))
    try:
        async with Running(app.core, pacer=Pacer(per_channel=0, overall=0)) as h:
            app.outbox.register("slack", h.adapter)
            h.fake.users["U1"] = {"id": "U1"}
            started = await h.command_shown("/quiz start questions:1 time:15", user="U1",
                                            channel="C1")
            assert started and "Only channel managers" not in visible_text(started[0].message)

            (question,) = await h.fake.wait_for("chat.postMessage")
            assert question.data["channel"] == "C1"
            session = app.quiz.running("slack", "T1", "C1")
            assert session is not None
            correct = f"quiz:{session.id}:0:{session.correct_options[0]}"
            assert correct in button_values(question.data)

            h.latest["C1"].append(question.data)
            (confirmation,) = await h.press_shown(correct, user="U2", channel="C1")
            assert confirmation.ephemeral and confirmation.via == "response_url"
            # An answer never waits on a permission lookup.
            assert all(c.data.get("user") != "U2" for c in h.fake.of("users.info"))

            await clock.advance(15 + CLOSE_GRACE)
            (update,) = await h.fake.wait_for("chat.update")
            assert update.data["channel"] == "C1"
            assert question.reply and update.data["ts"] == question.reply["ts"]
            assert not button_values(update.data)  # a closed question takes no more clicks

            await clock.advance(1)
            posts = await h.fake.wait_for("chat.postMessage", 2)  # the reveal
            await clock.advance(REVEAL_PAUSE)
            posts = await h.fake.wait_for("chat.postMessage", 3)  # the final standings
            assert "Quiz over" in visible_text(posts[2].data)
            assert "U2" in visible_text(posts[2].data)
    finally:
        await app.close()


async def test_a_quiz_answer_is_not_delayed_by_a_permission_lookup(core):
    seen: list[Context] = []

    async def answer(button: str, ctx: Context, core) -> Response:  # noqa: ANN001
        seen.append(ctx)
        return Response(title="Answer B recorded", visibility=Visibility.PRIVATE)

    core.button_handlers["quiz"] = answer
    async with Running(core) as h:
        await h.adapter.deliver("T1", "C1", Response(title="Q", buttons=(
            Button("quiz:s:0:1", "B"),)))
        (post,) = await h.fake.wait_for("chat.postMessage")
        h.latest["C1"].append(post.data)
        (shown,) = await h.press_shown("quiz:s:0:1", user="U5", channel="C1")
        assert shown.ephemeral
        assert h.fake.of("users.info") == [] and h.fake.of("conversations.info") == []
        assert seen[0].is_manager is False


async def test_buttons_whose_handlers_need_the_manager_flag_get_it(core):
    seen: list[Context] = []

    async def settings_button(button: str, ctx: Context, core) -> Response:  # noqa: ANN001
        seen.append(ctx)
        return Response(title="ok", visibility=Visibility.PRIVATE)

    core.button_handlers["qset"] = settings_button
    async with Running(core) as h:
        h.adapter.manager_button_prefixes = frozenset({"qset"})
        h.fake.users["UADMIN"] = {"id": "UADMIN", "is_admin": True}
        await h.adapter.deliver("T1", "C1", Response(title="Settings", buttons=(
            Button("qset:time:30", "30 s"),)))
        (post,) = await h.fake.wait_for("chat.postMessage")
        h.latest["C1"].append(post.data)
        await h.press_shown("qset:time:30", user="UADMIN", channel="C1")
        assert seen[0].is_manager is True
