"""Search results as passages: a segment with its document, speaker, text and score.

`idx` is the segment's own number; `paragraph` the number of its outer segment (turn, entry or
answer): the ¶ number the coding screen, retrieval, the excerpt CSV's `segment` column and the
disagreement view show (for a turn both are the same).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import aliased

from workbench.store import schema as s


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
    paragraph: int = -1  # the outer segment's number (¶); set by segment_hits


def segment_hits(conn: Connection, scored: list[tuple[int, float]]) -> list[SegmentHit]:
    """Search results (segment id, score) with their document, speaker and text, in order."""
    ids = [sid for sid, _ in scored]
    if not ids:
        return []
    parent = aliased(s.segments)
    q = (
        select(
            s.segments.c.id,
            s.documents.c.name,
            s.segments.c.idx,
            s.segments.c.speaker,
            s.segments.c.start,
            s.segments.c.end,
            func.substr(
                s.documents.c.text, s.segments.c.start + 1, s.segments.c.end - s.segments.c.start
            ),
            parent.c.idx,
        )
        .join(s.documents, s.documents.c.id == s.segments.c.document_id)
        .outerjoin(parent, parent.c.id == s.segments.c.parent_id)
        .where(s.segments.c.id.in_(ids))
    )
    rows = {r[0]: r for r in conn.execute(q)}
    out = []
    for sid, score in scored:
        r = rows.get(sid)
        if r is not None:
            outer = r[7] if r[7] is not None else r[2]
            out.append(SegmentHit(sid, r[1], r[2], r[3], r[4], r[5], r[6], score, outer))
    return out


def full_text_search(
    conn: Connection, query: str, limit: int = 200, offset: int = 0
) -> list[SegmentHit]:
    """One page of the passages matching `query` (words, "a phrase"), best first."""
    from workbench.store.sqlite_extras import search_segments

    return segment_hits(conn, search_segments(conn, query, limit, offset))


def full_text_total(conn: Connection, query: str) -> int:
    """How many passages match `query` in all (for "N passages match" over every page)."""
    from workbench.store.sqlite_extras import count_segment_matches

    return count_segment_matches(conn, query)


def outer_segment_numbers(conn: Connection, document_id: int) -> dict[int, int]:
    """Every segment number of a document -> the number of its outer segment (¶)."""
    parent = aliased(s.segments)
    q = (
        select(s.segments.c.idx, parent.c.idx)
        .outerjoin(parent, parent.c.id == s.segments.c.parent_id)
        .where(s.segments.c.document_id == document_id)
    )
    return {idx: (outer if outer is not None else idx) for idx, outer in conn.execute(q)}
