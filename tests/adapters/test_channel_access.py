"""``/digest status`` "Can post here", as each adapter finds out: Slack through auth.test's
scopes and conversations.info, Discord through the bot's permissions in the channel (the
gateway's cache, overwrites included), the console always. Each answer names the fix."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import discord
import pytest

from adapters.console import ConsoleAdapter
from adapters.slack.delivery import Pacer
from bot.app import open_app
from bot.clock import FakeClock
from bot.config import Settings
from bot.core import Core
from bot.digests.access import ChannelAccess
from bot.storage import Tenant
from tests.adapters.fakes.discord_fake import (
    GUILD_ID,
    DiscordHarness,
    FakeDiscord,
    guild,
    running_adapter,
)
from tests.adapters.fakes.slack_api import TEAM, Running, visible_text
from tests.adapters.test_discord_daily import advance_until


def bits(**allowed: bool) -> int:
    return discord.Permissions(**allowed).value


POSTING = bits(view_channel=True, send_messages=True, embed_links=True, attach_files=True)

# ---------------------------------------------------------------------------- Slack


async def slack_access(core: Core, channel: dict | None, scopes: str | None = None,
                       fail: str | None = None) -> ChannelAccess:
    async with Running(core, "http") as h:
        if channel is not None:
            h.fake.channels["C1"] = {"id": "C1", "name": "ml", **channel}
        if scopes is not None:
            h.fake.scopes = scopes
        if fail is not None:
            h.fake.fail_next("conversations.info", fail)
        found = await h.adapter.check_channel(TEAM, "C1")
        assert [c.data.get("channel") for c in h.fake.of("conversations.info")] == ["C1"]
        return found


async def test_slack_member_with_chat_write_can_post(core: Core) -> None:
    found = await slack_access(core, {"is_member": True, "is_private": False})
    assert found == ChannelAccess(True)
    assert found.describe() == "yes"


async def test_slack_not_a_member_says_so_and_how_to_invite(core: Core) -> None:
    found = await slack_access(core, {"is_member": False, "is_private": False})
    assert found.ok is False
    assert found.describe() == ("no: the app is not a member of this channel. Fix: invite the "
                                "app: `/invite @framework-coach` here")


async def test_slack_chat_write_public_posts_in_public_channels_without_joining(
    core: Core,
) -> None:
    scopes = "commands,chat:write,chat:write.public,files:write"
    assert (await slack_access(core, {"is_member": False, "is_private": False}, scopes)).ok
    private = await slack_access(core, {"is_member": False, "is_private": True}, scopes)
    assert private.ok is False and "not a member" in private.problem


async def test_slack_missing_chat_write_is_a_no_even_for_a_member(core: Core) -> None:
    found = await slack_access(core, {"is_member": True}, "commands,files:write")
    assert found.ok is False and found.problem == "the app lacks the chat:write scope"
    assert "reinstall the app" in found.fix


async def test_slack_missing_files_write_posts_without_the_chart(core: Core) -> None:
    found = await slack_access(core, {"is_member": True}, "commands,chat:write")
    assert found.ok is True
    assert found.describe().startswith("yes, but the chart is left out: the app lacks "
                                       "files:write. Fix: add it under OAuth & Permissions")


async def test_slack_archived_and_unseen_channels(core: Core) -> None:
    archived = await slack_access(core, {"is_member": True, "is_archived": True})
    assert (archived.ok, archived.problem) == (False, "the channel is archived")
    unseen = await slack_access(core, None)  # conversations.info: channel_not_found
    assert unseen.ok is False and "cannot see this channel" in unseen.problem
    assert "/invite" in unseen.fix


async def test_slack_an_error_of_the_check_itself_is_not_a_yes(core: Core) -> None:
    found = await slack_access(core, {"is_member": True}, fail="internal_error")
    assert found.ok is None
    assert found.describe() == ("could not check: Slack answered internal_error. Fix: ask "
                                "again in a minute")


async def test_slack_status_right_after_not_in_channel_says_no_and_the_channel_is_told(
    tmp_path: Path,
) -> None:
    """Through the real app: the digest is refused with not_in_channel, the subscription
    pauses, the pause note is tried once (and refused too), and /digest status says "no"
    with the invite to send, where it used to say "yes"."""
    clock = FakeClock(dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC))  # a Monday
    app = await open_app(Settings(_env_file=None, data_dir=tmp_path / "data"), clock)
    try:
        await app.start_schedules()
        async with Running(app.core, pacer=Pacer(per_channel=0, overall=0)) as h:
            app.outbox.register("slack", h.adapter)
            h.fake.users["UADMIN"] = {"id": "UADMIN", "is_admin": True}
            h.fake.channels["C1"] = {"id": "C1", "name": "ml", "is_member": False}
            h.fake.fail_next("chat.postMessage", "not_in_channel", times=2)
            saved = await h.command_shown("/digest subscribe time:09:30 timezone:UTC",
                                          user="UADMIN", channel="C1")
            assert "Digest subscription saved" in visible_text(saved[0].message)
            await clock.advance(30 * 60)
            await advance_until(clock, lambda: len(h.fake.of("chat.postMessage")) >= 2)
            digest, note = h.fake.of("chat.postMessage")
            assert "Framework trends" in digest.data["text"]
            assert "Trend digests here are paused" in note.data["text"]
            (status,) = await h.command_shown("/digest status", user="UADMIN", channel="C1")
            text = visible_text(status.message)
            assert ("no: the app is not a member of this channel. Fix: invite the app: "
                    "`/invite @framework-coach` here") in text
            assert "Digests here are paused: not" in text  # the refusal, as Slack said it
        sub = await app.store.get_subscription(Tenant("slack", TEAM), "C1")
        assert sub is not None and not sub.enabled
    finally:
        await app.close()


# ---------------------------------------------------------------------------- Discord

OPEN, NO_SEND, NO_FILES, BOT_ONLY, HIDDEN = 801, 802, 803, 804, 805


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord().start()
    everyone = str(GUILD_ID)
    bot_role = str(GUILD_ID + 1)
    server.guilds.append(guild({
        OPEN: [],
        NO_SEND: [{"id": everyone, "type": 0, "allow": "0", "deny": str(bits(send_messages=True))}],
        NO_FILES: [{"id": everyone, "type": 0, "allow": "0", "deny": str(bits(attach_files=True))}],
        # hidden from everyone, shown to the bot's role: the role's overwrite wins
        BOT_ONLY: [{"id": everyone, "type": 0, "allow": "0", "deny": str(bits(view_channel=True))},
                   {"id": bot_role, "type": 0, "allow": str(bits(view_channel=True)),
                    "deny": "0"}],
        HIDDEN: [{"id": everyone, "type": 0, "allow": "0", "deny": str(bits(view_channel=True))}],
    }, everyone=POSTING))
    yield server
    await server.close()


async def test_discord_reads_the_bots_permissions_in_each_channel(
    core: Core, discord_fake: FakeDiscord, tmp_path: Path
) -> None:
    async with running_adapter(core, discord_fake, tmp_path, guild_ready_timeout=2.0) as adapter:
        found = {c: await adapter.check_channel(str(GUILD_ID), str(c))
                 for c in (OPEN, NO_SEND, NO_FILES, BOT_ONLY, HIDDEN, 999)}
        elsewhere = await adapter.check_channel("920000000000000001", "806")
    assert found[OPEN] == ChannelAccess(True) and found[BOT_ONLY] == ChannelAccess(True)
    # Discord drops Embed Links (and Attach Files) with Send Messages: both are named
    assert found[NO_SEND].describe() == (
        "no: the bot lacks Send Messages and Embed Links here. Fix: in the channel's settings "
        "(Edit Channel → Permissions), allow the bot's role Send Messages and Embed Links, or "
        "re-invite it with `framework-coach discord-invite`")
    assert found[NO_FILES].ok is True
    assert found[NO_FILES].problem == "the chart is left out: the bot lacks Attach Files here"
    assert found[HIDDEN].ok is False
    assert found[HIDDEN].problem == "the bot lacks View Channel, Send Messages and Embed Links here"
    assert found[999].ok is False and "no longer exists" in found[999].problem
    assert elsewhere.describe() == ("no: the bot is not in this server. Fix: invite it with the "
                                    "link from `framework-coach discord-invite`")
    # the answers come from the gateway's cache: no REST request per check
    assert not [r for r in discord_fake.requests if "/channels/" in r[1]]


async def test_discord_status_after_a_refused_digest_names_the_missing_permission(
    tmp_path: Path,
) -> None:
    """Through the real app and an interaction: Send Messages is denied in the channel, the
    digest and the pause note are refused (403), /digest status says which permission to
    allow."""
    room = 960000000000000001  # the first snowflake the harness hands out: "ml" below
    fake = await FakeDiscord().start()
    fake.guilds.append(guild({room: [{"id": str(GUILD_ID), "type": 0, "allow": "0",
                                      "deny": str(bits(send_messages=True))}]},
                             everyone=POSTING))
    missing = {"message": "Missing Permissions", "code": 50013}
    clock = FakeClock(dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC))
    app = await open_app(Settings(_env_file=None, data_dir=tmp_path / "data"), clock)
    try:
        await app.start_schedules()
        async with running_adapter(app.core, fake, tmp_path / "discord",
                                   guild_ready_timeout=2.0) as adapter:
            app.outbox.register("discord", adapter)
            user = DiscordHarness(fake, adapter, app.core)
            assert user.snowflake("ml") == room
            for _ in range(2):  # the digest, then the note saying it paused
                fake.fail_next("POST", rf"/channels/{room}/messages$", 403, missing)
            (saved,) = await user.command("/digest subscribe time:09:30 timezone:UTC",
                                          user="mo", channel="ml", permissions=1 << 4)
            assert "Digest subscription saved" in saved.text
            await clock.advance(30 * 60)
            tenant = Tenant("discord", str(GUILD_ID))
            sends = f"/api/v10/channels/{room}/messages"
            await advance_until(clock, lambda: [r[1] for r in fake.requests
                                                if r[0] == "POST"].count(sends) >= 2)
            (status,) = await user.command("/digest status", user="mo", channel="ml")
            assert ("no: the bot lacks Send Messages and Embed Links here. Fix: in the "
                    "channel's settings") in status.text
            assert fake.channel_posts(room) == []
        sub = await app.store.get_subscription(tenant, str(room))
        assert sub is not None and not sub.enabled and "Missing Permissions" in (
            sub.disabled_reason or "")
    finally:
        await app.close()
        await fake.close()


async def test_discord_not_connected_is_not_a_yes(
    core: Core, discord_fake: FakeDiscord, tmp_path: Path
) -> None:
    async with running_adapter(core, discord_fake, tmp_path) as adapter:
        pass
    found = await adapter.check_channel(str(GUILD_ID), str(OPEN))
    assert found.ok is None and "not connected" in found.problem


# ---------------------------------------------------------------------------- console


async def test_the_console_can_always_post(core: Core, tmp_path: Path) -> None:
    assert await ConsoleAdapter(core).check_channel("local", "news") == ChannelAccess(True)
