"""Slack installed by any workspace: the real slack-bolt app in HTTP mode with its OAuth
install, against the loopback fake of Slack. Two workspaces install it through
/slack/install and /slack/oauth_redirect; each one's commands and posts carry its own token;
an uninstall stops one and not the other, also after a restart; a forged or replayed OAuth
state is refused."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.slack import start_slack
from adapters.slack.delivery import Pacer
from adapters.slack.install import NOT_INSTALLED, manifest_scopes
from bot.app import App, open_app
from bot.clock import FakeClock
from bot.config import Settings
from bot.models import Response
from bot.storage import DailySub, Subscription, Tenant
from tests.adapters.fakes.slack_api import (
    CLIENT_ID,
    CLIENT_SECRET,
    SIGNING_SECRET,
    FakeSlack,
    ack_body,
    install_page,
    oauth_redirect,
    post_event,
    send_command,
    visible_text,
)

TA, TB = "TALPHA", "TBETA"


class Installable:
    """The bot (storage, quiz, digests) with Slack in install mode, on ``data_dir``."""

    def __init__(self, fake: FakeSlack, data_dir: Path, clock: FakeClock) -> None:
        self.fake, self.data_dir, self.clock = fake, data_dir, clock

    async def __aenter__(self) -> Installable:
        self.settings = Settings(
            _env_file=None, data_dir=self.data_dir, slack_client_id=CLIENT_ID,
            slack_client_secret=CLIENT_SECRET, slack_signing_secret=SIGNING_SECRET,
            slack_api_url=self.fake.api_url, port=0)
        self.app: App = await open_app(self.settings, self.clock)
        self.adapter = await start_slack(self.app.core, self.settings, host="127.0.0.1",
                                         pacer=Pacer(per_channel=0, overall=0))
        self.app.outbox.register("slack", self.adapter)
        await self.app.start_schedules()
        self.session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.session.close()
        await self.adapter.stop()
        await self.app.close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.adapter.port}"

    async def install_page(self) -> tuple[str, str]:
        """GET /slack/install: the "Add to Slack" link and the state cookie."""
        link, _, cookie = await install_page(self.session, self.base)
        return link, cookie

    async def redirect(self, code: str, state: str, cookie: str | None) -> aiohttp.ClientResponse:
        return await oauth_redirect(self.session, self.base, code, state, cookie)

    async def install(self, team: str) -> str:
        """The whole install in ``team``; returns the bot token Slack handed out."""
        link, cookie = await self.install_page()
        state = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["state"][0]
        resp = await self.redirect(self.fake.grant(team), state, cookie)
        assert resp.status == 200, await resp.text()
        found = await self.app.store.find_installation(Tenant("slack", team))
        assert found is not None
        return found["bot_token"]

    async def command(self, team: str, text: str, *, user: str = "U1",
                      channel: str = "C1") -> tuple[dict[str, Any] | str, str]:
        """A slash command from ``team``: the acknowledgement, and its response_url key."""
        resp, key = await send_command(self.session, f"{self.base}/slack/events", self.fake,
                                       team, text, user=user, channel=channel)
        await self.adapter.drain(timeout=10)
        return await ack_body(resp), key

    async def uninstall(self, team: str) -> None:
        self.fake.revoke(team)  # Slack revokes the tokens, then sends the event
        resp = await post_event(self.session, f"{self.base}/slack/events", team,
                                {"type": "app_uninstalled"})
        assert resp.status == 200, await resp.text()


@pytest.fixture
async def fake():
    slack = FakeSlack(tokens={})
    await slack.start()
    yield slack
    await slack.stop()


def _after(fake: FakeSlack, mark: int, method: str) -> list[Any]:
    return [c for c in fake.calls[mark:] if c.method == method]


async def test_the_install_page_asks_for_the_manifests_scopes(fake, tmp_path):
    async with Installable(fake, tmp_path / "data", FakeClock()) as bot:
        link, cookie = await bot.install_page()
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
        assert query["client_id"] == [CLIENT_ID]
        assert query["scope"][0].split(",") == manifest_scopes()
        assert "chat:write" in query["scope"][0] and "commands" in query["scope"][0]
        assert query["state"] == [cookie]
        assert fake.calls == []  # nothing is asked of Slack before an install


async def test_two_workspaces_each_with_its_own_token(fake, tmp_path):
    async with Installable(fake, tmp_path / "data", FakeClock()) as bot:
        token_a, token_b = await bot.install(TA), await bot.install(TB)
        assert token_a != token_b and fake.tokens == {token_a: TA, token_b: TB}
        (exchange_a, exchange_b) = fake.of("oauth.v2.access")
        assert exchange_a.data["code"].startswith(f"code-{TA}")

        mark = len(fake.calls)
        for team in (TA, TB, TA, TB, TA):
            ack, _ = await bot.command(team, "/framework role:ml-engineer")
            assert isinstance(ack, dict) and "PyTorch" in ack["blocks"][0]["text"]["text"]
        # bolt's auth.test once per workspace, then remembered: a command costs no call
        checks = _after(fake, mark, "auth.test")
        assert sorted(fake.token_of(c) for c in checks) == sorted([token_a, token_b])

        # A manager check asks Slack with the asking workspace's token.
        fake.users["UB"] = {"id": "UB", "is_admin": True}
        await bot.command(TB, "/digest subscribe", user="UB", channel="CB")
        (lookup,) = _after(fake, mark, "users.info")
        assert fake.token_of(lookup) == token_b

        # Posts no request triggered (digests, quiz timers) look the token up themselves.
        for team, channel in ((TA, "CA"), (TB, "CB")):
            result = await bot.adapter.deliver(team, channel, Response(title=f"to {team}"))
            assert result.ok, result.error
        posts = {c.data["channel"]: fake.token_of(c) for c in fake.of("chat.postMessage")}
        assert posts == {"CA": token_a, "CB": token_b}


async def test_a_workspace_that_never_installed_is_told_so(fake, tmp_path):
    async with Installable(fake, tmp_path / "data", FakeClock()) as bot:
        await bot.install(TA)
        mark = len(fake.calls)
        ack, key = await bot.command("TNEVER", "/quiz start")
        (reply,) = await fake.wait_for(f"response_url:{key}")
        assert reply.data["text"] == NOT_INSTALLED and "reinstall" not in NOT_INSTALLED
        assert ack == ""
        assert bot.app.quiz.running("slack", "TNEVER", "C1") is None  # nothing else happened
        assert [c.method for c in fake.calls[mark:]] == [f"response_url:{key}"]
        result = await bot.adapter.deliver("TNEVER", "C1", Response(title="hello"))
        assert not result.ok and result.permanent and fake.of("chat.postMessage") == []


async def test_an_uninstall_stops_that_workspace_only_and_survives_a_restart(fake, tmp_path):
    clock = FakeClock()
    data = tmp_path / "data"
    async with Installable(fake, data, clock) as bot:
        token_a, token_b = await bot.install(TA), await bot.install(TB)
        fake.users["UA"] = {"id": "UA", "is_admin": True}
        fake.users["UB"] = {"id": "UB", "is_admin": True}
        for team, user in ((TA, "UA"), (TB, "UB")):
            await bot.app.digests.subscribe(Tenant("slack", team), Subscription(
                "C1", cadence="daily", time="09:00", created_by=user))
            await bot.app.daily.subscribe(Tenant("slack", team), DailySub("C2", time="10:00"))
            ack, _ = await bot.command(team, "/quiz start questions:3", user=user)
            assert bot.app.quiz.running("slack", team, "C1") is not None, ack
        await fake.wait_for("chat.postMessage")  # a first question (the outbox paces them)

        await bot.uninstall(TA)
        assert await bot.app.store.find_installation(Tenant("slack", TA)) is None
        assert bot.app.quiz.running("slack", TA, "C1") is None
        assert await bot.app.store.load_quiz_session(Tenant("slack", TA), "C1") is None
        sub_a = await bot.app.store.get_subscription(Tenant("slack", TA), "C1")
        assert sub_a is not None and not sub_a.enabled and "removed" in sub_a.disabled_reason
        jobs = {j.id for j in bot.app.digests.scheduler.get_jobs()}
        assert f"digest:slack:{TB}:C1" in jobs and f"digest:slack:{TA}:C1" not in jobs
        assert f"daily:slack:{TB}:C2" in jobs and f"daily:slack:{TA}:C2" not in jobs
        daily_a = await bot.app.store.get_daily_sub(Tenant("slack", TA), "C2")
        assert daily_a is not None and not daily_a.enabled
        assert bot.app.quiz.running("slack", TB, "C1") is not None

        mark = len(fake.calls)
        await clock.advance(dt.timedelta(days=1).total_seconds())  # timers and digests fire
        await fake.until(lambda: any(c.data.get("channel") == "C1" for c in
                                     _after(fake, mark, "chat.postMessage")))
        await _settle(bot)
        tokens = {fake.token_of(c) for c in fake.calls[mark:] if c.method.startswith("chat.")}
        assert tokens == {token_b}  # nothing at all was sent for the uninstalled workspace
        assert token_a not in {fake.token_of(c) for c in fake.calls[mark:]}

    async with Installable(fake, data, clock) as bot:  # a restart does not bring it back
        assert await bot.app.store.find_installation(Tenant("slack", TA)) is None
        jobs = {j.id for j in bot.app.digests.scheduler.get_jobs()}
        assert f"digest:slack:{TA}:C1" not in jobs and f"digest:slack:{TB}:C1" in jobs
        mark = len(fake.calls)
        ack, _ = await bot.command(TB, "/framework role:ml-engineer")
        assert isinstance(ack, dict) and "PyTorch" in visible_text(ack)
        result = await bot.adapter.deliver(TB, "C2", Response(title="still here"))
        assert result.ok
        assert {fake.token_of(c) for c in fake.calls[mark:]} == {token_b}
        assert fake.of("oauth.v2.access")[2:] == []  # kept, not installed again
        ack, key = await bot.command(TA, "/framework role:ml-engineer")
        (reply,) = await fake.wait_for(f"response_url:{key}")
        assert reply.data["text"] == NOT_INSTALLED


async def _settle(bot: Installable) -> None:
    """Let every digest run and post in flight finish."""
    import asyncio

    for _ in range(3):
        # Runs waiting on the fake clock (a retry, a later reveal) will not finish by waiting.
        busy = [f for f in bot.app.digests.busy() if f not in bot.clock.parked]
        if busy:
            await asyncio.wait(busy, timeout=10)
        await bot.adapter.drain(timeout=10)


async def test_a_revoked_bot_token_is_an_uninstall(fake, tmp_path):
    async with Installable(fake, tmp_path / "data", FakeClock()) as bot:
        await bot.install(TA)
        await bot.install(TB)
        fake.revoke(TA)
        resp = await post_event(bot.session, f"{bot.base}/slack/events", TA, {
            "type": "tokens_revoked", "tokens": {"oauth": [], "bot": [f"UBOT{TA}"]}})
        assert resp.status == 200
        assert await bot.app.store.find_installation(Tenant("slack", TA)) is None
        assert await bot.app.store.find_installation(Tenant("slack", TB)) is not None
        assert not (await bot.adapter.deliver(TA, "C1", Response(title="x"))).ok


async def test_a_workspace_that_comes_back_is_checked_afresh(fake, tmp_path):
    async with Installable(fake, tmp_path / "data", FakeClock()) as bot:
        old = await bot.install(TA)
        await bot.command(TA, "/framework role:ml-engineer")
        cache = bot.adapter.authorize.authorize_result_cache
        assert list(cache) == [old]
        await bot.uninstall(TA)
        assert cache == {}  # the workspace's authorization is dropped with it
        new = await bot.install(TA)
        mark = len(fake.calls)
        ack, _ = await bot.command(TA, "/framework role:ml-engineer")
        assert isinstance(ack, dict) and "PyTorch" in visible_text(ack)
        (check,) = _after(fake, mark, "auth.test")
        assert fake.token_of(check) == new != old
        assert (await bot.adapter.deliver(TA, "C1", Response(title="back"))).ok
        assert fake.token_of(fake.of("chat.postMessage")[-1]) == new


async def test_an_uninstall_handled_elsewhere_drops_the_remembered_authorization(fake, tmp_path):
    """Another process (same database) removed the installation: this one answers "not
    installed" at once and forgets what it remembered of the workspace."""
    async with Installable(fake, tmp_path / "data", FakeClock()) as bot:
        await bot.install(TA)
        await bot.install(TB)
        for team in (TA, TB):
            await bot.command(team, "/framework role:ml-engineer")
        cache = bot.adapter.authorize.authorize_result_cache
        assert sorted(r.team_id for r in cache.values()) == [TA, TB]
        assert await bot.app.store.delete_installation(Tenant("slack", TA))  # as B would
        ack, key = await bot.command(TA, "/framework role:ml-engineer")
        (reply,) = await fake.wait_for(f"response_url:{key}")
        assert reply.data["text"] == NOT_INSTALLED
        assert [r.team_id for r in cache.values()] == [TB]


