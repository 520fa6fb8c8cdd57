"""``framework-coach storage migrate --to postgresql://…``: a data directory into a database.

Each tenant is copied in one transaction, under the same locks the bot's writes take, and
its row counts are checked before the commit: a tenant is either all there or not at all.
Copying again changes nothing (a document replaces itself). A tenant whose database rows
differ from the folder (the bot already wrote there) is left untouched and reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from bot.clock import Clock

from ..embedded.store import EmbeddedStore
from ..partition import SCHEMAS
from ..records import Tenant
from .docs import key_row, upsert
from .store import create_pool, lock_kinds


class CountMismatch(Exception):
    """The database holds other documents for the tenant than the folder."""


@dataclass
class TenantCopy:
    tenant: Tenant
    counts: dict[str, int] = field(default_factory=dict)  # table -> documents copied
    error: str | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def copy_data_dir(data_dir: Path, url: str, clock: Clock) -> list[TenantCopy]:
    """Copy every tenant of ``data_dir`` (opened, so locked: stop the bot first)."""
    source = await EmbeddedStore.open(data_dir, clock)
    try:
        by_tenant: dict[Tenant, list[tuple[str, dict[str, list[dict[str, Any]]]]]] = {}
        for tenant, kind, tables in source.partitions():
            by_tenant.setdefault(tenant, []).append((kind, tables))
    finally:
        await source.close()
    pool = await create_pool(url, max_size=2)
    try:
        return [await _copy_tenant(pool, tenant, parts) for tenant, parts in by_tenant.items()]
    finally:
        await pool.close()


async def _copy_tenant(
    pool: asyncpg.Pool, tenant: Tenant, parts: list[tuple[str, dict[str, list[dict[str, Any]]]]]
) -> TenantCopy:
    done = TenantCopy(tenant)
    rows = []
    for kind, tables in parts:
        for table, docs in tables.items():
            if table not in SCHEMAS[kind] or not docs:
                continue
            rows += [(tenant.platform, tenant.id, table, *key_row(kind, table, d), d)
                     for d in docs]
            done.counts[table] = len(docs)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await lock_kinds(conn, tenant, [kind for kind, _ in parts])
            await upsert(conn, rows)
            found = {r["tbl"]: r["n"] for r in await conn.fetch(
                "SELECT tbl, count(*) AS n FROM fc_docs WHERE platform = $1 AND tenant = $2"
                " GROUP BY tbl", tenant.platform, tenant.id)}
            if found != done.counts:
                extra = {t: n - done.counts.get(t, 0) for t, n in found.items()
                         if n != done.counts.get(t, 0)}
                raise CountMismatch(
                    f"the database already holds other documents for this tenant {extra}; "
                    "left unchanged")
    except (CountMismatch, asyncpg.PostgresError) as exc:
        done.error = str(exc)
    return done


async def migrate_command(data_dir: Path, url: str, clock: Clock,
                          out: Callable[[str], None]) -> int:
    """Copy, then say what was copied: 0 when every tenant is in the database, else 1."""
    copies = await copy_data_dir(data_dir, url, clock)
    for c in copies:
        name = f"{c.tenant.platform}/{c.tenant.id}"
        if c.error:
            out(f"FAILED  {name}: {c.error}")
        else:
            detail = ", ".join(f"{t} {n}" for t, n in sorted(c.counts.items()))
            out(f"copied  {name}: {c.total} documents ({detail or 'none'}); counts checked")
    failed = [c for c in copies if c.error]
    out(f"{len(copies) - len(failed)} of {len(copies)} tenants copied from {data_dir}, "
        f"{sum(c.total for c in copies if not c.error)} documents"
        + (f"; {len(failed)} failed and were left out whole" if failed else ""))
    return 1 if failed else 0
