"""Settling disagreements between two coders (the TUI's disagreement view; docs/user-guide.md).

A disagreement is a (segment, code) unit of `compute_agreement` at the segment unit that one
coder applied and the other did not. Settling it:

- records the decision (`keep_a`, `keep_b`, `keep_both`, `neither`), who settled it (the
  resolver) and when, in the `resolutions` table;
- writes the outcome as codings by the *consensus* coder (default name `consensus`, origin
  `resolved`): `keep_a` copies A's codings of that code, clipped to the segment; `keep_b` B's;
  `keep_both` the union of both; `neither` writes none;
- never changes or deletes the two coders' own codings, so agreement figures stay
  reproducible;
- settling the same unit again replaces the earlier decision and the consensus codings that
  decision wrote; `reopen` removes both.

Resolutions are stored with the two coders in sorted order (`keep_a` then means the first
name); `Resolution.kept` gives the names of the coders whose view was kept.

Every function runs inside the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, and_, delete, func, insert, select

from workbench.errors import WorkbenchError
from workbench.services.codes import CodeTree
from workbench.services.coding import CodingRow, add_coding, delete_coding, list_codings
from workbench.services.documents import document_row
from workbench.store import schema as s
from workbench.timeutil import now_iso

DECISIONS = ("keep_a", "keep_b", "keep_both", "neither")
CONSENSUS = "consensus"
_SWAP = {"keep_a": "keep_b", "keep_b": "keep_a"}


@dataclass(frozen=True)
class Resolution:
    id: int
    document_id: int
    segment: int
    start: int
    end: int
    code_id: str
    coder_a: str  # sorted: coder_a < coder_b
    coder_b: str
    decision: str
    resolver: str
    consensus: str
    codings: tuple[str, ...]  # GUIDs of the consensus codings this resolution wrote
    note: str | None
    created: str

    @property
    def kept(self) -> list[str]:
        """The coders whose view was kept (empty for `neither`)."""
        return {
            "keep_a": [self.coder_a],
            "keep_b": [self.coder_b],
            "keep_both": [self.coder_a, self.coder_b],
            "neither": [],
        }[self.decision]

    def describe(self) -> str:
        what = f"kept {' and '.join(self.kept)}" if self.kept else "neither"
        return f"{what} · by {self.resolver}"


@dataclass(frozen=True)
class Disagreement:
    document: str
    document_id: int
    segment: int
    speaker: str | None
    start: int
    end: int
    code: str
    code_id: str
    applied_by: str
    missing_from: str
    resolution: Resolution | None = None


def _ordered(coder_a: str, coder_b: str, decision: str) -> tuple[str, str, str]:
    """Coders in stored (sorted) order, with the decision rewritten to match."""
    if coder_a <= coder_b:
        return coder_a, coder_b, decision
    return coder_b, coder_a, _SWAP.get(decision, decision)


def _to_resolution(r) -> Resolution:  # type: ignore[no-untyped-def]
    return Resolution(
        id=r.id,
        document_id=r.document_id,
        segment=r.segment,
        start=r.start,
        end=r.end,
        code_id=r.code_id,
        coder_a=r.coder_a,
        coder_b=r.coder_b,
        decision=r.decision,
        resolver=r.resolver,
        consensus=r.consensus,
        codings=tuple(json.loads(r.codings or "[]")),
        note=r.note,
        created=r.created,
    )


def list_resolutions(
    conn: Connection, coder_a: str | None = None, coder_b: str | None = None
) -> list[Resolution]:
    """Every resolution, or those between two coders (in either order)."""
    t = s.resolutions
    q = select(t).order_by(t.c.id)
    if coder_a is not None and coder_b is not None:
        a, b, _ = _ordered(coder_a, coder_b, "neither")
        q = q.where(and_(t.c.coder_a == a, t.c.coder_b == b))
    return [_to_resolution(r) for r in conn.execute(q)]


def top_coders(conn: Connection, n: int = 2, exclude: Iterable[str] | None = None) -> list[str]:
    """Coders with the most codings first (ties by name), leaving out `exclude` (default: the
    names that hold settled codings)."""
    count = func.count().label("n")
    rows = conn.execute(
        select(s.codings.c.coder, count).group_by(s.codings.c.coder).order_by(count.desc())
    ).all()
    skip = resolved_coders(conn) if exclude is None else set(exclude)
    ranked = sorted((-r[1], r[0]) for r in rows if r[0] not in skip)
    return [name for _, name in ranked[:n]]


def overlapping(
    conn: Connection,
    document_id: int,
    start: int,
    end: int,
    coder: str,
    code_id: str | None = None,
) -> list[CodingRow]:
    """A coder's codings (of one code, or all) that overlap [start, end)."""
    rows = list_codings(
        conn, document_id=document_id, coder=coder, code_ids=[code_id] if code_id else None
    )
    return [c for c in rows if c.start < end and c.end > start]


def _union(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s_, e in sorted(spans):
        if out and s_ <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s_, e))
    return out


