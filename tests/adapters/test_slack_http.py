"""Slack HTTP mode end to end: the real app on a loopback port, requests signed as Slack signs
them, and a local fake Slack recording what the app sends back (Web API and response_url)."""

from __future__ import annotations

import asyncio
import time

import pytest

from adapters.slack.delivery import Pacer
from adapters.slack.render import BUTTON_VALUE, button_id
from bot.core import Core
from bot.models import Button, Context, Request, Response, Section, Visibility
from bot.registry import CommandSpec, Registry, discover
from tests.adapters.fakes.slack_api import (
    WAIT,
    Running,
    action_form,
    action_payload,
    button_values,
    post_form,
    sign,
    slash_payload,
    visible_text,
)

# --------------------------------------------------------------------------- helpers
gate = asyncio.Event


async def _echo(request: Request, core: Core) -> Response:
    return Response(title=f"{request.command} ran for {request.user_id}",
                    sections=(Section(f"manager={request.context.is_manager}"),))


SUBSCRIBE = CommandSpec(name="subscribe", description="Manager-only test command",
                        example="/subscribe", handler=_echo, manager_only=True)
SETTINGS = CommandSpec(
    name="settings", description="A command with a manager-only subcommand",
    example="/settings show",
    subcommands=(
        CommandSpec(name="show", description="anyone", example="/settings show",
                    handler=_echo),
        CommandSpec(name="change", description="managers", example="/settings change",
                    handler=_echo, manager_only=True),
    ),
)


def core_with(core: Core, *extra: CommandSpec) -> Core:
    return Core(knowledge=core.knowledge, clock=core.clock,
                registry=Registry([*discover(), *extra]))


