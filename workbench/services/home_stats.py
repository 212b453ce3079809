"""Paged tables and counts for screens that must not load the whole project (issue 15).

The home screen, the retrieval screen and the codebook panel call these instead of listing
every document or coding: each function returns one page of rows, or counts read from the
aggregates that triggers keep up to date (`document_counts`, `code_document_counts`,
migration 5), never a count over a million rows. Every query is an index look-up
(tests/test_query_plans.py). Every query is SQL text (store.reader): the home screen's
first page and the codebook panel are read from a plain sqlite3 connection at start-up,
before SQLAlchemy is loaded (store/lite.py).

    page = document_page(conn, offset=0, limit=50, sort="segments", descending=True)
    page.total, page.rows            # rows: DocumentRow (counts, key attributes, coverage)
    code_counts(conn)                # {code_id: codings}, or of one document
    rolled_up(tree, code_counts(conn))  # parents counting their descendants' codings
    excerpt_page(conn, ["hidden-work"], offset=100, limit=50)  # one page of Excerpt rows
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workbench.errors import WorkbenchError
from workbench.services.code_tree import CodeTree
from workbench.services.excerpts import Excerpt
from workbench.store.reader import Reader, fetch, scalar

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


def segment_count(document_id: str) -> str:
    """SQL for a document's segment count, `document_id` being the SQL of its id: its
    segments are numbered 0..n-1 (unique per document), so it is max(idx) + 1, one seek in
    uq_segment_doc_idx. The counts themselves live in `document_counts` and
    `code_document_counts`, tables kept by triggers on SQLite (migration 5) and on a server
    (the same triggers carried to PL/pgSQL by store/postgres_port)."""
    return (
        "coalesce((SELECT max(sg.idx) + 1 FROM segments sg "
        f"WHERE sg.document_id = {document_id}), 0)"
    )


def _check_page(offset: int, limit: int) -> None:
    if offset < 0 or not 1 <= limit <= MAX_PAGE:
        raise WorkbenchError(
            f"page offset {offset}, limit {limit}: need offset >= 0, 1..{MAX_PAGE}"
        )


def _like(word: str) -> str:
    """`word` anywhere, as a LIKE pattern with '/' escaping its wildcards."""
    escaped = word.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def _filtered(
    conn: Reader, where: list[tuple[str, str]] | None, words: str
) -> tuple[str, dict[str, Any]]:
    """(SQL selecting the ids of the matching documents, its parameters): narrowed by
    attribute conditions (as `where.matches_where`: every key must match, a key's values
    are alternatives, case-insensitive; `kind` is the document's kind unless an attribute
    is so named) and words in the name."""
    conds: list[str] = []
    params: dict[str, Any] = {}
    by_key: dict[str, set[str]] = {}
    for key, value in where or []:
        by_key.setdefault(key, set()).add(value.casefold())
    for i, (key, values) in enumerate(by_key.items()):
        pairs = fetch(
            conn, "SELECT document_id, value FROM document_attributes WHERE key = :k", {"k": key}
        )
        ids = {int(d) for d, v in pairs if v.casefold() in values}
        if key == "kind":
            have = {int(d) for d, _v in pairs}
            kinds = fetch(
                conn, "SELECT id FROM documents WHERE kind IN :kinds", {"kinds": sorted(values)}
            )
            ids |= {int(d) for (d,) in kinds} - have
        conds.append(f"f.id IN :ids{i}")
        params[f"ids{i}"] = sorted(ids)
    for i, word in enumerate(words.split()):
        conds.append(f"lower(f.name) LIKE :w{i} ESCAPE '/'")
        params[f"w{i}"] = _like(word.casefold())
    sql = "SELECT f.id FROM documents f"
    return (sql + " WHERE " + " AND ".join(conds) if conds else sql), params


_SORT_KEYS = {
    "name": "d.name",
    "kind": "d.kind",
    "segments": segment_count("d.id"),
    "codings": "n.codings",
}


def document_page(
    conn: Reader,
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
    base, params = _filtered(conn, where, words)
    total = int(scalar(conn, f"SELECT count(*) FROM ({base}) AS m", params))
    order = _SORT_KEYS[sort] + (" DESC" if descending else "")
    narrowed = f"WHERE d.id IN ({base}) " if (where or words) else ""
    page = fetch(
        conn,
        f"SELECT d.id, d.name, d.kind, {segment_count('d.id')}, n.codings, length(d.text), "
        "d.case_name FROM documents d LEFT OUTER JOIN document_counts n "
        f"ON n.document_id = d.id {narrowed}ORDER BY {order}, d.name "
        "LIMIT :limit OFFSET :offset",
        {**params, "limit": limit, "offset": offset},
    )
    ids = [int(r[0]) for r in page]
    attrs: dict[int, dict[str, str]] = {i: {} for i in ids}
    for doc_id, k, v in fetch(
        conn,
        "SELECT document_id, key, value FROM document_attributes WHERE document_id IN :ids",
        {"ids": ids},
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


def document_total(conn: Reader) -> int:
    """Documents in the project."""
    return int(scalar(conn, "SELECT count(*) FROM documents"))


def coverage(conn: Reader, document_ids: list[int]) -> dict[int, int]:
    """Characters under at least one coding, per document (their codings in one indexed
    read, in document and start order)."""
    out = dict.fromkeys(document_ids, 0)
    if not document_ids:
        return out
    spans = fetch(
        conn,
        'SELECT document_id, start, "end" FROM codings WHERE document_id IN :ids '
        "ORDER BY document_id, start",
        {"ids": list(document_ids)},
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


def document_counts(conn: Reader, document_id: int) -> tuple[int, int]:
    """(segments, codings) of one document, from the index and the aggregate."""
    segs = scalar(conn, f"SELECT {segment_count(':doc')}", {"doc": document_id})
    codings = scalar(
        conn, "SELECT codings FROM document_counts WHERE document_id = :doc", {"doc": document_id}
    )
    return int(segs), int(codings or 0)


def code_counts(conn: Reader, document_id: int | None = None) -> dict[str, int]:
    """Codings per code id (only codes with codings), in the project or in one document."""
    if document_id is not None:
        rows = fetch(
            conn,
            "SELECT code_id, codings FROM code_document_counts WHERE document_id = :doc",
            {"doc": document_id},
        )
    else:
        rows = fetch(
            conn, "SELECT code_id, sum(codings) FROM code_document_counts GROUP BY code_id"
        )
    return {str(code): int(k) for code, k in rows}


def code_document_matrix(conn: Reader, code_ids: list[str]) -> dict[tuple[str, int], int]:
    """Codings per (code, document) for the given codes."""
    rows = fetch(
        conn,
        "SELECT code_id, document_id, codings FROM code_document_counts WHERE code_id IN :codes",
        {"codes": list(code_ids)},
    )
    return {(str(c), int(d)): int(k) for c, d, k in rows}


def rolled_up(tree: CodeTree, counts: dict[str, int]) -> dict[str, int]:
    """Each code's count plus its descendants' (a parent theme counts its sub-codes)."""
    return {cid: sum(counts.get(x, 0) for x in [cid, *tree.descendants(cid)]) for cid in tree.codes}


def totals(conn: Reader) -> dict[str, int]:
    """Documents, segments and codings in the project, from the aggregate (one row per
    document, not per segment)."""
    docs, segs, cods = fetch(
        conn,
        f"SELECT count(*), sum({segment_count('n.document_id')}), sum(n.codings) "
        "FROM document_counts n",
    )[0]
    return {"documents": int(docs), "segments": int(segs or 0), "codings": int(cods or 0)}


def excerpt_count(conn: Reader, code_ids: list[str]) -> int:
    """Codings of these codes (no other filter), from the aggregate."""
    sql = "SELECT sum(codings) FROM code_document_counts WHERE code_id IN :codes"
    return int(scalar(conn, sql, {"codes": list(code_ids)}) or 0)


def excerpt_page(
    conn: Reader,
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
    from workbench.services.coding_rows import CODING_COLUMNS, row_to_coding
    from workbench.services.excerpts import excerpts_of, expand_codes

    _check_page(offset, limit)
    tree = CodeTree.load(conn)
    ids = expand_codes(tree, codes, descendants)
    cond, params = "c.code_id IN :codes", {"codes": ids}
    if coder is not None:
        cond, params = cond + " AND c.coder = :coder", {**params, "coder": coder}
    total = (
        excerpt_count(conn, ids)
        if coder is None
        else int(scalar(conn, f"SELECT count(*) FROM codings c WHERE {cond}", params))
    )
    columns = ", ".join(f"c.{col.strip()}" for col in CODING_COLUMNS.split(","))
    page = fetch(
        conn,
        f"SELECT {columns} FROM codings c JOIN documents d ON d.id = c.document_id "
        f'WHERE {cond} ORDER BY d.name, c.start, c."end", c.code_id, c.coder '
        "LIMIT :limit OFFSET :offset",
        {**params, "limit": limit, "offset": offset},
    )
    return total, excerpts_of(conn, tree, [row_to_coding(r) for r in page])


def verify_counts(conn: Reader) -> list[str]:
    """Problems where the kept counts disagree with the rows, or a document's segments are
    not numbered 0..n-1 (what `segment_count` relies on). SQLite projects (for `workbench
    check`)."""
    problems: list[str] = []
    segs = {
        int(i): (k, hi, lo)
        for i, k, hi, lo in fetch(
            conn,
            "SELECT document_id, count(*), max(idx), min(idx) FROM segments GROUP BY document_id",
        )
    }
    live_c = dict(fetch(conn, "SELECT document_id, count(*) FROM codings GROUP BY document_id"))
    stored = {
        int(i): int(k) for i, k in fetch(conn, "SELECT document_id, codings FROM document_counts")
    }
    for doc_id, name in fetch(conn, "SELECT id, name FROM documents"):
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
        for a, b, k in fetch(
            conn,
            "SELECT code_id, document_id, count(*) FROM codings GROUP BY code_id, document_id",
        )
    }
    kept = {
        (str(a), int(b)): int(k)
        for a, b, k in fetch(conn, "SELECT code_id, document_id, codings FROM code_document_counts")
    }
    if live != kept:
        problems.append("code_document_counts disagrees with the codings")
    return problems
