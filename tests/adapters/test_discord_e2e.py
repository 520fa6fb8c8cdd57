"""End to end: the real discord.py client against a local fake of Discord on loopback.

Login, READY, the command sync payload, slash commands, autocomplete, button clicks (also
after a restart), deferral of slow answers, channel posts with rate limits and permanent
errors, and edits. Nothing here waits on a clock: every wait is on an event, with a
generous timeout only as a safety net.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import discord
import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.base import Delivery
from adapters.discord.client import HASH_FILE
from bot.core import Core
from bot.models import (
    Button,
    Context,
    FieldItem,
    Request,
    Response,
    Section,
    Visibility,
)
from bot.registry import CommandSpec, OptionSpec, Registry
from knowledge.loader import Knowledge
from tests.adapters.fakes.discord_fake import (
    APP_ID,
    EPHEMERAL,
    GUILD_ID,
    DiscordHarness,
    FakeDiscord,
    command_data,
    running_adapter,
)

MANAGE_CHANNELS = 1 << 4
PRIVILEGED = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content

ORIGINAL_BASE, ORIGINAL_GATEWAY = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY


@pytest.fixture(autouse=True)
def _globals_restored() -> None:
    yield
    assert Route.BASE == ORIGINAL_BASE
    assert DiscordWebSocket.DEFAULT_GATEWAY == ORIGINAL_GATEWAY


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord().start()
    yield server
    await server.close()


@pytest.fixture
async def discord_user(core: Core, fake: FakeDiscord, tmp_path: Path
                       ) -> AsyncIterator[DiscordHarness]:
    async with running_adapter(core, fake, tmp_path) as adapter:
        yield DiscordHarness(fake, adapter, core)


def allowed_mentions(post) -> dict:  # noqa: ANN001
    body = post.body.get("data", post.body) if post.kind == "callback" else post.body
    return body.get("allowed_mentions")


# ---------------------------------------------------------------------------- start-up


async def test_login_ready_minimal_intents_and_sync_payload(
    discord_user: DiscordHarness, fake: FakeDiscord, core: Core, tmp_path: Path
) -> None:
    paths = [path for method, path, _ in fake.requests if method == "GET"]
    assert paths[:2] == ["/api/v10/users/@me", "/api/v10/oauth2/applications/@me"]
    assert discord_user.adapter.client.is_ready()
    (identify,) = fake.identifies
    assert identify["token"] == "fake-bot-token"
    assert identify["intents"] & PRIVILEGED == 0
    assert fake.gateway_queries[0]["encoding"] == "json"

    ((scope, payload),) = fake.syncs
    assert scope == "global"
    by_name = {c["name"]: c for c in payload}
    assert set(by_name) == {s.name_on("discord") for s in core.registry.commands()}
    assert {"framework", "about", "compare", "help"} <= set(by_name)

    framework = core.registry.get("framework")
    options = {o["name"]: o for o in by_name["framework"]["options"]}
    assert list(options) == ["role", "experience", "region", "goal"]
    for spec in framework.options:
        sent = options[spec.name]
        assert sent["type"] == 3 and sent["description"] == spec.description
        assert sent["required"] is spec.required
    assert options["role"]["autocomplete"] is True and "choices" not in options["role"]
    for name in ("experience", "region", "goal"):
        assert not options[name].get("autocomplete", False)
        want = [{"name": label, "value": value} for value, label in core.choices(framework, name)]
        assert options[name]["choices"] == want
    about = by_name["about"]["options"][0]
    assert about["name"] == "name" and about["required"] is True
    assert [c["value"] for c in about["choices"]] == list(core.knowledge.frameworks)
    compare = {o["name"]: o for o in by_name["compare"]["options"]}
    assert set(compare) == {"a", "b", "show"} and all(o["choices"] for o in compare.values())
    assert by_name["help"].get("options", []) == []
    assert by_name["framework"]["default_member_permissions"] is None
    assert (tmp_path / HASH_FILE).read_text().strip()


async def test_commands_sync_only_when_they_change(
    core: Core, knowledge: Knowledge, fake: FakeDiscord, tmp_path: Path
) -> None:
    async with running_adapter(core, fake, tmp_path):
        pass
    async with running_adapter(core, fake, tmp_path):
        pass
    assert len(fake.syncs) == 1  # unchanged: no second bulk overwrite

    extra = CommandSpec(name="rising", description="What is rising", example="/rising",
                        handler=_echo)
    grown = Core(knowledge=knowledge, registry=Registry([*core.registry.commands(), extra]))
    async with running_adapter(grown, fake, tmp_path):
        pass
    assert len(fake.syncs) == 2 and "rising" in {c["name"] for c in fake.syncs[-1][1]}

    async with running_adapter(grown, fake, tmp_path, guild_id=GUILD_ID):
        pass  # a new target is a change too: development guild sync
    assert fake.syncs[-1][0] == f"guild:{GUILD_ID}"
    assert f"/api/v10/applications/{APP_ID}/guilds/{GUILD_ID}/commands" in {
        path for method, path, _ in fake.requests if method == "PUT"}


async def _echo(request: Request, core: Core) -> Response:
    words = ", ".join(f"{k}={v}" for k, v in sorted(request.options.items()))
    return Response(title=f"ran {request.command} {request.subcommand or ''}".strip(),
                    sections=(Section(words or "no options"),))


def synthetic_registry() -> Registry:
    """A command set with the shapes /quiz and /digest will have: groups, manager-only."""
    return Registry([
        CommandSpec(
            name="digest", description="Weekly digests", example="/digest status",
            subcommands=(
                CommandSpec(name="subscribe", description="Subscribe this channel",
                            example="/digest subscribe", handler=_echo, manager_only=True,
                            options=(OptionSpec("day", "Which day", choices=lambda core: [
                                ("mon", "Monday"), ("fri", "Friday")]),)),
                CommandSpec(name="status", description="What this channel gets",
                            example="/digest status", handler=_echo),
            ),
        ),
        CommandSpec(
            name="admin", description="Only managers", example="/admin reset",
            subcommands=(
                CommandSpec(name="reset", description="Reset", example="/admin reset",
                            handler=_echo, manager_only=True),
            ),
        ),
        CommandSpec(name="purge", description="Manager command", example="/purge",
                    handler=_echo, manager_only=True,
                    options=(OptionSpec("what", "What to purge", required=True),)),
        CommandSpec(name="many", description="More than 25 choices", example="/many",
                    handler=_echo, options=(OptionSpec("pick", "One of many", choices=lambda
                                                       core: [(f"v{i}", f"Value {i}")
                                                              for i in range(40)]),)),
    ])


async def test_groups_subcommands_and_manager_permissions(
    knowledge: Knowledge, fake: FakeDiscord, tmp_path: Path
) -> None:
    core = Core(knowledge=knowledge, registry=synthetic_registry())
    async with running_adapter(core, fake, tmp_path) as adapter:
        ((_, payload),) = fake.syncs
        by_name = {c["name"]: c for c in payload}
        digest = by_name["digest"]
        assert [o["type"] for o in digest["options"]] == [1, 1]  # subcommands
        subscribe = digest["options"][0]
        assert subscribe["name"] == "subscribe"
        assert subscribe["options"][0]["choices"] == [{"name": "Monday", "value": "mon"},
                                                      {"name": "Friday", "value": "fri"}]
        # Discord honours default_member_permissions on top-level commands only: a mixed
        # group stays visible, all-manager commands and groups are hidden from members.
        assert digest["default_member_permissions"] is None
        assert int(by_name["admin"]["default_member_permissions"]) == MANAGE_CHANNELS
        assert int(by_name["purge"]["default_member_permissions"]) == MANAGE_CHANNELS
        many = by_name["many"]["options"][0]
        assert many["autocomplete"] is True and "choices" not in many

        # ... and the server checks again, whatever a server's settings say.
        user = DiscordHarness(fake, adapter, core)
        member = await user.command("/digest subscribe day:mon", user="u1", channel="c1")
        assert member[0].visible_to == "u1" and "Only channel managers" in member[0].text
        manager = await user.command("/digest subscribe day:mon", user="u1", channel="c1",
                                     permissions=MANAGE_CHANNELS)
        assert manager[0].visible_to is None and "ran digest subscribe" in manager[0].text
        assert "day=mon" in manager[0].text
        status = await user.command("/digest status", user="u2", channel="c1")
        assert "ran digest status" in status[0].text

        # Over 25 choices: offered by autocomplete, filtered by the core.
        auto = fake.interaction(4, command_data("many", None, {"pick": "Value 3"}, "pick"),
                                user_id=1, user_name="u", channel_id=2)
        body = await asyncio.wait_for(await fake.dispatch(auto), 10)
        values = [c["value"] for c in body["data"]["choices"]]
        assert values[0] == "v3" and "v30" in values and len(values) <= 25


# ---------------------------------------------------------------------------- interactions


async def test_framework_interaction_gets_the_expected_embed(
    discord_user: DiscordHarness, fake: FakeDiscord, core: Core
) -> None:
    text = "/framework role:ml-engineer experience:beginner"
    ctx = discord_user.context(user="ada", channel="general")
    expected = await core.handle_text(text, ctx)
    payload = discord_user.interaction_for(text, user="ada", channel="general")
    await discord_user.run(payload, "ada")

    body = fake.callbacks[int(payload["id"])]
    assert body["type"] == 4
    data = body["data"]
    assert not int(data.get("flags") or 0) & EPHEMERAL  # a recommendation is for the channel
    assert data["allowed_mentions"] == {"parse": []}
    (embed,) = data["embeds"]
    assert embed["title"] == expected.title
    colour = core.colour(expected.accent)
    assert colour and embed["color"] == int(colour.lstrip("#"), 16)
    assert embed["description"].startswith(f"**{expected.sections[0].heading}**")
    spacer = {"name": "\u200b", "value": "\u200b", "inline": False}  # a row break
    assert [(f["name"], f["value"]) for f in embed["fields"] if f != spacer] == [
        (f.name, f.value) for f in expected.fields]
    assert embed["footer"]["text"] == expected.footer
    buttons = [c for row in data["components"] for c in row["components"]]
    assert [b["custom_id"] for b in buttons] == [b.id for b in expected.buttons]
    assert [b["label"] for b in buttons] == [b.label for b in expected.buttons]


async def test_private_answers_are_ephemeral(discord_user: DiscordHarness) -> None:
    (seen,) = await discord_user.command("/help", user="ada", channel="general")
    assert seen.visible_to == "ada" and "framework-coach commands" in seen.text
    (bad,) = await discord_user.command("/framework role:astronaut", user="ada",
                                        channel="general")
    assert bad.visible_to == "ada"


async def test_sent_views_are_not_kept_alive_but_their_buttons_still_work(
    discord_user: DiscordHarness,
) -> None:
    """discord.py would keep each private reply's View (and a timer task) for 15 minutes."""
    for n in range(5):
        (bad,) = await discord_user.command(f"/framework role:astronaut{n}", user="ada",
                                            channel="general")
        assert bad.button_ids
    timers = [t for t in asyncio.all_tasks() if "timeout_task" in repr(t.get_coro())]
    assert timers == []
    (pressed,) = await discord_user.press(bad.button_ids[0], user="ada", channel="general")
    assert "Unknown role" not in pressed.text and pressed.text