class Sleeps:
    """A pacer clock that only moves when the pacer sleeps, recording every wait."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(round(seconds, 3))
        self.now += seconds


# --------------------------------------------------------------------------- verification
async def test_bad_missing_and_stale_signatures_are_rejected(core):
    async with Running(core) as h:
        started = len(h.fake.calls)  # the adapter's own auth.test at start
        fields = slash_payload(h.fake, "/framework", "role:ml-engineer", user="u1",
                               channel="c1")
        body = "&".join(f"{k}={v}" for k, v in fields.items())
        good = sign(body)
        bad = dict(good, **{"X-Slack-Signature": "v0=" + "0" * 64})
        missing = {k: v for k, v in good.items() if k != "X-Slack-Signature"}
        stale = sign(body, timestamp=int(time.time()) - 5 * 60 - 1)
        for headers in (bad, missing, stale):
            resp = await h.session.post(h.url, data=body.encode(), headers=headers)
            assert resp.status == 401
        assert h.fake.calls[started:] == []  # nothing reached bolt's authorisation or the core
        resp = await h.session.post(h.url, data=body.encode(), headers=good)
        assert resp.status == 200 and "blocks" in await resp.json()


async def test_a_signature_for_another_body_is_rejected(core):
    async with Running(core) as h:
        fields = slash_payload(h.fake, "/framework", "role:ml-engineer", user="u1",
                               channel="c1")
        body = "&".join(f"{k}={v}" for k, v in fields.items())
        resp = await h.session.post(h.url, data=(body + "x").encode(), headers=sign(body))
        assert resp.status == 401


# --------------------------------------------------------------------------- commands
async def test_a_fast_command_is_answered_in_the_acknowledgement(core):
    async with Running(core) as h:
        assert [c.method for c in h.fake.calls] == ["auth.test"]  # the token checked at start
        shown = await h.command_shown("/framework role:ml-engineer", user="u1", channel="c1")
        assert [s.via for s in shown] == ["ack"]
        message = shown[0].message
        assert message["response_type"] == "in_channel"
        assert message["blocks"][0]["type"] == "header"
        assert "PyTorch" in message["blocks"][0]["text"]["text"]
        assert message["text"]  # the plain fallback
        # bolt's own one auth.test, and no permission lookups for an ordinary command
        assert [c.method for c in h.fake.calls] == ["auth.test", "auth.test"]


async def test_help_is_fc_help_and_private(core):
    async with Running(core) as h:
        shown = await h.command_shown("/fc-help", user="u1", channel="c1")
        assert shown[0].message["response_type"] == "ephemeral"
        text = visible_text(shown[0].message)
        assert "/fc-help" in text and "/framework" in text


async def test_a_slow_command_is_acked_at_once_and_answered_through_response_url(core):
    release = asyncio.Event()

    async def slow(request: Request, core: Core) -> Response:
        await release.wait()
        return Response(title="Finally", visibility=Visibility.PRIVATE)

    spec = CommandSpec(name="slow", description="waits", example="/slow", handler=slow)
    async with Running(core_with(core, spec), ack_budget=0.01) as h:
        payload = slash_payload(h.fake, "/slow", "", user="u1", channel="c1")
        resp = await post_form(h.session, h.url, payload)
        assert resp.status == 200 and await resp.text() == ""  # acked, nothing shown yet
        assert h.fake.of("response_url:" + payload["response_url"].rsplit("/", 1)[1]) == []
        release.set()
        key = payload["response_url"].rsplit("/", 1)[1]
        (call,) = await h.fake.wait_for(f"response_url:{key}")
        assert call.data["response_type"] == "ephemeral"
        assert call.data["blocks"][0]["text"]["text"] == "Finally"


async def test_user_text_is_escaped_and_cannot_mention_anyone(core):
    async with Running(core) as h:
        for text in ["/about name:<!channel>&<b>", "/framework role:<!here|here> & more",
                     "/compare a:<@U123> b:@everyone"]:
            shown = await h.command_shown(text, user="u1", channel="c1")
            texts = [t for s in shown for t in _all_texts(s.message)]  # all text Slack parses
            assert all("<" not in t and ">" not in t for t in texts), texts
            raw = " ".join(texts)
            assert "@everyone" not in raw and "@here" not in raw
            assert "&amp;" in raw or "&" not in visible_text(shown[0].message)


def _all_texts(message: dict) -> list[str]:
    out = [message.get("text", "")]
    for block in message.get("blocks", ()):
        if isinstance(block.get("text"), dict):
            out.append(block["text"]["text"])
        out += [f["text"] for f in block.get("fields", ())]
        for e in block.get("elements", ()):
            if isinstance(e.get("text"), dict):
                out.append(e["text"]["text"])
    return out


async def test_a_response_too_big_for_one_message_arrives_in_order(core):
    async def huge(request: Request, core: Core) -> Response:
        sections = tuple(Section(f"line {i} " + "word " * 300, heading=f"Part {i}")
                         for i in range(60))
        return Response(title="Huge", sections=sections, footer="the end",
                        buttons=(Button("run:/fc-help", "Help"),))

    spec = CommandSpec(name="huge", description="big", example="/huge", handler=huge)
    async with Running(core_with(core, spec)) as h:
        shown = await h.command_shown("/huge", user="u1", channel="c1")
        assert len(shown) > 1 and {s.via for s in shown} == {"response_url"}
        text = "\n".join(visible_text(s.message) for s in shown)
        positions = [text.index(f"Part {i}\n") for i in range(5)]
        assert positions == sorted(positions)
        assert button_values(shown[-1].message) == ["run:/fc-help"]
        assert "the end" in visible_text(shown[-1].message)


# --------------------------------------------------------------------------- buttons
async def test_a_click_is_acked_and_answered_in_the_channel_through_response_url(core):
    async with Running(core) as h:
        seen = await h.command("/framework role:ml-engineer", user="u1", channel="c1")
        first = next(i for i in seen[0].button_ids if i.startswith("run:/about"))
        shown = await h.press_shown(first, user="u2", channel="c1")
        assert [s.via for s in shown] == ["response_url"]
        assert shown[0].message["response_type"] == "in_channel"
        detail = seen[0].button_ids[0]  # "Learning path": for the clicker only
        private = await h.press_shown(detail, user="u2", channel="c1")
        assert private[0].message["response_type"] == "ephemeral"
        assert shown[0].message["replace_original"] is False
        expected = await core.press(first, h.context(user="u2", channel="c1"))
        assert expected.title in visible_text(shown[0].message)


async def test_response_url_replies_share_one_connection(core):
    """bolt's ``respond`` opens a session per reply: on Slack, a TLS handshake per press."""
    async with Running(core) as h:
        seen = await h.command("/framework role:ml-engineer", user="u1", channel="c1")
        detail = seen[0].button_ids[0]
        for user in ("u2", "u3", "u4", "u5"):
            shown = await h.press_shown(detail, user=user, channel="c1")
            assert [s.via for s in shown] == ["response_url"]
        peers = h.fake.reply_peers
        assert len(peers) == 4 and len(set(peers)) == 1, peers


