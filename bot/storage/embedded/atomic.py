"""Crash-safe file replacement for snapshots, lock and tenant files.

TinyDB's own ``JSONStorage`` rewrites its file in place, so a crash mid-write leaves a
truncated file. Here every snapshot is written to a temporary file in the same folder,
flushed and fsynced, renamed over the target, and the folder is fsynced so the rename itself
survives a power cut: after a crash the file holds either the old or the new content.

Snapshots are laid out one document per line. It is still plain JSON in TinyDB's layout
(``{"table": {"id": {...}}}``), so ``TinyDB(path)`` reads it, but it can be encoded in small
pieces: a background thread serialising a large partition gives the GIL back to the event
loop between pieces instead of holding it for the whole ``json.dumps``.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..errors import CorruptFile
from .paths import TMP_SUFFIX

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
_CHUNK_DOCS = 500

Tables = Mapping[str, Mapping[str, Any]]


def fsync_dir(directory: Path) -> None:
    """Make a rename/create/unlink in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dirs(directory: Path) -> None:
    """Create ``directory`` and its missing parents, fsyncing each parent so they persist."""
    missing = []
    current = directory
    while not current.exists():
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            pass
        fsync_dir(path.parent)


def iter_tables_json(tables: Tables) -> Iterator[str]:
    """TinyDB-layout JSON, one document per line, yielded in chunks of a few hundred docs."""
    yield "{"
    first_table = True
    for name, docs in tables.items():
        yield ("\n" if first_table else ",\n") + _encode(name) + ": {"
        first_table = False
        parts: list[str] = []
        first_doc = True
        for doc_id, doc in docs.items():
            parts.append(
                ("\n" if first_doc else ",\n") + _encode(str(doc_id)) + ": " + _encode(doc)
            )
            first_doc = False
            if len(parts) >= _CHUNK_DOCS:
                yield "".join(parts)
                parts = []
        if parts:
            yield "".join(parts)
        yield "\n}"
    yield "\n}\n"


def atomic_write(
    path: Path,
    chunks: Iterator[str] | Iterator[bytes],
    *,
    before_replace: Callable[[], None] | None = None,
    must_not_exist: bool = False,
) -> int:
    """Replace ``path`` with the concatenated ``chunks``; returns the bytes written.

    ``before_replace`` runs after the new content is durable and just before the rename
    (used to hard-link the old file into the backups). ``must_not_exist`` refuses to clobber
    a file that appeared although the caller believed it absent.
    """
    directory = path.parent
    tmp = directory / f"{path.name}.{uuid.uuid4().hex[:8]}{TMP_SUFFIX}"
    size = 0
    try:
        with open(tmp, "wb") as handle:
            for chunk in chunks:
                data = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
                handle.write(data)
                size += len(data)
            handle.flush()
            os.fsync(handle.fileno())
        if must_not_exist and path.exists():
            raise FileExistsError(f"{path} exists; refusing to overwrite data that was not loaded")
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
        raise
    fsync_dir(directory)
    return size


def write_tables(path: Path, tables: Tables, **kwargs: Any) -> int:
    """Atomically write a TinyDB-layout snapshot of ``tables``."""
    return atomic_write(path, iter_tables_json(tables), **kwargs)


def read_tables(path: Path) -> dict[str, dict[str, Any]] | None:
    """Load a TinyDB-layout file; None if it does not exist, ``CorruptFile`` if unusable."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CorruptFile(f"{path}: unreadable ({exc})") from exc
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise CorruptFile(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict) or not all(
        isinstance(docs, dict) and all(isinstance(d, dict) for d in docs.values())
        for docs in data.values()
    ):
        raise CorruptFile(f"{path}: not a TinyDB database (expected {{table: {{id: doc}}}})")
    return data