async def test_role_autocomplete_uses_the_core_matcher(
    discord_user: DiscordHarness, fake: FakeDiscord, core: Core
) -> None:
    framework = core.registry.get("framework")
    for typed in ("ml eng", "datascientst", ""):
        payload = fake.interaction(4, command_data("framework", None, {"role": typed}, "role"),
                                   user_id=1, user_name="ada", channel_id=2)
        body = await asyncio.wait_for(await fake.dispatch(payload), 10)
        assert body["type"] == 8
        choices = body["data"]["choices"]
        want = core.complete(framework, "role", typed)
        assert [(c["value"], c["name"]) for c in choices] == [tuple(w) for w in want]
        assert 0 < len(choices) <= 25
    assert choices and len(choices) == min(25, len(core.knowledge.roles))


async def test_slow_answers_are_deferred_then_followed_up(
    knowledge: Knowledge, fake: FakeDiscord, tmp_path: Path
) -> None:
    deferred = asyncio.Event()

    async def slow(request: Request, core: Core) -> Response:
        await asyncio.wait_for(deferred.wait(), 10)  # finishes only once Discord was told
        private = request.options.get("who") == "me"
        return Response(title="slow answer", sections=(Section("done"),),
                        visibility=Visibility.PRIVATE if private else Visibility.CHANNEL)

    core = Core(knowledge=knowledge, registry=Registry([CommandSpec(
        name="slow", description="Takes a while", example="/slow", handler=slow,
        options=(OptionSpec("who", "who sees it"),))]))
    async with running_adapter(core, fake, tmp_path, defer_after=0.01) as adapter:
        user = DiscordHarness(fake, adapter, core)
        for who, kind, visible in (("me", "original-edit", "ada"), ("all", "followup", None)):
            payload = user.interaction_for(f"/slow who:{who}", user="ada", channel="c")
            waiter = await fake.dispatch(payload)
            body = await asyncio.wait_for(waiter, 10)
            assert body["type"] == 5 and body["data"]["flags"] & EPHEMERAL  # "thinking…"
            done = asyncio.get_running_loop().create_future()
            user._done[int(payload["id"])] = done
            deferred.set()
            await asyncio.wait_for(done, 10)
            deferred.clear()
            (post,) = fake.posts_for(int(payload["id"]))
            assert post.kind == kind and "slow answer" in user.seen(post, "ada").text
            assert user.seen(post, "ada").visible_to == visible
            if who == "all":  # the private copy that stood in for "thinking…" is gone
                (gone,) = [p for p in fake.posts
                           if p.interaction_id == int(payload["id"]) and p.deleted]
                assert gone.kind == "original-edit"


