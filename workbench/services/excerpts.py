"""Coded excerpts: the rows behind retrieval and the CSV export (CONTRACT §5)."""

from __future__ import annotations

import bisect
import os
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from workbench.services.codes import CodeTree
from workbench.services.coding import list_codings
from workbench.services.documents import all_attributes, matches_where, segment_attributes
from workbench.store import schema as s

EXCERPT_COLUMNS = (
    "document",
    "kind",
    "segment",
    "speaker",
    "start",
    "end",
    "code",
    "code_path",
    "coder",
    "created",
    "memo",
    "text",
)


@dataclass(frozen=True)
class Excerpt:
    coding_id: int
    document: str
    document_id: int
    kind: str
    segment: int | None
    speaker: str | None
    start: int
    end: int
    code_id: str
    code: str
    code_path: str
    coder: str
    created: str
    memo: str | None
    origin: str
    text: str
    attributes: dict[str, str] = field(default_factory=dict)


def expand_codes(tree: CodeTree, refs: list[str], descendants: bool = True) -> list[str]:
    ids: list[str] = []
    for ref in refs:
        code = tree.resolve(ref)
        ids.append(code.id)
        if descendants:
            ids.extend(tree.descendants(code.id))
    return sorted(set(ids))


def _top_segments(conn: Connection, doc_id: int) -> list[tuple[int, int, int, str | None, int]]:
    """(start, end, idx, speaker, id) of the outer segments (turn/entry/response), by start."""
    rows = conn.execute(
        select(
            s.segments.c.start,
            s.segments.c.end,
            s.segments.c.idx,
            s.segments.c.speaker,
            s.segments.c.id,
        )
        .where(s.segments.c.document_id == doc_id)
        .where(s.segments.c.parent_id.is_(None))
        .order_by(s.segments.c.start)
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


def excerpts(
    conn: Connection,
    *,
    codes: list[str] | None = None,
    where: list[tuple[str, str]] | None = None,
    coder: str | None = None,
    descendants: bool = True,
    document_id: int | None = None,
) -> list[Excerpt]:
    """Codings with their context, filtered by code (with descendants), attributes and coder."""
    tree = CodeTree.load(conn)
    code_ids = expand_codes(tree, codes, descendants) if codes else None
    rows = list_codings(conn, document_id=document_id, code_ids=code_ids, coder=coder)
    docs = {
        r.id: r
        for r in conn.execute(
            select(s.documents.c.id, s.documents.c.name, s.documents.c.kind, s.documents.c.text)
        )
    }
    doc_attrs = all_attributes(conn)
    seg_cache: dict[int, list[tuple[int, int, int, str | None, int]]] = {}
    seg_attr_cache: dict[int, dict[int, dict[str, str]]] = {}
    out: list[Excerpt] = []
    for c in rows:
        doc = docs[c.document_id]
        if c.document_id not in seg_cache:
            seg_cache[c.document_id] = _top_segments(conn, c.document_id)
            seg_attr_cache[c.document_id] = segment_attributes(conn, c.document_id)
        segs = seg_cache[c.document_id]
        pos = bisect.bisect_right([sg[0] for sg in segs], c.start) - 1
        seg = segs[pos] if pos >= 0 and segs[pos][1] > c.start else None
        attrs = dict(doc_attrs.get(c.document_id, {}))
        if seg is not None:
            attrs.update(seg_attr_cache[c.document_id].get(seg[4], {}))
        if where and not matches_where(attrs, doc.kind, where):
            continue
        out.append(
            Excerpt(
                coding_id=c.id,
                document=doc.name,
                document_id=doc.id,
                kind=doc.kind,
                segment=seg[2] if seg else None,
                speaker=seg[3] if seg else None,
                start=c.start,
                end=c.end,
                code_id=c.code_id,
                code=tree.codes[c.code_id].name,
                code_path=tree.path_str(c.code_id),
                coder=c.coder,
                created=c.created,
                memo=c.memo,
                origin=c.origin,
                text=doc.text[c.start : c.end],
                attributes=attrs,
            )
        )
    out.sort(key=lambda e: (e.document, e.start, e.end, e.code_path, e.coder))
    return out


def excerpt_table(rows: list[Excerpt]) -> tuple[list[str], list[list[object]]]:
    """Header and rows in the CONTRACT §5 layout, one attr:NAME column per attribute."""
    attr_names = sorted({k for r in rows for k in r.attributes})
    header = [*EXCERPT_COLUMNS, *(f"attr:{a}" for a in attr_names)]
    body: list[list[object]] = []
    for r in rows:
        body.append(
            [
                r.document,
                r.kind,
                "" if r.segment is None else r.segment,
                r.speaker or "",
                r.start,
                r.end,
                r.code,
                r.code_path,
                r.coder,
                r.created,
                r.memo or "",
                r.text,
                *(r.attributes.get(a, "") for a in attr_names),
            ]
        )
    return header, body


def write_excerpts_csv(
    rows: list[Excerpt],
    path: str | os.PathLike[str],
    *,
    project: str | os.PathLike[str] | None = None,
    stdout_ok: bool = False,
) -> int:
    """Write the CSV through the output guard (never over `project` or any open project;
    `-` is stdout when `stdout_ok`). Returns the number of rows."""
    from workbench.exchange.csvsafe import write_csv

    header, body = excerpt_table(rows)
    return write_csv(path, header, body, project=project, stdout_ok=stdout_ok)
