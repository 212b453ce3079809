"""Many codings at once (imports): one look-up of what exists, multi-row inserts.

Same rules as `coding.add_coding`, which applies one coding: an identical coding (document,
span, code, coder) is a no-op, except that a memo given for it replaces an empty or different
one. Spans and codes are checked by the caller (importers report bad rows with their line).
Runs inside the caller's transaction; the rows go in with multi-row INSERTs (bulk_sql).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, select, update

from workbench.services.bulk_sql import insert_rows
from workbench.store import schema as s
from workbench.timeutil import now_iso

_COLUMNS = ("document_id", "start", "end", "code_id", "coder", "created", "memo", "origin", "guid")

Key = tuple[int, int, int, str, str]  # document_id, start, end, code_id, coder


@dataclass(frozen=True)
class NewCoding:
    document_id: int
    start: int
    end: int
    code_id: str
    coder: str
    memo: str | None = None
    created: str | None = None
    origin: str = "imported"

    @property
    def key(self) -> Key:
        return (self.document_id, self.start, self.end, self.code_id, self.coder)


@dataclass(frozen=True)
class BulkOutcome:
    added: int
    present: int  # already in the project (or repeated in the input)
    memos_updated: int


def _existing(conn: Connection, doc_ids: set[int]) -> dict[Key, tuple[int, str | None]]:
    c = s.codings
    out: dict[Key, tuple[int, str | None]] = {}
    ids = sorted(doc_ids)
    for lo in range(0, len(ids), 500):
        q = select(c.c.id, c.c.document_id, c.c.start, c.c.end, c.c.code_id, c.c.coder, c.c.memo)
        found = conn.execute(q.where(c.c.document_id.in_(ids[lo : lo + 500]))).all()
        for cid, doc_id, start, end, code_id, coder, memo in found:
            out[(doc_id, start, end, code_id, coder)] = (cid, memo)
    return out


def _guids(n: int) -> list[str]:
    """`n` random (version 4) UUIDs as text, as `str(uuid.uuid4())` gives them, from one
    read of the system's random source (uuid4 per coding was a tenth of an import)."""
    raw = bytearray(os.urandom(16 * n))
    out: list[str] = []
    for i in range(0, 16 * n, 16):
        raw[i + 6] = (raw[i + 6] & 0x0F) | 0x40  # version 4
        raw[i + 8] = (raw[i + 8] & 0x3F) | 0x80  # RFC 4122 variant
        h = raw[i : i + 16].hex()
        out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return out


def add_codings(conn: Connection, items: Iterable[NewCoding]) -> BulkOutcome:
    """Apply every coding of `items` that is not there yet; see the module docstring."""
    wanted: dict[Key, NewCoding] = {}
    repeated = 0
    for item in items:
        key = item.key
        if key in wanted:
            repeated += 1
            if item.memo and not wanted[key].memo:
                wanted[key] = item
            continue
        wanted[key] = item
    existing = _existing(conn, {k[0] for k in wanted})
    now = now_iso()
    guids = _guids(sum(1 for key in wanted if key not in existing))
    rows: list[tuple[object, ...]] = []
    memo_updates: list[dict[str, object]] = []
    for key, item in wanted.items():
        found = existing.get(key)
        if found is not None:
            if item.memo and item.memo != found[1]:
                memo_updates.append({"cid": found[0], "memo": item.memo})
            continue
        rows.append(
            (
                item.document_id,
                item.start,
                item.end,
                item.code_id,
                item.coder,
                item.created or now,
                item.memo or None,
                item.origin,
                guids[len(rows)],
            )
        )
    insert_rows(conn, "codings", _COLUMNS, rows)
    if memo_updates:
        stmt = (
            update(s.codings)
            .where(s.codings.c.id == bindparam("cid"))
            .values(memo=bindparam("memo"))
        )
        conn.execute(stmt, memo_updates)
    present = len(wanted) - len(rows) + repeated
    return BulkOutcome(added=len(rows), present=present, memos_updated=len(memo_updates))
