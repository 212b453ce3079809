"""Many codings at once (imports): one look-up of what exists, one executemany insert.

Same rules as `coding.add_coding`, which applies one coding: an identical coding (document,
span, code, coder) is a no-op, except that a memo given for it replaces an empty or different
one. Spans and codes are checked by the caller (importers report bad rows with their line).
Runs inside the caller's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, insert, select, update

from workbench.store import schema as s
from workbench.timeutil import now_iso

INSERT_BATCH = 5_000

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
        for r in conn.execute(q.where(c.c.document_id.in_(ids[lo : lo + 500]))):
            out[(r.document_id, r.start, r.end, r.code_id, r.coder)] = (r.id, r.memo)
    return out


def add_codings(conn: Connection, items: Iterable[NewCoding]) -> BulkOutcome:
    """Apply every coding of `items` that is not there yet; see the module docstring."""
    wanted: dict[Key, NewCoding] = {}
    repeated = 0
    for item in items:
        if item.key in wanted:
            repeated += 1
            if item.memo and not wanted[item.key].memo:
                wanted[item.key] = item
            continue
        wanted[item.key] = item
    existing = _existing(conn, {k[0] for k in wanted})
    now = now_iso()
    rows: list[dict[str, object]] = []
    memo_updates: list[dict[str, object]] = []
    for key, item in wanted.items():
        found = existing.get(key)
        if found is not None:
            if item.memo and item.memo != found[1]:
                memo_updates.append({"cid": found[0], "memo": item.memo})
            continue
        rows.append(
            {
                "document_id": item.document_id,
                "start": item.start,
                "end": item.end,
                "code_id": item.code_id,
                "coder": item.coder,
                "created": item.created or now,
                "memo": item.memo or None,
                "origin": item.origin,
                "guid": str(uuid.uuid4()),
            }
        )
    for lo in range(0, len(rows), INSERT_BATCH):
        conn.execute(insert(s.codings), rows[lo : lo + INSERT_BATCH])
    if memo_updates:
        stmt = (
            update(s.codings)
            .where(s.codings.c.id == bindparam("cid"))
            .values(memo=bindparam("memo"))
        )
        conn.execute(stmt, memo_updates)
    present = len(wanted) - len(rows) + repeated
    return BulkOutcome(added=len(rows), present=present, memos_updated=len(memo_updates))
