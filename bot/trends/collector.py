"""Collect trend snapshots from every source into the store, one source's failure at a time.

Sources run side by side and fail independently: whatever a source fetched is stored even
when some of its requests failed, so one API being down never costs the others' data.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import aiohttp

from bot.clock import Clock
from bot.config import Settings
from bot.storage import StorageError, Store, open_store
from knowledge import loader
from knowledge.schema import Framework

from . import github, hiring, pypistats, stackexchange
from .http import USER_AGENT, Fetched, JsonClient, SourceError

log = logging.getLogger("framework_coach.trends")


@dataclass(frozen=True)
class SourceReport:
    """How one source went: ``error`` is its first problem (plus how many more), or None."""

    name: str
    ok: bool
    snapshots: int
    error: str | None
    seconds: float


async def collect(
    store: Store,
    settings: Settings,
    frameworks: Sequence[Framework],
    clock: Clock,
    *,
    progress: Callable[[SourceReport], None] | None = None,
    session: aiohttp.ClientSession | None = None,
) -> list[SourceReport]:
    """Fetch every source, store what came back, and report per source (in source order)."""
    own_session = session is None
    if session is None:
        session = aiohttp.ClientSession(headers={"User-Agent": USER_AGENT})
    try:
        client = JsonClient(session, clock, timeout=settings.trends_timeout)
        now = clock.now()
        token = settings.github_token.get_secret_value() if settings.github_token else None
        jobs: list[tuple[str, Callable[[], Awaitable[Fetched]]]] = [
            (pypistats.NAME,
             lambda: pypistats.fetch(client, settings.pypistats_url, frameworks, now)),
            (github.NAME,
             lambda: github.fetch(client, settings.github_api_url, frameworks, now,
                                  token=token)),
            (stackexchange.NAME,
             lambda: stackexchange.fetch(client, settings.stackexchange_api_url, frameworks,
                                         now, key=settings.stackexchange_key)),
            (hiring.NAME,
             lambda: hiring.fetch_new(client, settings.hn_algolia_url, frameworks, now, store)),
        ]
        return list(await asyncio.gather(
            *(_run(name, job, store, clock, progress) for name, job in jobs)
        ))
    finally:
        if own_session:
            await session.close()


async def _run(
    name: str,
    job: Callable[[], Awaitable[Fetched]],
    store: Store,
    clock: Clock,
    progress: Callable[[SourceReport], None] | None,
) -> SourceReport:
    started = clock.monotonic()
    try:
        result = await job()
    except SourceError as exc:
        result = Fetched(errors=[str(exc)])
    except Exception as exc:  # a bug in one source must not cost the others their data
        log.exception("trend source %s crashed", name)
        result = Fetched(errors=[f"{name}: unexpected {type(exc).__name__}: {exc}"])
    stored = len(result.snapshots)
    if result.snapshots:
        try:
            await store.add_snapshots(result.snapshots)
        except StorageError as exc:
            result.errors.insert(0, f"{name}: could not store snapshots: {exc}")
            stored = 0
    for error in result.errors:
        log.warning("%s: %s", name, error)
    report = SourceReport(name, result.ok, stored, _summary(result.errors),
                          clock.monotonic() - started)
    if progress is not None:
        progress(report)
    return report


def _summary(errors: Sequence[str]) -> str | None:
    if not errors:
        return None
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return errors[0] + more


def format_report(report: SourceReport) -> str:
    """One readable line, e.g. ``pypistats      ok        48 snapshots  1.2 s``."""
    status = "ok" if report.ok else "FAILED"
    line = f"{report.name:<14} {status:<7}"
    if report.ok or report.snapshots:
        line += f" {report.snapshots:>5} snapshots"
    if report.ok:
        return f"{line}  {report.seconds:.1f} s"
    return f"{line}  {report.error}"


async def collect_command(
    settings: Settings, clock: Clock, out: Callable[[str], None]
) -> int:
    """``framework-coach trends collect``: 0 if every source worked, 1 if any failed.

    Raises ``DataDirLocked`` when the bot is running (it owns the data directory).
    """
    store = await open_store(settings, clock)  # first: fail fast if the bot runs
    try:
        frameworks = list(loader.load(settings.knowledge_dir).frameworks.values())
        started = clock.now()
        reports = await collect(store, settings, frameworks, clock,
                                progress=lambda r: out(format_report(r)))
    finally:
        await store.close()
    failed = [r.name for r in reports if not r.ok]
    log.info("trend collection at %s: %d sources, %d failed",
             started.astimezone(dt.UTC).isoformat(timespec="seconds"), len(reports), len(failed))
    return 1 if failed else 0