def _segment(conn: Connection, document_id: int, segment: int):  # type: ignore[no-untyped-def]
    seg = s.segments
    row = conn.execute(
        select(seg.c.start, seg.c.end, seg.c.parent_id).where(
            and_(seg.c.document_id == document_id, seg.c.idx == segment)
        )
    ).first()
    if row is None:
        raise WorkbenchError(f"segment {segment}: no such segment in this document")
    return row


def passage_span(conn: Connection, document_id: int, segment: int) -> tuple[int, int]:
    """The span to show around a unit: its turn (entry, answer) when it is a sentence."""
    row = _segment(conn, document_id, segment)
    if row.parent_id is not None:
        parent = conn.execute(
            select(s.segments.c.start, s.segments.c.end).where(s.segments.c.id == row.parent_id)
        ).first()
        if parent is not None:
            return int(parent[0]), int(parent[1])
    return int(row.start), int(row.end)


def _existing(
    conn: Connection, document_id: int, segment: int, code_id: str, a: str, b: str
) -> Resolution | None:
    t = s.resolutions
    row = conn.execute(
        select(t).where(
            and_(
                t.c.document_id == document_id,
                t.c.segment == segment,
                t.c.code_id == code_id,
                t.c.coder_a == a,
                t.c.coder_b == b,
            )
        )
    ).first()
    return None if row is None else _to_resolution(row)


def _drop(conn: Connection, res: Resolution) -> None:
    """Remove a resolution and the consensus codings it wrote (never anyone else's)."""
    if res.codings:
        rows = conn.execute(
            select(s.codings.c.id).where(
                and_(s.codings.c.guid.in_(res.codings), s.codings.c.coder == res.consensus)
            )
        )
        for (cid,) in rows.all():
            delete_coding(conn, cid)
    conn.execute(delete(s.resolutions).where(s.resolutions.c.id == res.id))


def _check_coders(coder_a: str, coder_b: str, consensus: str) -> None:
    if coder_a == coder_b:
        raise WorkbenchError("give two different coders")
    if consensus in (coder_a, coder_b):
        raise WorkbenchError(f"'{consensus}' holds the settled codings; compare two other coders")


def resolve(
    conn: Connection,
    document: str,
    segment: int,
    code_ref: str,
    coder_a: str,
    coder_b: str,
    decision: str,
    resolver: str,
    *,
    consensus: str = CONSENSUS,
    note: str | None = None,
) -> Resolution:
    """Settle one disagreement (see the module docstring for what each decision writes)."""
    if decision not in DECISIONS:
        raise WorkbenchError(f"decision '{decision}': one of {', '.join(DECISIONS)}")
    if not resolver.strip():
        raise WorkbenchError("resolver name is empty")
    _check_coders(coder_a, coder_b, consensus)
    doc = document_row(conn, document)
    unit = _segment(conn, doc.id, segment)
    start, end = int(unit.start), int(unit.end)
    tree = CodeTree.load(conn)
    code = tree.resolve(code_ref)
    a, b, decision = _ordered(coder_a, coder_b, decision)
    previous = _existing(conn, doc.id, segment, code.id, a, b)
    if previous is not None:
        _drop(conn, previous)
    kept = {"keep_a": [a], "keep_b": [b], "keep_both": [a, b], "neither": []}[decision]
    spans = [
        (max(c.start, start), min(c.end, end))
        for who in kept
        for c in overlapping(conn, doc.id, start, end, who, code.id)
    ]
    written = []
    for s_, e in _union(spans):
        row, created = add_coding(
            conn, doc.name, s_, e, code.id, consensus, origin="resolved", tree=tree
        )
        if created:
            written.append(row.guid)
    rid = conn.execute(
        insert(s.resolutions).values(
            document_id=doc.id,
            segment=segment,
            start=start,
            end=end,
            code_id=code.id,
            coder_a=a,
            coder_b=b,
            decision=decision,
            resolver=resolver,
            consensus=consensus,
            codings=json.dumps(written),
            note=note or None,
            created=now_iso(),
        )
    ).inserted_primary_key[0]
    return _to_resolution(
        conn.execute(select(s.resolutions).where(s.resolutions.c.id == rid)).one()
    )


def reopen(
    conn: Connection, document: str, segment: int, code_ref: str, coder_a: str, coder_b: str
) -> bool:
    """Undo a resolution: delete it and the consensus codings it wrote. False if none."""
    doc = document_row(conn, document)
    code = CodeTree.load(conn).resolve(code_ref)
    a, b, _ = _ordered(coder_a, coder_b, "neither")
    previous = _existing(conn, doc.id, segment, code.id, a, b)
    if previous is None:
        return False
    _drop(conn, previous)
    return True


def resolved_coders(conn: Connection) -> set[str]:
    """Names that hold settled codings (so front ends can leave them out of coder choices)."""
    rows = conn.execute(select(s.resolutions.c.consensus).distinct())
    return {r[0] for r in rows} | {CONSENSUS}