async def test_long_answers_split_into_follow_ups(
    knowledge: Knowledge, fake: FakeDiscord, tmp_path: Path
) -> None:
    async def huge(request: Request, core: Core) -> Response:
        lines = "\n".join(f"{i}. line {i} " + "x" * 80 for i in range(300))
        return Response(title="huge", sections=(Section(lines),),
                        fields=tuple(FieldItem(f"f{i}", "v" * 900) for i in range(40)),
                        buttons=tuple(Button(f"run:/huge {i}", f"b{i}") for i in range(30)),
                        footer="the end")

    core = Core(knowledge=knowledge, registry=Registry([CommandSpec(
        name="huge", description="Too big for one message", example="/huge",
        handler=huge)]))
    async with running_adapter(core, fake, tmp_path) as adapter:
        user = DiscordHarness(fake, adapter, core)
        seen = await user.command("/huge", user="ada", channel="c")
        expected = await huge(None, core)  # type: ignore[arg-type]
        assert len(seen) > 2
        kinds = [p.kind for p in fake.posts]
        assert kinds[0] == "callback" and set(kinds[1:]) == {"followup"}
        shown = "\n".join(s.text for s in seen)
        for line in expected.sections[0].body.splitlines():
            assert line in shown
        assert shown.count("v" * 900) == 40 and "the end" in shown
        assert [i for s in seen for i in s.button_ids] == [b.id for b in expected.buttons]
        assert all(allowed_mentions(p) == {"parse": []} for p in fake.posts)


