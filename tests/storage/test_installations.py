"""Installations, OAuth states and deleting a tenant (the storage contract of issue 18):
an installation is the tenant's own and survives a restart; a state is good exactly once,
and not after it expires; deleting a tenant leaves every other tenant as it was."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.storage import AnswerRecord, Subscription, Tenant

A, B = Tenant("slack", "TA"), Tenant("slack", "TB")
INSTALL = {"team_id": "TA", "bot_token": "xoxb-a", "bot_scopes": "commands,chat:write",
           "installed_at": 1700000000.5, "bot_token_expires_at": None}


async def test_an_installation_is_the_tenants_own_and_survives_a_restart(backend):
    async with await backend.open() as store:
        assert await store.find_installation(A) is None
        await store.save_installation(A, INSTALL)
        await store.update_settings(A, quiz_seconds=30)
        assert await store.find_installation(B) is None
        assert await store.get_settings(A) == {"quiz_seconds": 30}  # kept apart
        await store.save_installation(A, dict(INSTALL, bot_token="xoxb-a2"))  # replaced
    async with await backend.open() as store:
        assert await store.find_installation(A) == dict(INSTALL, bot_token="xoxb-a2")
        assert await store.delete_installation(A) is True
        assert await store.delete_installation(A) is False
        assert await store.get_settings(A) == {"quiz_seconds": 30}  # only the tokens went
    async with await backend.open() as store:
        assert await store.find_installation(A) is None


async def test_an_oauth_state_is_good_once_and_only_until_it_expires(backend):
    clock = backend.clock
    async with await backend.open() as store:
        soon = clock.now() + dt.timedelta(minutes=10)
        await store.issue_oauth_state("s1", soon)
        await store.issue_oauth_state("s2", soon)
        assert await store.consume_oauth_state("never-issued") is False
        results = await asyncio.gather(*(store.consume_oauth_state("s1") for _ in range(5)))
        assert sorted(results) == [False] * 4 + [True]  # first caller wins, once
        await clock.advance(600)
        assert await store.consume_oauth_state("s2") is False  # expired
        with pytest.raises(ValueError):
            await store.issue_oauth_state("s3", dt.datetime(2030, 1, 1))  # naive


async def test_deleting_a_tenant_removes_all_of_its_data_and_nothing_else(backend):
    clock = backend.clock
    async with await backend.open() as store:
        for tenant in (A, B):
            await store.save_installation(tenant, INSTALL)
            await store.upsert_subscription(tenant, Subscription("C1"))
            await store.save_quiz_session(tenant, "C1", {"id": "q"})
            await store.record_answer(tenant, AnswerRecord(
                user_id="u1", user_name="u1", channel_id="C1", question_id="q1",
                correct=True, points=10, answered_at=clock.now()))
        assert await store.delete_tenant(A) is True
        assert await store.delete_tenant(A) is False
        assert await store.find_installation(A) is None
        assert await store.list_subscriptions(A) == []
        assert (await store.user_stats(A, "u1")).answered == 0
    async with await backend.open() as store:
        assert await store.tenants() == [B]
        assert await store.find_installation(B) == INSTALL
        assert await store.load_quiz_session(B, "C1") == {"id": "q"}
        assert (await store.user_stats(B, "u1")).answered == 1


async def test_an_oauth_state_is_consumed_once_across_processes_on_one_database(pg):
    """Two web processes (two stores, each with its own pool) on one database: a state issued
    by one is good in the other, and of the two racing for it exactly one wins."""
    first, second = await pg.open(), await pg.open()
    soon = pg.clock.now() + dt.timedelta(minutes=10)
    await first.issue_oauth_state("s1", soon)
    await second.issue_oauth_state("s2", soon)
    assert await second.consume_oauth_state("s1") is True  # issued by the other process
    await first.issue_oauth_state("s3", soon)
    results = await asyncio.gather(*(s.consume_oauth_state("s3")
                                     for s in (first, second) for _ in range(4)))
    assert sorted(results) == [False] * 7 + [True]
    assert await first.consume_oauth_state("s2") is True
