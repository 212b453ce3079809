"""Decisions on code suggestions (accepted / rejected), one row per segment, code and coder."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert

from workbench.store import schema as s
from workbench.timeutil import now_iso


def record_feedback(
    conn: Connection,
    segment_id: int,
    code_id: str,
    decision: str,
    coder: str,
    score: float | None = None,
) -> None:
    """Remember an accepted/rejected suggestion (replaces an earlier decision by that coder)."""
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