async def test_dm_context(discord_user: DiscordHarness, fake: FakeDiscord) -> None:
    adapter = discord_user.adapter
    seen: list[Context] = []

    async def record(button_id: str, ctx: Context, core: Core) -> Response:
        seen.append(ctx)
        return Response(title="ok", visibility=Visibility.PRIVATE)

    adapter.core.button_handlers["probe"] = record
    message = {"id": "1", "channel_id": "5", "type": 0, "content": "", "author": {
        "id": "9", "username": "b", "discriminator": "0", "avatar": None},
        "timestamp": "2026-01-01T00:00:00+00:00", "edited_timestamp": None, "tts": False,
        "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
        "embeds": [], "pinned": False, "flags": 0,
        "components": [{"type": 1, "components": [
            {"type": 2, "style": 2, "label": "x", "custom_id": "probe:1"}]}]}
    for guild, perms in ((None, 0), (GUILD_ID, 0), (GUILD_ID, 1 << 5), (GUILD_ID, 1 << 3)):
        payload = fake.interaction(3, {"custom_id": "probe:1", "component_type": 2},
                                   user_id=77, user_name="dee", channel_id=5,
                                   guild_id=guild, permissions=perms, message=message)
        await discord_user.run(payload, "dee")
    dm, member, guild_manager, admin = seen
    assert dm.tenant_id == "dm-77" and dm.is_manager
    assert member.tenant_id == str(GUILD_ID) and not member.is_manager
    assert member.platform == "discord" and member.user_id == "77"
    assert member.user_name == "dee" and member.channel_id == "5"
    assert guild_manager.is_manager and admin.is_manager


