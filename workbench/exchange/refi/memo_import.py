"""Notes of an imported `.qdpx` as memos: where each one hangs, decided before writing.

A NoteRef on the project, a code, a source, a coding or a selection gives the memo's target.
A coding's own memo (the Note whose GUID Workbench derives from the coding's GUID) becomes the
coding's `memo` text instead (done by the coding writer). A note on a selection is a memo on
the segment named by Workbench's extras, else on the segment with exactly that span, else on
the selection's first coding, else on the document with the span written before its text.
Notes nobody refers to, and the project's and sources' descriptions, become project and
document memos. A note referred to twice is stored twice (the copy gets a derived GUID).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Connection, and_, insert, select

from workbench.codebook.refi.guids import derived_guid
from workbench.exchange.refi.dates import canonical_datetime
from workbench.services.memo_targets import memo_target
from workbench.store import schema as s
from workbench.timeutil import now_iso

if TYPE_CHECKING:
    from workbench.exchange.refi.qdpx_import import Placed
    from workbench.exchange.refi.qdpx_read import RProject


@dataclass
class PlannedMemo:
    guid: str
    text: str
    author_guid: str | None
    created: str | None
    kind: str  # project | document | segment | span | coding | code
    source: int | None = None  # index into the placed sources
    key: str | None = None  # coding GUID or code GUID
    span: tuple[int, int] | None = None  # segment idx (kind segment) or (start, end)


@dataclass
class MemoPlan:
    memos: list[PlannedMemo] = field(default_factory=list)


def plan_memos(rp: RProject, placed: list[Placed], warnings: list[str]) -> MemoPlan:
    plan = MemoPlan()
    uses: dict[str, int] = {}
    missing = 0

    def add(note_guid: str, kind: str, **where: object) -> None:
        nonlocal missing
        note = rp.notes.get(note_guid)
        if note is None:
            missing += 1
            return
        n = uses.get(note_guid, 0)
        uses[note_guid] = n + 1
        guid = note_guid if n == 0 else derived_guid("memo-copy", note_guid, str(n))
        plan.memos.append(
            PlannedMemo(guid, note.text, note.user, note.created, kind, **where)  # type: ignore[arg-type]
        )

    if rp.description and rp.description.strip():
        guid = derived_guid("project-description", rp.name)
        plan.memos.append(PlannedMemo(guid, rp.description, rp.default_user, None, "project"))
    for guid in rp.project_notes:
        add(guid, "project")
    for code_guid, notes in rp.code_notes.items():
        for guid in notes:
            add(guid, "code", key=code_guid)
    for i, p in enumerate(placed):
        if p.src.description and p.src.description.strip():
            guid = derived_guid("source-description", p.src.guid)
            memo = PlannedMemo(guid, p.src.description, None, p.src.created, "document", source=i)
            plan.memos.append(memo)
        for guid in p.src.notes:
            add(guid, "document", source=i)
        for sel in p.src.selections:
            for c in sel.codings:
                inline = derived_guid("coding-memo", c.guid) if c.guid else None
                for guid in c.notes:
                    if guid != inline:
                        add(guid, "coding", source=i, key=c.guid)
            for guid in sel.notes:
                target = rp.extras.segment_memos.get(guid)
                if target is not None and target[0] == p.src.guid and p.exact_segments:
                    add(guid, "segment", source=i, span=(target[1], target[1]))
                else:
                    first = next((c.guid for c in sel.codings if c.guid), None)
                    add(
                        guid, "span", source=i, key=first, span=(p.omap(sel.start), p.omap(sel.end))
                    )
        for c in p.src.whole:
            for guid in c.notes:
                add(guid, "coding", source=i, key=c.guid)
    inline_notes = {
        derived_guid("coding-memo", c.guid)
        for p in placed
        for sel in p.src.selections
        for c in sel.codings
        if c.guid
    }
    for guid in rp.notes:
        if guid not in uses and guid not in inline_notes:
            add(guid, "project")
    if missing:
        warnings.append(f"skipped {missing} references to notes that are not in the file")
    return plan


def _segment_id(conn: Connection, doc_id: int, where: object) -> int | None:
    row = conn.execute(
        select(s.segments.c.id)
        .where(and_(s.segments.c.document_id == doc_id, where))  # type: ignore[arg-type]
        .order_by(s.segments.c.idx)
    ).first()
    return row[0] if row else None


def _coding_id(conn: Connection, p: Placed, guid: str | None) -> int | None:
    if guid is None:
        return None
    if guid in p.coding_ids:
        return p.coding_ids[guid]
    row = conn.execute(select(s.codings.c.id).where(s.codings.c.guid == guid)).first()
    return row[0] if row else None


def _target(
    conn: Connection, m: PlannedMemo, placed: list[Placed], codes: dict[str, str]
) -> tuple[str, str, str]:
    """(target_type, target_id, text) for a planned memo, falling back outwards."""
    if m.kind == "code":
        code_id = codes.get(m.key or "")
        return ("code", code_id, m.text) if code_id else ("project", "", m.text)
    if m.kind == "project" or m.source is None:
        return ("project", "", m.text)
    p = placed[m.source]
    doc = ("document", str(p.doc_id), m.text)
    if m.kind == "segment" and m.span is not None:
        sid = _segment_id(conn, p.doc_id, s.segments.c.idx == m.span[0])
        return ("segment", str(sid), m.text) if sid else doc
    if m.kind == "coding":
        cid = _coding_id(conn, p, m.key)
        return ("coding", str(cid), m.text) if cid else doc
    if m.kind == "span" and m.span is not None:
        start, end = m.span
        sid = _segment_id(
            conn, p.doc_id, and_(s.segments.c.start == start, s.segments.c.end == end)
        )
        if sid:
            return ("segment", str(sid), m.text)
        cid = _coding_id(conn, p, m.key)
        if cid:
            return ("coding", str(cid), m.text)
        return ("document", str(p.doc_id), f"[characters {start}-{end}] {m.text}")
    return doc


def write_memos(
    conn: Connection,
    plan: MemoPlan,
    rp: RProject,
    placed: list[Placed],
    codes: dict[str, str],
    merged: list[str],
) -> int:
    """Insert the planned memos (after documents and codings); returns how many."""
    present = {r[0] for r in conn.execute(select(s.memos.c.guid))}
    rows = []
    skipped = 0
    for m in plan.memos:
        if m.guid in present:
            skipped += 1
            continue
        target_type, target_id, text = _target(conn, m, placed, codes)
        author = rp.user_name(m.author_guid or rp.default_user) or "unknown"
        rows.append(
            {
                **memo_target(target_type, target_id),
                "author": author,
                "created": canonical_datetime(m.created) or now_iso(),
                "text": text,
                "guid": m.guid,
            }
        )
        present.add(m.guid)
    if rows:
        conn.execute(insert(s.memos), rows)
    if skipped:
        merged.append(f"{skipped} memos were already in the project; kept once")
    return len(rows)
