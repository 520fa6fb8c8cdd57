"""``GET /healthz``: whether this process can serve users, for load balancers and platforms.

200 when storage answers a ping and every configured platform is connected, 503 otherwise;
the small JSON body says which part is down. It is served on the Slack HTTP port (the only
port the bot listens on): a process without Slack HTTP mode (Socket Mode, Discord only)
takes no inbound traffic, so nothing balances onto it, and its supervisor watches the
process itself (see docs/deployment.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web

from bot.core import Core
from bot.storage import StorageError

log = logging.getLogger("framework_coach.health")

PATH = "/healthz"
PING_TIMEOUT = 2.0  # seconds; a load balancer's check usually gives up after about 5


async def report(core: Core, platforms: Iterable[str]) -> tuple[bool, dict[str, Any]]:
    """(healthy, body): storage pinged, then each configured platform's adapter asked."""
    parts: dict[str, str] = {"storage": await _storage(core)}
    outbox = core.services.get("outbox")
    for platform in platforms:
        adapter = outbox.deliverer(platform) if outbox is not None else None
        if adapter is None:
            parts[platform] = "not started"
        else:
            healthy: Callable[[], bool] | None = getattr(adapter, "healthy", None)
            parts[platform] = "ok" if healthy is None or healthy() else "disconnected"
    ok = all(value == "ok" for value in parts.values())
    return ok, {"status": "ok" if ok else "unavailable", **parts}


async def _storage(core: Core) -> str:
    store = core.services.get("store")
    if store is None:
        return "not open"
    try:
        await asyncio.wait_for(store.ping(), PING_TIMEOUT)
    except TimeoutError:
        return f"no answer within {PING_TIMEOUT:g} s"
    except StorageError as exc:
        return str(exc) or type(exc).__name__
    except Exception as exc:  # noqa: BLE001 - a health check answers, it never fails
        log.warning("health check: storage ping failed", exc_info=True)
        return f"ping failed ({type(exc).__name__})"
    return "ok"


def route(core: Core, platforms: Iterable[str]) -> web.RouteDef:
    """The aiohttp route to add to an app."""
    names = tuple(platforms)

    async def healthz(request: web.Request) -> web.Response:
        ok, body = await report(core, names)
        return web.json_response(body, status=200 if ok else 503,
                                 headers={"Cache-Control": "no-store"})

    return web.get(PATH, healthz)
