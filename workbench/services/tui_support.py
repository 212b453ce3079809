"""Interactive editing support shared by front ends: an undo/redo stack of coding operations.

Every operation runs in its own transaction (`project.begin()`), so each action is saved at
once; undo and redo are new transactions that reverse or replay it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection

from workbench.services.coding import (
    CodingRow,
    add_coding,
    delete_coding,
    restore_coding,
    set_coding_memo,
)
from workbench.store.db import Project

Step = Callable[[Connection], None]


@dataclass
class Operation:
    """One undoable action: `redo` re-applies it, `undo` reverses it."""

    label: str
    undo: Step
    redo: Step


@dataclass
class UndoStack:
    project: Project
    limit: int = 200
    done: list[Operation] = field(default_factory=list)
    undone: list[Operation] = field(default_factory=list)

    def push(self, op: Operation) -> None:
        self.done.append(op)
        del self.done[: -self.limit]
        self.undone.clear()

    def undo(self) -> str | None:
        """Reverse the last action; its label, or None when there is nothing to undo."""
        if not self.done:
            return None
        op = self.done[-1]
        with self.project.begin() as conn:
            op.undo(conn)
        self.undone.append(self.done.pop())
        return op.label

    def redo(self) -> str | None:
        if not self.undone:
            return None
        op = self.undone[-1]
        with self.project.begin() as conn:
            op.redo(conn)
        self.done.append(self.undone.pop())
        return op.label

    # The actions themselves -------------------------------------------------------------

    def code_span(
        self,
        document: str,
        start: int,
        end: int,
        code_ref: str,
        coder: str,
        *,
        origin: str = "manual",
    ) -> tuple[CodingRow, bool]:
        """Apply a code (one transaction) and record it; an existing identical coding is kept."""
        with self.project.begin() as conn:
            row, created = add_coding(conn, document, start, end, code_ref, coder, origin=origin)
        if created:
            self.push(
                Operation(
                    f"code {start}-{end}",
                    undo=lambda c: delete_coding(c, row.id),
                    redo=lambda c: restore_coding(c, row),
                )
            )
        return row, created

    def uncode(self, row: CodingRow) -> None:
        with self.project.begin() as conn:
            delete_coding(conn, row.id)
        self.push(
            Operation(
                f"remove coding {row.start}-{row.end}",
                undo=lambda c: restore_coding(c, row),
                redo=lambda c: delete_coding(c, row.id),
            )
        )

    def set_memo(self, row: CodingRow, memo: str | None) -> None:
        old = row.memo
        with self.project.begin() as conn:
            set_coding_memo(conn, row.id, memo)
        self.push(
            Operation(
                "memo on coding",
                undo=lambda c: set_coding_memo(c, row.id, old),
                redo=lambda c: set_coding_memo(c, row.id, memo),
            )
        )


@dataclass(frozen=True)
class SegmentHit:
    segment_id: int
    document: str
    idx: int
    speaker: str | None
    start: int
    end: int
    text: str
    score: float


def segment_hits(conn: Connection, scored: list[tuple[int, float]]) -> list[SegmentHit]:
    """Search results (segment id, score) with their document, speaker and text, in order."""
    from sqlalchemy import select

    from workbench.store import schema as s

    ids = [sid for sid, _ in scored]
    if not ids:
        return []
    q = (
        select(
            s.segments.c.id,
            s.documents.c.name,
            s.segments.c.idx,
            s.segments.c.speaker,
            s.segments.c.start,
            s.segments.c.end,
            s.documents.c.text,
        )
        .join(s.documents, s.documents.c.id == s.segments.c.document_id)
        .where(s.segments.c.id.in_(ids))
    )
    rows = {r[0]: r for r in conn.execute(q)}
    out = []
    for sid, score in scored:
        r = rows.get(sid)
        if r is not None:
            out.append(SegmentHit(sid, r[1], r[2], r[3], r[4], r[5], r[6][r[4] : r[5]], score))
    return out


def full_text_search(conn: Connection, query: str, limit: int = 200) -> list[SegmentHit]:
    from workbench.store.sqlite_extras import search_segments

    return segment_hits(conn, search_segments(conn, query, limit))


def coders(conn: Connection) -> list[str]:
    from sqlalchemy import select

    from workbench.store import schema as s

    return [
        r[0] for r in conn.execute(select(s.codings.c.coder).distinct().order_by(s.codings.c.coder))
    ]


def record_feedback(
    conn: Connection,
    segment_id: int,
    code_id: str,
    decision: str,
    coder: str,
    score: float | None = None,
) -> None:
    """Remember an accepted/rejected suggestion (one row per segment, code and coder)."""
    from sqlalchemy import delete, insert

    from workbench.store import schema as s
    from workbench.timeutil import now_iso

    t = s.suggestion_feedback
    conn.execute(
        delete(t).where(
            (t.c.segment_id == segment_id) & (t.c.code_id == code_id) & (t.c.coder == coder)
        )
    )
    conn.execute(
        insert(t).values(
            segment_id=segment_id,
            code_id=code_id,
            decision=decision,
            coder=coder,
            created=now_iso(),
            score=None if score is None else f"{score:.4f}",
        )
    )