async def test_quiz_answers_are_private_to_the_clicker_and_reveals_go_to_the_channel(core):
    pressed: list[tuple[str, Context]] = []

    async def probe(button: str, ctx: Context, core: Core) -> Response:
        pressed.append((button, ctx))
        private = button.endswith(":a")
        return Response(title=f"You chose {button[-1]}" if private else "Reveal",
                        visibility=Visibility.PRIVATE if private else Visibility.CHANNEL)

    core.button_handlers["probe"] = probe
    async with Running(core) as h:
        question = Response(title="Q1", buttons=(Button("probe:s1:0:a", "A"),
                                                 Button("probe:s1:0:b", "B")))
        delivered = await h.adapter.deliver("T1", "C9", question)
        assert delivered.ok and delivered.message_id
        (post,) = await h.fake.wait_for("chat.postMessage")
        h.latest["C9"].append(post.data)
        answer = await h.press_shown("probe:s1:0:a", user="u7", channel="C9")
        assert answer[0].ephemeral and answer[0].message["response_type"] == "ephemeral"
        reveal = await h.press_shown("probe:s1:0:b", user="u7", channel="C9")
        assert reveal[0].message["response_type"] == "in_channel"
        button, ctx = pressed[0]
        assert button == "probe:s1:0:a"
        assert (ctx.platform, ctx.tenant_id, ctx.channel_id, ctx.user_id) == (
            "slack", "T1", "C9", "u7")


async def test_a_closed_question_is_updated_with_chat_update(core):
    async with Running(core) as h:
        posted = await h.adapter.deliver("T1", "C5", Response(
            title="Question", buttons=(Button("quiz:s:0:a", "A"),)))
        edited = await h.adapter.edit("T1", "C5", posted.message_id or "",
                                      Response(title="Question (closed)"))
        assert edited.ok and edited.message_id == posted.message_id
        (update,) = h.fake.of("chat.update")
        assert update.data["channel"] == "C5" and update.data["ts"] == posted.message_id
        assert update.data["blocks"][0]["text"]["text"] == "Question (closed)"
        assert "actions" not in {b["type"] for b in update.data["blocks"]}


async def test_button_ids_longer_than_slack_allows_still_round_trip(core):
    long_id = "probe:" + "x" * 3000
    got: list[str] = []

    async def probe(button: str, ctx: Context, core: Core) -> Response:
        got.append(button)
        return Response(title="ok")

    core.button_handlers["probe"] = probe
    async with Running(core) as h:
        await h.adapter.deliver("T1", "C1", Response(title="t", buttons=(Button(long_id,
                                                                                "Go"),)))
        (post,) = await h.fake.wait_for("chat.postMessage")
        (value,) = button_values(post.data)
        assert len(value) <= BUTTON_VALUE and button_id(value) == long_id
        payload = action_payload(h.fake, post.data, value, user="u1", channel="C1")
        resp = await post_form(h.session, h.url, action_form(payload))
        assert resp.status == 200
        await h.adapter.drain(timeout=WAIT)
        assert got == [long_id]


# --------------------------------------------------------------------------- delivery
async def test_posts_are_paced_per_channel_and_overall(core):
    sleeps = Sleeps()
    pacer = Pacer(per_channel=1.0, overall=0.1, now=sleeps.clock, sleep=sleeps.sleep)
    async with Running(core, pacer=pacer) as h:
        for channel in ("C1", "C1", "C2", "C1"):
            assert (await h.adapter.deliver("T1", channel, Response(title="d"))).ok
        # C1 at 0; C1 again waits 1 s; C2 only the 0.1 s overall gap; C1 its second.
        assert sleeps.waits == [1.0, 0.1, 0.9]
        assert [c.data["channel"] for c in h.fake.of("chat.postMessage")] == [
            "C1", "C1", "C2", "C1"]


async def test_429_is_retried_after_retry_after(core):
    sleeps = Sleeps()
    pacer = Pacer(now=sleeps.clock, sleep=sleeps.sleep)
    async with Running(core, pacer=pacer) as h:
        h.fake.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=7)
        result = await h.adapter.deliver("T1", "C1", Response(title="digest"))
        assert result.ok and result.message_id
        assert sleeps.waits == [7.0]
        assert len(h.fake.of("chat.postMessage")) == 2


