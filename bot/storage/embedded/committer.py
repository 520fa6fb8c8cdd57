"""Group commit: one background flusher makes many pending writes durable together.

Writers apply their change to the in-memory partitions, then ``await commit(...)``. The
flusher takes every dirty partition's pending ops, appends one fsynced journal line per
partition in a worker thread (the event loop keeps running), and only then resolves the
waiting futures. While one batch is on its way to disk the next one accumulates, so under
load one fsync acknowledges hundreds of writes, and an idle store answers a lone write after
a single fsync.

When a journal outgrows its snapshot, the flusher starts a background compaction: it copies
the partition's tables (cheap shallow copies: documents are never mutated), moves new appends
to a fresh journal generation, and a worker thread writes the snapshot and deletes the old
journal. Rewriting is thus proportional to data written since the last compaction, which
keeps the amortised cost per write constant however much history a partition holds.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from bot.clock import Clock

from ..codec import dt_to_str
from ..errors import StorageError
from ..partition import Partition
from .disk import compact_files, write_first_snapshot
from .journal import JournalWriter, encode_entry
from .migrations import SCHEMA_VERSION
from .paths import journal_path

log = logging.getLogger("framework_coach.storage")


@dataclass
class CommitStats:
    batches: int = 0
    ops: int = 0
    bytes: int = 0
    compactions: int = 0
    failures: int = 0


@dataclass
class _Item:
    part: Partition
    ops: dict[tuple[str, str], dict[str, Any] | None]
    seq: int
    gen: int
    first_meta: dict[str, Any] | None  # set when the partition has no snapshot yet


class Committer:
    def __init__(
        self, clock: Clock, *, commit_delay: float, compact_min_bytes: int, keep_backups: int
    ) -> None:
        self._clock = clock
        self._commit_delay = commit_delay
        self._compact_min_bytes = compact_min_bytes
        self._keep_backups = keep_backups
        self._dirty: dict[Partition, None] = {}
        self._waiters: list[tuple[asyncio.Future[None], tuple[Partition, ...]]] = []
        self._writers: dict[Partition, JournalWriter] = {}
        self._compactions: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._closing = asyncio.Event()
        self._in_flight = False
        self._task: asyncio.Task[None] | None = None
        self.stats = CommitStats()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="storage-flusher")

    async def commit(self, *parts: Partition) -> None:
        """Wait until every change made so far to ``parts`` is on disk."""
        for part in parts:
            self._dirty[part] = None
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((future, parts))
        self._wake.set()
        await future

    async def flush(self) -> None:
        """Wait until every change made so far, to any partition, is on disk."""
        if self._dirty or self._waiters or self._in_flight:
            await self.commit(*self._dirty)

    async def checkpoint(self, parts: list[Partition]) -> None:
        """Fold every journal into its snapshot now (all of them, not only large ones)."""
        await self.flush()
        for part in parts:
            while part.compacting:
                await asyncio.gather(*self._compactions, return_exceptions=True)
            if part.on_disk and part.journal_bytes:
                self._maybe_compact(part, force=True)
        if self._compactions:
            await asyncio.gather(*self._compactions, return_exceptions=True)

    async def close(self) -> None:
        """Drain pending writes and compactions; afterwards nothing touches the files."""
        self._closing.set()
        self._wake.set()
        if self._task is not None:
            await self._task
        if self._compactions:
            await asyncio.gather(*self._compactions, return_exceptions=True)
        await asyncio.to_thread(self._close_writers)

    # ------------------------------------------------------------------ flusher

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            if self._commit_delay > 0 and not self._closing.is_set():
                await self._linger()
            self._wake.clear()
            try:
                await self._one_batch()
            except Exception:  # never let the flusher die: waiters would hang forever
                log.exception("storage flusher failed a batch")
            if self._closing.is_set() and not self._waiters and not self._wake.is_set():
                if self._dirty:
                    log.error("closing with unsaved changes in %s", list(self._dirty))
                return

    async def _linger(self) -> None:
        """Gather more writes into the batch (commit_delay), unless shutdown starts."""
        sleeper = asyncio.ensure_future(self._clock.sleep(self._commit_delay))
        closer = asyncio.ensure_future(self._closing.wait())
        try:
            await asyncio.wait({sleeper, closer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            closer.cancel()

    async def _one_batch(self) -> None:
        dirty, self._dirty = self._dirty, {}
        waiters, self._waiters = self._waiters, []
        now = dt_to_str(self._clock.now())
        batch = []
        for part in dirty:
            ops = part.take_pending()
            if ops:
                seq = part.seq + 1
                meta = None if part.on_disk else part.meta(seq, part.journal_gen, now)
                batch.append(_Item(part, ops, seq, part.journal_gen, meta))
        failed: dict[Partition, BaseException] = {}
        if batch:
            self._in_flight = True
            try:
                results = await asyncio.to_thread(self._write, batch)
            finally:
                self._in_flight = False
            for item, result in zip(batch, results, strict=True):
                part = item.part
                if isinstance(result, BaseException):
                    failed[part] = result
                    part.requeue(item.ops)
                    self._dirty[part] = None  # retried with the next batch
                    self.stats.failures += 1
                    log.error("could not save %d change(s) to %s: %s", len(item.ops), part, result)
                    continue
                part.seq = item.seq
                self.stats.ops += len(item.ops)
                self.stats.bytes += result
                if item.first_meta is not None:
                    part.on_disk, part.snapshot_bytes, part.snap_seq = True, result, item.seq
                else:
                    part.journal_bytes += result
            self.stats.batches += 1
        for future, parts in waiters:
            if future.done():  # the caller was cancelled; its write is saved anyway
                continue
            errors = [failed[p] for p in parts if p in failed]
            if errors:
                future.set_exception(StorageError(f"write not saved: {errors[0]}"))
            else:
                future.set_result(None)
        for item in batch:
            if item.part not in failed:
                self._maybe_compact(item.part)

    def _write(self, batch: list[_Item]) -> list[int | BaseException]:
        """Worker thread: make each item durable; one failure does not sink the others."""
        results: list[int | BaseException] = []
        for item in batch:
            part = item.part
            try:
                if item.first_meta is not None:
                    results.append(
                        write_first_snapshot(
                            part.directory, part.tenant, part.kind, item.first_meta, item.ops
                        )
                    )
                    continue
                path = journal_path(part.directory, part.kind, item.gen)
                writer = self._writers.get(part)
                if writer is None or writer.path != path:
                    if writer is not None:
                        writer.close()
                    writer = self._writers[part] = JournalWriter(path)
                ops = [(t, i, d) for (t, i), d in item.ops.items()]
                results.append(writer.append(encode_entry(item.seq, SCHEMA_VERSION, ops)))
            except Exception as exc:  # reported per item to its waiters
                results.append(exc)
        return results

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()

    # ------------------------------------------------------------------ compaction

    def _maybe_compact(self, part: Partition, force: bool = False) -> None:
        if part.compacting or not part.on_disk:
            return
        if not force and part.journal_bytes <= max(part.snapshot_bytes, self._compact_min_bytes):
            return
        part.compacting = True
        tables = part.copy_tables()  # may include pending ops: replaying them later is harmless
        new_gen = part.journal_gen + 1
        meta = part.meta(part.seq, new_gen, dt_to_str(self._clock.now()))
        old_seq, journal_bytes = part.snap_seq, part.journal_bytes
        part.journal_gen, part.journal_bytes = new_gen, 0
        task = asyncio.get_running_loop().create_task(
            self._compact(part, tables, meta, old_seq, journal_bytes), name=f"compact {part}"
        )
        self._compactions.add(task)
        task.add_done_callback(self._compactions.discard)

    async def _compact(
        self,
        part: Partition,
        tables: dict[str, Any],
        meta: dict[str, Any],
        old_seq: int,
        journal_bytes: int,
    ) -> None:
        started = self._clock.monotonic()
        try:
            size = await asyncio.to_thread(
                compact_files,
                part.directory,
                part.kind,
                tables,
                meta,
                old_seq=old_seq,
                drop_below=meta["journal_gen"],
                clock=self._clock,
                keep_backups=self._keep_backups,
            )
        except Exception:
            part.journal_bytes += journal_bytes  # old journals stay; loading replays them all
            log.exception("compaction of %s failed; it will be retried", part)
        else:
            part.snapshot_bytes, part.snap_seq = size, meta["seq"]
            self.stats.compactions += 1
            log.debug(
                "compacted %s: %d journal bytes into a %d-byte snapshot in %.3fs",
                part,
                journal_bytes,
                size,
                self._clock.monotonic() - started,
            )
        finally:
            part.compacting = False
