"""Errors the storage layer raises, so callers can tell 'retry later' from 'fix the setup'."""

from __future__ import annotations


class StorageError(Exception):
    """A write could not be made durable, or stored data could not be used."""


class StoreClosed(StorageError):
    """The store was closed (shutdown in progress): no new writes are accepted."""


class StorageUnavailable(StorageError):
    """The database cannot be reached just now: nothing was changed; try again shortly."""


class DataDirLocked(StorageError):
    """Another process owns the data directory; two writers would corrupt it.

    The message names the holder (pid, host, start time) so the CLI can print it as is.
    """

    def __init__(self, data_dir: str, holder: str) -> None:
        self.data_dir = data_dir
        self.holder = holder
        super().__init__(
            f"data directory {data_dir} is already in use by {holder}; "
            "stop that process first or point DATA_DIR somewhere else"
        )


class SchemaTooNew(StorageError):
    """Data was written by a newer version of the bot; refusing to guess how to read it."""


class CorruptFile(StorageError):
    """A snapshot or lock file could not be parsed (truncated, garbage, wrong shape)."""