# ---------------------------------------------------------------------------- quiz buttons


def quiz_question(session: str) -> Response:
    return Response(
        title="Question 1/3 · pytorch · easy",
        sections=(Section("Which call runs backpropagation?"),
                  Section("A) loss.backward()\nB) model.eval()")),
        buttons=(Button(f"quiz:{session}:0:0", "A) loss.backward()"),
                 Button(f"quiz:{session}:0:1", "B) model.eval()")),
        footer="20 s to answer",
    )


class QuizProbe:
    """Stands in for the quiz feature: records answers, confirms privately."""

    def __init__(self) -> None:
        self.answers: list[tuple[str, str]] = []

    async def __call__(self, button_id: str, ctx: Context, core: Core) -> Response:
        self.answers.append((button_id, ctx.user_id))
        return Response(title="Answer recorded", sections=(Section("Good luck!"),),
                        visibility=Visibility.PRIVATE)


async def test_quiz_click_records_the_answer_and_the_question_is_edited(
    discord_user: DiscordHarness, fake: FakeDiscord
) -> None:
    probe = QuizProbe()
    adapter = discord_user.adapter
    adapter.core.button_handlers["quiz"] = probe
    channel = discord_user.snowflake("quiz-room")
    sent = await adapter.deliver(str(GUILD_ID), str(channel), quiz_question("s1"))
    assert sent.ok and sent.message_id
    (post,) = fake.channel_posts(channel)
    assert post.custom_ids == ["quiz:s1:0:0", "quiz:s1:0:1"]

    seen = await discord_user.press("quiz:s1:0:1", user="bo", channel="quiz-room")
    assert probe.answers == [("quiz:s1:0:1", str(discord_user.snowflake("bo")))]
    (confirm,) = seen
    assert confirm.visible_to == "bo" and "Answer recorded" in confirm.text

    closed = Response(title="Question 1/3 · pytorch · easy (closed)",
                      sections=(Section("A) loss.backward() ✓\nB) model.eval()"),),
                      footer="1 answer · closed")
    edited = await adapter.edit(str(GUILD_ID), str(channel), sent.message_id, closed)
    assert edited == Delivery(ok=True, message_id=sent.message_id)
    message = fake.messages[int(sent.message_id)]
    assert message["components"] == [] and message["embeds"][0]["title"].endswith("(closed)")
    assert fake.posts[-1].kind == "channel-edit"


