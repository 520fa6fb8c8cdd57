"""/digest and /trends through the real core, on the digest world (store, scheduler, clock)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core import Core
from bot.delivery import Delivery
from bot.digests.access import CAN_POST, ChannelAccess
from bot.models import Context, Response, Visibility

from .conftest import TENANT, World

UTC = dt.UTC


@pytest.fixture
def core(world: World, knowledge) -> Core:  # noqa: ANN001
    core = Core(knowledge=knowledge, clock=world.clock)
    core.services.update(store=world.store, digests=world.service)
    return core


async def say(core: Core, text: str, *, manager: bool = True, channel: str = "news") -> Response:
    ctx = Context(platform=TENANT.platform, tenant_id=TENANT.id, channel_id=channel,
                  user_id="ann", user_name="Ann", is_manager=manager)
    return await core.handle_text(text, ctx)


async def test_subscribe_understands_loose_days_times_and_zones(core: Core, world: World) -> None:
    reply = await say(core, "/digest subscribe day:friday time:5pm timezone:berlin")
    assert not reply.is_error, reply.plain_text()
    sub = await world.store.get_subscription(TENANT, "news")
    assert (sub.weekday, sub.time, sub.timezone, sub.created_by) == (4, "17:00", "Europe/Berlin",
                                                                     "ann")
    assert "every Friday at 17:00 (Europe/Berlin)" in reply.plain_text()
    assert "Fri 6 Mar 2026, 17:00 CET" in reply.plain_text()


async def test_subscribe_is_for_managers_only(core: Core, world: World) -> None:
    reply = await say(core, "/digest subscribe", manager=False)
    assert reply.is_error and "manage this channel" in reply.plain_text()
    assert await world.store.get_subscription(TENANT, "news") is None


async def test_malformed_options_say_what_is_wrong_with_an_example(core: Core) -> None:
    reply = await say(core, "/digest subscribe cadence:hourly day:someday time:25:99 "
                            "timezone:Mars/Olympus")
    text = reply.plain_text()
    assert reply.is_error and reply.visibility is Visibility.PRIVATE
    for part in ("cadence 'hourly'", "day 'someday'", "time '25:99'", "timezone 'Mars/Olympus'",
                 "Example: `/digest subscribe cadence:weekly"):
        assert part in text


async def test_status_answers_why_nothing_arrived(core: Core, world: World) -> None:
    await say(core, "/digest subscribe day:mon time:09:00 timezone:UTC")
    refused = Delivery(ok=False, error="not_in_channel: the bot is not in this channel",
                       permanent=True)
    world.platform.script.extend([refused, refused])  # the digest, then the pause note
    world.platform.access = ChannelAccess(False, "the app is not a member of this channel",
                                          "invite the app: `/invite @framework-coach` here")
    await world.run_until(dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    reply = await say(core, "/digest status", manager=False)
    text = reply.plain_text()
    assert reply.visibility is Visibility.PRIVATE
    assert "Why nothing arrives" in text and "not_in_channel" in text
    assert "none (paused)" in text and "failed (2026-W10)" in text
    assert ("Can post here\nno: the app is not a member of this channel. Fix: invite the "
            "app: `/invite @framework-coach` here") in text
    assert "a channel manager resumes them with `/digest subscribe`" in text


async def test_a_paused_subscription_tells_the_channel_once_how_to_resume(
    core: Core, world: World
) -> None:
    """The digest is refused for good (say, Embed Links denied), a plain note still gets
    through: said once, with the fix the platform check found; later weeks stay silent."""
    await say(core, "/digest subscribe day:mon time:09:00 timezone:UTC")
    world.platform.script.append(Delivery(ok=False, error="403 Missing Permissions",
                                          permanent=True))
    world.platform.access = ChannelAccess(False, "the bot lacks Embed Links here",
                                          "allow the bot's role Embed Links")
    await world.run_until(dt.datetime(2026, 3, 23, 10, 0, tzinfo=UTC))
    (note,) = [r for _, _, r in world.platform.posts]
    assert note.title == "Trend digests here are paused"
    assert note.plain_text().splitlines()[1] == (
        "The last digest could not be posted: 403 Missing Permissions. To fix: allow the "
        "bot's role Embed Links. Then a channel manager resumes them with `/digest "
        "subscribe` (the same schedule options); `/digest status` shows what the bot finds "
        "now.")
    world.platform.access = CAN_POST  # fixed; a manager subscribes again
    await say(core, "/digest subscribe day:mon time:09:00 timezone:UTC")
    await world.run_until(dt.datetime(2026, 3, 30, 10, 0, tzinfo=UTC))
    assert [r.title.split(",")[0] for _, _, r in world.platform.posts] == [
        "Trend digests here are paused", "Framework trends (sample data to 22 Aug 2026)"]


async def test_status_shows_next_run_in_the_channel_zone_and_the_last_post(
    core: Core, world: World
) -> None:
    await say(core, "/digest subscribe day:mon time:09:00 timezone:America/New_York")
    await world.run_until(dt.datetime(2026, 3, 3, tzinfo=UTC))
    text = (await say(core, "/digest status")).plain_text()
    assert "Mon 9 Mar 2026, 09:00 EDT" in text  # New York is on summer time from 8 March
    assert "Mon 2 Mar 2026, 09:00 EST: delivered (2026-W10)" in text
    assert "Can post here\nyes" in text


async def test_preview_is_private_and_shows_the_sample_until_data_is_collected(
    core: Core,
) -> None:
    reply = await say(core, "/digest preview", manager=False)
    assert reply.visibility is Visibility.PRIVATE and not reply.is_error
    assert "(sample data to " in reply.title and "Preview, only you see it" in reply.footer


async def test_last_and_unsubscribe(core: Core, world: World) -> None:
    assert "No digest posted here yet" in (await say(core, "/digest last")).title
    await say(core, "/digest subscribe day:mon time:09:00 timezone:UTC")
    await world.run_until(dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    last = (await say(core, "/digest last")).plain_text()
    assert "posted Mon 2 Mar 2026, 09:00 UTC for 2026-W10" in last
    assert not (await say(core, "/digest unsubscribe")).is_error
    again = await say(core, "/digest unsubscribe")
    assert again.is_error and "no digest subscription" in again.title


async def test_trends_for_one_framework_and_a_typo(core: Core) -> None:
    jax = await say(core, "/trends jax")
    assert [f.name for f in jax.fields] == ["JAX"] and "JAX" in jax.title
    typo = await say(core, "/trends framework:tensorflw")
    assert not typo.is_error and [f.name for f in typo.fields] == ["TensorFlow"]
    unknown = await say(core, "/trends framework:caffe")
    assert unknown.is_error and "/trends framework:" in unknown.plain_text()


async def test_trends_and_preview_work_without_a_data_directory(knowledge) -> None:  # noqa: ANN001
    core = Core(knowledge=knowledge)
    assert len((await core.handle_text("/trends", Context())).fields) == 4
    reply = await core.handle_text("/digest preview", Context())
    assert reply.is_error and "not available" in reply.title


async def test_a_channel_check_that_breaks_is_could_not_check_not_a_traceback(
    core: Core, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(tenant_id: str, channel_id: str) -> ChannelAccess:
        raise KeyError("flags")

    await say(core, "/digest subscribe day:mon time:09:00 timezone:UTC")
    monkeypatch.setattr(world.platform, "check_channel", broken)
    reply = await say(core, "/digest status")
    assert not reply.is_error
    assert "Can post here\ncould not check: the check failed (see the bot's log)" in (
        reply.plain_text())
