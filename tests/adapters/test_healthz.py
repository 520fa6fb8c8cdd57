"""``GET /healthz`` over real HTTP on the Slack HTTP port: 200 with a small JSON body when
storage and every configured platform are up, 503 (saying which part is down) otherwise."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from bot.core import Core
from bot.delivery import Outbox
from bot.storage import Store
from bot.storage.postgres.store import PostgresStore
from tests.adapters.fakes.slack_api import Running

DISCORD_TOKEN = "MTAx.Gabcde.0123456789abcdefghijklmnopqrstuvwxyzAB"


def core_on(core: Core, store: Store | None) -> Core:
    """The core as ``open_app`` wires it: a store and an outbox among its services."""
    core.services.update(store=store, outbox=Outbox(core.clock))
    return core


async def get_health(h) -> tuple[int, dict, str]:  # type: ignore[no-untyped-def]
    resp = await h.session.get(f"http://127.0.0.1:{h.adapter.port}/healthz")
    return resp.status, await resp.json(), resp.headers.get("Cache-Control", "")


async def test_ok_when_storage_and_slack_are_up_and_503_once_storage_is_closed(
    core: Core, tmp_path: Path
) -> None:
    store = await Store.open(tmp_path / "data", core.clock)
    core_on(core, store)
    async with Running(core) as h:
        status, body, _ = await get_health(h)  # listening, but not registered for posts yet
        assert (status, body["slack"]) == (503, "not started")
        core.services["outbox"].register("slack", h.adapter)
        status, body, cache = await get_health(h)
        assert (status, body) == (200, {"status": "ok", "storage": "ok", "slack": "ok"})
        assert cache == "no-store"
        await store.close()
        status, body, _ = await get_health(h)
        assert status == 503
        assert body["status"] == "unavailable" and body["slack"] == "ok"
        assert "closed" in body["storage"]


async def test_a_configured_platform_that_is_not_connected_makes_it_503(
    core: Core, tmp_path: Path
) -> None:
    store = await Store.open(tmp_path / "data", core.clock)
    core_on(core, store)
    try:
        async with Running(core, settings={"discord_token": DISCORD_TOKEN}) as h:
            core.services["outbox"].register("slack", h.adapter)
            status, body, _ = await get_health(h)
            assert status == 503
            assert body == {"status": "unavailable", "storage": "ok", "slack": "ok",
                            "discord": "not started"}
    finally:
        await store.close()


async def test_a_database_that_refuses_connections_is_503_and_back_is_200(
    core: Core, pg_url: str
) -> None:
    store = await PostgresStore.open(pg_url, core.clock)
    core_on(core, store)
    name = pg_url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(pg_url.rsplit("/", 1)[0] + "/postgres", timeout=10)
    try:
        async with Running(core) as h:
            core.services["outbox"].register("slack", h.adapter)
            assert (await get_health(h))[:2] == (200, {"status": "ok", "storage": "ok",
                                                      "slack": "ok"})
            # The database goes away: no new connections, the pooled ones cut.
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = $1 AND pid <> pg_backend_pid()", name)
            status, body, _ = await get_health(h)
            assert status == 503 and body["storage"] != "ok" and body["slack"] == "ok"
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            status, body, _ = await get_health(h)  # the pool reconnects by itself
            assert (status, body["storage"]) == (200, "ok")
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()
        await store.close()