async def test_a_forged_or_replayed_state_is_refused(fake, tmp_path):
    async with Installable(fake, tmp_path / "data", FakeClock()) as bot:
        link, cookie = await bot.install_page()
        state = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["state"][0]
        # forged: a state we never issued, with a matching cookie, or without the cookie
        for forged, sent in (("forged-state", "forged-state"), (state, None),
                             (state, "another-browser")):
            resp = await bot.redirect(fake.grant(TA), forged, sent)
            assert resp.status in (400, 401), (forged, sent, resp.status)
        assert fake.of("oauth.v2.access") == []  # no code was exchanged
        resp = await bot.redirect(fake.grant(TA), state, cookie)
        assert resp.status == 200
        replayed = await bot.redirect(fake.grant(TB), state, cookie)  # the same state again
        assert replayed.status == 401
        assert len(fake.of("oauth.v2.access")) == 1
        assert await bot.app.store.find_installation(Tenant("slack", TB)) is None


async def test_an_expired_state_is_refused(fake, tmp_path):
    clock = FakeClock()
    async with Installable(fake, tmp_path / "data", clock) as bot:
        link, cookie = await bot.install_page()
        await clock.advance(601)
        resp = await bot.redirect(fake.grant(TA), cookie, cookie)
        assert resp.status == 401 and fake.of("oauth.v2.access") == []