async def test_a_click_that_races_the_edit_removing_its_buttons_still_gets_an_answer(
    discord_user: DiscordHarness, fake: FakeDiscord
) -> None:
    """Discord sends the message as it is now: a click landing just after the question closed
    arrives without its button, and discord.py alone would drop it ("interaction failed")."""
    probe = QuizProbe()
    adapter = discord_user.adapter
    adapter.core.button_handlers["quiz"] = probe
    channel = discord_user.snowflake("quiz-room")
    sent = await adapter.deliver(str(GUILD_ID), str(channel), quiz_question("s2"))
    closed = Response(title="Question 1/3 (closed)", sections=(Section("A) ✓"),))
    await adapter.edit(str(GUILD_ID), str(channel), sent.message_id, closed)
    message = fake.messages[int(sent.message_id)]
    assert message["components"] == []
    payload = discord_user.click_payload("quiz:s2:0:1", user="bo", channel="quiz-room",
                                         message=message)
    (seen,) = await discord_user.run(payload, "bo")
    assert probe.answers == [("quiz:s2:0:1", str(discord_user.snowflake("bo")))]
    assert seen.visible_to == "bo"


async def test_a_button_pressed_after_a_restart_still_reaches_the_core(
    core: Core, fake: FakeDiscord, tmp_path: Path
) -> None:
    probe = QuizProbe()
    core.button_handlers["quiz"] = probe
    async with running_adapter(core, fake, tmp_path) as adapter:
        channel = DiscordHarness(fake, adapter, core).snowflake("quiz-room")
        sent = await adapter.deliver(str(GUILD_ID), str(channel), quiz_question("s9"))
        assert sent.ok
    message = fake.messages[int(sent.message_id)]

    # A new process: a new client, nothing in memory but what setup_hook registers.
    async with running_adapter(core, fake, tmp_path) as restarted:
        user = DiscordHarness(fake, restarted, core)
        payload = user.click_payload("quiz:s9:0:0", user="cy", channel="quiz-room",
                                     message=message)
        (seen,) = await user.run(payload, "cy")
    assert probe.answers == [("quiz:s9:0:0", str(user.snowflake("cy")))]
    assert "Answer recorded" in seen.text and seen.visible_to == "cy"
    assert len(fake.identifies) == 2


async def test_an_unknown_button_is_explained_not_ignored(
    discord_user: DiscordHarness, fake: FakeDiscord
) -> None:
    payload = discord_user.click_payload(
        "gone:1", user="ada", channel="c",
        message={**_plain_message(), "components": [{"type": 1, "components": [
            {"type": 2, "style": 2, "label": "old", "custom_id": "gone:1"}]}]})
    (seen,) = await discord_user.run(payload, "ada")
    assert seen.visible_to == "ada" and "expired" in seen.text


def _plain_message() -> dict:
    return {"id": "2", "channel_id": "5", "type": 0, "content": "",
            "author": {"id": "9", "username": "b", "discriminator": "0", "avatar": None},
            "timestamp": "2026-01-01T00:00:00+00:00", "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
            "embeds": [], "pinned": False, "flags": 0}


# ---------------------------------------------------------------------------- delivery


def digest() -> Response:
    return Response(
        title="Weekly digest · @everyone",
        sections=(Section("• PyTorch 2.9 released\n• JAX passes Keras in downloads",
                          heading="This week"),),
        fields=(FieldItem("Rising", "JAX"),),
        footer="/digest unsubscribe to stop",
        accent="jax",
    )


async def test_digest_posted_to_a_channel(discord_user: DiscordHarness, fake: FakeDiscord,
                                          core: Core) -> None:
    result = await discord_user.adapter.deliver(str(GUILD_ID), "123456789012345678",
                                                core._finish(digest()))
    assert result.ok and result.message_id
    (post,) = fake.channel_posts(123456789012345678)
    assert post.body["allowed_mentions"] == {"parse": []}
    (embed,) = post.message["embeds"]
    assert embed["title"].startswith("Weekly digest") and "@everyone" not in embed["title"]
    assert embed["color"] == int(core.colour("jax").lstrip("#"), 16)
    assert "JAX passes Keras" in embed["description"]


