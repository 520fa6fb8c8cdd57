"""Slack installed by any workspace, behind two web processes on one PostgreSQL database.

Two real ``framework-coach run`` processes (A and B) in Slack's HTTP OAuth mode, each on
its own OS-chosen port, share one database and the loopback fake of Slack. The install
page served by A is completed on B (the state A issued is accepted by B, and refused by
either when replayed); an installation made through one process is used by the other at
once, with the workspace's own token; an uninstall handled by B stops the workspace in A
too, while the other workspace keeps working in both.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.clock import SystemClock
from bot.storage import Tenant
from bot.storage.postgres.store import PostgresStore
from tests.adapters.fakes.slack_api import (
    CLIENT_ID,
    CLIENT_SECRET,
    SIGNING_SECRET,
    FakeSlack,
    install_page,
    oauth_redirect,
    post_event,
)
from tests.e2e.process import WAIT, BotProcess, Fakes, Launch
from tests.e2e.slack_web import Web, start_webs
from tests.postgres import empty_database

TA, TB = "TALPHA", "TBETA"


@pytest.fixture
async def two(launch: Launch, fakes: Fakes, pg_url: str,
              tmp_path: Path) -> AsyncIterator[tuple[Web, Web]]:
    """Processes A and B, installable, on one fresh database; Slack knows no token yet."""
    await empty_database(pg_url)
    fakes.slack.tokens.clear()
    env = {"DATABASE_URL": pg_url, "SLACK_CLIENT_ID": CLIENT_ID,
           "SLACK_CLIENT_SECRET": CLIENT_SECRET, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           # empty is "not set": Slack in OAuth mode over HTTP, no Discord
           "SLACK_BOT_TOKEN": "", "SLACK_APP_TOKEN": "", "DISCORD_TOKEN": ""}
    async with aiohttp.ClientSession() as session:
        a, b = await start_webs(launch, fakes, session, [tmp_path / "a", tmp_path / "b"], env)
        yield a, b


async def _quiz_gone(bot: BotProcess, url: str, tenant: Tenant, channel: str) -> None:
    """Wait until the quiz in ``channel`` is no longer stored (its process ended it). The
    database notifies nobody, so it is asked again every 50 ms, within ``WAIT``."""
    store = await PostgresStore.open(url, SystemClock(), max_size=1)
    try:
        for _ in range(int(WAIT / 0.05)):
            if await store.load_quiz_session(tenant, channel) is None:
                return
            assert bot.proc.returncode is None, bot.stderr_text[-4000:]
            await asyncio.sleep(0.05)
    finally:
        await store.close()
    raise AssertionError(f"the quiz in {channel} is still stored after {WAIT:.0f} s")


def _tokens(fake: FakeSlack, mark: int, method: str | None = None) -> list[str]:
    """The tokens of the Web API calls since ``mark`` (of ``method``, if given)."""
    return [fake.token_of(c) for c in fake.calls[mark:]
            if (c.method == method if method else not c.method.startswith(("response_url:",
                                                                             "oauth.")))]


async def test_two_processes_share_installs_states_and_uninstalls(two, fakes, pg_url):
    a, b = two
    fake = fakes.slack

    # Not installed yet: A says so (and remembers nothing about it).
    await a.refuses(TA)

    # The install page is served by A, the OAuth redirect lands on B.
    _, state, cookie = await install_page(a.session, a.base)
    resp = await oauth_redirect(b.session, b.base, fake.grant(TA), state, cookie)
    assert resp.status == 200, await resp.text()
    (exchange,) = fake.of("oauth.v2.access")
    token_a = exchange.reply["access_token"]
    assert fake.tokens == {token_a: TA}

    # The same state again is refused by either process; no code is exchanged.
    for web in (a, b):
        replayed = await oauth_redirect(web.session, web.base, fake.grant(TB), state, cookie)
        assert replayed.status == 401, web.base
    assert len(fake.of("oauth.v2.access")) == 1

    # The second workspace installs the other way round: page from B, redirect on A.
    _, state_b, cookie_b = await install_page(b.session, b.base)
    resp = await oauth_redirect(a.session, a.base, fake.grant(TB), state_b, cookie_b)
    assert resp.status == 200, await resp.text()
    token_b = fake.of("oauth.v2.access")[1].reply["access_token"]
    assert token_b != token_a

    # Workspace 1's commands to A (which refused it before the install) and to B both
    # carry its token: each process checked it once with auth.test, then remembered it.
    mark = len(fake.calls)
    for web in (a, b, a, b):
        await web.answers(TA)
    assert _tokens(fake, mark) == [token_a, token_a]
    fake.users["UA"] = {"id": "UA", "is_admin": True}
    for web in (a, b):  # a manager check asks Slack with the workspace's token
        await web.command(TA, "/digest status", user="UA")
    assert _tokens(fake, mark, "users.info") == [token_a, token_a]
    mark = len(fake.calls)
    for web in (a, b):
        await web.answers(TB)
    assert _tokens(fake, mark) == [token_b, token_b]

    # A quiz runs in A for workspace 1: its question is posted with the workspace's token.
    await a.command(TA, "/quiz start questions:2 time:5", user="UA")
    await a.bot.until(fake, lambda: fake.of("chat.postMessage"))
    assert _tokens(fake, mark, "chat.postMessage") == [token_a]

    # Uninstalled, as delivered to B: A stops workspace 1 too, without a restart.
    fake.revoke(TA)
    mark = len(fake.calls)
    resp = await post_event(b.session, f"{b.base}/slack/events", TA, {"type": "app_uninstalled"})
    assert resp.status == 200
    for web in (a, b):
        await web.refuses(TA)
    assert _tokens(fake, mark) == []  # nothing at all was sent for workspace 1

    # B ended the workspace's game in the database; A, whose timer ran it, lets it go at
    # its next save or lease renewal, and nothing of it reaches the workspace.
    await _quiz_gone(a.bot, pg_url, Tenant("slack", TA), "C1")
    let_go = " in C1: another process runs it now, or it ended there"
    await a.bot.until(a.bot.output, lambda: [
        m for m in a.bot.logged("quiz ") if m.endswith(let_go)])
    assert _tokens(fake, mark) == []

    # Workspace 2 keeps working in both, with its own token and no new check.
    for web in (a, b):
        await web.answers(TB)
    assert _tokens(fake, mark) == []

    # Workspace 1 comes back through A; B uses the new token at once.
    _, state, cookie = await install_page(b.session, b.base)
    resp = await oauth_redirect(a.session, a.base, fake.grant(TA), state, cookie)
    assert resp.status == 200, await resp.text()
    new = fake.of("oauth.v2.access")[-1].reply["access_token"]
    mark = len(fake.calls)
    await b.answers(TA)
    assert _tokens(fake, mark) == [new] and new != token_a
