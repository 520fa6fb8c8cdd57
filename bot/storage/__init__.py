"""Durable storage for framework-coach: one contract (``Store``), two backends.

Usage::

    store = await open_store(settings, SystemClock())  # DATABASE_URL, else DATA_DIR
    await store.record_answer(Tenant("discord", guild_id), AnswerRecord(...))
    await store.close()

See docs/storage.md for the data directory (partitions, journal, group commit, recovery)
and docs/postgresql.md for PostgreSQL.
"""

from .codec import iso_week
from .contract import Store
from .embedded.committer import CommitStats
from .embedded.migrations import SCHEMA_VERSION
from .embedded.store import EmbeddedStore, data_dir_from_env
from .errors import (
    CorruptFile,
    DataDirLocked,
    SchemaTooNew,
    StorageError,
    StorageUnavailable,
    StoreClosed,
)
from .factory import open_store
from .records import (
    GLOBAL_TENANT,
    AnswerRecord,
    DailyAnswer,
    DailyClose,
    DailyDay,
    DailyStreak,
    DailySub,
    DigestRecord,
    Fold,
    GameResult,
    LeaderboardEntry,
    Lease,
    QuizSession,
    ReviewCard,
    ReviewItem,
    Snapshot,
    Subscription,
    Tenant,
    UserStats,
)
from .signals import install_signal_handlers

__all__ = [
    "GLOBAL_TENANT",
    "SCHEMA_VERSION",
    "AnswerRecord",
    "DailyAnswer",
    "DailyClose",
    "DailyDay",
    "DailyStreak",
    "DailySub",
    "CommitStats",
    "CorruptFile",
    "DataDirLocked",
    "DigestRecord",
    "EmbeddedStore",
    "Fold",
    "GameResult",
    "LeaderboardEntry",
    "Lease",
    "QuizSession",
    "ReviewCard",
    "ReviewItem",
    "SchemaTooNew",
    "Snapshot",
    "StorageError",
    "StorageUnavailable",
    "Store",
    "StoreClosed",
    "Subscription",
    "Tenant",
    "UserStats",
    "data_dir_from_env",
    "install_signal_handlers",
    "open_store",
    "iso_week",
]
