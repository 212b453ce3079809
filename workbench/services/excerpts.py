"""Coded excerpts: the rows behind retrieval and the CSV export (CONTRACT §5).

Every read is SQL text (store.reader): on an up-to-date SQLite project `export excerpts`
runs it on a plain sqlite3 connection, without loading SQLAlchemy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from workbench.services.code_tree import CodeTree
from workbench.services.coding_rows import CodingRow, list_codings
from workbench.services.where import matches_where
from workbench.store.reader import Reader, chunks, fetch

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


_Seg = tuple[int, int, int, str | None, int]


# Each coding's text (only its characters cross from the store: not the whole document)
# and the outer segment (turn/entry/response) over its start: one index seek per coding on
# (document_id, start), all codings of a chunk in one statement.
_HOLDER = (
    'SELECT c.id, substr(d.text, c.start + 1, c."end" - c.start), '
    'sg.start, sg."end", sg.idx, sg.speaker, sg.id FROM codings c '
    "JOIN documents d ON d.id = c.document_id "
    "LEFT JOIN segments sg ON sg.id = (SELECT t.id FROM segments t "
    "WHERE t.document_id = c.document_id AND t.parent_id IS NULL AND t.start <= c.start "
    "ORDER BY t.start DESC LIMIT 1) WHERE c.id IN :ids"
)


def _holders(conn: Reader, rows: list[CodingRow]) -> dict[int, tuple[str, _Seg | None]]:
    """coding id -> (its text, (start, end, idx, speaker, id) of the outer segment over its
    start, or None)."""
    out: dict[int, tuple[str, _Seg | None]] = {}
    for ids in chunks([c.id for c in rows]):
        for cid, body, *seg in fetch(conn, _HOLDER, {"ids": ids}):
            out[int(cid)] = (body, None if seg[4] is None else tuple(seg))  # type: ignore[arg-type]
    return out


def _segment_attributes(conn: Reader, seg_ids: list[int]) -> dict[int, dict[str, str]]:
    """Respondent attributes of these segments only (a survey may have a million)."""
    out: dict[int, dict[str, str]] = {}
    sql = "SELECT segment_id, key, value FROM segment_attributes WHERE segment_id IN :ids"
    for ids in chunks(seg_ids):
        for sid, key, value in fetch(conn, sql, {"ids": ids}):
            out.setdefault(int(sid), {})[key] = value
    return out


def candidate_documents(conn: Reader, where: list[tuple[str, str]]) -> set[int] | None:
    """Documents that can match `where` (None: any may), found through the attribute index
    (`ix_document_attributes_kv`) and `documents.kind`. Survey documents always stay
    candidates: their respondents' attributes are checked per excerpt. Every key must
    match (AND); several values of one key are alternatives (OR), case-insensitive."""
    if not where:
        return None
    by_key: dict[str, set[str]] = {}
    for key, value in where:
        by_key.setdefault(key, set()).add(value.casefold())
    surveys = {int(i) for (i,) in fetch(conn, "SELECT id FROM documents WHERE kind = 'survey'")}
    found: set[int] | None = None
    for key, values in by_key.items():
        pairs = fetch(
            conn, "SELECT document_id, value FROM document_attributes WHERE key = :k", {"k": key}
        )
        ids = {int(i) for i, v in pairs if v.casefold() in values}
        if key == "kind":  # `kind` is the document's kind unless an attribute is so named
            have_attr = {int(i) for i, _v in pairs}
            by_kind = fetch(
                conn, "SELECT id FROM documents WHERE kind IN :kinds", {"kinds": sorted(values)}
            )
            ids |= {int(i) for (i,) in by_kind} - have_attr
        ids |= surveys
        found = ids if found is None else found & ids
    return found


def _attributes_of(conn: Reader, doc_ids: set[int]) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {i: {} for i in doc_ids}
    sql = "SELECT document_id, key, value FROM document_attributes WHERE document_id IN :ids"
    for ids in chunks(sorted(doc_ids)):
        for doc_id, key, value in fetch(conn, sql, {"ids": ids}):
            out[int(doc_id)][key] = value
    return out


def excerpts(
    conn: Reader,
    *,
    codes: list[str] | None = None,
    where: list[tuple[str, str]] | None = None,
    coder: str | None = None,
    descendants: bool = True,
    document_id: int | None = None,
) -> list[Excerpt]:
    """Codings with their context, filtered by code (with descendants), attributes and coder.
    Reads only the documents, segments and attributes of the codings it returns (every
    look-up by index: tests/test_query_plans.py)."""
    tree = CodeTree.load(conn)
    code_ids = expand_codes(tree, codes, descendants) if codes else None
    allowed = candidate_documents(conn, where or [])
    if allowed is not None and document_id is not None:
        allowed &= {document_id}
    if allowed is not None and not allowed:
        return []
    if allowed is None or code_ids is not None or coder is not None:
        rows = list_codings(conn, document_id=document_id, code_ids=code_ids, coder=coder)
        if allowed is not None:
            rows = [c for c in rows if c.document_id in allowed]
    else:  # the candidate documents' codings, through the (document_id, start) index
        rows = [
            c
            for doc_id in sorted(allowed)
            for c in list_codings(conn, document_id=doc_id, code_ids=code_ids, coder=coder)
        ]
    return excerpts_of(conn, tree, rows, where)


def excerpts_of(
    conn: Reader,
    tree: CodeTree,
    rows: list[CodingRow],
    where: list[tuple[str, str]] | None = None,
) -> list[Excerpt]:
    """These codings as excerpts (context and attributes), sorted in export order; those
    failing `where` left out. Reads only their documents, segments and attributes."""
    wanted = {c.document_id for c in rows}
    docs: dict[int, tuple[int, str, str]] = {}
    for ids in chunks(sorted(wanted)):
        for doc_id, name, kind in fetch(
            conn, "SELECT id, name, kind FROM documents WHERE id IN :ids", {"ids": ids}
        ):
            docs[int(doc_id)] = (int(doc_id), name, kind)
    doc_attrs = _attributes_of(conn, wanted)
    held = _holders(conn, rows)
    seg_of: dict[int, _Seg | None] = {}
    for c in rows:
        seg = held[c.id][1]
        seg_of[c.id] = seg if seg is not None and seg[1] > c.start else None
    seg_attrs = _segment_attributes(conn, sorted({sg[4] for sg in seg_of.values() if sg}))
    out: list[Excerpt] = []
    for c in rows:
        doc_id, doc_name, doc_kind = docs[c.document_id]
        seg = seg_of[c.id]
        attrs = dict(doc_attrs.get(c.document_id, {}))
        if seg is not None:
            attrs.update(seg_attrs.get(seg[4], {}))
        if where and not matches_where(attrs, doc_kind, where):
            continue
        out.append(
            Excerpt(
                coding_id=c.id,
                document=doc_name,
                document_id=doc_id,
                kind=doc_kind,
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
                text=held[c.id][0],
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
    from workbench.csvsafe import write_csv

    header, body = excerpt_table(rows)
    return write_csv(path, header, body, project=project, stdout_ok=stdout_ok)
