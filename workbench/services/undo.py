"""Undo and redo of interactive coding actions (code, uncode, memo on a coding).

Every operation runs in its own transaction (`project.begin()`), so each action is saved at
once; undo and redo are new transactions that reverse or replay it. Labels name the document,
the code and the span, e.g. "code 'Hidden work' in staff_s1 (120-139)".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from workbench.services.coding import (
    CodingRow,
    add_coding,
    delete_coding,
    restore_coding,
    set_coding_memo,
)
from workbench.store import schema as s
from workbench.store.db import Project

Step = Callable[[Connection], None]


@dataclass
class Operation:
    """One undoable action: `redo` re-applies it, `undo` reverses it."""

    label: str
    undo: Step
    redo: Step


def describe_coding(conn: Connection, row: CodingRow) -> str:
    """`'Hidden work' in staff_s1 (120-139)`: the code's name, the document and the span."""
    code = conn.execute(select(s.codes.c.name).where(s.codes.c.id == row.code_id)).scalar()
    doc = conn.execute(
        select(s.documents.c.name).where(s.documents.c.id == row.document_id)
    ).scalar()
    return f"'{code or row.code_id}' in {doc or row.document_id} ({row.start}-{row.end})"


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
            what = describe_coding(conn, row)
        if created:
            self.push(
                Operation(
                    f"code {what}",
                    undo=lambda c: delete_coding(c, row.id),
                    redo=lambda c: restore_coding(c, row),
                )
            )
        return row, created

    def uncode(self, row: CodingRow) -> None:
        with self.project.begin() as conn:
            what = describe_coding(conn, row)
            delete_coding(conn, row.id)
        self.push(
            Operation(
                f"remove coding {what}",
                undo=lambda c: restore_coding(c, row),
                redo=lambda c: delete_coding(c, row.id),
            )
        )

    def set_memo(self, row: CodingRow, memo: str | None) -> None:
        old = row.memo
        with self.project.begin() as conn:
            what = describe_coding(conn, row)
            set_coding_memo(conn, row.id, memo)
        self.push(
            Operation(
                f"memo on coding {what}",
                undo=lambda c: set_coding_memo(c, row.id, old),
                redo=lambda c: set_coding_memo(c, row.id, memo),
            )
        )