async def test_rate_limiting_that_persists_is_reported_with_retry_after(core):
    sleeps = Sleeps()
    async with Running(core, pacer=Pacer(now=sleeps.clock, sleep=sleeps.sleep)) as h:
        h.fake.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=3,
                         times=10)
        result = await h.adapter.deliver("T1", "C1", Response(title="digest"))
        assert (result.ok, result.error, result.permanent, result.retry_after) == (
            False, "ratelimited", False, 3.0)


@pytest.mark.parametrize("code", ["channel_not_found", "not_in_channel", "is_archived",
                                  "account_inactive", "invalid_auth"])
async def test_permanent_errors_go_back_to_the_core(core, code):
    async with Running(core) as h:
        h.fake.fail_next("chat.postMessage", code)
        result = await h.adapter.deliver("T1", "C1", Response(title="digest"))
        assert not result.ok and result.permanent
        assert result.error and result.error.startswith(code + ": ")
        assert len(h.fake.of("chat.postMessage")) == 1  # never retried


async def test_other_errors_are_not_permanent(core):
    async with Running(core) as h:
        h.fake.fail_next("chat.postMessage", "internal_error", status=500)
        result = await h.adapter.deliver("T1", "C1", Response(title="digest"))
        assert not result.ok and not result.permanent and result.error == "internal_error"


# --------------------------------------------------------------------------- permissions
def _outcome(shown) -> str:
    return visible_text(shown[0].message)


async def test_managers_are_admins_owners_creators_and_the_allow_list(core):
    app_core = core_with(core, SUBSCRIBE, SETTINGS)
    async with Running(app_core, settings={"slack_manager_ids": "UALLOW, UOTHER"}) as h:
        h.fake.users.update({
            "UADMIN": {"id": "UADMIN", "is_admin": True},
            "UOWNER": {"id": "UOWNER", "is_owner": True},
            "UCREATOR": {"id": "UCREATOR"}, "UNOBODY": {"id": "UNOBODY"},
        })
        h.fake.channels["C1"] = {"id": "C1", "creator": "UCREATOR"}
        for user in ("UADMIN", "UOWNER", "UCREATOR", "UALLOW"):
            shown = await h.command_shown("/subscribe", user=user, channel="C1")
            assert "manager=True" in _outcome(shown), user
        refused = await h.command_shown("/subscribe", user="UNOBODY", channel="C1")
        assert refused[0].ephemeral
        assert "Only channel managers can do that" in _outcome(refused)
        assert "manager=" not in _outcome(refused)
        # The allow-list needs no lookups at all.
        assert "UALLOW" not in [c.data.get("user") for c in h.fake.of("users.info")]


async def test_a_manager_only_subcommand_is_checked_too(core):
    async with Running(core_with(core, SETTINGS)) as h:
        h.fake.users["U1"] = {"id": "U1"}
        h.fake.channels["C1"] = {"id": "C1", "creator": "USOMEONE"}
        assert "manager=False" in _outcome(
            await h.command_shown("/settings show", user="U1", channel="C1"))
        assert "Only channel managers" in _outcome(
            await h.command_shown("/settings change", user="U1", channel="C1"))


async def test_lookups_are_cached_and_skipped_for_ordinary_commands(core):
    async with Running(core_with(core, SUBSCRIBE)) as h:
        h.fake.users["U1"] = {"id": "U1"}
        h.fake.channels["C1"] = {"id": "C1", "creator": "U2"}
        for _ in range(3):
            await h.command_shown("/subscribe", user="U1", channel="C1")
        await h.command_shown("/framework role:ml-engineer", user="U9", channel="C7")
        assert len(h.fake.of("users.info")) == 1
        assert len(h.fake.of("conversations.info")) == 1


async def test_a_direct_message_is_the_users_own_to_manage(core):
    async with Running(core_with(core, SUBSCRIBE)) as h:
        shown = await h.command_shown("/subscribe", user="U1", channel="D123")
        assert "manager=True" in _outcome(shown)
        assert h.fake.of("users.info") == []


async def test_a_failed_lookup_means_no(core):
    async with Running(core_with(core, SUBSCRIBE)) as h:
        h.fake.fail_next("users.info", "missing_scope")
        shown = await h.command_shown("/subscribe", user="U1", channel="C404")
        assert "Only channel managers can do that" in _outcome(shown)