async def test_a_429_is_retried_and_delivered_once(discord_user: DiscordHarness,
                                                   fake: FakeDiscord) -> None:
    fake.rate_limit_next("POST", r"/channels/\d+/messages$", retry_after=0.01)
    result = await discord_user.adapter.deliver(str(GUILD_ID), "222", digest())
    assert result.ok
    assert len(fake.channel_posts(222)) == 1
    attempts = [p for m, p, _ in fake.requests if m == "POST" and p.endswith("/222/messages")]
    assert len(attempts) == 2


async def test_a_long_rate_limit_goes_back_to_the_core(discord_user: DiscordHarness,
                                                       fake: FakeDiscord) -> None:
    fake.rate_limit_next("POST", r"/channels/\d+/messages$", retry_after=3600)
    result = await discord_user.adapter.deliver(str(GUILD_ID), "333", digest())
    assert not result.ok and not result.permanent and result.retry_after == 3600
    assert fake.channel_posts(333) == []


@pytest.mark.parametrize("status, code", [(403, 50001), (404, 10003)])
async def test_permanent_errors_go_back_to_the_core(
    discord_user: DiscordHarness, fake: FakeDiscord, status: int, code: int
) -> None:
    fake.fail_next("POST", r"/channels/\d+/messages$", status,
                   {"message": "Missing Access" if status == 403 else "Unknown Channel",
                    "code": code})
    result = await discord_user.adapter.deliver(str(GUILD_ID), "444", digest())
    assert not result.ok and result.permanent and str(status) in (result.error or "")
    fake.fail_next("PATCH", r"/channels/\d+/messages/\d+$", status, {"message": "x",
                                                                     "code": code})
    edited = await discord_user.adapter.edit(str(GUILD_ID), "444", "555", digest())
    assert not edited.ok and edited.permanent


async def test_server_errors_are_not_permanent(discord_user: DiscordHarness,
                                               fake: FakeDiscord) -> None:
    fake.fail_next("POST", r"/channels/\d+/messages$", 400, {"message": "bad", "code": 50035})
    result = await discord_user.adapter.deliver(str(GUILD_ID), "666", digest())
    assert not result.ok and not result.permanent
    bad = await discord_user.adapter.deliver(str(GUILD_ID), "general", digest())
    assert not bad.ok and bad.permanent  # not a Discord channel id at all


async def test_delivery_without_a_connection(core: Core, fake: FakeDiscord,
                                             tmp_path: Path) -> None:
    async with running_adapter(core, fake, tmp_path) as adapter:
        pass
    result = await adapter.deliver(str(GUILD_ID), "1", digest())
    assert not result.ok and not result.permanent


async def test_a_bad_token_fails_start(core: Core, fake: FakeDiscord, tmp_path: Path) -> None:
    from adapters.discord import DiscordAdapter
    from bot.config import Settings

    settings = Settings(_env_file=None, discord_token="wrong", discord_api_url=fake.api_url,
                        discord_gateway_url=fake.gateway_url, data_dir=tmp_path)
    adapter = DiscordAdapter(core, settings, guild_ready_timeout=0.01)
    with pytest.raises(RuntimeError) as failed:
        await adapter.start()
    assert isinstance(failed.value.__cause__, discord.LoginFailure)
    assert "wrong" not in str(failed.value)


async def test_start_discord_runs_in_the_running_loop(core: Core, fake: FakeDiscord,
                                                      tmp_path: Path) -> None:
    from adapters.discord import start_discord
    from bot.config import Settings

    settings = Settings(_env_file=None, discord_token="fake-bot-token",
                        discord_api_url=fake.api_url, discord_gateway_url=fake.gateway_url,
                        data_dir=tmp_path)
    adapter = await start_discord(core, settings, guild_ready_timeout=0.01)
    try:
        assert adapter.client.is_ready() and adapter.client.loop is asyncio.get_running_loop()
        assert Route.BASE == fake.api_url
    finally:
        await adapter.stop()
    assert adapter.client.is_closed()
