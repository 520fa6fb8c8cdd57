"""Durable storage for framework-coach: the only code that touches TinyDB.

Usage::

    store = await Store.open(data_dir_from_env(), SystemClock())
    await store.record_answer(Tenant("discord", guild_id), AnswerRecord(...))
    await store.close()

See docs/storage.md for the design (partitions, journal, group commit, recovery).
"""

from .codec import iso_week
from .committer import CommitStats
from .errors import CorruptFile, DataDirLocked, SchemaTooNew, StorageError, StoreClosed
from .migrations import SCHEMA_VERSION
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
    QuizSession,
    ReviewCard,
    ReviewItem,
    Snapshot,
    Subscription,
    Tenant,
    UserStats,
)
from .signals import install_signal_handlers
from .store import Store, data_dir_from_env

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
    "Fold",
    "GameResult",
    "LeaderboardEntry",
    "QuizSession",
    "ReviewCard",
    "ReviewItem",
    "SchemaTooNew",
    "Snapshot",
    "StorageError",
    "Store",
    "StoreClosed",
    "Subscription",
    "Tenant",
    "UserStats",
    "data_dir_from_env",
    "install_signal_handlers",
    "iso_week",
]
