"""The PostgreSQL schema, created and migrated forward when a process opens the store.

Several processes may start at once: a session advisory lock makes one of them migrate
while the others wait, then find nothing left to do. A database written by a newer version
(a higher version number than this code knows) is refused, as the data directory is.
"""

from __future__ import annotations

import asyncpg

from ..errors import SchemaTooNew

# Every kind of data, as the same documents the data directory holds: one row per document,
# its natural key in k1..k4 (see partition.SCHEMAS), the document itself as jsonb.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE fc_docs (
        platform text NOT NULL,
        tenant   text NOT NULL,
        tbl      text NOT NULL,
        k1       text NOT NULL,
        k2       text NOT NULL DEFAULT '',
        k3       text NOT NULL DEFAULT '',
        k4       text NOT NULL DEFAULT '',
        doc      jsonb NOT NULL,
        PRIMARY KEY (platform, tenant, tbl, k1, k2, k3, k4)
    ) WITH (fillfactor = 70);  -- aggregates are rewritten all the time: room for HOT updates
    CREATE INDEX fc_docs_by_k2 ON fc_docs (platform, tenant, tbl, k2);
    CREATE INDEX fc_docs_by_k3 ON fc_docs (platform, tenant, tbl, k3);
    """,
    # OAuth states: single use across every web process (DELETE … RETURNING consumes one).
    """
    CREATE TABLE fc_oauth_states (
        state      text PRIMARY KEY,
        expires_at timestamptz NOT NULL
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
_MIGRATION_LOCK = 0x66632D736368656D  # "fc-schem": one migrator at a time, database-wide


async def migrate(conn: asyncpg.Connection) -> list[int]:
    """Bring the schema to ``SCHEMA_VERSION``; returns the versions applied (often none)."""
    await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS fc_schema (version integer NOT NULL)")
        version = await conn.fetchval("SELECT max(version) FROM fc_schema") or 0
        if version > SCHEMA_VERSION:
            raise SchemaTooNew(
                f"the database has schema version {version}; this version of the bot knows "
                f"{SCHEMA_VERSION}: upgrade the bot"
            )
        applied = []
        for number in range(version + 1, SCHEMA_VERSION + 1):
            async with conn.transaction():
                await conn.execute(MIGRATIONS[number - 1])
                await conn.execute("INSERT INTO fc_schema (version) VALUES ($1)", number)
            applied.append(number)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
