"""Choose the storage backend from the settings: the one place that knows there are two."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.clock import Clock

from .contract import Store

if TYPE_CHECKING:
    from bot.config import Settings


async def open_store(settings: Settings, clock: Clock) -> Store:
    """PostgreSQL when ``DATABASE_URL`` is set, else the data directory (``DATA_DIR``).

    Raises ``DataDirLocked`` (another process owns the folder), ``StorageUnavailable`` (the
    database cannot be reached) or ``SchemaTooNew``.
    """
    if settings.database_url is not None:
        from .postgres.store import PostgresStore

        return await PostgresStore.open(settings.database_url.get_secret_value(), clock)
    from .embedded.store import EmbeddedStore

    return await EmbeddedStore.open(settings.data_dir, clock)
