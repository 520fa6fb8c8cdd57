"""In-memory state of one partition (one tenant, one kind of data) and its indexes.

A partition holds TinyDB-layout tables (``{table: {doc_id: doc}}``) so the snapshot written
to disk is a TinyDB database and TinyDB queries can run over the live data. Writes do not go
through TinyDB's ``Table.insert``/``update``: those read and rebuild the whole table on every
call. Instead each table keeps a natural-key index, documents are replaced (never mutated in
place, so a flusher thread can serialise them safely), and every change is recorded as a
pending op for the next journal batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from .embedded.migrations import SCHEMA_VERSION
from .records import Tenant

Doc = dict[str, Any]


@dataclass(frozen=True, slots=True)
class TableSpec:
    key: tuple[str, ...]  # fields forming the natural key (unique per table)
    index: tuple[str, ...] = ()  # fields with a secondary index (value -> doc ids)


SCHEMAS: dict[str, dict[str, TableSpec]] = {
    "settings": {"settings": TableSpec(("scope",))},
    "digests": {
        "subscriptions": TableSpec(("channel_id",)),
        "posted": TableSpec(("channel_id", "period_key"), ("channel_id",)),
    },
    "quiz": {
        "sessions": TableSpec(("channel_id",)),
        # answers given since the session state was last saved (folded in at the next save)
        "answers": TableSpec(("channel_id", "user_id"), ("channel_id",)),
    },
    "scores": {
        # per channel: the last (session, question) whose answers are in the totals
        "folds": TableSpec(("channel_id",)),
        "totals": TableSpec(("channel_id", "user_id"), ("user_id", "channel_id")),
        "weekly": TableSpec(("channel_id", "user_id", "week"), ("user_id", "week")),
        "reviews": TableSpec(("user_id", "question_id"), ("user_id",)),
        # spaced-repetition state of a question a user practises (bot/quiz/practice.py)
        "cards": TableSpec(("user_id", "question_id"), ("user_id",)),
        # the daily question: in this partition so closing one folds its answers into the
        # totals in the same commit (bot/quiz/daily.py)
        "daily_subs": TableSpec(("channel_id",)),
        "daily_days": TableSpec(("channel_id", "day"), ("channel_id",)),
        "daily_answers": TableSpec(("channel_id", "day", "user_id"), ("channel_id", "user_id")),
        "daily_streaks": TableSpec(("channel_id", "user_id"), ("channel_id", "user_id")),
    },
    "trends": {
        "snapshots": TableSpec(("source", "framework", "metric", "fetched_at")),
        # how many times snapshots were written, by any process (a key for derived caches)
        "stamps": TableSpec(("name",)),
        # periods of jobs shared by all tenants that one process claimed (trend collection)
        "claims": TableSpec(("job", "period"), ("job",)),
    },
}
TENANT_KINDS = ("settings", "digests", "quiz", "scores")
GLOBAL_KINDS = ("trends",)
META_TABLE = "_meta"


class Table:
    """One table's documents plus its key and secondary indexes."""

    __slots__ = ("name", "spec", "docs", "by_key", "by_field", "next_id")

    def __init__(self, name: str, spec: TableSpec | None, docs: dict[str, Doc]) -> None:
        self.name = name
        self.spec = spec
        self.docs = docs
        self.by_key: dict[tuple[Any, ...], str] = {}
        self.by_field: dict[str, dict[Any, set[str]]] = {
            f: {} for f in (spec.index if spec else ())
        }
        self.next_id = 1
        for doc_id, doc in docs.items():
            self._index(doc_id, doc)

    def key_of(self, doc: Doc) -> tuple[Any, ...]:
        assert self.spec is not None, f"table {self.name} has no schema"
        return tuple(doc.get(f) for f in self.spec.key)

    def get(self, *key: Any) -> Doc | None:
        doc_id = self.by_key.get(key)
        return None if doc_id is None else self.docs[doc_id]

    def where(self, field: str, value: Any) -> list[Doc]:
        return [self.docs[i] for i in self.by_field[field].get(value, ())]

    def field_values(self, field: str) -> Iterable[Any]:
        return self.by_field[field].keys()

    def __iter__(self) -> Iterator[Doc]:
        return iter(self.docs.values())

    def __len__(self) -> int:
        return len(self.docs)

    def id_for(self, doc: Doc) -> str:
        """The id of the document with ``doc``'s key, or a fresh one."""
        existing = self.by_key.get(self.key_of(doc))
        if existing is not None:
            return existing
        doc_id = str(self.next_id)
        self.next_id += 1
        return doc_id

    def set_raw(self, doc_id: str, doc: Doc | None) -> None:
        """Apply one op (replay, or a store write): whole-document put, or delete if None."""
        old = self.docs.get(doc_id)
        if old is not None and doc is not None and self._same_keys(old, doc):
            self.docs[doc_id] = doc  # the common update: indexes stay valid
            return
        if old is not None:
            self._unindex(doc_id, old)
        if doc is None:
            self.docs.pop(doc_id, None)
        else:
            self.docs[doc_id] = doc
            self._index(doc_id, doc)

    def _same_keys(self, old: Doc, new: Doc) -> bool:
        if self.spec is None:
            return True
        return all(old.get(f) == new.get(f) for f in self.spec.key + self.spec.index)

    def _index(self, doc_id: str, doc: Doc) -> None:
        if doc_id.isdigit():
            self.next_id = max(self.next_id, int(doc_id) + 1)
        if self.spec is None:
            return
        self.by_key[self.key_of(doc)] = doc_id
        for f, groups in self.by_field.items():
            groups.setdefault(doc.get(f), set()).add(doc_id)

    def _unindex(self, doc_id: str, doc: Doc) -> None:
        if self.spec is None:
            return
        key = self.key_of(doc)
        if self.by_key.get(key) == doc_id:
            del self.by_key[key]
        for f, groups in self.by_field.items():
            ids = groups.get(doc.get(f))
            if ids is not None:
                ids.discard(doc_id)
                if not ids:
                    del groups[doc.get(f)]


