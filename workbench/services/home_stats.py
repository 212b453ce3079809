"""Paged tables and counts for screens that must not load the whole project (issue 15).

The home screen, the retrieval screen and the codebook panel call these instead of listing
every document or coding: each function returns one page of rows, or counts read from the
aggregates that triggers keep up to date (`document_counts`, `code_document_counts`,
migration 5), never a count over a million rows. Every query is an index look-up
(tests/test_query_plans.py).

    page = document_page(conn, offset=0, limit=50, sort="segments", descending=True)
    page.total, page.rows            # rows: DocumentRow (counts, key attributes, coverage)
    code_counts(conn)                # {code_id: codings}, or of one document
    rolled_up(tree, code_counts(conn))  # parents counting their descendants' codings
    excerpt_page(conn, ["hidden-work"], offset=100, limit=50)  # one page of Excerpt rows
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from workbench.errors import WorkbenchError
from workbench.services.codes import CodeTree
from workbench.services.excerpts import Excerpt
from workbench.store import schema as s

SORTS = ("name", "kind", "segments", "codings")
MAX_PAGE = 1000


@dataclass(frozen=True)
class DocumentRow:
    id: int
    name: str
    kind: str
    segments: int
    codings: int
    length: int
    coded: float  # share of the text's characters under at least one coding
    attributes: dict[str, str] = field(default_factory=dict)
    case: str = ""  # the case it belongs to: its own name unless imported with --case


@dataclass(frozen=True)
class DocumentPage:
    total: int  # documents matching the filter, all pages
    offset: int
    rows: list[DocumentRow]


def _aggregates(conn: Connection):  # type: ignore[no-untyped-def]
    """(document_counts, code_document_counts): tables kept by triggers, on SQLite
    (migration 5) and on a server (the same triggers carried to PL/pgSQL by
    store/postgres_port, filled by the migration's backfill)."""
    return s.document_counts, s.code_document_counts


def segment_count(document_id):  # type: ignore[no-untyped-def]
    """A document's segment count as a scalar subquery: its segments are numbered 0..n-1
    (unique per document), so it is max(idx) + 1, one seek in uq_segment_doc_idx."""
    sg = s.segments
    return func.coalesce(
        select(func.max(sg.c.idx) + 1).where(sg.c.document_id == document_id).scalar_subquery(),
        0,
    )


def _check_page(offset: int, limit: int) -> None:
    if offset < 0 or not 1 <= limit <= MAX_PAGE:
        raise WorkbenchError(
            f"page offset {offset}, limit {limit}: need offset >= 0, 1..{MAX_PAGE}"
        )


def _filtered(conn: Connection, where: list[tuple[str, str]] | None, words: str):  # type: ignore[no-untyped-def]
    """The documents query (id column) narrowed by attribute conditions (as
    `documents.matches_where`: every key must match, a key's values are alternatives,
    case-insensitive; `kind` is the document's kind unless an attribute is so named) and
    words in the name."""
    d, a = s.documents, s.document_attributes
    q = select(d.c.id)
    by_key: dict[str, set[str]] = {}
    for key, value in where or []:
        by_key.setdefault(key, set()).add(value.casefold())
    for key, values in by_key.items():
        rows = conn.execute(select(a.c.document_id, a.c.value).where(a.c.key == key)).all()
        ids = {int(i) for i, v in rows if v.casefold() in values}
        if key == "kind":
            have = select(a.c.document_id).where(a.c.key == key)
            kinds = select(d.c.id).where(d.c.kind.in_(sorted(values)), d.c.id.not_in(have))
            ids |= {int(i) for (i,) in conn.execute(kinds)}
        q = q.where(d.c.id.in_(sorted(ids)))
    for word in words.split():
        q = q.where(func.lower(d.c.name).contains(word.casefold(), autoescape=True))
    return q


def document_page(
    conn: Connection,
    *,
    offset: int = 0,
    limit: int = 50,
    sort: str = "name",
    descending: bool = False,
    where: list[tuple[str, str]] | None = None,
    words: str = "",
) -> DocumentPage:
    """One page of the documents table, sorted by name, kind, segments or codings (counts
    from `document_counts`), filtered by `where` (KEY=VALUE, as `--where`) and words in the
    name. Only the page's documents are read in full."""
    _check_page(offset, limit)
    if sort not in SORTS:
        raise WorkbenchError(f"sort {sort}: use one of {', '.join(SORTS)}")
    d, n = s.documents, _aggregates(conn)[0]
    base = _filtered(conn, where, words)
    total = int(conn.execute(select(func.count()).select_from(base.subquery())).scalar_one())
    segments = segment_count(d.c.id)
    key = {"name": d.c.name, "kind": d.c.kind, "segments": segments, "codings": n.c.codings}
    order = key[sort].desc() if descending else key[sort]
    q = (
        select(
            d.c.id, d.c.name, d.c.kind, segments, n.c.codings, func.length(d.c.text), d.c.case_name
        )
        .select_from(d.outerjoin(n, n.c.document_id == d.c.id))
        .where(d.c.id.in_(base.scalar_subquery()) if (where or words) else True)
        .order_by(order, d.c.name)
        .offset(offset)
        .limit(limit)
    )
    page = conn.execute(q).all()
    ids = [int(r[0]) for r in page]
    attrs: dict[int, dict[str, str]] = {i: {} for i in ids}
    a = s.document_attributes
    for doc_id, k, v in conn.execute(
        select(a.c.document_id, a.c.key, a.c.value).where(a.c.document_id.in_(ids))
    ):
        attrs[int(doc_id)][k] = v
    covered = coverage(conn, ids)
    rows = [
        DocumentRow(
            id=int(r[0]),
            name=r[1],
            kind=r[2],
            segments=int(r[3] or 0),
            codings=int(r[4] or 0),
            length=int(r[5] or 0),
            coded=covered.get(int(r[0]), 0) / r[5] if r[5] else 0.0,
            attributes=attrs[int(r[0])],
            case=r[6] or r[1],
        )
        for r in page
    ]
    return DocumentPage(total, offset, rows)


def document_total(conn: Connection) -> int:
    """Documents in the project."""
    return int(conn.execute(select(func.count()).select_from(s.documents)).scalar_one())


def coverage(conn: Connection, document_ids: list[int]) -> dict[int, int]:
    """Characters under at least one coding, per document (their codings in one indexed
    read, in document and start order)."""
    c = s.codings
    out = dict.fromkeys(document_ids, 0)
    if not document_ids:
        return out
    spans = conn.execute(
        select(c.c.document_id, c.c.start, c.c.end)
        .where(c.c.document_id.in_(document_ids))
        .order_by(c.c.document_id, c.c.start)
    )
    current, reach = None, 0
    for doc_id, start, end in spans:
        if doc_id != current:
            current, reach = doc_id, 0
        start = max(start, reach)
        if end > start:
            out[doc_id] += end - start
            reach = end
    return out


def document_counts(conn: Connection, document_id: int) -> tuple[int, int]:
    """(segments, codings) of one document, from the index and the aggregate."""
    n = _aggregates(conn)[0]
    segs = conn.execute(select(segment_count(document_id))).scalar_one()
    row = conn.execute(select(n.c.codings).where(n.c.document_id == document_id)).first()
    return int(segs), int(row[0]) if row else 0


def code_counts(conn: Connection, document_id: int | None = None) -> dict[str, int]:
    """Codings per code id (only codes with codings), in the project or in one document."""
    t = _aggregates(conn)[1]
    if document_id is not None:
        q = select(t.c.code_id, t.c.codings).where(t.c.document_id == document_id)
    else:
        q = select(t.c.code_id, func.sum(t.c.codings)).group_by(t.c.code_id)
    return {str(code): int(k) for code, k in conn.execute(q)}


def code_document_matrix(conn: Connection, code_ids: list[str]) -> dict[tuple[str, int], int]:
    """Codings per (code, document) for the given codes."""
    t = _aggregates(conn)[1]
    q = select(t.c.code_id, t.c.document_id, t.c.codings).where(t.c.code_id.in_(code_ids))
    return {(str(c), int(d)): int(k) for c, d, k in conn.execute(q)}


def rolled_up(tree: CodeTree, counts: dict[str, int]) -> dict[str, int]:
    """Each code's count plus its descendants' (a parent theme counts its sub-codes)."""
    return {cid: sum(counts.get(x, 0) for x in [cid, *tree.descendants(cid)]) for cid in tree.codes}


def totals(conn: Connection) -> dict[str, int]:
    """Documents, segments and codings in the project, from the aggregate (one row per
    document, not per segment)."""
    n = _aggregates(conn)[0]
    docs, segs, cods = conn.execute(
        select(func.count(), func.sum(segment_count(n.c.document_id)), func.sum(n.c.codings))
    ).one()
    return {"documents": int(docs), "segments": int(segs or 0), "codings": int(cods or 0)}


def excerpt_count(conn: Connection, code_ids: list[str]) -> int:
    """Codings of these codes (no other filter), from the aggregate."""
    t = _aggregates(conn)[1]
    q = select(func.sum(t.c.codings)).where(t.c.code_id.in_(code_ids))
    return int(conn.execute(q).scalar() or 0)


def excerpt_page(
    conn: Connection,
    codes: list[str],
    *,
    offset: int = 0,
    limit: int = 50,
    coder: str | None = None,
    descendants: bool = True,
) -> tuple[int, list[Excerpt]]:
    """(total, one page) of the retrieval table for these codes (with descendants), ordered
    by document name, start, end, code, coder: the page's coding ids come from one indexed
    query, and text, context and attributes are read for that page only. (With an
    attribute filter, use `excerpts(..., where=...)`: attributes are checked per row.)"""
    from workbench.services.coding import CodingRow
    from workbench.services.excerpts import excerpts_of, expand_codes

    _check_page(offset, limit)
    tree = CodeTree.load(conn)
    ids = expand_codes(tree, codes, descendants)
    c, d = s.codings, s.documents
    cond = c.c.code_id.in_(ids)
    if coder is not None:
        cond = cond & (c.c.coder == coder)
    total = (
        excerpt_count(conn, ids)
        if coder is None
        else int(conn.execute(select(func.count()).select_from(c).where(cond)).scalar_one())
    )
    q = (
        select(c)
        .select_from(c.join(d, d.c.id == c.c.document_id))
        .where(cond)
        .order_by(d.c.name, c.c.start, c.c.end, c.c.code_id, c.c.coder)
        .offset(offset)
        .limit(limit)
    )
    rows = [
        CodingRow(
            r.id,
            r.document_id,
            r.start,
            r.end,
            r.code_id,
            r.coder,
            r.created,
            r.memo,
            r.origin,
            r.guid,
        )
        for r in conn.execute(q)
    ]
    return total, excerpts_of(conn, tree, rows)


def verify_counts(conn: Connection) -> list[str]:
    """Problems where the kept counts disagree with the rows, or a document's segments are
    not numbered 0..n-1 (what `segment_count` relies on). SQLite projects (for `workbench
    check`)."""
    problems: list[str] = []
    d, n, sg, c, t = s.documents, s.document_counts, s.segments, s.codings, s.code_document_counts
    numbering = select(sg.c.document_id, func.count(), func.max(sg.c.idx), func.min(sg.c.idx))
    segs = {
        int(i): (k, hi, lo) for i, k, hi, lo in conn.execute(numbering.group_by(sg.c.document_id))
    }
    live_c = dict(
        conn.execute(select(c.c.document_id, func.count()).group_by(c.c.document_id)).all()
    )
    stored = {int(i): int(k) for i, k in conn.execute(select(n.c.document_id, n.c.codings))}
    for doc_id, name in conn.execute(select(d.c.id, d.c.name)):
        k, hi, lo = segs.get(int(doc_id), (0, -1, 0))
        if (k, hi, lo) != (hi + 1, hi, 0) and k:
            problems.append(f"{name}: segments are not numbered 0..{k - 1}")
        if stored.get(int(doc_id)) != int(live_c.get(doc_id, 0)):
            problems.append(
                f"{name}: kept coding count {stored.get(int(doc_id))}, "
                f"the codings say {live_c.get(doc_id, 0)}"
            )
    live = {
        (str(a), int(b)): int(k)
        for a, b, k in conn.execute(
            select(c.c.code_id, c.c.document_id, func.count()).group_by(
                c.c.code_id, c.c.document_id
            )
        )
    }
    kept = {(str(a), int(b)): int(k) for a, b, k in conn.execute(select(t))}
    if live != kept:
        problems.append("code_document_counts disagrees with the codings")
    return problems
