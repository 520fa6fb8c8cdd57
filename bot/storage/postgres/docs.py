"""One transaction's working set: the documents a method needs, loaded from PostgreSQL.

The rules (what an answer adds, what a claim refuses) live once, in the document modules
shared with the data directory (scores, daily, digests, cards, quiz), and run on a
``Partition``. Here that partition holds only the rows one call needs: ``load`` fetches
them, the shared rules change them, and ``save`` writes back exactly what changed. Writers of
one tenant's kind of data take the same advisory lock first, so a load-change-save is as
serial as it is in one process with the data directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from ..partition import SCHEMAS, Doc, Partition
from ..records import Tenant

KEY_COLUMNS = ("k1", "k2", "k3", "k4")


@dataclass(frozen=True, slots=True)
class Want:
    """Documents of one table whose key fields equal ``eq`` (all of them when empty);
    ``at_least`` keeps those whose key field is >= a value (weeks, timestamps)."""

    table: str
    eq: dict[str, str] = field(default_factory=dict)
    at_least: tuple[str, str] | None = None


def key_row(kind: str, table: str, doc: Doc) -> tuple[str, str, str, str]:
    """The document's natural key as the four text key columns ('' pads)."""
    values = [_text(doc.get(f)) for f in SCHEMAS[kind][table].key]
    return tuple(values + [""] * (4 - len(values)))  # type: ignore[return-value]


def kind_of(table: str) -> str:
    return next(kind for kind, tables in SCHEMAS.items() if table in tables)


def column(table: str, name: str) -> str:
    key = SCHEMAS[kind_of(table)][table].key
    if name not in key:
        raise ValueError(f"{table}.{name} is not a key field")
    return KEY_COLUMNS[key.index(name)]


def where(wants: tuple[Want, ...], args: list[Any]) -> str:
    """SQL matching any of ``wants`` (placeholders numbered after ``args``, which grows)."""
    conds = []
    for w in wants:
        args.append(w.table)
        parts = [f"tbl = ${len(args)}"]
        for name, value in w.eq.items():
            args.append(_text(value))
            parts.append(f"{column(w.table, name)} = ${len(args)}")
        if w.at_least is not None:
            args.append(_text(w.at_least[1]))
            parts.append(f"{column(w.table, w.at_least[0])} >= ${len(args)}")
        conds.append("(" + " AND ".join(parts) + ")")
    return " OR ".join(conds)


class Work:
    """A partition of one (tenant, kind) filled from the database inside a transaction."""

    def __init__(self, conn: asyncpg.Connection, tenant: Tenant, kind: str) -> None:
        self.conn = conn
        self.tenant = tenant
        self.kind = kind
        self.part = Partition(tenant, kind, Path())
        self._stored: dict[tuple[str, str], tuple[Any, ...]] = {}  # loaded ids -> natural key

    async def load(self, *wants: Want) -> Partition:
        if wants:
            args: list[Any] = [self.tenant.platform, self.tenant.id]
            rows = await self.conn.fetch(
                "SELECT tbl, doc FROM fc_docs WHERE platform = $1 AND tenant = $2 AND ("
                + where(wants, args) + ")",
                *args,
            )
            for row in rows:
                self._add(row["tbl"], row["doc"])
        return self.part

    def _add(self, table: str, doc: Doc) -> None:
        t = self.part[table]
        if t.get(*t.key_of(doc)) is not None:
            return  # loaded already by an earlier want
        doc_id = t.id_for(doc)
        t.set_raw(doc_id, doc)
        self._stored[(table, doc_id)] = t.key_of(doc)

    async def save(self) -> int:
        """Write what the shared rules changed; returns the number of rows written."""
        upserts, deletes = [], []
        for (table, doc_id), doc in self.part.take_pending().items():
            t = self.part[table]
            if doc is not None:
                upserts.append((*self._owner(table), *key_row(self.kind, table, doc), doc))
            else:
                key = self._stored.get((table, doc_id))
                if key is not None and t.get(*key) is None:  # not put back under a new id
                    deletes.append((*self._owner(table), *key_row(
                        self.kind, table, dict(zip(t.spec.key, key, strict=True)))))
        if deletes:
            await self.conn.executemany(
                "DELETE FROM fc_docs WHERE platform = $1 AND tenant = $2 AND tbl = $3"
                " AND k1 = $4 AND k2 = $5 AND k3 = $6 AND k4 = $7",
                deletes,
            )
        if upserts:
            await upsert(self.conn, upserts)
        return len(upserts) + len(deletes)

    def _owner(self, table: str) -> tuple[str, str, str]:
        return (self.tenant.platform, self.tenant.id, table)


async def upsert(conn: asyncpg.Connection, rows: list[tuple[Any, ...]]) -> None:
    """Insert or replace documents: (platform, tenant, tbl, k1..k4, doc) tuples."""
    await conn.executemany(
        "INSERT INTO fc_docs (platform, tenant, tbl, k1, k2, k3, k4, doc)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (platform, tenant, tbl, k1, k2, k3, k4) DO UPDATE SET doc = EXCLUDED.doc",
        rows,
    )


def _text(value: Any) -> str:
    return "" if value is None else str(value)