async def test_rotating_tokens_are_refreshed_before_an_unprompted_post(fake, tmp_path):
    fake.rotating = True
    async with Installable(fake, tmp_path / "data", FakeClock()) as bot:
        first = await bot.install(TA)
        stored = await bot.app.store.find_installation(Tenant("slack", TA))
        assert stored["bot_refresh_token"] and stored["bot_token_expires_at"]
        assert (await bot.adapter.deliver(TA, "C1", Response(title="hi"))).ok  # 12 h left
        assert fake.of("oauth.v2.access")[1:] == []
        # due within the rotation margin: the post refreshes the token first
        await bot.app.store.save_installation(Tenant("slack", TA), dict(
            stored, bot_token_expires_at=int(dt.datetime.now().timestamp()) + 60))
        result = await bot.adapter.deliver(TA, "C1", Response(title="hi"))
        assert result.ok
        (_, refresh) = fake.of("oauth.v2.access")
        assert refresh.data["grant_type"] == "refresh_token"
        (before, post) = fake.of("chat.postMessage")
        assert fake.token_of(before) == first
        assert fake.token_of(post) != first and fake.tokens[fake.token_of(post)] == TA
        stored = await bot.app.store.find_installation(Tenant("slack", TA))
        assert stored["bot_token"] == fake.token_of(post)


async def test_with_one_token_an_uninstall_is_logged(core, caplog):
    from tests.adapters.fakes.slack_api import TEAM, Running

    async with Running(core) as h:
        resp = await post_event(h.session, h.url, TEAM, {"type": "app_uninstalled"})
        assert resp.status == 200
    assert any("app_uninstalled in workspace T1" in r.getMessage() and
               "SLACK_BOT_TOKEN no longer works" in r.getMessage() for r in caplog.records)