class Partition:
    """Live tables of one (tenant, kind), plus bookkeeping for the journal and snapshots."""

    def __init__(
        self,
        tenant: Tenant,
        kind: str,
        directory: Path,
        raw: dict[str, dict[str, Doc]] | None = None,
        *,
        seq: int = 0,
        journal_gen: int = 1,
        on_disk: bool = False,
        snapshot_bytes: int = 0,
        journal_bytes: int = 0,
        snap_seq: int = 0,
    ) -> None:
        self.tenant = tenant
        self.kind = kind
        self.directory = directory
        raw = {k: v for k, v in (raw or {}).items() if k != META_TABLE}
        schema = SCHEMAS[kind]
        for name in schema:
            raw.setdefault(name, {})
        self.raw = raw  # the TinyDB-layout dict; shares doc dicts with ``tables``
        self.tables = {name: Table(name, schema.get(name), docs) for name, docs in raw.items()}
        self.pending: dict[tuple[str, str], Doc | None] = {}
        self.seq = seq  # last seq written to disk (snapshot or journal)
        self.snap_seq = snap_seq  # seq the current snapshot file covers
        self.journal_gen = journal_gen
        self.on_disk = on_disk  # a snapshot file exists
        self.snapshot_bytes = snapshot_bytes
        self.journal_bytes = journal_bytes
        self.compacting = False

    def __repr__(self) -> str:
        return f"<Partition {self.tenant.platform}/{self.tenant.id}/{self.kind}>"

    def __getitem__(self, table: str) -> Table:
        return self.tables[table]

    def put(self, table: str, doc: Doc) -> None:
        """Insert or replace the document with ``doc``'s key. ``doc`` must not be mutated later."""
        t = self.tables[table]
        doc_id = t.id_for(doc)
        t.set_raw(doc_id, doc)
        self.pending[(table, doc_id)] = doc

    def delete(self, table: str, *key: Any) -> bool:
        t = self.tables[table]
        doc_id = t.by_key.get(key)
        if doc_id is None:
            return False
        t.set_raw(doc_id, None)
        self.pending[(table, doc_id)] = None
        return True

    def take_pending(self) -> dict[tuple[str, str], Doc | None]:
        ops, self.pending = self.pending, {}
        return ops

    def requeue(self, ops: dict[tuple[str, str], Doc | None]) -> None:
        """Put back ops whose write failed, under any newer pending changes."""
        merged = dict(ops)
        merged.update(self.pending)
        self.pending = merged

    def copy_tables(self) -> dict[str, dict[str, Doc]]:
        """Shallow copies for a background snapshot (documents are immutable, dicts are not)."""
        return {name: dict(docs) for name, docs in self.raw.items()}

    def meta(self, seq: int, journal_gen: int, written_at: str | None) -> Doc:
        return {
            "schema": SCHEMA_VERSION,
            "kind": self.kind,
            "tenant": {"platform": self.tenant.platform, "id": self.tenant.id},
            "seq": seq,
            "journal_gen": journal_gen,
            "written_at": written_at,
        }


class LiveStorage(Storage):
    """Read-only TinyDB storage over a partition's live tables: ``TinyDB(part, storage=...)``.

    Lets the store use TinyDB queries on current data without a copy. Writing through it is
    refused: writes must go through the partition so they reach the journal.
    """

    def __init__(self, part: Partition) -> None:
        super().__init__()
        self._part = part

    def read(self) -> dict[str, dict[str, Any]]:
        return self._part.raw

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        raise TypeError("LiveStorage is read-only; write through the Store")
