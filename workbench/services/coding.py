"""Codings and memos: apply, remove, list. Every function runs inside the caller's transaction."""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, and_, delete, insert, select, update

from workbench.errors import WorkbenchError
from workbench.services.codes import CodeTree
from workbench.services.coding_rows import (  # noqa: F401 - re-exported: where callers look
    CODING_COLUMNS,
    CodingRow,
    list_codings,
    row_to_coding,
)
from workbench.services.documents import document_row
from workbench.services.memo_targets import memo_target
from workbench.store import schema as s
from workbench.timeutil import now_iso

ORIGINS = ("manual", "suggested", "imported", "resolved")


def segment_span(conn: Connection, document_id: int, index: int) -> tuple[int, int]:
    row = conn.execute(
        select(s.segments.c.start, s.segments.c.end).where(
            and_(s.segments.c.document_id == document_id, s.segments.c.idx == index)
        )
    ).first()
    if row is None:
        raise WorkbenchError(f"segment {index}: no such segment (see `workbench segments`)")
    return int(row[0]), int(row[1])


def check_span(text_length: int, start: int, end: int) -> None:
    if start < 0 or end > text_length or start >= end:
        raise WorkbenchError(
            f"span {start}-{end}: must satisfy 0 <= start < end <= {text_length} "
            "(character offsets, end exclusive)"
        )


def add_coding(
    conn: Connection,
    document: str,
    start: int,
    end: int,
    code_ref: str,
    coder: str,
    *,
    memo: str | None = None,
    origin: str = "manual",
    created: str | None = None,
    tree: CodeTree | None = None,
) -> tuple[CodingRow, bool]:
    """Apply a code to a span. Returns (coding, created?); an identical coding is a no-op."""
    if origin not in ORIGINS:
        raise WorkbenchError(f"origin '{origin}': must be one of {', '.join(ORIGINS)}")
    if not coder.strip():
        raise WorkbenchError("coder name is empty")
    doc = document_row(conn, document)
    check_span(len(doc.text), start, end)
    code = (tree or CodeTree.load(conn)).resolve(code_ref)
    existing = conn.execute(
        select(s.codings).where(
            and_(
                s.codings.c.document_id == doc.id,
                s.codings.c.start == start,
                s.codings.c.end == end,
                s.codings.c.code_id == code.id,
                s.codings.c.coder == coder,
            )
        )
    ).first()
    if existing is not None:
        if memo and memo != existing.memo:
            conn.execute(update(s.codings).where(s.codings.c.id == existing.id).values(memo=memo))
            existing = conn.execute(select(s.codings).where(s.codings.c.id == existing.id)).one()
        return row_to_coding(existing), False
    cid = conn.execute(
        insert(s.codings).values(
            document_id=doc.id,
            start=start,
            end=end,
            code_id=code.id,
            coder=coder,
            created=created or now_iso(),
            memo=memo or None,
            origin=origin,
            guid=str(uuid.uuid4()),
        )
    ).inserted_primary_key[0]
    return row_to_coding(conn.execute(select(s.codings).where(s.codings.c.id == cid)).one()), True


def remove_coding(
    conn: Connection, document: str, start: int, end: int, code_ref: str, coder: str
) -> CodingRow:
    doc = document_row(conn, document)
    code = CodeTree.load(conn).resolve(code_ref)
    row = conn.execute(
        select(s.codings).where(
            and_(
                s.codings.c.document_id == doc.id,
                s.codings.c.start == start,
                s.codings.c.end == end,
                s.codings.c.code_id == code.id,
                s.codings.c.coder == coder,
            )
        )
    ).first()
    if row is None:
        raise WorkbenchError(
            f"{document}: no coding {start}-{end} with code '{code.name}' by {coder}"
        )
    delete_coding(conn, row.id)
    return row_to_coding(row)


def delete_coding(conn: Connection, coding_id: int) -> None:
    conn.execute(
        delete(s.memos).where(
            and_(s.memos.c.target_type == "coding", s.memos.c.target_id == str(coding_id))
        )
    )
    conn.execute(delete(s.codings).where(s.codings.c.id == coding_id))


def restore_coding(conn: Connection, row: CodingRow) -> None:
    """Put back a coding removed earlier (undo), with its original id, time and GUID."""
    conn.execute(
        insert(s.codings).values(
            id=row.id,
            document_id=row.document_id,
            start=row.start,
            end=row.end,
            code_id=row.code_id,
            coder=row.coder,
            created=row.created,
            memo=row.memo,
            origin=row.origin,
            guid=row.guid,
        )
    )


def set_coding_memo(conn: Connection, coding_id: int, memo: str | None) -> None:
    conn.execute(update(s.codings).where(s.codings.c.id == coding_id).values(memo=memo or None))


def add_memo(conn: Connection, target_type: str, target_id: str, author: str, text: str) -> int:
    if not text.strip():
        raise WorkbenchError("memo text is empty")
    return conn.execute(
        insert(s.memos).values(
            **memo_target(target_type, target_id),
            author=author,
            created=now_iso(),
            text=text,
            guid=str(uuid.uuid4()),
        )
    ).inserted_primary_key[0]


def memos_for(
    conn: Connection, target_type: str, target_id: str
) -> list[tuple[int, str, str, str]]:
    """(id, author, created, text) of memos on a target, oldest first."""
    rows = conn.execute(
        select(s.memos.c.id, s.memos.c.author, s.memos.c.created, s.memos.c.text)
        .where(and_(s.memos.c.target_type == target_type, s.memos.c.target_id == str(target_id)))
        .order_by(s.memos.c.id)
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]
