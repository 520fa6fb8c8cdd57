"""Loading a partition from disk (with recovery and migration) and writing it back.

Files of one partition, in its tenant folder:
  ``<kind>.json``              TinyDB-layout snapshot; ``_meta`` records schema, seq, journal_gen
  ``<kind>.journal.<gen>``     journal lines with seq > the snapshot's seq
  ``backups/<kind>.s<seq>.<ts>.json``  the last few replaced snapshots

Everything here runs in worker threads, never on the event loop.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.clock import Clock

from ..codec import dt_to_str
from ..errors import CorruptFile, StorageError
from ..partition import META_TABLE, SCHEMAS, Partition
from ..records import Tenant
from .atomic import atomic_write, fsync_dir, make_dirs, read_tables, write_tables
from .journal import read_journal, truncate_to
from .migrations import SCHEMA_VERSION, RawTables, migrate
from .paths import TENANT_FILE, TMP_SUFFIX, component, journal_gens, journal_path, snapshot_path
from .recovery import backup_current, quarantine, restore_newest_backup

log = logging.getLogger("framework_coach.storage")

Ops = dict[tuple[str, str], dict[str, Any] | None]


@dataclass
class LoadReport:
    """What loading had to do, for the log and for tests."""

    quarantined: list[Path] = field(default_factory=list)
    restored_from: Path | None = None
    migrated_from: int | None = None
    torn_bytes: int = 0
    lost: list[str] = field(default_factory=list)

    @property
    def recovered(self) -> bool:
        return bool(self.quarantined or self.restored_from or self.lost)


# --------------------------------------------------------------------------- discovery


def ensure_tenant_dir(directory: Path, tenant: Tenant) -> None:
    """Create a tenant folder with its ``tenant.json`` (which maps the folder back to ids)."""
    make_dirs(directory)
    marker = directory / TENANT_FILE
    if not marker.exists():
        body = json.dumps({"platform": tenant.platform, "id": tenant.id}) + "\n"
        atomic_write(marker, iter([body]))


def discover_tenants(data_dir: Path, clock: Clock) -> dict[Tenant, Path]:
    """Every tenant folder under ``data_dir``; folders that cannot be identified are set aside."""
    found: dict[Tenant, Path] = {}
    for platform_dir in sorted(p for p in data_dir.iterdir() if p.is_dir()):
        if platform_dir.name.startswith(".") or ".corrupt-" in platform_dir.name:
            continue
        for directory in sorted(p for p in platform_dir.iterdir() if p.is_dir()):
            if ".corrupt-" in directory.name:
                continue
            if not _looks_like_ours(directory):
                log.warning("ignoring %s: not a tenant folder of this store", directory)
                continue
            tenant = _identify(directory)
            if tenant is None:
                moved = quarantine(directory, clock)
                log.error(
                    "cannot tell which tenant %s belongs to; set it aside as %s", directory, moved
                )
                continue
            expected = data_dir / component(tenant.platform) / component(tenant.id)
            if expected != directory:
                log.error(
                    "%s claims to hold %s but that tenant lives in %s; ignoring it",
                    directory,
                    tenant,
                    expected,
                )
                continue
            found[tenant] = directory
    return found


def _looks_like_ours(directory: Path) -> bool:
    """Only folders holding our files are ever set aside; anything else is left alone."""
    names = [e.name for e in directory.iterdir()]
    return TENANT_FILE in names or any(n.startswith(f"{kind}.") for n in names for kind in SCHEMAS)


def _identify(directory: Path) -> Tenant | None:
    try:
        info = json.loads((directory / TENANT_FILE).read_text("utf-8"))
        return Tenant(info["platform"], info["id"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    for kind in SCHEMAS:
        try:
            data = read_tables(snapshot_path(directory, kind))
            meta = (data or {}).get(META_TABLE, {}).get("1", {})
            return Tenant(meta["tenant"]["platform"], meta["tenant"]["id"])
        except (CorruptFile, KeyError, TypeError, ValueError):
            continue
    if (
        component(directory.parent.name) == directory.parent.name
        and component(directory.name) == directory.name
    ):
        return Tenant(directory.parent.name, directory.name)  # plain names map to themselves
    return None


def remove_temp_files(directory: Path) -> None:
    """Leftovers of writes interrupted by a crash; they were never renamed into place."""
    for entry in directory.iterdir():
        if entry.name.endswith(TMP_SUFFIX) and entry.is_file():
            entry.unlink(missing_ok=True)


# --------------------------------------------------------------------------- loading


def load_partition(
    directory: Path,
    tenant: Tenant,
    kind: str,
    clock: Clock,
    *,
    compact_min_bytes: int,
    keep_backups: int,
) -> tuple[Partition | None, LoadReport]:
    """Read snapshot + journals of one partition, recovering and migrating as needed."""
    report = LoadReport()
    snap = snapshot_path(directory, kind)
    gens = journal_gens(directory, kind)
    try:
        data = read_tables(snap)
    except CorruptFile as exc:
        moved = quarantine(snap, clock)
        report.quarantined.append(moved)
        log.error("%s is corrupt (%s); set aside as %s", snap, exc, moved.name)
        data = _restore(directory, kind, report)
    else:
        if data is None and gens:
            log.error("%s is missing but its journal exists; looking for a backup", snap)
            data = _restore(directory, kind, report)
    if data is None and not gens:
        if report.recovered:  # nothing restorable: start empty, loudly, with the bad file kept
            return _empty_partition(directory, tenant, kind), report
        return None, report
    data = data or {}
    meta = data.pop(META_TABLE, {}).get("1", {})
    _check_identity(snap, meta, tenant, kind)
    version = int(meta.get("schema", 1))
    snap_seq = int(meta.get("seq", 0))
    tables: RawTables = data
    tables = migrate(kind, tables, version, version)  # raises SchemaTooNew early
    max_seq, journal_bytes, first_replayed = snap_seq, 0, None
    damaged: set[int] = set()
    for gen in gens:
        path = journal_path(directory, kind, gen)
        jr = read_journal(path)
        journal_bytes += jr.good_bytes
        if jr.bad_lines:
            damaged.add(gen)
            _lose(
                report,
                directory,
                kind,
                f"the changes of {len(jr.bad_lines)} journal line(s) in {path.name} that "
                f"fail their checksum (line numbers {jr.bad_lines[:5]}); skipped them",
            )
        if jr.torn_tail:
            report.torn_bytes += jr.torn_tail
            log.warning(
                "%s: dropped an incomplete last write of %d bytes (never acknowledged)",
                path,
                jr.torn_tail,
            )
            truncate_to(path, jr.good_bytes)
        for entry in jr.entries:
            if entry.seq <= snap_seq:
                continue
            if first_replayed is None:
                first_replayed = entry.seq
            if entry.version > version:
                tables = migrate(kind, tables, version, entry.version)
                version = entry.version
            _apply(tables, entry.ops)
            max_seq = max(max_seq, entry.seq)
    if (
        report.restored_from is not None
        and first_replayed is not None
        and first_replayed > snap_seq + 1
    ):
        _lose(
            report,
            directory,
            kind,
            f"write batches {snap_seq + 1}..{first_replayed - 1} (between the backup and "
            "the journal): documents changed only there are back to their backup version",
        )
    if version < SCHEMA_VERSION:
        report.migrated_from = version
        tables = migrate(kind, tables, version)
        log.info("%s: migrated from schema %d to %d", snap, version, SCHEMA_VERSION)
    snapshot_bytes = snap.stat().st_size if snap.exists() else 0
    part = Partition(
        tenant,
        kind,
        directory,
        tables,
        seq=max_seq,
        journal_gen=max(gens, default=int(meta.get("journal_gen", 1))),
        on_disk=True,
        snapshot_bytes=snapshot_bytes,
        journal_bytes=journal_bytes,
        snap_seq=snap_seq,
    )
    needs_compaction = (
        report.recovered
        or report.migrated_from is not None
        or not snap.exists()
        or len(gens) > 1
        or journal_bytes > max(snapshot_bytes, compact_min_bytes)
    )
    if needs_compaction:
        new_gen = max(gens, default=0) + 1
        meta_doc = part.meta(max_seq, new_gen, dt_to_str(clock.now()))
        part.snapshot_bytes = compact_files(
            directory,
            kind,
            part.raw,
            meta_doc,
            old_seq=snap_seq,
            drop_below=new_gen,
            damaged=damaged,
            clock=clock,
            keep_backups=keep_backups,
        )
        part.journal_gen, part.journal_bytes, part.snap_seq = new_gen, 0, max_seq
    return part, report


def _restore(directory: Path, kind: str, report: LoadReport) -> dict[str, Any] | None:
    data, source = restore_newest_backup(directory, kind)
    if source is None:
        _lose(
            report,
            directory,
            kind,
            "everything in the snapshot: no readable backup, "
            "starting this partition empty (the bad file is kept)",
        )
        return None
    report.restored_from = source
    log.warning("%s/%s: restored backup %s", directory, kind, source.name)
    return data


def _lose(report: LoadReport, directory: Path, kind: str, what: str) -> None:
    report.lost.append(what)
    log.error("%s/%s: lost %s", directory, kind, what)


def _check_identity(snap: Path, meta: dict[str, Any], tenant: Tenant, kind: str) -> None:
    owner = meta.get("tenant")
    if owner and (owner.get("platform"), owner.get("id")) != (tenant.platform, tenant.id):
        raise StorageError(
            f"{snap} holds data of tenant {owner}, not {tenant}; refusing to mix them"
        )
    if meta.get("kind", kind) != kind:
        raise StorageError(f"{snap} holds '{meta.get('kind')}' data, expected '{kind}'")


def _empty_partition(directory: Path, tenant: Tenant, kind: str) -> Partition:
    return Partition(tenant, kind, directory)


def _apply(tables: RawTables, ops: Any) -> None:
    for table, doc_id, doc in ops:
        docs = tables.setdefault(table, {})
        if doc is None:
            docs.pop(doc_id, None)
        else:
            docs[doc_id] = doc


# --------------------------------------------------------------------------- writing


def write_first_snapshot(
    part_dir: Path, tenant: Tenant, kind: str, meta: dict[str, Any], ops: Ops
) -> int:
    """A partition's first durable state: a snapshot built from its first batch alone."""
    ensure_tenant_dir(part_dir, tenant)
    tables: RawTables = {name: {} for name in SCHEMAS[kind]}
    _apply(tables, ((t, i, d) for (t, i), d in ops.items()))
    return write_tables(
        snapshot_path(part_dir, kind), {META_TABLE: {"1": meta}, **tables}, must_not_exist=True
    )


def compact_files(
    directory: Path,
    kind: str,
    tables: RawTables,
    meta: dict[str, Any],
    *,
    old_seq: int,
    drop_below: int,
    clock: Clock,
    keep_backups: int,
    damaged: set[int] | None = None,
) -> int:
    """Write a snapshot holding everything up to ``meta['seq']``, then drop older journals.

    Order matters for crash safety: the new snapshot is durable before any journal it
    supersedes is removed, and loading skips journal lines with seq <= the snapshot's seq.
    """
    snap = snapshot_path(directory, kind)
    size = write_tables(
        snap,
        {META_TABLE: {"1": meta}, **tables},
        before_replace=lambda: backup_current(snap, kind, old_seq, clock, keep_backups),
    )
    removed = False
    for gen in journal_gens(directory, kind):
        if gen >= drop_below:
            continue
        path = journal_path(directory, kind, gen)
        if damaged and gen in damaged:
            quarantine(path, clock)
        else:
            os.unlink(path)
            removed = True
    if removed:
        fsync_dir(directory)
    return size
